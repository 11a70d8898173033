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
    "--from-results",
    "recorded",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read GuideLLM reports (e.g. from the verify Job, see --job) instead of loading the "
    "endpoint; the first step is taken as the planned load (repeatable).",
)
@click.option(
    "--job",
    "job_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write a Kubernetes Job that runs the same load from inside the VNet, instead of "
    "running it from here.",
)
@click.option(
    "--registry",
    metavar="LOGIN_SERVER",
    help="With --job: the environment's container registry (its cache rule serves GuideLLM's "
    "image); default: pull from ghcr.io.",
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
    recorded: tuple[Path, ...],
    job_dir: Path | None,
    registry: str | None,
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
    if (endpoint is not None or recorded or job_dir) and len(targets) > 1:
        _fail("--endpoint, --from-results and --job take one workload: give --workload too")
    if recorded:
        _measure_recorded(targets[0], recorded, stack=name, out_dir=out_dir, fmt=fmt)
        return
    if job_dir is not None:
        _write_job(
            targets[0],
            job_dir,
            stack=name,
            endpoint=endpoint,
            key_env=key_env,
            duration_s=duration_s,
            max_steps=max_steps,
            registry=registry,
            catalog=context.catalog,
        )
        return
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


def _measure_recorded(
    target, recorded: tuple[Path, ...], *, stack: str, out_dir: Path, fmt: str
) -> None:
    from inferplan.verify.compare import slo_holds
    from inferplan.verify.guidellm_results import ResultsError, read_results
    from inferplan.verify.measurement import write_measurement
    from inferplan.verify.render import render
    from inferplan.verify.run import judged, measurement_of

    try:
        runs = [read_results(path) for path in recorded]
    except ResultsError as error:
        _fail(str(error))
    steps = judged(target, tuple(s for run in runs for s in run.steps))
    measurement = measurement_of(
        target,
        runs[0].version,
        steps,
        stack=stack,
        step_duration_s=max(s.duration_s for s in steps) or 1.0,
        lengths=(runs[0].input_tokens, runs[0].output_tokens)
        if runs[0].input_tokens and runs[0].output_tokens
        else None,
    )
    stamp = measurement.started_at.replace(":", "").replace("-", "")
    target_path = out_dir / stack / f"{target.workload}-{stamp}.json"
    write_measurement(measurement, target_path)
    click.echo(render([(measurement, target_path)], fmt), nl=False)
    if not slo_holds(measurement):
        raise click.exceptions.Exit(EXIT_VIOLATION)


def _write_job(
    target,
    job_dir: Path,
    *,
    stack: str,
    endpoint,
    key_env,
    duration_s,
    max_steps,
    registry,
    catalog,
) -> None:
    from inferplan.verify.endpoint import EndpointError, base_url
    from inferplan.verify.job import REPORT_MARKER, job_manifests, manifests_yaml

    if endpoint is None:
        _fail("--job needs --endpoint: the URL the Job calls from inside the VNet")
    try:
        url = base_url(endpoint)
    except EndpointError as error:
        _fail(str(error))
    objects = job_manifests(
        target,
        stack=stack,
        target_url=url,
        key_secret=key_env,
        duration_s=duration_s,
        steps=max_steps,
        registry=registry,
        catalog=catalog,
    )
    job_dir.mkdir(parents=True, exist_ok=True)
    path = job_dir / f"verify-{target.workload}.yaml"
    path.write_text(manifests_yaml(objects), encoding="utf-8")
    click.echo(
        f"wrote {path}: `kubectl apply -f {path}`; when the Job completes, "
        f"`kubectl logs job/{objects[1]['metadata']['name']} | sed '1,/^{REPORT_MARKER}$/d' > "
        f"report.json` and `inferplan verify {stack} --workload {target.workload} "
        "--from-results report.json`"
    )


def _stack_endpoint(stack: str, workload: str) -> str:
    from inferplan.verify.endpoint import stack_endpoint

    return stack_endpoint(stack, workload)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(EXIT_BAD_INPUT)
