"""Exposure: what public networks can reach (every resource type with a public network access
setting, load balancers, the model server's network policy, the cluster's API server, local
authentication on logs)."""

from __future__ import annotations

from collections.abc import Iterator

from policies.rules.public_network_access import (
    DISABLED,
    public_access_keys,
    public_access_table,
)
from policies.rules.registry import resource_rule
from policies.rules.resources import (
    CLUSTER_TYPE,
    kind_of,
    workload_names,
)
from policies.view import PolicyContext, ResourceView

INTERNAL_LB_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal"

PRIVATE_RANGES_REQUIRED = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")


PUBLIC_NETWORK_ACCESS = "public-network-access"


@resource_rule(
    PUBLIC_NETWORK_ACCESS,
    description=(
        "Where the environment allows no public network access, every resource whose type can be "
        "reached from public networks has each of its public network access settings Disabled "
        "(the sourced table policies/rules/data/public_network_access.yaml: Azure OpenAI, Key "
        "Vault, the registry, Log Analytics, Application Insights, the Azure Monitor workspace, "
        "data collection endpoints, storage); a type with such a setting that the table does not "
        "list is flagged too. Advisory by default; Pulumi.prod.yaml makes it mandatory."
    ),
    level="advisory",
    fix=(
        "Set the named input to Disabled and reach the service through a private endpoint "
        "(components/network.py private_endpoint), or set network.public_network_access: true if "
        "the environment really allows it; a type missing from the table gets its paths added "
        "there, with their source."
    ),
)
def check_public_network_access(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if ctx.public_network_access is not False or not view.type.startswith("azure-native:"):
        return
    entry = public_access_table().get(view.type)
    if entry is None:
        found = [f"{path} {value}" for path, value in public_access_keys(view.inputs)]
        if found:
            yield (
                f"{view.key} sets {', '.join(found)}, but {view.type} is not in the public "
                "network access table (policies/rules/data/public_network_access.yaml), so "
                "nothing checks it: add the type with its paths."
            )
        return
    if entry.public_by_design:
        return
    for path in entry.paths:
        value = view.get(path)
        if value != DISABLED:
            yield (
                f"{view.key} is reachable from public networks: {path} "
                f"{value or 'unset (Enabled)'}; environment {ctx.environment} allows no public "
                "network access."
            )


@resource_rule(
    "vllm-service-internal",
    description=(
        "No Kubernetes Service is reachable from the internet: load balancers are internal."
    ),
    level="mandatory",
    fix=(
        f'Annotate the Service with {INTERNAL_LB_ANNOTATION}: "true" (the gateway reaches it '
        "over the peered virtual network) and publish no externalIPs."
    ),
)
def check_service_internal(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if kind_of(view) != "Service" or not view.type.startswith("kubernetes:"):
        return
    spec = view.inputs.get("spec") or {}
    annotations = (view.inputs.get("metadata") or {}).get("annotations") or {}
    kind = spec.get("type", "ClusterIP")
    if kind == "LoadBalancer" and str(annotations.get(INTERNAL_LB_ANNOTATION)).lower() != "true":
        yield f'{view.key} is a public load balancer (no {INTERNAL_LB_ANNOTATION}: "true").'
    if spec.get("externalIPs"):
        yield f"{view.key} publishes external IPs {', '.join(spec['externalIPs'])}."


@resource_rule(
    "vllm-network-policy",
    description=(
        "vLLM admits ingress only from named sources (the gateway subnets, the metrics "
        "scraper) and reaches no private address."
    ),
    level="mandatory",
    fix=(
        "Give every ingress rule a from (ipBlock of the gateway subnet, the ama-metrics pods) "
        "and keep the private ranges in the egress ipBlock's except."
    ),
)
def check_vllm_network_policy(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if kind_of(view) != "NetworkPolicy" or not workload_names(view):
        return
    spec = view.inputs.get("spec") or {}
    for rule in spec.get("ingress") or ():
        if not rule.get("from"):
            yield f"{view.key} admits ingress from anywhere (an ingress rule without from)."
    if "Ingress" in (spec.get("policyTypes") or ()) and not spec.get("ingress"):
        return  # no ingress rule at all: denied
    for rule in spec.get("egress") or ():
        for peer in rule.get("to") or ():
            block = peer.get("ipBlock") or {}
            if block.get("cidr") == "0.0.0.0/0":
                kept = set(block.get("except") or ())
                open_ranges = [r for r in PRIVATE_RANGES_REQUIRED if r not in kept]
                if open_ranges:
                    yield (
                        f"{view.key} lets the model server reach private addresses "
                        f"({', '.join(open_ranges)}) through 0.0.0.0/0."
                    )
        if not rule.get("to") and any(p.get("port") not in (53,) for p in rule.get("ports") or ()):
            yield f"{view.key} allows egress to anywhere (an egress rule without to)."


VLLM_EGRESS = "vllm-no-internet-egress"


@resource_rule(
    VLLM_EGRESS,
    description=(
        "Where a workload's weights are staged (a pinned revision) in a private environment, "
        "its vLLM pods reach no public address beyond Entra ID's sign-in ranges: no egress "
        "ipBlock 0.0.0.0/0. Advisory by default, mandatory in production stacks."
    ),
    level="advisory",
    fix=(
        "Keep the NetworkPolicy VllmService renders for staged weights (HTTPS to the private "
        "endpoints' subnet and Entra ID only); pin the workload's revision so its weights are "
        "staged (model-revision-pinned)."
    ),
)
def check_vllm_egress(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if kind_of(view) != "NetworkPolicy" or ctx.public_network_access is not False:
        return
    staged = [
        n for n in sorted(workload_names(view)) if (w := ctx.workload(n)) and w.weights_staged
    ]
    if not staged:
        return
    spec = view.inputs.get("spec") or {}
    for rule in spec.get("egress") or ():
        for peer in rule.get("to") or ():
            cidr = str((peer.get("ipBlock") or {}).get("cidr", ""))
            if cidr.endswith("/0"):
                yield (
                    f"{view.key} lets {staged[0]}'s model server reach the internet ({cidr}) "
                    "although its weights are staged in the environment's store."
                )


def _public_layers(view: ResourceView) -> list[str]:
    """Which of a resource's settings leave it reachable from public networks."""
    t, found = view.type, []
    if t == CLUSTER_TYPE:
        profile = view.inputs.get("apiServerAccessProfile") or {}
        if not profile.get("enablePrivateCluster") and not profile.get("authorizedIPRanges"):
            found.append("AKS API server open to any address (no authorized IP ranges)")
        addon = ((view.inputs.get("addonProfiles") or {}).get("omsagent") or {}).get("config")
        if addon and str(addon.get("useAADAuth", "false")).lower() != "true":
            found.append("Container Insights ingests with a workspace key (useAADAuth false)")
    elif t in (
        "azure-native:operationalinsights:Workspace",
        "azure-native:applicationinsights:Component",
    ):
        local = (
            view.get("features.disableLocalAuth")
            if "operationalinsights" in t
            else view.get("disableLocalAuth")
        )
        if local is not True:
            found.append("local (key) authentication on")
    return found


@resource_rule(
    "network-private-layers",
    description=(
        "Where the environment allows no public network access, no layer is still open: the AKS "
        "API server without authorized ranges, local (key) authentication on Log Analytics and "
        "Application Insights, Container Insights without Entra ID auth (each service's public "
        "network access setting is public-network-access's)."
    ),
    level="mandatory",
    fix=(
        "Set the runners' public egress as inferplan:apiServerAuthorizedIpRanges in the stack's "
        "Pulumi config (or network.api_server_authorized_ip_ranges); keep the components' "
        "private settings (Azure Monitor Private Link Scope, local auth off, private endpoints)."
    ),
)
def check_private_layers(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if ctx.public_network_access is not False:
        return
    for layer in _public_layers(view):
        yield (
            f"{view.key} is still public: {layer}; environment {ctx.environment} allows no "
            "public network access."
        )
