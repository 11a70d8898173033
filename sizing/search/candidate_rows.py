"""Every candidate the optimizer considered for each workload, as rows for people and tools.

``inferplan plan --candidates`` prints these: the chosen one, the runners-up and every rejected
configuration with its rejection kind (decided where the rejection happened) and message. They
are read from the plan (``WorkloadPlan.candidates``): the search ran once, when planning.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from sizing.plan import Candidate, Plan

CANDIDATE_COLUMNS = (
    "environment",
    "workload",
    "rank",
    "chosen",
    "target",
    "configuration",
    "regions",
    "monthly_usd",
    "ttft_p95_ms",
    "itl_ms",
    "tps_per_request",
    "concurrency_per_replica",
    "replicas",
    "nodes",
    "gpus",
    "capacity",
    "capacity_unit",
    "planned_availability",
    "rejection_kind",
    "rejection",
)


@dataclass(frozen=True)
class CandidateRow:
    environment: str | None
    workload: str
    candidate: Candidate

    def values(self) -> dict[str, object]:
        """The row by `CANDIDATE_COLUMNS`; None where a figure does not apply."""
        o, f = self.candidate, self.candidate.figures
        return {
            "environment": self.environment,
            "workload": self.workload,
            "rank": o.rank,
            "chosen": o.chosen,
            "target": o.target,
            "configuration": o.summary,
            "regions": list(f.regions),
            "monthly_usd": round(o.monthly_usd, 2) if math.isfinite(o.monthly_usd) else None,
            "ttft_p95_ms": _rounded(f.ttft_p95_ms),
            "itl_ms": _rounded(f.itl_ms),
            "tps_per_request": _rounded(f.tps_per_request),
            "concurrency_per_replica": f.concurrency_per_replica,
            "replicas": f.replicas,
            "nodes": f.nodes,
            "gpus": f.gpus,
            "capacity": f.capacity,
            "capacity_unit": f.capacity_unit,
            "planned_availability": f.planned_availability,
            "rejection_kind": o.rejection.kind if o.rejection else None,
            "rejection": o.rejection.message if o.rejection else None,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, 2)


def candidate_rows(plan: Plan) -> Iterator[CandidateRow]:
    """Every candidate of every workload, workloads in plan order, candidates best first."""
    for w in plan.workloads:
        for candidate in w.candidates:
            yield CandidateRow(w.environment, w.name, candidate)
