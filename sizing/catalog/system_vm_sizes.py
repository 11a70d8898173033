"""VM sizes an AKS system pool may use (``kind: system_vm_sizes``), one document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from inferplan.sizing.catalog.loader import document_kind, register_kind
from inferplan.sizing.catalog.sourced import SourcedEntry, Strict, cite
from pydantic import Field

KIND = "system_vm_sizes"
MIN_VCPUS = 4  # "System node pools require a VM SKU of at least 4 vCPUs and 4 GB of memory"
MIN_MEMORY_GIB = 4


class _SizeDoc(SourcedEntry):
    name: Annotated[str, Field(pattern=r"^Standard_[A-Za-z0-9_]+$")]
    vcpus: Annotated[int, Field(ge=MIN_VCPUS)]
    memory_gib: Annotated[float, Field(ge=MIN_MEMORY_GIB)]


class _FileDoc(Strict):
    kind: Literal["system_vm_sizes"]
    schema_version: Literal[1]
    sources: dict[str, str]
    sizes: Annotated[list[_SizeDoc], Field(min_length=1)]


@dataclass(frozen=True)
class SystemVmSizes:
    vcpus_by_name: dict[str, int]
    origin: str


def parse_system_vm_sizes_document(data: dict[str, Any], origin: str) -> SystemVmSizes:
    doc = _FileDoc.model_validate(data)
    found: dict[str, int] = {}
    for index, size in enumerate(doc.sizes):
        where = f"{origin}: sizes[{index}] ({size.name})"
        cite(doc.sources, size.source, where=where)
        if size.name in found:
            raise ValueError(f"{where}: listed twice")
        found[size.name] = size.vcpus
    return SystemVmSizes(vcpus_by_name=found, origin=origin)


register_kind(document_kind(KIND, parse_system_vm_sizes_document))
