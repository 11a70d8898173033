"""One API Management gateway per geography the environment's workloads are served in.

Prompts and completions pass through the gateway, so a workload whose residency names a
geography must not be fronted by a gateway in another one: a US workload behind an EU gateway
sends US traffic through the EU. A workload's geography is its residency's, else that of its
first region. The environment's own location hosts the gateway of its geography; every other
geography gets one in the region most of its workloads lead with (ties: the first by name), so
backends stay close to their gateway. The v2 tiers join only a virtual network in their own
region [apim-sse.md section 3, "the VNet must be in the same region"], which is why a gateway is
placed where its workloads' clusters can be peered with it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from sizing.plan import GatewayPlacement, WorkloadPlan


def workload_geography(w: WorkloadPlan, region_geographies: Mapping[str, str]) -> str | None:
    if w.residency.geography:
        return w.residency.geography
    return region_geographies.get(w.regions[0]) if w.regions else None


def gateway_placements(
    workloads: Iterable[WorkloadPlan], *, location: str, region_geographies: Mapping[str, str]
) -> tuple[GatewayPlacement, ...]:
    """The environment's gateways, its location's first, then by geography name."""
    home = region_geographies.get(location, "")
    by_geography: dict[str, list[WorkloadPlan]] = defaultdict(list)
    for w in workloads:
        if not w.feasible:
            continue
        by_geography[workload_geography(w, region_geographies) or home].append(w)
    by_geography.setdefault(home, [])
    placements = []
    for geography in sorted(by_geography, key=lambda g: (g != home, g)):
        members = by_geography[geography]
        if geography == home:
            where = location
        else:
            leads = Counter(w.regions[0] for w in members)
            where = sorted(leads, key=lambda r: (-leads[r], r))[0]
        placements.append(
            GatewayPlacement(
                geography=geography,
                location=where,
                workloads=tuple(sorted(w.name for w in members)),
                primary=geography == home,
            )
        )
    return tuple(placements)
