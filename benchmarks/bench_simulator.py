"""Speed of the scheduler simulator: seconds to simulate 10,000 requests (target < 1 s).

    ./dev python benchmarks/bench_simulator.py [--requests 10000] [--repeats 5]

Simulates one replica (Llama 3.1 70B fp8 on two H100 NVL, 1,500 + 300 tokens) under closed-loop
clients and Poisson arrivals at a few loads, and prints the median over repeats per case and the
worst of those medians against the target.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sizing.catalog import default_catalog
from sizing.performance.simulation_report import simulate_case

CASES = (("closed-loop", 4), ("closed-loop", 64), ("poisson", 16), ("poisson", 64))
TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    catalog = default_catalog()
    replica = dict(
        model=catalog.model("llama-3.1-70b"),
        gpu=catalog.gpu("h100-nvl"),
        precision=catalog.precision("fp8"),
        tp=2,
        input_tokens=1500,
        output_tokens=300,
    )
    worst = 0.0
    for arrival, concurrency in CASES:
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = simulate_case(
                **replica, concurrency=concurrency, arrival=arrival, requests=args.requests
            )
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        worst = max(worst, median)
        print(
            f"{arrival:12} C={concurrency:3d}: {args.requests:,} requests ({result.steps:,} steps) "
            f"median {median:.3f} s (min {min(times):.3f}, max {max(times):.3f})"
        )
    print(f"slowest median {worst:.3f} s; target < {TARGET_S:g} s for {args.requests:,} requests")


if __name__ == "__main__":
    main()
