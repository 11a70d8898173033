"""Offline commands of one stack against its plan, cold and with the result cache warm.

    ./dev python benchmarks/bench_preview.py [--stack prod] [--repeats 3] [--base HEAD]

Each run is a fresh interpreter (``python -m inferplan.cli ...``), so imports, catalogs,
planning and the Pulumi program under mocks all count. "cold" runs get an empty cache folder
each time (what the first command after a change of plan or code costs); "warm" runs share a
cache primed by one run before them (a second command on the same plan, or the unchanged side
of a diff). Prints the median wall and CPU seconds (user + system of the child; on a shared
machine CPU is the steadier figure) and ratios against ``plan`` and ``preview``.

Targets: cold ``preview`` under 4x ``plan`` (goal 2.5x); warm ``preview`` within 1.5x of
``plan`` and under 2 s; ``check`` and ``diff`` under 2x ``preview``. The environment is passed
on as it is: with ``PYTHONDONTWRITEBYTECODE`` set, the project's own modules are compiled from
source in every run, which both ``plan`` and ``preview`` pay.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float


def run_once(args: list[str], cache: Path) -> Timing:
    env = dict(os.environ, INFERPLAN_CACHE_DIR=str(cache))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "inferplan.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu)


def measure(args: list[str], *, repeats: int, warm: bool) -> Timing:
    walls, cpus = [], []
    with tempfile.TemporaryDirectory(prefix="inferplan-bench-") as tmp:
        shared = Path(tmp) / "shared"
        if warm:
            run_once(args, shared)  # prime
        for n in range(repeats):
            cache = shared if warm else Path(tmp) / f"cold-{n}"
            t = run_once(args, cache)
            walls.append(t.wall_s)
            cpus.append(t.cpu_s)
    return Timing(statistics.median(walls), statistics.median(cpus))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--base", default="HEAD", help="revision the diff compares with")
    args = parser.parse_args()
    stack = args.stack
    commands = {
        "plan": (["plan", f"stacks/{stack}.yaml", "--format", "json"], (False,)),
        "preview": (["preview", stack, "--format", "json"], (False, True)),
        "check": (["check", stack, "--format", "json"], (False, True)),
        "diff": (["diff", "--base", args.base, stack, "--format", "json"], (False, True)),
    }
    results: dict[tuple[str, bool], Timing] = {}
    for name, (command, modes) in commands.items():
        for warm in modes:
            results[name, warm] = measure(command, repeats=args.repeats, warm=warm)
    plan = results["plan", False]
    print(f"stack {stack}, {args.repeats} runs each, medians (wall s / CPU s):")
    for (name, warm), t in results.items():
        label = f"{name} ({'warm' if warm else 'cold'})" if name != "plan" else "plan"
        line = f"  {label:<16} {t.wall_s:6.2f} / {t.cpu_s:6.2f}"
        line += f"   x plan {t.wall_s / plan.wall_s:4.2f} / {t.cpu_s / plan.cpu_s:4.2f}"
        if name in ("check", "diff"):
            p = results["preview", warm]
            line += f"   x preview ({'warm' if warm else 'cold'}) {t.wall_s / p.wall_s:4.2f}"
            line += f" / {t.cpu_s / p.cpu_s:4.2f}"
        print(line)
    print(
        "targets: cold preview < 4x plan (goal 2.5x); warm preview <= 1.5x plan and < 2 s; "
        "check and diff < 2x preview (same cache state)"
    )


if __name__ == "__main__":
    main()
