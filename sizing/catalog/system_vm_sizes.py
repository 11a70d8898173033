"""VM sizes an AKS system pool may use (``kind: system_vm_sizes``), one document."""

from __future__ import annotations

from typing import Any

from sizing.catalog.entries import SystemVmSizes
from sizing.catalog.file_schema import Loc, document_entries
from sizing.catalog.loader import document_kind, register_kind

KIND = "system_vm_sizes"


def system_vm_sizes_entries(data: dict[str, Any], origin: str) -> list[tuple[str, Loc, Any]]:
    return document_entries(SystemVmSizes, data, origin, unique={"sizes": "name"})


register_kind(
    document_kind(KIND, system_vm_sizes_entries, SystemVmSizes, label="system VM sizes catalog")
)
