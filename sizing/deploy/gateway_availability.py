"""The gateway as a link of the availability chain: the SLA its tier states.

Every request passes the environment's API Management gateway, so a workload is no more
available than it. The figures are the API Management section of Microsoft's "Service Level
Agreements for Online Services" (read through the tier table of apim-sse.md section 3, which
flags them as not re-read; re-check against the SLA page before relying on them): 99.95% for a
gateway in one region (Consumption, Basic, Standard, Premium and the v2 tiers), 99.99% for a
classic Premium gateway deployed in two or more regions, none for Developer ("doesn't offer
SLA"). Only classic Premium deploys in several regions (``additionalLocations``; Learn "Deploy
an API Management instance to multiple Azure regions", include
api-management-multi-region-concepts, ms.date 2025-03-31: "if a region goes offline, API
requests are automatically routed around the failed region"). inferplan builds one-region
gateways today, so the chain of a workload required above 99.95% holds only where the team
accepts the lower figure (slo.accept_availability).
"""

from __future__ import annotations

from sizing.search.topology import GatewayLink

ONE_REGION_SLA = 99.95
MULTI_REGION_SLA = 99.99  # classic Premium in two or more regions
TIERS_WITHOUT_SLA = frozenset({"Developer"})
MULTI_REGION_TIERS = frozenset({"Premium"})


def gateway_link(tier: str, *, regions: int = 1) -> GatewayLink:
    """The gateway of ``tier`` deployed in ``regions`` regions (more than one: Premium only)."""
    if regions > 1 and tier not in MULTI_REGION_TIERS:
        raise ValueError(f"API Management {tier} deploys in one region only")
    if tier in TIERS_WITHOUT_SLA:
        return GatewayLink(tier=tier, regions=regions, sla=None)
    return GatewayLink(
        tier=tier, regions=regions, sla=MULTI_REGION_SLA if regions > 1 else ONE_REGION_SLA
    )
