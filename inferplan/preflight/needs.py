"""What one environment's plan asks of Azure, read off the Plan the way the components read it.

Pure. GPU pools and Azure OpenAI deployments are the Plan's (``EnvironmentPlan.node_pools``
and ``openai_accounts``), which the Pulumi program itself reads, and every name comes from
`planned_names`, so preflight checks exactly what ``pulumi up`` would create.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.naming import globally_unique_name, resource_name
from sizing.deploy.node_pools import SYSTEM_POOL_NAME, system_pool_zones
from sizing.plan import Plan


@dataclass(frozen=True)
class PoolNeed:
    """A node pool of one region's cluster at its autoscaler maximum.

    ``vcpus_per_node`` is the plan's figure (0 for the system pool, whose size the plan does not
    describe); the check prefers the Resource SKUs API's vCPU count when it has one.
    """

    region: str
    pool: str
    vm_size: str
    max_nodes: int
    zones: tuple[str, ...]
    vcpus_per_node: int
    workloads: tuple[str, ...]
    spot: bool = False  # a spot pool counts against the regional spot quota, not its family's


@dataclass(frozen=True)
class ClusterNeed:
    region: str
    name: str
    kubernetes_version: str
    sku_tier: str  # Free | Standard | Premium (AKS control plane tier)


@dataclass(frozen=True)
class DeploymentNeed:
    """One Azure OpenAI deployment on a region's account."""

    region: str
    account: str
    workload: str
    role: str  # primary | failover | spillover
    model: str
    version: str
    deployment_type: str
    capacity: int
    capacity_unit: str  # ktpm | ptu
    name: str = ""  # the deployment's name when not the workload's (<workload>-spill)

    @property
    def deployment_name(self) -> str:
        return self.name or self.workload


@dataclass(frozen=True)
class GatewayNeed:
    region: str
    name: str
    tier: str


@dataclass(frozen=True)
class Needs:
    """Everything the environment's program would create that Azure can refuse."""

    environment: str
    resource_group: str
    pools: tuple[PoolNeed, ...]
    clusters: tuple[ClusterNeed, ...]
    deployments: tuple[DeploymentNeed, ...]
    accounts: tuple[tuple[str, str], ...]  # (region, globally unique account name)
    gateway: GatewayNeed | None

    @property
    def aks_regions(self) -> tuple[str, ...]:
        return tuple(sorted({c.region for c in self.clusters}))

    @property
    def openai_regions(self) -> tuple[str, ...]:
        return tuple(sorted({region for region, _ in self.accounts}))


@dataclass(frozen=True)
class PlannedNames:
    """Names of the resources preflight looks up, from the functions the components call."""

    resource_group: str
    gateway: str
    clusters: dict[str, str]  # region -> AKS cluster name
    accounts: dict[str, str]  # region -> Azure OpenAI account name (and custom subdomain)


def planned_names(
    plan: Plan,
    environment: str,
    *,
    subscription_id: str,
    aks_regions: tuple[str, ...],
    openai_regions: tuple[str, ...],
) -> PlannedNames:
    """The same calls as ``environment.py`` (resource group), ``gpu_cluster.py`` (cluster),
    ``openai_service.py`` (account) and ``llm_gateway.py`` (API Management); a test compares
    them with the names the offline program registers. Globally unique names hash the
    subscription and the resource group, so they are only known for a given subscription."""
    env = plan.environment(environment)
    group = resource_name("rg", env.name, env.location)

    def unique(abbreviation: str, region: str) -> str:
        return globally_unique_name(
            abbreviation, env.name, region, subscription_id=subscription_id, resource_group=group
        )

    return PlannedNames(
        resource_group=group,
        gateway=unique("apim", env.location),
        clusters={r: resource_name("aks", env.name, r) for r in aks_regions},
        accounts={r: unique("oai", r) for r in openai_regions},
    )


def plan_needs(plan: Plan, environment: str, *, subscription_id: str) -> Needs:
    """What the feasible workloads of ``environment`` need in ``subscription_id``, sorted by
    region then name."""
    env = plan.environment(environment)
    aks_regions = env.cluster_regions
    openai_regions = tuple(a.region for a in env.openai_accounts)
    names = planned_names(
        plan,
        environment,
        subscription_id=subscription_id,
        aks_regions=aks_regions,
        openai_regions=openai_regions,
    )
    pools: list[PoolNeed] = []
    clusters: list[ClusterNeed] = []
    kube = env.kubernetes
    for region in aks_regions:
        if kube is not None:
            clusters.append(
                ClusterNeed(region, names.clusters[region], kube.version, kube.sku_tier)
            )
            pools.append(
                PoolNeed(
                    region=region,
                    pool=SYSTEM_POOL_NAME,
                    vm_size=kube.system_vm_size,
                    max_nodes=kube.system_node_count,
                    zones=system_pool_zones(kube.system_node_count),
                    vcpus_per_node=0,
                    workloads=(),
                )
            )
        for pool in env.pools_in(region):
            pools.append(
                PoolNeed(
                    region=region,
                    pool=pool.name,
                    vm_size=pool.vm_sku,
                    max_nodes=pool.max_count,
                    zones=pool.zones,
                    vcpus_per_node=pool.vcpus_per_node,
                    workloads=pool.workloads,
                    spot=pool.spot,
                )
            )
    deployments = [
        DeploymentNeed(
            region=account.region,
            account=names.accounts[account.region],
            workload=d.workload,
            role=d.role,
            model=d.model,
            version=d.model_version,
            deployment_type=d.deployment_type,
            capacity=d.capacity,
            capacity_unit=d.capacity_unit,
            name=d.name,
        )
        for account in env.openai_accounts
        for d in account.deployments
    ]
    gateway = GatewayNeed(env.location, names.gateway, env.gateway.tier) if env.gateway else None
    return Needs(
        environment=env.name,
        resource_group=names.resource_group,
        pools=tuple(pools),
        clusters=tuple(clusters),
        deployments=tuple(deployments),
        accounts=tuple(sorted(names.accounts.items())),
        gateway=gateway,
    )
