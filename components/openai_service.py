"""Azure OpenAI in one region: an account and the deployments the Plan puts there.

Which deployments a region's account holds, and in which order they are created, is the Plan's
``EnvironmentPlan.openai_accounts`` (sizing/deploy/openai_accounts.py). Each deployment is named
after its workload, so the gateway reaches it at ``/openai/deployments/<workload>`` in every
region alike.

Shape and settings follow azure-openai.md §5 (sources [subdomain], [quota], [apim-auth]):

* kind ``OpenAI`` (``AIServices``, a Foundry resource, when the account holds a Foundry Model
  sold by Azure of another publisher, such as Llama-3.3-70B-Instruct, format ``Meta``), sku
  ``S0``, a custom subdomain, which Entra ID authentication needs and which
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
  "another operation is in progress" (azure-openai.md §5, IaC gotchas);
* a PTU + spillover workload's provisioned deployment names its Standard deployment
  ``<workload>-spill`` in ``spilloverDeploymentName`` (DeploymentProperties, ARM API 2025-06-01
  in pulumi-azure-native 3.29; Learn "Manage traffic with spillover for provisioned
  deployments"): both in one account, the Standard one created first;
* at most 32 deployments per account ("Maximum standard deployments per resource: 32", Learn
  "Azure OpenAI in Microsoft Foundry Models quotas and limits", ms.date 2026-08-20): a region
  with more spreads them over further accounts (``oai-...-2``), in workload-name order, and the
  chain of each account is its own, so no chain is longer than 32.
"""

from __future__ import annotations

import itertools

import pulumi
from pulumi_azure_native import cognitiveservices

from components.naming import globally_unique_output, resource_name
from components.network import private_endpoint
from sizing.plan import EnvironmentPlan, OpenAIAccount, OpenAIDeployment

ACCOUNT_KIND = "OpenAI"
# A Foundry resource: it serves Azure OpenAI models and the other Foundry Models sold by Azure
# (Llama, DeepSeek, ...), which a kind-OpenAI account cannot deploy (Learn, "Deploy Microsoft
# Foundry Models in the Foundry portal": models are deployed "in a Foundry resource"). Chat
# completions keep the /openai/deployments/<name> route (Learn, "Endpoints for Foundry Models").
FOUNDRY_ACCOUNT_KIND = "AIServices"
ACCOUNT_SKU = "S0"
MODEL_FORMAT = "OpenAI"


def account_kind(deployments: tuple[OpenAIDeployment, ...]) -> str:
    """``OpenAI`` while every deployment is an OpenAI-format model; ``AIServices`` (a Foundry
    resource) once one is another publisher's. Existing Azure OpenAI accounts keep their kind:
    a kind change replaces the account and its custom subdomain."""
    if any(d.model_format != MODEL_FORMAT for d in deployments):
        return FOUNDRY_ACCOUNT_KIND
    return ACCOUNT_KIND


# The content filter every new deployment gets by default (azure-openai.md §5).
RAI_POLICY = "Microsoft.DefaultV2"


ACCOUNT_DEPLOYMENT_LIMIT = 32  # standard deployments per resource (see the module docstring)


def account_shards(
    specs: tuple[OpenAIDeployment, ...], limit: int = ACCOUNT_DEPLOYMENT_LIMIT
) -> list[tuple[OpenAIDeployment, ...]]:
    """The region's planned deployments in accounts of at most ``limit``, in order; a
    workload's deployments (a PTU and its spillover) stay in one account, as spillover needs."""
    shards: list[list[OpenAIDeployment]] = []
    for _, members in itertools.groupby(specs, key=lambda d: d.workload):
        group = list(members)
        if not shards or len(shards[-1]) + len(group) > limit:
            shards.append([])
        shards[-1].extend(group)
    return [tuple(shard) for shard in shards]


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
        account: OpenAIAccount,
        resource_group_name: pulumi.Input[str],
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
        planned, region = account, account.region
        child = pulumi.ResourceOptions(parent=self, protect=environment.protect)
        public = environment.public_network_access
        specs = planned.deployments
        shards = account_shards(specs) or [()]

        self.deployments = {}
        self.account_ids: dict[int, pulumi.Output[str]] = {}
        self.account_kinds: dict[int, str] = {}  # shard -> OpenAI | AIServices
        self.account_of: dict[str, int] = {}
        endpoints: dict[int, pulumi.Output[str]] = {}
        purges: list[pulumi.Output[str]] = []
        for shard, members in enumerate(shards, start=1):
            # The first account keeps the names of a one-account region.
            suffix = () if shard == 1 else (str(shard),)
            tail = "" if shard == 1 else f"-{shard}"
            account_name = globally_unique_output(
                "oai",
                environment.name if shard == 1 else f"{environment.name}-{shard}",
                region,
                subscription_id=subscription_id,
                resource_group=resource_group,
            )
            account = cognitiveservices.Account(
                f"{name}-account{tail}",
                account_name=account_name,
                resource_group_name=resource_group_name,
                location=region,
                kind=self.account_kinds.setdefault(shard, account_kind(members)),
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
            # One after another on this account only: accounts do not share the lock.
            previous: pulumi.Resource | None = None
            for spec in members:
                deployment = cognitiveservices.Deployment(
                    f"{name}-{spec.deployment_name}",
                    deployment_name=spec.deployment_name,
                    account_name=account.name,
                    resource_group_name=resource_group_name,
                    sku=cognitiveservices.SkuArgs(
                        name=spec.deployment_type, capacity=spec.capacity
                    ),
                    properties=cognitiveservices.DeploymentPropertiesArgs(
                        model=cognitiveservices.DeploymentModelArgs(
                            format=spec.model_format, name=spec.model, version=spec.model_version
                        ),
                        rai_policy_name=RAI_POLICY,
                        version_upgrade_option=spec.version_upgrade,
                        # PTU + spillover: a request the PTUs would answer 429 goes to the
                        # Standard deployment named here, in this account [spillover].
                        spillover_deployment_name=spec.spillover_deployment,
                    ),
                    tags={**environment.tags, **spec.tags, "role": spec.role},
                    opts=pulumi.ResourceOptions.merge(
                        child,
                        pulumi.ResourceOptions(depends_on=[previous] if previous else []),
                    ),
                )
                self.deployments[spec.deployment_name] = deployment
                self.account_of[spec.workload] = shard
                previous = deployment

            if private_endpoint_subnet_id is not None and private_dns_zone_id is not None:
                private_endpoint(
                    f"{name}{tail}",
                    environment=environment,
                    resource_group_name=resource_group_name,
                    subnet_id=private_endpoint_subnet_id,
                    target_id=account.id,
                    group_id="account",
                    dns_zone_ids=[pulumi.Output.from_input(private_dns_zone_id)],
                    endpoint_name=resource_name("pep", environment.name, region, "openai", *suffix),
                    parent=self,
                    location=private_endpoint_location,
                )
            self.account_ids[shard] = account.id
            # The endpoint the account reports; for kind OpenAI in the public cloud that is the
            # custom subdomain under openai.azure.com [subdomain], used where a provider (or an
            # offline mock that echoes inputs) returns none.
            endpoints[shard] = pulumi.Output.all(account.properties, account_name).apply(
                lambda args: _endpoint(args[0]) or f"https://{args[1]}.openai.azure.com/"
            )
            purges.append(
                account_name.apply(
                    lambda n: (
                        f"az cognitiveservices account purge --name {n} --location {region} "
                        f"--resource-group {resource_group}"
                    )
                )
            )
            if shard == 1:
                self.account_id = account.id
                self.account_name = account.name

        self.endpoint = endpoints[1]
        self.endpoints = endpoints
        self.purge_command = purges[0]
        self.purge_commands = purges
        self.register_outputs(
            {
                "accountId": self.account_id,
                "accountName": self.account_name,
                "endpoint": self.endpoint,
                "deployments": sorted(self.deployments),
            }
        )

    def endpoint_of(self, workload: str) -> pulumi.Output[str]:
        """The endpoint of the account that carries ``workload``'s deployment."""
        return self.endpoints[self.account_of.get(workload, 1)]

    def account_id_of(self, workload: str) -> pulumi.Output[str]:
        return self.account_ids[self.account_of.get(workload, 1)]


def _endpoint(properties: object) -> str | None:
    """The account's reported endpoint, from typed outputs or their plain-dict form."""
    if properties is None:
        return None
    value = getattr(properties, "endpoint", None)
    if value is None and isinstance(properties, dict):
        value = properties.get("endpoint")
    return value or None
