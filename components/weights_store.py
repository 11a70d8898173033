"""The environment's model weights store: a storage account the staging Job fills once per
model revision and vLLM replicas copy from, so no replica downloads from Hugging Face.

Settings (pulumi-azure-native 3.29 ``storage.StorageAccount``; Learn, "Prevent Shared Key
authorization for an Azure Storage account", "Remediate anonymous read access to blob data",
"Enforce a minimum required version of TLS", read 2026-12-08): StorageV2, no anonymous blob
access, no shared key (Entra ID only: both identities authenticate through workload identity),
HTTPS only with TLS 1.2 at least, public network access off where the environment is private,
reached through a private endpoint (sub-resource ``blob``) in the primary hub's endpoint subnet.
One container, ``models``, holds ``<repository>/<revision>/``.

Access: the vLLM identity of each cluster reads the container (Storage Blob Data Reader); the
staging identity, which only the staging Job federates with, writes it (Storage Blob Data
Contributor). Neither role reaches beyond the container.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import managedidentity, storage

from components import roles
from components.naming import globally_unique_output, resource_name
from components.network import private_endpoint
from sizing.deploy.model_weights import WEIGHTS_CONTAINER
from sizing.plan import EnvironmentPlan

ACCOUNT_NAME_MAX = 24  # storage account names: 3-24 lowercase letters and digits
BLOB_GROUP_ID = "blob"


class WeightsStore(pulumi.ComponentResource):
    """Storage account, ``models`` container, private endpoint and the staging identity.

    ``readers`` maps a name to the principal id of an identity that may read the weights (each
    cluster's vLLM identity); ``read_access`` and ``write_access`` are the role assignments a
    reader or the staging Job waits for.
    """

    account_name: pulumi.Output[str]
    container_id: pulumi.Output[str]
    blob_endpoint: pulumi.Output[str]
    staging_identity: managedidentity.UserAssignedIdentity
    read_access: list[pulumi.Resource]
    write_access: list[pulumi.Resource]

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        resource_group_name: pulumi.Input[str],
        resource_group: str,
        subscription_id: pulumi.Input[str],
        readers: dict[str, pulumi.Input[str]],
        private_endpoint_subnet_id: pulumi.Input[str] | None = None,
        dns_zone_ids: list[pulumi.Output[str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("inferplan:azure:WeightsStore", name, None, opts)
        env = environment
        private = not env.public_network_access
        child = pulumi.ResourceOptions(parent=self)
        account_name = globally_unique_output(
            "st",
            env.name,
            env.location,
            subscription_id=subscription_id,
            resource_group=resource_group,
            max_length=ACCOUNT_NAME_MAX,
            alphanumeric=True,
        )
        account = storage.StorageAccount(
            f"{name}-account",
            account_name=account_name,
            resource_group_name=resource_group_name,
            location=env.location,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=storage.SkuName.STANDARD_ZRS),
            allow_blob_public_access=False,
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            enable_https_traffic_only=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            public_network_access=storage.PublicNetworkAccess.DISABLED
            if private
            else storage.PublicNetworkAccess.ENABLED,
            network_rule_set=storage.NetworkRuleSetArgs(
                default_action=storage.DefaultAction.DENY, bypass="AzureServices"
            )
            if private
            else None,
            tags=env.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=env.protect),
        )
        container = storage.BlobContainer(
            f"{name}-models",
            account_name=account.name,
            container_name=WEIGHTS_CONTAINER,
            resource_group_name=resource_group_name,
            public_access=storage.PublicAccess.NONE,
            opts=child,
        )
        endpoint: list[pulumi.Resource] = []
        if private and private_endpoint_subnet_id is not None and dns_zone_ids:
            endpoint.append(
                private_endpoint(
                    name,
                    environment=env,
                    resource_group_name=resource_group_name,
                    subnet_id=private_endpoint_subnet_id,
                    target_id=account.id,
                    group_id=BLOB_GROUP_ID,
                    dns_zone_ids=dns_zone_ids,
                    endpoint_name=resource_name("pep", env.name, env.location, "weights"),
                    parent=self,
                )
            )
        self.staging_identity = managedidentity.UserAssignedIdentity(
            f"{name}-staging-identity",
            resource_name_=resource_name("id", env.name, env.location, "staging"),
            resource_group_name=resource_group_name,
            location=env.location,
            tags=env.tags,
            opts=child,
        )
        self.write_access = [
            roles.assign_role(
                f"{name}-staging-writer",
                role=roles.STORAGE_BLOB_DATA_CONTRIBUTOR,
                scope=container.id,
                principal_id=self.staging_identity.principal_id,
                subscription_id=subscription_id,
                principal_type="ServicePrincipal",
                description="the staging Job writes model weights (that container only)",
                opts=child,
            ),
            *endpoint,
        ]
        self.read_access = [
            roles.assign_role(
                f"{name}-{reader}-reader",
                role=roles.STORAGE_BLOB_DATA_READER,
                scope=container.id,
                principal_id=principal_id,
                subscription_id=subscription_id,
                principal_type="ServicePrincipal",
                description=f"{reader} copies model weights (that container only)",
                opts=child,
            )
            for reader, principal_id in sorted(readers.items())
        ] + endpoint
        self.account_name = account.name
        self.container_id = container.id
        self.blob_endpoint = account.name.apply(lambda n: f"https://{n}.blob.core.windows.net")
        self.register_outputs({"accountName": self.account_name, "containerId": self.container_id})
