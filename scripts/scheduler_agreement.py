"""The fast scheduler model against the simulator, on the grid docs/sizing-model.md reports.

    ./dev python scripts/scheduler_agreement.py [--requests 3000]

For each replica, request shape, arrival process and concurrency it prints the simulator's mean
and p95 TTFT and ITL and the fast model's ratio to each (1.00: equal). tests/test_scheduler_model.py
holds its single-chunk part to 10%.
"""

from __future__ import annotations

import argparse

from sizing.catalog import default_catalog
from sizing.performance.efficiency import default_efficiency
from sizing.performance.engine_limits import default_engine_limits
from sizing.performance.estimator import replica_step_cost, scheduler_limits
from sizing.performance.memory import memory_fit
from sizing.performance.scheduler_model import predict_load
from sizing.performance.simulator import simulate
from sizing.performance.traffic import LengthMix

REPLICAS = (("llama-3.1-8b", "h200-sxm", "fp8", 1), ("llama-3.1-70b", "h100-nvl", "fp8", 2))
SHAPES = ((200, 200), (1500, 300), (4000, 1000), (24000, 800))
CONCURRENCY = (4, 16, 64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    catalog, eff = default_catalog(), default_efficiency()
    print(
        "| replica | in/out | arrival | C | prefill share | sim TTFT ms | p95 | sim ITL ms | p95 "
        "| fast/sim TTFT | p95 | ITL | p95 |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model_id, gpu_id, precision_id, tp in REPLICAS:
        model, gpu = catalog.model(model_id), catalog.gpu(gpu_id)
        precision = catalog.precision(precision_id)
        limits = default_engine_limits(gpu=gpu)
        cost = replica_step_cost(model=model, gpu=gpu, precision=precision, tp=tp, eff=eff)
        for n_in, n_out in SHAPES:
            mem = memory_fit(
                model=model, gpu=gpu, precision=precision, tp=tp, input_tokens=n_in,
                output_tokens=n_out, gpu_memory_utilization=limits.gpu_memory_utilization,
                base_overhead_bytes=eff.base_overhead_bytes,
                max_num_batched_tokens=limits.max_num_batched_tokens,
                max_num_seqs=limits.max_num_seqs,
            )  # fmt: skip
            sched = scheduler_limits(mem=mem, limits=limits, model=model)
            lengths = LengthMix(n_in, n_out)
            for arrival in ("poisson", "closed-loop"):
                for c in CONCURRENCY:
                    fast = predict_load(
                        cost=cost, limits=sched, lengths=lengths, arrival=arrival, concurrency=c
                    )
                    if c > fast.running:
                        continue
                    extra = (
                        {"rate_per_s": (c - 1) / fast.e2e_s}
                        if arrival == "poisson"
                        else {"concurrency": c}
                    )
                    sim = simulate(
                        cost=cost, limits=sched, lengths=lengths, arrival=arrival,
                        requests=args.requests, **extra,
                    )  # fmt: skip
                    ratios = (
                        fast.ttft_s * 1e3 / sim.ttft_mean_ms,
                        fast.ttft_p95_s * 1e3 / sim.ttft_p95_ms,
                        fast.itl_s * 1e3 / sim.itl_mean_ms,
                        fast.itl_p95_s * 1e3 / sim.itl_p95_ms,
                    )
                    print(
                        f"| {model_id} {tp}x {gpu_id} | {n_in}/{n_out} | {arrival} | {c} "
                        f"| {fast.prefill_share:.2f} | {sim.ttft_mean_ms:,.1f} "
                        f"| {sim.ttft_p95_ms:,.1f} | {sim.itl_mean_ms:.2f} "
                        f"| {sim.itl_p95_ms:.2f} | " + " | ".join(f"{r:.2f}" for r in ratios) + " |"
                    )


if __name__ == "__main__":
    main()
