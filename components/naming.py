"""Resource names and tags: Azure's abbreviation conventions, deterministic and length-safe.

Names follow the Cloud Adoption Framework abbreviations (``rg-``, ``aks-``, ``apim-``, ``oai-``,
``log-``, ``appi-``, ``amw-``, ``ag-``, ``vnet-``) joined with the environment and a short region
code. Globally unique names (API Management, Azure OpenAI subdomains) add a stable hash of the
environment, so two stacks never collide and one stack never renames itself.
"""

from __future__ import annotations

import hashlib
import re

# Short codes for the regions inferplan plans into; other regions fall back to their initials.
REGION_CODES = {
    "australiaeast": "aue",
    "brazilsouth": "brs",
    "canadacentral": "cac",
    "centralindia": "inc",
    "centralus": "cus",
    "eastus": "eus",
    "eastus2": "eus2",
    "francecentral": "frc",
    "germanywestcentral": "gwc",
    "italynorth": "itn",
    "japaneast": "jpe",
    "koreacentral": "krc",
    "northcentralus": "ncus",
    "northeurope": "neu",
    "norwayeast": "nwe",
    "polandcentral": "plc",
    "southcentralus": "scus",
    "southeastasia": "sea",
    "spaincentral": "spc",
    "swedencentral": "swc",
    "switzerlandnorth": "szn",
    "uksouth": "uks",
    "westeurope": "weu",
    "westus": "wus",
    "westus2": "wus2",
    "westus3": "wus3",
}

AGENT_POOL_NAME_MAX = 12  # Linux node pool names: lowercase alphanumeric, at most 12 characters


def stable_hash(*parts: str, length: int = 6) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def region_code(region: str) -> str:
    if region in REGION_CODES:
        return REGION_CODES[region]
    words = re.findall(r"[a-z]+|[0-9]+", region)
    return "".join(w[0] if w.isalpha() else w for w in words)[:5]


def resource_name(
    abbreviation: str, environment: str, region: str | None = None, *extra: str
) -> str:
    """``rg-prod-swc``, ``aks-prod-eus2``: abbreviation, environment, region code, extras."""
    parts = [abbreviation, environment]
    if region:
        parts.append(region_code(region))
    parts += [e for e in extra if e]
    return "-".join(parts)


def globally_unique_name(
    abbreviation: str, environment: str, region: str | None = None, *, max_length: int = 50
) -> str:
    """A name that must be unique across Azure: the readable name plus a hash of it."""
    base = resource_name(abbreviation, environment, region)
    suffix = stable_hash(base)
    return f"{base[: max_length - len(suffix) - 1]}-{suffix}"


def agent_pool_name(vm_sku: str) -> str:
    """A node pool name derived from the VM size alone, so a new size means a new pool.

    ``Standard_NC80adis_H100_v5`` gives ``nc80adis`` plus a hash of the full size name, 12
    characters in all: readable, unique per size, and stable while the size stays the same.
    """
    size = vm_sku.removeprefix("Standard_").split("_")[0].lower()
    size = re.sub(r"[^a-z0-9]", "", size)[:8]
    return f"{size}{stable_hash(vm_sku, length=AGENT_POOL_NAME_MAX - len(size))}"


def kubernetes_name(workload: str) -> str:
    """Workload names are already DNS labels (the spec checks); namespaces use them as given."""
    return workload
