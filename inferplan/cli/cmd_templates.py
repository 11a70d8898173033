"""``inferplan templates list|show``: the approved workload templates a team can start from."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import EXIT_BAD_INPUT, exit_on_input_errors, print_problems

if TYPE_CHECKING:
    from inputs.template import WorkloadTemplate

FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)


@click.group()
def templates() -> None:
    """List and show approved workload templates.

    Templates are files named <name>@<version>.yaml in the --templates folders, the folders of
    $INFERPLAN_TEMPLATE_PATH and ./templates, searched in that order. A workload uses one with
    'spec.template: <name>@<version>'.
    """


@templates.command(name="list")
@FORMAT_OPTION
@click.pass_obj
def list_templates(context: CliContext, fmt: str) -> None:
    """Every template: name, latest version, all versions, owner and description.

    Broken template files are reported on stderr (exit code 2); the valid ones are listed.
    """
    with exit_on_input_errors():
        loaded, problems = context.templates.load_all()
    by_name: dict[str, list[WorkloadTemplate]] = {}
    for template in loaded:
        by_name.setdefault(template.name, []).append(template)
    rows = [
        {
            "name": name,
            "latest": versions[-1].version,
            "versions": [t.version for t in versions],
            "owner": versions[-1].metadata.owner,
            "description": versions[-1].metadata.description,
            "undeployable": [
                flag
                for t in versions
                if (flag := undeployable_flag(context.catalog, t, versions)) is not None
            ],
        }
        for name, versions in sorted(by_name.items())
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif rows:
        _print_table(
            ["NAME", "LATEST", "VERSIONS", "OWNER", "DESCRIPTION"],
            [
                [r["name"], r["latest"], ", ".join(r["versions"]), r["owner"], r["description"]]
                for r in rows
            ],
        )
        for r in rows:
            for flag in r["undeployable"]:
                click.echo(f"warning: {flag_text(flag)}")
    else:
        click.echo(f"no templates found (searched {context.templates.describe_search()})")
    if problems:
        print_problems(problems)
        raise click.exceptions.Exit(EXIT_BAD_INPUT)


@templates.command()
@click.argument("reference", metavar="NAME[@VERSION]")
@FORMAT_OPTION
@click.pass_obj
def show(context: CliContext, reference: str, fmt: str) -> None:
    """One template (the latest version when none is given): what it fixes, what a workload
    may override and within which bounds, and what a workload must set."""
    from inputs.template import TEMPLATE_VERSION_PATTERN
    from inputs.template_resolution import UnknownTemplateError, published_version

    name, at, asked = reference.partition("@")
    if at and not re.fullmatch(TEMPLATE_VERSION_PATTERN, asked):
        click.echo(
            f"{reference}: not a template reference: write NAME or NAME@VERSION with a version "
            "such as 2 or 1.3",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_BAD_INPUT)
    library = context.templates
    try:
        version = published_version(library, name, asked or None)
    except UnknownTemplateError as error:
        click.echo(f"{reference}: {error}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    with exit_on_input_errors():
        template = library.template(name, version)
    versions = list(library.versions(name))
    data = template_data(template, versions)
    siblings = [library.template(name, v) for v in versions]
    data["undeployable"] = undeployable_flag(context.catalog, template, siblings)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_template(data)


def undeployable_flag(
    catalog: Any, template: WorkloadTemplate, versions: list[WorkloadTemplate]
) -> dict[str, Any] | None:
    """A template whose fixed model a new subscription cannot deploy (deprecated or retired on
    the Azure OpenAI catalog's date): the model, its stage, and what to use instead (the latest
    version of the same template whose fixed model is deployable, else the replacement model).
    None when the template fixes no such model."""
    from inputs.template import value_at
    from sizing.azure_openai.lifecycle import model_verdict

    found, model = value_at(template.fixed, "model")
    verdict = model_verdict(catalog, model) if found and isinstance(model, str) else None
    if verdict is None or verdict.deployable:
        return None
    newer = [
        t.ref for t in versions if (v := _fixed_verdict(catalog, t)) is not None and v.deployable
    ]
    return {
        "ref": template.ref,
        "model": verdict.model,
        "version": verdict.version,
        "stage": verdict.stage,
        "use_template": newer[-1] if newer else None,
        "use_model": verdict.use,
    }


def _fixed_verdict(catalog: Any, template: WorkloadTemplate) -> Any:
    from inputs.template import value_at
    from sizing.azure_openai.lifecycle import model_verdict

    found, model = value_at(template.fixed, "model")
    return model_verdict(catalog, model) if found and isinstance(model, str) else None


def flag_text(flag: dict[str, Any]) -> str:
    """One line for people: which template, why it cannot be deployed, what to use."""
    use = [f"use {flag['use_template']}"] if flag["use_template"] else []
    if flag["use_model"]:
        use.append(f"{'or' if use else 'use'} a workload on spec.model {flag['use_model']}")
    return (
        f"{flag['ref']} fixes {flag['model']} {flag['version']}, which is {flag['stage']}: a new "
        f"subscription cannot deploy it; {' '.join(use) or 'no deployable replacement is known'}"
    )


def template_data(template: WorkloadTemplate, versions: list[str]) -> dict[str, Any]:
    """Everything `show` prints, as plain JSON-ready data."""
    from inputs.template import value_at

    return {
        "ref": template.ref,
        "name": template.name,
        "version": template.version,
        "latest": versions[-1],
        "versions": versions,
        "description": template.metadata.description,
        "owner": template.metadata.owner,
        "file": template.source.file,
        "fixed": {p: _plain(value_at(template.fixed, p)[1]) for p in template.fixed_paths()},
        "defaults": {
            p: _plain(value_at(template.defaults, p)[1]) for p in template.default_paths()
        },
        "overridable": {
            path: {
                "kind": bound.kind,
                "bounds": bound.describe(),
                "min": bound.minimum,
                "max": bound.maximum,
                "allowed": list(bound.allowed) if bound.allowed is not None else None,
                "description": bound.description,
            }
            for path, bound in template.bounds.items()
        },
        "required": list(template.required),
    }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(item) for item in value) + "]"
    return str(value)


def _print_template(data: dict[str, Any]) -> None:
    latest = " (latest)" if data["version"] == data["latest"] else f" (latest: {data['latest']})"
    click.echo(f"{data['ref']}{latest}: {data['description']}")
    if data.get("undeployable"):
        click.echo(f"warning: {flag_text(data['undeployable'])}")
    click.echo(f"owner: {data['owner']}")
    click.echo(f"file: {data['file']}")
    click.echo(f"versions: {', '.join(data['versions'])}")
    sections: list[tuple[str, list[list[str]]]] = [
        (
            "fixed (a workload cannot change these)",
            [[path, _text(value)] for path, value in data["fixed"].items()],
        ),
        (
            "defaults (a workload gets these unless it sets them)",
            [[path, _text(value)] for path, value in data["defaults"].items()],
        ),
        (
            "overridable (a workload may set these, within the bounds)",
            [
                [path, entry["bounds"], entry["description"]]
                for path, entry in data["overridable"].items()
            ],
        ),
        ("required (a workload must set these)", [[path] for path in data["required"]]),
    ]
    for title, rows in sections:
        click.echo(f"\n{title}:")
        if not rows:
            click.echo("  (none)")
            continue
        if title.startswith("overridable"):
            rows = [["FIELD", "BOUNDS", "WHY"], *rows]
        _print_table(None, rows, indent="  ")


def _print_table(header: list[str] | None, rows: list[list[str]], *, indent: str = "") -> None:
    table = [header, *rows] if header else rows
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        click.echo(indent + "  ".join(cells).rstrip())
