"""``inferplan plan PATH...``: the cheapest Azure deployment meeting each workload's SLO."""

from __future__ import annotations

import json
from pathlib import Path

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_VIOLATION,
    exit_on_input_errors,
)

DEFAULT_PATHS = (Path("examples"),)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown", "csv"]),
    default="table",
    show_default=True,
)
@click.option("--explain", is_flag=True, help="Table: print every workload's reasons.")
@click.option(
    "--simulate",
    is_flag=True,
    help="Simulate each self-hosted replica at its planned concurrency, request by request: "
    "p95/p99 latencies and utilisation under predicted.simulated (seeded, deterministic).",
)
@click.option(
    "--candidates",
    "list_candidates",
    is_flag=True,
    help="List every candidate considered (chosen, runners-up, rejected with kind and reason) "
    "instead of the plan; --format table|json|csv.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout (json and markdown).",
)
@click.pass_obj
def plan(
    context: CliContext,
    paths: tuple[Path, ...],
    fmt: str,
    explain: bool,
    simulate: bool,
    list_candidates: bool,
    output: Path | None,
) -> None:
    """Size every workload and print the plan.

    PATHS are workload files, folders, or environment files from stacks/ (default: examples/).
    Exit code 0 when every workload is feasible, 1 when any is not (or an environment's cost
    cap is exceeded), 2 on bad input.
    """
    if output is not None and fmt == "table":
        raise click.UsageError("--output writes json or markdown; add --format json|markdown")
    if fmt == "csv" and not list_candidates:
        raise click.UsageError("--format csv lists candidates; add --candidates")
    if list_candidates and fmt == "markdown":
        raise click.UsageError("--candidates prints table, json or csv")
    from inferplan.cli.output_files import write_atomically
    from inferplan.cli.plan_render import markdown, print_table
    from inputs.plan_inputs import load_inputs
    from sizing.plan import plan_to_data
    from sizing.planner import build_plan

    with exit_on_input_errors():
        inputs = load_inputs(
            paths or DEFAULT_PATHS, context.catalog_view, templates=context.templates
        )
        if not inputs.workloads:
            shown = ", ".join(str(p) for p in (paths or DEFAULT_PATHS))
            click.echo(f"error: no workloads to plan in {shown}", err=True)
            raise click.exceptions.Exit(EXIT_BAD_INPUT)
        result = build_plan(inputs, catalog=context.catalog)
        if list_candidates:
            from inferplan.cli.candidates_output import print_candidates
            from sizing.search.candidate_rows import candidate_rows

            text = print_candidates(
                list(candidate_rows(result)), fmt=fmt, to_file=output is not None
            )
            if output is not None:
                write_atomically(output, text)
            raise click.exceptions.Exit(EXIT_OK)
        if simulate:
            result = _simulated(result, inputs, context.catalog)
    if fmt == "table":
        print_table(result, explain=explain)
    else:
        text = (
            json.dumps(plan_to_data(result), indent=2, ensure_ascii=False) + "\n"
            if fmt == "json"
            else markdown(result)
        )
        if output is None:
            click.echo(text, nl=False)
        else:
            write_atomically(output, text)
    raise click.exceptions.Exit(EXIT_OK if result.feasible else EXIT_VIOLATION)


def _simulated(result, inputs, catalog):
    """The plan with each self-hosted replica simulated
    (``sizing.performance.simulation_report``)."""
    from sizing.performance.simulation_report import simulate_plan
    from sizing.search.from_spec import request_from_workload

    requests = {
        (env.name if env else None, w.name): request_from_workload(
            w, catalog=catalog, environment=env
        )
        for w, env in inputs.workloads
    }
    return simulate_plan(result, requests_by_workload=requests, catalog=catalog)
