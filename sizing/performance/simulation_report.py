"""The simulator (``sizing.performance.simulator``) run for a configuration or a plan: what
``estimate --simulate`` and ``plan --simulate`` print.

The simulator takes an arrival rate for ``poisson``; a concurrency ``C`` becomes the rate at
which a request finds the other ``C - 1`` in flight, ``(C - 1) / E`` with ``E`` the fast model's
request life (for ``C = 1`` requests come far apart: each is alone).
"""

from __future__ import annotations

from dataclasses import replace

from sizing.catalog import Catalog
from sizing.catalog.entries import GpuSpec, ModelSpec, PrecisionSpec
from sizing.performance.efficiency import EfficiencyFactors, default_efficiency
from sizing.performance.engine_limits import Engine, EngineLimits
from sizing.performance.estimator import (
    replica_for_lengths,
    scheduler_limits,
)
from sizing.performance.gpu_share import vm_gpu
from sizing.performance.scheduler_model import predict_load
from sizing.performance.simulator import DEFAULT_REQUESTS, SimulationResult, simulate
from sizing.performance.traffic import Arrival, LengthMix
from sizing.plan import Plan, Simulated
from sizing.search.request import SizingRequest

LONE_SHARE = 1e-3  # C = 1 under poisson: others arrive this rarely, so each request is alone


def simulate_case(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    concurrency: int | None,
    arrival: Arrival = "closed-loop",
    engine: Engine = "vllm",
    limits: EngineLimits | None = None,
    eff: EfficiencyFactors | None = None,
    lengths: LengthMix | None = None,
    requests: int = DEFAULT_REQUESTS,
    seed: int = 1,
) -> SimulationResult:
    """Simulate one replica at ``concurrency`` (the most it runs at once when None)."""
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
    sched = scheduler_limits(mem=mem, limits=limits, model=model)
    mix = lengths or LengthMix(input_tokens, output_tokens)
    fast = predict_load(
        cost=cost, limits=sched, lengths=mix, arrival=arrival, concurrency=concurrency
    )
    clients = fast.concurrency
    if arrival == "poisson":
        rate = max(clients - 1, LONE_SHARE) / fast.e2e_s
        return simulate(
            cost=cost,
            limits=sched,
            lengths=mix,
            arrival="poisson",
            rate_per_s=rate,
            requests=requests,
            seed=seed,
        )
    return simulate(
        cost=cost,
        limits=sched,
        lengths=mix,
        arrival=arrival,
        concurrency=clients,
        requests=requests,
        seed=seed,
    )


def simulate_plan(
    plan: Plan,
    *,
    requests_by_workload: dict[tuple[str | None, str], SizingRequest],
    catalog: Catalog,
    eff: EfficiencyFactors | None = None,
    requests: int = DEFAULT_REQUESTS,
    seed: int = 1,
) -> Plan:
    """The plan with every self-hosted workload's replica simulated at its planned concurrency
    under the arrival process and lengths it was sized for."""
    workloads = []
    for w in plan.workloads:
        req = requests_by_workload.get((w.environment, w.name))
        if w.aks is None or w.predicted is None or req is None:
            workloads.append(w)
            continue
        sim = simulate_case(
            model=catalog.model(w.model),
            gpu=vm_gpu(catalog, w.aks.vm_sku, w.aks.gpu_instance_profile),
            precision=catalog.precision(w.aks.precision),
            tp=w.aks.tensor_parallel,
            input_tokens=req.avg_input_tokens,
            output_tokens=req.avg_output_tokens,
            concurrency=w.predicted.concurrency_per_replica,
            arrival=w.predicted.arrival or "poisson",  # type: ignore[arg-type]
            eff=eff,
            requests=requests,
            seed=seed,
        )
        simulated = Simulated(
            requests=sim.requests,
            seed=seed,
            ttft_p95_ms=sim.ttft_p95_ms,
            ttft_p99_ms=sim.ttft_p99_ms,
            itl_p95_ms=sim.itl_p95_ms,
            itl_p99_ms=sim.itl_p99_ms,
            tps_per_request_p50=sim.tps_per_request_p50,
            busy_share=sim.busy_share,
            budget_share=sim.budget_share,
            peak_kv_share=sim.peak_kv_share,
            preemptions=sim.preemptions,
        )
        workloads.append(replace(w, predicted=replace(w.predicted, simulated=simulated)))
    return replace(plan, workloads=tuple(workloads))
