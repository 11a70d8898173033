"""Which GPUs and VM sizes a workload may run on (``spec.hardware``), decided per candidate.

Azure quota is granted per VM family and region, so platform teams steer plans onto the
families they hold quota for, or away from GPUs they cannot get. A name matches a GPU id or
alias, a VM size name or a VM family, case-insensitively; a MIG slice candidate also answers
to its profile (``MIG1g``) and NVIDIA's instance name (``1g.10gb``), so ``allow: [MIG1g]``
keeps a workload on slices and ``exclude: [MIG1g]`` keeps it off them.
"""

from __future__ import annotations

from sizing.catalog.entries import GpuSpec, MigProfile, VmSku
from sizing.catalog.loader import normalize_name
from sizing.search.decisions import Rejection
from sizing.search.request import HardwareChoice


def hardware_names(*, sku: VmSku, gpu: GpuSpec, mig: MigProfile | None = None) -> frozenset[str]:
    """Every name ``spec.hardware`` may use for this VM size (or MIG slice of it), normalised."""
    names = {sku.name, sku.family, gpu.id, *gpu.aliases}
    if mig is not None:
        names |= {mig.profile, mig.name}
    return frozenset(normalize_name(n) for n in names)


def hardware_rejection(
    choice: HardwareChoice, *, sku: VmSku, gpu: GpuSpec, mig: MigProfile | None = None
) -> Rejection | None:
    """Why ``spec.hardware`` rules this VM size (or its MIG slice ``mig``) out, or None when it
    may be used."""
    names = hardware_names(sku=sku, gpu=gpu, mig=mig)
    what = f"{sku.name} {mig.profile}" if mig is not None else sku.name
    excluded = [n for n in choice.exclude if normalize_name(n) in names]
    if excluded:
        return Rejection("hardware", f"{what} is excluded by hardware.exclude ({excluded[0]})")
    if choice.allow and not any(normalize_name(n) in names for n in choice.allow):
        allowed = ", ".join(choice.allow)
        return Rejection("hardware", f"{what} is not in hardware.allow ({allowed})")
    return None
