"""Pinned container images and artifact cache support (``kind: images``), one document.

``sizing.container_images`` turns an entry into the Plan's ``ContainerImage``: whether the
environment's registry caches it and which credential set its upstream needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from inferplan.sizing.catalog.loader import document_kind, register_kind
from inferplan.sizing.catalog.sourced import SourcedEntry, Strict, cite
from pydantic import Field

KIND = "images"
CredentialNeed = Literal["required", "optional", "none"]


class _UpstreamDoc(SourcedEntry):
    credential: CredentialNeed


class _ImageDoc(SourcedEntry):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    registry: Annotated[str, Field(min_length=1, description="upstream login server")]
    repository: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._/-]*$")]
    tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    digest: Annotated[str | None, Field(pattern=r"^sha256:[0-9a-f]{64}$")] = None


class _FileDoc(Strict):
    kind: Literal["images"]
    schema_version: Literal[1]
    sources: dict[str, str]
    artifact_cache_upstreams: dict[str, _UpstreamDoc]
    images: Annotated[list[_ImageDoc], Field(min_length=1)]


@dataclass(frozen=True)
class ImageEntry:
    id: str
    registry: str
    repository: str
    tag: str
    digest: str | None
    cache_credential: CredentialNeed | None  # None: artifact cache cannot mirror the upstream
    source: str


@dataclass(frozen=True)
class ImageCatalog:
    images: dict[str, ImageEntry]
    origin: str

    def image(self, image_id: str) -> ImageEntry:
        if image_id not in self.images:
            known = ", ".join(sorted(self.images))
            raise KeyError(f"{self.origin}: no image {image_id!r} (images: {known})")
        return self.images[image_id]


def parse_images_document(data: dict[str, Any], origin: str) -> ImageCatalog:
    doc = _FileDoc.model_validate(data)
    for name, upstream in doc.artifact_cache_upstreams.items():
        cite(doc.sources, upstream.source, where=f"{origin}: artifact_cache_upstreams.{name}")
    images: dict[str, ImageEntry] = {}
    for index, image in enumerate(doc.images):
        where = f"{origin}: images[{index}] ({image.id})"
        if image.id in images:
            raise ValueError(f"{where}: image {image.id} listed twice")
        upstream = doc.artifact_cache_upstreams.get(image.registry)
        images[image.id] = ImageEntry(
            id=image.id,
            registry=image.registry,
            repository=image.repository,
            tag=image.tag,
            digest=image.digest,
            cache_credential=upstream.credential if upstream else None,
            source=cite(doc.sources, image.source, where=where),
        )
    return ImageCatalog(images=images, origin=origin)


register_kind(document_kind(KIND, parse_images_document))
