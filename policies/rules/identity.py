"""Identity: Entra ID sign-in only (no local accounts or API keys on Azure), Azure RBAC and
workload identity on the cluster, a cluster admin for whoever runs Pulumi, KEDA's identity,
an API key in front of each model server."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from policies.rules.registry import Violation, resource_rule, stack_rule
from policies.rules.resources import (
    CLUSTER_TYPE,
    containers_of,
    is_vllm,
    kind_of,
    pod_spec,
)
from policies.view import PolicyContext, ResourceView


@resource_rule(
    "openai-local-auth-disabled",
    description="Azure OpenAI accounts accept Entra ID only: local (API key) auth is disabled.",
    level="mandatory",
    fix=(
        "Set properties.disableLocalAuth=True on the account; callers use a managed identity "
        "with the Cognitive Services OpenAI User role."
    ),
)
def check_openai_local_auth(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type != "azure-native:cognitiveservices:Account":
        return
    if view.get("properties.disableLocalAuth") is not True:
        yield f"{view.key} accepts API keys (properties.disableLocalAuth is not true)."


@resource_rule(
    "aks-local-accounts-disabled",
    description="AKS clusters have local accounts disabled.",
    level="mandatory",
    fix="Set disableLocalAccounts=True on the ManagedCluster (Entra ID logins only).",
)
def check_aks_local_accounts(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if (
        view.type == "azure-native:containerservice:ManagedCluster"
        and view.get("disableLocalAccounts") is not True
    ):
        yield f"{view.key} keeps local accounts (disableLocalAccounts is not true)."


@resource_rule(
    "aks-azure-rbac",
    description="AKS clusters authorize with Entra ID and Azure RBAC, and keep Kubernetes RBAC on.",
    level="mandatory",
    fix="Set aadProfile={managed: True, enableAzureRBAC: True} and enableRBAC=True.",
)
def check_aks_azure_rbac(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type != "azure-native:containerservice:ManagedCluster":
        return
    if (
        view.get("aadProfile.managed") is not True
        or view.get("aadProfile.enableAzureRBAC") is not True
    ):
        yield f"{view.key} does not authorize with Entra ID and Azure RBAC (aadProfile)."
    if view.get("enableRBAC") is False:
        yield f"{view.key} turns Kubernetes RBAC off (enableRBAC false)."


@resource_rule(
    "aks-workload-identity",
    description="AKS clusters have the OIDC issuer and workload identity on.",
    level="mandatory",
    fix="Set oidcIssuerProfile.enabled=True and securityProfile.workloadIdentity.enabled=True.",
)
def check_aks_workload_identity(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type != "azure-native:containerservice:ManagedCluster":
        return
    if view.get("securityProfile.workloadIdentity.enabled") is not True:
        yield f"{view.key} has workload identity off (securityProfile.workloadIdentity)."
    if view.get("oidcIssuerProfile.enabled") is not True:
        yield f"{view.key} has no OIDC issuer, which workload identity needs."


ROLE_ASSIGNMENT_TYPE = "azure-native:authorization:RoleAssignment"

AKS_RBAC_CLUSTER_ADMIN_ROLE = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"  # Azure built-in role id


def _siblings(view: ResourceView, views: Sequence[ResourceView], type_: str) -> list[ResourceView]:
    return [v for v in views if v.parent == view.parent and v.type == type_ and v is not view]


CLUSTER_ADMIN = "aks-cluster-admin"


@stack_rule(
    CLUSTER_ADMIN,
    description=(
        "Every AKS cluster grants Azure Kubernetes Service RBAC Cluster Admin to whoever runs "
        "Pulumi (or the admin group): local accounts are off."
    ),
    level="mandatory",
    fix=(
        "Keep the cluster-admin role assignment GpuCluster creates; set "
        "spec.kubernetes.admin_group_object_id to grant a group instead."
    ),
)
def check_cluster_admin(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    """Local accounts are off: without a data-plane role for whoever runs Pulumi, every
    Kubernetes resource after the cluster fails with 403."""
    for view in views:
        if view.type != CLUSTER_TYPE:
            continue
        granted = any(
            str(ra.inputs.get("roleDefinitionId", "")).lower().endswith(AKS_RBAC_CLUSTER_ADMIN_ROLE)
            for ra in _siblings(view, views, ROLE_ASSIGNMENT_TYPE)
        )
        if not granted:
            yield Violation(
                CLUSTER_ADMIN,
                view.key,
                f"{view.key} grants nobody Azure Kubernetes Service RBAC Cluster Admin, and its "
                "local accounts are off: Pulumi's Kubernetes resources would fail with 403.",
                view.urn,
            )


@resource_rule(
    "keda-workload-identity",
    description="KEDA trigger authentications name the workload identity they use (identityId).",
    level="mandatory",
    fix=(
        "Set spec.podIdentity.identityId to the client id of the cluster's KEDA identity "
        "(federated with kube-system:keda-operator, Monitoring Data Reader on the workspace)."
    ),
)
def check_keda_identity(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if kind_of(view) != "TriggerAuthentication" or not view.type.startswith("kubernetes:"):
        return
    identity = (view.inputs.get("spec") or {}).get("podIdentity") or {}
    if identity.get("provider") == "azure-workload" and not identity.get("identityId"):
        yield (
            f"{view.key} uses workload identity without identityId: KEDA's operator has no "
            "federated identity of its own on AKS, so the trigger fails and KEDA stays on its "
            "fallback replicas."
        )


@resource_rule(
    "vllm-api-key",
    description="vLLM requires an API key, read from a Secret (VLLM_API_KEY).",
    level="mandatory",
    fix=(
        "Keep the SecretProviderClass and the VLLM_API_KEY variable VllmService renders; the "
        "gateway sends the key from its Key Vault-backed named value."
    ),
)
def check_vllm_api_key(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = pod_spec(view)
    for c in containers_of(pod or {}):
        if not is_vllm(c):
            continue
        args = [str(a) for a in c.get("args") or ()]
        from_env = any(
            e.get("name") == "VLLM_API_KEY" and "secretKeyRef" in (e.get("valueFrom") or {})
            for e in c.get("env") or ()
        )
        if not from_env and not any(a.startswith("--api-key") for a in args):
            yield (
                f"{view.key}: container {c.get('name')} serves without an API key "
                "(VLLM_API_KEY from a Secret): anything that reaches it may call it."
            )
