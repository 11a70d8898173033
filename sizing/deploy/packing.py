"""Packing: self-hosted workloads of one environment on shared GPU pools where that is cheaper.

The search sizes each workload alone, on a pool of its own VM size: a team with six small
workloads gets six pools, each rounded up to whole nodes and each with its own spare node. This
step runs after it, per environment and region. Workloads whose replicas run on the same GPU
type (so a replica serves the same load on any VM size carrying that GPU: the performance model
depends only on GPU, precision and tensor parallel, ``sizing.search.self_hosted``) may share one
pool of a VM size with that GPU, when that costs less than their own pools.

What is kept, and checked:

* **Whole GPUs, the same load.** Each replica keeps its GPUs (``nvidia.com/gpu`` is a
  whole-GPU resource; nodes are shared, never a GPU) and so its per-replica capacity. Its own
  pool rounded replicas up to whole nodes and a spare node of them; on a shared pool a workload
  gets the replicas its peak with headroom needs, plus what keeps its peak after the loss
  below. A fractional VM (less than one GPU) has nothing to share and is left alone.
* **Region, residency, schedule.** Only workloads planned in the same region share a pool, so
  residency holds as planned; only workloads billed the same hours (the same batch window, or
  none) share one, so the shared nodes run when each of them does. A zone-spare workload needs a
  zonal shared size.
* **The failure domain.** A shared node holds replicas of several workloads, so a node loss
  takes out replicas of each. The Deployments spread each workload's replicas evenly (topology
  spread, at most one apart per node and per zone, ``DoNotSchedule``), so the worst node holds
  ``ceil(R / N)`` of a workload's ``R`` replicas. (Kubernetes API, TopologySpreadConstraint
  ``maxSkew``: with ``DoNotSchedule`` it is "the maximum permitted difference between the
  number of matching pods in the target topology and the global minimum", the global minimum
  taken over eligible domains; as the pulumi-kubernetes 4.34.2 SDK documents it, read
  2026-12-08. A node full of other workloads still counts, which is why ``_place`` keeps each
  workload at most one apart on every node.) Each workload whose rung spares a node (a
  zone) must keep, after losing the worst node (zone), the replicas its peak needs, as its
  own pool did; a shared pool of one node cannot, so it is never offered for those.
* **An even placement exists**: replicas are placed per node, each workload evenly, GPUs,
  CPU and memory within the node (``placement``), before any pool is offered.
* **Cheaper, at the environment's price basis**: the members' own pools against the shared
  one, both at what the environment pays (a commitment bills every hour). Not cheaper, no pool.

Within a region and GPU, the whole group is tried first; when no shared pool is cheaper (or
none keeps availability), the member that fills its own nodes best (the least to gain) leaves
the group and the rest are tried again, down to two. Every order is by name: same inputs,
same pools.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from sizing.catalog import Catalog
from sizing.catalog.entries import VmSku
from sizing.deploy.serving_resources import (
    GIB,
    NODE_IMAGE_BYTES,
    NODE_SHARE_FOR_PODS,
    OS_DISK_MAX_GB,
    OS_DISK_MIN_GB,
    OS_DISK_STEP_GB,
    VLLM_IMAGE_BYTES,
    replica_resources,
)
from sizing.plan import (
    AksPlan,
    NodePool,
    PackedPool,
    PackedWorkload,
    PackingDeclined,
    PackingDeclinedKind,
    SpareKind,
    WorkloadPlan,
)
from sizing.search.hardware import hardware_rejection
from sizing.search.price_basis import committed_term
from sizing.search.request import HardwareChoice
from sizing.search.topology import ZONES_PER_REGION
from sizing.units import HOURS_PER_MONTH

AGENT_POOL_NAME_MAX = 12
SHARED_PREFIX = "sh"
MAX_NODES_FACTOR = 2  # the shared pool's autoscaler ceiling, as for a workload's own pool


def shared_pool_name(vm_sku: str) -> str:
    """``sh`` + the size (``nc80adis``) + a hash, 12 characters: never a workload's own pool
    name (``sizing.deploy.pool_names``), so an opted-out workload of the same size keeps its
    pool beside the shared one."""
    size = vm_sku.removeprefix("Standard_").split("_")[0].lower()
    size = re.sub(r"[^a-z0-9]", "", size)[:6]
    digest = hashlib.sha256(f"shared:{vm_sku}".encode()).hexdigest()
    head = f"{SHARED_PREFIX}{size}"
    return f"{head}{digest[: AGENT_POOL_NAME_MAX - len(head)]}"


@dataclass(frozen=True)
class _Member:
    """A workload in one region, as packing reads it."""

    plan: WorkloadPlan
    region: str
    own_sku: VmSku
    own_monthly_usd: float
    spare: SpareKind
    peak: int  # replicas the peak needs (what must remain after a loss)
    headroom: int  # replicas the peak with headroom needs

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def own_replicas(self) -> int:
        assert self.plan.aks is not None
        return self.plan.aks.replicas_per_region

    def replicas_on(self, nodes: int, zones: int) -> int | None:
        """Fewest replicas that carry the headroom load and, spread evenly over ``nodes``
        (and ``zones``), keep the peak after losing the worst node (zone); None: none do."""
        domains = zones if self.spare == "zone" else nodes
        replicas = max(self.headroom, 1)
        if self.spare == "none":
            return replicas
        if domains < 2:
            return None
        while replicas - math.ceil(replicas / domains) < self.peak:
            replicas += 1
        return replicas

    @property
    def gpus(self) -> int:
        assert self.plan.aks is not None
        return self.plan.aks.gpus_per_replica

    @property
    def own_nodes(self) -> int:
        assert self.plan.aks is not None
        return self.plan.aks.nodes_per_region

    @property
    def fill(self) -> float:
        """Share of its own nodes' GPUs its headroom load uses: 1 leaves nothing to gain."""
        return self.headroom * self.gpus / (self.own_nodes * self.own_sku.gpus)


@dataclass(frozen=True)
class PackingResult:
    pools: tuple[PackedPool, ...]
    declined: tuple[PackingDeclined, ...]


def _spare(plan: WorkloadPlan) -> SpareKind:
    survives = plan.availability.survives if plan.availability else ()
    if "zone" in survives:
        return "zone"
    if "node" in survives:
        return "node"
    return "none"


def _monthly(
    catalog: Catalog, sku: VmSku, region: str, nodes: int, *, hours: float, pricing: str
) -> float:
    """``nodes`` of ``sku`` a month at the environment's price basis."""
    hourly = sku.prices[region].usd_per_hour * nodes
    committed = committed_term(catalog, sku.name, pricing)
    if committed is not None:  # a commitment bills every hour at its share
        return hourly * committed.ratio * HOURS_PER_MONTH
    return hourly * hours


def _place(
    members: list[_Member], replicas: list[int], sku: VmSku, nodes: int, zones: int
) -> tuple[tuple[int, ...], ...] | None:
    """Replicas per node (rows: nodes; columns: ``members``), each workload even over nodes and
    zones (at most one apart), within each node's GPUs, CPU and memory; None when none is
    found. Nodes ``i`` sit in zone ``i % zones``. Larger replicas go first; each replica goes
    to the node holding fewest of its workload, then its zone's fewest, then the fullest node
    that fits (best fit), then the lowest index."""
    free = [sku.gpus] * nodes
    cpu = [sku.vcpus * NODE_SHARE_FOR_PODS] * nodes
    memory = [sku.memory_bytes * NODE_SHARE_FOR_PODS] * nodes
    counts = [[0] * len(members) for _ in range(nodes)]
    order = sorted(range(len(members)), key=lambda j: (-members[j].gpus, members[j].name))
    for j in order:
        m = members[j]
        res = replica_resources(
            gpus=m.gpus,
            vm_gpus=sku.gpus,
            vm_vcpus=sku.vcpus,
            vm_memory_bytes=sku.memory_bytes,
            checkpoint_bytes=_checkpoint(m),
        )
        per_zone = [0] * max(zones, 1)
        for _ in range(replicas[j]):
            fits = [
                i
                for i in range(nodes)
                if free[i] >= m.gpus
                and cpu[i] >= res.cpu_request_cores
                and memory[i] >= res.memory_bytes
            ]
            if not fits:
                return None
            i = min(
                fits,
                key=lambda i: (counts[i][j], per_zone[i % max(zones, 1)], free[i], i),
            )
            counts[i][j] += 1
            per_zone[i % max(zones, 1)] += 1
            free[i] -= m.gpus
            cpu[i] -= res.cpu_request_cores
            memory[i] -= res.memory_bytes
        column = [counts[i][j] for i in range(nodes)]
        if max(column) - min(column) > 1:  # the hostname spread would not allow it
            return None
        if zones and max(per_zone) - min(per_zone) > 1:
            return None
    return tuple(tuple(row) for row in counts)


def _checkpoint(m: _Member) -> int:
    assert m.plan.aks is not None
    return m.plan.aks.checkpoint_bytes


def after_loss(
    placement: tuple[tuple[int, ...], ...], column: int, *, spare: SpareKind, zones: int
) -> int:
    """Replicas of workload ``column`` left after the worst node (zone spare: the worst zone)
    of ``placement`` is lost."""
    counts = [row[column] for row in placement]
    total = sum(counts)
    if spare == "zone" and zones:
        per_zone = [
            sum(counts[i] for i in range(len(counts)) if i % zones == z) for z in range(zones)
        ]
        return total - max(per_zone)
    return total - max(counts, default=0)


def _os_disk_gb(members: list[_Member], sku: VmSku) -> int:
    """Node image, vLLM image and, per GPU, the largest per-GPU share of a replica's checkpoint
    cache and /tmp: a bound whatever mix of workloads the scheduler puts on a node."""
    per_gpu = 0.0
    for m in members:
        res = replica_resources(
            gpus=m.gpus,
            vm_gpus=sku.gpus,
            vm_vcpus=sku.vcpus,
            vm_memory_bytes=sku.memory_bytes,
            checkpoint_bytes=_checkpoint(m),
        )
        per_gpu = max(per_gpu, (res.model_cache_bytes + res.tmp_bytes) / m.gpus)
    needed = NODE_IMAGE_BYTES + VLLM_IMAGE_BYTES + sku.gpus * per_gpu
    gb = math.ceil(needed / GIB / OS_DISK_STEP_GB) * OS_DISK_STEP_GB
    return min(max(gb, OS_DISK_MIN_GB), OS_DISK_MAX_GB)


def _targets(
    members: list[_Member], *, region: str, catalog: Catalog, hardware: Mapping[str, HardwareChoice]
) -> list[VmSku]:
    """VM sizes that can carry every member: the members' GPU, whole GPUs, enough of them per
    node for the largest replica, offered with a price in the region, the same host and driver,
    allowed by every member's hardware choice."""
    first = members[0].own_sku
    gpu = catalog.gpu(first.gpu)
    out = []
    for sku in sorted(catalog.vm_skus.values(), key=lambda s: s.name):
        if (
            sku.gpu != first.gpu
            or not sku.aks_supported
            or sku.gpu_fraction < 1
            or sku.gpus < max(m.gpus for m in members)
            or region not in sku.regions
            or region not in sku.prices
            or sku.host_architecture != first.host_architecture
            or sku.gpu_driver != first.gpu_driver
        ):
            continue
        if any(
            hardware_rejection(hardware.get(m.name, HardwareChoice()), sku=sku, gpu=gpu)
            for m in members
        ):
            continue
        out.append(sku)
    return out


@dataclass(frozen=True)
class _Try:
    pool: PackedPool | None
    why: PackingDeclinedKind
    detail: str


def _try_pack(
    members: list[_Member],
    *,
    region: str,
    catalog: Catalog,
    hardware: Mapping[str, HardwareChoice],
    pricing: str,
    hours: float,
) -> _Try:
    """The cheapest shared pool for all of ``members`` that keeps each one's availability, if it
    costs less than their own pools."""
    before = sum(m.own_monthly_usd for m in members)
    nodes_before = sum(m.own_nodes for m in members)
    zonal_region = bool(catalog.region(region).availability_zones)
    best: tuple[tuple[float, int, str], PackedPool] | None = None
    availability_blocked = False
    for sku in _targets(members, region=region, catalog=catalog, hardware=hardware):
        zones = ZONES_PER_REGION if sku.zonal and zonal_region else 0
        if any(m.spare == "zone" for m in members) and not zones:
            availability_blocked = True
            continue
        gpus_needed = sum(max(m.headroom, 1) * m.gpus for m in members)
        low = max(math.ceil(gpus_needed / sku.gpus), 1)
        for nodes in range(low, nodes_before + 1):
            if any(m.spare == "zone" for m in members) and nodes % zones:
                continue
            monthly = _monthly(catalog, sku, region, nodes, hours=hours, pricing=pricing)
            if round(monthly, 2) >= round(before, 2):
                break  # more nodes only cost more
            counts = [m.replicas_on(nodes, zones) for m in members]
            if any(c is None for c in counts):
                availability_blocked = True
                continue
            replicas = [c for c in counts if c is not None]
            placement = _place(members, replicas, sku, nodes, zones)
            if placement is None:
                continue
            left = [
                after_loss(placement, j, spare=m.spare, zones=zones) for j, m in enumerate(members)
            ]
            if any(
                m.spare != "none" and kept < m.peak for m, kept in zip(members, left, strict=True)
            ):
                availability_blocked = True
                continue
            pool = _pool(
                members,
                replicas=replicas,
                sku=sku,
                region=region,
                nodes=nodes,
                zones=zones,
                placement=placement,
                left=left,
                before=before,
                nodes_before=nodes_before,
                monthly=monthly,
                pricing=pricing,
            )
            key = (round(monthly, 2), nodes, sku.name)
            if best is None or key < best[0]:
                best = (key, pool)
            break
    if best is not None:
        return _Try(best[1], "not-cheaper", "")
    if availability_blocked:
        return _Try(
            None,
            "availability",
            "no shared pool cheaper than their own keeps every workload's replicas after "
            "losing a node (or zone)",
        )
    return _Try(None, "not-cheaper", f"no shared pool costs less than ${before:,.0f}/month")


def _pool(
    members: list[_Member],
    *,
    replicas: list[int],
    sku: VmSku,
    region: str,
    nodes: int,
    zones: int,
    placement: tuple[tuple[int, ...], ...],
    left: list[int],
    before: float,
    nodes_before: int,
    monthly: float,
    pricing: str,
) -> PackedPool:
    packed = []
    for m, count, kept in zip(members, replicas, left, strict=True):
        packed.append(
            PackedWorkload(
                workload=m.name,
                own_vm_sku=m.own_sku.name,
                own_nodes=m.own_nodes,
                own_replicas=m.own_replicas,
                own_monthly_usd=m.own_monthly_usd,
                replicas=count,
                gpus_per_replica=m.gpus,
                spare=m.spare,
                replicas_needed_after_loss=m.peak if m.spare != "none" else 0,
                replicas_after_loss=kept,
                max_replicas=MAX_NODES_FACTOR * count,
                resources=replica_resources(
                    gpus=m.gpus,
                    vm_gpus=sku.gpus,
                    vm_vcpus=sku.vcpus,
                    vm_memory_bytes=sku.memory_bytes,
                    checkpoint_bytes=_checkpoint(m),
                ),
            )
        )
    # The pool's ceiling: twice its nodes, or what every member at its KEDA ceiling needs.
    ceiling = sum(
        MAX_NODES_FACTOR * count * m.gpus for m, count in zip(members, replicas, strict=True)
    )
    scales_to_zero = all(m.plan.aks and m.plan.aks.min_nodes_per_region == 0 for m in members)
    return PackedPool(
        region=region,
        name=shared_pool_name(sku.name),
        vm_sku=sku.name,
        gpus_per_node=sku.gpus,
        zones=tuple(str(z) for z in range(1, zones + 1)),
        nodes_before=nodes_before,
        nodes=nodes,
        monthly_usd_before=before,
        monthly_usd=monthly,
        members=tuple(packed),
        placement=placement,
        min_count=0 if scales_to_zero else nodes,
        max_count=max(MAX_NODES_FACTOR * nodes, math.ceil(ceiling / sku.gpus)),
        os_disk_size_gb=_os_disk_gb(members, sku),
        vcpus_per_node=sku.vcpus,
        price_basis=pricing,
    )


def _own_pool_settings(aks: AksPlan) -> tuple[PackingDeclinedKind, str] | None:
    """Why a replica's pool settings keep it on its own pool: a shared pool is an on-demand,
    whole-GPU NVIDIA pool."""
    if aks.gpu_instance_profile is not None:
        return "mig-slice", f"MIG pool ({aks.gpu_instance_profile}): one profile per pool"
    if aks.spot:
        return "spot", "spot pool: evicted replicas must not take on-demand neighbours' nodes"
    if aks.gpu_vendor != "nvidia":
        return "gpu-vendor", f"{aks.gpu_vendor} GPUs: shared pools run NVIDIA's device plugin"
    return None


def pack(
    workloads: Iterable[WorkloadPlan],
    *,
    catalog: Catalog,
    hardware: Mapping[str, HardwareChoice],
    pricing: str = "on-demand",
    enabled: bool = True,
) -> PackingResult:
    """The shared pools of one environment's ``workloads`` and the self-hosted workloads left
    on their own pools, with why. ``hardware``: each workload's hardware choice (its
    ``share_nodes`` opts it out); ``enabled`` False (the environment's ``hardware.share_nodes:
    false``) packs nothing."""
    if not enabled:
        return PackingResult((), ())
    declined: list[PackingDeclined] = []
    groups: dict[tuple, list[_Member]] = {}
    for w in sorted(workloads, key=lambda w: w.name):
        aks = w.aks
        if aks is None or not w.feasible or w.cost is None:
            continue
        sku = catalog.vm_sku(aks.vm_sku)
        for region in w.regions:
            if not hardware.get(w.name, HardwareChoice()).share_nodes:
                declined.append(
                    PackingDeclined(w.name, region, "opted-out", "hardware.share_nodes: false")
                )
                continue
            if region not in sku.prices:
                continue  # no price to compare with: its own pool stays
            if sku.gpu_fraction < 1:
                declined.append(
                    PackingDeclined(
                        w.name, region, "whole-node", f"{sku.name} has less than one GPU"
                    )
                )
                continue
            own = _own_pool_settings(aks)
            if own is not None:
                declined.append(PackingDeclined(w.name, region, *own))
                continue
            member = _Member(
                plan=w,
                region=region,
                own_sku=sku,
                own_monthly_usd=_monthly(
                    catalog,
                    sku,
                    region,
                    aks.nodes_per_region,
                    hours=w.cost.hours_per_month,
                    pricing=pricing,
                ),
                spare=_spare(w),
                # Plans made before these were recorded: the replicas as planned.
                peak=aks.replicas_for_peak or aks.replicas_after_loss or aks.replicas_per_region,
                headroom=aks.replicas_for_headroom or aks.replicas_per_region,
            )
            key = (region, sku.gpu, aks.window, w.cost.hours_per_month)
            groups.setdefault(key, []).append(member)
    pools: list[PackedPool] = []
    for key in sorted(groups, key=repr):
        members = groups[key]
        if len(members) < 2:
            continue
        region, hours = key[0], key[3]
        result = _Try(None, "not-cheaper", "")
        while len(members) >= 2:
            result = _try_pack(
                members,
                region=region,
                catalog=catalog,
                hardware=hardware,
                pricing=pricing,
                hours=hours,
            )
            if result.pool is not None:
                break
            least = max(members, key=lambda m: (m.fill, m.name))
            declined.append(PackingDeclined(least.name, region, result.why, result.detail))
            members = [m for m in members if m is not least]
        if result.pool is not None:
            pools.append(result.pool)
        else:
            declined += [
                PackingDeclined(m.name, region, result.why, result.detail) for m in members
            ]
    pools.sort(key=lambda p: (p.region, p.vm_sku, p.name))
    declined.sort(key=lambda d: (d.region, d.workload))
    return PackingResult(tuple(pools), tuple(declined))


def shared_node_pools(packed: Iterable[PackedPool]) -> tuple[NodePool, ...]:
    """Each shared pool as the ``NodePool`` its cluster creates."""
    return tuple(
        NodePool(
            region=p.region,
            name=p.name,
            vm_sku=p.vm_sku,
            node_count=p.nodes,
            min_count=p.min_count,
            max_count=p.max_count,
            zones=p.zones,
            workloads=tuple(sorted(m.workload for m in p.members)),
            os_disk_size_gb=p.os_disk_size_gb,
            vcpus_per_node=p.vcpus_per_node,
            shared=True,
        )
        for p in packed
    )


def placed_workload(
    workload: WorkloadPlan, *, region: str, packing: Iterable[PackedPool]
) -> WorkloadPlan:
    """``workload`` as it runs in ``region``: on its shared pool where packed (that pool's VM
    size, name, zones and the replica's share of its nodes), else unchanged."""
    aks = workload.aks
    pool = next(
        (p for p in packing if p.region == region and p.member(workload.name) is not None), None
    )
    if aks is None or pool is None:
        return workload
    member = pool.member(workload.name)
    assert member is not None
    scaling = aks.autoscaling
    return replace(
        workload,
        aks=replace(
            aks,
            replicas=aks.replicas - aks.replicas_per_region + member.replicas,
            replicas_per_region=member.replicas,
            replicas_per_node=pool.gpus_per_node // member.gpus_per_replica,
            replicas_after_loss=member.replicas_after_loss if member.spare != "none" else None,
            autoscaling=replace(
                scaling,
                min_replicas=member.replicas if scaling.min_replicas else 0,
                max_replicas=member.max_replicas or max(scaling.max_replicas, member.replicas),
                fallback_replicas=member.replicas,
                working_hours_replicas=member.replicas
                if scaling.working_hours_replicas is not None
                else None,
            ),
            vm_sku=pool.vm_sku,
            pool_name=pool.name,
            zones=pool.zones,
            resources=member.resources,
            vm_gpus=pool.gpus_per_node,
            vm_vcpus=pool.vcpus_per_node,
            os_disk_size_gb=pool.os_disk_size_gb,
        ),
    )
