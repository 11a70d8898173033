"""Quota an environment needs before its first ``pulumi up``, as typed requirements.

Azure OpenAI quota is per subscription x region x model x deployment type and shared by every
deployment in that scope [limits: "per region, per subscription, and per model/deployment
type"], so an environment's requirement is the sum of its deployments there; the documented
default comes from the Azure OpenAI catalog's ``default_quota_ktpm`` (Default tier). One
deployment over the default is the Azure OpenAI sizing's ``quota_shortfall``, shown as a plan
warning (kind ``quota``, `shortfall_warning`); a plan over the default still deploys once the
increase is granted, and `check` lists each requirement with the request to file.

GPU VM families start with little or no vCPU quota in a new subscription, and Azure documents
no default per family; every GPU family a plan uses is listed with the vCPUs its autoscaler
ceiling needs, ``max_nodes x vCPUs per VM``, summed over the environment's pools there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sizing.catalog import Catalog
from sizing.catalog.azure_openai import AoaiCatalog
from sizing.plan import PlanWarning, QuotaKey, QuotaRequirement, WorkloadPlan
from sizing.search.decisions import Rejection

AOAI_QUOTA_REQUEST = (
    "Azure AI Foundry portal > Management center > Quota, or https://aka.ms/oai/stuquotarequest"
)
VM_QUOTA_REQUEST = (
    "Azure portal > Quotas > Compute (check first: az vm list-usage --location {region} -o table)"
)


def _default_quota(aoai: AoaiCatalog, model: str, deployment_type: str) -> tuple[int | None, str]:
    entry = aoai.models.get(model)
    offer = entry.offer(deployment_type) if entry else None
    figure = offer.default_quota_ktpm if offer else None
    if figure is None:
        return None, "no documented default quota in the Azure OpenAI catalog"
    return int(figure.value), f"{figure.source} ({figure.date}, {figure.basis})"


def _aoai_request(region: str, name: str, needed: int, unit: str, default: int | None) -> str:
    against = f"default {default:,} {unit}" if default is not None else "no documented default"
    return (
        f"raise {name} quota in {region} to at least {needed:,} {unit} ({against}) for the "
        f"deploying subscription: {AOAI_QUOTA_REQUEST}"
    )


def shortfall_warning(shortfall: Rejection, *, region: str) -> PlanWarning:
    """The plan warning (kind ``quota``) for one deployment over its documented default quota:
    the Azure OpenAI sizing's shortfall, with where to ask for the increase."""
    return PlanWarning(
        "quota",
        f"{region}: {shortfall.message}; request a quota increase for the deploying "
        f"subscription: {AOAI_QUOTA_REQUEST}",
    )


def _aoai_quota_keys(w: WorkloadPlan) -> list[tuple[QuotaKey, int]]:
    """Each Azure OpenAI deployment of the workload (primary, then failovers) as the quota it
    draws on and the capacity it takes."""
    plan = w.azure_openai
    if plan is None or not w.regions:
        return []
    placed = [(w.regions[0], plan.deployment_type, plan.capacity, plan.capacity_unit)]
    placed += [(f.region, f.deployment_type, f.capacity, f.capacity_unit) for f in plan.failover]
    return [
        (QuotaKey("azure-openai", region, plan.model, deployment_type, unit), capacity)
        for region, deployment_type, capacity, unit in placed
    ]


def environment_quota(
    workloads: Iterable[WorkloadPlan], *, catalog: Catalog
) -> tuple[QuotaRequirement, ...]:
    """Every quota the environment's feasible workloads need, in key order (Azure OpenAI by
    region, model, deployment type; then GPU families by region)."""
    aoai = catalog.azure_openai
    users: dict[QuotaKey, list[tuple[str, int]]] = defaultdict(list)
    for w in workloads:
        if not w.feasible:
            continue
        for key, capacity in _aoai_quota_keys(w):
            users[key].append((w.name, capacity))
        if w.aks is not None:
            family = catalog.vm_sku(w.aks.vm_sku).family
            for region in w.regions:
                key = QuotaKey("vm-family-vcpus", region, vm_family=family)
                users[key].append((w.name, w.aks.max_nodes_per_region * w.aks.vm_vcpus))
    return tuple(_requirement(key, users[key], aoai) for key in sorted(users))


def _requirement(
    key: QuotaKey, users: list[tuple[str, int]], aoai: AoaiCatalog
) -> QuotaRequirement:
    needed = sum(c for _, c in users)
    names = tuple(sorted({n for n, _ in users}))
    if key.kind == "vm-family-vcpus":
        return QuotaRequirement(
            key=key,
            name=f"{key.vm_family} family vCPUs",
            needed=needed,
            default=None,
            exceeds_default=True,
            workloads=names,
            source="Azure documents no default vCPU quota per GPU family",
            request=(
                f"raise the {key.vm_family} family vCPU quota in {key.region} to at least "
                f"{needed:,} vCPUs: {VM_QUOTA_REQUEST.format(region=key.region)}"
            ),
        )
    assert key.model is not None and key.deployment_type is not None
    name = f"{key.model} {key.deployment_type}"
    if key.unit == "ktpm":
        default, source = _default_quota(aoai, key.model, key.deployment_type)
    else:
        default, source = (
            None,
            "PTU quota is per region and deployment shape; no documented default",
        )
    return QuotaRequirement(
        key=key,
        name=name,
        needed=needed,
        default=default,
        exceeds_default=default is None or needed > default,
        workloads=names,
        source=source,
        request=_aoai_request(key.region, name, needed, key.unit, default),
    )
