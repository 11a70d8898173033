"""Compute checks: each node pool's VM size in its region and zones, and the vCPU quota the
pools need at their autoscaler maximum, per VM family and for the region. Pure.

Quotas compare what the plan adds with what is free: the stack's own pools that already exist
are in Azure's current usage, so their nodes are subtracted (``adds = planned - existing``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from inferplan.preflight.apis import ExistingPool, QuotaUsage
from inferplan.preflight.findings import Answers, Failed, Finding, join, number, unchecked
from inferplan.preflight.needs import Needs, PoolNeed

TOTAL_VCPUS = "cores"  # the Compute usages entry "Total Regional vCPUs" [computeRPCommon.json]
# Spot VMs draw on one regional quota for every size instead of their family's and the regional
# total (Learn, "Use Azure Spot Virtual Machines": Total Regional Spot vCPUs), listed in the
# Compute usages as lowPriorityCores.
SPOT_VCPUS = "lowPriorityCores"

# --- VM sizes -----------------------------------------------------------------------------------

SKUS_API = "Microsoft.Compute/skus"


def _pool_resource(need: PoolNeed) -> str:
    return f"pool {need.pool} ({need.vm_size})"


def check_vm_sizes(needs: Needs, answers: Answers) -> list[Finding]:
    """Every pool's VM size offered in its region, open to the subscription, in its zones."""
    findings = []
    for need in needs.pools:
        offers = answers.region(need.region).vm_sizes
        resource = _pool_resource(need)
        zones = f" in zones {join(need.zones)}" if need.zones else ""
        wanted = f"{need.vm_size} in {need.region}{zones}"
        if offers is None:
            continue
        if isinstance(offers, Failed):
            findings.append(unchecked("vm-size", need.region, resource, wanted, offers))
            continue
        offer = offers.get((need.vm_size, need.region))
        if offer is None:
            if not any(location == need.region for _, location in offers):
                said = (
                    f"the Resource SKUs API lists no VM size at all in {need.region}: the "
                    "region is not enabled for the subscription, or its name is wrong"
                )
            else:
                said = f"{need.vm_size} is not offered in {need.region} to this subscription"
            findings.append(
                Finding(
                    "vm-size",
                    "blocking",
                    "not-offered",
                    need.region,
                    resource,
                    wanted,
                    said,
                    "plan another region (spec.residency.regions, the environment's "
                    "allowed_regions) or another VM size; the catalog's region list for this "
                    "size may be stale: refresh it (scripts/refresh_catalog.py)",
                    SKUS_API,
                )
            )
            continue
        if offer.restricted:
            reasons = join(offer.reason_codes, "no reason given")
            fix = (
                "the subscription's offer type cannot use this size: plan another size or use "
                "another subscription"
                if "QuotaId" in offer.reason_codes
                else f"ask Azure support to enable {need.vm_size} in {need.region} for the "
                "subscription (a region access request), or plan another region"
            )
            findings.append(
                Finding(
                    "vm-size",
                    "blocking",
                    "restricted",
                    need.region,
                    resource,
                    wanted,
                    f"{need.vm_size} is restricted in {need.region} ({reasons})",
                    fix,
                    SKUS_API,
                )
            )
            continue
        missing = tuple(z for z in need.zones if z not in offer.usable_zones)
        if missing:
            restricted = f", restricted in {join(offer.restricted_zones)}" * bool(
                offer.restricted_zones
            )
            findings.append(
                Finding(
                    "vm-size",
                    "blocking",
                    "zones",
                    need.region,
                    resource,
                    wanted,
                    f"{need.vm_size} is offered in zones {join(offer.zones)} of "
                    f"{need.region}{restricted}; not in zone {join(missing)}",
                    f"a pool spread over zones {join(need.zones)} cannot be created there: "
                    "plan another region or a VM size offered in every zone, or an availability "
                    "target that does not need zone redundancy",
                    SKUS_API,
                )
            )
            continue
        findings.append(
            Finding(
                "vm-size",
                "ok",
                "none",
                need.region,
                resource,
                wanted,
                f"offered in zones {join(offer.usable_zones)}"
                if offer.usable_zones
                else "offered (no zones)",
                api=SKUS_API,
            )
        )
    return findings


# --- vCPU quota ---------------------------------------------------------------------------------

USAGES_API = "Microsoft.Compute/locations/usages"


@dataclass(frozen=True)
class _FamilyNeed:
    family: str
    pools: tuple[PoolNeed, ...]
    vcpus: dict[str, int]  # vm size -> vCPUs per node
    planned: int  # vCPUs at every pool's maximum
    existing: int  # vCPUs the stack's existing pools already use


def _existing_vcpus(pools: tuple[ExistingPool, ...], need: PoolNeed, vcpus: int) -> int:
    return sum(p.count * vcpus for p in pools if p.name == need.pool and p.vm_size == need.vm_size)


def check_vcpu_quota(needs: Needs, answers: Answers) -> list[Finding]:
    """Per region: each VM family's vCPU quota, then Total Regional vCPUs, against the vCPUs the
    pools add at their maximum (``max_nodes x vCPUs``, minus nodes that already exist)."""
    findings: list[Finding] = []
    for region in needs.aks_regions:
        region_answers = answers.region(region)
        offers, usages = region_answers.vm_sizes, region_answers.compute_usages
        if not isinstance(offers, Mapping) or usages is None:
            continue  # the size check already says why there is nothing to count
        pools_here = tuple(p for p in needs.pools if p.region == region)
        if isinstance(usages, Failed):
            findings.append(
                unchecked(
                    "vcpu-quota", region, f"vCPUs of {len(pools_here)} pools", "vCPU quota", usages
                )
            )
            continue
        existing = region_answers.agent_pools
        if isinstance(existing, Failed):
            findings.append(
                unchecked("vcpu-quota", region, "existing node pools", "their size", existing)
            )
            existing = ()
        families: dict[str, list[PoolNeed]] = {}
        vcpus: dict[str, int] = {}
        for need in pools_here:
            offer = offers.get((need.vm_size, region))
            if offer is None or offer.restricted:
                continue
            families.setdefault(SPOT_VCPUS if need.spot else offer.family, []).append(need)
            vcpus[need.vm_size] = offer.vcpus or need.vcpus_per_node
        family_needs = [
            _FamilyNeed(
                family=family,
                pools=tuple(pools),
                vcpus={p.vm_size: vcpus[p.vm_size] for p in pools},
                planned=sum(p.max_nodes * vcpus[p.vm_size] for p in pools),
                existing=sum(_existing_vcpus(existing or (), p, vcpus[p.vm_size]) for p in pools),
            )
            for family, pools in sorted(families.items())
        ]
        for family in family_needs:
            findings.append(_family_finding(region, family, usages.get(family.family)))
        regular = [f for f in family_needs if f.family != SPOT_VCPUS]
        total_planned = sum(f.planned for f in regular)
        total_existing = sum(f.existing for f in regular)
        if regular:
            findings.append(
                _total_finding(region, total_planned, total_existing, usages.get(TOTAL_VCPUS))
            )
    return findings


def _pool_list(pools: tuple[PoolNeed, ...], vcpus: Mapping[str, int]) -> str:
    return "; ".join(f"{p.pool}: {p.max_nodes} x {vcpus[p.vm_size]} vCPUs" for p in pools)


def _family_finding(region: str, family: _FamilyNeed, usage: QuotaUsage | None) -> Finding:
    resource = f"{family.family} ({join([p.pool for p in family.pools])})"
    adds = family.planned - family.existing
    needs = (
        f"{family.planned} vCPUs at the pools' maximum ({_pool_list(family.pools, family.vcpus)})"
    )
    if family.existing:
        needs += f", {family.existing} of them already running"
    if usage is None:
        return Finding(
            "vcpu-quota",
            "warning",
            "no-quota-entry",
            region,
            resource,
            needs,
            f"no quota named {family.family} in {region}",
            "check the family's quota in the portal (Quotas > Compute) before deploying",
            USAGES_API,
            adds,
        )
    said = (
        f"{usage.display_name}: {number(usage.free)} of {number(usage.limit)} free "
        f"({number(usage.current)} in use)"
    )
    if adds <= usage.free:
        return Finding(
            "vcpu-quota",
            "ok",
            "none",
            region,
            resource,
            needs,
            said,
            "",
            USAGES_API,
            adds,
            usage.free,
        )
    target = usage.current + adds
    fix = (
        f"request a quota increase for {usage.display_name} in {region} to at least "
        f"{number(target)} vCPUs (portal: Quotas > Compute, or `az quota update`)"
    )
    if len(family.pools) == 1:
        pool = family.pools[0]
        per_node = family.vcpus[pool.vm_size]
        affordable = math.floor((usage.free + family.existing) / per_node) if per_node else 0
        fix += f", or cap {pool.pool} at {affordable} nodes instead of {pool.max_nodes}"
    return Finding(
        "vcpu-quota",
        "blocking",
        "quota",
        region,
        resource,
        needs,
        said,
        fix,
        USAGES_API,
        adds,
        usage.free,
    )


def _total_finding(region: str, planned: int, existing: int, usage: QuotaUsage | None) -> Finding:
    adds = planned - existing
    needs = f"{planned} vCPUs over all pools" + (f", {existing} already running" * bool(existing))
    resource = "Total Regional vCPUs"
    if usage is None:
        return Finding(
            "regional-vcpu-quota",
            "warning",
            "no-quota-entry",
            region,
            resource,
            needs,
            f"no '{TOTAL_VCPUS}' quota in {region}",
            "check Total Regional vCPUs in the portal",
            USAGES_API,
            adds,
        )
    said = f"{number(usage.free)} of {number(usage.limit)} free ({number(usage.current)} in use)"
    if adds <= usage.free:
        return Finding(
            "regional-vcpu-quota",
            "ok",
            "none",
            region,
            resource,
            needs,
            said,
            "",
            USAGES_API,
            adds,
            usage.free,
        )
    return Finding(
        "regional-vcpu-quota",
        "blocking",
        "quota",
        region,
        resource,
        needs,
        said,
        f"request Total Regional vCPUs in {region} of at least {number(usage.current + adds)} "
        "(portal: Quotas > Compute), or lower the pools' maximum node counts",
        USAGES_API,
        adds,
        usage.free,
    )
