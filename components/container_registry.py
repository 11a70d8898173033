"""The environment's container registry: the only place nodes pull images from.

Nodes behind one egress address pulling multi-GB images anonymously from Docker Hub meet its
unauthenticated pull limit on the first scale-out; the registry pulls each image once and the
nodes pull from it with their kubelet identity (AcrPull, granted by ``GpuCluster``). A cache
rule per image the Plan caches, named after the image; upstreams that accept only
authenticated cache pulls (Docker Hub) get a credential set whose user name and token live in
the environment's Key Vault, read with the credential set's own identity [acr-cache].

An image no cache rule can mirror (nvcr.io is not an artifact cache upstream; Docker Hub
without the stack's credentials) is imported once per version with ``az acr import`` [acr-import]:
an Azure Resource Manager action (``registries/importImage``) that pulumi-azure-native 3.29 has
no resource for (its containerregistry module has CacheRule, CredentialSet and the
ImportPipeline of storage-account transfers, none of which copies from a public registry).
``import_commands`` are those commands, exported by the program as ``imageImportCommands``: run
them once after the first ``pulumi up`` creates the registry (docs/infrastructure.md). Import
runs inside Azure, so it needs no access to the registry's public endpoint [acr-import].

Settings: no admin user, no anonymous pull; Premium with public network access off and a
private endpoint where the environment is private (private endpoints need Premium), Standard
elsewhere. [acr-cache] is Learn "Optimize image pulls with artifact cache in Azure Container
Registry" (artifact-cache-overview.md, 05/2025); [acr-import] is Learn "Import container images
to a container registry" (container-registry-import-images.md, 10/2023).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import containerregistry

from components import roles
from components.naming import globally_unique_output, resource_name
from components.network import private_endpoint
from sizing.plan import ContainerImage, EnvironmentPlan

REGISTRY_NAME_MAX = 50  # 5-50 letters and digits
CREDENTIAL_NAME = "Credential1"  # the only name a credential set's entry may have


@dataclass(frozen=True)
class UpstreamCredential:
    """Key Vault secret URIs of one upstream's user name and password (token)."""

    username_secret_uri: pulumi.Input[str]
    password_secret_uri: pulumi.Input[str]


class ContainerRegistry(pulumi.ComponentResource):
    registry_id: pulumi.Output[str]
    registry_name: pulumi.Output[str]
    login_server: pulumi.Output[str]
    import_commands: pulumi.Output[list[str]]  # one per image no cache rule mirrors

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        resource_group_name: pulumi.Input[str],
        resource_group: str,
        subscription_id: pulumi.Input[str],
        images: tuple[ContainerImage, ...],
        credentials: dict[str, UpstreamCredential],
        key_vault_id: pulumi.Input[str],
        private_endpoint_subnet_id: pulumi.Input[str] | None = None,
        dns_zone_ids: list[pulumi.Output[str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("inferplan:azure:ContainerRegistry", name, None, opts)
        env = environment
        private = not env.public_network_access
        child = pulumi.ResourceOptions(parent=self)
        registry = containerregistry.Registry(
            f"{name}-registry",
            registry_name=globally_unique_output(
                "acr",
                env.name,
                env.location,
                subscription_id=subscription_id,
                resource_group=resource_group,
                max_length=REGISTRY_NAME_MAX,
                alphanumeric=True,
            ),
            resource_group_name=resource_group_name,
            location=env.location,
            sku=containerregistry.SkuArgs(name="Premium" if private else "Standard"),
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            public_network_access="Disabled" if private else "Enabled",
            network_rule_bypass_options="AzureServices",
            tags=env.tags,
            opts=child,
        )
        if private and private_endpoint_subnet_id is not None and dns_zone_ids:
            private_endpoint(
                name,
                environment=env,
                resource_group_name=resource_group_name,
                subnet_id=private_endpoint_subnet_id,
                target_id=registry.id,
                group_id="registry",
                dns_zone_ids=dns_zone_ids,
                endpoint_name=resource_name("pep", env.name, env.location, "registry"),
                parent=self,
            )

        credential_sets: dict[str, containerregistry.CredentialSet] = {}
        for image in images:
            if not image.cached or image.credential is None:
                continue
            if image.credential in credential_sets:
                continue
            upstream = credentials.get(image.credential)
            if upstream is None:
                raise ValueError(
                    f"image {image.id}: its upstream {image.upstream_registry} needs credential "
                    f"set {image.credential!r}, and none was given"
                )
            credential_set = containerregistry.CredentialSet(
                f"{name}-{image.credential}",
                credential_set_name=image.credential,
                registry_name=registry.name,
                resource_group_name=resource_group_name,
                login_server=image.upstream_registry,
                identity=containerregistry.IdentityPropertiesArgs(type="SystemAssigned"),
                auth_credentials=[
                    containerregistry.AuthCredentialArgs(
                        name=CREDENTIAL_NAME,
                        username_secret_identifier=upstream.username_secret_uri,
                        password_secret_identifier=upstream.password_secret_uri,
                    )
                ],
                opts=child,
            )
            roles.assign_role(
                f"{name}-{image.credential}-secrets",
                role=roles.KEY_VAULT_SECRETS_USER,
                scope=key_vault_id,
                principal_id=credential_set.identity.apply(lambda i: i.principal_id if i else None),
                subscription_id=subscription_id,
                principal_type="ServicePrincipal",
                description=f"the registry reads its {image.upstream_registry} credential",
                opts=child,
            )
            credential_sets[image.credential] = credential_set

        for image in sorted(images, key=lambda i: i.id):
            if not image.cached:
                continue
            credential_set = credential_sets.get(image.credential or "")
            containerregistry.CacheRule(
                f"{name}-cache-{image.id}",
                cache_rule_name=image.id,
                registry_name=registry.name,
                resource_group_name=resource_group_name,
                source_repository=f"{image.upstream_registry}/{image.repository}",
                target_repository=image.repository,
                credential_set_resource_id=credential_set.id if credential_set else None,
                opts=child,
            )
        imported = sorted((i for i in images if not i.cached), key=lambda i: i.id)
        self.registry_id = registry.id
        self.registry_name = registry.name
        self.login_server = registry.login_server
        self.import_commands = registry.name.apply(
            lambda acr: [image.import_command(acr) for image in imported]
        )
        self.register_outputs(
            {
                "registryId": self.registry_id,
                "loginServer": self.login_server,
                "importCommands": self.import_commands,
            }
        )
