"""Residency: every resource in a region its workloads and environment allow, Azure OpenAI
deployment types that keep data in place, gateways in their workloads' geography."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from policies.rules.registry import Violation, resource_rule, stack_rule
from policies.rules.resources import (
    workload_names,
)
from policies.view import COMPUTED, PolicyContext, ResourceView

# Locations that are not a region (no data is processed "there").
NON_REGIONAL = frozenset({"global"})

# Shared services that hold or carry a strict-residency workload's data: the gateway (prompts
# and completions pass through it), logs, request telemetry and metrics.
SHARED_DATA_TYPES = frozenset(
    {
        "azure-native:apimanagement:ApiManagementService",
        "azure-native:operationalinsights:Workspace",
        "azure-native:applicationinsights:Component",
        "azure-native:monitor:AzureMonitorWorkspace",
    }
)


def _location(view: ResourceView) -> str | None:
    location = view.inputs.get("location")
    if not isinstance(location, str) or location == COMPUTED:
        return None
    normalized = location.replace(" ", "").lower()
    return None if normalized in NON_REGIONAL else normalized


# Resources that carry no workload name of their own but serve the workloads their siblings
# (children of the same component) name: a cluster its GPU pools', an account its deployments'.
# Network plumbing beside them (private endpoints, peerings) sits where its consumer is and is
# left to the environment's allowed regions.
ATTRIBUTED_BY_SIBLINGS = frozenset(
    {
        "azure-native:containerservice:ManagedCluster",
        "azure-native:cognitiveservices:Account",
    }
)


def attributed_workloads(view: ResourceView, views: Sequence[ResourceView]) -> set[str]:
    """Workloads a resource serves: its own tags and labels, or, for an AKS cluster or an
    Azure OpenAI account, those its siblings under the same component name (the cluster's GPU
    pools, the account's deployments)."""
    own = workload_names(view)
    if own or view.parent is None or view.type not in ATTRIBUTED_BY_SIBLINGS:
        return own
    siblings: set[str] = set()
    for other in views:
        if other.parent == view.parent and other is not view:
            siblings |= workload_names(other)
    return siblings


GATEWAY_TYPE = "azure-native:apimanagement:ApiManagementService"
API_TYPE = "azure-native:apimanagement:Api"


def gateway_apis(view: ResourceView, views: Sequence[ResourceView]) -> set[str] | None:
    """The workloads a gateway fronts: the ``apiId`` of each API beside it (one API per
    workload, under the same component). None for anything but a gateway with APIs."""
    if view.type != GATEWAY_TYPE or view.parent is None:
        return None
    apis = {
        str(other.inputs.get("apiId"))
        for other in views
        if other.type == API_TYPE and other.parent == view.parent and other.inputs.get("apiId")
    }
    return apis or None


def _regions(names: Iterable[str]) -> str:
    return ", ".join(names) or "none"


RESIDENCY_REGIONS = "residency-regions"


@stack_rule(
    RESIDENCY_REGIONS,
    description=(
        "Every resource with a location is in a region its workloads and environment allow; "
        "the gateway, logs and metrics stay in the regions of strict-residency workloads."
    ),
    level="mandatory",
    fix=(
        "Place the resource in one of the allowed regions (the plan's), or widen the workload's "
        "spec.residency or the environment's limits.allowed_regions if that is truly allowed."
    ),
)
def check_residency_regions(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    allowed_env = set(ctx.allowed_regions)
    strict = [w for w in ctx.workloads if w.strict_residency and w.allowed_regions]
    for view in views:
        location = _location(view)
        if location is None:
            continue
        if allowed_env and location not in allowed_env:
            yield Violation(
                RESIDENCY_REGIONS,
                view.key,
                f"{view.key} is in {location}; environment {ctx.environment} allows only "
                f"{_regions(ctx.allowed_regions)}.",
                view.urn,
            )
        served = attributed_workloads(view, views)
        for name in sorted(served):
            w = ctx.workload(name)
            if w is not None and w.allowed_regions and location not in w.allowed_regions:
                yield Violation(
                    RESIDENCY_REGIONS,
                    view.key,
                    f"{view.key} serves workload {name} from {location}; its residency allows "
                    f"only {_regions(w.allowed_regions)}.",
                    view.urn,
                )
        if not served and view.type in SHARED_DATA_TYPES:
            # A gateway carries the traffic of the workloads it fronts only (one per geography,
            # sizing/deploy/gateway_placement.py); logs and metrics hold every workload's.
            fronted = gateway_apis(view, views)
            judged = strict if fronted is None else [w for w in strict if w.name in fronted]
            for w in judged:
                if location not in w.allowed_regions:
                    yield Violation(
                        RESIDENCY_REGIONS,
                        view.key,
                        f"{view.key} (gateway, logs or metrics) is in {location}, but workload "
                        f"{w.name} has strict residency in {_regions(w.allowed_regions)}.",
                        view.urn,
                    )


RESIDENCY_OPENAI_TYPES = "residency-openai-deployment-type"


@resource_rule(
    RESIDENCY_OPENAI_TYPES,
    description=(
        "Azure OpenAI deployment types agree with residency: no Global types where data must "
        "stay in a geography, no Data Zone or Global types where residency is strict."
    ),
    level="mandatory",
    fix=(
        "Use a regional type (Standard or ProvisionedManaged) for strict residency, or a "
        "DataZone type inside the geography; re-plan with `inferplan plan`."
    ),
)
def check_openai_deployment_type(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    """The deployment's type is one the Plan chose for the workload, and the residency scope
    the catalog states for that type (``AzureOpenAIPlan.residency_scope``) fits residency."""
    if view.type != "azure-native:cognitiveservices:Deployment":
        return
    sku = str(view.get("sku.name", ""))
    for name in sorted(workload_names(view)):
        w = ctx.workload(name)
        if w is None or not w.openai_deployments:
            continue
        planned = {d.deployment_type: d.residency_scope for d in w.openai_deployments}
        if sku not in planned:
            yield (
                f"deployment type {sku} of workload {name} is not one its plan chose "
                f"({', '.join(sorted(planned))}); re-plan instead of editing the type."
            )
            continue
        scope = planned[sku]
        if scope == "region":
            continue
        if w.strict_residency:
            yield (
                f"deployment type {sku} of workload {name} is not region-bound ({scope}), but "
                "its residency is strict."
            )
        elif scope == "global" and w.geography:
            yield (
                f"deployment type {sku} of workload {name} may process data anywhere in the "
                f"world, but its residency requires geography {w.geography}."
            )


GATEWAY_GEOGRAPHY = "gateway-residency-geography"


@stack_rule(
    GATEWAY_GEOGRAPHY,
    description="No workload's traffic crosses its residency geography at the gateway.",
    level="mandatory",
    fix="Serve the workload from the gateway of its geography (Plan.gateways).",
)
def check_gateway_geography(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    """No workload's traffic crosses its residency geography at the gateway: each API is hosted
    by a gateway in the workload's geography."""
    if not ctx.region_geographies:
        return
    services = {
        v.parent: v for v in views if v.type == "azure-native:apimanagement:ApiManagementService"
    }
    for api in views:
        if api.type != "azure-native:apimanagement:Api":
            continue
        w = ctx.workload(str(api.inputs.get("apiId")))
        service = services.get(api.parent)
        if w is None or service is None:
            continue
        geography = w.geography or (ctx.region_geographies.get(w.regions[0]) if w.regions else None)
        where = _location(service)
        if geography is None or where is None:
            continue
        there = ctx.region_geographies.get(where)
        if there is not None and there != geography:
            yield Violation(
                GATEWAY_GEOGRAPHY,
                api.key,
                f"workload {w.name} ({geography}) is fronted by {service.key} in {where} "
                f"({there}): its prompts cross its residency geography at the gateway.",
                api.urn,
            )
