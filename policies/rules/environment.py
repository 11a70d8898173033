"""The environment as a whole: approved templates, quota requests the plan needs, and weak
production settings (public access, a gateway without SLA, no deletion protection, alerts to
nobody, a small system pool, soft-deleted restore left on), advisory by default."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from policies.rules.registry import Violation, stack_rule
from policies.view import PolicyContext, ResourceView

TEMPLATES_REQUIRED = "templates-required"


@stack_rule(
    TEMPLATES_REQUIRED,
    description="An environment that requires approved templates carries no workload without one.",
    level="mandatory",
    fix=(
        "Instantiate an approved template in the workload (spec.template: name@version; see "
        "`inferplan templates`), or drop require_templates from the environment."
    ),
)
def check_templates(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    if not ctx.require_templates:
        return
    for w in ctx.workloads:
        if not w.template:
            yield Violation(
                TEMPLATES_REQUIRED,
                f"workload:{w.name}",
                f"workload {w.name} names no approved template, but environment "
                f"{ctx.environment} requires one.",
            )


QUOTA = "quota-requests"


@stack_rule(
    QUOTA,
    description=(
        "Quota the environment needs beyond the documented defaults (Azure OpenAI capacity per "
        "model and deployment type, GPU VM family vCPUs) is listed with the request to file."
    ),
    level="advisory",
    fix=(
        "File each listed increase for the deploying subscription before pulumi up (docs/"
        "infrastructure.md, Quota) and record it as granted in the stack's "
        "inferplan:quotaGranted, or lower the workload's traffic."
    ),
)
def check_quota(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    """Production stacks make this mandatory (Pulumi.prod.yaml): a new subscription has none of
    the GPU vCPUs and little of the Azure OpenAI capacity, so ``pulumi up`` would fail midway.
    A quota the stack records as granted, at least as much as needed, passes."""
    for q in ctx.quota:
        key = quota_key(q.region, q.name)
        if ctx.quota_granted.get(key, 0) >= q.needed:
            continue
        default = f"{q.default:,} {q.unit}" if q.default is not None else "no documented default"
        yield Violation(
            QUOTA,
            f"environment:{ctx.environment}",
            f"{q.name} in {q.region} needs {q.needed:,} {q.unit} ({default}); {q.request}. "
            f"Once granted, record it in the stack config: inferplan:quotaGranted "
            f'{{"{key}": {q.needed}}}.',
        )


def quota_key(region: str, name: str) -> str:
    """How a stack records a granted quota: ``<region>/<quota name>``."""
    return f"{region}/{name}"


def _environment_setting(
    rule: str, failing: bool, message: str, ctx: PolicyContext
) -> Iterator[Violation]:
    if ctx.known and failing:
        yield Violation(rule, f"environment:{ctx.environment}", message)


PUBLIC_NETWORK = "environment-public-network-access"


@stack_rule(
    PUBLIC_NETWORK,
    description="The environment allows no public network access.",
    level="advisory",
    fix=(
        "Set network.public_network_access: false (prod raises this rule to mandatory in "
        "Pulumi.prod.yaml)."
    ),
)
def check_public_network(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    yield from _environment_setting(
        PUBLIC_NETWORK,
        ctx.public_network_access is True,
        f"environment {ctx.environment} allows public network access to its services "
        "(network.public_network_access: true).",
        ctx,
    )


GATEWAY_SLA = "gateway-tier-sla"


@stack_rule(
    GATEWAY_SLA,
    description="The gateway tier has an SLA (Developer has none).",
    level="advisory",
    fix="Choose BasicV2, StandardV2, Standard, Premium or PremiumV2 in spec.gateway.tier.",
)
def check_gateway_sla(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    yield from _environment_setting(
        GATEWAY_SLA,
        ctx.gateway_sla is False,
        f"environment {ctx.environment} runs its gateway on the {ctx.gateway_tier} tier, which "
        "has no SLA.",
        ctx,
    )


PROTECT = "environment-protect"


@stack_rule(
    PROTECT,
    description="What holds state is protected from deletion by Pulumi.",
    level="advisory",
    fix="Set protect: true.",
)
def check_protect(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    yield from _environment_setting(
        PROTECT,
        ctx.protect is False,
        f"environment {ctx.environment} does not protect its clusters, gateway, accounts and "
        "logs from deletion (protect: false).",
        ctx,
    )


ALERT_EMAIL = "alerts-notify"


@stack_rule(
    ALERT_EMAIL,
    description="SLO alerts reach someone.",
    level="advisory",
    fix="Set observability.alert_email.",
)
def check_alert_email(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    yield from _environment_setting(
        ALERT_EMAIL,
        ctx.alert_email is False,
        f"environment {ctx.environment}'s SLO alerts reach nobody (observability.alert_email "
        "is not set).",
        ctx,
    )


SYSTEM_POOL = "aks-system-pool-redundancy"


@stack_rule(
    SYSTEM_POOL,
    description="The AKS system pool has at least three nodes across zones.",
    level="advisory",
    fix="Set kubernetes.system_node_count: 3.",
)
def check_system_pool(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    count = ctx.system_node_count
    yield from _environment_setting(
        SYSTEM_POOL,
        # Below two, aks-system-pool-minimum (mandatory) says it.
        count is not None and 2 <= count < 3,
        f"environment {ctx.environment} runs {count} system node(s); AKS asks for at least two "
        "and recommends three, spread over zones (use-system-pools.md).",
        ctx,
    )


SYSTEM_POOL_MINIMUM = "aks-system-pool-minimum"


@stack_rule(
    SYSTEM_POOL_MINIMUM,
    description=(
        "The AKS system pool has at least two nodes in every environment: one node carries "
        "CoreDNS, KEDA, the metrics server and the CSI drivers, and each node-image upgrade or "
        "node failure takes them all down with it."
    ),
    level="mandatory",
    fix="Set kubernetes.system_node_count: 2 (3 in production).",
)
def check_system_pool_minimum(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    count = ctx.system_node_count
    yield from _environment_setting(
        SYSTEM_POOL_MINIMUM,
        count is not None and count < 2,
        f"environment {ctx.environment} runs {count} system node; AKS asks for at least two "
        "(use-system-pools.md).",
        ctx,
    )


SOFT_DELETED = "soft-deleted-restore"


@stack_rule(
    SOFT_DELETED,
    description="soft_deleted: restore is a one-off for the up after a destroy.",
    level="advisory",
    fix="Set soft_deleted: purge once the restoring pulumi up has run.",
)
def check_soft_deleted_restore(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    yield from _environment_setting(
        SOFT_DELETED,
        ctx.soft_deleted == "restore",
        f"environment {ctx.environment} undeletes soft-deleted services on every up "
        "(soft_deleted: restore); set it back to purge once the restoring up has run.",
        ctx,
    )
