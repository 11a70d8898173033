"""The LLM gateway: one API Management service in front of every workload of an environment.

Each workload gets an OpenAI-compatible API at ``/<workload>/v1`` (clients use it as an OpenAI
``base_url``), one backend per planned region, and, when the Plan puts the workload in more
than one region, a backend pool that fails over in the Plan's region order. The API policy is
rendered from a template by ``components.apim_policies``; this module only wires resources.

Rules this follows (keys of apim-sse.md and azure-openai.md in the team's reference notes):

* never the Consumption tier: it holds no long-running (SSE) connections [sse] and runs neither
  the token-limit policies [aoai-tl] nor backend circuit breakers [backends];
* no request or response body logging on any diagnostic (body bytes 0): logging bodies buffers
  server-sent events [sse] §1.5; the diagnostic does enable metrics, which the token-metric
  policy needs [aoai-em];
* circuit breaker on every backend, tripping on 429 and 5xx and honouring ``Retry-After``; pool
  members ordered by priority (lower is preferred) [backends][aigw];
* the gateway's managed identity is "Cognitive Services OpenAI User" on each Azure OpenAI
  account, whose keys are off [apim-auth];
* a subnet, when given, joins the gateway to the virtual network the way the tier supports:
  injection for Developer and Premium, outbound integration for Standard v2 and Premium v2, both
  with a public gateway (``External``) [features][vnet-v2]. The mode comes from
  ``components.network.gateway_network_mode``, the same decision that delegated the subnet.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

import pulumi
from inferplan.components.apim_policies import BACKEND_KINDS, api_operations, render_api_policy
from inferplan.components.naming import globally_unique_name, region_code
from inferplan.components.network import gateway_network_mode
from inferplan.sizing.plan import EnvironmentPlan, WorkloadPlan
from pulumi_azure_native import apimanagement, authorization, monitor

CONSUMPTION_TIER = "Consumption"

# Built-in role "Cognitive Services OpenAI User": data-plane inference calls with Entra ID.
OPENAI_USER_ROLE_ID = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
# Namespace of the role-assignment names below; any fixed UUID does, it must only never change.
ROLE_ASSIGNMENT_NAMESPACE = uuid.UUID("6a1d4c1e-3f7b-5b8e-9c41-1f2e5d0a7b93")

# Circuit breaker of every backend, as in the AI-Gateway inference API [aigw]: one failure in a
# minute trips it, so the pool's retry meets the next region at once; Retry-After from Azure
# OpenAI (429) sets the trip time where the backend sends one.
BREAKER_FAILURE_STATUS_RANGES = ((429, 429), (500, 599))
BREAKER_FAILURE_COUNT = 1
BREAKER_INTERVAL = "PT1M"
BREAKER_TRIP_DURATION = "PT1M"

# Subscription key header and query parameter: ``api-key``, what Azure OpenAI clients send
# [aigw]. The policy removes it before the request leaves the gateway.
SUBSCRIPTION_KEY_NAME = "api-key"

# Application Insights diagnostics: API Management requires this identifier for them.
APP_INSIGHTS_DIAGNOSTIC_ID = "applicationinsights"
LOGGER_ID = "appinsights"
SAMPLING_PERCENTAGE = 100  # request telemetry; token metrics are emitted unsampled


@dataclass(frozen=True)
class GatewayBackend:
    """Where one workload is served in one region; ``priority`` 1 is the preferred region."""

    workload: str
    region: str
    priority: int
    kind: str  # "vllm" | "azure-openai"
    url: pulumi.Input[str]  # vLLM service base URL, or the Azure OpenAI account endpoint


def backend_id(workload: str, region: str) -> str:
    return f"{workload}-{region_code(region)}"


def pool_id(workload: str) -> str:
    return f"{workload}-pool"


def api_path(workload: str) -> str:
    """``/<workload>/v1``: what the environment exports as the workload's endpoint."""
    return f"{workload}/v1"


def role_assignment_name(environment: str, region: str, role_id: str = OPENAI_USER_ROLE_ID) -> str:
    """A GUID (what Azure requires of a role assignment's name) fixed by what the Plan knows:
    the gateway of ``environment`` holding ``role_id`` on the account in ``region``."""
    return str(uuid.uuid5(ROLE_ASSIGNMENT_NAMESPACE, f"{environment}/{region}/apim/{role_id}"))


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


def _circuit_breaker() -> apimanagement.BackendCircuitBreakerArgs:
    return apimanagement.BackendCircuitBreakerArgs(
        rules=[
            apimanagement.CircuitBreakerRuleArgs(
                name="trip-on-throttling-and-server-errors",
                failure_condition=apimanagement.CircuitBreakerFailureConditionArgs(
                    count=BREAKER_FAILURE_COUNT,
                    interval=BREAKER_INTERVAL,
                    status_code_ranges=[
                        apimanagement.FailureStatusCodeRangeArgs(min=low, max=high)
                        for low, high in BREAKER_FAILURE_STATUS_RANGES
                    ],
                ),
                trip_duration=BREAKER_TRIP_DURATION,
                accept_retry_after=True,
            )
        ]
    )


def _no_bodies() -> apimanagement.PipelineDiagnosticSettingsArgs:
    message = apimanagement.HttpMessageDiagnosticArgs(
        headers=[], body=apimanagement.BodyDiagnosticSettingsArgs(bytes=0)
    )
    return apimanagement.PipelineDiagnosticSettingsArgs(request=message, response=message)


class LlmGateway(pulumi.ComponentResource):
    """API Management with one API, backends and policy per workload."""

    service_id: pulumi.Output[str]
    service_name: pulumi.Output[str]
    gateway_url: pulumi.Output[str]
    api_paths: dict[str, str]

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        resource_group_name: pulumi.Input[str],
        workloads: tuple[WorkloadPlan, ...],
        backends: tuple[GatewayBackend, ...],
        openai_accounts: dict[str, pulumi.Output[str]],
        subnet_id: pulumi.Input[str] | None,
        app_insights_id: pulumi.Input[str],
        app_insights_connection_string: pulumi.Input[str],
        log_analytics_workspace_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("inferplan:azure:LlmGateway", name, None, opts)
        if environment.gateway is None:
            raise ValueError(f"environment {environment.name}: the Plan has no gateway settings")
        tier = environment.gateway.tier
        check_tier(tier, workloads)
        by_workload = _group_backends(workloads, backends)

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

        service = apimanagement.ApiManagementService(
            f"{name}-apim",
            service_name=globally_unique_name("apim", environment.name, environment.location),
            resource_group_name=resource_group_name,
            location=environment.location,
            sku=apimanagement.ApiManagementServiceSkuPropertiesArgs(
                name=tier, capacity=0 if tier == CONSUMPTION_TIER else 1
            ),
            publisher_email=environment.gateway.publisher_email,
            publisher_name=environment.gateway.publisher_name,
            identity=apimanagement.ApiManagementServiceIdentityArgs(type="SystemAssigned"),
            tags=environment.tags,
            opts=protected,
            **vnet,
        )
        scope = {"resource_group_name": resource_group_name, "service_name": service.name}
        if log_analytics_workspace_id is not None:
            # Gateway logs in their own table (ApiManagementGatewayLogs): the SLO alerts on
            # 5xx and 429 ratios query it [apim-sse.md §4].
            monitor.DiagnosticSetting(
                f"{name}-logs",
                name="gateway-to-log-analytics",
                resource_uri=service.id,
                workspace_id=log_analytics_workspace_id,
                log_analytics_destination_type="Dedicated",
                logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
                metrics=[
                    monitor.DiagnosticsMetricSettingsArgs(category="AllMetrics", enabled=True)
                ],
                opts=child,
            )

        logger = apimanagement.Logger(
            f"{name}-logger",
            logger_id=LOGGER_ID,
            logger_type="applicationInsights",
            resource_id=app_insights_id,
            credentials={"connectionString": pulumi.Output.secret(app_insights_connection_string)},
            is_buffered=True,
            description="Application Insights: gateway requests and token metrics",
            opts=child,
            **scope,
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
                    circuit_breaker=_circuit_breaker(),
                    opts=child,
                    **scope,
                )
                for b in members
            ]
            target = backend_id(w.name, members[0].region)
            routing: list[pulumi.Resource] = list(singles)
            if len(members) > 1:
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
                value=render_api_policy(w, backend_id=target, kind=kind),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[api, *routing]),
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

        principal_id = service.identity.apply(lambda i: i.principal_id if i else None)
        for region in sorted(openai_accounts):
            account_id = pulumi.Output.from_input(openai_accounts[region])
            authorization.RoleAssignment(
                f"{name}-openai-user-{region_code(region)}",
                role_assignment_name=role_assignment_name(environment.name, region),
                scope=account_id,
                role_definition_id=account_id.apply(_openai_user_role_definition),
                principal_id=principal_id,
                principal_type="ServicePrincipal",
                description="API Management gateway calls Azure OpenAI with its managed identity",
                opts=child,
            )

        self.service_id = service.id
        self.service_name = service.name
        self.gateway_url = service.gateway_url
        self.register_outputs(
            {
                "serviceId": self.service_id,
                "serviceName": self.service_name,
                "gatewayUrl": self.gateway_url,
                "apiPaths": self.api_paths,
            }
        )


def _openai_user_role_definition(account_id: str) -> str:
    """The role definition's ARM id in the account's subscription (``/subscriptions/<id>`` is
    the first two segments of any resource id)."""
    subscription = "/".join(account_id.split("/")[:3])
    return f"{subscription}/providers/Microsoft.Authorization/roleDefinitions/{OPENAI_USER_ROLE_ID}"


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
