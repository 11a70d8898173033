"""``inferplan schema``: the JSON Schema of the spec kinds, for editors and for reference."""

from __future__ import annotations

from pathlib import Path

import click

MEASUREMENT = "measurement"


@click.command()
@click.option(
    "--kind",
    type=click.Choice(["workload", "environment", "template", "measurement", "all"]),
    default="all",
    show_default=True,
    help="Which document kind; 'all' accepts either spec kind, chosen by the document's kind "
    "(measurement: the files `inferplan verify` writes).",
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

    def text_of(name: str) -> str:
        if name == MEASUREMENT:
            from inferplan.verify.measurement import measurement_schema_text

            return measurement_schema_text()
        return schema_text(name)  # type: ignore[arg-type]

    if output is None:
        click.echo(text_of(kind), nl=False)
        return
    files = {**SCHEMA_FILE_NAMES, MEASUREMENT: "measurement.schema.json"}
    kinds = list(files) if kind == "all" else [kind]
    try:
        output.mkdir(parents=True, exist_ok=True)
        for name in kinds:
            target = output / files[name]
            target.write_text(text_of(name), encoding="utf-8")
            click.echo(f"wrote {target}", err=True)
    except OSError as error:
        click.echo(f"{output}: cannot write schema: {error.strerror or error}", err=True)
        raise click.exceptions.Exit(2) from None
