"""The catalog files: one pydantic model per file kind, and how its entries become the catalog's.

A file holds a header (``kind``, ``schema_version``, ``sources``) and a list of entries whose
class (`sizing.catalog.entries`) is both their schema and the value sizing reads. The
``*_entries`` functions check what one entry cannot check alone (its source keys exist in the
file's ``sources:``; a price belongs to a listed region) and attach each entry's `Provenance`
with the full citations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from sizing.catalog.entries import (
    CatalogDocument,
    GpuSpec,
    ModelSpec,
    PositiveFloat,
    PrecisionSpec,
    Provenance,
    Region,
    SourcedEntry,
    VmSku,
)

Loc = tuple[str | int, ...]
DocumentT = TypeVar("DocumentT", bound=CatalogDocument)


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


def _sourced(file: CatalogFileHeader | CatalogDocument, entry: SourcedEntry, loc: Loc) -> None:
    entry._provenance = provenance(file.sources, entry.source, entry.date, loc)


def sourced_entries(file: CatalogFileHeader, field: str, key: str = "id") -> list:
    """``(name, location, entry)`` for every entry of the file's list ``field``, each with its
    provenance resolved against the file's sources: the shape most catalog kinds share."""
    out = []
    for index, entry in enumerate(getattr(file, field)):
        loc: Loc = (field, index)
        _sourced(file, entry, loc)
        out.append((getattr(entry, key), loc, entry))
    return out


class ModelsFile(CatalogFileHeader):
    kind: Literal["models"]
    models: list[ModelSpec]


def model_entries(file: ModelsFile) -> list[tuple[str, Loc, ModelSpec]]:
    return sourced_entries(file, "models")


class GpusFile(CatalogFileHeader):
    kind: Literal["gpus"]
    gpus: list[GpuSpec]


def gpu_entries(file: GpusFile) -> list[tuple[str, Loc, GpuSpec]]:
    return sourced_entries(file, "gpus")


class PrecisionsFile(CatalogFileHeader):
    kind: Literal["precisions"]
    precisions: list[PrecisionSpec]


def precision_entries(file: PrecisionsFile) -> list[tuple[str, Loc, PrecisionSpec]]:
    return sourced_entries(file, "precisions")


class RegionsFile(CatalogFileHeader):
    kind: Literal["regions"]
    regions: list[Region]


def region_entries(file: RegionsFile) -> list[tuple[str, Loc, Region]]:
    return sourced_entries(file, "regions", key="name")


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


def _sourced_parts(value: object, loc: Loc) -> Iterator[tuple[Loc, SourcedEntry]]:
    if isinstance(value, SourcedEntry):
        yield loc, value
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            yield from _sourced_parts(item, (*loc, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _sourced_parts(item, (*loc, key))


def document_entries(
    model: type[DocumentT], data: dict[str, Any], origin: str, *, unique: Mapping[str, str] = {}
) -> list[tuple[str, Loc, DocumentT]]:
    """A document kind's parser: validate ``data`` as ``model``, resolve every entry's source
    keys into its `Provenance`, and refuse an id listed twice (``unique``: list field -> the
    entry field that names it). Returns the one ``(kind, (), document)`` the loader keeps."""
    document = model.model_validate(data)
    for name in type(document).model_fields:
        if name == "sources":
            continue
        for loc, entry in _sourced_parts(getattr(document, name), (name,)):
            _sourced(document, entry, loc)  # type: ignore[arg-type]
    for list_field, id_field in unique.items():
        seen: set[str] = set()
        for index, entry in enumerate(getattr(document, list_field)):
            key = getattr(entry, id_field)
            if key in seen:
                raise EntryProblem((list_field, index, id_field), f"{key!r} is listed twice")
            seen.add(key)
    document._origin = origin
    return [(document.kind, (), document)]  # type: ignore[attr-defined]
