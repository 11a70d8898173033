"""Self-hosted candidates: vLLM replicas on AKS GPU node pools.

For every GPU VM size, allowed precision and tensor-parallel degree (within one VM, dividing the
attention heads) the estimator finds how many concurrent requests one replica serves inside the
SLO; replicas, nodes, regions and cost follow. Per-replica capacity depends only on
(GPU type, precision, TP), so it is computed once and shared by every VM size of that GPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from inferplan.sizing.azure_limits import AZURE_LIMIT, aks_pool_limit
from inferplan.sizing.catalog import Catalog
from inferplan.sizing.catalog.entries import GpuSpec, ModelSpec, PrecisionSpec, VmSku
from inferplan.sizing.efficiency import EfficiencyFactors, default_efficiency
from inferplan.sizing.estimator import (
    Estimate,
    UnsupportedConfiguration,
    check_configuration,
    default_engine_limits,
    estimate,
)
from inferplan.sizing.memory import memory_fit
from inferplan.sizing.request import SizingRequest
from inferplan.sizing.topology import Topology, topology_for
from inferplan.sizing.vllm_args import GPU_MEMORY_UTILIZATION

HOURS_PER_MONTH = 730.0
HEADROOM = 0.15  # capacity above the stated peak, for bursts and uneven load balancing


@dataclass(frozen=True)
class ReplicaCapacity:
    """What one replica of (GPU, precision, TP) delivers for a workload's shape."""

    gpu: str
    precision: str
    tp: int
    fits_max_length: bool  # one max-length sequence fits in the KV cache
    concurrency: int  # most concurrent requests that still meet the SLO (0: none does)
    at_capacity: Estimate | None  # estimate at that concurrency
    at_one: Estimate | None  # estimate for a lone request: the best latency this config reaches
    reason: str | None = None  # why nothing meets the SLO

    @property
    def requests_per_minute(self) -> float:
        if self.at_capacity is None:
            return 0.0
        return 60.0 * self.concurrency / self.at_capacity.e2e_latency_s


@dataclass(frozen=True)
class AksCandidate:
    vm_sku: str
    gpu: str
    precision: str
    tp: int
    replicas_per_node: int
    replicas_per_region: int
    nodes_per_region: int
    regions: tuple[str, ...]
    zones: tuple[str, ...]
    topology: Topology
    capacity: ReplicaCapacity
    monthly_usd: float
    hourly_usd: float
    price_kind: str
    rejected_reason: str | None = None
    # Why it was rejected, as a kind: unsupported, memory, slo, region, availability, cost-cap.
    rejection_kind: str = ""

    @property
    def replicas(self) -> int:
        return self.replicas_per_region * len(self.regions)

    @property
    def nodes(self) -> int:
        return self.nodes_per_region * len(self.regions)


def meets_slo(est: Estimate, req: SizingRequest) -> bool:
    return (
        est.fits
        and math.isfinite(est.e2e_latency_s)
        and est.ttft_p95_ms <= req.ttft_p95_ms
        and est.tps_per_request >= req.output_tokens_per_second_p50
    )


def replica_capacity(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    req: SizingRequest,
    eff: EfficiencyFactors,
) -> ReplicaCapacity:
    """Largest concurrency meeting the SLO, by bisection (TTFT rises and tokens/s fall with it)."""
    limits = default_engine_limits(gpu=gpu)
    longest = memory_fit(
        model=model,
        gpu=gpu,
        precision=precision,
        tp=tp,
        input_tokens=req.max_input_tokens,
        output_tokens=req.max_output_tokens,
        gpu_memory_utilization=GPU_MEMORY_UTILIZATION,
        base_overhead_bytes=eff.base_overhead_bytes,
        max_num_batched_tokens=limits.max_num_batched_tokens,
        max_num_seqs=limits.max_num_seqs,
    )
    if not longest.fits:
        return ReplicaCapacity(
            gpu.id,
            precision.id,
            tp,
            False,
            0,
            None,
            None,
            f"a {req.max_model_len}-token sequence does not fit in {tp}x {gpu.id} "
            f"at {precision.id}",
        )

    def at(concurrency: int | None) -> Estimate:
        return estimate(
            model=model,
            gpu=gpu,
            precision=precision,
            tp=tp,
            input_tokens=req.avg_input_tokens,
            output_tokens=req.avg_output_tokens,
            concurrency=concurrency,
            arrival="poisson",
            eff=eff,
        )

    one = at(1)
    if not meets_slo(one, req):
        return ReplicaCapacity(
            gpu.id,
            precision.id,
            tp,
            True,
            0,
            None,
            one,
            f"a lone request gets TTFT p95 {one.ttft_p95_ms:.0f} ms and "
            f"{one.tps_per_request:.1f} tokens/s",
        )
    low, high = 1, max(one.max_concurrency, 1)
    best = one
    while low < high:
        mid = (low + high + 1) // 2
        est = at(mid)
        if meets_slo(est, req):
            low, best = mid, est
        else:
            high = mid - 1
    return ReplicaCapacity(gpu.id, precision.id, tp, True, low, best, one)


def tensor_parallel_options(*, model: ModelSpec, sku: VmSku) -> list[int]:
    """Powers of two up to the VM's GPUs that divide the attention heads."""
    options, tp = [], 1
    while tp <= sku.gpus:
        if model.attention_heads % tp == 0:
            options.append(tp)
        tp *= 2
    return options


def allowed_precisions(*, catalog: Catalog, req: SizingRequest) -> list[PrecisionSpec]:
    if req.precisions:
        return [catalog.precision(p) for p in req.precisions]
    return [catalog.precisions[p] for p in sorted(catalog.precisions)]


def replicas_for_load(*, capacity: ReplicaCapacity, req: SizingRequest) -> int:
    """Replicas for the peak concurrency and request rate, plus ``HEADROOM``."""
    need = math.ceil(req.peak_concurrency * (1 + HEADROOM) / capacity.concurrency)
    if req.peak_requests_per_minute:
        need = max(
            need,
            math.ceil(req.peak_requests_per_minute * (1 + HEADROOM) / capacity.requests_per_minute),
        )
    return max(need, 1)


def aks_candidates(
    *, catalog: Catalog, req: SizingRequest, eff: EfficiencyFactors | None = None
) -> list[AksCandidate]:
    """Every (VM size, precision, TP) candidate, feasible or with the reason it is not."""
    eff = eff or default_efficiency()
    model = catalog.model(req.model)
    capacity = lru_cache(maxsize=None)(
        lambda gpu_id, precision_id, tp: replica_capacity(
            model=model,
            gpu=catalog.gpu(gpu_id),
            precision=catalog.precision(precision_id),
            tp=tp,
            req=req,
            eff=eff,
        )
    )
    out: list[AksCandidate] = []
    for sku in sorted(catalog.vm_skus.values(), key=lambda s: s.name):
        if not sku.aks_supported or sku.gpus < 1:
            continue
        gpu = catalog.gpu(sku.gpu)
        regions = [r for r in req.regions if r in sku.regions and r in sku.prices]
        for precision in allowed_precisions(catalog=catalog, req=req):
            for tp in tensor_parallel_options(model=model, sku=sku):
                try:
                    check_configuration(model=model, gpu=gpu, precision=precision, tp=tp)
                except UnsupportedConfiguration as exc:
                    out.append(_rejected(sku, precision.id, tp, str(exc), "unsupported"))
                    continue
                if precision.needs_quantized_checkpoint and precision.id not in model.checkpoints:
                    reason = (
                        f"no {precision.id} checkpoint of {model.id} in the catalog "
                        f"(vLLM needs one quantized ahead of time; add it under checkpoints)"
                    )
                    out.append(_rejected(sku, precision.id, tp, reason, "unsupported"))
                    continue
                cap = capacity(gpu.id, precision.id, tp)
                out.append(_candidate(sku=sku, cap=cap, regions=regions, req=req, catalog=catalog))
    return out


def _rejected(
    sku: VmSku,
    precision: str,
    tp: int,
    reason: str,
    kind: str,
    cap: ReplicaCapacity | None = None,
) -> AksCandidate:
    """A candidate that cannot be deployed; keeps its capacity so relaxations can be found."""
    cap = cap or ReplicaCapacity(sku.gpu, precision, tp, False, 0, None, None, reason)
    return AksCandidate(
        vm_sku=sku.name,
        gpu=sku.gpu,
        precision=precision,
        tp=tp,
        replicas_per_node=0,
        replicas_per_region=0,
        nodes_per_region=0,
        regions=(),
        zones=(),
        topology=Topology(1, 0, False, 0.0),
        capacity=cap,
        monthly_usd=math.inf,
        hourly_usd=math.inf,
        price_kind="",
        rejected_reason=reason,
        rejection_kind=kind,
    )


def _candidate(
    *, sku: VmSku, cap: ReplicaCapacity, regions: list[str], req: SizingRequest, catalog: Catalog
) -> AksCandidate:
    if cap.concurrency < 1:
        kind = "slo" if cap.fits_max_length else "memory"
        return _rejected(
            sku, cap.precision, cap.tp, cap.reason or "does not meet the SLO", kind, cap
        )
    if not regions:
        return _rejected(
            sku,
            cap.precision,
            cap.tp,
            f"{sku.name} is not offered (with a known price) in {', '.join(req.regions)}",
            "region",
            cap,
        )
    primary = catalog.region(regions[0])
    zonal = sku.zonal and primary.availability_zones
    topo = topology_for(availability=req.availability, zonal=zonal)
    if topo.regions > len(regions):
        return _rejected(
            sku,
            cap.precision,
            cap.tp,
            f"availability {req.availability}% needs {topo.regions} regions; {sku.name} is "
            f"offered in {len(regions)} of the allowed ones",
            "availability",
            cap,
        )
    chosen = tuple(regions[: topo.regions])
    per_node = sku.gpus // cap.tp
    replicas = replicas_for_load(capacity=cap, req=req) + topo.spare_replicas
    if topo.zone_redundant:
        replicas = max(replicas, 2)
    nodes = math.ceil(replicas / per_node)
    # The pool's autoscaler may grow to twice the planned nodes (optimizer: max_nodes_per_region).
    if limit := aks_pool_limit(nodes_per_pool=2 * nodes, replicas_per_region=replicas):
        return _rejected(sku, cap.precision, cap.tp, limit, AZURE_LIMIT, cap)
    hourly = sum(sku.prices[r].usd_per_hour for r in chosen) * nodes
    price_kind = least_certain(sku.prices[r].kind for r in chosen)
    zones = ("1", "2", "3") if topo.zone_redundant else ()
    candidate = AksCandidate(
        vm_sku=sku.name,
        gpu=sku.gpu,
        precision=cap.precision,
        tp=cap.tp,
        replicas_per_node=per_node,
        replicas_per_region=replicas,
        nodes_per_region=nodes,
        regions=chosen,
        zones=zones,
        topology=topo,
        capacity=cap,
        monthly_usd=hourly * HOURS_PER_MONTH,
        hourly_usd=hourly,
        price_kind=price_kind,
    )
    if req.max_monthly_usd is not None and candidate.monthly_usd > req.max_monthly_usd:
        return replace(
            candidate,
            rejected_reason=(
                f"${candidate.monthly_usd:,.0f}/month exceeds the cost cap of "
                f"${req.max_monthly_usd:,.0f}"
            ),
            rejection_kind="cost-cap",
        )
    return candidate


PRICE_CERTAINTY = ("observed", "observed-third-party", "estimate")  # most to least certain


def least_certain(kinds) -> str:
    """A sum of prices is only as certain as its least certain part."""
    return max(kinds, key=PRICE_CERTAINTY.index, default="estimate")
