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
    """Why one region's GPU pool of ``nodes_per_pool`` nodes running ``replicas_per_region``
    vLLM replicas cannot be deployed, or None when AKS and Kubernetes accept it."""
    if nodes_per_pool > MAX_NODES_PER_POOL:
        return (
            f"needs {nodes_per_pool:,} nodes in one GPU pool; an AKS node pool holds at most "
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
