"""``inferplan verify STACK``: a deployed endpoint measured against its plan."""

from __future__ import annotations

import os
from pathlib import Path

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import EXIT_BAD_INPUT, EXIT_VIOLATION, exit_on_input_errors

DEFAULT_MEASUREMENTS = Path("measurements")
RAW_RESULTS = Path("out") / "verify"  # GuideLLM's own reports, git-ignored


@click.command()
@click.argument("stack")
@click.option("--workload", help="Measure this workload only (default: every chat workload).")
@click.option(
    "--endpoint",
    help="The workload's URL, https://<gateway>/<workload>/v1 (default: the stack's `endpoints` "
    "output, read with the Pulumi CLI; required without it).",
)
@click.option(
    "--key-env",
    metavar="VAR",
    help="Environment variable holding the endpoint's key (never printed).",
)
@click.option(
    "--duration",
    "duration_s",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds per load step.",
)
@click.option(
    "--steps",
    "max_steps",
    type=click.IntRange(min=1, max=12),
    default=4,
    show_default=True,
    help="Most load steps per workload (the planned load, then up or down by x1.5).",
)
@click.option(
    "--replicas",
    type=click.IntRange(min=1),
    help="Replicas behind the endpoint (default: the plan's per region); load and predicted "
    "capacity scale to them.",
)
@click.option(
    "--tokenizer",
    help="Tokenizer GuideLLM counts prompt tokens with (default: the plan's Hugging Face model).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_MEASUREMENTS,
    show_default=True,
    help="Folder for the measurement files (commit them).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
)
@click.pass_obj
def verify(
    context: CliContext,
    stack: str,
    workload: str | None,
    endpoint: str | None,
    key_env: str | None,
    duration_s: float,
    max_steps: int,
    replicas: int | None,
    tokenizer: str | None,
    out_dir: Path,
    fmt: str,
) -> None:
    """Load STACK's deployed endpoint at each workload's planned load with GuideLLM, step the
    load to the largest rate that still meets the SLO, and print measured beside predicted.

    Each workload's run is written to OUT/STACK/<workload>-<UTC time>.json, the file
    `inferplan calibrate`, `report` and `diff` read. GuideLLM runs from .venv-loadgen
    (./dev builds it).

    Exit codes: 0 the SLO holds at the planned load, 1 it does not, 2 bad input, an endpoint
    that cannot be reached or no load generator.
    """
    from inferplan.verify.endpoint import EndpointError, base_url, endpoint_key, probe
    from inferplan.verify.loadgen import LoadgenError, loadgen_executable
    from inferplan.verify.targets import NotMeasurable, verify_target
    from inputs.plan_inputs import stack_file, stack_name
    from inputs.template_library import TemplateFolders
    from sizing.planner import plan_paths, requests_of

    name = stack_name(stack)
    with exit_on_input_errors():
        path = stack_file(stack)
        if not path.is_file():
            from inputs.errors import Problem, SpecReadError

            raise SpecReadError(
                [Problem(str(path), 0, 0, "", f"no environment file for stack {name!r}")]
            )
        inputs, plan = plan_paths(
            [path],
            catalog=context.catalog,
            templates=TemplateFolders.default(context.template_dirs),
        )
        requests = {r.name: r for r in requests_of(inputs, catalog=context.catalog)}
    chosen = [w for w in plan.workloads if workload is None or w.name == workload]
    if workload is not None and not chosen:
        known = ", ".join(w.name for w in plan.workloads)
        _fail(f"--workload {workload}: stack {name} has no such workload (it has: {known})")
    targets = []
    for w in chosen:
        try:
            targets.append(
                verify_target(w, requests[w.name], replicas=replicas, tokenizer=tokenizer)
            )
        except NotMeasurable as error:
            if workload is not None:
                _fail(str(error))
            click.echo(f"skipped: {error}", err=True)
    if not targets:
        _fail(f"stack {name}: no workload verify can measure")
    if endpoint is not None and len(targets) > 1:
        _fail("--endpoint names one workload's URL: give --workload too")
    try:
        api_key = endpoint_key(key_env, os.environ)
        executable = loadgen_executable()
        urls = {
            t.workload: base_url(endpoint or _stack_endpoint(name, t.workload)) for t in targets
        }
        for url in dict.fromkeys(urls.values()):
            probe(url, api_key=api_key)
    except (EndpointError, LoadgenError) as error:
        _fail(str(error))

    from inferplan.verify.compare import slo_holds
    from inferplan.verify.loadgen import StepRequest, run_step
    from inferplan.verify.measurement import write_measurement
    from inferplan.verify.render import render
    from inferplan.verify.run import measure

    results = []
    for t in targets:

        def load(rate: float, t=t) -> tuple:
            raw = RAW_RESULTS / name / t.workload / f"rate-{rate:.4f}.json"
            step = StepRequest(
                target=urls[t.workload],
                model=t.served_model,
                tokenizer=t.tokenizer,
                input_tokens=t.input_tokens,
                output_tokens=t.output_tokens,
                rate_per_s=rate,
                duration_s=duration_s,
                slo_ttft_ms=t.ttft_p95_ms,
                slo_itl_ms=1000.0 / t.tps_per_request if t.tps_per_request > 0 else None,
            )
            run = run_step(
                step,
                results=raw,
                api_key=api_key,
                executable=executable,
                timeout_s=duration_s * 3 + 300,
            )
            return run.version, run.steps[0]

        click.echo(f"verify: {name}/{t.workload} at {t.planned_rate_per_s:.2f} req/s", err=True)
        try:
            measurement = measure(
                t, load, stack=name, step_duration_s=duration_s, max_steps=max_steps
            )
        except LoadgenError as error:
            _fail(str(error))
        stamp = measurement.started_at.replace(":", "").replace("-", "")
        target_path = out_dir / name / f"{t.workload}-{stamp}.json"
        write_measurement(measurement, target_path)
        results.append((measurement, target_path))
    click.echo(render(results, fmt), nl=False)
    if not all(slo_holds(m) for m, _ in results):
        raise click.exceptions.Exit(EXIT_VIOLATION)


def _stack_endpoint(stack: str, workload: str) -> str:
    from inferplan.verify.endpoint import stack_endpoint

    return stack_endpoint(stack, workload)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(EXIT_BAD_INPUT)
