"""Built-in Azure roles the environment assigns, and one way to assign them.

Role definition ids are the same in every tenant (Learn, "Azure built-in roles"); an assignment
is named ``uuid5(scope, principal, role)`` (``naming.role_assignment_name``) so that it keeps its
name across runs and a re-created principal gets a new one. ``principal_type`` is stated for
managed identities: Azure then skips the directory lookup that fails while a brand-new
identity replicates ("PrincipalNotFound").
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import authorization

from components.naming import role_assignment_name

NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
COGNITIVE_SERVICES_OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
# Inference on Foundry Models of other publishers (data actions Microsoft.CognitiveServices/
# accounts/MaaS/*), which the OpenAI User role lacks (Learn, "Configure keyless authentication
# with Microsoft Entra ID" for Foundry Models, ms.date 2026-03-19).
COGNITIVE_SERVICES_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"
AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
MONITORING_DATA_READER = "b0d8363b-8ddd-447d-831f-62ca05bff136"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
# Blob data plane (Learn, "Azure built-in roles for Storage", read 2026-12-08): read and list
# blobs; and read, write and delete them.
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"

# The Azure CLI's application id: get_client_config reports it as the client when Pulumi runs
# on a person's `az login`; any other client id is a service principal (CI, OIDC, a managed
# identity). The role assignment API rejects a principalType that does not match the principal,
# and the SDK would default it to User.
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

ROLE_NAMES = {
    NETWORK_CONTRIBUTOR: "Network Contributor",
    COGNITIVE_SERVICES_OPENAI_USER: "Cognitive Services OpenAI User",
    COGNITIVE_SERVICES_USER: "Cognitive Services User",
    AKS_RBAC_CLUSTER_ADMIN: "Azure Kubernetes Service RBAC Cluster Admin",
    ACR_PULL: "AcrPull",
    MONITORING_DATA_READER: "Monitoring Data Reader",
    MONITORING_METRICS_PUBLISHER: "Monitoring Metrics Publisher",
    KEY_VAULT_SECRETS_USER: "Key Vault Secrets User",
    STORAGE_BLOB_DATA_READER: "Storage Blob Data Reader",
    STORAGE_BLOB_DATA_CONTRIBUTOR: "Storage Blob Data Contributor",
}


def deployer_principal_type(client_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """``User`` for a person signed in with the Azure CLI, ``ServicePrincipal`` otherwise."""
    return pulumi.Output.from_input(client_id).apply(
        lambda cid: "User" if cid == AZURE_CLI_CLIENT_ID else "ServicePrincipal"
    )


def role_definition_id(subscription_id: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    return pulumi.Output.from_input(subscription_id).apply(
        lambda sub: f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}"
    )


def assign_role(
    name: str,
    *,
    role: str,
    scope: pulumi.Input[str],
    principal_id: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    principal_type: pulumi.Input[str],
    description: str,
    opts: pulumi.ResourceOptions,
) -> authorization.RoleAssignment:
    """``role`` (a built-in role id above) for ``principal_id`` on ``scope``."""
    return authorization.RoleAssignment(
        name,
        role_assignment_name=role_assignment_name(scope, principal_id, role),
        scope=scope,
        role_definition_id=role_definition_id(subscription_id, role),
        principal_id=principal_id,
        principal_type=principal_type,
        description=f"{ROLE_NAMES[role]}: {description}",
        opts=opts,
    )
