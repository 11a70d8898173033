"""One environment (Pulumi stack) built from a Plan: the only entry point the program calls.

Layout, all inside one resource group in the environment's location (regional resources in
their own regions):

* ``Observability``: Log Analytics, Application Insights, an Azure Monitor workspace for managed
  Prometheus and an action group, created first because everything reports to them; in a
  private environment an Azure Monitor Private Link Scope holding them;
* ``Network``: a virtual network per region that hosts GPU clusters or a gateway, peered with
  the primary hub (the environment's location) and with the gateway that fronts them, private
  DNS zones and an endpoint subnet where services have no public access;
* ``KeyVault``: vLLM's API key (generated) and the registry's upstream credentials;
* ``ContainerRegistry``: an artifact cache for the images the Plan caches;
* ``GpuCluster`` per region of the Plan's GPU pools (``node_pools``), one pool per VM size,
  its KEDA and vLLM identities and the cluster admin role for whoever runs Pulumi (or the admin
  group);
* ``VllmService`` per self-hosted workload and region;
* ``OpenAIService`` per Azure OpenAI account of the Plan (``openai_accounts``);
* ``LlmGateway`` per geography the workloads use (``Plan.gateways``), failing over between
  backends in the plan's region order;
* ``SloAlerts``: the plan's alert thresholds as Azure Monitor rules, and a dashboard.

Components read the Plan only; every size, count and threshold was decided in sizing. What the
stack's Pulumi config holds (tokens, credentials) arrives as ``StackInputs``; names that must be
globally unique hash the deploying subscription (``get_client_config``), so the same
environment deploys in any number of subscriptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pulumi
import pulumi_random as random
from pulumi_azure_native import authorization, resources

from components import roles
from components.container_registry import ContainerRegistry, UpstreamCredential
from components.federation import FederationChain
from components.gpu_cluster import ClusterContext, GpuCluster
from components.key_vault import KeyVault
from components.kube_credentials import AZURE_CLI_LOGIN, KubeloginLogin
from components.llm_gateway import (
    GatewayBackend,
    GatewayWiring,
    LlmGateway,
    gateway_component_name,
)
from components.naming import region_code, resource_name
from components.network import (
    PROMETHEUS_GROUP_ID,
    Network,
    endpoint_subnet_prefix,
    gateway_subnet_prefix,
    private_endpoint,
)
from components.observability import Observability, SloAlerts
from components.openai_service import FOUNDRY_ACCOUNT_KIND, OpenAIService
from components.vllm_service import VllmService, VllmWiring
from components.weights_staging import StagingJobs, StagingRun, staging_runs
from components.weights_store import WeightsStore
from sizing.deploy.container_images import WEIGHTS_COPY_IMAGE_ID
from sizing.deploy.packing import placed_workload
from sizing.plan import ContainerImage, EnvironmentPlan, Plan, WorkloadPlan

API_KEY_SECRET = "vllm-api-key"  # in the environment's Key Vault
API_KEY_LENGTH = 48  # characters, letters and digits: about 285 bits


@dataclass(frozen=True)
class StackInputs:
    """What the program takes from the stack's Pulumi config, secrets kept secret.

    ``hf_token``: ``inferplan:hfToken``, for gated Hugging Face models. ``upstream_credentials``:
    credential set name (``docker-io``) -> (user name, token) for upstream registries whose
    artifact cache needs one (``inferplan:dockerHubUsername`` / ``inferplan:dockerHubToken``).
    """

    hf_token: pulumi.Input[str] | None = None
    upstream_credentials: dict[str, tuple[pulumi.Input[str], pulumi.Input[str]]] = field(
        default_factory=dict
    )
    # ``inferplan:apiServerAuthorizedIpRanges``: replaces the environment file's ranges.
    api_server_authorized_ip_ranges: tuple[str, ...] | None = None
    # How the Kubernetes provider signs in: the kubelogin mode matching Pulumi's Azure
    # credentials (components/kube_credentials.py), decided before any kubeconfig exists.
    kube_login: KubeloginLogin = AZURE_CLI_LOGIN


@dataclass(frozen=True)
class EnvironmentResources:
    gateways: dict[str, LlmGateway]  # by geography
    clusters: dict[str, GpuCluster]
    openai: dict[str, OpenAIService]
    services: dict[tuple[str, str], VllmService]
    registry: ContainerRegistry | None
    key_vault: KeyVault | None
    weights: WeightsStore | None = None

    @property
    def gateway(self) -> LlmGateway:
        """The gateway of the environment's own geography."""
        return next(iter(self.gateways.values()))


def cached_images(
    env: EnvironmentPlan, workloads: tuple[WorkloadPlan, ...]
) -> tuple[ContainerImage, ...]:
    """Every image the environment runs, one per id: the vLLM images and the cluster-wide ones."""
    images = {w.aks.container_image.id: w.aks.container_image for w in workloads if w.aks}
    images.update({i.id: i for i in env.images})
    return tuple(images[i] for i in sorted(images))


def pulled_images(
    images: tuple[ContainerImage, ...], inputs: StackInputs
) -> tuple[ContainerImage, ...]:
    """The images as this stack supplies them: an image whose cache rule needs a credential set
    the stack's config does not give (Docker Hub: "Supports authenticated pulls only"
    [acr-cache]) is not cached but imported once (``imageImportCommands``); nodes still pull it
    from the environment's registry (`check` says so, rule ``registry-credentials``)."""
    return tuple(
        replace(i, cached=False, credential=None)
        if i.cached and i.credential and i.credential not in inputs.upstream_credentials
        else i
        for i in images
    )


def _pulling(workload: WorkloadPlan, images: dict[str, ContainerImage]) -> WorkloadPlan:
    """The workload with its vLLM image as the stack pulls it (`pulled_images`)."""
    if workload.aks is None:
        return workload
    image = images[workload.aks.container_image.id]
    return replace(workload, aks=replace(workload.aks, container_image=image))


def build_environment(
    plan: Plan,
    environment: str,
    *,
    inputs: StackInputs | None = None,
    hf_token: pulumi.Input[str] | None = None,
) -> EnvironmentResources:
    """Register every resource of ``environment``. ``inputs`` carry the stack's secrets;
    ``hf_token`` is a shorthand for ``StackInputs(hf_token=...)``."""
    inputs = inputs or StackInputs(hf_token=hf_token)
    env: EnvironmentPlan = plan.environment(environment)
    ranges = inputs.api_server_authorized_ip_ranges
    if ranges is not None and env.kubernetes is not None:
        env = replace(
            env, kubernetes=replace(env.kubernetes, api_server_authorized_ip_ranges=ranges)
        )
    workloads = plan.workloads_of(environment)
    feasible = tuple(w for w in workloads if w.feasible)
    protect = pulumi.ResourceOptions(protect=env.protect)
    private = not env.public_network_access
    client = authorization.get_client_config_output()
    subscription_id = client.subscription_id
    group_name = resource_name("rg", env.name, env.location)

    group = resources.ResourceGroup(
        "rg",
        resource_group_name=group_name,
        location=env.location,
        tags=env.tags,
        opts=protect,
    )
    observability = Observability("observability", environment=env, resource_group_name=group.name)

    placements = env.gateways or ()
    gateway_of = {name: p for p in placements for name in p.workloads}
    aks_regions = env.cluster_regions  # the Plan's GPU pools say where clusters run
    spokes: dict[str, set[str]] = {}
    for w in feasible:
        if w.aks is not None and w.name in gateway_of:
            spokes.setdefault(gateway_of[w.name].location, set()).update(w.regions)
    network = Network(
        "network",
        environment=env,
        resource_group_name=group.name,
        regions=tuple(aks_regions),
        gateway_locations=tuple(p.location for p in placements),
        gateway_spokes={k: tuple(sorted(v)) for k, v in spokes.items()},
        private_endpoints=private,
    )
    endpoint_subnet = network.endpoint_subnet_id
    if private and observability.ampls_id is not None and endpoint_subnet is not None:
        private_endpoint(
            "monitor",
            environment=env,
            resource_group_name=group.name,
            subnet_id=endpoint_subnet,
            target_id=observability.ampls_id,
            group_id="azuremonitor",
            dns_zone_ids=network.dns_zone_ids["azuremonitor"],
            endpoint_name=resource_name("pep", env.name, env.location, "monitor"),
            parent=observability,
        )
        # The workspace's query path (KEDA's trigger reads vLLM's queue depth there).
        private_endpoint(
            "prometheus",
            environment=env,
            resource_group_name=group.name,
            subnet_id=endpoint_subnet,
            target_id=observability.monitor_workspace_id,
            group_id=PROMETHEUS_GROUP_ID,
            dns_zone_ids=network.dns_zone_ids["prometheus"],
            endpoint_name=resource_name("pep", env.name, env.location, "prometheus"),
            parent=observability,
        )

    self_hosted = [w for w in feasible if w.aks is not None]
    images = pulled_images(cached_images(env, tuple(self_hosted)), inputs)
    image_by_id = {i.id: i for i in images}

    key_vault = registry = store = None
    clusters: dict[str, GpuCluster] = {}
    services: dict[tuple[str, str], VllmService] = {}
    if self_hosted:
        api_key = random.RandomPassword(
            "vllm-api-key", length=API_KEY_LENGTH, special=False, opts=protect
        )
        secrets: dict[str, pulumi.Input[str]] = {API_KEY_SECRET: api_key.result}
        for credential in sorted({i.credential for i in images if i.credential}):
            username, token = inputs.upstream_credentials[credential]
            secrets[f"{credential}-username"] = username
            secrets[f"{credential}-token"] = token
        key_vault = KeyVault(
            "keyvault",
            environment=env,
            resource_group_name=group.name,
            resource_group=group_name,
            subscription_id=subscription_id,
            tenant_id=client.tenant_id,
            secrets=secrets,
            private_endpoint_subnet_id=endpoint_subnet,
            dns_zone_ids=network.dns_zone_ids.get("vault"),
        )
        registry = ContainerRegistry(
            "registry",
            environment=env,
            resource_group_name=group.name,
            resource_group=group_name,
            subscription_id=subscription_id,
            images=images,
            credentials={
                c: UpstreamCredential(
                    key_vault.secret_uris[f"{c}-username"], key_vault.secret_uris[f"{c}-token"]
                )
                for c in sorted({i.credential for i in images if i.credential})
            },
            key_vault_id=key_vault.vault_id,
            private_endpoint_subnet_id=endpoint_subnet,
            dns_zone_ids=network.dns_zone_ids.get("registry"),
        )
        kube = env.kubernetes
        admin_group = kube.admin_group_object_id if kube else None
        device_plugin = image_by_id["nvidia-device-plugin"]
        context = ClusterContext(
            subscription_id=subscription_id,
            admin_principal_id=admin_group or client.object_id,
            admin_principal_type="Group"
            if admin_group
            else roles.deployer_principal_type(client.client_id),
            log_analytics_workspace_id=observability.workspace_id,
            prometheus_data_collection_rule_id=observability.prometheus_dcr_id,
            monitor_workspace_id=observability.monitor_workspace_id,
            registry_id=registry.registry_id,
            api_key_secret_id=key_vault.secret_ids[API_KEY_SECRET],
            device_plugin_image=device_plugin,
            registry_login_server=registry.login_server,
            ampls_id=observability.ampls_id,
            ampls_name=observability.ampls_name,
            kube_login=inputs.kube_login,
        )
        clusters = {
            region: GpuCluster(
                f"aks-{region_code(region)}",
                environment=env,
                region=region,
                resource_group_name=group.name,
                subnet_id=network.aks_subnet_ids[region],
                pools=env.pools_in(region),
                context=context,
            )
            for region in aks_regions
        }
        # Pinned checkpoints are staged once in the environment's store; every cluster's vLLM
        # identity reads it (components/weights_store.py).
        store_cidrs = (endpoint_subnet_prefix(env.location),) if private else ()
        staging_jobs: dict[str, pulumi.Resource] = {}  # by Job name: what replicas wait for
        if any(w.aks is not None and w.aks.weights is not None for w in self_hosted):
            store = WeightsStore(
                "weights",
                environment=env,
                resource_group_name=group.name,
                resource_group=group_name,
                subscription_id=subscription_id,
                readers={
                    f"vllm-{region_code(r)}": c.vllm_identity.principal_id
                    for r, c in clusters.items()
                },
                private_endpoint_subnet_id=endpoint_subnet,
                dns_zone_ids=network.dns_zone_ids.get("blob"),
            )
            # Each revision staged once, in the cluster of the first region of the first
            # workload serving it, on that workload's pool (its disk holds the checkpoint).
            federations = FederationChain(
                store.staging_identity,
                resource_group_name=group.name,
                issuer=next(iter(clusters.values())).oidc_issuer_url,
            )
            by_region: dict[str, list[StagingRun]] = {}
            for run in staging_runs(tuple(self_hosted)):
                region = run.workload.regions[0]
                placed = _pulling(
                    placed_workload(run.workload, region=region, packing=env.packing), image_by_id
                )
                by_region.setdefault(region, []).append(StagingRun(run.weights, placed))
            copy_image = image_by_id[WEIGHTS_COPY_IMAGE_ID]
            for region, runs in sorted(by_region.items()):
                download_image = runs[0].workload.aks.container_image  # type: ignore[union-attr]
                staging = StagingJobs(
                    f"staging-{region_code(region)}",
                    environment=env,
                    runs=tuple(runs),
                    cluster=clusters[region],
                    federations=federations,
                    account_name=store.account_name,
                    download_image=registry.login_server.apply(download_image.reference_in),
                    copy_image=registry.login_server.apply(copy_image.reference_in),
                    staging_client_id=store.staging_identity.client_id,
                    endpoint_cidrs=store_cidrs,
                    access=store.write_access,
                    hf_token=inputs.hf_token,
                )
                staging_jobs.update(staging.jobs)
        for w in self_hosted:
            placement = gateway_of[w.name]
            wiring = VllmWiring(
                registry_login_server=registry.login_server,
                gateway_cidrs=(gateway_subnet_prefix(placement.location),),
                key_vault_name=key_vault.vault_name,
                tenant_id=client.tenant_id,
                api_key_secret_name=API_KEY_SECRET,
                prometheus_query_url=observability.prometheus_query_url,
                **(
                    {
                        "weights_account_name": store.account_name,
                        "weights_image": image_by_id[WEIGHTS_COPY_IMAGE_ID],
                        "endpoint_cidrs": store_cidrs,
                        "weights_access": (
                            *store.read_access,
                            *(
                                [staging_jobs[w.aks.weights.job_name]]
                                if w.aks.weights.job_name in staging_jobs
                                else []
                            ),
                        ),
                    }
                    if store is not None and w.aks is not None and w.aks.weights is not None
                    else {}
                ),
            )
            for region in w.regions:
                services[(w.name, region)] = VllmService(
                    f"vllm-{w.name}-{region_code(region)}",
                    environment=env,
                    workload=_pulling(w, image_by_id),
                    region=region,
                    cluster=clusters[region],
                    wiring=wiring,
                    hf_token=inputs.hf_token,
                )

    openai = {}
    for account in env.openai_accounts:
        region = account.region
        users = tuple(w for w in feasible if w.azure_openai and region in w.regions)
        # The account's private endpoint sits in the hub of the gateway that calls it.
        hub = next(
            (gateway_of[w.name].location for w in users if w.name in gateway_of), env.location
        )
        openai[region] = OpenAIService(
            f"oai-{region_code(region)}",
            environment=env,
            account=account,
            resource_group_name=group.name,
            subscription_id=subscription_id,
            resource_group=group_name,
            private_endpoint_subnet_id=network.endpoint_subnet_ids.get(hub),
            private_dns_zone_id=network.openai_dns_zone_id,
            private_endpoint_location=hub,
        )

    gateways: dict[str, LlmGateway] = {}
    for placement in placements:
        members = tuple(w for w in feasible if w.name in placement.workloads)
        if not members and not placement.primary:
            continue
        backends = []
        for w in members:
            for priority, region in enumerate(w.regions, start=1):
                if w.aks is not None:
                    url = services[(w.name, region)].url
                    backends.append(GatewayBackend(w.name, region, priority, "vllm", url))
                elif w.azure_openai is not None:
                    url = openai[region].endpoint_of(w.name)
                    backends.append(GatewayBackend(w.name, region, priority, "azure-openai", url))
        regions_served = {r for w in members if w.azure_openai for r in w.regions}
        gateways[placement.geography] = LlmGateway(
            gateway_component_name(placement),
            environment=env,
            placement=placement,
            resource_group_name=group.name,
            workloads=members,
            backends=tuple(backends),
            openai_accounts={
                (r, shard): account
                for r, s in openai.items()
                if r in regions_served
                for shard, account in s.account_ids.items()
            },
            foundry_accounts=frozenset(
                (r, shard)
                for r, s in openai.items()
                if r in regions_served
                for shard, kind in s.account_kinds.items()
                if kind == FOUNDRY_ACCOUNT_KIND
            ),
            subnet_id=network.gateway_subnet_ids.get(placement.location),
            wiring=GatewayWiring(
                subscription_id=subscription_id,
                resource_group=group_name,
                app_insights_id=observability.app_insights_id,
                app_insights_connection_string=observability.app_insights_connection_string,
                log_analytics_workspace_id=observability.workspace_id,
                api_key_secret_id=key_vault.secret_ids[API_KEY_SECRET] if key_vault else None,
                api_key_secret_uri=key_vault.secret_uris[API_KEY_SECRET] if key_vault else None,
            ),
        )
    served_by = {
        w.name: gateways[gateway_of[w.name].geography] for w in feasible if w.name in gateway_of
    }
    SloAlerts(
        "alerts",
        environment=env,
        resource_group_name=group.name,
        workloads=feasible,
        action_group_id=observability.action_group_id,
        monitor_workspace_id=observability.monitor_workspace_id,
        gateway_ids={name: g.service_id for name, g in served_by.items()},
        gateway_locations={name: gateway_of[name].location for name in served_by},
        openai_account_ids={r: s.account_id for r, s in openai.items()},
        openai_account_of={
            (w, r): s.account_id_of(w) for r, s in openai.items() for w in s.account_of
        },
        cluster_ids={r: c.cluster_id for r, c in clusters.items()},
    )

    primary = next(iter(gateways.values()))
    pulumi.export("gatewayUrl", primary.gateway_url)
    pulumi.export("gatewayUrls", {geo: g.gateway_url for geo, g in gateways.items()})
    pulumi.export(
        "endpoints",
        {
            w.name: served_by[w.name].gateway_url.apply(lambda u, n=w.name: f"{u}/{n}/v1")
            for w in feasible
        },
    )
    purge = [g.purge_command for g in gateways.values()]
    purge += [c for s in openai.values() for c in s.purge_commands]
    if key_vault is not None:
        purge.append(key_vault.purge_command)
    pulumi.export("softDeletePurgeCommands", pulumi.Output.all(*purge))
    # Images no cache rule mirrors: imported once per version before the nodes pull them.
    pulumi.export("imageImportCommands", registry.import_commands if registry else [])
    pulumi.export("monthlyCostUsd", round(env.monthly_usd, 2))
    pulumi.export(
        "workloadCostsUsd", {w.name: round(w.cost.monthly_usd, 2) for w in feasible if w.cost}
    )
    return EnvironmentResources(
        gateways, clusters, openai, services, registry, key_vault, weights=store
    )
