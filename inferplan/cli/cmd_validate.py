"""``inferplan validate PATH...``: check spec files and report every problem at once."""

from __future__ import annotations

from pathlib import Path

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import EXIT_BAD_INPUT, exit_on_input_errors, print_problems


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def validate(context: CliContext, paths: tuple[Path, ...]) -> None:
    """Validate workload, environment and template files.

    PATHS are files or folders; folders are searched recursively for *.yaml and *.yml,
    skipping Pulumi's own Pulumi*.yaml files, what git ignores, and YAML that is not an
    inferplan document (Kubernetes manifests, catalog files: no 'apiVersion: inferplan/...' and
    no inferplan kind); the summary says how many were skipped. A file named on the command
    line is always checked. An environment's workload files are checked too. Problems go to
    stderr as file:line:col: field: message; exit code 2 if there is any.
    """
    from inputs.environment import Environment
    from inputs.errors import SpecError
    from inputs.loader import is_foreign_file, load_environment_workloads, load_file
    from inputs.paths import find_yaml_files

    with exit_on_input_errors():
        catalog = context.catalog_view
        templates = context.templates
        found, problems = find_yaml_files(paths)
        named = {path for path in paths if path.is_file()}
        files = [path for path in found if path in named or not is_foreign_file(path)]
        skipped = len(found) - len(files)
        checked: set[Path] = set(files)
        for path in files:
            try:
                loaded = load_file(path, catalog, templates=templates)
            except SpecError as error:
                problems += error.problems
                continue
            for item in loaded:
                if not isinstance(item, Environment):
                    continue
                checked.update(item.workload_files)
                try:
                    load_environment_workloads(item, catalog, templates=templates)
                except SpecError as error:
                    problems += error.problems

    note = f"; {skipped} skipped (not inferplan documents)" if skipped else ""
    if problems:
        count = print_problems(problems)
        noun = "problem" if count == 1 else "problems"
        click.echo(f"{count} {noun}; {len(checked)} file(s) checked{note}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT)
    click.echo(f"{len(checked)} file(s) valid{note}")
