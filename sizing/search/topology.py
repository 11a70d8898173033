"""Availability targets as topologies: what each one survives, and the capacity it keeps spare.

Availability is a constraint, not a label. Each rung of a ladder names the failure domain it
survives at peak (a node, a zone, a region) and the availability inferplan plans it for; the
optimizer takes the first rung that reaches the required figure and can be placed, and sizes
spare capacity in that domain's units: after losing one node (or zone, or region) the
replicas that remain still serve the peak inside the SLO. The percentages are inferplan's
planning targets, not Azure SLAs (docs/optimizer.md explains them, with a worked example):

* one region, no spare: one node failure is an outage until the node is replaced;
* a spare node: the replicas of any one node can be lost;
* over availability zones, a spare zone: a zone can be lost (nodes spread evenly over zones);
* two regions, each carrying the full peak behind the gateway's failover, with a spare node
  (or a spare zone) in each: a region can be lost, then a node (or zone) of the other.

Azure OpenAI's rungs: one deployment (Azure OpenAI's published SLA of 99.9%), a token-billed
failover deployment in a second region, then in a third.

Every request also passes the environment's API Management gateway, so the gateway is a link of
the chain (`GatewayLink`): the chain is no more available than the gateway, and a gateway in one
region does not survive that region, however many regions serve behind it. A rung is chosen for
what the chain can carry; above it, the plan holds only where the team accepted the lower figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

FailureDomain = Literal["node", "zone", "region"]
SpareDomain = Literal["none", "node", "zone"]

AZURE_OPENAI_SLA = 99.9  # Azure OpenAI Service: one deployment (SLA for Online Services)
ZONES_PER_REGION = 3  # Azure regions with availability zones have three (Learn: AZ overview)


@dataclass(frozen=True)
class Topology:
    """One rung: how many regions carry the peak, the spare kept inside each region, and the
    availability it is planned for."""

    regions: int  # regions that each carry the full peak
    spare: SpareDomain  # what each region keeps spare capacity for
    planned_availability: float  # percent

    @property
    def zonal(self) -> bool:
        return self.spare == "zone"

    @property
    def survives(self) -> tuple[FailureDomain, ...]:
        """Failure domains lost at peak without missing the SLO, largest first."""
        domains: list[FailureDomain] = ["region"] if self.regions > 1 else []
        if self.spare != "none":
            domains.append(self.spare)
        return tuple(domains)

    def describe(self) -> str:
        parts = [f"{self.regions} region{'s' if self.regions > 1 else ''}"]
        if self.spare == "node":
            parts.append("a spare node in each" if self.regions > 1 else "a spare node")
        elif self.spare == "zone":
            parts.append("spread over 3 zones with a spare zone")
        survived = ", then ".join(f"a {d}" for d in self.survives) or "nothing"
        return (
            ", ".join(parts)
            + f": survives {survived} at peak (planned for {self.planned_availability:g}%)"
        )


AKS_LADDER: tuple[Topology, ...] = (
    Topology(1, "none", 99.0),
    Topology(1, "node", 99.5),
    Topology(1, "zone", 99.9),
    Topology(2, "node", 99.95),
    Topology(2, "zone", 99.99),
)

AZURE_OPENAI_LADDER: tuple[Topology, ...] = (
    Topology(1, "none", AZURE_OPENAI_SLA),
    Topology(2, "none", 99.95),
    Topology(3, "none", 99.99),
)


@dataclass(frozen=True)
class GatewayLink:
    """The gateway every request of a workload passes: its tier, the regions it runs in, and
    the availability its SLA states (None: the tier has none, e.g. Developer)
    (sizing/deploy/gateway_availability.py)."""

    tier: str
    regions: int
    sla: float | None  # percent

    @property
    def survives_region(self) -> bool:
        return self.regions > 1

    def describe(self) -> str:
        where = "one region" if self.regions == 1 else f"{self.regions} regions"
        figure = f"{self.sla:g}%" if self.sla is not None else "no SLA"
        return f"behind one {self.tier} gateway in {where} ({figure})"


# What a chain above a one-region gateway's SLA needs, in words for the plan's reasons.
WHAT_REACHES_MORE = (
    "a gateway that survives a region: API Management Premium with additional regions, or "
    "gateways in two regions behind Azure Front Door (inferplan builds neither yet)"
)


def chain_target(required: float, gateway: GatewayLink | None) -> float:
    """The figure a rung must reach: the required one, or less where the gateway caps it."""
    if gateway is None or gateway.sla is None:
        return required
    return min(required, gateway.sla)


@dataclass(frozen=True)
class TopologyChoice:
    """The rung chosen for a candidate and how it relates to what was asked."""

    topology: Topology
    required: float
    accepted: float | None  # the lower figure the team accepts (slo.accept_availability)
    gateway: GatewayLink | None = None  # None: no gateway known (no environment)
    # Spot pools: the most evictions leave the region (sizing.search.spot); None: regular VMs.
    eviction_cap: float | None = None

    @property
    def planned(self) -> float:
        """End to end: the rung, capped by the gateway in front of it and by spot evictions."""
        rung = self.topology.planned_availability
        if self.eviction_cap is not None:
            rung = min(rung, self.eviction_cap)
        if self.gateway is None or self.gateway.sla is None:
            return rung
        return min(rung, self.gateway.sla)

    @property
    def gateway_caps(self) -> bool:
        """The gateway, not the rung, is what keeps the chain below the required figure."""
        sla = self.gateway.sla if self.gateway is not None else None
        return sla is not None and sla < self.required

    @property
    def survives(self) -> tuple[FailureDomain, ...]:
        """What the chain survives: a one-region gateway does not survive its region."""
        domains = self.topology.survives
        if self.gateway is not None and not self.gateway.survives_region:
            domains = tuple(d for d in domains if d != "region")
        return domains

    def describe(self) -> str:
        text = self.topology.describe()
        if self.eviction_cap is not None:
            text = f"{text}; on spot nodes, evictions cap it at {self.eviction_cap:g}%"
        if self.gateway is None:
            return text
        return f"{text}; {self.gateway.describe()}"

    @property
    def meets_required(self) -> bool:
        return self.planned >= self.required

    @property
    def acceptable(self) -> bool:
        """Meets the required figure, or the one the team said it accepts."""
        floor = self.required if self.accepted is None else min(self.required, self.accepted)
        return self.planned >= floor


def accepted_reason(choice: TopologyChoice) -> str:
    """Why the plan holds below the required figure, for the plan's reasons."""
    text = (
        f"Accepted availability {choice.planned:g}% < required {choice.required:g}% "
        "(slo.accept_availability)"
    )
    if choice.gateway_caps and choice.gateway is not None:
        return (
            f"{text}: every request passes one {choice.gateway.tier} gateway in one region, "
            f"which caps the chain at {choice.gateway.sla:g}% and does not survive its region; "
            f"more needs {WHAT_REACHES_MORE}."
        )
    return text + "."


def placeable_rungs(
    ladder: tuple[Topology, ...], *, regions_available: int, zonal: bool
) -> list[Topology]:
    """The rungs a candidate can be placed on: enough allowed regions offer it and, for a
    spare zone, the VM size is zonal in the region."""
    return [t for t in ladder if t.regions <= regions_available and (zonal or t.spare != "zone")]


def choose_topology(
    ladder: tuple[Topology, ...],
    *,
    required: float,
    accepted: float | None,
    regions_available: int,
    zonal: bool,
    gateway: GatewayLink | None = None,
) -> TopologyChoice | None:
    """The first rung that reaches ``required`` (or what ``gateway`` lets the chain carry) and
    can be placed; if none can, the highest one that can (judged by the caller against
    ``accepted``). None when nothing can be placed.
    """
    placeable = placeable_rungs(ladder, regions_available=regions_available, zonal=zonal)
    if not placeable:
        return None
    target = chain_target(required, gateway)
    reaching = [t for t in placeable if t.planned_availability >= target]
    chosen = reaching[0] if reaching else max(placeable, key=lambda t: t.planned_availability)
    return TopologyChoice(chosen, required, accepted, gateway)


def highest_rung(ladder: tuple[Topology, ...]) -> Topology:
    return max(ladder, key=lambda t: t.planned_availability)


@dataclass(frozen=True)
class Spread:
    """Nodes of one region for a given load, spare capacity included."""

    nodes: int
    replicas: int
    zones: int  # zones the nodes are spread over (0: no zone spread)
    nodes_per_zone: int  # 0 without a zone spread
    replicas_after_loss: int  # what remains after losing the domain the rung spares
    replicas_for_peak: int = 0  # the load alone, without headroom or spare (packing reads it)
    replicas_for_headroom: int = 0  # the load with its headroom


def spread_for(
    *,
    spare: SpareDomain,
    replicas_per_node: int,
    replicas_for_peak: int,
    replicas_for_headroom: int,
    zones: int = ZONES_PER_REGION,
) -> Spread:
    """Nodes so that the headroom load fits and, after losing the spared domain, the peak does.

    With ``p`` replicas per node, ``L`` replicas for the peak and ``L_h`` for the peak plus
    headroom (whole nodes are paid, so every node is filled)::

        none: nodes = ceil(L_h / p)
        node: nodes = max(ceil(L_h / p), ceil(L / p) + 1)
        zone: per zone n = max(ceil(L_h / (p Z)), ceil(L / (p (Z - 1)))), nodes = Z n
    """
    p = replicas_per_node
    headroom_nodes = math.ceil(replicas_for_headroom / p)
    if spare == "none":
        nodes = max(headroom_nodes, 1)
        return Spread(nodes, nodes * p, 0, 0, 0, replicas_for_peak, replicas_for_headroom)
    if spare == "node":
        nodes = max(headroom_nodes, math.ceil(replicas_for_peak / p) + 1)
        return Spread(
            nodes, nodes * p, 0, 0, (nodes - 1) * p, replicas_for_peak, replicas_for_headroom
        )
    per_zone = max(
        math.ceil(replicas_for_headroom / (p * zones)),
        math.ceil(replicas_for_peak / (p * (zones - 1))),
        1,
    )
    nodes = per_zone * zones
    return Spread(
        nodes,
        nodes * p,
        zones,
        per_zone,
        (nodes - per_zone) * p,
        replicas_for_peak,
        replicas_for_headroom,
    )
