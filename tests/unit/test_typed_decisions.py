"""Components and policies decide nothing and parse nothing: they read the Plan's typed fields.

A component that parses a flag back out of the vLLM arguments, or that finds a figure by looking
an alert up by name, has made a sizing decision where nobody sees it. These tests read the
source (the AST, not the text) of every module under components/ and policies/ and fail on
either; the checkov checks are apart because they run without inferplan, on rendered manifests.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(
    path
    for folder in ("components", "policies")
    for path in (ROOT / folder).rglob("*.py")
    if "checkov" not in path.parts
)
# Helpers that turned a decision into a parse; none may come back.
PARSERS = {"flag_value", "queue_depth_threshold", "replica_cpu_memory", "deployment_scope"}


def _imported_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


def _alert_lookups(tree: ast.AST) -> list[int]:
    """Lines that iterate over ``<x>.alerts`` and compare an element's ``name``."""
    found = []
    for node in ast.walk(tree):
        loops: list[tuple[ast.expr, ast.expr, list[ast.AST]]] = []
        if isinstance(node, ast.For):
            loops.append((node.target, node.iter, node.body))
        elif isinstance(node, (ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)):
            element = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for gen in node.generators:
                loops.append((gen.target, gen.iter, [*gen.ifs, *element]))
        for target, iterable, body in loops:
            if not (isinstance(iterable, ast.Attribute) and iterable.attr == "alerts"):
                continue
            if not isinstance(target, ast.Name):
                continue
            for part in body:
                for inner in ast.walk(part):
                    if isinstance(inner, ast.Compare) and any(
                        isinstance(side, ast.Attribute)
                        and side.attr == "name"
                        and isinstance(side.value, ast.Name)
                        and side.value.id == target.id
                        for side in [inner.left, *inner.comparators]
                    ):
                        found.append(inner.lineno)
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_component_or_policy_parses_a_decision(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert _imported_names(tree) & PARSERS == set()
    assert _alert_lookups(tree) == [], "looks an alert up by name"


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        pytest.param(
            "def f(w):\n    return next(a for a in w.alerts if a.name == 'queue-depth')\n",
            [2],
            id="generator",
        ),
        pytest.param(
            "def f(w):\n    for a in w.alerts:\n        if 'ttft' == a.name:\n"
            "            return a\n",
            [3],
            id="for-loop",
        ),
        pytest.param(
            "def f(w):\n    return [a.threshold for a in w.alerts]\n",
            [],
            id="reading-every-alert-is-fine",
        ),
    ],
)
def test_the_alert_lookup_detector_sees_both_loop_forms(source: str, lines: list[int]) -> None:
    assert _alert_lookups(ast.parse(source)) == lines


def test_the_parse_detector_sees_an_import_and_an_attribute() -> None:
    tree = ast.parse(
        "from sizing.deploy.vllm_args import flag_value\n"
        "import sizing.deploy.vllm_args as v\n"
        "port = v.flag_value(args, '--port')\n"
    )
    assert _imported_names(tree) & PARSERS == {"flag_value"}
