"""Azure OpenAI accounts: one per region an Azure OpenAI workload uses, and what each holds.

A region's account carries the primary deployment of every Azure OpenAI workload whose first
region it is, plus the failover deployment of every workload that names the region in
``azure_openai.failover``. Each deployment is named after its workload, so one account holds at
most one per workload; deployments are ordered by workload name, which is also the order they
are created in (each waits for the one before), so it must not depend on input order. A PTU +
spillover workload also has its Standard spillover deployment (``<workload>-spill``) in the
primary's account, created just before the provisioned deployment that names it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sizing.plan import OpenAIAccount, OpenAIDeployment, VersionUpgrade, WorkloadPlan

SPILL_SUFFIX = "-spill"  # a PTU's Standard spillover deployment is named <workload>-spill
# Failover deployments are token-billed: they upgrade when their version is retired.
FAILOVER_UPGRADE: VersionUpgrade = "OnceCurrentVersionExpired"


class DuplicateDeployment(ValueError):
    """A workload planned twice in one region: its deployments would share a name."""


def spillover_name(workload: str) -> str:
    """The Standard deployment a workload's PTUs spill to, beside them in the same account."""
    return f"{workload}{SPILL_SUFFIX}"


def _deployments_of(w: WorkloadPlan) -> list[tuple[str, OpenAIDeployment]]:
    plan = w.azure_openai
    if plan is None or not w.regions:
        return []
    spill = plan.spillover
    placed = []
    if spill is not None:
        # Created first: the provisioned deployment names it in spilloverDeploymentName.
        placed.append(
            (w.regions[0], "spillover", spill.deployment_type, spill.capacity, spill.capacity_unit)
        )
    placed.append(
        (w.regions[0], "primary", plan.deployment_type, plan.capacity, plan.capacity_unit)
    )
    placed += [
        (f.region, "failover", f.deployment_type, f.capacity, f.capacity_unit)
        for f in plan.failover
    ]
    return [
        (
            region,
            OpenAIDeployment(
                workload=w.name,
                role=role,
                model=plan.model,
                model_version=plan.model_version,
                deployment_type=deployment_type,
                capacity=capacity,
                capacity_unit=unit,
                tags=dict(w.tags),
                version_upgrade=plan.version_upgrade if role == "primary" else FAILOVER_UPGRADE,
                model_format=plan.model_format,
                name=spillover_name(w.name) if role == "spillover" else "",
                spillover_deployment=(
                    spillover_name(w.name) if role == "primary" and spill is not None else None
                ),
            ),
        )
        for region, role, deployment_type, capacity, unit in placed
    ]


def openai_accounts(workloads: Iterable[WorkloadPlan]) -> tuple[OpenAIAccount, ...]:
    """An account in every region of a feasible Azure OpenAI workload, by region, each with the
    deployments placed there."""
    regions: set[str] = set()
    placed: dict[str, dict[tuple[str, int], OpenAIDeployment]] = {}
    for w in workloads:
        if w.azure_openai is None or not w.feasible:
            continue
        regions.update(w.regions)
        for region, deployment in _deployments_of(w):
            if region not in w.regions:
                continue  # a failover outside the workload's regions has no account to go to
            held = placed.setdefault(region, {})
            # A workload's spillover deployment goes just before its primary.
            key = (w.name, 0 if deployment.role == "spillover" else 1)
            if key in held:
                raise DuplicateDeployment(
                    f"workload {w.name}: more than one Azure OpenAI deployment planned in "
                    f"{region}; a deployment is named after its workload, so one account holds "
                    "one per workload"
                )
            held[key] = deployment
    return tuple(
        OpenAIAccount(region, tuple(d for _, d in sorted(placed.get(region, {}).items())))
        for region in sorted(regions)
    )
