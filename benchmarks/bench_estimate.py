"""Batch speed of ``inferplan estimate --cases``: cases answered per second (target >= 20,000).

    ./dev python benchmarks/bench_estimate.py [--cases 5000] [--repeats 5]

Builds a deterministic mix of cases (models x GPUs x TP x precisions x lengths x concurrency,
some unanswerable), runs the same code path as the CLI (parse, estimate, format) and prints the
median over repeats, so a noisy shared machine does not decide the figure.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

from sizing.catalog import default_catalog
from sizing.performance.cases import Case, run_case

MODELS = ("llama-3-8b", "llama-3.1-70b", "mixtral-8x7b", "mistral-7b", "llama-3.1-405b", "nope")
GPUS = ("a10", "l40s", "a100-80gb-sxm", "h100-sxm", "h200-sxm")
PRECISIONS = ("bf16", "fp8", "int4")
LENGTHS = ((128, 128), (2048, 256), (6000, 800))
CONCURRENCY = (None, 1, 16, 128)


def cases(n: int) -> list[Case]:
    grid = itertools.product(MODELS, GPUS, (1, 2, 4, 8), PRECISIONS, LENGTHS, CONCURRENCY)
    pool = [Case(m, g, tp, p, i, o, c) for m, g, tp, p, (i, o), c in grid]
    return [pool[(k * 7919) % len(pool)] for k in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    catalog = default_catalog()
    batch = cases(args.cases)
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for case in batch:
            run_case(case, catalog=catalog).columns()
        rates.append(len(batch) / (time.perf_counter() - start))
    print(
        f"estimate batch: {len(batch)} cases x {args.repeats} runs; median "
        f"{statistics.median(rates):,.0f} cases/s (min {min(rates):,.0f}, max {max(rates):,.0f}); "
        f"target 20,000 cases/s"
    )


if __name__ == "__main__":
    main()
