"""The rules of ``policies.rules`` as a pulumi_policy pack, for ``pulumi preview --policy-pack``.

``pulumi_policies()`` adapts each rule: a resource rule becomes a ``ResourceValidationPolicy``, a
stack rule a ``StackValidationPolicy``, both with the rule's name, description and default
enforcement level, reporting the rule's message followed by its fix. ``build_pack()`` (what
``__main__.py`` calls) hands them to ``PolicyPack``, which starts the analyzer's gRPC server and
never returns, so tests build the list with ``pulumi_policies()`` instead.

Context: the rules need the Plan's residency, caps, streaming and templates, which the engine
does not have. ``inferplan check STACK --policy-config FILE`` writes them, with the stack's
enforcement levels, into a pack config file (``policy_config``); pass it with
``pulumi preview --policy-pack policies --policy-pack-config FILE``. Without it, rules that need
the context find nothing to check and the others still run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from policies.rules import RULES, Rule, rule_violations
from policies.view import (
    COMPUTED,
    Level,
    PolicyContext,
    ResourceView,
    context_from_data,
    context_to_data,
)

PACK_NAME = "inferplan-guardrails"
CONTEXT_KEY = "context"  # each policy's config: {"enforcementLevel": ..., "context": {...}}
LEVELS: dict[Level, EnforcementLevel] = {
    "mandatory": EnforcementLevel.MANDATORY,
    "advisory": EnforcementLevel.ADVISORY,
    "disabled": EnforcementLevel.DISABLED,
}
_UNKNOWNS = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)
CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        CONTEXT_KEY: {
            "type": "object",
            "description": "The environment's plan context, written by "
            "`inferplan check STACK --policy-config FILE`.",
        }
    }
)


def plain_props(value: Any) -> Any:
    """The analyzer's props as plain data: proxies unwrapped, unknowns as ``<computed>``,
    whole floats as ints (the engine sends every number as a float)."""
    if type(value).__name__ in ("_DictProxy", "_ListProxy"):
        value = value["__target"]  # pulumi_policy's unknown-checking proxies keep the raw data
    if isinstance(value, Mapping):
        return {k: plain_props(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_props(v) for v in value]
    if isinstance(value, str) and value in _UNKNOWNS:
        return COMPUTED
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _context(config: Mapping[str, Any] | None) -> PolicyContext:
    return context_from_data((config or {}).get(CONTEXT_KEY))


def view_from_resource_args(args: ResourceValidationArgs) -> ResourceView:
    opts = args.opts
    return ResourceView(
        type=args.resource_type,
        name=args.name,
        inputs=plain_props(args.props),
        options={
            "ignoreChanges": list(opts.ignore_changes or ()),
            "protect": bool(opts.protect),
            "deleteBeforeReplace": bool(opts.delete_before_replace),
        },
        parent=opts.parent or None,
        urn=args.urn,
        secrets_marked=False,
    )


def views_from_stack_args(args: StackValidationArgs) -> list[ResourceView]:
    views = []
    for r in args.resources:
        opts = r.opts
        views.append(
            ResourceView(
                type=r.resource_type,
                name=r.name,
                inputs=plain_props(r.props),
                options={"ignoreChanges": list(opts.ignore_changes or ())},
                parent=r.parent.urn if r.parent is not None else None,
                urn=r.urn,
                secrets_marked=False,
            )
        )
    return views


def _report(rule: Rule, report: ReportViolation, message: str, urn: str | None) -> None:
    text = f"{message}\nFix: {rule.fix}"
    if urn:
        report(text, urn)
    else:
        report(text)


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        view = view_from_resource_args(args)
        for violation in rule_violations(rule, [view], _context(args.get_config())):
            _report(rule, report, violation.message, None)

    return ResourceValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=LEVELS[rule.level],
        config_schema=CONFIG_SCHEMA,
    )


def _stack_policy(rule: Rule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        views = views_from_stack_args(args)
        for violation in rule_violations(rule, views, _context(args.get_config())):
            _report(rule, report, violation.message, violation.urn)

    return StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=LEVELS[rule.level],
        config_schema=CONFIG_SCHEMA,
    )


def pulumi_policies(rules: Sequence[Rule] = RULES) -> list[Policy]:
    """Every rule as a pulumi_policy policy, in rule order."""
    return [
        _resource_policy(rule) if rule.kind == "resource" else _stack_policy(rule) for rule in rules
    ]


def policy_config(ctx: PolicyContext, rules: Sequence[Rule] = RULES) -> dict[str, Any]:
    """The ``--policy-pack-config`` file for one environment: each rule's level there, and the
    context every rule reads."""
    data = context_to_data(ctx)
    return {
        rule.name: {"enforcementLevel": rule.level_in(ctx), CONTEXT_KEY: data} for rule in rules
    }


def build_pack() -> PolicyPack:
    """Serve the pack to the Pulumi engine (blocks; the engine ends the process)."""
    return PolicyPack(
        name=PACK_NAME,
        policies=pulumi_policies(),
        enforcement_level=EnforcementLevel.ADVISORY,
        description="inferplan guardrails: residency, cost caps, identity and exposure, "
        "streaming gateway, GPU pools, approved templates.",
    )
