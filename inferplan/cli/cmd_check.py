"""``inferplan check STACK``: policy rules, kubernetes-validate and checkov in one report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import exit_on_input_errors
from inferplan.markdown import markdown_table, table_cell

if TYPE_CHECKING:
    from inferplan.review.checks import CheckReport


@click.command()
@click.argument("stack")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."
)
@click.option(
    "--policy-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the Pulumi policy pack's config for STACK (the plan context and each "
    "rule's level) to this file, for `pulumi preview --policy-pack policies "
    "--policy-pack-config FILE`.",
)
@click.option(
    "--no-checkov", is_flag=True, help="Skip checkov (policy rules and schemas still run)."
)
@click.pass_obj
def check(
    context: CliContext,
    stack: str,
    fmt: str,
    output: Path | None,
    policy_config: Path | None,
    no_checkov: bool,
) -> None:
    """Check STACK against inferplan's guardrails before anything is deployed.

    Runs the stack's Pulumi program offline (as `preview` does) and applies the policy rules
    (residency, cost caps, identity and exposure, streaming gateway, GPU pools, approved
    templates), then validates the rendered Kubernetes objects against the environment's
    Kubernetes version (strict) and scans them with checkov. STACK is a name (stacks/STACK.yaml)
    or an environment file. Rule levels come from each rule's default and the stack's
    Pulumi.<stack>.yaml `inferplan:policyEnforcement` (docs/policies.md).

    Exit codes: 0 no mandatory finding, 1 a mandatory finding, 2 bad input.
    """
    from inferplan.cli.progress import progress_for
    from inferplan.review.checks import policy_config_for, run_check

    with progress_for(fmt, output) as step, exit_on_input_errors():
        report = run_check(
            stack, catalog_dirs=context.catalog_dirs, checkov=not no_checkov, progress=step
        )
        if policy_config is not None and report.plan is not None:
            from inferplan.cli.output_files import write_atomically

            data = policy_config_for(report.plan, report.stack)
            write_atomically(policy_config, json.dumps(data, indent=2, sort_keys=True) + "\n")
    text = format_report(report, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        from inferplan.cli.output_files import write_atomically

        write_atomically(output, text)
        click.echo(report.summary(), err=True)
    raise click.exceptions.Exit(report.exit_code)


def format_report(report: CheckReport, fmt: str) -> str:
    if fmt == "json":
        from inferplan.review.checks import report_to_data

        return json.dumps(report_to_data(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _markdown(report)
    return _text(report)


def _text(report: CheckReport) -> str:
    lines = []
    for f in report.findings:
        lines.append(f"{f.severity.upper():<9}  {f.rule}  {f.resource}  [{f.source}]")
        lines.append(f"  {f.message}")
        lines.append(f"  fix: {f.fix}")
    if report.notes:
        lines.append("notes:")
        lines += [f"  - {note}" for note in report.notes]
    lines.append(report.summary())
    return "\n".join(lines) + "\n"


def _markdown(report: CheckReport) -> str:
    icon = "❌" if report.mandatory else "✅"
    lines = [f"### Guardrails — `{report.stack}`", "", f"{icon} {report.summary()}", ""]
    if report.findings:
        lines += markdown_table(
            ("severity", "rule", "resource", "finding", "fix", "source"),
            [
                (
                    f.severity,
                    f"`{f.rule}`",
                    f"`{table_cell(f.resource)}`",
                    table_cell(f.message),
                    table_cell(f.fix),
                    f.source,
                )
                for f in report.findings
            ],
        )
        lines.append("")
    if report.notes:
        lines += ["<details><summary>Notes</summary>", ""]
        lines += [f"- {table_cell(note)}" for note in report.notes]
        lines += ["", "</details>", ""]
    return "\n".join(lines)
