"""The performance estimator: physics it must respect and accuracy it must keep."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sizing.catalog import default_catalog
from sizing.performance.calibration import compare, harness_scores, load_measurements, score
from sizing.performance.efficiency import EfficiencyFactors, default_efficiency
from sizing.performance.estimator import UnsupportedConfiguration, estimate, replica_step_cost
from sizing.performance.timing import (
    decode_step_time_s,
    experts_touched_fraction,
    prefill_pairs,
    prefill_time_s,
    step_cost,
)

CAT = default_catalog()
EFF = default_efficiency()


def run(model="llama-3-8b", gpu="h100-sxm", precision="bf16", tp=1, i=1000, o=200, c=None, **kw):
    return estimate(
        model=CAT.model(model),
        gpu=CAT.gpu(gpu),
        precision=CAT.precision(precision),
        tp=tp,
        input_tokens=i,
        output_tokens=o,
        concurrency=c,
        **kw,
    )


CONFIGS = [
    ("llama-3-8b", "h100-sxm", "bf16", 1),
    ("llama-3.1-70b", "h100-sxm", "fp8", 4),
    ("mixtral-8x7b", "a100-80gb-sxm", "fp16", 2),
    ("mistral-7b", "l40s", "fp8", 1),
]


@settings(max_examples=40, deadline=None)
@given(
    config=st.sampled_from(CONFIGS),
    lengths=st.tuples(st.integers(16, 4000), st.integers(1, 2000)),
    c1=st.integers(1, 400),
    extra=st.integers(1, 400),
    arrival=st.sampled_from(["closed-loop", "poisson"]),
)
def test_more_concurrency_never_lowers_itl_or_ttft(config, lengths, c1, extra, arrival) -> None:
    model, gpu, precision, tp = config
    i, o = lengths
    low = run(model, gpu, precision, tp, i, o, c1, arrival=arrival)
    high = run(model, gpu, precision, tp, i, o, c1 + extra, arrival=arrival)
    if not low.fits:
        return
    assert high.itl_ms >= low.itl_ms * (1 - 1e-9)
    assert high.ttft_ms >= low.ttft_ms * (1 - 1e-9)
    assert high.ttft_p95_ms >= high.ttft_ms * (1 - 1e-9)


@settings(max_examples=30, deadline=None)
@given(config=st.sampled_from(CONFIGS), batch=st.integers(1, 512), ctx=st.integers(1, 8000))
def test_decode_step_grows_with_batch_and_context(config, batch, ctx) -> None:
    model, gpu, precision, tp = config
    args = dict(
        model=CAT.model(model),
        gpu=CAT.gpu(gpu),
        precision=CAT.precision(precision),
        tp=tp,
        eff=EFF,
    )
    base = decode_step_time_s(batch=batch, context_tokens=ctx, **args)
    assert decode_step_time_s(batch=batch + 1, context_tokens=ctx, **args) >= base
    assert decode_step_time_s(batch=batch, context_tokens=ctx + 100, **args) >= base


def test_a_lone_request_is_bandwidth_bound() -> None:
    """Batch-1 decode streams every weight once: ITL is close to weights / HBM bandwidth."""
    model, gpu = CAT.model("llama-3-8b"), CAT.gpu("h100-sxm")
    floor_ms = model.params_total * 2 / gpu.hbm_bandwidth_bytes_per_s * 1e3
    est = run(c=1, i=128, o=128)
    assert floor_ms < est.itl_ms < floor_ms * 2


def test_tensor_parallel_speeds_up_prefill() -> None:
    args = dict(model=CAT.model("llama-3.1-70b"), gpu=CAT.gpu("h100-sxm"), eff=EFF)
    one = prefill_time_s(precision=CAT.precision("fp8"), tp=2, input_tokens=4000, **args)
    four = prefill_time_s(precision=CAT.precision("fp8"), tp=4, input_tokens=4000, **args)
    assert four < one


def test_moe_reads_only_routed_experts_at_batch_one() -> None:
    mixtral = CAT.model("mixtral-8x7b")
    assert experts_touched_fraction(model=mixtral, tokens=1) == pytest.approx(2 / 8)
    assert experts_touched_fraction(model=mixtral, tokens=64) > 0.99
    assert experts_touched_fraction(model=CAT.model("llama-3-8b"), tokens=1) == 1.0


def test_offline_throughput_uses_the_whole_kv_cache() -> None:
    offline = run(i=128, o=128)
    assert offline.concurrency == offline.max_concurrency
    assert offline.output_tps_total > run(i=128, o=128, c=8).output_tps_total


def test_throughput_is_concurrency_times_tokens_over_latency() -> None:
    est = run(c=16)
    assert est.output_tps_total == pytest.approx(16 * 200 / est.e2e_latency_s)
    assert est.tps_per_request == pytest.approx(200 / est.e2e_latency_s)


def test_clients_beyond_capacity_wait_for_a_slot() -> None:
    full = run("llama-3.1-70b", "h100-sxm", "bf16", 2, 4000, 1000)
    over = run("llama-3.1-70b", "h100-sxm", "bf16", 2, 4000, 1000, c=full.max_concurrency * 2)
    assert over.batch == full.max_concurrency
    assert over.ttft_ms > full.ttft_ms * 2
    assert over.output_tps_total == pytest.approx(full.output_tps_total, rel=0.05)


def test_random_arrivals_queue_less_than_a_burst_of_clients() -> None:
    burst = run(c=32, arrival="burst")
    steady = run(c=32, arrival="poisson")
    assert steady.ttft_p95_ms < burst.ttft_p95_ms / 3


def test_weights_that_do_not_fit_say_so() -> None:
    est = run("llama-3.1-405b", "a100-80gb-sxm", "bf16", 8)
    assert not est.fits
    assert est.max_concurrency == 0
    assert "does not fit" in (est.reason or "")
    assert "GiB" in (est.reason or "")
    assert math.isnan(est.ttft_ms)


@pytest.mark.parametrize(
    ("model", "gpu", "precision", "tp", "message"),
    [
        pytest.param("llama-3-8b", "t4", "bf16", 1, "compute capability", id="bf16-on-turing"),
        pytest.param("llama-3-8b", "a100-80gb-sxm", "fp8", 1, "compute capability", id="fp8-a100"),
        pytest.param("llama-3-8b", "h100-sxm", "bf16", 3, "divide", id="tp-not-dividing-heads"),
        pytest.param("gpt-4o", "h100-sxm", "bf16", 1, "managed", id="managed-model"),
    ],
)
def test_unsupported_configurations_raise_with_a_reason(model, gpu, precision, tp, message):
    with pytest.raises(UnsupportedConfiguration, match=message):
        run(model, gpu, precision, tp)


def test_calibration_error_stays_within_bounds() -> None:
    """Guards the fitted factors: a change that worsens accuracy must be deliberate.

    Bounds sit a little outside the committed fit (median error x1.12, 79% within 25%; loaded
    TTFT x1.17 and x1.12, capacity at the SLO x1.19 and x1.13 for the NIM and static sweeps).
    Groups left out of the fit (a finite request rate, dataset lengths) are reported only.
    """
    rows = load_measurements(catalog=CAT)
    comparisons = compare(rows, catalog=CAT, eff=EFF)
    scores = {s.group: s for s in score(comparisons)}
    overall = scores["all rows"]
    # Every fitted row the catalog knows is answered. Outside the fit, four gpustack rows of
    # Qwen3-32B BF16 at 32,000 + 100 tokens on one H100 are "does not fit" here (65 GB of
    # weights leave less than one 32k sequence's 8.4 GB of KV cache), though the run happened.
    assert all(c.predicted is not None for c in comparisons if c.measurement.fitted)
    assert overall.rows - overall.predicted <= 4
    assert overall.median_error_factor < 1.15
    assert overall.within_25_percent > 0.75
    fitted_groups = {r.group for r in rows if r.fitted}
    for group in fitted_groups:
        assert scores[group].median_error_factor < 1.35, group
    for group in ("burst (NIM 2024): itl_ms", "static (TRT-LLM 0.9): itl_ms",
                  "offline (TRT-LLM): output_tps_total", "static (TRT-LLM 0.9): output_tps_total",
                  "burst (NIM 2024): output_tps_total"):  # fmt: skip
        assert scores[group].median_error_factor <= 1.15, group
    harness = {h.harness: h for h in harness_scores(comparisons)}
    for name in ("burst (NIM 2024)", "static (TRT-LLM 0.9)"):
        assert harness[name].loaded_ttft_error < 1.3, name
        assert harness[name].capacity_error < 1.25, name


def test_the_roofline_combines_compute_and_memory_between_overlap_and_sum() -> None:
    from sizing.performance.timing import roofline

    assert roofline(3.0, 4.0, 1.0) == 7.0  # p = 1: no overlap, the times add
    assert roofline(3.0, 4.0, 2.0) == 5.0  # p = 2: the Euclidean middle ground
    assert 4.0 <= roofline(3.0, 4.0, 50.0) < 4.01  # large p: the ideal max(compute, memory)


@pytest.mark.parametrize(
    ("model", "gpu", "precision", "tp"),
    [
        pytest.param("deepseek-v3", "h200-sxm", "fp8", 8, id="latent-attention"),
        pytest.param("gpt-oss-20b", "h100-sxm", "mxfp4", 1, id="windowed-layers-moe-mxfp4"),
    ],
)
def test_the_step_cost_follows_latent_attention_and_windowed_layers(model, gpu, precision, tp):
    """The scheduler's step cost uses the same physics as the decode and prefill formulas for
    the newer architectures: absorbed decode and expanded prefill FLOPs for latent attention,
    and windowed layers' attention and KV reads taken at the workload's mean context."""
    args = dict(
        model=CAT.model(model), gpu=CAT.gpu(gpu), precision=CAT.precision(precision), tp=tp,
        eff=EFF,
    )  # fmt: skip
    for ctx in (100, 4000, 32000):
        cost = step_cost(**args, context_tokens=ctx)
        assert cost.time_s(16, 16 * ctx) == pytest.approx(
            decode_step_time_s(batch=16, context_tokens=ctx, **args)
        )
    for tokens in (1500, 8192):
        cost = step_cost(**args, context_tokens=tokens / 2)  # a prompt's mean causal context
        assert cost.time_s(0, 0, tokens, prefill_pairs(tokens, 0), 0) == pytest.approx(
            prefill_time_s(input_tokens=tokens, **args)
        )
    full = step_cost(**args)  # every layer counted in full
    windowed = step_cost(**args, context_tokens=32000)
    if CAT.model(model).local_attention_layers:
        assert windowed.time_s(16, 16 * 32000) < full.time_s(16, 16 * 32000)
    else:
        assert windowed == full  # the context matters to windowed layers only


@pytest.mark.parametrize(("model", "gpu", "precision", "tp"), CONFIGS, ids=lambda v: str(v))
def test_a_mixed_step_reduces_to_a_lone_prefill_and_to_a_decode_step(model, gpu, precision, tp):
    """The scheduler's step time (weights once, decodes plus prefill chunks) is the same
    roofline as the prefill and decode formulas when the step carries only one of them."""
    args = dict(
        model=CAT.model(model), gpu=CAT.gpu(gpu), precision=CAT.precision(precision), tp=tp,
        eff=EFF,
    )  # fmt: skip
    cost = step_cost(**args)
    for tokens in (1, 1500, 8192):
        assert cost.time_s(0, 0, tokens, prefill_pairs(tokens, 0), 0) == pytest.approx(
            prefill_time_s(input_tokens=tokens, **args)
        )
    for batch, ctx in ((1, 100), (16, 1650), (256, 3000)):
        assert cost.time_s(batch, batch * ctx) == pytest.approx(
            decode_step_time_s(batch=batch, context_tokens=ctx, **args)
        )
    # a prompt joining a step of decodes costs less than a step of its own: weights once
    decodes = cost.time_s(16, 16 * 1650)
    mixed = cost.time_s(16, 16 * 1650, 1500, prefill_pairs(1500, 0), 0)
    assert mixed < decodes + prefill_time_s(input_tokens=1500, **args)


@pytest.mark.parametrize("arrival", ["closed-loop", "poisson", "burst", "static"])
def test_the_estimate_is_the_engines_own_with_no_fixed_cost_per_request(arrival: str) -> None:
    """No constant per request is added to the engine's figures (the 45 ms server cost fitted
    on one chat-endpoint row is gone): a lone request's TTFT is its prefill step alone, and
    its life is that plus its token gaps."""
    est = run(c=1, arrival=arrival)
    cost = replica_step_cost(
        model=CAT.model("llama-3-8b"), gpu=CAT.gpu("h100-sxm"), precision=CAT.precision("bf16"),
        tp=1, eff=EFF,
    )  # fmt: skip
    assert est.ttft_ms == pytest.approx(cost.prompt_prefill_s(1000) * 1e3, rel=1e-6)
    assert est.e2e_latency_s == pytest.approx(est.ttft_ms / 1e3 + 199 * est.itl_ms / 1e3, rel=1e-3)
    assert "server_overhead_s" not in EfficiencyFactors.__dataclass_fields__
