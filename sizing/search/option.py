"""The common shape the optimizer compares candidates of every target in."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from sizing.plan import Candidate, CandidateFigures, WorkloadPlan
from sizing.search.decisions import MayBeRejected, Rejection


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
    figures: CandidateFigures = field(default_factory=CandidateFigures)

    def candidate(self, rank: int, *, chosen: bool) -> Candidate:
        """This option as the plan keeps it: plain data, ranked, without its plan builder."""
        return Candidate(
            rank=rank,
            chosen=chosen,
            target=self.target,
            summary=self.summary,
            monthly_usd=self.monthly_usd,
            rejections=self.rejections,
            figures=self.figures,
        )

    def sort_key(self) -> tuple:
        cost = round(self.monthly_usd, 2) if math.isfinite(self.monthly_usd) else math.inf
        return (cost, self.region_rank, self.preference, self.target, self.summary)
