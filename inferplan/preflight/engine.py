"""Preflight of one environment: ask Azure what the plan needs, then run the checks.

`ask_azure` is the only effectful part (every call through the client, one per API and region
the plan touches); a call that fails becomes a typed `Failed` answer, so one missing permission
leaves the other checks standing. `preflight` is `plan_needs` + `ask_azure` + `run_checks`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from inferplan.preflight import apis
from inferplan.preflight.checks import run_checks
from inferplan.preflight.client import AzureApiError, AzureClient, PermissionDenied
from inferplan.preflight.findings import (
    BLOCKING_STATUSES,
    Answers,
    Failed,
    Finding,
    RegionAnswers,
)
from inferplan.preflight.needs import Needs, plan_needs
from sizing.plan import Plan

if TYPE_CHECKING:
    from sizing.catalog import Catalog

T = TypeVar("T")


def _asked(api: str, call: Callable[[], T]) -> T | Failed:
    try:
        return call()
    except AzureApiError as error:
        return Failed(
            api=api,
            status=error.status,
            code=error.code,
            message=error.message,
            permission=isinstance(error, PermissionDenied),
        )


def ask_azure(needs: Needs, client: AzureClient, *, subscription_id: str) -> Answers:
    """Everything the checks compare against, read from Azure (effectful: network)."""
    sub = subscription_id
    regions: dict[str, RegionAnswers] = {}
    for region in sorted(set(needs.aks_regions) | set(needs.openai_regions)):
        aks = region in needs.aks_regions
        openai = region in needs.openai_regions
        cluster = next((c.name for c in needs.clusters if c.region == region), None)
        account = next((name for r, name in needs.accounts if r == region), None)
        regions[region] = RegionAnswers(
            vm_sizes=_asked(
                "Microsoft.Compute/skus",
                lambda r=region: apis.resource_skus(client, subscription_id=sub, location=r),
            )
            if aks
            else None,
            compute_usages=_asked(
                "Microsoft.Compute/locations/usages",
                lambda r=region: apis.compute_usages(client, subscription_id=sub, location=r),
            )
            if aks
            else None,
            kubernetes_versions=_asked(
                "Microsoft.ContainerService/locations/kubernetesVersions",
                lambda r=region: apis.kubernetes_versions(client, subscription_id=sub, location=r),
            )
            if aks
            else None,
            agent_pools=_asked(
                "Microsoft.ContainerService/managedClusters/agentPools",
                lambda c=cluster: apis.existing_agent_pools(
                    client, subscription_id=sub, resource_group=needs.resource_group, cluster=c
                ),
            )
            if aks and cluster
            else None,
            models=_asked(
                "Microsoft.CognitiveServices/locations/models",
                lambda r=region: apis.location_models(client, subscription_id=sub, location=r),
            )
            if openai
            else None,
            cognitive_usages=_asked(
                "Microsoft.CognitiveServices/locations/usages",
                lambda r=region: apis.cognitive_usages(client, subscription_id=sub, location=r),
            )
            if openai
            else None,
            deployments=_asked(
                "Microsoft.CognitiveServices/accounts/deployments",
                lambda a=account: apis.existing_deployments(
                    client, subscription_id=sub, resource_group=needs.resource_group, account=a
                ),
            )
            if openai and account
            else None,
        )
    gateway = needs.gateway is not None
    return Answers(
        regions=regions,
        gateway_tiers=_asked(
            "Microsoft.ApiManagement/skus",
            lambda: apis.gateway_tiers(client, subscription_id=sub),
        )
        if gateway
        else None,
        deleted_gateways=_asked(
            "Microsoft.ApiManagement/deletedservices",
            lambda: apis.deleted_gateways(client, subscription_id=sub),
        )
        if gateway
        else None,
        deleted_accounts=_asked(
            "Microsoft.CognitiveServices/deletedAccounts",
            lambda: apis.deleted_accounts(client, subscription_id=sub),
        )
        if needs.accounts
        else None,
    )


@dataclass(frozen=True)
class PreflightReport:
    stack: str
    findings: tuple[Finding, ...]
    waited_s: float = 0.0  # time spent waiting out throttling

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.status in BLOCKING_STATUSES)

    @property
    def exit_code(self) -> int:
        """0 all clear (warnings allowed), 1 a blocking or unchecked finding."""
        return 1 if self.blocking else 0

    def counts(self) -> dict[str, int]:
        out = {"blocking": 0, "unchecked": 0, "warning": 0, "ok": 0}
        for f in self.findings:
            out[f.status] += 1
        return out

    def summary(self) -> str:
        counts = self.counts()
        parts = [f"{n} {status}" for status, n in counts.items() if n or status == "blocking"]
        verdict = "not ready to deploy" if self.blocking else "ready to deploy"
        return f"preflight {self.stack}: {verdict} ({', '.join(parts)})"


def preflight(
    plan: Plan,
    environment: str,
    *,
    client: AzureClient,
    subscription_id: str,
    freshness: tuple[Finding, ...] = (),
) -> PreflightReport:
    """Every check of ``plan`` against Azure; ``freshness`` (`freshness_findings`) is added
    after them."""
    needs = plan_needs(plan, environment, subscription_id=subscription_id)
    answers = ask_azure(needs, client, subscription_id=subscription_id)
    return PreflightReport(
        stack=environment,
        findings=(*run_checks(needs, answers), *freshness),
        waited_s=sum(client.waited_s),
    )


def freshness_findings(catalog: Catalog, today: dt.date) -> tuple[Finding, ...]:
    """A warning per catalog family (lifecycle, prices) not checked within 90 days of ``today``:
    the live answers above are current, the plan's dates and prices may not be."""
    from sizing.catalog.freshness import stale_families

    return tuple(
        Finding(
            "catalog-freshness",
            "warning",
            "stale",
            "-",
            f"catalog {age.family}",
            f"facts checked on {age.checked}",
            age.message(),
            f"run `{age.refresh}` and review the diff before committing",
        )
        for age in stale_families(catalog, today)
    )
