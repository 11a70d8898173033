"""Which GPUs and VM sizes a workload may run on (``spec.hardware``), decided per candidate.

Azure quota is granted per VM family and region, so platform teams steer plans onto the
families they hold quota for, or away from GPUs they cannot get. A name matches a GPU id or
alias, a VM size name or a VM family, case-insensitively.
"""

from __future__ import annotations

from sizing.catalog.entries import GpuSpec, VmSku
from sizing.catalog.loader import normalize_name
from sizing.search.decisions import Rejection
from sizing.search.request import HardwareChoice


def hardware_names(*, sku: VmSku, gpu: GpuSpec) -> frozenset[str]:
    """Every name ``spec.hardware`` may use for this VM size, normalised."""
    names = {sku.name, sku.family, gpu.id, *gpu.aliases}
    return frozenset(normalize_name(n) for n in names)


def hardware_rejection(choice: HardwareChoice, *, sku: VmSku, gpu: GpuSpec) -> Rejection | None:
    """Why ``spec.hardware`` rules this VM size out, or None when it may be used."""
    names = hardware_names(sku=sku, gpu=gpu)
    excluded = [n for n in choice.exclude if normalize_name(n) in names]
    if excluded:
        return Rejection("hardware", f"{sku.name} is excluded by hardware.exclude ({excluded[0]})")
    if choice.allow and not any(normalize_name(n) in names for n in choice.allow):
        allowed = ", ".join(choice.allow)
        return Rejection("hardware", f"{sku.name} is not in hardware.allow ({allowed})")
    return None
