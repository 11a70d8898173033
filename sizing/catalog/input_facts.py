"""Answer the spec layer's catalog questions (`inputs.CatalogView`) from the sizing catalog.

The spec layer sits below sizing and cannot import it; this shell-level adapter is the bridge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from inputs.catalog_view import ModelFacts
from sizing.catalog import UnknownEntryError

if TYPE_CHECKING:
    from sizing.catalog import Catalog


class CatalogFacts:
    """A `inputs.CatalogView` over one loaded `sizing.catalog.Catalog`."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def model_facts(self, name: str) -> ModelFacts | None:
        try:
            model = self._catalog.model(name)
        except UnknownEntryError:
            return None
        offer = self._catalog.azure_openai.models.get(model.azure_openai_name or "")
        return ModelFacts(
            id=model.id,
            hosting=model.hosting,
            task=model.task,
            max_context_tokens=model.max_context_tokens,
            reasoning_model=offer is not None and offer.reasoning is not None,
        )

    def model_names(self) -> Sequence[str]:
        return sorted(
            {name for model in self._catalog.models.values() for name in (model.id, *model.aliases)}
        )

    def region_geographies(self) -> Mapping[str, str]:
        return {region.name: region.geography for region in self._catalog.regions.values()}

    def precision_ids(self) -> Sequence[str]:
        return sorted(self._catalog.precisions)

    def system_vm_sizes(self) -> Sequence[str]:
        from sizing.catalog.system_vm_sizes import KIND

        return sorted(self._catalog.document(KIND).vcpus_by_name)

    def hardware_names(self) -> Sequence[str]:
        names = {n for gpu in self._catalog.gpus.values() for n in (gpu.id, *gpu.aliases)}
        names |= {n for sku in self._catalog.vm_skus.values() for n in (sku.name, sku.family)}
        names |= {
            n
            for gpu in self._catalog.gpus.values()
            for p in gpu.mig_profiles
            for n in (p.profile, p.name)
        }  # MIG slices: MIG1g, 1g.10gb
        return sorted(names)

    def region_aliases(self) -> Mapping[str, str]:
        return {
            alias: region.name
            for region in self._catalog.regions.values()
            for alias in region.aliases
        }
