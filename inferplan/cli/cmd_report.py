"""``inferplan report [STACK] [--out DIR]``: a self-contained HTML page of the stack's plan."""

from __future__ import annotations

from pathlib import Path

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import EXIT_OK, EXIT_VIOLATION, exit_on_input_errors

REPORT_FILE = "index.html"
DEFAULT_OUT = Path("out") / "report"


@click.command()
@click.argument("stack", default="dev")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Folder to write {REPORT_FILE} into (default: {DEFAULT_OUT}/STACK).",
)
@click.option(
    "--measurements",
    "measurements_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("measurements"),
    show_default=True,
    help="Folder of `inferplan verify` measurements drawn on the capacity curves (skipped when "
    "it does not exist).",
)
@click.pass_obj
def report(context: CliContext, stack: str, out_dir: Path | None, measurements_dir: Path) -> None:
    """Write a page people can look at: costs, every candidate, capacity curves and reasons.

    STACK is a name (stacks/STACK.yaml, default dev) or an environment file. The page,
    DIR/index.html, is self-contained (inline SVG charts and CSS, no script, nothing fetched
    when it is opened): the environment's monthly cost per workload against its cap, and per
    workload the cost against TTFT p95 and tokens/s of every candidate the optimizer
    considered (the chosen one marked), the chosen replica's TTFT and ITL against concurrency
    with the SLO lines, the planned operating point and the load steps `inferplan verify`
    measured on the same configuration (--measurements), and the plan's reasons, warnings and
    alternatives. The file is written whole or not at all. Exit 1 when the plan cannot be
    deployed (the page is still written and says why), 2 on bad input.
    """
    from inferplan.cli.output_files import write_atomically
    from inferplan.cli.progress import progress_for
    from inferplan.review.report_data import stack_figures
    from inferplan.review.report_page import render_page
    from inputs.plan_inputs import stack_name

    target = (out_dir if out_dir is not None else DEFAULT_OUT / stack_name(stack)) / REPORT_FILE
    with progress_for("html", target) as step, exit_on_input_errors():
        step(f"planning {stack} and every candidate")
        measured = _measurements(measurements_dir)
        figures = stack_figures(
            stack,
            catalog=context.catalog,
            template_dirs=context.template_dirs,
            measurements=measured,
        )
        step("drawing the charts")
        page = render_page(figures)
    write_atomically(target, page)
    click.echo(f"wrote {target} ({len(figures.workloads)} workloads)")
    raise click.exceptions.Exit(EXIT_OK if figures.plan.feasible else EXIT_VIOLATION)


def _measurements(folder: Path) -> list:
    """The folder's measurement files (none when it does not exist); a bad one is exit 2."""
    from inferplan.verify.measurement import MeasurementError, read_measurements

    if not folder.is_dir():
        return []
    try:
        return [(path.as_posix(), m) for path, m in read_measurements(folder)]
    except MeasurementError as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(2) from None
