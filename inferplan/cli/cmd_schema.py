"""``inferplan schema``: the JSON Schema of the spec kinds, for editors and for reference."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--kind",
    type=click.Choice(["workload", "environment", "template", "all"]),
    default="all",
    show_default=True,
    help="Which document kind; 'all' accepts either, chosen by the document's kind.",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write <kind>.schema.json files into this folder instead of printing "
    "(with --kind all: every file).",
)
def schema(kind: str, output: Path | None) -> None:
    """Print or write the JSON Schema of workload, environment and template files.

    Point yaml-language-server at it with a first line such as
    '# yaml-language-server: $schema=../schema/workload.schema.json'.
    """
    from inputs.schema_export import SCHEMA_FILE_NAMES, schema_text

    if output is None:
        click.echo(schema_text(kind), nl=False)  # type: ignore[arg-type]
        return
    kinds = list(SCHEMA_FILE_NAMES) if kind == "all" else [kind]
    try:
        output.mkdir(parents=True, exist_ok=True)
        for name in kinds:
            target = output / SCHEMA_FILE_NAMES[name]
            target.write_text(schema_text(name), encoding="utf-8")  # type: ignore[arg-type]
            click.echo(f"wrote {target}", err=True)
    except OSError as error:
        click.echo(f"{output}: cannot write schema: {error.strerror or error}", err=True)
        raise click.exceptions.Exit(2) from None
