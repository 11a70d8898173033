"""Why a candidate is rejected, as a value made where the decision is made.

A `Rejection` carries its kind (what the optimizer, the alternatives and the relaxation messages
switch on), a sentence for people, and the numbers behind it; nothing downstream reads the
sentence to find out what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RejectionKind = Literal[
    "retired",  # the model version is retired: every call fails
    "deprecated",  # the model version takes no new deployments (a new subscription fails)
    "unsupported",  # the engine or GPU cannot run the configuration at all
    "memory",  # the longest request does not fit in the KV cache
    "context",  # the request does not fit the model's context or output limits
    "slo",  # predicted latency or speed misses the SLO
    "region",  # not offered (with a known price) in the allowed regions
    "residency",  # the deployment type processes data outside what residency allows
    "offer",  # the model has no such offer
    "availability",  # the topology the availability target needs cannot be placed
    "quota",  # needs more than one deployment can hold or the quota allows
    "cost-cap",  # meets everything else but costs more than the cap
    "hardware",  # excluded, or not allowed, by spec.hardware
    "azure-limit",  # beyond what Azure or Kubernetes can express (nodes per pool, replicas)
]

# Order in which kinds are worth showing when several apply to one candidate: the first one
# is the candidate's kind (a residency breach matters more than its price).
KIND_ORDER: tuple[RejectionKind, ...] = (
    "retired",
    "deprecated",
    "hardware",
    "unsupported",
    "residency",
    "offer",
    "region",
    "context",
    "memory",
    "slo",
    "quota",
    "azure-limit",
    "availability",
    "cost-cap",
)


@dataclass(frozen=True)
class Rejection:
    """One reason a candidate cannot be chosen. ``figures`` are the numbers behind it, by name
    (``("monthly_usd", 4120.0), ("cap_usd", 4000.0)``), for reports and relaxations."""

    kind: RejectionKind
    message: str
    figures: tuple[tuple[str, float], ...] = ()

    def figure(self, name: str) -> float | None:
        return dict(self.figures).get(name)


class MayBeRejected:
    """The one rejection shape of every candidate type (mixed into frozen dataclasses that
    declare ``rejections``): chosen only when there is none; the earliest kind in
    `KIND_ORDER` names the candidate's kind, and people read every sentence."""

    rejections: tuple[Rejection, ...]

    @property
    def feasible(self) -> bool:
        return not self.rejections

    @property
    def rejection(self) -> Rejection | None:
        return first_rejection(self.rejections)

    @property
    def rejected_reason(self) -> str | None:
        return joined(self.rejections) if self.rejections else None

    @property
    def rejection_kind(self) -> str:
        rejection = self.rejection
        return rejection.kind if rejection else ""


def only(rejection: Rejection | None) -> tuple[Rejection, ...]:
    """A single decision as ``rejections``: none, or that one."""
    return (rejection,) if rejection is not None else ()


def first_rejection(rejections: tuple[Rejection, ...] | list[Rejection]) -> Rejection | None:
    """The rejection that names the candidate's kind: the earliest in `KIND_ORDER`."""
    if not rejections:
        return None
    return min(rejections, key=lambda r: KIND_ORDER.index(r.kind))


def joined(rejections: tuple[Rejection, ...] | list[Rejection]) -> str:
    """Every rejection's sentence, most important first, for people."""
    ordered = sorted(rejections, key=lambda r: KIND_ORDER.index(r.kind))
    return "; ".join(r.message for r in ordered)


def cost_cap_rejection(monthly_usd: float, cap_usd: float | None) -> Rejection | None:
    """The cost-cap rejection of a candidate billed ``monthly_usd``, or None within the cap."""
    if cap_usd is None or monthly_usd <= cap_usd:
        return None
    return Rejection(
        "cost-cap",
        f"${monthly_usd:,.0f}/month exceeds the cost cap of ${cap_usd:,.0f}",
        (("monthly_usd", monthly_usd), ("cap_usd", cap_usd)),
    )
