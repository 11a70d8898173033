"""The common shape the optimizer compares candidates of every target in."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sizing.plan import WorkloadPlan


@dataclass(frozen=True)
class Option:
    """One candidate of either target, reduced to what the choice needs."""

    target: str
    summary: str
    monthly_usd: float
    region_rank: int
    rejected_reason: str | None
    build: Callable[[], WorkloadPlan] | None  # the full plan if this option is chosen
    tie_break: tuple = ()

    @property
    def feasible(self) -> bool:
        return self.rejected_reason is None

    def sort_key(self) -> tuple:
        cost = round(self.monthly_usd, 2) if math.isfinite(self.monthly_usd) else math.inf
        return (cost, self.region_rank, self.target, self.summary, self.tie_break)
