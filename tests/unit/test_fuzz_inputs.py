"""Fuzzing: mutated copies of the shipped workloads, templates and environments go through
``validate`` and ``plan`` in process. Whatever the mutation, the command ends with a documented
exit code (0, 1 or 2), never a traceback or an internal error (70), and within a bound per
input; bad input names a file.

Hypothesis draws a bounded number of examples from a fixed seed, so the suite stays fast and
every run sees the same inputs; ``scripts/fuzz_inputs.py`` runs thousands for the figures.
"""

from __future__ import annotations

import copy
import re
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inferplan.cli.main import main

BOUND_PER_COMMAND_S = 30  # far above any real run (a plan takes well under a second)
DOCUMENTED_EXITS = {0, 1, 2}
SEED_DIRS = ("examples", "templates", "stacks")
TEMPLATE_USERS = {  # the example that instantiates each template, to plan a mutated one
    "chat-eu": "examples/eu-chat-managed.yaml",
    "code-assistant": "examples/code-assistant.yaml",
    "embeddings-eu": "examples/search-embeddings.yaml",
    "selfhosted-chat-eu": "examples/support-chat.yaml",
}
SEEDS = sorted(
    (path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8"))
    for folder in SEED_DIRS
    for path in (ROOT / folder).glob("*.yaml")
)
PROBLEM = re.compile(r"^(?P<file>[^:\s]+\.ya?ml)(:\d+:\d+)?: ")

HOSTILE = st.one_of(
    st.sampled_from(
        [
            float("inf"),
            float("-inf"),
            float("nan"),
            1e308,
            10**30,
            2**63,
            0,
            -1,
            "",
            "x" * 3000,
            "=cmd|' /C calc'!A0",
            "../../../../**/*.x",
            "EU",
            "1.20",
            None,
            True,
            [],
            {},
            {"a": [{"b": {}}]},
        ]
    ),
    st.floats(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.text(max_size=12),
)


def _paths(data: Any, prefix: tuple = ()) -> Iterator[tuple]:
    if prefix:
        yield prefix
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        yield from _paths(value, (*prefix, key))


def _parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def nested_anchors(levels: int, width: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * width) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@st.composite
def mutated_file(draw: st.DrawFn) -> tuple[str, str]:
    """(relative path of a shipped file, its text with one mutation)."""
    relative, text = draw(st.sampled_from(SEEDS))
    how = draw(st.sampled_from(["value", "value", "value", "delete", "rename", "text"]))
    if how == "text":
        kinds = ["anchors", "nesting", "truncate", "insert", "merge", "root-tag", "two-documents"]
        kind = draw(st.sampled_from(kinds))
        if kind == "root-tag":  # a tag on the root mapping crashed every reader (exit 70)
            return relative, draw(st.sampled_from(["--- !foo\n", "!!map\n", "!x\n"])) + text
        if kind == "two-documents":  # a template of two documents passed validate
            return relative, text + "---\n" + text
        if kind == "merge":  # a merge key that refers to the mapping holding it, or a scalar
            return relative, draw(st.sampled_from(["x: &s {a: 1, <<: *s}\n", "<<: 1\n"])) + text
        if kind == "anchors":
            levels, width = draw(st.integers(4, 11)), draw(st.integers(4, 12))
            return relative, nested_anchors(levels, width) + text
        if kind == "nesting":
            depth = draw(st.integers(50, 3000))
            return relative, text + "extra: " + "[" * depth + "]" * depth + "\n"
        if kind == "truncate":
            return relative, text[: draw(st.integers(0, len(text)))]
        at = draw(st.integers(0, len(text)))
        return relative, text[:at] + draw(
            st.sampled_from(["\t", ": :", "*x", "&", "!!x ", "\x07"])
        ) + text[at:]
    data = copy.deepcopy(yaml.safe_load(text))
    path = draw(st.sampled_from(list(_paths(data))))
    parent = _parent(data, path)
    if how == "value":
        parent[path[-1]] = draw(HOSTILE)
    elif isinstance(parent, dict) and how == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict) and len(str(path[-1])) > 2:
        key = str(path[-1])
        parent[key[:-1]] = parent.pop(path[-1])  # the last letter dropped
    return relative, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class Hang(BaseException):
    """Not an Exception: no handler in the code under test can swallow it."""


@contextmanager
def bounded(seconds: int) -> Iterator[None]:
    def alarm(signum: int, frame: object) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    for folder in SEED_DIRS:
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    return root


def check(args: list[str]) -> None:
    """One command on a mutated input: a documented exit code, no traceback, within the bound;
    bad input is reported against a file."""
    try:
        with bounded(BOUND_PER_COMMAND_S):
            result = CliRunner().invoke(main, args)
    except Hang:
        pytest.fail(f"{' '.join(args)} ran past {BOUND_PER_COMMAND_S} s")
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{' '.join(args)} raised {result.exception!r}"
    )
    assert result.exit_code in DOCUMENTED_EXITS, f"{' '.join(args)}: {result.output}"
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert any(PROBLEM.match(line) for line in result.stderr.splitlines()), result.output


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutation=mutated_file())
def test_mutated_inputs_end_with_a_documented_exit_code(
    project: Path, monkeypatch: pytest.MonkeyPatch, mutation: tuple[str, str]
) -> None:
    relative, text = mutation
    monkeypatch.chdir(project)
    original = project / relative
    if relative.startswith("templates/"):
        target, planned = original, TEMPLATE_USERS[original.name.split("@")[0]]
    else:
        target = original.with_name(f"fuzz-{original.name}")
        planned = target.relative_to(project).as_posix()
    kept = original.read_bytes()
    target.write_text(text, encoding="utf-8")
    try:
        check(["validate", target.relative_to(project).as_posix()])
        check(["plan", planned])
    finally:
        if target == original:
            original.write_bytes(kept)
        else:
            target.unlink()
