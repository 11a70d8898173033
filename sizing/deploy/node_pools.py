"""GPU node pools: one per region, VM size, MIG profile and priority (regular or spot), shared
by the workloads on it.

Workloads on the same VM size in a region share its pool, so the pool's node counts are their
sums and its autoscaler ceiling is what they may all grow to together (the figure AKS's
per-pool limit is checked against, `sizing.deploy.azure_limits`). The pool keeps the first
workload's zones and name (both follow from the VM size) and the largest OS disk any of them
needs. The system pool is described here too: its name and zones are the cluster's, not a
workload's.
"""

from __future__ import annotations

from collections.abc import Iterable

from sizing.deploy.packing import shared_node_pools
from sizing.plan import NodePool, PackedPool, WorkloadPlan

SYSTEM_POOL_NAME = "system"


def system_pool_zones(node_count: int) -> tuple[str, ...]:
    """Zones of the system pool: three nodes or more spread over zones 1-3; fewer are placed
    without zones."""
    return ("1", "2", "3") if node_count >= 3 else ()


def node_pools(
    workloads: Iterable[WorkloadPlan], packing: Iterable[PackedPool] = ()
) -> tuple[NodePool, ...]:
    """The GPU pools the feasible self-hosted ``workloads`` need, by region then VM size: the
    shared pools of ``packing`` (sizing/deploy/packing.py) for the workloads they carry, a pool
    per VM size for the rest."""
    packing = tuple(packing)
    packed = {(p.region, m.workload) for p in packing for m in p.members}
    users: dict[tuple[str, str, str, bool], list[WorkloadPlan]] = {}
    for w in workloads:
        if w.aks is None or not w.feasible:
            continue
        for region in w.regions:
            if (region, w.name) in packed:
                continue
            key = (region, w.aks.vm_sku, w.aks.gpu_instance_profile or "", w.aks.spot)
            users.setdefault(key, []).append(w)
    pools = []
    for (region, sku, _, _), sharing in sorted(users.items()):
        first = sharing[0].aks
        assert first is not None
        plans = [w.aks for w in sharing if w.aks is not None]
        pools.append(
            NodePool(
                region=region,
                name=first.pool_name,
                vm_sku=sku,
                node_count=sum(a.nodes_per_region for a in plans),
                min_count=sum(a.min_nodes_per_region for a in plans),
                max_count=sum(a.max_nodes_per_region for a in plans),
                zones=first.zones,
                workloads=tuple(sorted(w.name for w in sharing)),
                os_disk_size_gb=max(a.os_disk_size_gb for a in plans),
                vcpus_per_node=first.vm_vcpus,
                gpu_instance_profile=first.gpu_instance_profile,
                gpu_vendor=first.gpu_vendor,
                spot=first.spot,
            )
        )
    pools += shared_node_pools(packing)
    return tuple(sorted(pools, key=lambda p: (p.region, p.vm_sku, p.shared, p.name)))
