"""What every command shares: the global options, and the catalog and templates built from them
on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inputs.catalog_view import CatalogView
    from inputs.template_library import TemplateFolders
    from sizing.catalog import Catalog


@dataclass
class CliContext:
    """Global options of ``inferplan``; the catalog is loaded only by commands that need it."""

    catalog_dirs: tuple[Path, ...] = field(default_factory=tuple)
    template_dirs: tuple[Path, ...] = field(default_factory=tuple)

    @cached_property
    def catalog(self) -> Catalog:
        """Built-in catalog, ``$INFERPLAN_CATALOG_PATH``, then the ``--catalog`` folders."""
        from sizing.catalog import catalog_for

        return catalog_for(self.catalog_dirs)

    @cached_property
    def catalog_view(self) -> CatalogView:
        """The catalog as the inputs layer asks about it."""
        from sizing.catalog.input_facts import CatalogFacts

        return CatalogFacts(self.catalog)

    @cached_property
    def templates(self) -> TemplateFolders:
        """The ``--templates`` folders, then ``$INFERPLAN_TEMPLATE_PATH``, then ./templates."""
        from inputs.template_library import TemplateFolders

        return TemplateFolders.default(self.template_dirs)
