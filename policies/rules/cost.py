"""Cost: the environment and each workload within the monthly caps their specs set."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from policies.rules.registry import Violation, stack_rule
from policies.view import PolicyContext, ResourceView

COST_ENVIRONMENT_CAP = "cost-environment-cap"


@stack_rule(
    COST_ENVIRONMENT_CAP,
    description="The environment's planned monthly cost is within its cap.",
    level="mandatory",
    fix=(
        "Lower the workloads' traffic or SLOs, allow cheaper targets, or raise "
        "spec.limits.max_monthly_usd with the budget owner's approval."
    ),
)
def check_environment_cap(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    if ctx.max_monthly_usd is None or ctx.monthly_usd is None:
        return
    if ctx.monthly_usd > ctx.max_monthly_usd:
        yield Violation(
            COST_ENVIRONMENT_CAP,
            f"environment:{ctx.environment}",
            f"environment {ctx.environment} is planned at ${ctx.monthly_usd:,.0f}/month, over "
            f"its cap of ${ctx.max_monthly_usd:,.0f}.",
        )


COST_WORKLOAD_CAP = "cost-workload-cap"


@stack_rule(
    COST_WORKLOAD_CAP,
    description="Each workload's planned monthly cost is within its own cap.",
    level="mandatory",
    fix=(
        "Relax the workload's SLO or traffic, allow other precisions or targets, or raise its "
        "spec.cost.max_monthly_usd."
    ),
)
def check_workload_caps(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    for w in ctx.workloads:
        if w.max_monthly_usd is None or w.monthly_usd is None:
            continue
        if w.monthly_usd > w.max_monthly_usd:
            yield Violation(
                COST_WORKLOAD_CAP,
                f"workload:{w.name}",
                f"workload {w.name} is planned at ${w.monthly_usd:,.0f}/month, over its cap of "
                f"${w.max_monthly_usd:,.0f}.",
            )
