"""Prices of an environment's shared infrastructure (``kind: platform_prices``), one document."""

from __future__ import annotations

from typing import Any

from sizing.catalog.entries import PlatformPrices
from sizing.catalog.file_schema import Loc, document_entries
from sizing.catalog.loader import document_kind, register_kind

KIND = "platform_prices"


def platform_prices_entries(data: dict[str, Any], origin: str) -> list[tuple[str, Loc, Any]]:
    return document_entries(PlatformPrices, data, origin)


register_kind(
    document_kind(KIND, platform_prices_entries, PlatformPrices, label="platform prices catalog")
)
