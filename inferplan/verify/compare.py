"""Measured beside predicted: the verdict per SLO term, the ratios, the capacity at the SLO.

A load step meets the SLO when its TTFT p95 is inside the target, its median request streams at
least the target tokens/s, and no more than `MAX_ERROR_SHARE` of its requests failed (a 429 is
a failure: the client did not get its answer). The verdict of a run is the verdict at the
planned load (the first step).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from inferplan.verify.measurement import LoadStep, Measurement
from inferplan.verify.targets import MAX_ERROR_SHARE

Verdict = Literal["meets", "misses", "not-measured"]


def step_meets_slo(step: LoadStep, *, ttft_p95_ms: float, tps_per_request: float) -> bool:
    sent = step.requests_ok + step.requests_errored
    if step.requests_ok == 0 or sent == 0:
        return False
    if step.requests_errored / sent > MAX_ERROR_SHARE:
        return False
    if step.ttft_ms.p95 > ttft_p95_ms:
        return False
    if tps_per_request > 0:
        return step.tps_per_request_p50 is not None and step.tps_per_request_p50 >= tps_per_request
    return True


def capacity(steps: tuple[LoadStep, ...]) -> LoadStep | None:
    """The step with the largest achieved rate among those that met the SLO."""
    passing = [s for s in steps if s.slo_met]
    return max(passing, key=lambda s: s.achieved_rate_per_s, default=None)


def capacity_bracketed(steps: tuple[LoadStep, ...]) -> bool:
    """Some step missed the SLO: the capacity is between the best step that met it and the
    missing one. Otherwise every step met it, and the measured capacity is only a lower
    bound."""
    return any(not s.slo_met for s in steps)


def iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Row:
    """One figure, measured beside predicted."""

    term: str
    unit: str
    measured: float | None
    predicted: float | None
    target: float | None  # the SLO's bound, when the figure is an SLO term
    verdict: Verdict | None  # SLO terms only

    @property
    def ratio(self) -> float | None:
        if self.measured is None or not self.predicted:
            return None
        return self.measured / self.predicted


def rows(m: Measurement) -> list[Row]:
    """The comparison at the planned load (the first step), then the capacity."""
    planned = m.steps[0]
    p = m.predicted
    ttft_ok = planned.requests_ok > 0 and planned.ttft_ms.p95 <= m.slo.ttft_p95_ms
    tps = planned.tps_per_request_p50
    tps_ok = tps is not None and tps >= m.slo.output_tokens_per_second_p50
    sent = planned.requests_ok + planned.requests_errored
    error_share = planned.requests_errored / sent if sent else None
    cap_rate = m.capacity_rate_per_s
    capacity = "capacity at the SLO" if capacity_bracketed(m.steps) else "capacity, at least"
    return [
        Row(
            "TTFT p95",
            "ms",
            planned.ttft_ms.p95 if planned.requests_ok else None,
            p.ttft_p95_ms,
            m.slo.ttft_p95_ms,
            ("meets" if ttft_ok else "misses") if planned.requests_ok else "not-measured",
        ),
        Row(
            "tokens/s per request p50",
            "tok/s",
            tps,
            p.tps_per_request,
            m.slo.output_tokens_per_second_p50,
            ("meets" if tps_ok else "misses") if tps is not None else "not-measured",
        ),
        Row(
            "errors",
            "share",
            error_share,
            0.0,
            MAX_ERROR_SHARE,
            None
            if error_share is None
            else ("meets" if error_share <= MAX_ERROR_SHARE else "misses"),
        ),
        Row("ITL mean", "ms", planned.itl_mean_ms or None, p.itl_ms, None, None),
        Row("ITL p50", "ms", planned.itl_ms.p50 or None, None, None, None),
        Row("ITL p95", "ms", planned.itl_ms.p95 or None, None, None, None),
        Row("ITL p99", "ms", planned.itl_ms.p99 or None, None, None, None),
        Row("goodput", "share", planned.goodput, None, None, None),
        Row("throttled (429)", "requests", float(planned.throttled), None, None, None),
        Row(capacity, "req/s", cap_rate, p.capacity_rate_per_s, None, None),
        Row(
            capacity,
            "in flight",
            m.capacity_concurrency,
            p.capacity_concurrency,
            None,
            None,
        ),
    ]


def slo_holds(m: Measurement) -> bool:
    """The verdict of the run: the SLO holds at the planned load."""
    return m.steps[0].slo_met
