"""Which Azure resource types can be reached from public networks, and which of their inputs close
them: the table ``data/public_network_access.yaml`` (sourced, one entry per type), read once into
typed entries for the rule ``public-network-access`` (``exposure``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TABLE_FILE = Path(__file__).with_name("data") / "public_network_access.yaml"
DISABLED = "Disabled"


@dataclass(frozen=True)
class PublicAccessEntry:
    """One resource type: the input paths that must be ``Disabled``, where that fact comes from,
    and why the type stays public, when it does on purpose."""

    type: str
    paths: tuple[str, ...]
    source: str
    public_by_design: str | None = None


def parse_table(data: Mapping[str, Any], origin: str) -> dict[str, PublicAccessEntry]:
    """The table from its YAML document; a malformed entry is a programming error (the file
    ships with the code), said with the entry's place in ``origin``."""
    sources = data.get("sources") or {}
    entries: dict[str, PublicAccessEntry] = {}
    for index, raw in enumerate(data.get("types") or ()):
        where = f"{origin}: types[{index}]"
        paths = raw.get("paths")
        if not isinstance(raw.get("type"), str) or not paths or not isinstance(paths, list):
            raise ValueError(f"{where}: needs a type and a non-empty list of paths")
        if raw.get("source") not in sources:
            raise ValueError(f"{where}: source {raw.get('source')!r} is not in sources")
        if raw["type"] in entries:
            raise ValueError(f"{where}: {raw['type']} is listed twice")
        entries[raw["type"]] = PublicAccessEntry(
            type=raw["type"],
            paths=tuple(str(p) for p in paths),
            source=str(raw["source"]),
            public_by_design=raw.get("public_by_design"),
        )
    return entries


@cache
def public_access_table() -> dict[str, PublicAccessEntry]:
    """The shipped table, by resource type token."""
    return parse_table(yaml.safe_load(TABLE_FILE.read_text(encoding="utf-8")), TABLE_FILE.name)


def public_access_keys(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every ``(dotted path, value)`` under ``value`` whose key names public network access
    (``publicNetworkAccess``, ``publicNetworkAccessForQuery``, ...), at any depth: how a type
    missing from the table is still noticed."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            path = f"{prefix}{key}"
            if "publicnetworkaccess" in str(key).lower():
                yield path, inner
            yield from public_access_keys(inner, f"{path}.")
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            yield from public_access_keys(inner, f"{prefix}{index}.")
