"""Plan time per distinct workload on one core (target: at most 0.03 s, 100 in 3 s).

    ./dev python benchmarks/bench_plan.py [--workloads 100] [--repeats 3]

Builds a deterministic mix of sizing requests (managed and open models, small to 405B, several
SLOs, availabilities and regions), each with its own prompt and answer lengths so that no
workload reuses another's capacity search. One warm-up batch (other lengths) loads imports and
the catalog; each timed repeat plans a batch of lengths no earlier batch used, so the figure is
the cost of distinct workloads, not of cache hits. Prints the median per workload and the
target, in CPU seconds of this process (``time.process_time``: on a shared machine the wall
clock counts other people's work too) and, beside it, wall seconds.
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
TARGET_S_PER_WORKLOAD = 0.03
AVAILABILITY = (99.5, 99.9, 99.95)
REGIONS = (("swedencentral", "westeurope"), ("eastus2", "westus3"))


def requests(n: int, batch: int = 0) -> list[SizingRequest]:
    """``n`` distinct workloads; ``batch`` shifts every length so batches share no shape."""
    grid = list(itertools.product(MODELS, SLOS, AVAILABILITY, REGIONS, (8, 64)))
    out = []
    for k in range(n):
        model, (ttft, tps), availability, regions, concurrency = grid[(k * 37) % len(grid)]
        req = SizingRequest(
            name=f"w{batch}-{k:03d}",
            model=model,
            precisions=(),
            deployment="auto",
            max_input_tokens=8000,
            max_output_tokens=1000,
            avg_input_tokens=1500 + 7 * k + 1009 * batch,
            avg_output_tokens=250 + 3 * k + 101 * batch,
            peak_concurrency=concurrency,
            peak_requests_per_minute=None,
            ttft_p95_ms=ttft,
            output_tokens_per_second_p50=tps,
            availability=availability,
            regions=regions,
            geography=None,
            strict_residency=False,
        )
        out.append(req)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    catalog = default_catalog()
    plan_all(requests(args.workloads, batch=0), catalog=catalog)  # warm: imports, catalog
    times, walls = [], []
    for repeat in range(1, args.repeats + 1):
        batch = requests(args.workloads, batch=repeat)
        start, wall = time.process_time(), time.perf_counter()
        plan_all(batch, catalog=catalog)
        times.append((time.process_time() - start) / len(batch))
        walls.append((time.perf_counter() - wall) / len(batch))
    per = statistics.median(times)
    verdict = "met" if per <= TARGET_S_PER_WORKLOAD else "NOT met"
    print(
        f"plan: {args.workloads} distinct workloads x {args.repeats} batches; median "
        f"{per:.4f} CPU s per workload (min {min(times):.4f}, max {max(times):.4f}); "
        f"{args.workloads} workloads in {per * args.workloads:.2f} s CPU "
        f"({statistics.median(walls) * args.workloads:.2f} s wall); "
        f"target <= {TARGET_S_PER_WORKLOAD} s per workload: {verdict}"
    )


if __name__ == "__main__":
    main()
