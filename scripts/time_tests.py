"""Time the test tiers and the whole suite, and print each wall time beside its target.

    ./dev python scripts/time_tests.py                  # unit, program, e2e, then ./dev test
    ./dev python scripts/time_tests.py --only unit      # one tier (repeatable), no full run
    ./dev python scripts/time_tests.py --pytest-args=-n0  # extra pytest arguments, e.g. one process

Each tier runs as ``./dev test tests/<tier>`` (lint, then pytest with a worker per core), the
whole suite as ``./dev test``, the README's command. Targets are measured, not asserted: the
script says which runs were over, and exits 1 only when a run itself fails. Wall times depend
on the machine and on what else it runs; say which machine a figure came from. The CPU column
(user + system seconds of the run and its workers) and the load average beside it tell a slow
test from a busy machine: on an idle 2-core machine the wall time is about CPU / 2.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from inferplan.markdown import markdown_table

ROOT = Path(__file__).resolve().parent.parent
TIERS = ("unit", "program", "e2e")
# Seconds, on the project's 2-core CI machines (issue 19): the everyday loop, and the whole suite.
TARGETS = {"unit": 60.0, "full": 8 * 60.0}


@dataclass(frozen=True)
class Timing:
    name: str
    command: tuple[str, ...]
    seconds: float
    returncode: int
    cpu_seconds: float = 0.0  # user + system, the run and every process it waited for
    load: float = 0.0  # the machine's 1-minute load average when the run ended

    @property
    def target(self) -> float | None:
        return TARGETS.get(self.name)

    def verdict(self) -> str:
        if self.returncode != 0:
            return f"FAILED (exit {self.returncode})"
        if self.target is None:
            return "no target"
        return "within target" if self.seconds <= self.target else "OVER target"


def run(name: str, command: tuple[str, ...]) -> Timing:
    print(f"# {name}: {shlex.join(command)}", file=sys.stderr, flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=False)
    seconds = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(name, command, seconds, done.returncode, cpu, os.getloadavg()[0])


def minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{seconds:.1f} s"


def report(timings: list[Timing]) -> str:
    rows = [
        (
            t.name,
            f"`{shlex.join(t.command)}`",
            minutes(t.seconds),
            minutes(t.cpu_seconds),
            f"{t.load:.1f}",
            minutes(t.target) if t.target is not None else "-",
            t.verdict(),
        )
        for t in timings
    ]
    header = ("run", "command", "wall time", "CPU", "load", "target", "verdict")
    return "\n".join(markdown_table(header, rows, align="llrrrrl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=TIERS, help="time only this tier")
    parser.add_argument("--pytest-args", default="", help="extra pytest arguments, one string")
    args = parser.parse_args(argv)
    extra = tuple(shlex.split(args.pytest_args))
    dev = str(ROOT / "dev")
    timings = [
        run(tier, (dev, "test", f"tests/{tier}", "-q", *extra)) for tier in args.only or TIERS
    ]
    if not args.only:
        timings.append(run("full", (dev, "test", "-q", *extra)))
    print(report(timings))
    return 1 if any(t.returncode != 0 for t in timings) else 0


if __name__ == "__main__":
    sys.exit(main())
