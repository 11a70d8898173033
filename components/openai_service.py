"""Azure OpenAI in one region: an account and the deployments the Plan puts there.

A region's account carries the primary deployment of every Azure OpenAI workload whose first
region it is, plus the failover deployment of every workload that names the region in
``azure_openai.failover``. Each deployment is named after its workload, so the gateway reaches
it at ``/openai/deployments/<workload>`` in every region alike.

Shape and settings follow azure-openai.md §5 (sources [subdomain], [quota], [apim-auth]):

* kind ``OpenAI``, sku ``S0``, a custom subdomain, which Entra ID authentication needs and which
  can never change afterwards [subdomain]; hence a stable, globally unique name, hashed from the
  deploying subscription and resource group so another subscription never collides;
* a soft-deleted account of the same name (kept 48 hours after a delete) is undeleted when the
  environment says ``soft_deleted: restore`` (``properties.restore``); with ``purge`` the stack's
  ``softDeletePurgeCommands`` output says what to purge before the next up;
* ``disableLocalAuth``: no API keys; the gateway's managed identity is the only caller
  (Cognitive Services OpenAI User, granted by ``LlmGateway``) [apim-auth];
* public network access as the environment says; when off, the network ACL denies by default;
* the model version as planned, with the Plan's upgrade policy: token-billed deployments
  upgrade when their version is retired (``OnceCurrentVersionExpired``) instead of failing;
  provisioned ones stay pinned (``NoAutoUpgrade``), the plan warning with the date; a move to
  a new version before then is a Plan change, reviewed like any other;
* deployments created one after another: concurrent deployment writes on one account fail with
  "another operation is in progress" (azure-openai.md §5, IaC gotchas).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import cognitiveservices

from components.naming import globally_unique_output, resource_name
from components.network import private_endpoint
from sizing.plan import EnvironmentPlan, WorkloadPlan

ACCOUNT_KIND = "OpenAI"
ACCOUNT_SKU = "S0"
MODEL_FORMAT = "OpenAI"
# The content filter every new deployment gets by default (azure-openai.md §5).
RAI_POLICY = "Microsoft.DefaultV2"
# Failover deployments are token-billed: they upgrade at retirement (sizing.plan.VersionUpgrade).
FAILOVER_VERSION_UPGRADE = "OnceCurrentVersionExpired"


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment on a region's account, read off a workload's Plan."""

    workload: str
    role: str  # "primary" or "failover"
    model: str
    model_version: str
    sku_name: str  # deployment type: Standard, GlobalStandard, DataZoneProvisionedManaged, ...
    capacity: int  # 1K-TPM units for token types, PTUs for *ProvisionedManaged
    tags: dict[str, str]
    version_upgrade: str = FAILOVER_VERSION_UPGRADE  # the Plan's upgrade policy


def region_deployments(
    workloads: tuple[WorkloadPlan, ...], region: str
) -> tuple[DeploymentSpec, ...]:
    """The deployments ``region``'s account carries, ordered by workload name.

    The order is the creation order (each deployment waits for the one before), so it must not
    depend on the order workloads arrive in.
    """
    specs: dict[str, DeploymentSpec] = {}
    for w in workloads:
        plan = w.azure_openai
        if plan is None:
            continue
        entries = []
        if w.regions and w.regions[0] == region:
            entries.append(("primary", plan.deployment_type, plan.capacity))
        entries += [
            ("failover", f.deployment_type, f.capacity) for f in plan.failover if f.region == region
        ]
        if len(entries) > 1 or (entries and w.name in specs):
            raise ValueError(
                f"workload {w.name}: more than one Azure OpenAI deployment planned in {region}; "
                "a deployment is named after its workload, so one account holds one per workload"
            )
        for role, sku_name, capacity in entries:
            specs[w.name] = DeploymentSpec(
                workload=w.name,
                role=role,
                model=plan.model,
                model_version=plan.model_version,
                sku_name=sku_name,
                capacity=capacity,
                tags=dict(w.tags),
                version_upgrade=(
                    plan.version_upgrade if role == "primary" else FAILOVER_VERSION_UPGRADE
                ),
            )
    return tuple(specs[name] for name in sorted(specs))


class OpenAIService(pulumi.ComponentResource):
    """An Azure OpenAI account in ``region`` with the Plan's deployments, created in sequence."""

    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    deployments: dict[str, cognitiveservices.Deployment]

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        region: str,
        resource_group_name: pulumi.Input[str],
        workloads: tuple[WorkloadPlan, ...],
        subscription_id: pulumi.Input[str],
        resource_group: str,
        private_endpoint_subnet_id: pulumi.Input[str] | None = None,
        private_dns_zone_id: pulumi.Input[str] | None = None,
        private_endpoint_location: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``private_endpoint_subnet_id`` and ``private_dns_zone_id`` (both or neither) give an
        account without public access a private endpoint the gateway resolves and reaches.
        ``resource_group`` is the environment's resource group name (for the name hash)."""
        super().__init__("inferplan:azure:OpenAIService", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, protect=environment.protect)
        account_name = globally_unique_output(
            "oai",
            environment.name,
            region,
            subscription_id=subscription_id,
            resource_group=resource_group,
        )
        public = environment.public_network_access

        account = cognitiveservices.Account(
            f"{name}-account",
            account_name=account_name,
            resource_group_name=resource_group_name,
            location=region,
            kind=ACCOUNT_KIND,
            sku=cognitiveservices.SkuArgs(name=ACCOUNT_SKU),
            identity=cognitiveservices.IdentityArgs(type="SystemAssigned"),
            properties=cognitiveservices.AccountPropertiesArgs(
                custom_sub_domain_name=account_name,
                disable_local_auth=True,
                public_network_access="Enabled" if public else "Disabled",
                network_acls=None
                if public
                else cognitiveservices.NetworkRuleSetArgs(default_action="Deny"),
                restore=True if environment.soft_deleted == "restore" else None,
            ),
            tags=environment.tags,
            opts=child,
        )

        self.deployments = {}
        previous: pulumi.Resource | None = None
        for spec in region_deployments(workloads, region):
            deployment = cognitiveservices.Deployment(
                f"{name}-{spec.workload}",
                deployment_name=spec.workload,
                account_name=account.name,
                resource_group_name=resource_group_name,
                sku=cognitiveservices.SkuArgs(name=spec.sku_name, capacity=spec.capacity),
                properties=cognitiveservices.DeploymentPropertiesArgs(
                    model=cognitiveservices.DeploymentModelArgs(
                        format=MODEL_FORMAT, name=spec.model, version=spec.model_version
                    ),
                    rai_policy_name=RAI_POLICY,
                    version_upgrade_option=spec.version_upgrade,
                ),
                tags={**environment.tags, **spec.tags, "role": spec.role},
                opts=pulumi.ResourceOptions.merge(
                    child,
                    pulumi.ResourceOptions(depends_on=[previous] if previous else []),
                ),
            )
            self.deployments[spec.workload] = deployment
            previous = deployment

        if private_endpoint_subnet_id is not None and private_dns_zone_id is not None:
            private_endpoint(
                name,
                environment=environment,
                resource_group_name=resource_group_name,
                subnet_id=private_endpoint_subnet_id,
                target_id=account.id,
                group_id="account",
                dns_zone_ids=[pulumi.Output.from_input(private_dns_zone_id)],
                endpoint_name=resource_name("pep", environment.name, region, "openai"),
                parent=self,
                location=private_endpoint_location,
            )

        self.account_id = account.id
        self.account_name = account.name
        # The endpoint the account reports; for kind OpenAI in the public cloud that is the
        # custom subdomain under openai.azure.com [subdomain], used where a provider (or an
        # offline mock that echoes inputs) returns none.
        self.endpoint = pulumi.Output.all(account.properties, account_name).apply(
            lambda args: _endpoint(args[0]) or f"https://{args[1]}.openai.azure.com/"
        )
        self.purge_command = account_name.apply(
            lambda n: (
                f"az cognitiveservices account purge --name {n} --location {region} "
                f"--resource-group {resource_group}"
            )
        )
        self.register_outputs(
            {
                "accountId": self.account_id,
                "accountName": self.account_name,
                "endpoint": self.endpoint,
                "deployments": sorted(self.deployments),
            }
        )


def _endpoint(properties: object) -> str | None:
    """The account's reported endpoint, from typed outputs or their plain-dict form."""
    if properties is None:
        return None
    value = getattr(properties, "endpoint", None)
    if value is None and isinstance(properties, dict):
        value = properties.get("endpoint")
    return value or None
