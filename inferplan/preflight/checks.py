"""Preflight checks: what the plan needs against what Azure answered. Pure.

Each check returns one `Finding` per thing it looked at, ``ok`` included, so a report lists
every check that ran. Decisions are typed (``status``, ``problem``); ``needs``, ``azure`` and
``fix`` are for people. Quotas compare what the plan adds with what is free: the stack's own
pools and deployments that already exist are in Azure's current usage, so their size is
subtracted from what the plan needs (``additional = planned - existing``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from inferplan.preflight.apis import (
    DeletedService,
    ExistingDeployment,
    ExistingPool,
    GatewayTierOffer,
    KubernetesVersionOffer,
    ModelOffer,
    QuotaUsage,
    VmSizeOffer,
)
from inferplan.preflight.needs import Needs, PoolNeed

Status = Literal["ok", "blocking", "warning", "unchecked"]
CheckName = Literal[
    "vm-size",
    "vcpu-quota",
    "regional-vcpu-quota",
    "openai-model",
    "openai-quota",
    "kubernetes-version",
    "gateway-tier",
    "soft-deleted-name",
]
Problem = Literal[
    "none",
    "not-offered",  # the region (or subscription) has no such VM size, model or tier
    "restricted",  # offered, but closed to this subscription
    "zones",  # offered, but not in every zone the plan spreads over
    "quota",  # less quota free than the plan adds
    "model-not-offered",
    "version-not-offered",
    "type-not-offered",  # the model version exists, not as this deployment type
    "capacity",  # above the deployment type's maximum capacity
    "lts-only",  # Kubernetes version offered only under long-term support
    "preview",  # Kubernetes version offered as a preview
    "soft-deleted",  # a deleted resource still holds a globally unique name
    "not-listed",  # the API does not describe this at all; checked by hand
    "no-quota-entry",  # Azure reports no quota under the name the resource draws on
    "api-error",  # the answer could not be read (permission, throttling, outage)
]
BLOCKING_STATUSES: frozenset[Status] = frozenset({"blocking", "unchecked"})
CHECK_ORDER: tuple[CheckName, ...] = (
    "vm-size",
    "vcpu-quota",
    "regional-vcpu-quota",
    "kubernetes-version",
    "openai-model",
    "openai-quota",
    "gateway-tier",
    "soft-deleted-name",
)
TOTAL_VCPUS = "cores"  # the Compute usages entry "Total Regional vCPUs" [computeRPCommon.json]


@dataclass(frozen=True)
class Failed:
    """An API call that gave no usable answer. ``permission`` marks 401/403."""

    api: str
    status: int
    code: str
    message: str
    permission: bool = False


T = TypeVar("T")
Answer = T | Failed | None  # None: not asked (nothing in the plan needed it)


@dataclass(frozen=True)
class RegionAnswers:
    vm_sizes: Answer[Mapping[tuple[str, str], VmSizeOffer]] = None
    compute_usages: Answer[Mapping[str, QuotaUsage]] = None
    kubernetes_versions: Answer[tuple[KubernetesVersionOffer, ...]] = None
    agent_pools: Answer[tuple[ExistingPool, ...]] = None
    models: Answer[tuple[ModelOffer, ...]] = None
    cognitive_usages: Answer[Mapping[str, QuotaUsage]] = None
    deployments: Answer[tuple[ExistingDeployment, ...]] = None


@dataclass(frozen=True)
class Answers:
    regions: Mapping[str, RegionAnswers] = field(default_factory=dict)
    gateway_tiers: Answer[Mapping[str, GatewayTierOffer]] = None
    deleted_gateways: Answer[tuple[DeletedService, ...]] = None
    deleted_accounts: Answer[tuple[DeletedService, ...]] = None

    def region(self, name: str) -> RegionAnswers:
        return self.regions.get(name, RegionAnswers())


@dataclass(frozen=True)
class Finding:
    """One thing checked. ``needed``/``available`` carry the numbers of quota checks."""

    check: CheckName
    status: Status
    problem: Problem
    region: str
    resource: str
    needs: str
    azure: str
    fix: str = ""
    api: str = ""
    needed: float | None = None
    available: float | None = None


def _unchecked(check: CheckName, region: str, resource: str, needs: str, failed: Failed) -> Finding:
    if failed.permission:
        fix = (
            "grant the identity Reader on the subscription (it reads every API preflight uses); "
            f"Azure said: {failed.message}"
        )
    else:
        fix = f"run preflight again; Azure said: {failed.code}: {failed.message}"
    return Finding(
        check,
        "unchecked",
        "api-error",
        region,
        resource,
        needs,
        f"could not read {failed.api} (HTTP {failed.status} {failed.code})",
        fix,
        failed.api,
    )


def _join(values: tuple[str, ...] | list[str], empty: str = "none") -> str:
    return ", ".join(values) if values else empty


def _number(value: float) -> str:
    return f"{value:g}"


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
        zones = f" in zones {_join(need.zones)}" if need.zones else ""
        wanted = f"{need.vm_size} in {need.region}{zones}"
        if offers is None:
            continue
        if isinstance(offers, Failed):
            findings.append(_unchecked("vm-size", need.region, resource, wanted, offers))
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
            reasons = _join(offer.reasons, "no reason given")
            fix = (
                "the subscription's offer type cannot use this size: plan another size or use "
                "another subscription"
                if "QuotaId" in offer.reasons
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
            restricted = f", restricted in {_join(offer.restricted_zones)}" * bool(
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
                    f"{need.vm_size} is offered in zones {_join(offer.zones)} of "
                    f"{need.region}{restricted}; not in zone {_join(missing)}",
                    f"a pool spread over zones {_join(need.zones)} cannot be created there: "
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
                f"offered in zones {_join(offer.usable_zones)}"
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
                _unchecked(
                    "vcpu-quota", region, f"vCPUs of {len(pools_here)} pools", "vCPU quota", usages
                )
            )
            continue
        existing = region_answers.agent_pools
        if isinstance(existing, Failed):
            findings.append(
                _unchecked("vcpu-quota", region, "existing node pools", "their size", existing)
            )
            existing = ()
        families: dict[str, list[PoolNeed]] = {}
        vcpus: dict[str, int] = {}
        for need in pools_here:
            offer = offers.get((need.vm_size, region))
            if offer is None or offer.restricted:
                continue
            families.setdefault(offer.family, []).append(need)
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
        total_planned = sum(f.planned for f in family_needs)
        total_existing = sum(f.existing for f in family_needs)
        if family_needs:
            findings.append(
                _total_finding(region, total_planned, total_existing, usages.get(TOTAL_VCPUS))
            )
    return findings


def _pool_list(pools: tuple[PoolNeed, ...], vcpus: Mapping[str, int]) -> str:
    return "; ".join(f"{p.pool}: {p.max_nodes} x {vcpus[p.vm_size]} vCPUs" for p in pools)


def _family_finding(region: str, family: _FamilyNeed, usage: QuotaUsage | None) -> Finding:
    resource = f"{family.family} ({_join([p.pool for p in family.pools])})"
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
        f"{usage.display_name}: {_number(usage.free)} of {_number(usage.limit)} free "
        f"({_number(usage.current)} in use)"
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
        f"{_number(target)} vCPUs (portal: Quotas > Compute, or `az quota update`)"
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
    said = f"{_number(usage.free)} of {_number(usage.limit)} free ({_number(usage.current)} in use)"
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
        f"request Total Regional vCPUs in {region} of at least {_number(usage.current + adds)} "
        "(portal: Quotas > Compute), or lower the pools' maximum node counts",
        USAGES_API,
        adds,
        usage.free,
    )


# --- Kubernetes version -------------------------------------------------------------------------

VERSIONS_API = "Microsoft.ContainerService/locations/kubernetesVersions"


def check_kubernetes_versions(needs: Needs, answers: Answers) -> list[Finding]:
    """The planned version (minor, or minor.patch) offered in each cluster's region with the
    community support plan; LTS-only and preview versions are called out."""
    findings = []
    for cluster in needs.clusters:
        offered = answers.region(cluster.region).kubernetes_versions
        resource = f"cluster {cluster.name}"
        wanted = f"Kubernetes {cluster.kubernetes_version} ({cluster.sku_tier} tier)"
        if offered is None:
            continue
        if isinstance(offered, Failed):
            findings.append(
                _unchecked("kubernetes-version", cluster.region, resource, wanted, offered)
            )
            continue
        minor = ".".join(cluster.kubernetes_version.split(".")[:2])
        match = next((v for v in offered if v.version == minor), None)
        listing = _join(
            [
                v.version + (" (default)" if v.is_default else "") + (" (preview)" * v.is_preview)
                for v in offered
            ]
        )
        default = next((v.version for v in offered if v.is_default), None)
        patch_missing = (
            match is not None
            and cluster.kubernetes_version != minor
            and cluster.kubernetes_version not in match.patches
        )
        if match is None or patch_missing:
            said = (
                f"{cluster.region} offers {listing}"
                if match is None
                else f"{minor} is offered with patches {_join(match.patches)}"
            )
            suggestion = f", e.g. {default}" if default else ""
            findings.append(
                Finding(
                    "kubernetes-version",
                    "blocking",
                    "version-not-offered",
                    cluster.region,
                    resource,
                    wanted,
                    said,
                    f"set spec.kubernetes.version in the environment to an offered version"
                    f"{suggestion}",
                    VERSIONS_API,
                )
            )
        elif "KubernetesOfficial" not in match.support_plans:
            findings.append(
                Finding(
                    "kubernetes-version",
                    "blocking",
                    "lts-only",
                    cluster.region,
                    resource,
                    wanted,
                    f"{minor} is offered only with support plans {_join(match.support_plans)}",
                    "long-term support needs the Premium tier and supportPlan "
                    "AKSLongTermSupport, which inferplan does not set: choose a version with "
                    f"community support ({listing})",
                    VERSIONS_API,
                )
            )
        elif match.is_preview:
            findings.append(
                Finding(
                    "kubernetes-version",
                    "warning",
                    "preview",
                    cluster.region,
                    resource,
                    wanted,
                    f"{minor} is a preview in {cluster.region}",
                    "previews carry no support: use a generally available version"
                    + (f" such as {default}" if default else ""),
                    VERSIONS_API,
                )
            )
        else:
            findings.append(
                Finding(
                    "kubernetes-version",
                    "ok",
                    "none",
                    cluster.region,
                    resource,
                    wanted,
                    f"offered ({_join(match.support_plans)})",
                    api=VERSIONS_API,
                )
            )
    return findings


# --- Azure OpenAI -------------------------------------------------------------------------------

MODELS_API = "Microsoft.CognitiveServices/locations/models"
COGNITIVE_USAGES_API = "Microsoft.CognitiveServices/locations/usages"


def _offer_for(
    offers: tuple[ModelOffer, ...], model: str, version: str, kind: str
) -> ModelOffer | None:
    return next(
        (
            o
            for o in offers
            if o.model == model and o.version == version and o.deployment_type == kind
        ),
        None,
    )


def check_openai_models(needs: Needs, answers: Answers) -> list[Finding]:
    """Each deployment's model, version and deployment type offered in its region, within the
    type's maximum capacity."""
    findings = []
    for d in needs.deployments:
        offers = answers.region(d.region).models
        resource = f"deployment {d.workload} ({d.role}) on {d.account}"
        wanted = f"{d.model} {d.version} as {d.deployment_type}, {d.capacity} {d.capacity_unit}"
        if offers is None:
            continue
        if isinstance(offers, Failed):
            findings.append(_unchecked("openai-model", d.region, resource, wanted, offers))
            continue
        of_model = [o for o in offers if o.model == d.model]
        of_version = [o for o in of_model if o.version == d.version]
        offer = _offer_for(offers, d.model, d.version, d.deployment_type)
        if not of_model:
            said = (
                f"no Azure OpenAI model at all in {d.region}"
                if not offers
                else f"{d.model} is not offered in {d.region}"
            )
            findings.append(
                Finding(
                    "openai-model",
                    "blocking",
                    "model-not-offered",
                    d.region,
                    resource,
                    wanted,
                    said,
                    "plan another region for the workload, or another model",
                    MODELS_API,
                )
            )
        elif offer is None and not of_version:
            versions = sorted(
                {o.version for o in of_model if o.deployment_type == d.deployment_type}
            )
            findings.append(
                Finding(
                    "openai-model",
                    "blocking",
                    "version-not-offered",
                    d.region,
                    resource,
                    wanted,
                    f"{d.model} {d.version} is not offered in {d.region}; as {d.deployment_type} "
                    f"it is offered in versions {_join(versions)}",
                    "pin a version that is offered (the catalog's `versions` for the model), "
                    "or plan another region",
                    MODELS_API,
                )
            )
        elif offer is None:
            kinds = sorted({o.deployment_type for o in of_version})
            findings.append(
                Finding(
                    "openai-model",
                    "blocking",
                    "type-not-offered",
                    d.region,
                    resource,
                    wanted,
                    f"{d.model} {d.version} is offered in {d.region} as {_join(kinds)}, not as "
                    f"{d.deployment_type}",
                    "plan a deployment type that is offered there (residency permitting), or "
                    "another region; the catalog's region list for this offer may be stale: "
                    "refresh it (scripts/refresh_catalog.py)",
                    MODELS_API,
                )
            )
        elif offer.max_capacity is not None and d.capacity > offer.max_capacity:
            findings.append(
                Finding(
                    "openai-model",
                    "blocking",
                    "capacity",
                    d.region,
                    resource,
                    wanted,
                    f"{d.deployment_type} deployments of {d.model} take at most "
                    f"{offer.max_capacity}",
                    "split the capacity over regions or lower it",
                    MODELS_API,
                    d.capacity,
                    offer.max_capacity,
                )
            )
        else:
            findings.append(
                Finding(
                    "openai-model",
                    "ok",
                    "none",
                    d.region,
                    resource,
                    wanted,
                    f"offered ({offer.lifecycle or 'no lifecycle given'}; "
                    f"quota {offer.usage_name})",
                    api=MODELS_API,
                )
            )
    return findings


def check_openai_quota(needs: Needs, answers: Answers) -> list[Finding]:
    """Per region and quota (usage name): the capacity the deployments add against what is
    free. Deployments drawing on one quota (several workloads, or a PTU pool shared by models)
    are summed."""
    findings = []
    for region in needs.openai_regions:
        region_answers = answers.region(region)
        offers, usages = region_answers.models, region_answers.cognitive_usages
        if not isinstance(offers, tuple) or usages is None:
            continue
        if isinstance(usages, Failed):
            findings.append(
                _unchecked("openai-quota", region, "Azure OpenAI quota", "capacity", usages)
            )
            continue
        existing = region_answers.deployments
        if isinstance(existing, Failed):
            findings.append(
                _unchecked("openai-quota", region, "existing deployments", "capacity", existing)
            )
            existing = ()
        by_usage: dict[str, list[tuple[int, int, str]]] = {}
        for d in needs.deployments:
            if d.region != region:
                continue
            offer = _offer_for(offers, d.model, d.version, d.deployment_type)
            if offer is None or not offer.usage_name:
                continue
            running = sum(
                e.capacity
                for e in existing or ()
                if e.name == d.workload and e.deployment_type == d.deployment_type
            )
            label = f"{d.workload} {d.capacity} {d.capacity_unit}"
            by_usage.setdefault(offer.usage_name, []).append((d.capacity, running, label))
        for usage_name, entries in sorted(by_usage.items()):
            planned = sum(c for c, _, _ in entries)
            running = sum(r for _, r, _ in entries)
            adds = planned - running
            wanted = f"{planned} ({'; '.join(label for _, _, label in entries)})"
            if running:
                wanted += f", {running} of it already deployed"
            usage = usages.get(usage_name)
            if usage is None:
                findings.append(
                    Finding(
                        "openai-quota",
                        "warning",
                        "no-quota-entry",
                        region,
                        usage_name,
                        wanted,
                        f"no quota named {usage_name} in {region}",
                        "check the quota in the Azure AI Foundry portal (Quotas) before deploying",
                        COGNITIVE_USAGES_API,
                        adds,
                    )
                )
                continue
            said = (
                f"{_number(usage.free)} of {_number(usage.limit)} free "
                f"({_number(usage.current)} in use)"
            )
            if adds <= usage.free:
                findings.append(
                    Finding(
                        "openai-quota",
                        "ok",
                        "none",
                        region,
                        usage_name,
                        wanted,
                        said,
                        "",
                        COGNITIVE_USAGES_API,
                        adds,
                        usage.free,
                    )
                )
            else:
                findings.append(
                    Finding(
                        "openai-quota",
                        "blocking",
                        "quota",
                        region,
                        usage_name,
                        wanted,
                        said,
                        f"request {usage_name} in {region} of at least "
                        f"{_number(usage.current + adds)} (Azure AI Foundry portal: Quotas, "
                        "Request quota), or lower the workload's capacity (traffic) or move it "
                        "to a region with quota",
                        COGNITIVE_USAGES_API,
                        adds,
                        usage.free,
                    )
                )
    return findings


# --- API Management tier ------------------------------------------------------------------------

APIM_SKUS_API = "Microsoft.ApiManagement/skus"


def check_gateway_tier(needs: Needs, answers: Answers) -> list[Finding]:
    gateway, tiers = needs.gateway, answers.gateway_tiers
    if gateway is None or tiers is None:
        return []
    resource = f"API Management {gateway.name}"
    wanted = f"tier {gateway.tier} in {gateway.region}"
    if isinstance(tiers, Failed):
        return [_unchecked("gateway-tier", gateway.region, resource, wanted, tiers)]
    offer = tiers.get(gateway.tier)
    if offer is None:
        return [
            Finding(
                "gateway-tier",
                "warning",
                "not-listed",
                gateway.region,
                resource,
                wanted,
                f"the SKUs API lists no {gateway.tier} tier (it lists {_join(sorted(tiers))})",
                "confirm the tier's regions on the API Management tier availability page "
                "before deploying",
                APIM_SKUS_API,
            )
        ]
    if gateway.region in offer.restricted:
        return [
            Finding(
                "gateway-tier",
                "blocking",
                "restricted",
                gateway.region,
                resource,
                wanted,
                f"{gateway.tier} is restricted in {gateway.region} for this subscription",
                "choose another gateway tier or environment location",
                APIM_SKUS_API,
            )
        ]
    if gateway.region not in offer.locations:
        others = [t for t, o in sorted(tiers.items()) if gateway.region in o.locations]
        return [
            Finding(
                "gateway-tier",
                "blocking",
                "not-offered",
                gateway.region,
                resource,
                wanted,
                f"{gateway.tier} is not offered in {gateway.region}",
                f"set spec.gateway.tier to a tier offered there ({_join(others)}) or move the "
                "environment's location",
                APIM_SKUS_API,
            )
        ]
    return [
        Finding(
            "gateway-tier",
            "ok",
            "none",
            gateway.region,
            resource,
            wanted,
            "offered",
            api=APIM_SKUS_API,
        )
    ]


# --- soft-deleted names -------------------------------------------------------------------------


def check_soft_deleted(needs: Needs, answers: Answers) -> list[Finding]:
    """No soft-deleted API Management service or Cognitive Services account holds a name the
    plan creates: Azure keeps a deleted service's name until it is purged, and refuses a new
    one with the same name in the meantime."""
    findings = []
    wanted: list[tuple[str, str, str, Answer[tuple[DeletedService, ...]]]] = []
    if needs.gateway is not None:
        wanted.append(
            ("API Management", needs.gateway.name, needs.gateway.region, answers.deleted_gateways)
        )
    wanted += [
        ("Azure OpenAI account", name, region, answers.deleted_accounts)
        for region, name in needs.accounts
    ]
    for label, name, region, deleted in wanted:
        resource = f"{label} {name}"
        api = (
            "Microsoft.ApiManagement/deletedservices"
            if label == "API Management"
            else "Microsoft.CognitiveServices/deletedAccounts"
        )
        if deleted is None:
            continue
        if isinstance(deleted, Failed):
            findings.append(
                _unchecked("soft-deleted-name", region, resource, "a free name", deleted)
            )
            continue
        holder = next((d for d in deleted if d.name.lower() == name.lower()), None)
        if holder is None:
            findings.append(
                Finding(
                    "soft-deleted-name",
                    "ok",
                    "none",
                    region,
                    resource,
                    "a free name",
                    "no soft-deleted service holds it",
                    api=api,
                )
            )
            continue
        until = f", purged on {holder.purge_date}" if holder.purge_date else ""
        if holder.kind == "api-management":
            fix = (
                f"purge it (`az apim deletedservice purge --service-name {holder.name} "
                f"--location {holder.location}`) or restore it; purging needs Contributor"
            )
        else:
            group = holder.resource_group or "<resource-group>"
            fix = (
                f"purge it (`az cognitiveservices account purge --name {holder.name} "
                f"--resource-group {group} --location {holder.location}`) or recover it; "
                "purging needs Contributor"
            )
        findings.append(
            Finding(
                "soft-deleted-name",
                "blocking",
                "soft-deleted",
                region,
                resource,
                "a free name",
                f"a soft-deleted {label} named {holder.name} in {holder.location} holds the "
                f"name{until}",
                fix,
                api,
            )
        )
    return findings


def run_checks(needs: Needs, answers: Answers) -> tuple[Finding, ...]:
    """Every check, in `CHECK_ORDER`, regions and resources sorted within each check."""
    findings = [
        *check_vm_sizes(needs, answers),
        *check_vcpu_quota(needs, answers),
        *check_kubernetes_versions(needs, answers),
        *check_openai_models(needs, answers),
        *check_openai_quota(needs, answers),
        *check_gateway_tier(needs, answers),
        *check_soft_deleted(needs, answers),
    ]
    order = {name: index for index, name in enumerate(CHECK_ORDER)}
    return tuple(sorted(findings, key=lambda f: (order[f.check], f.region, f.resource, f.status)))
