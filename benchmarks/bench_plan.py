"""Plan time for 100 workloads on one core, warm (target: under 1 s).

    ./dev python benchmarks/bench_plan.py [--workloads 100] [--repeats 5]

Builds a deterministic mix of sizing requests (managed and open models, small to 405B, several
SLOs, availabilities and regions), plans them once to warm caches and imports, then reports the
median of the timed repeats.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

from sizing.catalog import default_catalog
from sizing.search.optimizer import plan_all
from sizing.search.request import SizingRequest

MODELS = (
    "llama-3.1-8b",
    "mistral-7b",
    "llama-3.1-70b",
    "mixtral-8x7b",
    "llama-3.1-405b",
    "gpt-4o",
    "gpt-4o-mini",
)
SLOS = ((800, 30), (1500, 20), (4000, 12))
AVAILABILITY = (99.5, 99.9, 99.95)
REGIONS = (("swedencentral", "westeurope"), ("eastus2", "westus3"))


def requests(n: int) -> list[tuple[SizingRequest, str, None]]:
    grid = list(itertools.product(MODELS, SLOS, AVAILABILITY, REGIONS, (8, 64)))
    out = []
    for k in range(n):
        model, (ttft, tps), availability, regions, concurrency = grid[(k * 37) % len(grid)]
        req = SizingRequest(
            name=f"w{k:03d}",
            model=model,
            precisions=(),
            deployment="auto",
            max_input_tokens=8000,
            max_output_tokens=1000,
            avg_input_tokens=2000,
            avg_output_tokens=300,
            peak_concurrency=concurrency,
            peak_requests_per_minute=None,
            ttft_p95_ms=ttft,
            output_tokens_per_second_p50=tps,
            availability=availability,
            regions=regions,
            geography=None,
            strict_residency=False,
        )
        out.append((req, f"w{k:03d}.yaml", None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    catalog = default_catalog()
    batch = requests(args.workloads)
    plan_all(batch, catalog=catalog)  # warm: imports, catalog caches
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        plan_all(batch, catalog=catalog)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(
        f"plan: {len(batch)} workloads x {args.repeats} runs; median {median:.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}); target < 1 s"
    )


if __name__ == "__main__":
    main()
