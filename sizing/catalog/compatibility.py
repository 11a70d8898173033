"""Whether a GPU can run a weight precision at all, before any sizing is done.

Pure functions over catalog entries. The rules, checked in this order (first failure wins):

1. NVIDIA: the GPU's CUDA compute capability is at least the precision's
   ``min_compute_capability`` (bf16 needs 8.0 Ampere; fp8 needs 8.9 Ada/Hopper; the Marlin
   int4 kernels 8.0; W8A8 int8 7.5 Turing; fp16 7.0).
2. Precisions that need FP8 tensor cores run only on GPUs whose ``dense_flops_per_s`` lists
   ``fp8`` (this is also how AMD GPUs, which have no compute capability, are judged).
3. The precision's matmul dtype (``compute_dtype``) has a tensor-core peak on the GPU.
4. Kernels that exist only for CUDA (the Marlin family vLLM uses for weight-only int4) are not
   available on non-NVIDIA GPUs.
"""

from __future__ import annotations

from sizing.catalog.entries import GpuSpec, PrecisionSpec

# vLLM --quantization values whose kernels are written in CUDA only (not ROCm). mxfp4 has a ROCm
# path in vLLM, but only in the ROCm image, which the catalog does not pin (precisions.yaml).
CUDA_ONLY_QUANTIZATIONS = frozenset({"awq_marlin", "gptq_marlin", "marlin", "mxfp4"})


def _gpu_label(gpu: GpuSpec) -> str:
    return gpu.id.upper()


def precision_supported(precision: PrecisionSpec, gpu: GpuSpec) -> str | None:
    """None if ``gpu`` can run ``precision``; otherwise the reason it cannot, in one sentence.

    >>> precision_supported(cat.precision("bf16"), cat.gpu("t4"))
    'bf16 needs compute capability >= 8.0; T4 has 7.5'
    """
    name = precision.id
    gpu_label = _gpu_label(gpu)
    capability = gpu.compute_capability
    if capability is not None and capability < precision.min_compute_capability:
        return (
            f"{name} needs compute capability >= {precision.min_compute_capability:.1f}; "
            f"{gpu_label} has {capability:.1f}"
        )
    if precision.requires_fp8_tensor_cores and not gpu.fp8_supported:
        return f"{name} needs FP8 tensor cores; {gpu_label} has none"
    if precision.compute_dtype not in gpu.dense_flops_per_s:
        return (
            f"{name} computes in {precision.compute_dtype}, which {gpu_label} has no tensor-core "
            f"support for"
        )
    if gpu.vendor != "NVIDIA" and precision.vllm_quantization in CUDA_ONLY_QUANTIZATIONS:
        return (
            f"{name} uses vLLM's {precision.vllm_quantization} kernels, which exist for NVIDIA "
            f"GPUs only; {gpu_label} is {gpu.vendor}"
        )
    return None
