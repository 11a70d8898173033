"""AKS agent pool names: derived from the VM size alone, so a new size means a new pool.

A pool's VM size is fixed at creation; naming the pool after the size makes a size change a new
resource that Pulumi creates before it deletes the old one, so capacity never drops to zero.
"""

from __future__ import annotations

import hashlib
import re

AGENT_POOL_NAME_MAX = 12  # Linux node pool names: lowercase alphanumeric, at most 12 characters


def agent_pool_name(
    vm_sku: str, gpu_instance_profile: str | None = None, *, spot: bool = False
) -> str:
    """``Standard_NC80adis_H100_v5`` gives ``nc80adis`` plus a hash of the full size name, 12
    characters in all: readable, unique per size, and stable while the size stays the same.
    A MIG pool's profile is fixed at creation too, so it joins the hash: a MIG1g pool of a size
    is another pool than the whole-GPU one; so is a pool's Spot priority."""
    size = vm_sku.removeprefix("Standard_").split("_")[0].lower()
    size = re.sub(r"[^a-z0-9]", "", size)[:8]
    key = vm_sku if gpu_instance_profile is None else f"{vm_sku}/{gpu_instance_profile}"
    key = f"{key}/spot" if spot else key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{size}{digest[: AGENT_POOL_NAME_MAX - len(size)]}"
