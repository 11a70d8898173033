"""``inferplan catalog list KIND``: what the catalog (built-in plus ``--catalog`` folders) holds.

Each kind prints its ids with the figures a planner looks at first, and the source date, as a
table or as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import exit_on_input_errors

KINDS = ("gpus", "vm-sizes", "models", "regions", "deployment-types")


def _gpus(catalog: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": g.id,
            "aliases": list(g.aliases),
            "memory_gib": round(g.memory_bytes / 1024**3, 1),
            "hbm_tb_per_s": round(g.hbm_bandwidth_bytes_per_s / 1e12, 2),
            "dense_tflops": {k: round(v / 1e12) for k, v in g.dense_flops_per_s.items()},
            "interconnect": g.interconnect,
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


LISTERS: dict[str, Callable[[Any], list[dict[str, Any]]]] = {
    "gpus": _gpus,
    "vm-sizes": _vm_sizes,
    "models": _models,
    "regions": _regions,
    "deployment-types": _deployment_types,
}


@click.group()
def catalog() -> None:
    """Look at the catalog: GPUs, VM sizes, models, regions, Azure OpenAI deployment types."""


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
