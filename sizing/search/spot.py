"""Spot pools: what evictions cost a workload in availability and in batch throughput.

A spot node is evicted at ``e`` evictions per node-hour (price_terms.yaml ``spot_eviction``, an
estimate until read from Azure) and serves again ``T`` hours later (AKS provisions a new node,
then the replica's start-up budget). Azure evicts for capacity, and a capacity reclaim takes a
size's spot nodes in a region together, so spare nodes and zones are not counted on: a region
on spot is planned to be short of capacity ``e x T`` of the time, and its availability is at
most ``100 (1 - e T)`` percent whatever the topology. Offline batch work loses the same share
of its node-hours, so its daily work is sized on ``1 - e T`` of each node.
"""

from __future__ import annotations

from dataclasses import dataclass

from sizing.catalog import Catalog
from sizing.catalog.entries import SpotEviction, TermRatio
from sizing.search.price_basis import price_terms


@dataclass(frozen=True)
class SpotTerms:
    """One VM size's spot price share and the eviction figures, for one replica's start-up."""

    price: TermRatio  # share of pay-as-you-go (price_terms.yaml, term spot)
    eviction: SpotEviction
    startup_s: int  # the replica's start-up budget after a new node joins

    @property
    def replacement_hours(self) -> float:
        return (self.eviction.node_replacement_s + self.startup_s) / 3600.0

    @property
    def lost_share(self) -> float:
        """Share of the time (and of the node-hours) an eviction keeps a node from serving."""
        return min(self.eviction.evictions_per_node_hour * self.replacement_hours, 0.99)

    @property
    def availability_cap(self) -> float:
        """The most a region on spot is planned for, percent."""
        return round(100.0 * (1.0 - self.lost_share), 3)

    def describe(self) -> str:
        return (
            f"spot at {self.price.ratio:.0%} of pay-as-you-go ({self.price.kind}); "
            f"{self.eviction.evictions_per_node_hour:g} evictions per node-hour "
            f"({self.eviction.kind}), each {self.replacement_hours * 60:.0f} min to serve again "
            f"(new node {self.eviction.node_replacement_s / 60:.0f} min + start-up "
            f"{self.startup_s / 60:.0f} min): a region is short {self.lost_share:.2%} of the "
            f"time, so spot is planned for at most {self.availability_cap:g}%"
        )


def spot_terms(catalog: Catalog, vm_sku: str, *, startup_s: int) -> SpotTerms | None:
    """The size's spot terms; None where the catalog has no eviction figures."""
    terms = price_terms(catalog)
    if terms.spot_eviction is None:
        return None
    return SpotTerms(terms.term(vm_sku, "spot"), terms.spot_eviction, startup_s)
