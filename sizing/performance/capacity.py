"""Capacity at the SLO: the most requests one replica serves at once inside a latency target.

This is the figure the optimizer buys replicas with, and what ``inferplan estimate
--slo-ttft-p95-ms N --slo-tps M`` prints. TTFT rises and tokens/s per request fall as
concurrency grows (the scheduler model keeps both monotone), so the largest concurrency that
meets both targets is found by bisection between 1 and the most the scheduler runs at once.
What stops one more request is the binding constraint:

* ``ttft``: the p95 time to first token would exceed its target;
* ``itl``: tokens/s per request would fall below its target (the inter-token latency);
* ``kv-memory`` or ``max-num-seqs``: the targets still hold when the KV cache or the
  scheduler's sequence limit is full, so that limit decides. Under Poisson arrivals the KV
  cache keeps room for the fluctuation of the number in flight (``kv_safe_concurrency``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from sizing.catalog.entries import GpuSpec, ModelSpec, PrecisionSpec
from sizing.performance.efficiency import EfficiencyFactors, default_efficiency
from sizing.performance.engine_limits import Engine, EngineLimits
from sizing.performance.estimator import (
    Estimate,
    estimate_from_load,
    replica_for_lengths,
    scheduler_limits,
)
from sizing.performance.scheduler_model import predict_load
from sizing.performance.traffic import Arrival, LengthMix

BindingConstraint = Literal["ttft", "itl", "kv-memory", "max-num-seqs"]


@dataclass(frozen=True)
class SloTarget:
    """The latency a workload promises: p95 TTFT, output tokens/s per request, and TTFT and
    ITL at further percentiles (``(percentile, ms)``: TTFT at 50 or 99, ITL at 50 or 99)."""

    ttft_p95_ms: float
    tps_per_request: float | None = None  # tokens/s one request streams (ITL + TTFT)
    ttft_ms_at: tuple[tuple[int, float], ...] = ()
    itl_ms_at: tuple[tuple[int, float], ...] = ()

    @property
    def percentiles(self) -> tuple[int, ...]:
        """The percentiles besides 95 the estimates must carry."""
        named = {p for p, _ in (*self.ttft_ms_at, *self.itl_ms_at) if p != 95}
        return tuple(sorted(named))


@dataclass(frozen=True)
class CapacityAtSlo:
    """The largest concurrency meeting the target, and what stops one more."""

    concurrency: int  # 0: not even a lone request meets the target
    binding: BindingConstraint  # what fails at concurrency + 1 (or at 1 when concurrency is 0)
    arrival: str
    at_capacity: Estimate | None  # the estimate at ``concurrency`` (None when 0)
    at_one: Estimate  # a lone request: the best this configuration does

    @property
    def request_rate_per_s(self) -> float:
        """Requests per second at capacity (concurrency over a request's life)."""
        if self.at_capacity is None:
            return 0.0
        return self.concurrency / self.at_capacity.e2e_latency_s


def kv_safe_concurrency(*, slots: int, kv_bound: bool, arrival: str) -> int:
    """The most requests in flight the KV cache takes without preempting.

    Closed-loop clients hold exactly ``C`` in flight. Under Poisson arrivals the number in
    flight fluctuates, about ``1 + Poisson(C - 1)``; a KV cache sized for the mean would fill
    and preempt (the simulator shows the replica collapse into recomputation). So when the KV
    cache sets the slots, keep the 95th percentile inside it: ``C + 1.645 sqrt(C - 1) <= slots``.
    """
    if arrival != "poisson" or not kv_bound:
        return slots
    z = 1.6449
    root = (-z + math.sqrt(z * z + 4.0 * (slots - 1))) / 2.0
    return max(int(root * root + 1.0 + 1e-9), 1)


def failing(est: Estimate, target: SloTarget) -> BindingConstraint | None:
    """Which part of the target an estimate misses: TTFT first, then tokens/s."""
    if not est.fits or not math.isfinite(est.ttft_p95_ms) or est.ttft_p95_ms > target.ttft_p95_ms:
        return "ttft"
    if any(not est.ttft_at_ms(p) <= ms for p, ms in target.ttft_ms_at):
        return "ttft"
    if target.tps_per_request is not None and est.tps_per_request < target.tps_per_request:
        return "itl"
    if any(not est.itl_at_ms(p) <= ms for p, ms in target.itl_ms_at):
        return "itl"
    return None


def capacity_at_slo(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    target: SloTarget,
    arrival: Arrival = "poisson",
    engine: Engine = "vllm",
    limits: EngineLimits | None = None,
    eff: EfficiencyFactors | None = None,
) -> CapacityAtSlo:
    """Largest concurrency whose TTFT p95 and tokens/s meet ``target`` under ``arrival``.

    Raises ``UnsupportedConfiguration`` like ``estimate``; a configuration whose memory does not
    fit has capacity 0 with binding ``kv-memory``.
    """
    eff = eff or default_efficiency()
    cost, mem, limits = replica_for_lengths(
        model=model,
        gpu=gpu,
        precision=precision,
        tp=tp,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        engine=engine,
        limits=limits,
        eff=eff,
    )
    if not mem.fits:
        from sizing.performance.estimator import estimate

        lone = estimate(
            model=model,
            gpu=gpu,
            precision=precision,
            tp=tp,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            concurrency=1,
            engine=engine,
            arrival=arrival,
            limits=limits,
            eff=eff,
        )
        return CapacityAtSlo(0, "kv-memory", arrival, None, lone)
    sched = scheduler_limits(mem=mem, limits=limits, model=model)
    lengths = LengthMix(input_tokens, output_tokens)

    quantiles = tuple(p / 100.0 for p in target.percentiles)

    def at(concurrency: int) -> Estimate:
        load = predict_load(
            cost=cost,
            limits=sched,
            lengths=lengths,
            arrival=arrival,
            concurrency=concurrency,
            quantiles=quantiles,
        )
        return estimate_from_load(
            load, mem=mem, limits=limits, arrival=arrival, output_tokens=output_tokens
        )

    one = at(1)
    miss = failing(one, target)
    if miss is not None:
        return CapacityAtSlo(0, miss, arrival, None, one)
    most = kv_safe_concurrency(
        slots=max(one.max_concurrency, 1),
        kv_bound=one.max_concurrency < limits.max_num_seqs,
        arrival=arrival,
    )
    top = at(most)
    if failing(top, target) is None:
        limit: BindingConstraint = "kv-memory" if most < limits.max_num_seqs else "max-num-seqs"
        return CapacityAtSlo(most, limit, arrival, top, one)
    return _largest_meeting(at, target, one, top, most, arrival)


def margin(est: Estimate, target: SloTarget) -> float:
    """How far an estimate is from its target, as the larger ratio of what it gets to what is
    allowed (TTFT p95 over its target, the tokens/s target over tokens/s): above 1 fails."""
    if not est.fits or not math.isfinite(est.ttft_p95_ms):
        return math.inf
    worst = est.ttft_p95_ms / target.ttft_p95_ms
    if target.tps_per_request is not None:
        worst = max(worst, target.tps_per_request / max(est.tps_per_request, 1e-12))
    for p, ms in target.ttft_ms_at:
        worst = max(worst, est.ttft_at_ms(p) / ms)
    for p, ms in target.itl_ms_at:
        worst = max(worst, est.itl_at_ms(p) / ms)
    return worst if math.isfinite(worst) else math.inf


SECANT_GUESSES = 5  # before plain halving takes over


def _largest_meeting(at, target, one, top, most, arrival) -> CapacityAtSlo:
    """The largest concurrency in (1, ``most``) that meets the target, with 1 meeting and
    ``most`` failing. The margin grows smoothly with concurrency, so a guess interpolated
    through the latest two margins (a secant) usually closes the bracket in three or four
    estimates where halving takes eight to ten; after ``SECANT_GUESSES`` (a knee where the
    queue saturates) the search halves. The answer is the same as halving's when the margin is
    monotone."""
    seen: dict[int, Estimate] = {1: one, most: top}
    low, high = 1, most
    m_low, m_high = margin(one, target), margin(top, target)

    def probe(c: int) -> float:
        nonlocal low, high, m_low, m_high
        if c not in seen:
            seen[c] = at(c)
        m = margin(seen[c], target)
        if failing(seen[c], target) is None:
            low, m_low = c, m
        else:
            high, m_high = c, m
        return m

    last = [(1, m_low), (most, m_high)]  # the two latest probes, for the secant
    guesses = 0
    while high - low > 1:
        (c1, m1), (c2, m2) = last[-2], last[-1]
        if guesses < SECANT_GUESSES and math.isfinite(m1) and math.isfinite(m2) and m1 != m2:
            guesses += 1
            # The secant through the two latest probes: where the margin reaches 1. Its floor
            # should meet the target and the next concurrency fail.
            x = c2 + (1.0 - m2) * (c2 - c1) / (m2 - m1)
            c = min(max(math.floor(x), low + 1), high - 1) if math.isfinite(x) else low + 1
        else:
            c = (low + high + 1) // 2
        last.append((c, probe(c)))
    binding: BindingConstraint = failing(seen[high], target) or "ttft"
    return CapacityAtSlo(low, binding, arrival, seen[low], one)
