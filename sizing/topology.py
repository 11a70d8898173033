"""Availability targets turned into topology: spare replicas, zones and a second region.

The percentages are inferplan's planning targets for each topology, not Azure SLAs: a single
replica is one failure from an outage; a spare replica (N+1) survives a node loss; spreading
the replicas over availability zones keeps the service up through a zone loss (with up to a
third of its capacity gone until the autoscaler replaces it); a second region survives a
regional outage and gives the gateway a failover target.
"""

from __future__ import annotations

from dataclasses import dataclass

SINGLE_REPLICA = 99.0
SPARE_REPLICA_ONE_ZONE = 99.5
SPARE_REPLICA_ZONES = 99.9
TWO_REGIONS = 99.95


@dataclass(frozen=True)
class Topology:
    regions: int  # regions that each carry the full peak
    spare_replicas: int  # per region, beyond what the peak needs
    zone_redundant: bool
    supports_availability: float  # percent this topology is planned to deliver

    def describe(self) -> str:
        parts = [f"{self.regions} region{'s' if self.regions > 1 else ''}"]
        if self.spare_replicas:
            parts.append(f"N+{self.spare_replicas} replicas")
        if self.zone_redundant:
            parts.append("spread over availability zones")
        return ", ".join(parts) + f" (planned for {self.supports_availability}%)"


def topology_for(*, availability: float, zonal: bool) -> Topology:
    """The smallest topology whose planned availability meets ``availability`` percent.

    ``zonal`` says whether the chosen SKU can be spread over zones in the region.
    """
    if availability >= TWO_REGIONS:
        return Topology(2, 1, zonal, TWO_REGIONS)
    if availability > SPARE_REPLICA_ONE_ZONE:
        if zonal:
            return Topology(1, 1, True, SPARE_REPLICA_ZONES)
        return Topology(2, 1, False, TWO_REGIONS)
    if availability > SINGLE_REPLICA:
        return Topology(1, 1, zonal, SPARE_REPLICA_ZONES if zonal else SPARE_REPLICA_ONE_ZONE)
    return Topology(1, 0, False, SINGLE_REPLICA)
