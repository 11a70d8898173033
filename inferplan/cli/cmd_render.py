"""``inferplan render STACK --out DIR``: manifests, gateway policies and alert rules as files."""

from __future__ import annotations

from pathlib import Path

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import EXIT_VIOLATION, exit_on_input_errors


@click.command()
@click.argument("stack")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into (kubernetes/, apim/, alerts/); what a previous render wrote "
    "there is replaced, anything else is kept.",
)
@click.pass_obj
def render(context: CliContext, stack: str, out_dir: Path) -> None:
    """Write what the program for STACK would apply, for review and for scanners (checkov).

    The new folder is built beside DIR and swapped in once every file is written, so a failure
    leaves the previous render untouched and a reader never sees half of each. Files a previous
    render wrote (listed in DIR/.inferplan-render.json) are replaced; anything else in DIR is
    kept. Exit 1 when the plan cannot be deployed (nothing is written), 2 on bad input.
    """
    from inferplan.cli.output_files import replace_rendered_tree
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
    replace_rendered_tree(out_dir, files, stack=run.stack)
    click.echo(f"rendered {len(files)} file(s) for stack {run.stack} into {out_dir}")
