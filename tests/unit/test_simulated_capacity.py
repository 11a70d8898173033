"""The plan never sizes on the optimistic model: the chosen replica and the runner-up are
simulated at their planned load, and a replica the simulation shows missing the SLO is sized on
the simulation (``sizing.search.simulated_capacity``)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main
from sizing.catalog import default_catalog
from sizing.performance.efficiency import default_efficiency
from sizing.performance.simulation_report import simulate_case
from sizing.search.optimizer import search_workload
from sizing.search.request import HardwareChoice, SizingRequest
from sizing.search.self_hosted import aks_candidates, simulation_checked
from sizing.search.simulated_capacity import (
    SIMULATED_REQUESTS,
    SIMULATION_SEED,
    SIMULATION_TOLERANCE,
    simulated_check,
    worse_estimate,
)

CAT = default_catalog()
EFF = default_efficiency()


def request(**changes) -> SizingRequest:
    """The 70B summariser of 20,000-token prompts on H100 NVL at fp8. Before the fast model
    had the KV cache's queue it said 15 per replica at TTFT p95 under 10 s; simulated at 15,
    the KV cache filled and preempted and the TTFT p95 was twice the target."""
    base = dict(
        name="summariser", model="llama-3.1-70b", precisions=("fp8",), deployment="aks-vllm",
        max_input_tokens=24000, max_output_tokens=1000, avg_input_tokens=20000,
        avg_output_tokens=500, peak_concurrency=30, peak_requests_per_minute=None,
        ttft_p95_ms=10000.0, output_tokens_per_second_p50=10.0, availability=99.0,
        regions=("swedencentral",), geography=None, strict_residency=False,
        hardware=HardwareChoice(allow=("h100-nvl",)),
    )  # fmt: skip
    base.update(changes)
    return SizingRequest(**base)


def simulated_at(req: SizingRequest, concurrency: int, tp: int = 2):
    return simulate_case(
        model=CAT.model(req.model), gpu=CAT.gpu("h100-nvl"), precision=CAT.precision("fp8"),
        tp=tp, input_tokens=req.avg_input_tokens, output_tokens=req.avg_output_tokens,
        concurrency=concurrency, arrival="poisson", requests=SIMULATED_REQUESTS,
        seed=SIMULATION_SEED,
    )  # fmt: skip


def test_the_summariser_is_sized_by_the_fast_model_on_a_load_its_simulation_meets() -> None:
    """The fast model itself (its KV cache queue) plans a per-replica load that the simulation
    meets: nothing left for the planning-time simulation to rescue."""
    req = request()
    plan = search_workload(req, catalog=CAT).plan
    assert plan.feasible and plan.aks is not None
    assert plan.aks.tensor_parallel == 2
    predicted = plan.predicted
    assert predicted.provenance == "estimate"
    assert "simulation" not in [w.kind for w in plan.warnings]
    per_replica = predicted.concurrency_per_replica
    fast = next(
        c
        for c in aks_candidates(catalog=CAT, req=req, eff=EFF)
        if c.tp == 2 and c.rejection is None
    )
    assert fast.capacity.concurrency == per_replica
    # Simulated at the planned load the SLO holds within the stated tolerance (the spread of a
    # 1,000-request run's p95 over seeds), and the two models agree on the tail.
    kept = simulated_at(req, per_replica)
    assert kept.ttft_p95_ms <= req.ttft_p95_ms * (1 + SIMULATION_TOLERANCE)
    assert kept.tps_per_request_p50 >= req.output_tokens_per_second_p50
    assert predicted.ttft_p95_ms == pytest.approx(kept.ttft_p95_ms, rel=0.15)
    # One fewer meets it outright; two more are past it in the simulation too.
    assert simulated_at(req, per_replica - 1).ttft_p95_ms <= req.ttft_p95_ms
    assert simulated_at(req, per_replica + 2).ttft_p95_ms > req.ttft_p95_ms


def test_a_load_the_simulation_misses_is_resized_on_the_simulation() -> None:
    """The rule behind the plan: a planned load whose simulation misses the SLO beyond the
    tolerance is cut to the largest load whose simulation meets it, figures the worse."""
    req = request()
    model, gpu, precision = CAT.model(req.model), CAT.gpu("h100-nvl"), CAT.precision("fp8")
    check = simulated_check(
        model=model, gpu=gpu, precision=precision, tp=2, planned=20, req=req, eff=EFF
    )  # fmt: skip
    assert check is not None and check.resized
    assert check.ttft_p95_ms > req.ttft_p95_ms * (1 + SIMULATION_TOLERANCE)
    assert 1 <= check.kept < 20 and check.binding == "ttft"
    assert check.kept_ttft_p95_ms <= req.ttft_p95_ms
    assert simulated_at(req, check.kept + 1).ttft_p95_ms > req.ttft_p95_ms
    worse = worse_estimate(
        check, model=model, gpu=gpu, precision=precision, tp=2, req=req, eff=EFF
    )  # fmt: skip
    assert worse.ttft_p95_ms >= check.kept_ttft_p95_ms


def test_a_replica_whose_simulation_agrees_keeps_the_fast_models_figures() -> None:
    """Short prompts far from the KV cache's limit: the simulation is attached, nothing moves."""
    req = request(avg_input_tokens=1000, avg_output_tokens=200, ttft_p95_ms=2000.0)
    (c,) = [
        c
        for c in aks_candidates(catalog=CAT, req=req, eff=EFF)
        if c.tp == 2 and c.rejection is None
    ][:1]
    checked = simulation_checked(c, req=req, catalog=CAT, eff=EFF)
    check = checked.capacity.simulated
    assert check is not None and not check.resized
    assert checked.capacity.concurrency == c.capacity.concurrency
    assert checked.capacity.provenance == "estimate"
    assert checked.monthly_usd == c.monthly_usd
    assert check.ttft_p95_ms <= req.ttft_p95_ms * (1 + SIMULATION_TOLERANCE)


def test_the_check_is_cached_and_deterministic() -> None:
    req = request()
    first = search_workload(req, catalog=CAT).plan
    again = search_workload(req, catalog=CAT).plan
    assert first == again


@pytest.mark.parametrize("columns", [("sim TTFT p99", "preemptions")])
def test_plan_simulate_shows_the_tail_and_preemptions_in_the_table(columns, monkeypatch) -> None:
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    result = CliRunner().invoke(
        main, ["plan", "examples/small-open-model.yaml", "--simulate"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    for column in columns:
        assert column in result.output
    plain = CliRunner().invoke(main, ["plan", "examples/small-open-model.yaml"])
    assert "preemptions" not in plain.output
