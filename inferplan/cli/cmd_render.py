"""``inferplan render STACK --out DIR``: manifests, gateway policies and alert rules as files."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import EXIT_VIOLATION, exit_on_input_errors

RENDERED_DIRS = ("kubernetes", "apim", "alerts")


@click.command()
@click.argument("stack")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into; its kubernetes/, apim/ and alerts/ subfolders are replaced.",
)
@click.pass_obj
def render(context: CliContext, stack: str, out_dir: Path) -> None:
    """Write what the program for STACK would apply, for review and for scanners (checkov).

    Files are written to a temporary folder first and moved into place only when all are
    written, so a failure leaves the previous render untouched. Exit 1 when the plan cannot be
    deployed (nothing is written), 2 on bad input.
    """
    from inferplan.cli.progress import progress_for
    from inferplan.offline.render import render_files
    from inferplan.offline.stack_run import run_stack_offline

    with progress_for("files", out_dir) as step, exit_on_input_errors():
        step(f"planning {stack} and running its Pulumi program offline")
        run = run_stack_offline(
            stack, catalog_dirs=context.catalog_dirs, template_dirs=context.template_dirs
        )
    if run.capture is None:
        for reason in run.blocked:
            click.echo(f"error: {reason}", err=True)
        raise click.exceptions.Exit(EXIT_VIOLATION)
    files = render_files(run.capture)
    write_tree(out_dir, files)
    click.echo(f"rendered {len(files)} file(s) for stack {run.stack} into {out_dir}")


def write_tree(out_dir: Path, files: dict[str, str]) -> None:
    """Replace the rendered subfolders of ``out_dir`` with ``files`` in one step per folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".render-", dir=out_dir))
    try:
        for rel, text in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
        for sub in RENDERED_DIRS:
            old = out_dir / sub
            if old.exists():
                shutil.rmtree(old)
            if (staging / sub).exists():
                (staging / sub).rename(old)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
