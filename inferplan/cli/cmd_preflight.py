"""``inferplan preflight STACK``: the plan checked against the live Azure subscription."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import EXIT_BAD_INPUT, EXIT_VIOLATION, exit_on_input_errors


@click.command()
@click.argument("stack")
@click.option(
    "--subscription",
    help="Subscription to check (default: $AZURE_SUBSCRIPTION_ID, then the stack's "
    "azure-native:subscriptionId in Pulumi.<stack>.yaml).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."
)
@click.option(
    "--recorded",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Answer from recorded Azure responses instead of Azure (no credentials; for tests "
    "and demos, see docs/preflight.md).",
)
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save every Azure answer to this file, in the format --recorded reads.",
)
@click.pass_obj
def preflight(
    context: CliContext,
    stack: str,
    subscription: str | None,
    fmt: str,
    output: Path | None,
    recorded: Path | None,
    record: Path | None,
) -> None:
    """Check STACK's plan against the Azure subscription it will deploy into.

    Read-only calls only (Reader on the subscription is enough): VM sizes offered in the planned
    regions and zones, vCPU quota per VM family and region, Azure OpenAI models, versions,
    deployment types and quota, the AKS Kubernetes version, the API Management tier, and
    soft-deleted services holding the plan's names. Credentials come from azure-identity's
    DefaultAzureCredential (az login, environment, managed or workload identity).

    Exit codes: 0 all clear, 1 a blocking finding (or a check that could not run, or a plan
    that cannot be deployed), 2 bad input or no credentials.
    """
    from components.program import InfeasiblePlanError, deployable
    from inferplan.preflight.client import AzureClient, NoCredentials
    from inferplan.preflight.engine import preflight as run_preflight
    from inferplan.preflight.recorded import RecordedTransport, RecordingMissing
    from inferplan.preflight.report import render
    from inferplan.preflight.stack_inputs import NO_SUBSCRIPTION, stack_plan, subscription_for

    with exit_on_input_errors():
        environment, plan = stack_plan(
            stack, catalog_dirs=context.catalog_dirs, template_dirs=context.template_dirs
        )
        subscription_id = subscription_for(stack, given=subscription, environ=os.environ)
    if subscription_id is None:
        click.echo(f"error: {NO_SUBSCRIPTION}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT)
    try:
        deployable(plan, environment)
    except InfeasiblePlanError as error:
        click.echo(f"error: {error}; nothing to check against Azure", err=True)
        raise click.exceptions.Exit(EXIT_VIOLATION) from None

    from inferplan.preflight.client import Transport

    transport: Transport
    token = None
    if recorded is not None:
        transport = RecordedTransport.from_file(recorded)
    else:
        from inferplan.cli.errors_output import debug_requested
        from inferplan.preflight.client import RequestsTransport, default_token_provider

        debug = bool(click.get_current_context().find_root().params.get("debug"))
        quiet = not debug_requested(debug)  # --debug keeps the SDK's own log lines
        transport, token = RequestsTransport(), default_token_provider(quiet=quiet)
    recorder = None
    if record is not None:
        from inferplan.preflight.recorded import RecordingTransport

        transport = recorder = RecordingTransport(transport)
    # Replayed throttling is not waited out: the recording says how long Azure asked for.
    client = AzureClient(transport, token=token, **({"sleep": _no_wait} if recorded else {}))
    try:
        import datetime as dt

        from inferplan.preflight.engine import freshness_findings

        report = run_preflight(
            plan,
            environment,
            client=client,
            subscription_id=subscription_id,
            freshness=freshness_findings(context.catalog, dt.datetime.now(dt.UTC).date()),
        )
    except NoCredentials as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    except RecordingMissing as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None

    from inferplan.cli.output_files import write_atomically

    if recorder is not None and record is not None:
        data = recorder.data(f"Azure answers recorded by `inferplan preflight {stack}`")
        write_atomically(record, json.dumps(data, indent=2, sort_keys=True) + "\n")
    text = render(report, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, text)
        click.echo(report.summary(), err=True)
    raise click.exceptions.Exit(report.exit_code)


def _no_wait(_seconds: float) -> None:
    return None
