"""Pull-request notes from measurements: a change to a workload whose last measurement
disagreed with its plan is worth a second look before merging.

A measurement disagrees when the SLO missed at the planned load, or when the capacity measured
at the SLO is off the predicted one by more than `CAPACITY_TOLERANCE` either way (where every
step met the SLO the measured capacity is a lower bound, and only one above the prediction can
disagree). Only the newest
measurement of each stack x workload counts (a later run that agrees settles the question).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inferplan.verify.compare import capacity_bracketed, slo_holds
from inferplan.verify.measurement import Measurement

KIND = "measurement-disagreed"
CAPACITY_TOLERANCE = 1.25  # measured / predicted capacity outside [1/1.25, 1.25]


def disagreement(m: Measurement) -> str | None:
    """Why a measurement disagreed with its plan, in words; None when it agreed."""
    if not slo_holds(m):
        first = m.steps[0]
        return (
            f"the SLO missed at the planned load ({first.rate_per_s:.2f} requests/s: TTFT p95 "
            f"{first.ttft_ms.p95:,.0f} ms against {m.slo.ttft_p95_ms:,.0f} ms)"
        )
    measured, predicted = m.capacity_rate_per_s, m.predicted.capacity_rate_per_s
    if measured and predicted:
        ratio = measured / predicted
        too_low = ratio < 1 / CAPACITY_TOLERANCE and capacity_bracketed(m.steps)
        if too_low or ratio > CAPACITY_TOLERANCE:
            return (
                f"the capacity at the SLO measured {measured:.2f} requests/s, x{ratio:.2f} the "
                f"predicted {predicted:.2f}"
            )
    return None


def newest(measurements: Sequence[tuple[str, Measurement]]) -> dict[tuple[str, str], tuple]:
    """The newest measurement per (stack, workload), with its file."""
    latest: dict[tuple[str, str], tuple[str, Measurement]] = {}
    for source, m in measurements:
        key = (m.subject.stack, m.subject.workload)
        if key not in latest or m.started_at > latest[key][1].started_at:
            latest[key] = (source, m)
    return latest


def add_measurement_notes(
    report: Mapping[str, Any], measurements: Sequence[tuple[str, Measurement]]
) -> int:
    """Add a warning to each stack of a diff report for every changed workload whose newest
    measurement disagreed; returns how many were added."""
    latest = newest(measurements)
    added = 0
    for entry in report["stacks"]:
        for workload in entry["workloads"]:
            found = latest.get((entry["stack"], workload["name"]))
            if found is None:
                continue
            source, m = found
            why = disagreement(m)
            if why is None:
                continue
            entry["warnings"].append(
                {
                    "kind": KIND,
                    "subject": workload["name"],
                    "message": (
                        f"this change touches {workload['name']}, whose measurement of "
                        f"{m.started_at[:10]} disagreed with its plan: {why}"
                    ),
                    "source": source,
                }
            )
            added += 1
    if added and isinstance(report, dict):
        report["warnings"] = report.get("warnings", 0) + added
    return added
