"""One environment (Pulumi stack) built from a Plan: the only entry point the program calls.

Layout, all inside one resource group in the environment's location (regional resources in
their own regions):

* ``Observability``: Log Analytics, Application Insights, an Azure Monitor workspace for managed
  Prometheus and an action group, created first because everything reports to them;
* ``Network``: a virtual network per region that hosts GPU clusters or the gateway, peered to
  the gateway's, so API Management reaches vLLM over private addresses;
* ``GpuCluster`` per region with self-hosted workloads, one GPU pool per VM size;
* ``VllmService`` per self-hosted workload and region;
* ``OpenAIService`` per region with Azure OpenAI deployments;
* ``LlmGateway``: API Management in front of every workload, failing over between backends in
  the plan's region order;
* ``SloAlerts``: the plan's alert thresholds as Azure Monitor rules, and a dashboard.

Components read the Plan only; every size, count and threshold was decided in sizing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from inferplan.components.gpu_cluster import GpuCluster, GpuPool
from inferplan.components.llm_gateway import GatewayBackend, LlmGateway
from inferplan.components.naming import region_code, resource_name
from inferplan.components.network import Network
from inferplan.components.observability import Observability, SloAlerts
from inferplan.components.openai_service import OpenAIService
from inferplan.components.vllm_service import VllmService
from inferplan.sizing.plan import EnvironmentPlan, Plan, WorkloadPlan
from pulumi_azure_native import resources


@dataclass(frozen=True)
class EnvironmentResources:
    gateway: LlmGateway
    clusters: dict[str, GpuCluster]
    openai: dict[str, OpenAIService]
    services: dict[tuple[str, str], VllmService]


def gpu_pools(workloads: tuple[WorkloadPlan, ...], region: str) -> list[GpuPool]:
    """GPU pools a region's cluster needs: one per VM size, nodes summed over its workloads."""
    by_sku: dict[str, list[WorkloadPlan]] = {}
    for w in workloads:
        if w.aks is not None and region in w.regions:
            by_sku.setdefault(w.aks.vm_sku, []).append(w)
    return [
        GpuPool(
            vm_sku=sku,
            node_count=sum(w.aks.nodes_per_region for w in users),
            min_count=sum(w.aks.min_nodes_per_region for w in users),
            max_count=sum(w.aks.max_nodes_per_region for w in users),
            zones=users[0].aks.zones,
            workloads=tuple(sorted(w.name for w in users)),
        )
        for sku, users in sorted(by_sku.items())
    ]


def build_environment(
    plan: Plan, environment: str, *, hf_token: pulumi.Input[str] | None = None
) -> EnvironmentResources:
    """Register every resource of ``environment``. ``hf_token`` (a Pulumi secret) lets vLLM
    pull gated Hugging Face models; without it the pods read an existing Kubernetes secret."""
    env: EnvironmentPlan = plan.environment(environment)
    workloads = plan.workloads_of(environment)
    feasible = tuple(w for w in workloads if w.feasible)
    protect = pulumi.ResourceOptions(protect=env.protect)

    group = resources.ResourceGroup(
        "rg",
        resource_group_name=resource_name("rg", env.name, env.location),
        location=env.location,
        tags=env.tags,
        opts=protect,
    )
    observability = Observability("observability", environment=env, resource_group_name=group.name)

    aks_regions = sorted({r for w in feasible if w.aks for r in w.regions})
    private_openai = not env.public_network_access and any(w.azure_openai for w in feasible)
    network = Network(
        "network",
        environment=env,
        resource_group_name=group.name,
        regions=tuple(aks_regions),
        private_endpoints=private_openai,
    )
    clusters = {
        region: GpuCluster(
            f"aks-{region_code(region)}",
            environment=env,
            region=region,
            resource_group_name=group.name,
            subnet_id=network.aks_subnet_ids[region],
            pools=gpu_pools(feasible, region),
            log_analytics_workspace_id=observability.workspace_id,
            prometheus_data_collection_rule_id=observability.prometheus_dcr_id,
        )
        for region in aks_regions
    }
    services = {
        (w.name, region): VllmService(
            f"vllm-{w.name}-{region_code(region)}",
            environment=env,
            workload=w,
            region=region,
            cluster=clusters[region],
            hf_token=hf_token,
            prometheus_query_url=observability.prometheus_query_url,
        )
        for w in feasible
        if w.aks is not None
        for region in w.regions
    }

    openai_regions = sorted({r for w in feasible if w.azure_openai for r in _openai_regions(w)})
    openai = {
        region: OpenAIService(
            f"oai-{region_code(region)}",
            environment=env,
            region=region,
            resource_group_name=group.name,
            workloads=tuple(w for w in feasible if w.azure_openai and region in _openai_regions(w)),
            private_endpoint_subnet_id=network.endpoint_subnet_id,
            private_dns_zone_id=network.openai_dns_zone_id,
        )
        for region in openai_regions
    }

    backends = []
    for w in feasible:
        for priority, region in enumerate(w.regions, start=1):
            if w.aks is not None:
                backends.append(
                    GatewayBackend(w.name, region, priority, "vllm", services[(w.name, region)].url)
                )
            elif w.azure_openai is not None:
                backends.append(
                    GatewayBackend(
                        w.name, region, priority, "azure-openai", openai[region].endpoint
                    )
                )
    gateway = LlmGateway(
        "gateway",
        environment=env,
        resource_group_name=group.name,
        workloads=feasible,
        backends=tuple(backends),
        openai_accounts={r: s.account_id for r, s in openai.items()},
        subnet_id=network.gateway_subnet_id,
        app_insights_id=observability.app_insights_id,
        app_insights_connection_string=observability.app_insights_connection_string,
        log_analytics_workspace_id=observability.workspace_id,
    )
    SloAlerts(
        "alerts",
        environment=env,
        resource_group_name=group.name,
        workloads=feasible,
        action_group_id=observability.action_group_id,
        monitor_workspace_id=observability.monitor_workspace_id,
        gateway_id=gateway.service_id,
        openai_account_ids={r: s.account_id for r, s in openai.items()},
        cluster_ids={r: c.cluster_id for r, c in clusters.items()},
    )

    pulumi.export("gatewayUrl", gateway.gateway_url)
    pulumi.export(
        "endpoints",
        {w.name: gateway.gateway_url.apply(lambda u, n=w.name: f"{u}/{n}/v1") for w in feasible},
    )
    pulumi.export("monthlyCostUsd", round(env.monthly_usd, 2))
    pulumi.export(
        "workloadCostsUsd", {w.name: round(w.cost.monthly_usd, 2) for w in feasible if w.cost}
    )
    return EnvironmentResources(gateway, clusters, openai, services)


def _openai_regions(w: WorkloadPlan) -> tuple[str, ...]:
    """Primary region plus failover regions of an Azure OpenAI workload."""
    return w.regions
