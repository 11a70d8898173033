"""Self-hosted candidates: vLLM replicas on AKS GPU node pools.

For every GPU VM size the workload's hardware choice allows, every allowed precision and every
tensor-parallel degree (within one VM, dividing the attention heads) the estimator finds how
many concurrent requests one replica serves inside the SLO; the availability ladder then gives
the regions and the spare capacity (a node, a zone, a region), and the environment's billed
hours give the cost. Per-replica capacity depends only on (GPU type, precision, TP), so it is
computed once and shared by every VM size of that GPU.

MIG slices (A100, H100, H200 pools with a ``gpuInstanceProfile``) are candidates of their own:
one instance per replica at tensor parallel 1, sized on the instance's memory and SM shares
(``sizing.performance.gpu_share.mig_slice``), and a node hosts its GPUs x instances per GPU
replicas. Profiles with one instance per GPU (MIG4g, MIG7g) are left out: a whole GPU serves
at least as much for the same node.

Where the environment allows spot pools (``spec.spot``), every placed candidate also has a spot
variant: the same replicas at the spot share of the price, its availability capped by evictions
and batch work sized on what evictions leave (``sizing.search.spot``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Literal

from sizing.catalog import Catalog
from sizing.catalog.entries import GpuSpec, ModelSpec, PrecisionSpec, VmSku
from sizing.catalog.measured_corrections import MeasuredCorrection, corrections_in_scope
from sizing.deploy.azure_limits import AZURE_LIMIT, aks_pool_limit
from sizing.deploy.container_images import image_catalog, planned_image, vllm_image_id
from sizing.deploy.model_weights import checkpoint_bytes, pinned_revision
from sizing.deploy.serving_resources import startup_budget
from sizing.deploy.vllm_args import GPU_MEMORY_UTILIZATION, hf_repository
from sizing.performance.capacity import SloTarget, capacity_at_slo, failing
from sizing.performance.efficiency import EfficiencyFactors, default_efficiency
from sizing.performance.estimator import (
    Estimate,
    UnsupportedConfiguration,
    check_configuration,
    default_engine_limits,
)
from sizing.performance.gpu_share import gpu_slice, vm_gpu
from sizing.performance.memory import memory_fit
from sizing.performance.model_support import ParallelLayout, parallel_layout, serving_rejection
from sizing.plan import CorrectionStatus, CorrectionUse
from sizing.search.decisions import MayBeRejected, Rejection, cost_cap_rejection
from sizing.search.hardware import hardware_rejection
from sizing.search.platform import platform_gap
from sizing.search.price_basis import committed_term
from sizing.search.request import SizingRequest
from sizing.search.simulated_capacity import SimulatedCheck, simulated_check, worse_estimate
from sizing.search.spot import SpotTerms, spot_terms
from sizing.search.topology import (
    AKS_LADDER,
    WHAT_REACHES_MORE,
    ZONES_PER_REGION,
    Spread,
    TopologyChoice,
    chain_target,
    placeable_rungs,
    spread_for,
)
from sizing.units import HOURS_PER_MONTH

Provenance = Literal["bound", "estimate", "simulated", "measured"]
HEADROOM = 0.15  # capacity above the stated peak, for bursts and uneven load balancing
PLANNED_ARRIVAL = "poisson"  # production traffic: random arrivals at the peak in flight
MAX_NODES_FACTOR = 2  # a GPU pool's autoscaler ceiling: twice the planned nodes


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
    # What stops one more concurrent request: ttft, itl, kv-memory or max-num-seqs.
    binding_constraint: str | None = None
    # How the figures at capacity were obtained: the fast model's ``estimate``, or
    # ``simulated`` where the simulation missed the SLO and the replica was sized on it.
    provenance: Provenance = "estimate"
    simulated: SimulatedCheck | None = None  # the planning-time simulation, once checked

    @property
    def requests_per_minute(self) -> float:
        if self.at_capacity is None:
            return 0.0
        return 60.0 * self.concurrency / self.at_capacity.e2e_latency_s


@dataclass(frozen=True)
class AksCandidate(MayBeRejected):
    """One (VM size, precision, TP) sized for the workload, or the reason it cannot be used.

    A candidate rejected before it could be placed has no ``spread`` and no cost; one placed
    but rejected (availability, cost cap) keeps both, so relaxations can name its price.
    """

    vm_sku: str
    gpu: str
    precision: str
    tp: int
    capacity: ReplicaCapacity
    regions: tuple[str, ...] = ()
    choice: TopologyChoice | None = None
    spread: Spread | None = None  # per region
    zones: int = 0  # availability zones each region's pool spans (0: the size is not zonal)
    replicas_per_node: int = 0
    hourly_usd: float = math.inf  # all nodes of all regions
    monthly_usd: float = math.inf  # at the environment's billed hours
    billed_hours_per_month: float = 0.0
    price_kind: str = ""
    rejections: tuple[Rejection, ...] = ()
    expert_parallel: bool = False  # experts placed whole on the GPUs (--enable-expert-parallel)
    correction: CorrectionUse | None = None  # a measured correction in scope, applied or not
    mig_profile: str | None = None  # the pool's gpuInstanceProfile: one MIG instance per replica
    spot: SpotTerms | None = None  # on an Azure Spot pool, with its price and eviction figures

    @property
    def replicas_per_region(self) -> int:
        return self.spread.replicas if self.spread else 0

    @property
    def nodes_per_region(self) -> int:
        return self.spread.nodes if self.spread else 0

    @property
    def replicas(self) -> int:
        return self.replicas_per_region * len(self.regions)

    @property
    def nodes(self) -> int:
        return self.nodes_per_region * len(self.regions)


def slo_target(req: SizingRequest) -> SloTarget:
    """The request's SLO as the capacity search reads it, percentile targets included."""
    return SloTarget(
        req.ttft_p95_ms,
        req.output_tokens_per_second_p50,
        ttft_ms_at=req.ttft_targets,
        itl_ms_at=req.itl_targets,
    )


def meets_slo(est: Estimate, req: SizingRequest) -> bool:
    return est.fits and math.isfinite(est.e2e_latency_s) and failing(est, slo_target(req)) is None


def replica_capacity(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    req: SizingRequest,
    eff: EfficiencyFactors,
) -> ReplicaCapacity:
    """Largest concurrency meeting the SLO: ``sizing.performance.capacity.capacity_at_slo``
    under the planned arrival process, after checking that one maximum-length sequence fits."""
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

    # Capacity at the SLO under Poisson arrivals (sizing.performance.capacity), the function that
    # `inferplan estimate --slo-ttft-p95-ms --slo-tps` prints.
    cap = capacity_at_slo(
        model=model,
        gpu=gpu,
        precision=precision,
        tp=tp,
        input_tokens=req.avg_input_tokens,
        output_tokens=req.avg_output_tokens,
        target=slo_target(req),
        arrival=PLANNED_ARRIVAL,
        eff=eff,
    )
    one = cap.at_one
    if cap.concurrency < 1:
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
            binding_constraint=cap.binding,
        )
    return ReplicaCapacity(
        gpu.id,
        precision.id,
        tp,
        True,
        cap.concurrency,
        cap.at_capacity,
        one,
        binding_constraint=cap.binding,
    )


def tensor_parallel_options(
    *, model: ModelSpec, sku: VmSku, precision: PrecisionSpec | None = None
) -> list[ParallelLayout]:
    """Powers of two up to the VM's GPUs that divide the attention heads, each with expert
    parallelism where the precision's checkpoint cannot be sliced across that many GPUs
    (`model_support.parallel_layout`)."""
    options, tp = [], 1
    while tp <= sku.gpus:
        if model.attention_heads % tp == 0:
            if precision is None:
                options.append(ParallelLayout(tp))
            else:
                options.append(parallel_layout(model=model, precision=precision, tp=tp))
        tp *= 2
    return options


def allowed_precisions(*, catalog: Catalog, req: SizingRequest) -> list[PrecisionSpec]:
    if req.precisions:
        return [catalog.precision(p) for p in req.precisions]
    return [catalog.precisions[p] for p in sorted(catalog.precisions)]


def replicas_for_load(
    *, capacity: ReplicaCapacity, req: SizingRequest, headroom: float = HEADROOM
) -> int:
    """Replicas for the peak concurrency and request rate, times ``1 + headroom``."""
    need = math.ceil(req.peak_concurrency * (1 + headroom) / capacity.concurrency)
    if req.peak_requests_per_minute:
        need = max(
            need,
            math.ceil(req.peak_requests_per_minute * (1 + headroom) / capacity.requests_per_minute),
        )
    return max(need, 1)


def aks_candidates(
    *, catalog: Catalog, req: SizingRequest, eff: EfficiencyFactors | None = None
) -> list[AksCandidate]:
    """Every (VM size, precision, TP) candidate, feasible or with the reason it is not."""
    eff = eff or default_efficiency()
    model = catalog.model(req.model)
    # share: (memory, compute) of one GPU a replica gets: a fractional VM's or a MIG instance's
    capacity = lru_cache(maxsize=None)(
        lambda gpu_id, share, precision_id, tp, step_time_ratio=1.0: replica_capacity(
            model=model,
            gpu=gpu_slice(catalog.gpu(gpu_id), *share),
            precision=catalog.precision(precision_id),
            tp=tp,
            req=req,
            eff=eff.replace(vllm_step_time_ratio=eff.vllm_step_time_ratio * step_time_ratio)
            if step_time_ratio != 1.0
            else eff,
        )
    )
    out: list[AksCandidate] = []
    for sku in sorted(catalog.vm_skus.values(), key=lambda s: s.name):
        if not sku.aks_supported or sku.gpus < 1:
            continue
        gpu = catalog.gpu(sku.gpu)
        # the vLLM build for the GPU's stack (CUDA, or ROCm on AMD), from the images catalog
        image_id = vllm_image_id(catalog, gpu)
        planned_vllm = planned_image(catalog, image_id)
        vllm_image = planned_vllm.upstream_reference
        vllm_entry = image_catalog(catalog).image(image_id)
        regions = [r for r in req.regions if r in sku.regions and r in sku.prices]
        gap = platform_gap(sku=sku, gpu=gpu, image=vllm_entry)
        unrunnable = gap.rejection() if gap is not None else None
        excluded = hardware_rejection(req.hardware, sku=sku, gpu=gpu) or unrunnable
        for precision in allowed_precisions(catalog=catalog, req=req):
            for layout in tensor_parallel_options(model=model, sku=sku, precision=precision):
                tp = layout.tp
                if excluded is not None:
                    out.append(_unplaced(sku, precision.id, tp, excluded))
                    continue
                try:
                    check_configuration(model=model, gpu=gpu, precision=precision, tp=tp)
                except UnsupportedConfiguration as exc:
                    out.append(_unplaced(sku, precision.id, tp, Rejection("unsupported", str(exc))))
                    continue
                serving = serving_rejection(
                    model=model, precision=precision, layout=layout, image=vllm_image
                )
                if serving is not None:
                    rejection = Rejection("unsupported", serving.message)
                    out.append(_unplaced(sku, precision.id, tp, rejection))
                    continue
                share = (sku.gpu_fraction, sku.gpu_fraction)
                cap = capacity(gpu.id, share, precision.id, tp)
                use = None
                scoped = corrections_in_scope(
                    catalog,
                    model=model.id,
                    vm_sku=sku.name,
                    precision=precision.id,
                    engine_version=planned_vllm.tag,
                )
                if scoped:
                    use, cap = _corrected(
                        scoped,
                        tp=tp,
                        uncorrected=cap,
                        capacity=partial(_at_fraction, capacity, share),
                    )
                candidate = _candidate(sku=sku, cap=cap, regions=regions, req=req, catalog=catalog)
                out.append(
                    replace(candidate, expert_parallel=layout.expert_parallel, correction=use)
                )
            if unrunnable is None and not sku.fractional:
                out.extend(
                    _mig_candidates(
                        sku=sku,
                        gpu=gpu,
                        precision=precision,
                        capacity=capacity,
                        regions=regions,
                        req=req,
                        catalog=catalog,
                        vllm_image=vllm_image,
                    )
                )
    if req.spot.allowed:
        out.extend(
            _spot_variant(c, req=req, catalog=catalog) for c in list(out) if c.spread is not None
        )
    return out


def _spot_terms_of(c: AksCandidate, *, req: SizingRequest, catalog: Catalog) -> SpotTerms | None:
    """The spot terms of ``c``'s size, with its replica's start-up after an eviction."""
    model, precision = catalog.model(req.model), catalog.precision(c.precision)
    size = checkpoint_bytes(model=model, precision=precision, catalog=catalog)
    # Staged where the checkpoint's revision is pinned (sizing/deploy/model_weights.py).
    staged = pinned_revision(hf_repository(model, precision), catalog=catalog) is not None
    startup = startup_budget(checkpoint_bytes=size, staged=staged)
    return spot_terms(catalog, c.vm_sku, startup_s=startup.budget_s)


def _spot_variant(c: AksCandidate, *, req: SizingRequest, catalog: Catalog) -> AksCandidate:
    """``c`` on a spot pool; unplaced with the reason where the catalog has no eviction figures."""
    sku = catalog.vm_sku(c.vm_sku)
    terms = _spot_terms_of(c, req=req, catalog=catalog)
    if terms is None:
        rejection = Rejection("unsupported", "the catalog has no spot eviction figures")
        return replace(_unplaced(sku, c.precision, c.tp, rejection, c.capacity), spot=None)
    regions = [r for r in req.regions if r in sku.regions and r in sku.prices]
    spot = _candidate(
        sku=sku,
        cap=c.capacity,
        regions=regions,
        req=req,
        catalog=catalog,
        replicas_per_node=c.replicas_per_node,
        spot=terms,
    )
    return replace(
        spot, mig_profile=c.mig_profile, expert_parallel=c.expert_parallel, correction=c.correction
    )


def _mig_candidates(
    *,
    sku: VmSku,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    capacity: Callable[..., ReplicaCapacity],
    regions: list[str],
    req: SizingRequest,
    catalog: Catalog,
    vllm_image: str,
) -> list[AksCandidate]:
    """One candidate per MIG profile of ``gpu`` with several instances per GPU: one instance
    per replica, tensor parallel 1, the node's GPUs x instances replicas per node."""
    model = catalog.model(req.model)
    out: list[AksCandidate] = []
    for profile in gpu.mig_profiles:
        if profile.instances_per_gpu < 2:
            continue
        excluded = hardware_rejection(req.hardware, sku=sku, gpu=gpu, mig=profile)
        if excluded is not None:
            out.append(
                replace(_unplaced(sku, precision.id, 1, excluded), mig_profile=profile.profile)
            )
            continue
        layout = parallel_layout(model=model, precision=precision, tp=1)
        try:
            check_configuration(model=model, gpu=gpu, precision=precision, tp=1)
        except UnsupportedConfiguration as exc:
            rejection = Rejection("unsupported", str(exc))
            out.append(
                replace(_unplaced(sku, precision.id, 1, rejection), mig_profile=profile.profile)
            )
            continue
        serving = serving_rejection(
            model=model, precision=precision, layout=layout, image=vllm_image
        )
        if serving is not None:
            rejection = Rejection("unsupported", serving.message)
            out.append(
                replace(_unplaced(sku, precision.id, 1, rejection), mig_profile=profile.profile)
            )
            continue
        share = (profile.memory_fraction, profile.compute_fraction)
        cap = capacity(gpu.id, share, precision.id, 1)
        candidate = _candidate(
            sku=sku,
            cap=cap,
            regions=regions,
            req=req,
            catalog=catalog,
            replicas_per_node=sku.gpus * profile.instances_per_gpu,
        )
        out.append(
            replace(candidate, mig_profile=profile.profile, expert_parallel=layout.expert_parallel)
        )
    return out


def simulation_checked(
    c: AksCandidate, *, req: SizingRequest, catalog: Catalog, eff: EfficiencyFactors | None
) -> AksCandidate:
    """The candidate with its replica simulated at the planned concurrency
    (``sizing.search.simulated_capacity``): unchanged figures when the simulation meets the
    SLO, else re-sized (replicas, nodes, cost) on the largest concurrency whose simulation
    does, with the worse of the two models' figures."""
    cap = c.capacity
    if cap.simulated is not None or cap.concurrency < 1:
        return c
    if c.correction is not None and c.correction.applied:
        # figures corrected by a measurement of this deployment: the measurement, not the
        # uncorrected simulator, is the better evidence (the simulator has no correction input)
        return c
    eff = eff or default_efficiency()
    # the GPU one replica sees: the VM's fraction or the MIG instance, as it was sized
    model, gpu = catalog.model(req.model), vm_gpu(catalog, c.vm_sku, c.mig_profile)
    precision = catalog.precision(c.precision)
    check = simulated_check(
        model=model, gpu=gpu, precision=precision, tp=c.tp, planned=cap.concurrency, req=req,
        eff=eff,
    )  # fmt: skip
    if check is None:
        return c
    if not check.resized:
        return replace(c, capacity=replace(cap, simulated=check))
    if check.kept < 1:
        resized = replace(
            cap,
            concurrency=0,
            at_capacity=None,
            reason=f"simulated ({check.requests} requests, seed {check.seed}), not even "
            f"one request per replica meets the SLO (at {check.planned}: TTFT p95 "
            f"{check.ttft_p95_ms:,.0f} ms, {check.preemptions} preemptions)",
            binding_constraint=check.binding,
            provenance="simulated",
            simulated=check,
        )
    else:
        worse = worse_estimate(
            check, model=model, gpu=gpu, precision=precision, tp=c.tp, req=req, eff=eff
        )
        resized = replace(
            cap,
            concurrency=check.kept,
            at_capacity=worse,
            binding_constraint=check.binding,
            provenance="simulated",
            simulated=check,
        )
    sku = catalog.vm_sku(c.vm_sku)
    regions = [r for r in req.regions if r in sku.regions and r in sku.prices]
    again = _candidate(
        sku=sku,
        cap=resized,
        regions=regions,
        req=req,
        catalog=catalog,
        replicas_per_node=c.replicas_per_node or None,
        spot=c.spot,
    )
    return replace(
        again, expert_parallel=c.expert_parallel, correction=c.correction, mig_profile=c.mig_profile
    )


def _at_fraction(capacity, share, gpu_id, precision_id, tp, step_time_ratio=1.0):
    """``capacity`` of a VM whose GPU share is ``share``, called as ``_corrected`` calls it."""
    return capacity(gpu_id, share, precision_id, tp, step_time_ratio)


def _corrected(
    scoped: list[MeasuredCorrection],
    *,
    tp: int,
    uncorrected: ReplicaCapacity,
    capacity: Callable[..., ReplicaCapacity],
) -> tuple[CorrectionUse, ReplicaCapacity]:
    """Apply the correction measured at this TP; one measured at another TP (an untested
    layout of the same model x VM size x precision x engine) applies only when it does not
    flip the candidate between meeting and missing the SLO, else it is reported, not applied."""
    exact = [c for c in scoped if c.scope.tensor_parallel == tp]
    chosen = exact[0] if exact else min(scoped, key=lambda c: abs(c.scope.tensor_parallel - tp))
    corrected = capacity(uncorrected.gpu, uncorrected.precision, tp, chosen.step_time_ratio)
    flips = (corrected.concurrency >= 1) != (uncorrected.concurrency >= 1)
    if exact:
        status: CorrectionStatus = "applied"
    elif flips:
        status = "withheld-flips-feasibility"
    else:
        status = "applied-untested-layout"
    use = CorrectionUse(
        id=chosen.id,
        status=status,
        step_time_ratio=chosen.step_time_ratio,
        measured_tensor_parallel=chosen.scope.tensor_parallel,
        measurements=chosen.measurements,
        concurrency_uncorrected=uncorrected.concurrency,
        concurrency_corrected=corrected.concurrency,
    )
    return use, (uncorrected if status == "withheld-flips-feasibility" else corrected)


def _unplaced(
    sku: VmSku,
    precision: str,
    tp: int,
    rejection: Rejection,
    cap: ReplicaCapacity | None = None,
) -> AksCandidate:
    """A candidate that cannot be placed; keeps its capacity so relaxations can be found."""
    cap = cap or ReplicaCapacity(sku.gpu, precision, tp, False, 0, None, None, rejection.message)
    return AksCandidate(
        vm_sku=sku.name,
        gpu=sku.gpu,
        precision=precision,
        tp=tp,
        capacity=cap,
        rejections=(rejection,),
    )


def _candidate(
    *,
    sku: VmSku,
    cap: ReplicaCapacity,
    regions: list[str],
    req: SizingRequest,
    catalog: Catalog,
    replicas_per_node: int | None = None,
    spot: SpotTerms | None = None,
) -> AksCandidate:
    if cap.concurrency < 1:
        kind = "slo" if cap.fits_max_length else "memory"
        message = cap.reason or "does not meet the SLO"
        return _unplaced(sku, cap.precision, cap.tp, Rejection(kind, message), cap)
    if not regions:
        message = f"{sku.name} is not offered (with a known price) in {', '.join(req.regions)}"
        return _unplaced(sku, cap.precision, cap.tp, Rejection("region", message), cap)
    primary = catalog.region(regions[0])
    zonal = sku.zonal and primary.availability_zones
    per_node = replicas_per_node or sku.gpus // cap.tp  # MIG: the node's instances
    load = req
    if spot is not None and req.batch is not None:  # evictions take node-hours from the day
        kept = 1.0 - spot.lost_share
        load = replace(
            req,
            peak_concurrency=math.ceil(req.peak_concurrency / kept),
            peak_requests_per_minute=(req.peak_requests_per_minute or 0.0) / kept or None,
        )
    peak = replicas_for_load(capacity=cap, req=load, headroom=0.0)
    with_headroom = replicas_for_load(capacity=cap, req=load)
    placeable = placeable_rungs(AKS_LADDER, regions_available=len(regions), zonal=zonal)
    # What the chain can carry: the required figure, or less where the gateway caps it.
    target = chain_target(req.availability, req.gateway)
    cap_of = spot.availability_cap if spot is not None else math.inf
    reaching = [t for t in placeable if min(t.planned_availability, cap_of) >= target]
    # The cheapest rung that reaches the target; at equal cost the more available one (a zone
    # spread often costs no more nodes than a spare node). None reaching: the highest one.
    rungs = reaching or [max(placeable, key=lambda t: t.planned_availability)]
    sized = []
    for rung in rungs:
        spread = spread_for(
            spare=rung.spare,
            replicas_per_node=per_node,
            replicas_for_peak=peak,
            replicas_for_headroom=with_headroom,
        )
        hourly = sum(sku.prices[r].usd_per_hour for r in regions[: rung.regions]) * spread.nodes
        sized.append((round(hourly, 6), -rung.planned_availability, rung, spread, hourly))
    _, _, topology, spread, hourly = min(sized, key=lambda s: (s[0], s[1]))
    # The pool's autoscaler may grow to MAX_NODES_FACTOR x the planned nodes; ARM checks that.
    limit = aks_pool_limit(
        nodes_per_pool=MAX_NODES_FACTOR * spread.nodes, replicas_per_region=spread.replicas
    )
    if limit is not None:
        return _unplaced(sku, cap.precision, cap.tp, Rejection(AZURE_LIMIT, limit), cap)
    choice = TopologyChoice(
        topology,
        req.availability,
        req.accept_availability,
        req.gateway,
        eviction_cap=spot.availability_cap if spot is not None else None,
    )
    chosen = tuple(regions[: topology.regions])
    hours = req.schedule.billed_hours_per_month
    # Spot bills the hours a node runs, at its share; a commitment every hour, at its share.
    committed = committed_term(catalog, sku.name, req.pricing) if spot is None else spot.price
    if spot is not None:
        hourly = hourly * spot.price.ratio
    elif committed is not None:
        hourly, hours = hourly * committed.ratio, HOURS_PER_MONTH
    monthly = hourly * hours
    candidate = AksCandidate(
        vm_sku=sku.name,
        gpu=sku.gpu,
        precision=cap.precision,
        tp=cap.tp,
        capacity=cap,
        regions=chosen,
        choice=choice,
        spread=spread,
        replicas_per_node=per_node,
        hourly_usd=hourly,
        monthly_usd=monthly,
        billed_hours_per_month=hours,
        price_kind=least_certain(
            [*(sku.prices[r].kind for r in chosen), *([committed.kind] if committed else [])]
        ),
        # A zonal size always spans the region's zones, whatever the spare: the pool's zones
        # are fixed when it is created, so they must not flip as the load changes.
        zones=ZONES_PER_REGION if zonal else 0,
        spot=spot,
    )
    floor = req.spot.min_availability
    if spot is not None and floor is not None and choice.planned < floor:
        below_floor = Rejection(
            "availability",
            f"on spot, {spot.describe()}; below the environment's spot.min_availability {floor:g}%",
            (("required", floor), ("reachable", choice.planned)),
        )
        return replace(candidate, rejections=(below_floor,))
    if not choice.acceptable:
        rejection: Rejection | None = Rejection(
            "availability",
            f"availability {req.availability:g}% needs "
            + (
                f"regular (not spot) nodes: {spot.describe()}"
                if spot is not None
                and spot.availability_cap < chain_target(req.availability, req.gateway)
                else f"{WHAT_REACHES_MORE}; the environment's gateway caps the chain"
                if choice.gateway_caps
                else _what_it_needs(
                    req.availability, zonal=zonal, regions=len(regions), sku=sku.name
                )
            )
            + f"; {choice.planned:g}% is reachable",
            (("required", req.availability), ("reachable", choice.planned)),
        )
    else:
        rejection = cost_cap_rejection(monthly, req.max_monthly_usd)
    if rejection is None:
        return candidate
    return replace(candidate, rejections=(rejection,))


def _what_it_needs(required: float, *, zonal: bool, regions: int, sku: str) -> str:
    """What the rungs that reach ``required`` need and this candidate lacks, in words."""
    reaching = [t for t in AKS_LADDER if t.planned_availability >= required]
    if not reaching:
        return f"more than inferplan plans for (at most {AKS_LADDER[-1].planned_availability:g}%)"
    needs: list[tuple[str, ...]] = []
    for rung in reaching:
        missing = []
        if rung.regions > regions:
            missing.append(f"{rung.regions} allowed regions offering {sku} ({regions} do)")
        if rung.spare == "zone" and not zonal:
            missing.append(f"availability zones ({sku} is not zonal in the first region)")
        needs.append(tuple(missing))
    # Only the smallest sets of what is missing: a rung needing more of the same says nothing new.
    minimal = [n for n in needs if n and not any(set(o) < set(n) for o in needs if o)]
    return " or ".join(dict.fromkeys(" and ".join(n) for n in minimal))


PRICE_CERTAINTY = ("observed", "observed-third-party", "estimate")  # most to least certain


def least_certain(kinds) -> str:
    """A sum of prices is only as certain as its least certain part."""
    return max(kinds, key=PRICE_CERTAINTY.index, default="estimate")
