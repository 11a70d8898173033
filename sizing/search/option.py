"""The common shape the optimizer compares candidates of every target in."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sizing.plan import WorkloadPlan
from sizing.search.decisions import MayBeRejected, Rejection


@dataclass(frozen=True)
class CandidateFigures:
    """What a candidate is predicted to deliver, for ``plan --candidates`` and relaxations."""

    ttft_p95_ms: float | None = None  # at the planned load (a lone request when none fits)
    itl_ms: float | None = None
    tps_per_request: float | None = None
    concurrency_per_replica: int | None = None
    replicas: int | None = None
    nodes: int | None = None
    gpus: int | None = None
    capacity: int | None = None  # Azure OpenAI kTPM or PTU
    capacity_unit: str | None = None
    regions: tuple[str, ...] = ()
    planned_availability: float | None = None


@dataclass(frozen=True)
class Option(MayBeRejected):
    """One candidate of either target, reduced to what the choice needs.

    Ranking: monthly cost, then the region's place in the workload's list, then ``preference``
    (lower first: for Azure OpenAI the narrower data scope wins a tie), then target and summary
    so that equal options still have one order.
    """

    target: str
    summary: str
    monthly_usd: float
    region_rank: int
    rejections: tuple[Rejection, ...]
    build: Callable[[], WorkloadPlan] | None  # the full plan if this option is chosen
    preference: int = 0
    # Best latency a lone request gets, for relaxation messages: (ttft_p95_ms, tokens/s).
    best_latency: tuple[float, float] | None = None
    meets_slo: bool = False  # the SLO is met; something else (cost, region) rejects it
    figures: CandidateFigures = CandidateFigures()

    def sort_key(self) -> tuple:
        cost = round(self.monthly_usd, 2) if math.isfinite(self.monthly_usd) else math.inf
        return (cost, self.region_rank, self.preference, self.target, self.summary)
