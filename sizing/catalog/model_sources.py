"""Which Hugging Face organisations gate their repositories (``kind: model_sources``)."""

from __future__ import annotations

from typing import Any

from sizing.catalog.entries import ModelSources
from sizing.catalog.file_schema import Loc, document_entries
from sizing.catalog.loader import document_kind, register_kind

KIND = "model_sources"


def model_sources_entries(data: dict[str, Any], origin: str) -> list[tuple[str, Loc, Any]]:
    return document_entries(ModelSources, data, origin)


register_kind(
    document_kind(KIND, model_sources_entries, ModelSources, label="model sources catalog")
)
