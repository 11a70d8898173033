"""``inferplan diff --base REV [STACK...]``: what a pull request changes, as a PR comment.

A thin shell: `inferplan.review.diff_run` reads the base side with the base revision's own code
and catalogs (in a subprocess), the head side with the working tree's, and compares them.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import EXIT_BAD_INPUT, EXIT_OK


def _label_for_dir(path: Path) -> str:
    """A folder as the report names it: as given when relative, its name when absolute."""
    return path.name if path.is_absolute() else path.as_posix()


@click.command()
@click.argument("stacks", nargs=-1)
@click.option("--base", "base_rev", metavar="REV", help="Git revision to compare with.")
@click.option(
    "--base-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Another checkout to compare with, instead of --base.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."
)
@click.pass_obj
def diff(
    context: CliContext,
    stacks: tuple[str, ...],
    base_rev: str | None,
    base_dir: Path | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Compare the stacks of the working tree with a base revision, for a pull request.

    STACK is a name (stacks/STACK.yaml) or an environment file; default: every stack on either
    side (a stack on one side only is an environment added or removed). --base REV reads the
    base from git without touching the checkout; --base-dir DIR reads another checkout. Both
    sides are planned and previewed offline: the base with its own code and catalogs (when it
    has inferplan's code, in a subprocess), the head with this version of inferplan.

    Markdown (default) is one pull-request comment with a hidden marker per stack; --format
    json has the same content as data. Exit 0 when the diff is produced (warnings included), 2
    on bad input (a bad REV, a missing stack, spec errors on either side, named by side).
    """
    from contextlib import ExitStack

    from inferplan.cli.progress import progress_for
    from inferplan.review.diff_markdown import render_markdown
    from inferplan.review.diff_run import build_report
    from inferplan.review.git_base import BaseRevisionError, revision_tree
    from inferplan.review.stack_sides import SideInputError, SideOptions, Tree

    if (base_rev is None) == (base_dir is None):
        click.echo("error: give exactly one of --base REV and --base-dir DIR", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT)
    head = Tree(Path(), "head", "working tree", policy=True)
    with ExitStack() as stack:
        try:
            if base_rev is not None:
                base = Tree(stack.enter_context(revision_tree(base_rev)), "base", base_rev)
            else:
                assert base_dir is not None
                base = Tree(base_dir, "base", _label_for_dir(base_dir))
            options = SideOptions(context.catalog_dirs, context.template_dirs)
            with progress_for(fmt, output) as step:
                report = build_report(base, head, stacks, options, progress=step)
        except BaseRevisionError as error:
            click.echo(f"error: {error}", err=True)
            raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
        except SideInputError as error:
            for line in error.lines:
                click.echo(line, err=True)
            raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    _note_measurements(report, Path("measurements"))
    if fmt == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_markdown(report)
    if output is None:
        click.echo(text, nl=False)
    else:
        from inferplan.cli.output_files import write_atomically

        write_atomically(output, text)
    raise click.exceptions.Exit(EXIT_OK)


def _note_measurements(report: dict, folder: Path) -> None:
    """Warn on changed workloads whose newest measurement (the working tree's measurements/,
    written by `inferplan verify`) disagreed with the plan; a bad measurement file is exit 2."""
    if not folder.is_dir():
        return
    from inferplan.review.measured_notes import add_measurement_notes
    from inferplan.verify.measurement import MeasurementError, read_measurements

    try:
        found = read_measurements(folder)
    except MeasurementError as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    add_measurement_notes(report, [(path.as_posix(), m) for path, m in found])
