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
from sizing.plan import PlanWarning, QuotaRequirement, WorkloadPlan
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


def _aoai_deployments(w: WorkloadPlan) -> list[tuple[str, str, str, int, str]]:
    plan = w.azure_openai
    if plan is None or not w.regions:
        return []
    rows = [(w.regions[0], plan.model, plan.deployment_type, plan.capacity, plan.capacity_unit)]
    rows += [
        (f.region, plan.model, f.deployment_type, f.capacity, f.capacity_unit)
        for f in plan.failover
    ]
    return rows


def environment_quota(
    workloads: Iterable[WorkloadPlan], *, catalog: Catalog
) -> tuple[QuotaRequirement, ...]:
    """Every quota the environment's feasible workloads need, in (kind, region, name) order."""
    aoai = catalog.azure_openai
    openai: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    vcpus: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for w in workloads:
        if not w.feasible:
            continue
        for region, model, deployment_type, capacity, unit in _aoai_deployments(w):
            openai[(region, f"{model} {deployment_type}", unit)].append((w.name, capacity))
        if w.aks is not None:
            family = catalog.vm_sku(w.aks.vm_sku).family
            for region in w.regions:
                vcpus[(region, family)].append(
                    (w.name, w.aks.max_nodes_per_region * w.aks.vm_vcpus)
                )
    found: list[QuotaRequirement] = []
    for (region, name, unit), users in sorted(openai.items()):
        needed = sum(c for _, c in users)
        model, deployment_type = name.split(" ", 1)
        default, source = (
            _default_quota(aoai, model, deployment_type) if unit == "ktpm" else (None, "")
        )
        if unit != "ktpm":
            source = "PTU quota is per region and deployment shape; no documented default"
        found.append(
            QuotaRequirement(
                kind="azure-openai",
                region=region,
                name=name,
                needed=needed,
                unit=unit,
                default=default,
                exceeds_default=default is None or needed > default,
                workloads=tuple(sorted({n for n, _ in users})),
                source=source,
                request=_aoai_request(region, name, needed, unit, default),
            )
        )
    for (region, family), users in sorted(vcpus.items()):
        needed = sum(v for _, v in users)
        found.append(
            QuotaRequirement(
                kind="vm-family-vcpus",
                region=region,
                name=f"{family} family vCPUs",
                needed=needed,
                unit="vcpus",
                default=None,
                exceeds_default=True,
                workloads=tuple(sorted({n for n, _ in users})),
                source="Azure documents no default vCPU quota per GPU family",
                request=(
                    f"raise the {family} family vCPU quota in {region} to at least {needed:,} "
                    f"vCPUs: {VM_QUOTA_REQUEST.format(region=region)}"
                ),
            )
        )
    return tuple(found)
