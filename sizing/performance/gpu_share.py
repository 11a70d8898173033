"""The GPU a fractional VM size gets: its share of one GPU's memory, bandwidth and FLOP/s.

An NVIDIA vGPU slice (NV6ads_A10_v5: 1/6 of an A10, NC36ds_xl_RTXPRO6000BSE_v6: 1/4 of an RTX
PRO 6000) holds its share of the frame buffer and is time-sliced on the rest, so the roofline
sees a smaller GPU: every capacity figure scaled by ``VmSku.gpu_fraction``. Whole-GPU sizes get
the catalog's GPU unchanged. The slice keeps the GPU's id, so kernels, precisions and
calibration keyed on the GPU type still apply.

A MIG instance (a pool's ``gpuInstanceProfile``, MIG1g ... MIG7g) is a hard partition instead:
its memory slices bring their share of the memory bandwidth, and its compute share is its SMs
(NVIDIA MIG user guide: memory in eighths, SMs in sevenths), so the two shares differ.
"""

from __future__ import annotations

from sizing.catalog import Catalog
from sizing.catalog.entries import GpuSpec, MigProfile


def gpu_slice(gpu: GpuSpec, fraction: float, compute_fraction: float | None = None) -> GpuSpec:
    """``gpu`` with memory and memory bandwidth scaled by ``fraction`` and dense FLOP/s by
    ``compute_fraction`` (``fraction`` when not given), each in (0, 1].

    The interconnect is left as it is: a slice never takes part in tensor parallelism.
    """
    compute = fraction if compute_fraction is None else compute_fraction
    for share in (fraction, compute):
        if not 0 < share <= 1:
            raise ValueError(f"a GPU share is in (0, 1], got {share}")
    if fraction == 1 and compute == 1:
        return gpu
    return gpu.model_copy(
        update={
            "memory_bytes": int(gpu.memory_bytes * fraction),
            "hbm_bandwidth_bytes_per_s": gpu.hbm_bandwidth_bytes_per_s * fraction,
            "dense_flops_per_s": {k: v * compute for k, v in gpu.dense_flops_per_s.items()},
        }
    )


def mig_slice(gpu: GpuSpec, profile: MigProfile) -> GpuSpec:
    """The GPU one MIG instance of ``profile`` gives a replica."""
    return gpu_slice(gpu, profile.memory_fraction, profile.compute_fraction)


def vm_gpu(catalog: Catalog, vm_sku: str, mig_profile: str | None = None) -> GpuSpec:
    """The GPU one replica on ``vm_sku`` sees: the catalog GPU, the VM's slice of it, or the
    MIG instance ``mig_profile`` (MIG1g ...) of the pool."""
    sku = catalog.vm_sku(vm_sku)
    gpu = catalog.gpu(sku.gpu)
    if mig_profile is not None:
        return mig_slice(gpu, gpu.mig_profile(mig_profile))
    return gpu_slice(gpu, sku.gpu_fraction)
