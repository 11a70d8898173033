"""``inferplan preview STACK``: the stack's resources, offline (Pulumi mocks, no cloud, no CLI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from inferplan.cli.context import CliContext

if TYPE_CHECKING:
    from sizing.plan import Plan
from inferplan.cli.errors_output import EXIT_VIOLATION, exit_on_input_errors


@click.command()
@click.argument("stack", default="dev")
@click.option(
    "--format", "fmt", type=click.Choice(["tree", "json"]), default="tree", show_default=True
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."
)
@click.pass_obj
def preview(context: CliContext, stack: str, fmt: str, output: Path | None) -> None:
    """Run the real Pulumi program for STACK under mocks and print what it would create.

    STACK is a name (stacks/STACK.yaml, default dev) or an environment file. The tree format
    starts with the stack's plan, then shows each resource's type, logical name, options and the
    inputs that matter; --format json lists every resource with all its inputs and options
    (secrets masked). Exit 1 when the plan cannot be deployed; --format json then prints
    no resources, the reasons (blocked) and the plan as `plan --format json` does.
    """
    from inferplan.cli.progress import progress_for
    from inferplan.offline.preview_tree import tree
    from inferplan.offline.registrations import capture_json
    from inferplan.offline.stack_run import run_stack_offline

    with progress_for(fmt, output) as step, exit_on_input_errors():
        step(f"planning {stack} and running its Pulumi program offline")
        run = run_stack_offline(
            stack, catalog_dirs=context.catalog_dirs, template_dirs=context.template_dirs
        )
    if fmt == "tree" and output is None:
        from inferplan.cli.plan_render import print_table

        print_table(run.plan, explain=False)
    if run.capture is None:
        for reason in run.blocked:
            click.echo(f"error: {reason}", err=True)
        if fmt == "json":  # as `plan --format json` does at exit 1: the plan says why
            _emit(blocked_json(run.plan, run.blocked), output)
        raise click.exceptions.Exit(EXIT_VIOLATION)
    if fmt == "json":
        text = capture_json(run.capture) + "\n"
    else:
        count = len(run.capture.resources)
        text = f"Stack {run.stack}: {count} resources (offline preview)\n" + tree(run.capture)
        exports = json.dumps(run.capture.exports, indent=2, sort_keys=True)
        text += f"Outputs:\n{exports}\n"
    _emit(text, output)


def blocked_json(plan: Plan, blocked: tuple[str, ...]) -> str:
    """The JSON of a preview the program refused to run: no resources, the reasons, and the
    plan (as ``plan --format json`` writes it) that shows which workload cannot be met."""
    from sizing.plan import plan_to_data

    data = {"resources": [], "exports": {}, "blocked": list(blocked), "plan": plan_to_data(plan)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _emit(text: str, output: Path | None) -> None:
    from inferplan.cli.output_files import write_atomically

    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, text)
