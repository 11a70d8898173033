"""What preflight's checks produce and read: findings with typed decisions, and Azure's answers.

A `Finding` is one thing checked, ``ok`` included, so a report lists every check that ran.
Decisions are typed (``status``, ``problem``); ``needs``, ``azure`` and ``fix`` are for people.
An answer is the typed value an API gave, a `Failed` when it gave none, or None when the plan
did not need to ask.
"""

from __future__ import annotations

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
    "catalog-freshness",
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
    "deprecated",  # the model version takes no new deployments (lifecycleStatus Deprecated)
    "lts-only",  # Kubernetes version offered only under long-term support
    "preview",  # Kubernetes version offered as a preview
    "soft-deleted",  # a deleted resource still holds a globally unique name
    "not-listed",  # the API does not describe this at all; checked by hand
    "no-quota-entry",  # Azure reports no quota under the name the resource draws on
    "api-error",  # the answer could not be read (permission, throttling, outage)
    "stale",  # the catalog's lifecycle or prices were checked more than 90 days ago
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
    "catalog-freshness",
)


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


def unchecked(check: CheckName, region: str, resource: str, needs: str, failed: Failed) -> Finding:
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


def join(values: tuple[str, ...] | list[str], empty: str = "none") -> str:
    return ", ".join(values) if values else empty


def number(value: float) -> str:
    return f"{value:g}"
