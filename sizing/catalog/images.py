"""Pinned container images and artifact cache support (``kind: images``), one document.

``sizing.deploy.container_images`` turns an entry (`entries.ImageEntry`) into the Plan's
``ContainerImage``: whether the environment's registry can cache it and which credential set its
upstream needs.
"""

from __future__ import annotations

from typing import Any

from sizing.catalog.entries import ImageCatalog
from sizing.catalog.file_schema import Loc, document_entries
from sizing.catalog.loader import document_kind, register_kind

KIND = "images"


def images_entries(data: dict[str, Any], origin: str) -> list[tuple[str, Loc, Any]]:
    return document_entries(ImageCatalog, data, origin, unique={"images": "id"})


register_kind(document_kind(KIND, images_entries, ImageCatalog, label="images catalog"))
