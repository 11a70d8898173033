"""The GPU a fractional VM size gets: its share of one GPU's memory, bandwidth and FLOP/s.

An NVIDIA vGPU slice (NV6ads_A10_v5: 1/6 of an A10, NC36ds_xl_RTXPRO6000BSE_v6: 1/4 of an RTX
PRO 6000) holds its share of the frame buffer and is time-sliced on the rest, so the roofline
sees a smaller GPU: every capacity figure scaled by ``VmSku.gpu_fraction``. Whole-GPU sizes get
the catalog's GPU unchanged. The slice keeps the GPU's id, so kernels, precisions and
calibration keyed on the GPU type still apply.
"""

from __future__ import annotations

from sizing.catalog import Catalog
from sizing.catalog.entries import GpuSpec


def gpu_slice(gpu: GpuSpec, fraction: float) -> GpuSpec:
    """``gpu`` with memory, memory bandwidth and dense FLOP/s scaled by ``fraction`` (0 < f <= 1).

    The interconnect is left as it is: a slice never takes part in tensor parallelism.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"a GPU share is in (0, 1], got {fraction}")
    if fraction == 1:
        return gpu
    return gpu.model_copy(
        update={
            "memory_bytes": int(gpu.memory_bytes * fraction),
            "hbm_bandwidth_bytes_per_s": gpu.hbm_bandwidth_bytes_per_s * fraction,
            "dense_flops_per_s": {k: v * fraction for k, v in gpu.dense_flops_per_s.items()},
        }
    )


def vm_gpu(catalog: Catalog, vm_sku: str) -> GpuSpec:
    """The GPU one replica on ``vm_sku`` sees: the catalog GPU, or the VM's slice of it."""
    sku = catalog.vm_sku(vm_sku)
    return gpu_slice(catalog.gpu(sku.gpu), sku.gpu_fraction)
