"""Decisions travel as typed values and nobody parses them back.

Sizing decides; the layers above read the Plan's typed fields. A regular expression in
components/ (outside Azure resource naming) means a decision arrived as text and is being taken
apart; a string literal tested ``in`` a sentence (``"cap" in violation``, ``"quota" in
w.reason``) means code steers on words written for people. These tests read the source (the
AST, not the text) of every project module and fail on either; each detector is shown to see
the forms it is meant to catch.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("inputs", "sizing", "components", "policies", "inferplan")
MODULES = sorted(path for folder in PACKAGES for path in (ROOT / folder).rglob("*.py"))
COMPONENTS = [p for p in MODULES if p.relative_to(ROOT).parts[0] == "components"]
# Azure resource naming: the one place components may match names against a pattern.
NAMING = ROOT / "components" / "naming.py"

# Fields (and JSON keys) that hold sentences for people: messages, reasons, summaries.
SENTENCES = {
    "description",
    "infeasible_reason",
    "message",
    "messages",
    "nearest_relaxation",
    "reason",
    "reasons",
    "rejected_reason",
    "request",
    "summary",
    "violation",
    "violations",
    "warning",
    "warnings",
}


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# --- regular expressions in components/ ---------------------------------------------------------


def regex_uses(tree: ast.AST) -> list[int]:
    """Lines that import ``re`` (or anything from it) or call into it."""
    found = []
    for node in ast.walk(tree):
        imports = isinstance(node, ast.Import) and any(a.name == "re" for a in node.names)
        imports_from = isinstance(node, ast.ImportFrom) and node.module == "re"
        calls = (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "re"
        )
        if imports or imports_from or calls:
            found.append(node.lineno)
    return sorted(set(found))


@pytest.mark.parametrize("path", [p for p in COMPONENTS if p != NAMING], ids=_rel)
def test_no_component_matches_text_against_a_pattern(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert regex_uses(tree) == [], "a regular expression outside components/naming.py"


# --- string literals tested `in` a sentence ------------------------------------------------


def _names_a_sentence(node: ast.expr, bound: frozenset[str] = frozenset()) -> bool:
    """``x.message``, ``x["reason"]``, ``x.get("violations")``, one lowered, or a name a loop
    over such sentences binds (``bound``)."""
    if isinstance(node, ast.Attribute):
        return node.attr in SENTENCES
    if isinstance(node, ast.Subscript):
        key = node.slice
        return isinstance(key, ast.Constant) and key.value in SENTENCES
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "get" and node.args:
            key = node.args[0]
            return isinstance(key, ast.Constant) and key.value in SENTENCES
        return node.func.attr in {"lower", "upper", "strip", "casefold"} and _names_a_sentence(
            node.func.value, bound
        )
    if isinstance(node, ast.BoolOp):
        return any(_names_a_sentence(v, bound) for v in node.values)
    if isinstance(node, ast.Name):
        return node.id in bound
    return False


def _loop_bindings(tree: ast.AST) -> frozenset[str]:
    """Names bound by a loop or comprehension over something that names sentences:
    ``for v in env.get("violations")`` makes ``v`` a sentence."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.For | ast.comprehension):
            continue
        if isinstance(node.target, ast.Name) and _names_a_sentence(node.iter):
            bound.add(node.target.id)
    return frozenset(bound)


def sentence_tests(tree: ast.AST) -> list[int]:
    """Lines that test a string literal ``in`` (or ``not in``) a sentence, or call
    ``startswith``/``endswith``/``find`` on one with a literal."""
    bound = _loop_bindings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for op, (left, right) in zip(node.ops, itertools.pairwise(operands), strict=True):
                literal = isinstance(left, ast.Constant) and isinstance(left.value, str)
                if (
                    isinstance(op, ast.In | ast.NotIn)
                    and literal
                    and _names_a_sentence(right, bound)
                ):
                    found.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"startswith", "endswith", "find", "index", "count"}
            and _names_a_sentence(node.func.value, bound)
            and any(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
        ):
            found.append(node.lineno)
    return sorted(set(found))


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_no_code_steers_on_the_words_of_a_sentence(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert sentence_tests(tree) == [], "tests a sentence for words: decide on a typed field"


# --- the detectors see what they are meant to --------------------------------------------------


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        pytest.param("import re\nre.compile('x')\n", [1, 2], id="import-and-call"),
        pytest.param("from re import fullmatch\n", [1], id="from-import"),
        pytest.param("import regex_free\nx.re = 1\n", [], id="other-names-are-fine"),
    ],
)
def test_the_regex_detector(source: str, lines: list[int]) -> None:
    assert regex_uses(ast.parse(source)) == lines


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        pytest.param(
            "for violation in env.get('violations') or []:\n"
            "    if 'cap' in violation and cap is not None:\n"
            "        continue\n",
            [2],
            id="diff-cost-cap-by-word",
        ),
        pytest.param(
            "for v in plan.violations:\n    if 'cap' not in v.lower():\n        pass\n",
            [2],
            id="loop-variable-lowered",
        ),
        pytest.param("ok = 'quota' in w.infeasible_reason\n", [1], id="attribute"),
        pytest.param("ok = 'slo' in row['rejected_reason']\n", [1], id="subscript"),
        pytest.param("ok = [r for r in c.reasons if 'TTFT' in r]\n", [1], id="comprehension"),
        pytest.param("ok = x.message.startswith('planned')\n", [1], id="startswith"),
        pytest.param("ok = v.kind == 'cost-cap'\n", [], id="typed-kind-is-fine"),
        pytest.param("ok = '--port' in aks.vllm_args\n", [], id="not-a-sentence"),
        pytest.param("ok = name in w.reasons\n", [], id="no-literal"),
        pytest.param("if '\\t' in message:\n    pass\n", [], id="a-local-text-is-no-plan-sentence"),
    ],
)
def test_the_sentence_detector(source: str, lines: list[int]) -> None:
    assert sentence_tests(ast.parse(source)) == lines


# --- alerts looked up by name ----------------------------------------------------------------
# A component or policy that finds a figure by looking an alert up by name has made a sizing
# decision where nobody sees it; it reads every alert's typed fields instead.

DECIDING_NOTHING = [
    p for p in MODULES if p.relative_to(ROOT).parts[0] in ("components", "policies")
]


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


@pytest.mark.parametrize("path", DECIDING_NOTHING, ids=_rel)
def test_no_component_or_policy_looks_an_alert_up_by_name(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
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
