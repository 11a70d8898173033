"""``inferplan calibrate``: measurements of deployed endpoints into a catalog overlay."""

from __future__ import annotations

import json
from pathlib import Path

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import EXIT_BAD_INPUT


@click.command()
@click.option(
    "--measurements",
    "measurements_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder of measurement files written by `inferplan verify`.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the overlay (measured_corrections.yaml); pass it to `plan --catalog`.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_obj
def calibrate(context: CliContext, measurements_dir: Path, out_dir: Path, fmt: str) -> None:
    """Fit a bounded step-time correction per measured model x VM size x precision x engine
    version x tensor parallel, and write them as a catalog overlay.

    `inferplan plan --catalog OUT` then applies each correction to its own scope only; `plan
    --explain` says where one applied and from which measurement, and a correction that would
    flip an unmeasured layout between meeting and missing the SLO is reported, not applied.

    Exit codes: 0 written, 2 bad input (a measurement that does not validate, a model or VM
    size the catalog does not know).
    """
    from inferplan.verify.calibrate import CalibrationError, write_overlay
    from inferplan.verify.calibrate import calibrate as fit
    from inferplan.verify.measurement import MeasurementError, read_measurements

    try:
        found = read_measurements(measurements_dir)
        if not found:
            raise MeasurementError(f"{measurements_dir}: no measurement files (*.json)")
        named = [(_shown(path), m) for path, m in found]
        fitted, skipped = fit(named, catalog=context.catalog)
    except (MeasurementError, CalibrationError) as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    path = write_overlay(fitted, out_dir)
    for line in skipped:
        click.echo(f"skipped: {line}", err=True)
    if fmt == "json":
        data = [
            {
                "id": f.scope.id,
                "step_time_ratio": f.step_time_ratio,
                "residual_before": f.residual_before,
                "residual_after": f.residual_after,
                "clipped": f.clipped,
                "steps": f.steps,
                "measurements": list(f.measurements),
            }
            for f in fitted
        ]
        click.echo(json.dumps({"overlay": str(path), "corrections": data}, indent=2))
        return
    for f in fitted:
        bound = " (clipped to its bound)" if f.clipped else ""
        click.echo(
            f"{f.scope.id}: step time x{f.step_time_ratio:.3f}{bound}; residual "
            f"{f.residual_before:.3f} -> {f.residual_after:.3f} over {f.steps} step(s) of "
            f"{len(f.measurements)} measurement(s)"
        )
    click.echo(f"wrote {path}: use it with `inferplan --catalog {path.parent} plan ...`")


def _shown(path: Path) -> str:
    """The path as the team would commit it: relative to the working folder when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
