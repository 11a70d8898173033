"""Serving engine releases (``kind: engines``), one document: the version-specific facts the
plans rely on (scheduler defaults, memory share, port, metric names, routes the API key covers)
in one entry per release, so moving to another release is a data change.
"""

from __future__ import annotations

from typing import Any

from sizing.catalog.entries import EngineCatalog, EngineRelease
from sizing.catalog.file_schema import Loc, document_entries
from sizing.catalog.loader import Catalog, default_catalog, document_kind, register_kind

KIND = "engines"


def engines_entries(data: dict[str, Any], origin: str) -> list[tuple[str, Loc, Any]]:
    return document_entries(EngineCatalog, data, origin, unique={"engines": "id"})


register_kind(document_kind(KIND, engines_entries, EngineCatalog, label="engines catalog"))


def pinned_engine(catalog: Catalog | None = None) -> EngineRelease:
    """The release the plans deploy (the built-in catalog's unless one is given)."""
    return (catalog or default_catalog()).document(KIND).pinned_release()


def engine_release_for(version: tuple[int, ...] | None, catalog: Catalog | None = None):
    """The listed release whose defaults an engine of ``version`` runs with (see
    `EngineCatalog.release_for`)."""
    return (catalog or default_catalog()).document(KIND).release_for(version)
