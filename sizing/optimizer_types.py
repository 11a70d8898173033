"""The common shape the optimizer compares candidates of every target in."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from inferplan.sizing.plan import WorkloadPlan


@dataclass(frozen=True)
class Option:
    """One candidate of either target, reduced to what the choice needs.

    Ranking: monthly cost, then the region's place in the workload's list, then ``preference``
    (lower first: for Azure OpenAI the narrower data scope wins a tie), then target and summary
    so that equal options still have one order.
    """

    target: str
    summary: str
    monthly_usd: float
    region_rank: int
    rejected_reason: str | None
    build: Callable[[], WorkloadPlan] | None  # the full plan if this option is chosen
    # Kind of rejection: unsupported, memory, slo, region, availability, residency, offer,
    # cost-cap, other. Alternatives show one of each; relaxations are chosen by it.
    rejection_kind: str = ""
    preference: int = 0
    # Best latency a lone request gets, for relaxation messages: (ttft_p95_ms, tokens/s).
    best_latency: tuple[float, float] | None = None
    meets_slo: bool = False  # the SLO is met; something else (cost, region) rejects it

    @property
    def feasible(self) -> bool:
        return self.rejected_reason is None

    def sort_key(self) -> tuple:
        cost = round(self.monthly_usd, 2) if math.isfinite(self.monthly_usd) else math.inf
        return (cost, self.region_rank, self.preference, self.target, self.summary)
