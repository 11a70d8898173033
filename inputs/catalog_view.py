"""What spec validation needs to know from the catalog, without importing the catalog.

The spec layer sits below sizing, so it cannot import ``sizing.catalog``. Instead the caller
passes any object that satisfies `CatalogView`; the CLI adapts the real catalog to it and tests
use a small in-memory fake.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Hosting = Literal["open", "managed", "both"]
Task = Literal["chat", "embedding"]


@dataclass(frozen=True)
class ModelFacts:
    """The few facts about a model that decide whether a workload asking for it makes sense."""

    id: str  # canonical catalog id
    hosting: Hosting  # "open" weights (self-hosted), "managed" (Azure OpenAI only) or "both"
    task: Task
    max_context_tokens: int  # input + output tokens one request may hold
    reasoning_model: bool = False  # an Azure OpenAI model that bills hidden reasoning tokens


class CatalogView(Protocol):
    """Read-only catalog questions asked while validating specs."""

    def model_facts(self, name: str) -> ModelFacts | None:
        """Facts for a model id or alias (case-insensitive), or None when unknown."""
        ...

    def model_names(self) -> Sequence[str]:
        """Every model id and alias, for did-you-mean suggestions."""
        ...

    def region_geographies(self) -> Mapping[str, str]:
        """Azure region name (``swedencentral``) -> geography (``eu``, ``us``, ...)."""
        ...

    def precision_ids(self) -> Sequence[str]:
        """Weight precisions the sizing engine knows (``bf16``, ``fp8``, ...)."""
        ...

    def system_vm_sizes(self) -> Sequence[str]:
        """VM sizes an AKS system node pool may use (``Standard_D4ds_v5``, ...)."""
        ...

    def hardware_names(self) -> Sequence[str]:
        """GPU ids and aliases, VM size names and VM families, for ``hardware`` choices."""
        ...

    def region_aliases(self) -> Mapping[str, str]:
        """Other names of regions (``frankfurt``, ``eu-central-1``) -> the Azure region they
        suggest; for did-you-mean only, never accepted as a region."""
        ...


@dataclass(frozen=True)
class InMemoryCatalogView:
    """A `CatalogView` over plain values: for tests, examples and callers without a catalog.

    ``aliases`` maps extra names to model ids; lookups ignore case, like the real catalog.
    ``region_alias_names`` maps other names of regions to region names.
    """

    models: Sequence[ModelFacts]
    regions: Mapping[str, str]  # region name -> geography
    precisions: Sequence[str] = ("fp16", "bf16", "fp8", "int8", "int4")
    aliases: Mapping[str, str] = field(default_factory=dict)
    vm_sizes: Sequence[str] = ("Standard_D4ds_v5", "Standard_D8ds_v5")
    hardware: Sequence[str] = ()
    region_alias_names: Mapping[str, str] = field(default_factory=dict)

    def model_facts(self, name: str) -> ModelFacts | None:
        wanted = self.aliases.get(name.lower(), name).lower()
        return next((model for model in self.models if model.id.lower() == wanted), None)

    def model_names(self) -> Sequence[str]:
        return sorted({model.id for model in self.models} | set(self.aliases))

    def region_geographies(self) -> Mapping[str, str]:
        return self.regions

    def precision_ids(self) -> Sequence[str]:
        return tuple(self.precisions)

    def system_vm_sizes(self) -> Sequence[str]:
        return tuple(self.vm_sizes)

    def hardware_names(self) -> Sequence[str]:
        return tuple(self.hardware)

    def region_aliases(self) -> Mapping[str, str]:
        return self.region_alias_names
