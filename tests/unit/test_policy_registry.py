"""Each policy rule is declared beside its check, in its theme's module, and the run order names
exactly the declared rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from policies.rules import ORDER, RULES
from policies.rules.registry import Rule, declare, in_order, resource_rule

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "policies" / "rules"


def _rule(name: str) -> Rule:
    return Rule(name, "d", "advisory", "f", resource_check=lambda view, ctx: ())


def test_every_rule_is_declared_on_its_check_in_a_theme_module():
    for rule in RULES:
        check = rule.resource_check or rule.stack_check
        assert check is not None
        module = check.__module__
        assert module.startswith("policies.rules.")
        assert module not in ("policies.rules.registry", "policies.rules.resources"), rule.name
        source = (ROOT / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8")
        function = next(
            node
            for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef) and node.name == check.__name__
        )
        decorators = [ast.unparse(d) for d in function.decorator_list]
        assert len(decorators) == 1 and decorators[0].split("(")[0] in (
            "resource_rule",
            "stack_rule",
        ), rule.name


def test_no_rule_table_outside_the_declarations():
    """Rules are built only by the decorators: no ``Rule(...)`` in a theme module or package."""
    for path in sorted(RULES_DIR.glob("*.py")):
        if path.name == "registry.py":
            continue
        calls = [
            node
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "Rule"
        ]
        assert not calls, path.name


def test_order_names_each_declared_rule_once():
    assert len(ORDER) == len(set(ORDER)) == len(RULES)
    assert [r.name for r in RULES] == list(ORDER)


def test_order_that_misses_a_declared_rule_is_refused():
    declared = {"a": _rule("a"), "b": _rule("b")}
    assert [r.name for r in in_order(declared, ("b", "a"))] == ["b", "a"]
    with pytest.raises(ValueError, match=r"declared but not ordered \['b'\]"):
        in_order(declared, ("a",))
    with pytest.raises(ValueError, match=r"ordered but not declared \['c'\]"):
        in_order(declared, ("a", "b", "c"))
    with pytest.raises(ValueError, match="ordered twice"):
        in_order(declared, ("a", "b", "a"))


def test_a_rule_name_declared_twice_is_refused():
    existing = RULES[0]
    with pytest.raises(ValueError, match="declared twice"):
        declare(_rule(existing.name))
    with pytest.raises(ValueError, match="declared twice"):
        resource_rule(existing.name, description="d", level="advisory", fix="f")(
            lambda view, ctx: ()
        )
