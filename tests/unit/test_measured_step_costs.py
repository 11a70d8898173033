"""A device measured on the real engine (``kind: measured_step_costs``): read from the catalog
with its source, given to the scheduler model and the simulator in place of a GPU's roofline,
and a bad entry refused with its file position."""

from __future__ import annotations

import textwrap

import pytest

from sizing.catalog import CatalogError, default_catalog, load_catalog
from sizing.catalog.measured_step_costs import measured_device
from sizing.performance.estimator import measured_scheduler_limits, measured_step_cost
from sizing.performance.scheduler_model import predict_load
from sizing.performance.simulator import simulate
from sizing.performance.traffic import LengthMix

ENTRY = """\
    kind: measured_step_costs
    schema_version: 1
    sources:
      bench: "a measurement, 2026-12-08"
    step_costs:
      - id: cpu-test-device
        engine_version: "0.32.0"
        device: "a test host"
        cores: 2
        model: "tiny"
        decode_fixed_s: DECODE_FIXED
        decode_s_per_sequence: 0.0005
        prefill_s_per_token: 0.00004
        request_latency_s: 0.004
        kv_cache_blocks: 20
        kv_block_tokens: 128
        max_num_seqs: 16
        max_num_batched_tokens: 128
        repeats: 3
        noise: 0.1
        source: bench
        date: "2026-12-08"
"""


def team_catalog(tmp_path, decode_fixed: str = "0.010"):
    path = tmp_path / "measured.yaml"
    path.write_text(textwrap.dedent(ENTRY).replace("DECODE_FIXED", decode_fixed))
    return path, load_catalog(extra_dirs=[tmp_path])


def test_the_built_in_cpu_device_is_sourced_and_dated() -> None:
    section = default_catalog().section("measured_step_costs")
    assert section, "the engine agreement's measured device is in the built-in catalog"
    for device in section.values():
        assert device.engine_version == "0.32.0"
        assert "benchmarks/engine_agreement.py" in device.provenance.source
        assert device.kv_block_tokens == 128  # vLLM's CPU backend block (vllm/platforms/cpu.py)


def test_a_measured_device_gives_its_own_step_times(tmp_path) -> None:
    _, catalog = team_catalog(tmp_path)
    cost = measured_step_cost(measured_device("cpu-test-device", catalog))
    assert cost.linear()
    assert cost.time_s(8, 8 * 500.0) == pytest.approx(0.010 + 8 * 0.0005)
    assert cost.prompt_prefill_s(100) == pytest.approx(0.010 + 100 * 0.00004)
    assert cost.request_latency_s == 0.004


def test_a_measured_device_gives_its_limits_or_a_run_s_flags(tmp_path) -> None:
    _, catalog = team_catalog(tmp_path)
    device = measured_device("cpu-test-device", catalog)
    limits = measured_scheduler_limits(device)
    assert (limits.max_num_seqs, limits.max_num_batched_tokens) == (16, 128)
    assert limits.kv_capacity_tokens == 20 * 128
    assert limits.kv_block_tokens == 128
    small = measured_scheduler_limits(device, max_num_seqs=4, kv_cache_blocks=3)
    assert (small.max_num_seqs, small.kv_capacity_tokens) == (4, 384)


def test_a_negative_step_cost_is_refused_at_its_position(tmp_path) -> None:
    with pytest.raises(CatalogError) as caught:
        team_catalog(tmp_path, decode_fixed="-0.01")
    assert str(caught.value) == (
        f"{tmp_path / 'measured.yaml'}:11:21: step_costs[0].decode_fixed_s: must be at least 0, "
        "got -0.01"
    )


def test_an_unknown_device_names_the_close_ones(tmp_path) -> None:
    _, catalog = team_catalog(tmp_path)
    with pytest.raises(Exception, match="cpu-test-device"):
        measured_device("cpu-test-devise", catalog)


def test_the_request_latency_lengthens_ttft_not_itl(tmp_path) -> None:
    """Time outside the steps (HTTP, the API server) is added to every TTFT and life, in the
    fast model and the simulator alike; the steps, hence the ITL, are unchanged."""
    _, catalog = team_catalog(tmp_path)
    device = measured_device("cpu-test-device", catalog)
    cost = measured_step_cost(device)
    without = cost.__class__(**{**cost.__dict__, "request_latency_s": 0.0})
    limits = measured_scheduler_limits(device, kv_cache_blocks=2000)
    lengths = LengthMix(64, 32)
    fast = predict_load(cost=cost, limits=limits, lengths=lengths, arrival="poisson",
                        concurrency=4, quantiles=(0.5,))  # fmt: skip
    base = predict_load(cost=without, limits=limits, lengths=lengths, arrival="poisson",
                        concurrency=4, quantiles=(0.5,))  # fmt: skip
    assert fast.ttft_s == pytest.approx(base.ttft_s + 0.004)
    assert fast.tails[0][1] == pytest.approx(base.tails[0][1] + 0.004)
    assert fast.itl_s == pytest.approx(base.itl_s)
    sim = simulate(cost=cost, limits=limits, lengths=lengths, arrival="poisson",
                   rate_per_s=20.0, requests=400)  # fmt: skip
    sim0 = simulate(cost=without, limits=limits, lengths=lengths, arrival="poisson",
                    rate_per_s=20.0, requests=400)  # fmt: skip
    assert sim.ttft_p50_ms == pytest.approx(sim0.ttft_p50_ms + 4.0)
    assert sim.itl_p50_ms == pytest.approx(sim0.itl_p50_ms)
    # A closed-loop client's next request reaches the engine that much later: fewer per second.
    closed = simulate(cost=cost, limits=limits, lengths=lengths, arrival="closed-loop",
                      concurrency=4, requests=400)  # fmt: skip
    closed0 = simulate(cost=without, limits=limits, lengths=lengths, arrival="closed-loop",
                       concurrency=4, requests=400)  # fmt: skip
    assert closed.request_rate_per_s < closed0.request_rate_per_s
