"""Every candidate the optimizer considered for each workload, as rows for people and tools.

``inferplan plan --candidates`` prints these: the chosen one, the runners-up and every rejected
configuration with its rejection kind (decided where the rejection happened) and message.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from inputs.plan_inputs import PlanInputs
from sizing.catalog import Catalog
from sizing.planner import requests_of
from sizing.search.optimizer import search_workload
from sizing.search.option import Option

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
    rank: int  # 1 = best-ranked (cheapest, then preferences)
    chosen: bool
    option: Option

    def values(self) -> dict[str, object]:
        """The row by `CANDIDATE_COLUMNS`; None where a figure does not apply."""
        o, f = self.option, self.option.figures
        return {
            "environment": self.environment,
            "workload": self.workload,
            "rank": self.rank,
            "chosen": self.chosen,
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


def candidate_rows(inputs: PlanInputs, *, catalog: Catalog) -> Iterator[CandidateRow]:
    """Every candidate of every workload, workloads in plan order, candidates best first."""
    requests = sorted(
        requests_of(inputs, catalog=catalog), key=lambda r: (r.environment or "", r.name, r.source)
    )
    for req in requests:
        search = search_workload(req, catalog=catalog)
        chosen = next((i for i, o in enumerate(search.candidates) if o.feasible), None)
        for index, option in enumerate(search.candidates):
            yield CandidateRow(req.environment, req.name, index + 1, index == chosen, option)
