"""Federated identity credentials on one user-assigned identity, written one at a time.

Entra refuses concurrent writes of federated credentials under one user-assigned managed
identity (409 ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity; Learn
"Considerations and restrictions for federated identity credentials": create them
sequentially). Pulumi creates independent resources in parallel, so each credential of an
identity depends on the one before it; credentials of different identities stay parallel.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import managedidentity

TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


class FederationChain:
    """Adds federated credentials to ``identity``, each after the previous one."""

    def __init__(
        self,
        identity: managedidentity.UserAssignedIdentity,
        *,
        resource_group_name: pulumi.Input[str],
        issuer: pulumi.Input[str],
    ) -> None:
        self.identity = identity
        self.resource_group_name = resource_group_name
        self.issuer = issuer
        self.last: pulumi.Resource | None = None

    def add(
        self,
        name: str,
        *,
        credential_name: str,
        subject: str,
        parent: pulumi.Resource,
        issuer: pulumi.Input[str] | None = None,
    ) -> managedidentity.FederatedIdentityCredential:
        """``issuer``: another cluster's OIDC issuer than the chain's (one identity federated
        with service accounts in several clusters)."""
        credential = managedidentity.FederatedIdentityCredential(
            name,
            federated_identity_credential_resource_name=credential_name,
            resource_name_=self.identity.name,
            resource_group_name=self.resource_group_name,
            issuer=issuer if issuer is not None else self.issuer,
            subject=subject,
            audiences=[TOKEN_EXCHANGE_AUDIENCE],
            opts=pulumi.ResourceOptions(
                parent=parent, depends_on=[self.last] if self.last is not None else []
            ),
        )
        self.last = credential
        return credential
