"""Offline preview time of a stack, cold (a new process each run; target for prod: under 5 s).

    ./dev python benchmarks/bench_preview.py [--stack prod] [--repeats 5]

Each run is ``inferplan preview STACK --format json`` in a fresh interpreter, so imports, the
catalog, planning and the program under mocks are all counted. Prints the median and the spread.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    command = [sys.executable, "-m", "inferplan.cli", "preview", args.stack, "--format", "json"]
    times = []
    resources = 0
    for _ in range(args.repeats):
        start = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        resources = run.stdout.count('"type":')
    print(
        f"preview {args.stack}: {resources} resources, {args.repeats} cold runs; median "
        f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}); "
        "target < 5 s"
    )


if __name__ == "__main__":
    main()
