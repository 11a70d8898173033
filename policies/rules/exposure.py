"""Exposure: what public networks can reach (Azure OpenAI, load balancers, the model server's
network policy, the cluster's API server, logs, vaults and registries)."""

from __future__ import annotations

from collections.abc import Iterator

from policies.rules.registry import resource_rule
from policies.rules.resources import (
    CLUSTER_TYPE,
    kind_of,
    workload_names,
)
from policies.view import PolicyContext, ResourceView

INTERNAL_LB_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal"

# Log columns and settings whose value means "reachable from public networks".
PUBLIC_NETWORK_ACCESS_KEYS = ("publicNetworkAccessForIngestion", "publicNetworkAccessForQuery")

PRIVATE_RANGES_REQUIRED = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")


@resource_rule(
    "openai-public-network-access",
    description="Azure OpenAI public network access is disabled where the environment requires it.",
    level="mandatory",
    fix=(
        'Set properties.publicNetworkAccess="Disabled" (and a default-deny network ACL), or '
        "set spec.network.public_network_access: true if the environment really allows it."
    ),
)
def check_openai_network_access(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if (
        view.type != "azure-native:cognitiveservices:Account"
        or ctx.public_network_access is not False
    ):
        return
    access = view.get("properties.publicNetworkAccess")
    if access != "Disabled":
        yield (
            f"{view.key} has publicNetworkAccess {access or 'unset (Enabled)'}; environment "
            f"{ctx.environment} allows no public network access."
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
        for key in PUBLIC_NETWORK_ACCESS_KEYS:
            if view.inputs.get(key) != "Disabled":
                found.append(f"{key} {view.inputs.get(key) or 'unset (Enabled)'}")
        local = (
            view.get("features.disableLocalAuth")
            if "operationalinsights" in t
            else view.get("disableLocalAuth")
        )
        if local is not True:
            found.append("local (key) authentication on")
    elif t == "azure-native:keyvault:Vault" and (
        view.get("properties.publicNetworkAccess") != "Disabled"
    ):
        found.append("Key Vault public network access on")
    elif t == "azure-native:containerregistry:Registry" and (
        view.inputs.get("publicNetworkAccess") != "Disabled"
    ):
        found.append("container registry public network access on")
    return found


@resource_rule(
    "network-private-layers",
    description=(
        "Where the environment allows no public network access, no layer is still public: the "
        "AKS API server, Log Analytics, Application Insights, Container Insights auth, Key "
        "Vault, the registry."
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
