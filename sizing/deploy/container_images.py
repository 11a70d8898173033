"""Which image a node pulls, and how it reaches the environment's registry: a Plan decision.

Nodes pull every image from the environment's registry. The registry caches an image when
artifact cache supports its upstream (``ContainerImage.supply`` "cache-rule"); the credential
set is named after the upstream (``docker-io``) so every rule for that upstream shares it. Any
other image is imported once per version ("import", ``ContainerImage.import_command``). Facts:
sizing/catalog/data/images.yaml.
"""

from __future__ import annotations

from sizing.catalog import Catalog
from sizing.catalog.entries import GpuSpec, ImageCatalog
from sizing.catalog.images import KIND
from sizing.plan import ContainerImage

VLLM_IMAGE_ID = "vllm-openai"
VLLM_ROCM_IMAGE_ID = "vllm-openai-rocm"  # the same release built for ROCm (AMD GPUs)
DEVICE_PLUGIN_IMAGE_ID = "nvidia-device-plugin"
WEIGHTS_COPY_IMAGE_ID = "azure-cli"  # staged weights: blob upload and the replicas' copy


def image_catalog(catalog: Catalog) -> ImageCatalog:
    return catalog.document(KIND)


def vllm_image_id(catalog: Catalog, gpu: GpuSpec) -> str:
    """The vLLM image a replica on ``gpu`` runs: the ROCm build on AMD GPUs where the images
    catalog pins one, else the CUDA build (which sizing.search.platform then rejects for AMD)."""
    if gpu.vendor.upper() == "AMD":
        ids = {i.id for i in image_catalog(catalog).images}
        if VLLM_ROCM_IMAGE_ID in ids:
            return VLLM_ROCM_IMAGE_ID
    return VLLM_IMAGE_ID


def credential_set_name(upstream_registry: str) -> str:
    """``docker.io`` -> ``docker-io``: ACR resource names allow letters, digits and hyphens."""
    return upstream_registry.replace(".", "-")


def planned_image(catalog: Catalog, image_id: str) -> ContainerImage:
    images = image_catalog(catalog)
    entry = images.image(image_id)
    need = images.cache_credential(entry)
    cached = need is not None
    return ContainerImage(
        id=entry.id,
        upstream_registry=entry.registry,
        repository=entry.repository,
        tag=entry.tag,
        digest=entry.digest,
        cached=cached,
        credential=credential_set_name(entry.registry) if need == "required" else None,
    )
