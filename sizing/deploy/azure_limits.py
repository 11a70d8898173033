"""What Azure and Kubernetes can express: hard limits a deployable plan stays inside.

These are not quotas a support request raises; a plan past them is refused by ARM or the
Kubernetes API server on the first ``pulumi up``, so sizing rejects the candidate instead
(rejection kind `AZURE_LIMIT`) and the plan says why.

Sources:

- [aks-quotas] Microsoft Learn, "Quotas, virtual machine size restrictions, and region
  availability in Azure Kubernetes Service (AKS)", table "Service quotas and limits"
  (https://learn.microsoft.com/azure/aks/quotas-skus-regions, read 2026-08): maximum nodes per
  node pool (Virtual Machine Scale Sets node pools) 1000; maximum nodes per cluster with Virtual
  Machine Scale Sets and Standard Load Balancer 5000 across all node pools (default limit 1000,
  more through support); maximum node pools per cluster 100.
- [k8s-int32] Kubernetes API reference, apps/v1 DeploymentSpec ``replicas`` (int32); the Azure
  REST API specs, common-types/resource-management/v5/types.json ``Sku.capacity`` ("integer",
  "format": "int32"), the SKU an Azure OpenAI deployment's capacity is written in.
"""

from __future__ import annotations

from collections.abc import Iterable

from sizing.plan import EnvironmentViolation, NodePool

AZURE_LIMIT = "azure-limit"  # the rejection kind of a candidate past one of these limits

MAX_NODES_PER_POOL = 1000  # [aks-quotas] a VMSS node pool; each GPU pool is one per region
MAX_NODES_PER_CLUSTER = 5000  # [aks-quotas] across all pools of one cluster
MAX_NODE_POOLS_PER_CLUSTER = 100  # [aks-quotas]
MAX_INT32 = 2**31 - 1  # [k8s-int32] Deployment replicas; Azure OpenAI deployment capacity

# What to change when a workload needs more than one pool can hold.
RELAXATION = (
    "lower traffic.peak_concurrency (or peak_requests_per_minute), or split the workload "
    "across environments or regions"
)


def aks_pool_limit(*, nodes_per_pool: int, replicas_per_region: int) -> str | None:
    """Why one region's GPU pool that may grow to ``nodes_per_pool`` nodes (its autoscaler
    ceiling, which ARM checks against the limit) running ``replicas_per_region`` vLLM replicas
    cannot be deployed, or None when AKS and Kubernetes accept it."""
    if nodes_per_pool > MAX_NODES_PER_POOL:
        return (
            f"needs a GPU pool of up to {nodes_per_pool:,} nodes; an AKS node pool holds at most "
            f"{MAX_NODES_PER_POOL:,} [aks-quotas]"
        )
    if replicas_per_region > MAX_INT32:
        return (
            f"needs {replicas_per_region:,} replicas; a Kubernetes Deployment holds at most "
            f"{MAX_INT32:,} (int32)"
        )
    return None


def deployment_capacity_limit(capacity: int | None, unit: str) -> str | None:
    """Why an Azure OpenAI deployment of ``capacity`` ``unit`` cannot be created (ARM's
    ``sku.capacity`` is int32), or None."""
    if capacity is not None and capacity > MAX_INT32:
        return (
            f"needs a deployment of {capacity:,} {unit}; Azure OpenAI's sku.capacity holds at "
            f"most {MAX_INT32:,} (int32)"
        )
    return None


def environment_limits(node_pools: Iterable[NodePool]) -> list[EnvironmentViolation]:
    """Why one environment's GPU pools cannot be deployed together, each reason once.

    Workloads on the same VM size share a region's pool (`sizing.deploy.node_pools`), so
    their autoscaler ceilings add up; each region's cluster holds its system pool and one pool
    per VM size.
    """
    ceilings: dict[str, dict[str, int]] = {}
    for pool in node_pools:
        ceilings.setdefault(pool.region, {})[pool.vm_sku] = pool.max_count
    reasons = []
    for region, pools in sorted(ceilings.items()):
        for sku, nodes in sorted(pools.items()):
            if nodes > MAX_NODES_PER_POOL:
                reasons.append(
                    EnvironmentViolation(
                        "pool-nodes",
                        f"the {sku} pool in {region} may grow to {nodes:,} nodes; an AKS node "
                        f"pool holds at most {MAX_NODES_PER_POOL:,} [aks-quotas]",
                        planned=nodes,
                        limit=MAX_NODES_PER_POOL,
                        region=region,
                        vm_sku=sku,
                    )
                )
        if len(pools) + 1 > MAX_NODE_POOLS_PER_CLUSTER:
            reasons.append(
                EnvironmentViolation(
                    "cluster-pools",
                    f"the cluster in {region} needs {len(pools) + 1} node pools; AKS allows "
                    f"{MAX_NODE_POOLS_PER_CLUSTER} [aks-quotas]",
                    planned=len(pools) + 1,
                    limit=MAX_NODE_POOLS_PER_CLUSTER,
                    region=region,
                )
            )
        if sum(pools.values()) > MAX_NODES_PER_CLUSTER:
            reasons.append(
                EnvironmentViolation(
                    "cluster-nodes",
                    f"the cluster in {region} may grow to {sum(pools.values()):,} GPU nodes; AKS "
                    f"allows {MAX_NODES_PER_CLUSTER:,} per cluster [aks-quotas]",
                    planned=sum(pools.values()),
                    limit=MAX_NODES_PER_CLUSTER,
                    region=region,
                )
            )
    return reasons
