"""Kubernetes versions: the cluster's minor in AKS support on the catalog's date, and the
version the plan judged."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from policies.rules.registry import Violation, resource_rule, stack_rule
from policies.rules.resources import (
    CLUSTER_TYPE,
)
from policies.view import COMPUTED, PolicyContext, ResourceView

KUBERNETES_VERSION = "aks-version-supported"


@stack_rule(
    KUBERNETES_VERSION,
    description=(
        "The environment's Kubernetes minor is in AKS community support on the versions "
        "catalog's date (AKS creates no cluster on an end-of-life or not-yet-GA minor)."
    ),
    level="mandatory",
    fix=(
        "Drop spec.kubernetes.version (the newest GA minor) or set one the AKS versions catalog "
        "lists as supported; refresh sizing/catalog/data/aks_versions.yaml when AKS moves."
    ),
)
def check_kubernetes_version(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    """AKS creates clusters only on minors in community support (supported-kubernetes-versions:
    "Cluster creation: Not Supported" in platform support); judged on the catalog's date."""
    status = ctx.kubernetes_status
    if status is None or status == "supported":
        return
    minor, as_of, newest = ctx.kubernetes_version, ctx.kubernetes_as_of, ctx.kubernetes_newest_ga
    why = {
        "end-of-life": f"went out of AKS support on {ctx.kubernetes_end_of_life} "
        f"(LTS until {ctx.kubernetes_lts_end_of_life or 'never'})",
        "lts": f"is past community support since {ctx.kubernetes_end_of_life}; only long-term "
        f"support (until {ctx.kubernetes_lts_end_of_life}, Premium tier and the LTS support "
        "plan, which inferplan does not configure) covers it",
        "not-ga": "is not generally available in AKS yet",
        "unknown": "is not in the AKS versions catalog",
    }[status]
    yield Violation(
        KUBERNETES_VERSION,
        f"environment:{ctx.environment}",
        f"Kubernetes {minor} {why}, as of {as_of}; the newest generally available minor then "
        f"is {newest}.",
    )


@resource_rule(
    "aks-version-planned",
    description="AKS clusters run the Kubernetes minor the plan judged.",
    level="mandatory",
    fix=(
        "Set the version in the environment (spec.kubernetes.version) and re-plan; never edit "
        "the cluster's kubernetesVersion alone."
    ),
)
def check_cluster_version(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    """The cluster runs the version the Plan judged, not one edited in after planning."""
    if view.type != CLUSTER_TYPE or ctx.kubernetes_version is None:
        return
    version = str(view.get("kubernetesVersion", ""))

    def minor(text: str) -> str:
        return ".".join(text.split(".")[:2])

    if version and version != COMPUTED and minor(version) != minor(ctx.kubernetes_version):
        yield (
            f"{view.key} runs Kubernetes {version}; the plan judged "
            f"{ctx.kubernetes_version} against AKS's calendar."
        )
