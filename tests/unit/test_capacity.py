"""Capacity at the SLO: the largest concurrency inside a target, and what binds it."""

from __future__ import annotations

import dataclasses

import pytest

from sizing.catalog import default_catalog
from sizing.performance.capacity import SloTarget, capacity_at_slo, failing
from sizing.performance.efficiency import default_efficiency
from sizing.performance.estimator import estimate
from sizing.search.request import SizingRequest
from sizing.search.self_hosted import replica_capacity

CAT = default_catalog()
EFF = default_efficiency()
R70 = dict(
    model=CAT.model("llama-3.1-70b"), gpu=CAT.gpu("h100-nvl"), precision=CAT.precision("fp8"), tp=2
)


def capacity(n_in=1500, n_out=300, ttft_ms=1000.0, tps=None, arrival="poisson", **replica):
    return capacity_at_slo(
        **(replica or R70),
        input_tokens=n_in,
        output_tokens=n_out,
        target=SloTarget(ttft_ms, tps),
        arrival=arrival,
    )


@pytest.mark.parametrize(
    ("target", "binding"),
    [
        pytest.param(dict(ttft_ms=300.0), "ttft", id="tight-ttft"),
        pytest.param(dict(ttft_ms=60000.0, tps=30.0), "itl", id="tokens-per-second"),
        pytest.param(dict(ttft_ms=600000.0, n_in=20000, n_out=2000), "kv-memory", id="kv-cache"),
    ],
)
def test_the_binding_constraint_is_what_one_more_request_breaks(target, binding) -> None:
    cap = capacity(**target)
    assert cap.concurrency >= 1
    assert cap.binding == binding
    assert failing(cap.at_capacity, SloTarget(target["ttft_ms"], target.get("tps"))) is None
    if binding in ("ttft", "itl"):  # one more would miss the target
        more = estimate(
            **R70,
            input_tokens=target.get("n_in", 1500),
            output_tokens=target.get("n_out", 300),
            concurrency=cap.concurrency + 1,
            arrival="poisson",
        )
        assert failing(more, SloTarget(target["ttft_ms"], target.get("tps"))) == binding
    else:  # the KV cache is full at capacity, with room for the fluctuation of Poisson arrivals
        slots = cap.at_one.max_concurrency
        assert cap.concurrency + 1.6449 * (cap.concurrency - 1) ** 0.5 <= slots
        assert (cap.concurrency + 1) + 1.6449 * cap.concurrency**0.5 > slots


def test_closed_loop_clients_may_fill_the_kv_cache_poisson_arrivals_may_not() -> None:
    target = dict(ttft_ms=600000.0, n_in=20000, n_out=2000)
    closed = capacity(**target, arrival="closed-loop")
    poisson = capacity(**target)
    assert closed.binding == poisson.binding == "kv-memory"
    assert closed.concurrency == closed.at_one.max_concurrency > poisson.concurrency


def test_max_num_seqs_binds_when_sequences_are_tiny() -> None:
    cap = capacity(n_in=32, n_out=16, ttft_ms=60000.0)
    assert (cap.binding, cap.concurrency) == ("max-num-seqs", 1024)


def test_a_target_a_lone_request_misses_has_no_capacity() -> None:
    cap = capacity(n_in=24000, n_out=100, ttft_ms=100.0)
    assert cap.concurrency == 0 and cap.binding == "ttft" and cap.at_capacity is None
    assert cap.request_rate_per_s == 0.0


def test_a_looser_target_never_lowers_capacity() -> None:
    caps = [capacity(ttft_ms=ms).concurrency for ms in (300, 500, 1000, 2000, 4000)]
    assert caps == sorted(caps) and caps[0] < caps[-1]


def test_capacity_request_rate_is_concurrency_over_request_life() -> None:
    cap = capacity()
    assert cap.request_rate_per_s == pytest.approx(cap.concurrency / cap.at_capacity.e2e_latency_s)


def test_the_optimizer_buys_replicas_with_this_capacity() -> None:
    req = SizingRequest(
        name="chat", model="llama-3.1-70b", precisions=("fp8",), deployment="aks-vllm",
        max_input_tokens=4000, max_output_tokens=500, avg_input_tokens=1500,
        avg_output_tokens=300, peak_concurrency=64, peak_requests_per_minute=None,
        ttft_p95_ms=1000, output_tokens_per_second_p50=25, availability=99.5,
        regions=("eastus2",), geography="us", strict_residency=False,
    )  # fmt: skip
    replica = replica_capacity(**R70, req=req, eff=EFF)
    direct = capacity(ttft_ms=1000.0, tps=25.0)
    assert replica.concurrency == direct.concurrency
    assert replica.binding_constraint == direct.binding
    assert replica.at_capacity.ttft_p95_ms == direct.at_capacity.ttft_p95_ms
    assert replica.at_capacity.tps_per_request == direct.at_capacity.tps_per_request
    # a longer prompt on the same replica serves fewer
    longer = replica_capacity(**R70, req=dataclasses.replace(req, avg_input_tokens=3000), eff=EFF)
    assert longer.concurrency < replica.concurrency


def test_the_plan_states_the_scheduler_settings_its_capacity_assumed() -> None:
    """vLLM runs with the sequence limit the plan bought, the token budget and memory share the
    model assumed (the pinned release's defaults for a >= 70 GiB GPU), and chunked prefill on."""
    from sizing.search.optimizer import plan_workload

    req = SizingRequest(
        name="chat", model="llama-3.1-70b", precisions=("fp8",), deployment="aks-vllm",
        max_input_tokens=4000, max_output_tokens=500, avg_input_tokens=1500,
        avg_output_tokens=300, peak_concurrency=64, peak_requests_per_minute=None,
        ttft_p95_ms=1000, output_tokens_per_second_p50=25, availability=99.5,
        regions=("eastus2",), geography="us", strict_residency=False,
    )  # fmt: skip
    plan = plan_workload(req, catalog=CAT)
    args = plan.aks.vllm_args
    assert f"--max-num-seqs={plan.predicted.concurrency_per_replica}" in args
    assert "--max-num-batched-tokens=8192" in args
    assert "--gpu-memory-utilization=0.92" in args
    assert "--enable-chunked-prefill" in args
    assert (plan.predicted.arrival, plan.predicted.length_mix) == (
        "poisson",
        "fixed 1500+300 tokens",
    )
    assert plan.predicted.binding_constraint in ("ttft", "itl", "kv-memory", "max-num-seqs")


@pytest.mark.parametrize(
    ("n_in", "n_out", "ttft_ms", "tps", "replica"),
    [
        pytest.param(1500, 300, 1000.0, None, "r70", id="70b-ttft"),
        pytest.param(2000, 300, 800.0, 30.0, "r8", id="8b-both"),
        pytest.param(8000, 500, 4000.0, 12.0, "r70", id="70b-long-prompts"),
        pytest.param(500, 200, 300.0, 40.0, "r8", id="8b-tight"),
    ],
)
def test_the_secant_search_finds_what_a_scan_of_every_concurrency_finds(
    n_in, n_out, ttft_ms, tps, replica
) -> None:
    """The capacity search guesses from the margins instead of halving; it must still return
    the largest concurrency that meets the target (and what fails one above it), as a scan of
    every concurrency from 1 does."""
    r8 = dict(model=CAT.model("llama-3.1-8b"), gpu=CAT.gpu("a100-80gb-pcie"),
              precision=CAT.precision("bf16"), tp=1)  # fmt: skip
    args = R70 if replica == "r70" else r8
    cap = capacity(n_in=n_in, n_out=n_out, ttft_ms=ttft_ms, tps=tps, **args)
    target = SloTarget(ttft_ms, tps)
    scanned = 0
    for c in range(1, cap.concurrency + 2):
        est = estimate(**args, input_tokens=n_in, output_tokens=n_out, concurrency=c,
                       arrival="poisson")  # fmt: skip
        if failing(est, target) is not None:
            assert cap.binding == failing(est, target) or cap.binding in (
                "kv-memory",
                "max-num-seqs",
            )
            break
        scanned = c
    assert cap.concurrency == scanned


def test_a_p99_ttft_target_binds_where_the_same_value_at_p95_does_not() -> None:
    """TTFT grows with the percentile (p50 <= p95 <= p99 at every load), so a target at p99
    admits fewer requests than the same figure at p95, and the estimate at capacity carries
    the p99 it was checked against."""
    at95 = capacity_at_slo(
        **R70, input_tokens=1500, output_tokens=300, target=SloTarget(800.0), arrival="poisson"
    )
    at99 = capacity_at_slo(
        **R70, input_tokens=1500, output_tokens=300,
        target=SloTarget(60000.0, ttft_ms_at=((99, 800.0),)), arrival="poisson",
    )  # fmt: skip
    assert 1 <= at99.concurrency < at95.concurrency
    assert at99.binding == "ttft"
    est = at99.at_capacity
    assert est.ttft_at_ms(99) <= 800.0
    one_more = estimate(
        **R70, input_tokens=1500, output_tokens=300, concurrency=at99.concurrency + 1,
        arrival="poisson", percentiles=(50, 99),
    )  # fmt: skip
    assert one_more.ttft_at_ms(99) > 800.0
    assert one_more.ttft_at_ms(50) <= one_more.ttft_p95_ms <= one_more.ttft_at_ms(99)


def test_an_itl_p99_target_binds_as_itl() -> None:
    free = capacity_at_slo(
        **R70, input_tokens=1500, output_tokens=300, target=SloTarget(60000.0), arrival="poisson"
    )
    tight = capacity_at_slo(
        **R70, input_tokens=1500, output_tokens=300,
        target=SloTarget(60000.0, itl_ms_at=((99, 45.0),)), arrival="poisson",
    )  # fmt: skip
    assert tight.concurrency < free.concurrency
    assert tight.binding == "itl"
    assert tight.at_capacity.itl_at_ms(99) <= 45.0
