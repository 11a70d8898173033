"""Catalogs of models, GPUs, precisions, Azure VM sizes and regions, with sources and dates.

>>> cat = default_catalog()
>>> cat.model("Llama-3.1-70B-Instruct").kv_heads
8
>>> [sku.name for sku in cat.vm_skus_for_gpu("h100-sxm")]
['Standard_ND96isr_H100_v5']
"""

from __future__ import annotations

from sizing.catalog.compatibility import precision_supported
from sizing.catalog.entries import (
    GpuSpec,
    ModelSpec,
    PrecisionSpec,
    Price,
    Provenance,
    Region,
    VmSku,
)
from sizing.catalog.errors import CatalogError, UnknownEntryError
from sizing.catalog.loader import (
    CATALOG_PATH_ENV,
    Catalog,
    CatalogKind,
    CatalogProblem,
    catalog_for,
    default_catalog,
    document_kind,
    entries_kind,
    load_catalog,
    normalize_name,
    register_kind,
)

__all__ = [
    "CATALOG_PATH_ENV",
    "Catalog",
    "CatalogError",
    "CatalogKind",
    "CatalogProblem",
    "GpuSpec",
    "ModelSpec",
    "PrecisionSpec",
    "Price",
    "Provenance",
    "Region",
    "UnknownEntryError",
    "VmSku",
    "catalog_for",
    "default_catalog",
    "document_kind",
    "entries_kind",
    "load_catalog",
    "normalize_name",
    "precision_supported",
    "register_kind",
]
