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
from sizing.plan import NodePool, OpenAIAccount, PlanWarning, QuotaKey, QuotaRequirement
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


def environment_quota(
    pools: Iterable[NodePool], accounts: Iterable[OpenAIAccount], *, catalog: Catalog
) -> tuple[QuotaRequirement, ...]:
    """Every quota the environment's GPU pools and Azure OpenAI deployments need, in key order
    (Azure OpenAI by region, model, deployment type; then GPU families by region)."""
    aoai = catalog.azure_openai
    needed: dict[QuotaKey, int] = defaultdict(int)
    users: dict[QuotaKey, set[str]] = defaultdict(set)
    for account in accounts:
        for d in account.deployments:
            key = QuotaKey(
                "azure-openai", account.region, d.model, d.deployment_type, d.capacity_unit
            )
            needed[key] += d.capacity
            users[key].add(d.workload)
    for pool in pools:
        family = catalog.vm_sku(pool.vm_sku).family
        key = (
            QuotaKey("spot-vcpus", pool.region)  # one regional quota for every spot size
            if pool.spot
            else QuotaKey("vm-family-vcpus", pool.region, vm_family=family)
        )
        needed[key] += pool.max_count * pool.vcpus_per_node
        users[key].update(pool.workloads)
    return tuple(
        _requirement(key, needed[key], tuple(sorted(users[key])), aoai) for key in sorted(needed)
    )


def _requirement(
    key: QuotaKey, needed: int, names: tuple[str, ...], aoai: AoaiCatalog
) -> QuotaRequirement:
    if key.kind == "spot-vcpus":
        return QuotaRequirement(
            key=key,
            name="Total Regional Spot vCPUs",
            needed=needed,
            default=None,
            exceeds_default=True,
            workloads=names,
            source="Learn, 'Use Azure Spot Virtual Machines': spot VMs use a regional quota",
            request=(
                f"raise Total Regional Spot vCPUs (lowPriorityCores) in {key.region} to at "
                f"least {needed:,} vCPUs: {VM_QUOTA_REQUEST.format(region=key.region)}"
            ),
        )
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
