"""Hostile-input fuzzing of ``validate`` and ``plan``: mutated copies of the shipped YAML.

Each input is one shipped workload, template or environment file with one mutation: a field set
to a hostile value (.inf, .nan, 1e308, 10**30, -1, 0, '', a long string, a list, a mapping, a
path out of the repository), a key removed, renamed or added, the header's types broken, or the
text itself broken (nested anchors, deep nesting, truncation, tabs, stray bytes, a tag on the
root mapping, a second document). One run in twenty validates a folder outside the project
instead (``/``, ``..``, ``~``), one in twenty plants a folder link (back up, to itself, out)
where an environment's ``**`` glob walks. Every input
runs through ``inferplan validate`` and ``inferplan plan`` in-process, under a time bound per
command, in a scratch copy of examples/, templates/ and stacks/.

An outcome is fine when the command exits 0, 1 or 2 without an exception. A failure is one of:
``traceback`` (an exception escaped the CLI), ``internal`` (exit 70: the CLI caught an internal
error), ``hang`` (past ``--timeout-s``), ``exit-N`` (an undocumented exit code), and
``validate-ok-plan-crash`` (the input passed validate, then plan failed in one of those ways).

    ./dev python scripts/fuzz_inputs.py --count 2000 --seed 1
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED_DIRS = ("examples", "templates", "stacks")
DOCUMENTED_EXITS = (0, 1, 2)
INTERNAL_EXIT = 70
MEMORY_LIMIT_BYTES = 8 * 1024**3  # an alias bomb hits MemoryError, not the machine

HOSTILE_VALUES: tuple[Any, ...] = (
    float("inf"),
    float("-inf"),
    float("nan"),
    1e308,
    -1e308,
    1e29,
    1e-300,
    10**9,
    2**31,
    2**63,
    10**30,
    0,
    -1,
    0.0,
    -0.0,
    "",
    " ",
    "x" * 5000,
    "=HYPERLINK(1)",
    "../../outside/secret.yaml",
    "EU",
    "FRANKFURT",
    "1.20",
    "\u202eevil",
    None,
    True,
    False,
    [],
    {},
    [1, [2, [3]]],
    {"a": {"b": {}}},
)
# The example that instantiates each template, so a mutated template is planned too.
TEMPLATE_USERS = {
    "chat-eu": "examples/eu-chat-managed.yaml",
    "code-assistant": "examples/code-assistant.yaml",
    "embeddings-eu": "examples/search-embeddings.yaml",
    "selfhosted-chat-eu": "examples/support-chat.yaml",
}
# Folders named on the command line: none outside the project may be walked.
HOSTILE_FOLDERS = ("/", "..", "../..", "~", "examples/..")
# Folder links planted under examples/ for one run: back up the tree (a loop under ``**``),
# to themselves, and out of the project.
HOSTILE_LINKS = ("..", ".", "../..", "/")
HOSTILE_GLOBS = ("../../../../**/*.x", "../../outside/*.yaml", "/etc/*", "**", "../*/*/*.yaml")


class Hang(BaseException):
    """Raised by the alarm: not an Exception, so no ``except Exception`` in the code under test
    can swallow it."""


@contextlib.contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- mutations ---------------------------------------------------------------------------------


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _paths(value, (*prefix, index))


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def _set_value(rng: random.Random, data: Any) -> Any:
    path = rng.choice(list(_paths(data)))
    parent = _parent(data, path)
    if path[-1] == "workloads" or (len(path) > 1 and path[-2] == "workloads"):
        parent[path[-1]] = [rng.choice(HOSTILE_GLOBS)]
    else:
        parent[path[-1]] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
    return data


def _delete_key(rng: random.Random, data: Any) -> Any:
    keyed = [p for p in _paths(data) if isinstance(p[-1], str)]
    path = rng.choice(keyed)
    del _parent(data, path)[path[-1]]
    return data


def _rename_key(rng: random.Random, data: Any) -> Any:
    keyed = [p for p in _paths(data) if isinstance(p[-1], str) and len(p[-1]) > 2]
    path = rng.choice(keyed)
    parent = _parent(data, path)
    key = path[-1]
    cut = rng.randrange(1, len(key) - 1)
    typo = key[:cut] + key[cut + 1 :]  # one letter dropped: the typo people make
    parent[typo] = parent.pop(key)
    return data


def _add_key(rng: random.Random, data: Any) -> Any:
    mappings = [p for p in _paths(data) if isinstance(_value(data, p), dict)] or [()]
    target = _value(data, rng.choice(mappings))
    target[rng.choice(("extra", "Kind", "spec", "__proto__", "x" * 300))] = rng.choice(
        HOSTILE_VALUES
    )
    return data


def _value(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _header(rng: random.Random, data: Any) -> Any:
    key = rng.choice(("kind", "apiVersion", "metadata", "spec"))
    data[key] = copy.deepcopy(rng.choice(({}, [], None, 1, 1.5, True, "Workload ", "kind")))
    return data


STRUCTURAL: tuple[Callable[[random.Random, Any], Any], ...] = (
    _set_value,
    _set_value,
    _set_value,
    _set_value,
    _delete_key,
    _rename_key,
    _add_key,
    _header,
)


def alias_bomb(levels: int, width: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def _text_mutation(rng: random.Random, text: str) -> str:
    choice = rng.randrange(10)
    if choice == 9:  # a tag on the root mapping, which no reader may take for a mapping
        return rng.choice(("--- !foo\n", "!!map\n", "--- !!omap\n", "!x\n")) + text
    if choice == 8:  # a merge key that refers to the mapping holding it, or to a scalar
        return rng.choice(("x: &s {a: 1, <<: *s}\n", "<<: 1\n", "y: &t [*t]\n")) + text
    if choice == 0:
        return alias_bomb(rng.randrange(5, 10), rng.randrange(6, 10)) + text
    if choice == 1:
        depth = rng.choice((100, 500, 2000, 20000))
        opener, closer = rng.choice((("[", "]"), ("{a: ", "}")))
        return text + f"extra: {opener * depth}{closer * depth}\n"
    if choice == 2:
        return text[: rng.randrange(len(text))]
    if choice == 3:
        lines = text.splitlines(keepends=True)
        index = rng.randrange(len(lines))
        lines[index] = "\t" + lines[index]
        return "".join(lines)
    if choice == 4:
        position = rng.randrange(len(text))
        stray = rng.choice(("\x00", "\x07", "\ufffe", ": :", "&", "*x", "!!python/name:os.system "))
        return text[:position] + stray + text[position:]
    if choice == 5:  # two documents: a template file must hold one
        return text + "---\n" + text
    if choice == 6:
        return "\ufeff" + text.replace("\n", "\r\n")
    return ""


@dataclass(frozen=True)
class Seed:
    relative: Path
    text: str
    data: Any


def mutate(rng: random.Random, seed: Seed) -> str:
    if rng.random() < 0.25:
        return _text_mutation(rng, seed.text)
    data = copy.deepcopy(seed.data)
    data = rng.choice(STRUCTURAL)(rng, data)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# --- running -----------------------------------------------------------------------------------


def outcome(args: list[str], timeout_s: float) -> tuple[str, str]:
    """``(kind, detail)``: kind is ``ok`` or a failure kind (see the module docstring)."""
    from click.testing import CliRunner

    from inferplan.cli.main import main

    try:
        with time_bound(timeout_s):
            result = CliRunner().invoke(main, args)
    except Hang:
        return "hang", ""
    except MemoryError:
        return "traceback", "MemoryError"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return "traceback", type(result.exception).__name__
    if result.exit_code == INTERNAL_EXIT:
        return "internal", result.output.strip().splitlines()[-1][:120] if result.output else ""
    if result.exit_code not in DOCUMENTED_EXITS:
        return f"exit-{result.exit_code}", ""
    return "ok", str(result.exit_code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="mutated inputs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout-s", type=float, default=10.0, help="bound per command")
    parser.add_argument("--show", type=int, default=5, help="examples to print per failure kind")
    options = parser.parse_args()

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    rng = random.Random(options.seed)
    scratch = Path(tempfile.mkdtemp(prefix="inferplan-fuzz-"))
    for name in SEED_DIRS:
        shutil.copytree(ROOT / name, scratch / "repo" / name)
    shutil.copy(ROOT / "Pulumi.yaml", scratch / "repo" / "Pulumi.yaml")  # the project's root
    repo = scratch / "repo"
    seeds = [
        Seed(path.relative_to(repo), path.read_text(encoding="utf-8"), None)
        for name in SEED_DIRS
        for path in sorted((repo / name).glob("*.yaml"))
    ]
    seeds = [Seed(s.relative, s.text, yaml.safe_load(s.text)) for s in seeds]
    os.chdir(repo)

    counts: dict[str, collections.Counter[str]] = {
        "validate": collections.Counter(),
        "plan": collections.Counter(),
    }
    details: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    examples: dict[str, list[str]] = collections.defaultdict(list)
    crossed = 0
    started = time.perf_counter()
    for index in range(options.count):
        seed = rng.choice(seeds)
        text = mutate(rng, seed)
        target = seed.relative
        if target.parts[0] == "templates":
            plan_target = TEMPLATE_USERS.get(target.name.split("@")[0], "examples")
        else:
            target = target.with_name(f"fuzz-{target.name}")
            plan_target = str(target)
        path = repo / target
        original = path.read_bytes() if path.exists() else None
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        validated = str(target)
        link = repo / "examples" / "fuzz-link"
        scene = rng.random()
        if scene < 0.05:  # a folder on the command line that is not the project's
            validated = os.path.expanduser(rng.choice(HOSTILE_FOLDERS))
        elif scene < 0.10:  # a folder link under a `**` glob (stacks/*.yaml read examples/**)
            dev = (repo / "stacks" / "dev.yaml").read_text(encoding="utf-8")
            walked = dev.replace("../examples/small-open-model.yaml", "../examples/**/small-*.yaml")
            (repo / "stacks" / "fuzz-links.yaml").write_text(walked, encoding="utf-8")
            link.symlink_to(rng.choice(HOSTILE_LINKS), target_is_directory=True)
            plan_target = "stacks/fuzz-links.yaml"
        try:
            results = {
                "validate": outcome(["validate", validated], options.timeout_s),
                "plan": outcome(["plan", plan_target], options.timeout_s),
            }
        finally:
            if link.is_symlink():
                link.unlink()
                (repo / plan_target).unlink()
            if original is None:
                path.unlink()
            else:
                path.write_bytes(original)
        for command, (kind, detail) in results.items():
            counts[command][kind if kind != "ok" else f"ok (exit {detail})"] += 1
            if kind != "ok":
                details[f"{command} {kind}"][detail] += 1
                if len(examples[f"{command} {kind}"]) < options.show:
                    examples[f"{command} {kind}"].append(
                        f"#{index} {seed.relative} ({validated}, {plan_target}): {detail}"
                    )
        if results["validate"] == ("ok", "0") and results["plan"][0] != "ok":
            crossed += 1
    elapsed = time.perf_counter() - started
    shutil.rmtree(scratch, ignore_errors=True)

    print(f"{options.count} mutated inputs, seed {options.seed}, {elapsed:.0f} s")
    for command, counter in counts.items():
        print(f"{command}: " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
    print(f"passed validate, then plan failed: {crossed}")
    for key, counter in sorted(details.items()):
        print(f"  {key}: " + ", ".join(f"{k or '-'} x{v}" for k, v in counter.most_common(8)))
        for line in examples[key]:
            print(f"      {line}")
    failures = sum(v for c in counts.values() for k, v in c.items() if not k.startswith("ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
