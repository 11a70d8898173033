"""Create-only fields: the inputs whose change replaces or interrupts a resource.

The offline preview records what the program asks for, not what the engine will do: telling an
update from a replacement needs each provider's diff, which needs the cloud (see
docs/pull-requests.md). This table stands in for it in ``inferplan diff``, so a pull request
comment can name the field that forces a replacement before anyone runs ``pulumi up``.

Each entry names a resource type (``fnmatch`` pattern over Pulumi type tokens), an input path
(dotted; ``[]`` stands for any list index), the effect, why, and where the fact comes from
(`SOURCES`). ``replace`` means Pulumi deletes and recreates the resource (or the provider
refuses the update); ``interrupt`` means an in-place update that disrupts serving or takes long
enough to plan for. Entries marked ``team-knowledge`` are not in the reference notes the project
was built from: verify them against the pinned provider before relying on them.

Keep the table small and about the resources inferplan emits (components/); add a row when a
component starts setting a new create-only field, with its source.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Effect = Literal["replace", "interrupt"]

SOURCES: Mapping[str, str] = {
    "use-gpu": (
        "AKS docs, use-nvidia-gpu.md: taints and VM size 'can only be set for node pools during "
        "node pool creation'; 'Updating an existing node pool to add GPU VM size is not supported'"
    ),
    "managed-gpu": (
        "AKS docs, aks-managed-gpu-nodes.md: the GPU install profile (gpuProfile) is chosen at "
        "node-pool creation and immutable; no in-place migration of existing GPU pools"
    ),
    "mig": "AKS docs, gpu-multi-instance.md: gpuInstanceProfile is immutable after creation",
    "az": "AKS docs, reliability-availability-zones-configure.md: zones can't be changed after "
    "pool creation",
    "pulumi-azure-native#3655": (
        "pulumi-azure-native PR #3655 (fixes #2462): AgentPool properties AKS cannot change in "
        "place (VM size, GPU instance profile) plan a replacement; older providers fail with "
        "PropertyChangeNotAllowed (#959)"
    ),
    "inline-pools": (
        "pulumi-azure-native #1808, #1504, PR #2774, #4264: editing inline agentPoolProfiles used "
        "to recreate the cluster and still puts every pool into Scaling"
    ),
    "aks-upgrade": (
        "pulumi-azure-native #2059: a kubernetesVersion change upgrades every node (rolling "
        "drain); with an auto-upgrade channel the preview may even plan a cluster replacement"
    ),
    "subdomain": (
        "Learn, 'Custom subdomain names for Azure AI services': 'After you create a custom "
        "subdomain name, it can't be changed'"
    ),
    "apim-tiers": (
        "apim-sse.md section 3 and Learn v2-service-tiers-overview: classic (Developer, Basic, "
        "Standard, Premium, Consumption) and v2 (BasicV2, StandardV2, PremiumV2) are separate "
        "platforms; moving between them means a new service"
    ),
    "apim-slow": (
        "pulumi/pulumi #4412 and MicrosoftDocs/azure-docs PR #124999: API Management creation "
        "and SKU or VNet changes take 30-90 minutes"
    ),
    "arm-id": (
        "Azure Resource Manager: the name inputs make up the resource ID, so a new name is a "
        "new resource; resources cannot move between regions"
    ),
    "pulumi-urn": (
        "Pulumi URNs embed the parent type chain: a new parent is a new URN, which Pulumi "
        "deletes and recreates unless an alias is set"
    ),
    "k8s-identity": (
        "Kubernetes objects are identified by kind, namespace and name; pulumi-kubernetes "
        "replaces an object whose name or namespace changes"
    ),
    "k8s-selector": "Kubernetes apps/v1: spec.selector of a Deployment, DaemonSet or "
    "StatefulSet is immutable after creation",
    "k8s-provider": (
        "pulumi-azure-native #2059: a replaced Kubernetes provider (new kubeconfig) replaces "
        "every resource it manages"
    ),
    "team-knowledge": "not in the reference notes; verify against the pinned provider",
}

# Inputs of azure-native resources that are segments of the Azure resource ID (or the parent's).
AZURE_ID_INPUTS: tuple[str, ...] = (
    "resourceGroupName",
    "resourceName",
    "agentPoolName",
    "accountName",
    "deploymentName",
    "serviceName",
    "apiId",
    "operationId",
    "backendId",
    "loggerId",
    "diagnosticId",
    "policyId",
    "virtualNetworkName",
    "subnetName",
    "virtualNetworkPeeringName",
    "networkSecurityGroupName",
    "workspaceName",
    "azureMonitorWorkspaceName",
    "actionGroupName",
    "ruleName",
    "ruleGroupName",
    "dashboardName",
    "associationName",
    "roleAssignmentName",
    "scope",
)

APIM_CLASSIC_TIERS = frozenset({"Consumption", "Developer", "Basic", "Standard", "Premium"})
APIM_V2_TIERS = frozenset({"BasicV2", "StandardV2", "PremiumV2"})


def apim_family(tier: Any) -> str:
    """``classic`` or ``v2`` for an API Management ``sku.name``; anything else is its own."""
    if tier in APIM_CLASSIC_TIERS:
        return "classic"
    if tier in APIM_V2_TIERS:
        return "v2"
    return str(tier)


def _family_changes(old: Any, new: Any) -> bool:
    return apim_family(old) != apim_family(new)


def _family_stays(old: Any, new: Any) -> bool:
    return old is not None and new is not None and not _family_changes(old, new)


@dataclass(frozen=True)
class CreateOnlyField:
    """One row of the table. ``when`` narrows it to some (old, new) value pairs."""

    type_pattern: str
    path: str
    effect: Effect
    why: str
    source: str
    when: Callable[[Any, Any], bool] | None = None


AGENT_POOL = "azure-native:containerservice:AgentPool"
MANAGED_CLUSTER = "azure-native:containerservice:ManagedCluster"
APIM = "azure-native:apimanagement:ApiManagementService"
OPENAI_ACCOUNT = "azure-native:cognitiveservices:Account"
OPENAI_DEPLOYMENT = "azure-native:cognitiveservices:Deployment"

CREATE_ONLY_FIELDS: tuple[CreateOnlyField, ...] = (
    # AKS GPU node pools (separate AgentPool resources, named after their VM size).
    CreateOnlyField(
        AGENT_POOL, "vmSize", "replace", "the VM size is fixed at pool creation", "use-gpu"
    ),
    CreateOnlyField(AGENT_POOL, "nodeTaints", "replace", "taints are set at creation", "use-gpu"),
    CreateOnlyField(
        AGENT_POOL,
        "gpuProfile",
        "replace",
        "the GPU driver/install profile is chosen at creation",
        "managed-gpu",
    ),
    CreateOnlyField(
        AGENT_POOL, "gpuInstanceProfile", "replace", "the MIG profile is fixed at creation", "mig"
    ),
    CreateOnlyField(
        AGENT_POOL, "availabilityZones", "replace", "zones are fixed at creation", "az"
    ),
    CreateOnlyField(AGENT_POOL, "osType", "replace", "OS type is fixed", "team-knowledge"),
    CreateOnlyField(
        AGENT_POOL, "vnetSubnetID", "replace", "the node subnet is fixed", "team-knowledge"
    ),
    CreateOnlyField(AGENT_POOL, "maxPods", "replace", "pods per node is fixed", "team-knowledge"),
    # The AKS cluster: a replacement takes every pool and workload with it.
    CreateOnlyField(MANAGED_CLUSTER, "dnsPrefix", "replace", "set at creation", "team-knowledge"),
    CreateOnlyField(
        MANAGED_CLUSTER,
        "networkProfile.networkPlugin",
        "replace",
        "the network plugin is chosen at creation",
        "team-knowledge",
    ),
    CreateOnlyField(
        MANAGED_CLUSTER,
        "networkProfile.networkPluginMode",
        "replace",
        "overlay mode is chosen at creation",
        "team-knowledge",
    ),
    CreateOnlyField(
        MANAGED_CLUSTER,
        "networkProfile.podCidr",
        "replace",
        "address ranges are fixed at creation",
        "team-knowledge",
    ),
    CreateOnlyField(
        MANAGED_CLUSTER,
        "networkProfile.serviceCidr",
        "replace",
        "address ranges are fixed at creation",
        "team-knowledge",
    ),
    CreateOnlyField(
        MANAGED_CLUSTER,
        "networkProfile.dnsServiceIP",
        "replace",
        "address ranges are fixed at creation",
        "team-knowledge",
    ),
    CreateOnlyField(
        MANAGED_CLUSTER,
        "agentPoolProfiles",
        "interrupt",
        "editing the inline system pool puts every node pool into Scaling",
        "inline-pools",
    ),
    CreateOnlyField(
        MANAGED_CLUSTER,
        "kubernetesVersion",
        "interrupt",
        "a version change drains and upgrades every node",
        "aks-upgrade",
    ),
    # API Management: creation and tier changes are slow; classic <-> v2 is a new service.
    CreateOnlyField(
        APIM,
        "sku.name",
        "replace",
        "classic and v2 tiers are separate platforms",
        "apim-tiers",
        when=_family_changes,
    ),
    CreateOnlyField(
        APIM,
        "sku.name",
        "interrupt",
        "a tier change takes 30-90 minutes",
        "apim-slow",
        when=_family_stays,
    ),
    CreateOnlyField(
        APIM,
        "virtualNetworkType",
        "interrupt",
        "VNet changes take 30-90 minutes",
        "apim-slow",
    ),
    CreateOnlyField(
        APIM,
        "virtualNetworkConfiguration",
        "interrupt",
        "VNet changes take 30-90 minutes",
        "apim-slow",
    ),
    # Azure OpenAI: the endpoint is the subdomain; a deployment is one model.
    CreateOnlyField(
        OPENAI_ACCOUNT,
        "properties.customSubDomainName",
        "replace",
        "the endpoint's subdomain can't be changed",
        "subdomain",
    ),
    CreateOnlyField(OPENAI_ACCOUNT, "kind", "replace", "the account kind is fixed", "arm-id"),
    CreateOnlyField(
        OPENAI_DEPLOYMENT,
        "properties.model.name",
        "replace",
        "a deployment serves one model (only its version may change in place)",
        "team-knowledge",
    ),
    CreateOnlyField(
        OPENAI_DEPLOYMENT,
        "properties.model.format",
        "replace",
        "a deployment serves one model",
        "team-knowledge",
    ),
    # Every Azure resource: region and the names in its resource ID.
    CreateOnlyField(
        "azure-native:*", "location", "replace", "resources cannot move regions", "arm-id"
    ),
    *(
        CreateOnlyField("azure-native:*", name, "replace", "a new name is a new resource", "arm-id")
        for name in AZURE_ID_INPUTS
    ),
    # Kubernetes objects.
    CreateOnlyField(
        "kubernetes:*", "metadata.name", "replace", "a new name is a new object", "k8s-identity"
    ),
    CreateOnlyField(
        "kubernetes:*",
        "metadata.namespace",
        "replace",
        "a new namespace is a new object",
        "k8s-identity",
    ),
    *(
        CreateOnlyField(
            f"kubernetes:apps/v1:{kind}",
            "spec.selector",
            "replace",
            "the selector is immutable",
            "k8s-selector",
        )
        for kind in ("Deployment", "DaemonSet", "StatefulSet")
    ),
    CreateOnlyField(
        "pulumi:providers:kubernetes",
        "kubeconfig",
        "replace",
        "a new kubeconfig replaces the provider and every object it manages",
        "k8s-provider",
    ),
    # Any resource: its parent is part of its URN.
    CreateOnlyField("*", "parent", "replace", "a new parent is a new URN", "pulumi-urn"),
)


@dataclass(frozen=True)
class CreateOnlyChange:
    """A changed input path that hits a row of the table."""

    path: str  # the changed path as reported (list indices kept)
    field: CreateOnlyField
    old: Any
    new: Any


_INDEX = re.compile(r"\[\d+\]")


def normalise_path(path: str) -> str:
    """``agentPoolProfiles[0].vmSize`` → ``agentPoolProfiles[].vmSize``."""
    return _INDEX.sub("[]", path)


def _covers(pattern: str, path: str) -> bool:
    """True when one path lies inside the other (a whole section added or removed counts)."""
    a, b = normalise_path(path), pattern
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return longer == shorter or longer.startswith((shorter + ".", shorter + "["))


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path with ``[i]`` indices and ``["quoted.keys"]``; None where it
    does not exist."""
    current = data
    for part in re.findall(r'\["[^"]*"\]|[^.\[\]]+|\[\d+\]', path):
        if part.startswith('["'):
            current = current.get(part[2:-2]) if isinstance(current, dict) else None
        elif part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(current, list) or index >= len(current):
                return None
            current = current[index]
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    return current


def fields_for(resource_type: str) -> tuple[CreateOnlyField, ...]:
    return tuple(
        f for f in CREATE_ONLY_FIELDS if fnmatch.fnmatchcase(resource_type, f.type_pattern)
    )


def create_only_changes(
    resource_type: str,
    changed_paths: Iterable[str],
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> list[CreateOnlyChange]:
    """The rows of the table that ``changed_paths`` (of one resource) hit, first hit per row.

    ``old`` and ``new`` hold the resource's inputs plus ``parent`` (its parent's type::name),
    so that predicates and messages can read the values before and after.
    """
    found: list[CreateOnlyChange] = []
    paths = list(changed_paths)
    for row in fields_for(resource_type):
        for path in paths:
            if not _covers(row.path, path):
                continue
            where = row.path if "[]" not in row.path else path
            before, after = value_at(old, where), value_at(new, where)
            if row.when is not None and not row.when(before, after):
                continue
            found.append(CreateOnlyChange(path, row, before, after))
            break
    return found
