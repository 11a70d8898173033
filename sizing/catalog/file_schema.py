"""The catalog files: one pydantic model per file kind, and how its entries become the catalog's.

A file holds a header (``kind``, ``schema_version``, ``sources``) and a list of entries whose
class (`inferplan.sizing.catalog.entries`) is both their schema and the value sizing reads. The
``*_entries`` functions check what one entry cannot check alone (its source keys exist in the
file's ``sources:``; a price belongs to a listed region) and attach each entry's `Provenance`
with the full citations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Literal

from inferplan.sizing.catalog.entries import (
    GpuSpec,
    ModelSpec,
    PositiveFloat,
    PrecisionSpec,
    Provenance,
    Region,
    SourcedEntry,
    VmSku,
)
from pydantic import BaseModel, ConfigDict, Field

Loc = tuple[str | int, ...]


class EntryProblem(Exception):
    """A rule that pydantic cannot check alone failed at ``loc`` inside one file."""

    def __init__(self, loc: Loc, message: str) -> None:
        self.loc = loc
        self.message = message
        super().__init__(message)


class CatalogFileHeader(BaseModel):
    """Fields every catalog file has, whatever its kind."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    schema_version: Literal[1]
    description: str | None = None
    sources: Annotated[dict[str, str], Field(description="source key -> full citation")] = {}


def provenance(sources: Mapping[str, str], keys: Sequence[str], date: str, loc: Loc) -> Provenance:
    """The `Provenance` of an entry: its sources' full citations joined by ``; ``."""
    citations = []
    for index, key in enumerate(keys):
        if key not in sources:
            known = ", ".join(sorted(sources)) or "none"
            raise EntryProblem(
                (*loc, "source", index), f"unknown source key {key!r}; this file defines: {known}"
            )
        citations.append(sources[key])
    return Provenance(source="; ".join(citations), date=date)


def _sourced(file: CatalogFileHeader, entry: SourcedEntry, loc: Loc) -> None:
    entry._provenance = provenance(file.sources, entry.source, entry.date, loc)


class ModelsFile(CatalogFileHeader):
    kind: Literal["models"]
    models: list[ModelSpec]


def model_entries(file: ModelsFile) -> list[tuple[str, Loc, ModelSpec]]:
    out = []
    for index, entry in enumerate(file.models):
        loc: Loc = ("models", index)
        _sourced(file, entry, loc)
        out.append((entry.id, loc, entry))
    return out


class GpusFile(CatalogFileHeader):
    kind: Literal["gpus"]
    gpus: list[GpuSpec]


def gpu_entries(file: GpusFile) -> list[tuple[str, Loc, GpuSpec]]:
    out = []
    for index, entry in enumerate(file.gpus):
        loc: Loc = ("gpus", index)
        _sourced(file, entry, loc)
        out.append((entry.id, loc, entry))
    return out


class PrecisionsFile(CatalogFileHeader):
    kind: Literal["precisions"]
    precisions: list[PrecisionSpec]


def precision_entries(file: PrecisionsFile) -> list[tuple[str, Loc, PrecisionSpec]]:
    out = []
    for index, entry in enumerate(file.precisions):
        loc: Loc = ("precisions", index)
        _sourced(file, entry, loc)
        out.append((entry.id, loc, entry))
    return out


class RegionsFile(CatalogFileHeader):
    kind: Literal["regions"]
    regions: list[Region]


def region_entries(file: RegionsFile) -> list[tuple[str, Loc, Region]]:
    out = []
    for index, entry in enumerate(file.regions):
        loc: Loc = ("regions", index)
        _sourced(file, entry, loc)
        out.append((entry.name, loc, entry))
    return out


class VmSkusFile(CatalogFileHeader):
    kind: Literal["vm_skus"]
    estimate_multipliers: Annotated[
        dict[str, PositiveFloat],
        Field(description="region -> price multiplier relative to eastus, for estimates"),
    ] = {}
    vm_skus: list[VmSku]


def vm_sku_entries(file: VmSkusFile) -> list[tuple[str, Loc, VmSku]]:
    out = []
    for index, entry in enumerate(file.vm_skus):
        loc: Loc = ("vm_skus", index)
        for region, price in entry.prices.items():
            price_loc = (*loc, "prices", region)
            if region not in entry.regions:
                raise EntryProblem(
                    price_loc, f"price for {region!r}, which `regions` does not list"
                )
            price._provenance = provenance(file.sources, price.source, price.date, price_loc)
        _sourced(file, entry, loc)
        entry._regions_provenance = provenance(
            file.sources, entry.regions_source, entry.regions_date, loc
        )
        out.append((entry.name, loc, entry))
    return out
