"""Whether the pinned vLLM image can run on a VM size's hosts and GPUs at all.

AMD GPUs (ND MI300X v5) need a ROCm build of vLLM, and Grace hosts (ND GB200 v6) need arm64
manifests; the images catalog records, per image, the host architectures and GPU stack it is
known to cover. A size the image does not cover is rejected with the image that is missing, as
a value, before anything is sized on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sizing.catalog.entries import GpuSpec, ImageEntry, VmSku
from sizing.search.decisions import Rejection


class MissingImage(StrEnum):
    """What the images catalog would need for the size to be planned."""

    ROCM_IMAGE = "rocm-image"  # a vLLM image built for ROCm (AMD GPUs)
    CUDA_IMAGE = "cuda-image"  # a vLLM image built for CUDA (NVIDIA GPUs)
    ARM64_IMAGE = "arm64-image"  # a vLLM image with arm64 manifests (Grace hosts)


@dataclass(frozen=True)
class PlatformGap:
    """Why ``image`` cannot run on a VM size: what is missing, and a sentence for people."""

    missing: MissingImage
    message: str

    def rejection(self) -> Rejection:
        return Rejection("unsupported", self.message)


def gpu_stack(gpu: GpuSpec) -> str:
    """The GPU software stack a vendor's GPUs need: rocm for AMD, cuda for NVIDIA."""
    return "rocm" if gpu.vendor.upper() == "AMD" else "cuda"


def platform_gap(*, sku: VmSku, gpu: GpuSpec, image: ImageEntry) -> PlatformGap | None:
    """None when ``image`` covers the size's GPU stack and host architecture."""
    reference = f"{image.repository}:{image.tag}"
    stack = gpu_stack(gpu)
    if image.gpu_stack is not None and image.gpu_stack != stack:
        return PlatformGap(
            MissingImage.ROCM_IMAGE if stack == "rocm" else MissingImage.CUDA_IMAGE,
            f"{sku.name} has {gpu.vendor} {gpu.id} GPUs, which need a {stack} build of vLLM; "
            f"the images catalog pins {reference} ({image.gpu_stack}) only",
        )
    if sku.host_architecture not in image.architectures:
        return PlatformGap(
            MissingImage.ARM64_IMAGE,
            f"{sku.name} runs on {sku.host_architecture} hosts; the images catalog records "
            f"{reference} for {', '.join(image.architectures)} only",
        )
    return None
