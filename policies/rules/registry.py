"""What a rule is and how rules run: a ``Rule`` (name, description, default level, fix, and the
check it runs), declared beside its check with ``resource_rule`` or ``stack_rule``.

A resource rule looks at one ``ResourceView`` and yields messages; a stack rule looks at every
resource (or only at the context, for the Plan-level caps and templates) and yields
``Violation``s. The decorators file each rule under its name as its module is imported;
``policies.rules`` puts them in the order the pack lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from policies.view import Level, PolicyContext, ResourceView


@dataclass(frozen=True)
class Violation:
    rule: str
    resource: str  # ``type::name``, or ``environment:<name>`` / ``workload:<name>``
    message: str
    urn: str | None = None  # for the CLI pack's report; None: the stack itself


ResourceCheck = Callable[[ResourceView, PolicyContext], Iterable[str]]
StackCheck = Callable[[Sequence[ResourceView], PolicyContext], Iterable[Violation]]
Check = TypeVar("Check", ResourceCheck, StackCheck)


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    level: Level
    fix: str
    resource_check: ResourceCheck | None = None
    stack_check: StackCheck | None = None

    @property
    def kind(self) -> str:
        return "resource" if self.resource_check is not None else "stack"

    def level_in(self, ctx: PolicyContext) -> Level:
        """The level in this environment: its override, else the rule's default."""
        return ctx.enforcement.get(self.name, self.level)


# Every rule declared so far, by name, in the order the theme modules declared them.
DECLARED: dict[str, Rule] = {}


def declare(rule: Rule) -> None:
    """File ``rule`` under its name; a second rule of the same name is a programming error."""
    if rule.name in DECLARED:
        raise ValueError(f"policy rule {rule.name!r} is declared twice")
    DECLARED[rule.name] = rule


def resource_rule(
    name: str, *, description: str, level: Level, fix: str
) -> Callable[[ResourceCheck], ResourceCheck]:
    """Declare the decorated function as the check of a rule over one resource at a time."""

    def declared(check: ResourceCheck) -> ResourceCheck:
        declare(Rule(name, description, level, fix, resource_check=check))
        return check

    return declared


def stack_rule(
    name: str, *, description: str, level: Level, fix: str
) -> Callable[[StackCheck], StackCheck]:
    """Declare the decorated function as the check of a rule over the whole stack."""

    def declared(check: StackCheck) -> StackCheck:
        declare(Rule(name, description, level, fix, stack_check=check))
        return check

    return declared


def in_order(declared: Mapping[str, Rule], order: Sequence[str]) -> tuple[Rule, ...]:
    """The declared rules in ``order``; a rule missing from either side is a programming error
    (a rule nobody runs, or an order naming a rule nobody declared)."""
    unordered = sorted(set(declared) - set(order))
    undeclared = sorted(set(order) - set(declared))
    if unordered or undeclared or len(order) != len(set(order)):
        raise ValueError(
            f"policy rule order and declarations disagree: declared but not ordered {unordered}, "
            f"ordered but not declared {undeclared}"
            + (", a name ordered twice" if len(order) != len(set(order)) else "")
        )
    return tuple(declared[name] for name in order)


def rule_violations(
    rule: Rule, views: Sequence[ResourceView], ctx: PolicyContext
) -> list[Violation]:
    """One rule over every view (a resource rule) or over all of them at once (a stack rule)."""
    if rule.resource_check is not None:
        return [
            Violation(rule.name, view.key, message, view.urn)
            for view in views
            for message in rule.resource_check(view, ctx)
        ]
    assert rule.stack_check is not None
    return list(rule.stack_check(views, ctx))


def run_rules(
    views: Sequence[ResourceView], ctx: PolicyContext, rules: Sequence[Rule]
) -> list[tuple[Rule, Violation]]:
    """Every violation of every rule not disabled in this environment, in rule order."""
    found: list[tuple[Rule, Violation]] = []
    for rule in rules:
        if rule.level_in(ctx) == "disabled":
            continue
        found += [(rule, v) for v in rule_violations(rule, views, ctx)]
    return found
