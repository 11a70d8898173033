"""Every preflight check, in one order: what the plan needs against what Azure answered. Pure.

The checks live by domain in ``check_compute``, ``check_openai`` and ``check_platform``; the
values they share in ``findings``.
"""

from __future__ import annotations

from inferplan.preflight.check_compute import check_vcpu_quota, check_vm_sizes
from inferplan.preflight.check_openai import check_openai_models, check_openai_quota
from inferplan.preflight.check_platform import (
    check_gateway_tier,
    check_kubernetes_versions,
    check_soft_deleted,
)
from inferplan.preflight.findings import CHECK_ORDER, Answers, Finding
from inferplan.preflight.needs import Needs

__all__ = [
    "check_gateway_tier",
    "check_kubernetes_versions",
    "check_openai_models",
    "check_openai_quota",
    "check_soft_deleted",
    "check_vcpu_quota",
    "check_vm_sizes",
    "run_checks",
]


def run_checks(needs: Needs, answers: Answers) -> tuple[Finding, ...]:
    """Every check, in `CHECK_ORDER`, regions and resources sorted within each check."""
    findings = [
        *check_vm_sizes(needs, answers),
        *check_vcpu_quota(needs, answers),
        *check_kubernetes_versions(needs, answers),
        *check_openai_models(needs, answers),
        *check_openai_quota(needs, answers),
        *check_gateway_tier(needs, answers),
        *check_soft_deleted(needs, answers),
    ]
    order = {name: index for index, name in enumerate(CHECK_ORDER)}
    return tuple(sorted(findings, key=lambda f: (order[f.check], f.region, f.resource, f.status)))
