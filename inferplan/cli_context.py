"""What every command shares: the global options, and the catalog and templates built from them
on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sizing.catalog import Catalog
    from spec.catalog_view import CatalogView
    from spec.template_library import TemplateFolders


@dataclass
class CliContext:
    """Global options of ``inferplan``; the catalog is loaded only by commands that need it."""

    catalog_dirs: tuple[Path, ...] = field(default_factory=tuple)
    template_dirs: tuple[Path, ...] = field(default_factory=tuple)

    @cached_property
    def catalog(self) -> Catalog:
        """Built-in catalog plus the ``--catalog`` folders (later files override earlier)."""
        from sizing.catalog import default_catalog, load_catalog

        if self.catalog_dirs:
            return load_catalog(extra_dirs=self.catalog_dirs)
        return default_catalog()

    @cached_property
    def catalog_view(self) -> CatalogView:
        """The catalog as the spec layer asks about it."""
        from inferplan.catalog_adapter import CatalogFacts

        return CatalogFacts(self.catalog)

    @cached_property
    def templates(self) -> TemplateFolders:
        """The ``--templates`` folders, then ``$INFERPLAN_TEMPLATE_PATH``, then ./templates."""
        from spec.template_library import TemplateFolders

        return TemplateFolders.default(self.template_dirs)
