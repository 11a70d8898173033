"""The LLM gateway: an API Management service in front of the workloads of one geography.

Each workload gets an OpenAI-compatible API at ``/<workload>/v1`` (clients use it as an OpenAI
``base_url``), one backend per planned region, and, when the Plan puts the workload in more
than one region, a backend pool that fails over in the Plan's region order. The API policy is
rendered from a template by ``components.apim_policies``; this module only wires resources. An
environment has one gateway per geography its workloads are served in (``Plan.gateways``), so
no request crosses its residency geography at the gateway.

Rules this follows (keys of apim-sse.md and azure-openai.md in the team's reference notes):

* never the Consumption tier: it holds no long-running (SSE) connections [sse] and runs neither
  the token-limit policies [aoai-tl] nor backend circuit breakers [backends];
* no request or response body logging on any diagnostic (body bytes 0): logging bodies buffers
  server-sent events [sse] §1.5; the diagnostic does enable metrics, which the token-metric
  policy needs [aoai-em];
* circuit breakers only on pool members, with the Plan's noise-tolerant threshold; a single
  backend has nothing to fail over to and gets the Plan's retry instead [backends][aigw];
* the gateway's managed identity is "Cognitive Services OpenAI User" on each Azure OpenAI
  account, whose keys are off [apim-auth]; "Key Vault Secrets User" on vLLM's API key, which a
  Key Vault-backed named value reads; "Monitoring Metrics Publisher" on Application Insights,
  whose local auth is off, so the logger authenticates with the identity;
* subscription keys in the ``api-key`` header only (the policy refuses them in the query
  string); developer and legacy portals off unless the environment asks for them;
* a subnet, when given, joins the gateway to the virtual network the way the tier supports:
  injection for Developer and Premium, outbound integration for Standard v2 and Premium v2, both
  with a public gateway (``External``) [features][vnet-v2]. The mode comes from
  ``components.network.gateway_network_mode``, the same decision that delegated the subnet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import apimanagement, monitor

from components import roles
from components.apim_policies import (
    BACKEND_KINDS,
    VLLM_API_KEY_NAMED_VALUE,
    api_operations,
    render_api_policy,
)
from components.naming import globally_unique_output, region_code
from components.network import gateway_network_mode
from sizing.plan import CircuitBreaker, EnvironmentPlan, GatewayPlacement, WorkloadPlan

CONSUMPTION_TIER = "Consumption"

# Subscription key header: ``api-key``, what Azure OpenAI clients send [aigw]. The policy
# removes it before the request leaves the gateway and refuses it in the query string.
SUBSCRIPTION_KEY_NAME = "api-key"

# Application Insights diagnostics: API Management requires this identifier for them.
APP_INSIGHTS_DIAGNOSTIC_ID = "applicationinsights"
LOGGER_ID = "appinsights"
SAMPLING_PERCENTAGE = 100  # request telemetry; token metrics are emitted unsampled
# A system-assigned identity in an Application Insights logger's credentials (Learn, "Integrate
# Azure API Management with Azure Application Insights", managed identity connection).
SYSTEM_ASSIGNED = "SystemAssigned"


@dataclass(frozen=True)
class GatewayBackend:
    """Where one workload is served in one region; ``priority`` 1 is the preferred region."""

    workload: str
    region: str
    priority: int
    kind: str  # "vllm" | "azure-openai"
    url: pulumi.Input[str]  # vLLM service base URL, or the Azure OpenAI account endpoint


@dataclass(frozen=True)
class GatewayWiring:
    """The environment's shared resources a gateway uses (outputs welcome)."""

    subscription_id: pulumi.Input[str]
    resource_group: str  # the resource group's name, for the globally unique name's hash
    app_insights_id: pulumi.Input[str]
    app_insights_connection_string: pulumi.Input[str]
    log_analytics_workspace_id: pulumi.Input[str] | None = None
    api_key_secret_id: pulumi.Input[str] | None = None  # ARM id: the role assignment's scope
    api_key_secret_uri: pulumi.Input[str] | None = None  # versionless: the named value's source


def backend_id(workload: str, region: str) -> str:
    return f"{workload}-{region_code(region)}"


def pool_id(workload: str) -> str:
    return f"{workload}-pool"


def api_path(workload: str) -> str:
    """``/<workload>/v1``: what the environment exports as the workload's endpoint."""
    return f"{workload}/v1"


def gateway_component_name(placement: GatewayPlacement) -> str:
    """``gateway`` for the environment's own geography (its resources keep their names),
    ``gateway-<geography>`` for every other."""
    return "gateway" if placement.primary else f"gateway-{placement.geography}"


def check_tier(tier: str, workloads: tuple[WorkloadPlan, ...]) -> None:
    """Refuse a tier that cannot run the gateway the Plan describes."""
    if tier != CONSUMPTION_TIER or not workloads:
        return
    streaming = sorted(w.name for w in workloads if w.gateway.streaming)
    if streaming:
        raise ValueError(
            f"gateway tier {CONSUMPTION_TIER} cannot serve streaming workloads "
            f"({', '.join(streaming)}): it does not hold long-running server-sent-event "
            "connections; choose a classic or v2 tier (e.g. BasicV2, StandardV2)"
        )
    raise ValueError(
        f"gateway tier {CONSUMPTION_TIER} runs neither the token-limit policies nor backend "
        "circuit breakers the gateway uses; choose a classic or v2 tier (e.g. BasicV2)"
    )


def _backend_url(backend: GatewayBackend) -> pulumi.Output[str]:
    """The backend's base URL: Azure OpenAI ``<endpoint>openai`` (the policy adds
    ``/deployments/<workload>``), vLLM ``<url>/v1`` (its OpenAI-compatible routes)."""
    suffix = "openai" if backend.kind == "azure-openai" else "v1"
    return pulumi.Output.from_input(backend.url).apply(lambda u: f"{u.rstrip('/')}/{suffix}")


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"PT{minutes}M{rest}S" if rest else f"PT{minutes}M"


def circuit_breaker_args(breaker: CircuitBreaker) -> apimanagement.BackendCircuitBreakerArgs:
    """The Plan's breaker as API Management's backend circuit breaker rule."""
    return apimanagement.BackendCircuitBreakerArgs(
        rules=[
            apimanagement.CircuitBreakerRuleArgs(
                name="trip-on-a-run-of-throttling-and-server-errors",
                failure_condition=apimanagement.CircuitBreakerFailureConditionArgs(
                    count=breaker.failure_count,
                    interval=_duration(breaker.interval_s),
                    status_code_ranges=[
                        apimanagement.FailureStatusCodeRangeArgs(min=low, max=high)
                        for low, high in breaker.status_code_ranges
                    ],
                ),
                trip_duration=_duration(breaker.trip_duration_s),
                accept_retry_after=breaker.accept_retry_after,
            )
        ]
    )


def _no_bodies() -> apimanagement.PipelineDiagnosticSettingsArgs:
    message = apimanagement.HttpMessageDiagnosticArgs(
        headers=[], body=apimanagement.BodyDiagnosticSettingsArgs(bytes=0)
    )
    return apimanagement.PipelineDiagnosticSettingsArgs(request=message, response=message)


class LlmGateway(pulumi.ComponentResource):
    """API Management in ``placement.location`` with one API, backends and policy per workload
    of its geography."""

    service_id: pulumi.Output[str]
    service_name: pulumi.Output[str]
    gateway_url: pulumi.Output[str]
    api_paths: dict[str, str]
    purge_command: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        placement: GatewayPlacement,
        resource_group_name: pulumi.Input[str],
        workloads: tuple[WorkloadPlan, ...],
        backends: tuple[GatewayBackend, ...],
        openai_accounts: dict[tuple[str, int], pulumi.Output[str]],
        subnet_id: pulumi.Input[str] | None,
        wiring: GatewayWiring,
        opts: pulumi.ResourceOptions | None = None,
        foundry_accounts: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        """``foundry_accounts``: the keys of ``openai_accounts`` that are Foundry (AIServices)
        accounts holding other publishers' models; the gateway also gets Cognitive Services
        User there, which their inference needs."""
        super().__init__("inferplan:azure:LlmGateway", name, None, opts)
        if environment.gateway is None:
            raise ValueError(f"environment {environment.name}: the Plan has no gateway settings")
        settings = environment.gateway
        tier = settings.tier
        check_tier(tier, workloads)
        by_workload = _group_backends(workloads, backends)
        location = placement.location

        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=environment.protect)

        vnet: dict[str, object] = {}
        if subnet_id is not None:
            mode = gateway_network_mode(environment)
            if mode.virtual_network_type != "None":
                vnet = {
                    "virtual_network_type": mode.virtual_network_type,
                    "virtual_network_configuration": apimanagement.VirtualNetworkConfigurationArgs(
                        subnet_resource_id=subnet_id
                    ),
                }
            else:
                pulumi.log.warn(
                    f"gateway tier {tier} cannot join a virtual network; backends on private "
                    "addresses will be unreachable (Developer, Premium, StandardV2 and PremiumV2 "
                    "can)",
                    resource=self,
                )

        portals = "Enabled" if settings.developer_portal else "Disabled"
        service_name = globally_unique_output(
            "apim",
            environment.name,
            location,
            subscription_id=wiring.subscription_id,
            resource_group=wiring.resource_group,
        )
        service = apimanagement.ApiManagementService(
            f"{name}-apim",
            service_name=service_name,
            resource_group_name=resource_group_name,
            location=location,
            sku=apimanagement.ApiManagementServiceSkuPropertiesArgs(
                name=tier, capacity=0 if tier == CONSUMPTION_TIER else 1
            ),
            publisher_email=settings.publisher_email,
            publisher_name=settings.publisher_name,
            identity=apimanagement.ApiManagementServiceIdentityArgs(type="SystemAssigned"),
            developer_portal_status=portals,
            legacy_portal_status=portals,
            # Undelete a soft-deleted service of the same name (48 hours after a delete).
            restore=True if environment.soft_deleted == "restore" else None,
            tags=environment.tags,
            opts=protected,
            **vnet,
        )
        scope = {"resource_group_name": resource_group_name, "service_name": service.name}
        principal_id = service.identity.apply(lambda i: i.principal_id if i else None)
        if wiring.log_analytics_workspace_id is not None:
            # Gateway logs in their own table (ApiManagementGatewayLogs): the SLO alerts on
            # 5xx and 429 ratios and on backend time query it [apim-sse.md §4].
            monitor.DiagnosticSetting(
                f"{name}-logs",
                name="gateway-to-log-analytics",
                resource_uri=service.id,
                workspace_id=wiring.log_analytics_workspace_id,
                log_analytics_destination_type="Dedicated",
                logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
                metrics=[
                    monitor.DiagnosticsMetricSettingsArgs(category="AllMetrics", enabled=True)
                ],
                opts=child,
            )

        publisher = roles.assign_role(
            f"{name}-metrics-publisher",
            role=roles.MONITORING_METRICS_PUBLISHER,
            scope=wiring.app_insights_id,
            principal_id=principal_id,
            subscription_id=wiring.subscription_id,
            principal_type="ServicePrincipal",
            description="the gateway sends telemetry with its identity (local auth is off)",
            opts=child,
        )
        logger = apimanagement.Logger(
            f"{name}-logger",
            logger_id=LOGGER_ID,
            logger_type="applicationInsights",
            resource_id=wiring.app_insights_id,
            credentials={
                "connectionString": pulumi.Output.secret(wiring.app_insights_connection_string),
                "identityClientId": SYSTEM_ASSIGNED,
            },
            is_buffered=True,
            description="Application Insights: gateway requests and token metrics",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[publisher]),
            **scope,
        )

        named_values: list[pulumi.Resource] = []
        if any(by_workload[w.name][0].kind == "vllm" for w in workloads):
            if wiring.api_key_secret_id is None or wiring.api_key_secret_uri is None:
                raise ValueError(f"gateway {name}: vLLM backends need the API key's secret")
            key_reader = roles.assign_role(
                f"{name}-vllm-key-reader",
                role=roles.KEY_VAULT_SECRETS_USER,
                scope=wiring.api_key_secret_id,
                principal_id=principal_id,
                subscription_id=wiring.subscription_id,
                principal_type="ServicePrincipal",
                description="the gateway sends vLLM's API key (that secret only)",
                opts=child,
            )
            named_values.append(
                apimanagement.NamedValue(
                    f"{name}-{VLLM_API_KEY_NAMED_VALUE}",
                    named_value_id=VLLM_API_KEY_NAMED_VALUE,
                    display_name=VLLM_API_KEY_NAMED_VALUE,
                    secret=True,
                    key_vault=apimanagement.KeyVaultContractCreatePropertiesArgs(
                        secret_identifier=wiring.api_key_secret_uri
                    ),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[key_reader]),
                    **scope,
                )
            )

        self.api_paths = {}
        for w in sorted(workloads, key=lambda w: w.name):
            members = by_workload[w.name]
            kind = members[0].kind
            api = apimanagement.Api(
                f"{name}-{w.name}",
                api_id=w.name,
                display_name=w.name,
                description=f"OpenAI-compatible {w.task} API of workload {w.name} ({w.model})",
                path=api_path(w.name),
                protocols=["https"],
                api_type="http",
                subscription_required=True,
                subscription_key_parameter_names=apimanagement.SubscriptionKeyParameterNamesContractArgs(
                    header=SUBSCRIPTION_KEY_NAME, query=SUBSCRIPTION_KEY_NAME
                ),
                opts=child,
                **scope,
            )
            in_api = pulumi.ResourceOptions(parent=self, depends_on=[api])
            for op in api_operations(w):
                apimanagement.ApiOperation(
                    f"{name}-{w.name}-{op.operation_id}",
                    api_id=w.name,
                    operation_id=op.operation_id,
                    display_name=op.display_name,
                    method=op.method,
                    url_template=op.url_template,
                    opts=in_api,
                    **scope,
                )

            breaker = w.gateway_backends.circuit_breaker if w.gateway_backends else None
            pooled = len(members) > 1
            singles = [
                apimanagement.Backend(
                    f"{name}-{backend_id(w.name, b.region)}",
                    backend_id=backend_id(w.name, b.region),
                    title=f"{w.name} in {b.region}",
                    description=f"{b.kind} backend of {w.name} in {b.region} "
                    f"(priority {b.priority})",
                    type="Single",
                    protocol="http",
                    url=_backend_url(b),
                    circuit_breaker=circuit_breaker_args(breaker)
                    if pooled and breaker is not None
                    else None,
                    opts=child,
                    **scope,
                )
                for b in members
            ]
            target = backend_id(w.name, members[0].region)
            routing: list[pulumi.Resource] = list(singles)
            if pooled:
                pool = apimanagement.Backend(
                    f"{name}-{pool_id(w.name)}",
                    backend_id=pool_id(w.name),
                    title=f"{w.name} failover pool",
                    description="Regions in the Plan's failover order; lower priority first",
                    type="Pool",
                    pool=apimanagement.BackendBaseParametersPoolArgs(
                        services=[
                            apimanagement.BackendPoolItemArgs(id=single.id, priority=b.priority)
                            for b, single in zip(members, singles, strict=True)
                        ]
                    ),
                    opts=child,
                    **scope,
                )
                target = pool_id(w.name)
                routing = [pool]

            apimanagement.ApiPolicy(
                f"{name}-{w.name}-policy",
                api_id=w.name,
                policy_id="policy",
                format="xml",
                value=render_api_policy(
                    w, backend_id=target, kind=kind, subscription_key=SUBSCRIPTION_KEY_NAME
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=[api, *routing, *(named_values if kind == "vllm" else [])],
                ),
                **scope,
            )
            apimanagement.ApiDiagnostic(
                f"{name}-{w.name}-diagnostic",
                api_id=w.name,
                diagnostic_id=APP_INSIGHTS_DIAGNOSTIC_ID,
                logger_id=logger.id,
                always_log="allErrors",
                sampling=apimanagement.SamplingSettingsArgs(
                    sampling_type="fixed", percentage=SAMPLING_PERCENTAGE
                ),
                frontend=_no_bodies(),
                backend=_no_bodies(),
                metrics=True,
                log_client_ip=False,
                verbosity="information",
                http_correlation_protocol="W3C",
                opts=in_api,
                **scope,
            )
            self.api_paths[w.name] = api_path(w.name)

        # Per account: (region, 1) is a region's first, further ones hold deployments past the
        # per-account limit (components/openai_service.py).
        for region, shard in sorted(openai_accounts):
            account_id = pulumi.Output.from_input(openai_accounts[(region, shard)])
            tail = "" if shard == 1 else f"-{shard}"
            roles.assign_role(
                f"{name}-openai-user-{region_code(region)}{tail}",
                role=roles.COGNITIVE_SERVICES_OPENAI_USER,
                scope=account_id,
                principal_id=principal_id,
                subscription_id=wiring.subscription_id,
                principal_type="ServicePrincipal",
                description="API Management gateway calls Azure OpenAI with its managed identity",
                opts=child,
            )
            if (region, shard) in foundry_accounts:
                roles.assign_role(
                    f"{name}-foundry-user-{region_code(region)}{tail}",
                    role=roles.COGNITIVE_SERVICES_USER,
                    scope=account_id,
                    principal_id=principal_id,
                    subscription_id=wiring.subscription_id,
                    principal_type="ServicePrincipal",
                    description="API Management gateway calls Foundry Models sold by Azure",
                    opts=child,
                )

        self.service_id = service.id
        self.service_name = service.name
        self.gateway_url = service.gateway_url
        self.purge_command = service_name.apply(
            lambda n: f"az apim deletedservice purge --service-name {n} --location {location}"
        )
        self.register_outputs(
            {
                "serviceId": self.service_id,
                "serviceName": self.service_name,
                "gatewayUrl": self.gateway_url,
                "apiPaths": self.api_paths,
            }
        )


def _group_backends(
    workloads: tuple[WorkloadPlan, ...], backends: tuple[GatewayBackend, ...]
) -> dict[str, list[GatewayBackend]]:
    """Each workload's backends in priority order; a workload without one, a backend without a
    workload, an unknown kind or a mixed-kind pool is a wiring mistake and fails here."""
    names = {w.name for w in workloads}
    grouped: dict[str, list[GatewayBackend]] = defaultdict(list)
    for b in backends:
        if b.workload not in names:
            raise ValueError(f"gateway backend for unknown workload {b.workload}")
        if b.kind not in BACKEND_KINDS:
            raise ValueError(f"gateway backend {b.workload}/{b.region}: unknown kind {b.kind!r}")
        grouped[b.workload].append(b)
    for w in workloads:
        members = sorted(grouped[w.name], key=lambda b: (b.priority, b.region))
        if not members:
            raise ValueError(f"workload {w.name} has no gateway backend")
        if len({b.kind for b in members}) > 1:
            raise ValueError(f"workload {w.name} mixes backend kinds; a pool serves one API kind")
        if len({b.region for b in members}) != len(members):
            raise ValueError(f"workload {w.name} has two backends in one region")
        grouped[w.name] = members
    return grouped
