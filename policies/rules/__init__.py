"""inferplan's guardrails as plain functions, one module per theme, each rule declared beside
its check (``@resource_rule`` / ``@stack_rule`` in ``registry``): residency, cost, identity,
exposure, secrets, the gateway, GPU pools, images, Kubernetes versions, the environment.

``RULES`` holds them in the order the pack lists them and ``run_rules`` applies them;
``policies.pack`` adapts the same rules to pulumi_policy for the Pulumi CLI.

Enforcement levels: every rule has a default (``Rule.level``); an environment overrides it per
rule in ``PolicyContext.enforcement`` (``mandatory``, ``advisory`` or ``disabled``), which
``inferplan check`` reads from the stack's ``Pulumi.<stack>.yaml`` key
``inferplan:policyEnforcement`` and writes into the CLI pack's config (docs/policies.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from policies.rules import (  # noqa: F401  (importing a theme declares its rules)
    cost,
    environment,
    exposure,
    gateway,
    gpu_pools,
    identity,
    images,
    kubernetes_versions,
    residency,
    secrets,
)
from policies.rules.images import image_is_pinned
from policies.rules.registry import DECLARED, Rule, Violation, in_order, rule_violations
from policies.rules.registry import run_rules as _run_rules
from policies.rules.residency import attributed_workloads
from policies.rules.secrets import check_no_plain_secrets
from policies.view import PolicyContext, ResourceView

# The order rules run in and the pack lists them: the order they were added, kept so that
# reports and the pack's policy list read as they always have. A new rule goes at the end.
ORDER = (
    "residency-regions",
    "residency-openai-deployment-type",
    "cost-environment-cap",
    "cost-workload-cap",
    "openai-local-auth-disabled",
    "public-network-access",
    "aks-local-accounts-disabled",
    "aks-azure-rbac",
    "aks-workload-identity",
    "vllm-service-internal",
    "no-plain-secrets",
    "gateway-streaming-tier",
    "gateway-no-buffering",
    "gateway-no-body-logging",
    "gateway-backend-timeout",
    "gpu-pool-taint",
    "gpu-pool-autoscaling",
    "gpu-pool-named-from-sku",
    "gpu-workload-tolerates-taint",
    "gpu-workload-requests-gpus",
    "gpu-pool-mig-profile",
    "spot-pool-settings",
    "image-pinned",
    "templates-required",
    "aks-version-supported",
    "aks-version-planned",
    "quota-requests",
    "gated-model-token",
    "model-revision-pinned",
    "registry-credentials",
    "aks-cluster-admin",
    "keda-workload-identity",
    "vllm-network-policy",
    "vllm-api-key",
    "gateway-circuit-breakers",
    "gateway-subscription-key-header",
    "gateway-portals-off",
    "network-private-layers",
    "image-from-registry",
    "image-digest",
    "node-disks-sized",
    "shared-pool-gpus-fit",
    "gateway-residency-geography",
    "environment-public-network-access",
    "gateway-tier-sla",
    "environment-protect",
    "alerts-notify",
    "aks-system-pool-redundancy",
    "aks-system-pool-minimum",
    "soft-deleted-restore",
    "vllm-no-internet-egress",
)

RULES: tuple[Rule, ...] = in_order(DECLARED, ORDER)
RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
# Rules that a wider one replaced: a stack's inferplan:policyEnforcement may still name the old
# one, and its level then applies to the rule under its new name.
RENAMED: dict[str, str] = {
    "openai-public-network-access": "public-network-access",
    "no-anonymous-docker-hub": "image-from-registry",
}


def run_rules(
    views: Sequence[ResourceView], ctx: PolicyContext, rules: Sequence[Rule] = RULES
) -> list[tuple[Rule, Violation]]:
    """Every violation of every rule not disabled in this environment, in rule order."""
    return _run_rules(views, ctx, rules)


__all__ = [
    "ORDER",
    "RENAMED",
    "RULES",
    "RULES_BY_NAME",
    "Rule",
    "Violation",
    "attributed_workloads",
    "check_no_plain_secrets",
    "image_is_pinned",
    "rule_violations",
    "run_rules",
]
