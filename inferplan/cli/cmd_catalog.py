"""``inferplan catalog list KIND``: what the catalog (built-in plus ``--catalog`` folders) holds.

Each kind prints its ids with the figures a planner looks at first, and the source date, as a
table or as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import EXIT_BAD_INPUT, exit_on_input_errors

KINDS = ("gpus", "vm-sizes", "models", "regions", "deployment-types", "azure-openai", "freshness")


def _gpus(catalog: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": g.id,
            "aliases": list(g.aliases),
            "memory_gib": round(g.memory_bytes / 1024**3, 1),
            "hbm_tb_per_s": round(g.hbm_bandwidth_bytes_per_s / 1e12, 2),
            "dense_tflops": {k: round(v / 1e12) for k, v in g.dense_flops_per_s.items()},
            "interconnect": g.interconnect,
            # MIG profiles a pool of this GPU can be split into: MIG1g=1g.10gb x7 ...
            "mig": [f"{p.profile}={p.name} x{p.instances_per_gpu}" for p in g.mig_profiles],
            "date": g.provenance.date,
        }
        for g in catalog.gpus.values()
    ]


def _vm_sizes(catalog: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": s.name,
            "family": s.family,
            "gpu": s.gpu,
            "gpus": s.gpus,
            "gpu_fraction": s.gpu_fraction,
            "vcpus": s.vcpus,
            "memory_gib": round(s.memory_bytes / 1024**3),
            "aks": s.aks_supported,
            "zonal": s.zonal,
            "host_architecture": s.host_architecture,
            "gpu_driver": s.gpu_driver,
            "regions": list(s.regions),
            "usd_per_hour": {r: p.usd_per_hour for r, p in s.prices.items()},
            "date": s.regions_provenance.date,
        }
        for s in catalog.vm_skus.values()
    ]


def _models(catalog: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": m.id,
            "aliases": list(m.aliases),
            "hosting": m.hosting,
            "task": m.task,
            "params_b": round(m.params_total / 1e9, 1) if m.params_total else None,
            "active_params_b": round(m.params_active / 1e9, 1) if m.params_active else None,
            "max_context_tokens": m.max_context_tokens,
            "license": m.license,
            "date": m.provenance.date,
        }
        for m in catalog.models.values()
    ]


def _regions(catalog: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": r.name,
            "display_name": r.display_name,
            "geography": r.geography,
            "availability_zones": r.availability_zones,
            "paired_region": r.paired_region,
        }
        for r in catalog.regions.values()
    ]


def _deployment_types(catalog: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": d.name,
            "billing": d.billing,
            "residency_scope": d.residency_scope,
            "capacity_unit": d.capacity_unit,
            "interactive": d.interactive,
            "date": d.date,
        }
        for d in catalog.azure_openai.deployment_types.values()
    ]


def _azure_openai(catalog: Any) -> list[dict[str, Any]]:
    """Every model version Azure sells (Azure OpenAI, and other publishers' Foundry Models with
    their deployment format) with its lifecycle stage on the catalog's date and the deployable
    model to use when a new deployment cannot get it."""
    from sizing.azure_openai.lifecycle import replacement, version_life

    aoai = catalog.azure_openai
    rows = []
    for model in aoai.models.values():
        for version in model.versions:
            life = version_life(model, version, aoai.compiled)
            entry = model.retirements.get(version)
            rows.append(
                {
                    "model": model.id,
                    "format": model.format,
                    "version": version,
                    "stage": life.stage,
                    "retirement": entry.retirement if entry else None,
                    "use": None if life.deployable else replacement(aoai, model, version),
                    "offers": list(model.offers),
                    "date": entry.date if entry else None,
                }
            )
    return rows


def _freshness(catalog: Any) -> list[dict[str, Any]]:
    """The day each family of facts was last checked, and the command that refreshes it
    (`inferplan check` and `preflight` say when one is older than 90 days)."""
    from sizing.catalog.freshness import REFRESH_COMMAND, checked_dates

    return [
        {"family": family, "checked": checked, "refresh": REFRESH_COMMAND[family]}
        for family, checked in checked_dates(catalog).items()
    ]


LISTERS: dict[str, Callable[[Any], list[dict[str, Any]]]] = {
    "gpus": _gpus,
    "vm-sizes": _vm_sizes,
    "models": _models,
    "regions": _regions,
    "deployment-types": _deployment_types,
    "azure-openai": _azure_openai,
    "freshness": _freshness,
}


@click.group()
def catalog() -> None:
    """Look at the catalog (GPUs, VM sizes, models, regions, Azure OpenAI deployment types and
    model versions, freshness) and refresh it from Azure's APIs."""


@catalog.command("list")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_obj
def list_kind(context: CliContext, kind: str, fmt: str) -> None:
    """List every catalog entry of KIND, with its main figures and the date they were read."""
    with exit_on_input_errors():
        rows = LISTERS[kind](context.catalog)
    if fmt == "json":
        click.echo(json.dumps({kind: rows}, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"catalog: {kind}")
    columns = list(rows[0]) if rows else []
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(_text(row[c])) for c in columns))
    Console(width=240).print(table)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return "-" if value is None else str(value)


@catalog.group()
def refresh() -> None:
    """Rewrite catalog files from Azure's APIs and print what changed (docs/catalogs.md)."""


REFRESH_OPTIONS = [
    click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Catalog folder to rewrite (default: the built-in sizing/catalog/data).",
    ),
    click.option("--date", default=None, help="Date to record (default: today, UTC)."),
    click.option(
        "--recorded",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=None,
        help="Replay recorded Azure answers instead of calling Azure.",
    ),
]


def _with_refresh_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(REFRESH_OPTIONS):
        command = option(command)
    return command


@refresh.command("prices")
@_with_refresh_options
def refresh_prices_command(data_dir: Path | None, date: str | None, recorded: Path | None) -> None:
    """VM and Azure OpenAI token prices from the public Azure Retail Prices API (no login)."""
    from inferplan.preflight.catalog_refresh import refresh_prices
    from sizing.catalog.loader import BUILTIN_DATA_DIR

    folder = data_dir or BUILTIN_DATA_DIR
    _run_refresh(
        lambda client, day: refresh_prices(folder, client, date=day, builtin=BUILTIN_DATA_DIR),
        date=date,
        recorded=recorded,
        credentials=False,
    )


@refresh.command("models")
@_with_refresh_options
@click.option(
    "--subscription",
    default=None,
    help="Subscription whose models API to read (default: $AZURE_SUBSCRIPTION_ID).",
)
def refresh_models_command(
    data_dir: Path | None, date: str | None, recorded: Path | None, subscription: str | None
) -> None:
    """Azure OpenAI lifecycle stages, retirement dates and region lists from the models API
    (Reader on the subscription; azure-identity credentials: `az login` or a managed identity)."""
    import os

    from inferplan.preflight.catalog_refresh import refresh_models
    from inferplan.preflight.stack_inputs import _GUID as GUID
    from sizing.catalog.loader import BUILTIN_DATA_DIR

    subscription_id = subscription or os.environ.get("AZURE_SUBSCRIPTION_ID")
    if not subscription_id or not GUID.match(subscription_id):
        click.echo(
            "error: --subscription (or $AZURE_SUBSCRIPTION_ID) must be a subscription id, "
            "a GUID such as 00000000-0000-0000-0000-000000000000",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_BAD_INPUT)
    folder = data_dir or BUILTIN_DATA_DIR
    _run_refresh(
        lambda client, day: refresh_models(
            folder, client, subscription_id=subscription_id, date=day
        ),
        date=date,
        recorded=recorded,
        credentials=True,
    )


def _run_refresh(
    run: Callable[[Any, str], tuple[dict[Path, str], list[str]]],
    *,
    date: str | None,
    recorded: Path | None,
    credentials: bool,
) -> None:
    """Ask Azure (or the recording), write the files that change, print their diff summary;
    exit 2 on bad input (no credentials, an answer the recording lacks, an API error)."""
    import datetime as dt

    from inferplan.preflight.catalog_refresh import diff_summary
    from inferplan.preflight.client import AzureApiError, AzureClient, NoCredentials
    from inferplan.preflight.recorded import RecordedTransport, RecordingMissing

    day = date or dt.datetime.now(dt.UTC).date().isoformat()
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        click.echo(f"error: --date {day!r} is not a date (YYYY-MM-DD)", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    try:
        if recorded is not None:
            client = AzureClient(RecordedTransport.from_file(recorded), sleep=lambda _s: None)
        else:
            from inferplan.preflight.client import RequestsTransport, default_token_provider

            token = default_token_provider() if credentials else None
            client = AzureClient(RequestsTransport(), token=token)
        changed, notes = run(client, day)
    except (NoCredentials, RecordingMissing, AzureApiError) as error:
        click.echo(f"error: {error}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    for note in notes:
        click.echo(f"note: {note}", err=True)
    for path, text in sorted(changed.items()):
        old = path.read_text(encoding="utf-8")
        summary = diff_summary(path, old, text)
        click.echo(summary, nl=False)
        path.write_text(text, encoding="utf-8")
        body = [line for line in summary.splitlines() if not line.startswith(("---", "+++"))]
        removed = sum(1 for line in body if line.startswith("-"))
        added = sum(1 for line in body if line.startswith("+"))
        click.echo(f"{path}: {removed} line(s) replaced by {added}")
    if not changed:
        click.echo("catalog unchanged")
