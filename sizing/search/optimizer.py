"""Choose the cheapest Azure deployment that meets a workload's SLO, and say why.

Candidates come from both targets the workload allows: Azure OpenAI deployment types
(``sizing.azure_openai.options``) and vLLM on AKS GPU pools (``sizing.search.self_hosted``). Every
candidate is judged with every fact the request carries (billed hours, cost cap, hardware,
availability); infeasible ones keep a typed `Rejection`. The cheapest feasible one wins, ties
broken by region preference, then by a fixed order of names, so the same inputs always give
the same plan. ``plan_workload`` returns the finished plan: nothing later adjusts it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sizing.azure_openai.lifecycle import model_verdict
from sizing.azure_openai.options import azure_openai_options
from sizing.catalog import Catalog
from sizing.catalog.entries import ModelSpec
from sizing.deploy import azure_limits
from sizing.deploy.autoscaling import autoscaling, scaled_to_zero
from sizing.deploy.azure_limits import AZURE_LIMIT
from sizing.deploy.container_images import planned_image, vllm_image_id
from sizing.deploy.gateway_resilience import gateway_backends
from sizing.deploy.gpu_platform import gpu_platform
from sizing.deploy.model_weights import checkpoint_bytes as replica_checkpoint_bytes
from sizing.deploy.model_weights import (
    gated_model_warnings,
    pinned_revision,
    repository_gated,
    weights_staging,
)
from sizing.deploy.pool_names import agent_pool_name
from sizing.deploy.serving_limits import (
    gateway_limits,
    implied_concurrency,
    peak_requests_per_minute,
    vllm_alerts,
)
from sizing.deploy.serving_resources import (
    node_os_disk_gb,
    replica_resources,
    startup_budget,
    startup_reason,
)
from sizing.deploy.vllm_args import GPU_MEMORY_UTILIZATION, VLLM_PORT, hf_repository, vllm_args
from sizing.deploy.working_hours import batch_window, off_hours_answer, wake_hours
from sizing.performance.efficiency import EfficiencyFactors
from sizing.performance.model_support import experts_sliceable
from sizing.plan import (
    AksPlan,
    Alternative,
    Availability,
    Candidate,
    CandidateFigures,
    Cost,
    PercentilePrediction,
    PlanWarning,
    Predicted,
    WorkloadPlan,
)
from sizing.search.option import Option
from sizing.search.price_basis import commitment_reason
from sizing.search.request import SizingRequest
from sizing.search.self_hosted import (
    HEADROOM,
    MAX_NODES_FACTOR,
    AksCandidate,
    ReplicaCapacity,
    aks_candidates,
    simulation_checked,
)
from sizing.search.simulated_capacity import SIMULATION_TOLERANCE
from sizing.search.topology import accepted_reason
from sizing.search.warnings import aks_warnings, shared_warnings
from sizing.search.workload_facts import shared_fields
from sizing.units import HOURS_PER_MONTH

MAX_ALTERNATIVES = 6
BINDING_WORDS = {  # ReplicaCapacity.binding_constraint, for the reasons
    "ttft": "the TTFT p95 target",
    "itl": "the tokens/s target (inter-token latency)",
    "kv-memory": "the KV cache",
    "max-num-seqs": "max_num_seqs",
}
QUANTIZED = ("int8", "int4")  # weight formats that trade accuracy for memory and cost


@dataclass(frozen=True)
class Search:
    """A workload's finished plan and every candidate considered, best-ranked first (the plan
    keeps them too, as plain data: ``WorkloadPlan.candidates``)."""

    plan: WorkloadPlan
    candidates: tuple[Option, ...]


def targets_for(model: ModelSpec, req: SizingRequest) -> list[str]:
    managed = model.hosting in ("managed", "both")
    open_weights = model.hosting in ("open", "both") and model.task == "chat"
    allowed = {"azure-openai": managed, "aks-vllm": open_weights}
    if req.deployment != "auto":
        return [req.deployment] if allowed[req.deployment] else []
    return [t for t in ("azure-openai", "aks-vllm") if allowed[t]]


def plan_workload(
    req: SizingRequest, *, catalog: Catalog, eff: EfficiencyFactors | None = None
) -> WorkloadPlan:
    """The finished plan of one workload: the cheapest feasible candidate, or why none is."""
    return search_workload(req, catalog=catalog, eff=eff).plan


def search_workload(
    req: SizingRequest, *, catalog: Catalog, eff: EfficiencyFactors | None = None
) -> Search:
    """Every candidate of every allowed target, ranked once, and the plan of the best one; the
    plan keeps the ranked candidates (``WorkloadPlan.candidates``) for whoever lists them."""
    search = _search(req, catalog=catalog, eff=eff)
    return replace(search, plan=replace(search.plan, candidates=kept_candidates(search.candidates)))


def kept_candidates(ranked: Sequence[Option]) -> tuple[Candidate, ...]:
    """The ranked options as the plan keeps them: ranks from 1, the first feasible one chosen
    (the one the plan is built from)."""
    chosen = next((i for i, o in enumerate(ranked) if o.feasible), None)
    return tuple(o.candidate(index + 1, chosen=index == chosen) for index, o in enumerate(ranked))


def _search(req: SizingRequest, *, catalog: Catalog, eff: EfficiencyFactors | None) -> Search:
    model = catalog.model(req.model)
    options: list[Option] = []
    aks: dict[int, AksCandidate] = {}  # id of an option -> the self-hosted candidate it is
    withheld: list[PlanWarning] = []
    for target in targets_for(model, req):
        if target == "aks-vllm":
            candidates = aks_candidates(catalog=catalog, req=req, eff=eff)
            for c in candidates:
                option = _aks_option(c, req=req, model=model, catalog=catalog)
                aks[id(option)] = c
                options.append(option)
            withheld += correction_withheld_warnings(candidates)
        else:
            options += azure_openai_options(req=req, model=model, catalog=catalog)
    ranked = _simulation_checked(options, aks, req=req, model=model, catalog=catalog, eff=eff)
    if not ranked:
        reason = (
            f"no deployment target can serve {model.id} "
            f"(deployment: {req.deployment}, model hosting: {model.hosting})"
        )
        return Search(_infeasible(req, model, reason, None, ()), ranked)
    feasible = [o for o in ranked if o.feasible]
    if not feasible:
        reason, nearest = _nearest_relaxation(req, model, ranked, catalog)
        return Search(_infeasible(req, model, reason, nearest, _alternatives(ranked, None)), ranked)
    best = feasible[0]
    assert best.build is not None
    chosen = best.build()
    alternatives = _alternatives(ranked, best)
    reasons = list(chosen.reasons)
    runner = next((a for a in alternatives if a.kind == "runner-up"), None)
    if runner is not None:
        reasons.append(f"Runner-up: {runner.summary}, which {runner.reason}.")
    warnings = (*chosen.warnings, *shared_warnings(chosen, req), *withheld)
    plan = replace(
        chosen, alternatives=alternatives, reasons=tuple(reasons), warnings=tuple(warnings)
    )
    return Search(plan, ranked)


SIMULATED_OPTIONS = 2  # the best-ranked feasible options simulated: the choice and runner-up
MAX_CHECK_ROUNDS = 6  # re-rankings after a re-sized candidate drops out of the lead


def _simulation_checked(
    options: list[Option],
    aks: dict[int, AksCandidate],
    *,
    req: SizingRequest,
    model: ModelSpec,
    catalog: Catalog,
    eff: EfficiencyFactors | None,
) -> tuple[Option, ...]:
    """Rank the options with the chosen and the runner-up self-hosted replicas simulated at
    their planned concurrency (``self_hosted.simulation_checked``): one the simulation re-sizes
    costs more and may lose its place, so the ranking is redone until the leading
    ``SIMULATED_OPTIONS`` feasible ones are all checked."""
    checked: set[int] = set()
    ranked = tuple(sorted(options, key=Option.sort_key))
    for _ in range(MAX_CHECK_ROUNDS):
        lead = [o for o in ranked if o.feasible][:SIMULATED_OPTIONS]
        todo = [o for o in lead if id(o) in aks and id(o) not in checked]
        if not todo:
            break
        for o in todo:
            c = simulation_checked(aks[id(o)], req=req, catalog=catalog, eff=eff)
            again = _aks_option(c, req=req, model=model, catalog=catalog)
            aks[id(again)] = c
            checked.add(id(again))
            options[next(i for i, x in enumerate(options) if x is o)] = again
        ranked = tuple(sorted(options, key=Option.sort_key))
    return ranked


def correction_withheld_warnings(candidates: Sequence[AksCandidate]) -> list[PlanWarning]:
    """A measured correction that would flip an untested layout between meeting and missing
    the SLO is not applied; the plan says so, so nobody mistakes silence for agreement."""
    out = []
    for c in candidates:
        use = c.correction
        if use is None or use.applied:
            continue
        out.append(
            PlanWarning(
                "correction-withheld",
                f"measured correction {use.id} (step time x{use.step_time_ratio:.2f}, measured "
                f"at tensor parallel {use.measured_tensor_parallel}) would change {c.vm_sku} "
                f"{c.precision} TP {c.tp} from {use.concurrency_uncorrected} to "
                f"{use.concurrency_corrected} concurrent requests per replica inside the SLO; "
                "that layout was not measured, so the correction is not applied to it: "
                "measure it with `inferplan verify` first.",
            )
        )
    return out


def _alternatives(ranked: Sequence[Option], best: Option | None) -> tuple[Alternative, ...]:
    """Runners-up that meet the SLO (dearer), then the best of those rejected, one per kind."""
    out: list[Alternative] = []
    seen: set[str] = set()
    for o in ranked:
        if o is best or not o.feasible or o.summary in seen:
            continue
        extra = o.monthly_usd - (best.monthly_usd if best else 0.0)
        verdict = (
            f"costs ${extra:,.0f}/month more"
            if extra >= 0.5
            else "costs the same; ranked later (region preference, narrower data scope, name)"
        )
        out.append(Alternative(o.target, o.summary, o.monthly_usd, verdict))
        seen.add(o.summary)
        if len(out) >= MAX_ALTERNATIVES // 2:
            break
    kinds_seen: set[str] = set()
    for o in ranked:
        if o.rejection is None or o.summary in seen or o.rejection.kind in kinds_seen:
            continue
        kinds_seen.add(o.rejection.kind)
        cost = o.monthly_usd if math.isfinite(o.monthly_usd) else None
        out.append(Alternative(o.target, o.summary, cost, o.rejection.message, o.rejection.kind))
        if len(out) >= MAX_ALTERNATIVES:
            break
    return tuple(out)


def _nearest_relaxation(
    req: SizingRequest, model: ModelSpec, ranked: Sequence[Option], catalog: Catalog
) -> tuple[str, str | None]:
    """Why nothing is feasible, and the smallest change to the workload that would fix it."""

    def of_kind(kind: str) -> list[Option]:
        return [o for o in ranked if o.rejection is not None and o.rejection.kind == kind]

    gone = of_kind("retired") + of_kind("deprecated")
    if gone:
        return (gone[0].rejected_reason or "", model_relaxation(model, catalog))

    over_cap = of_kind("cost-cap")
    if over_cap:
        cheapest = min(over_cap, key=Option.sort_key)
        return (
            f"no configuration meets the SLO within the cost cap of ${req.max_monthly_usd:,.0f}",
            f"cheapest meeting the SLO: {cheapest.summary} at ${cheapest.monthly_usd:,.0f}/month",
        )
    limited = [o for o in ranked if o.rejection_kind == AZURE_LIMIT]
    if limited:
        first = limited[0]
        return (f"{first.summary} {first.rejected_reason}", azure_limits.RELAXATION)
    short = [o for o in of_kind("availability") if math.isfinite(o.monthly_usd)]
    if short:
        reach = max(o.rejection.figure("reachable") or 0.0 for o in short)
        best = min(
            (o for o in short if o.rejection.figure("reachable") == reach), key=Option.sort_key
        )
        return (
            f"availability {req.availability:g}% is not reachable for {model.id} in the allowed "
            f"regions: {best.rejection.message}",
            f"{reach:g}% is reachable at ${best.monthly_usd:,.0f}/month with {best.summary}; "
            f"set slo.accept_availability: {reach:g} to accept it, or allow more regions",
        )
    placed = [o for o in ranked if o.meets_slo and o.rejection_kind in ("region", "availability")]
    if placed:
        first = placed[0]
        return (
            f"configurations meet the SLO but cannot be placed: {first.summary}: "
            f"{first.rejected_reason}",
            "allow more regions in residency.regions"
            if first.rejection_kind == "region"
            else "add a region to residency.regions or lower slo.availability",
        )
    latency = [o for o in ranked if o.best_latency is not None]
    if latency:
        fastest = min(latency, key=lambda o: (o.best_latency[0], o.sort_key()))
        ttft = fastest.best_latency[0]
        if ttft > req.ttft_p95_ms:
            return (
                f"TTFT {req.ttft_p95_ms:g} ms is not reachable for {model.id}; best found "
                f"{ttft:.0f} ms on {fastest.summary}",
                f"relax slo.ttft_p95_ms to {math.ceil(ttft / 10) * 10} or shorten prompts",
            )
        in_time = [o for o in latency if o.best_latency[0] <= req.ttft_p95_ms]
        quickest = max(in_time, key=lambda o: o.best_latency[1])  # ties: the cheaper, first
        tps = quickest.best_latency[1]
        return (
            f"{req.output_tokens_per_second_p50:g} tokens/s per request is not reachable for "
            f"{model.id}; best found {tps:.1f} tokens/s on {quickest.summary}",
            f"relax slo.output_tokens_per_second_p50 to {math.floor(tps)}",
        )
    eligible = [o for o in ranked if o.rejection is not None and o.rejection.kind not in _EXCLUDED]
    if eligible:
        residency = any(o.rejection_kind == "residency" for o in ranked)
        return _eligible_binding(req, model, eligible, residency=residency)
    first = ranked[0]
    return (first.rejected_reason or "no feasible configuration", None)


def model_relaxation(model: ModelSpec, catalog: Catalog) -> str:
    """The nearest relaxation of a workload whose Azure OpenAI model no new deployment can get:
    the deployable replacement the catalog names (`lifecycle.model_verdict`)."""
    verdict = model_verdict(catalog, model.id)
    if verdict is None or verdict.use is None:
        return "choose a model the Azure OpenAI catalog lists as deployable"
    return f"set spec.model: {verdict.use} (the current deployable model of the same tier)"


# Kinds that rule a candidate out before its speed or size is asked: the residency of a Global
# type, an offer the model lacks. Naming one of them as the reason hides what binds the rest.
_EXCLUDED = frozenset({"residency", "offer", "region", "hardware", "unsupported"})


def _eligible_binding(
    req: SizingRequest, model: ModelSpec, eligible: Sequence[Option], *, residency: bool
) -> tuple[str, str | None]:
    """What binds among the candidates residency and the offers allow (Azure OpenAI types
    with predicted figures but no `best_latency`), and the change that would admit one."""
    among = " with the deployment types residency allows" if residency else ""
    slo = [o for o in eligible if o.rejection is not None and o.rejection.kind == "slo"]
    ttfts = [o for o in slo if o.figures.ttft_p95_ms is not None]
    if ttfts:
        fastest = min(ttfts, key=lambda o: (o.figures.ttft_p95_ms, o.sort_key()))
        ttft = float(fastest.figures.ttft_p95_ms or 0.0)
        if ttft > req.ttft_p95_ms:
            return (
                f"TTFT {req.ttft_p95_ms:g} ms is not reachable for {model.id}{among}; best "
                f"found {ttft:.0f} ms on {fastest.summary}",
                f"relax slo.ttft_p95_ms to {math.ceil(ttft / 10) * 10}",
            )
    speeds = [o for o in slo if o.figures.tps_per_request is not None]
    if speeds:
        quickest = max(speeds, key=lambda o: (o.figures.tps_per_request or 0.0, -o.monthly_usd))
        tps = float(quickest.figures.tps_per_request or 0.0)
        return (
            f"{req.output_tokens_per_second_p50:g} tokens/s per request is not reachable for "
            f"{model.id}{among}; best found {tps:.1f} tokens/s on {quickest.summary}",
            f"relax slo.output_tokens_per_second_p50 to {math.floor(tps)}",
        )
    first = eligible[0]
    relaxation = {
        "quota": "request a quota increase, or lower traffic.peak_requests_per_minute",
        "context": "shorten context.max_input_tokens or context.max_output_tokens",
    }.get(first.rejection_kind)
    return (f"{first.summary}: {first.rejected_reason}", relaxation)


def _infeasible(
    req: SizingRequest,
    model: ModelSpec,
    reason: str,
    nearest: str | None,
    alternatives: tuple[Alternative, ...],
) -> WorkloadPlan:
    return WorkloadPlan(
        **shared_fields(req, model),
        feasible=False,
        target=None,
        regions=(),
        predicted=None,
        cost=None,
        reasons=(reason,),
        alternatives=alternatives,
        gateway=gateway_limits(req, peak_rpm=peak_requests_per_minute(req)),
        alerts=(),
        availability=None,
        infeasible_reason=reason,
        nearest_relaxation=nearest,
    )


def _aks_summary(c: AksCandidate) -> str:
    where = f"{c.vm_sku}, spot" if c.spot is not None else c.vm_sku
    if c.mig_profile is not None:
        return f"1x {c.gpu} {c.mig_profile} slice {c.precision} ({where})"
    return f"{c.tp}x {c.gpu} {c.precision} ({where})"


def _aks_option(
    c: AksCandidate, *, req: SizingRequest, model: ModelSpec, catalog: Catalog
) -> Option:
    region_rank = req.regions.index(c.regions[0]) if c.regions else len(req.regions)
    one = c.capacity.at_one
    at = c.capacity.at_capacity or one
    return Option(
        target="aks-vllm",
        summary=_aks_summary(c),
        monthly_usd=c.monthly_usd,
        region_rank=region_rank,
        # at equal cost a whole GPU beats a MIG slice of it: the same nodes, more headroom
        preference=1 if c.mig_profile is not None else 0,
        rejections=c.rejections,
        build=(lambda: _aks_plan(c, req=req, model=model, catalog=catalog))
        if c.rejection is None
        else None,
        best_latency=(one.ttft_p95_ms, one.tps_per_request) if one is not None else None,
        meets_slo=c.capacity.concurrency >= 1,
        figures=CandidateFigures(
            ttft_p95_ms=at.ttft_p95_ms if at else None,
            itl_ms=at.itl_ms if at else None,
            tps_per_request=at.tps_per_request if at else None,
            concurrency_per_replica=c.capacity.concurrency or None,
            replicas=c.replicas or None,
            nodes=c.nodes or None,
            gpus=c.nodes * catalog.vm_sku(c.vm_sku).gpus if c.nodes else None,
            regions=c.regions,
            planned_availability=c.choice.planned if c.choice else None,
        ),
    )


def _aks_plan(
    c: AksCandidate, *, req: SizingRequest, model: ModelSpec, catalog: Catalog
) -> WorkloadPlan:
    cap = c.capacity
    vm = catalog.vm_sku(c.vm_sku)
    est = cap.at_capacity
    assert est is not None and c.spread is not None and c.choice is not None
    topology = c.choice.topology
    precision = catalog.precision(c.precision)
    peak_rpm = peak_requests_per_minute(req, e2e_latency_s=est.e2e_latency_s)
    out_tokens_per_s = peak_rpm * req.avg_output_tokens / 60.0
    per_million = c.hourly_usd / (out_tokens_per_s * 3600.0) * 1e6 if out_tokens_per_s else 0.0
    repository = hf_repository(model, precision)
    revision = pinned_revision(repository, catalog=catalog)
    staging = weights_staging(repository, revision)
    args = vllm_args(
        model=model,
        precision=precision,
        revision=revision,
        local_dir=staging.local_dir if staging else None,
        tp=c.tp,
        max_model_len=req.max_model_len,
        max_num_seqs=cap.concurrency,
        served_model_name=req.name,
        max_num_batched_tokens=est.max_num_batched_tokens,
        expert_parallel=c.expert_parallel,
    )
    schedule = req.schedule
    hours = c.billed_hours_per_month
    download_bytes = replica_checkpoint_bytes(model=model, precision=precision, catalog=catalog)
    mig = catalog.gpu(c.gpu).mig_profile(c.mig_profile) if c.mig_profile else None
    resources = replica_resources(
        gpus=c.tp,
        # a MIG replica's share of the node is one of its instances
        vm_gpus=c.replicas_per_node if mig else vm.gpus,
        vm_vcpus=vm.vcpus,
        vm_memory_bytes=vm.memory_bytes,
        checkpoint_bytes=download_bytes,
    )
    vllm_image = planned_image(catalog, vllm_image_id(catalog, catalog.gpu(c.gpu)))
    reasons = [
        f"{model.id} at {c.precision} needs {_weights_gib(cap):.0f} GiB of weights per GPU at "
        f"tensor parallel {c.tp} on {c.gpu}; the KV cache then holds {est.max_concurrency} "
        f"sequences of {req.avg_input_tokens}+{req.avg_output_tokens} tokens.",
        f"One replica serves {cap.concurrency} concurrent requests inside the SLO "
        f"(TTFT p95 {est.ttft_p95_ms:.0f} ms <= {req.ttft_p95_ms:g} ms, "
        f"{est.tps_per_request:.1f} >= {req.output_tokens_per_second_p50:g} tokens/s per request)"
        f" under {est.arrival} arrivals of {req.avg_input_tokens}+{req.avg_output_tokens}-token "
        f"requests; one more is stopped by {BINDING_WORDS.get(cap.binding_constraint or '', '-')}.",
        f"Peak {req.peak_concurrency} concurrent requests"
        + (
            f" and {req.peak_requests_per_minute:g} requests/min"
            if req.peak_requests_per_minute
            else ""
        )
        + f" plus {HEADROOM:.0%} headroom; availability {req.availability:g}% takes "
        f"{c.choice.describe()}.",
        f"{c.replicas_per_node} replica(s) per {c.vm_sku} node ("
        + (
            f"one MIG {mig.name} instance each: {mig.instances_per_gpu} per GPU, "
            f"{mig.memory_fraction:.3g} of its memory and {mig.compute_fraction:.3g} of its SMs"
            if mig
            else f"{c.tp} of its GPUs each"
        )
        + "): "
        f"{c.nodes_per_region} node(s) per region in {', '.join(c.regions)}"
        + (
            f", {c.spread.nodes_per_zone} in each of {c.spread.zones} zones"
            if c.spread.zones
            else (f", spread over {c.zones} zones" if c.zones else "")
        )
        + (
            f"; after losing a {topology.spare}, {c.spread.replicas_after_loss} replicas serve "
            f"{c.spread.replicas_after_loss * cap.concurrency} concurrent requests "
            f">= the peak of {req.peak_concurrency}."
            if topology.spare != "none"
            else "."
        ),
        f"Cost: {c.nodes} node(s) x ${c.hourly_usd / max(c.nodes, 1):,.2f}/h x {hours:.1f} h = "
        f"${c.monthly_usd:,.0f}/month ({c.price_kind} prices).",
    ]
    if c.correction is not None and c.correction.applied:
        use = c.correction
        layout = (
            "measured at this layout"
            if use.status == "applied"
            else f"measured at tensor parallel {use.measured_tensor_parallel}; meeting the SLO "
            "is unchanged"
        )
        reasons.append(
            f"Measured correction {use.id} applied ({layout}): step time x"
            f"{use.step_time_ratio:.2f}, {use.concurrency_uncorrected} -> "
            f"{use.concurrency_corrected} concurrent requests per replica; from "
            f"{', '.join(use.measurements)}."
        )
    if c.spot is not None:
        reasons.append(
            f"Spot nodes (environment {req.environment} allows spot): {c.spot.describe()}."
            + (
                f" The day's batch work is sized on the {1 - c.spot.lost_share:.2%} of each "
                "node's hours that evictions leave."
                if req.batch is not None
                else ""
            )
        )
    else:
        reasons.append(
            commitment_reason(
                catalog=catalog,
                vm_sku=c.vm_sku,
                nodes=c.nodes,
                hourly_usd=c.hourly_usd,
                billed_hours=req.schedule.billed_hours_per_month,
                price_kind=c.price_kind,
                pricing=req.pricing,
            )
        )
    if c.expert_parallel:
        sliced = experts_sliceable(model=model, precision=precision, tp=c.tp)
        reasons.append(
            f"Experts are placed whole on the {c.tp} GPUs (vLLM --enable-expert-parallel): "
            f"{sliced or ''}."
        )
    if schedule.scale_to_zero:
        reasons.append(
            f"Environment {req.environment} runs self-hosted workloads {schedule.description} "
            f"and scales them and their GPU nodes to zero outside: billed {hours:.1f} of "
            f"{HOURS_PER_MONTH:g} hours, ${c.monthly_usd:,.0f}/month."
        )
    if not c.choice.meets_required:
        reasons.append(accepted_reason(c.choice))
    if req.batch is not None:
        reasons.append(req.batch.headroom_reason())
    warnings: list[PlanWarning] = []
    implied = implied_concurrency(req, e2e_latency_s=est.e2e_latency_s)
    if implied is not None and implied > req.peak_concurrency * 1.1:
        warnings.append(
            PlanWarning(
                "traffic",
                f"{req.peak_requests_per_minute:g} requests/min at {est.e2e_latency_s:.1f} s each "
                f"means about {implied:.0f} requests in flight, more than the stated peak "
                f"concurrency of {req.peak_concurrency}; sized for the larger.",
            )
        )
    if precision.id in QUANTIZED and req.precision_auto:
        warnings.append(
            PlanWarning(
                "quantized",
                f"precision: auto chose {precision.id} weights, the cheapest that meets the SLO; "
                "quantized weights can lose accuracy, so pin precision (e.g. [bf16, fp8]) where "
                "answer quality matters.",
            )
        )
    percentiles = tuple(
        PercentilePrediction("ttft", p, est.ttft_at_ms(p), ms) for p, ms in req.ttft_targets
    ) + tuple(PercentilePrediction("itl", p, est.itl_at_ms(p), ms) for p, ms in req.itl_targets)
    if percentiles:
        reasons.insert(
            2,
            "At the stated percentiles: "
            + "; ".join(
                f"{x.metric.upper()} p{x.percentile} {x.predicted_ms:,.1f} ms <= {x.target_ms:g} ms"
                for x in percentiles
            )
            + ".",
        )
    check = cap.simulated
    if check is not None and check.resized:
        reasons.insert(
            2,
            f"Simulated at the fast model's {check.planned} per replica ({check.requests} "
            f"Poisson requests, seed {check.seed}): TTFT p95 {check.ttft_p95_ms:,.0f} ms, "
            f"{check.tps_per_request_p50:.1f} tokens/s per request (median), "
            f"{check.preemptions} preemptions, KV cache peak {check.peak_kv_share:.0%}; sized "
            f"on the simulation instead: {check.kept} per replica.",
        )
        warnings.append(
            PlanWarning(
                "simulation",
                f"the fast load model planned {check.planned} requests per replica, but the "
                f"simulation at that load misses the SLO by more than "
                f"{SIMULATION_TOLERANCE:.0%} (TTFT p95 {check.ttft_p95_ms:,.0f} ms, "
                f"{check.preemptions} preemptions); sized on the simulation: {check.kept} "
                "per replica.",
            )
        )
    startup = startup_budget(checkpoint_bytes=download_bytes, staged=staging is not None)
    reasons.append(startup_reason(startup, staged=staging is not None))
    load_replicas = c.replicas_per_region
    plan = WorkloadPlan(
        **shared_fields(req, model),
        feasible=True,
        target="aks-vllm",
        regions=c.regions,
        predicted=Predicted(
            ttft_p95_ms=est.ttft_p95_ms,
            tps_per_request=est.tps_per_request,
            max_concurrency=cap.concurrency * load_replicas,
            itl_ms=est.itl_ms,
            concurrency_per_replica=cap.concurrency,
            binding_constraint=cap.binding_constraint,
            arrival=est.arrival,
            length_mix=f"fixed {req.avg_input_tokens}+{req.avg_output_tokens} tokens",
            provenance=cap.provenance,
            percentiles=percentiles,
            correction=c.correction,
        ),
        cost=Cost(
            monthly_usd=c.monthly_usd,
            per_million_output_tokens_usd=per_million,
            price_kind=c.price_kind,
            hours_per_month=hours,
        ),
        reasons=tuple(reasons),
        alternatives=(),
        gateway=gateway_limits(req, peak_rpm=peak_rpm),
        alerts=tuple(vllm_alerts(req, concurrency_per_replica=cap.concurrency)),
        availability=Availability(
            required=req.availability,
            planned=c.choice.planned,
            topology=c.choice.describe(),
            survives=c.choice.survives,
            accepted=req.accept_availability if not c.choice.meets_required else None,
        ),
        aks=AksPlan(
            vm_sku=c.vm_sku,
            gpu=c.gpu,
            gpus_per_replica=c.tp,
            tensor_parallel=c.tp,
            precision=c.precision,
            replicas=c.replicas,
            replicas_per_node=c.replicas_per_node,
            nodes=c.nodes,
            zones=tuple(str(z) for z in range(1, c.zones + 1)),
            vllm_args=args,
            replicas_per_region=c.replicas_per_region,
            nodes_per_region=c.nodes_per_region,
            min_nodes_per_region=c.nodes_per_region,
            max_nodes_per_region=c.nodes_per_region * MAX_NODES_FACTOR,
            hf_model=repository,
            hf_revision=revision,
            weights=staging,
            max_model_len=req.max_model_len,
            max_num_seqs=cap.concurrency,
            gpu_memory_utilization=GPU_MEMORY_UTILIZATION,
            image=vllm_image.upstream_reference,
            checkpoint_bytes=download_bytes,
            vm_vcpus=vm.vcpus,
            vm_memory_bytes=vm.memory_bytes,
            vm_gpus=vm.gpus,
            port=VLLM_PORT,
            pool_name=agent_pool_name(c.vm_sku, c.mig_profile, spot=c.spot is not None),
            container_image=vllm_image,
            resources=resources,
            startup=startup,
            autoscaling=autoscaling(
                replicas_per_region=c.replicas_per_region,
                replicas_per_node=c.replicas_per_node,
                max_nodes_per_region=c.nodes_per_region * MAX_NODES_FACTOR,
                concurrency_per_replica=cap.concurrency,
            ),
            os_disk_size_gb=node_os_disk_gb(
                replicas_per_node=c.replicas_per_node, resources=resources
            ),
            hf_gated=repository_gated(repository, catalog=catalog, model=model),
            nodes_per_zone=c.spread.nodes_per_zone or None,
            replicas_after_loss=c.spread.replicas_after_loss if topology.spare != "none" else None,
            window=batch_window(req.batch) if req.batch else None,
            expert_parallel=c.expert_parallel,
            replicas_for_peak=c.spread.replicas_for_peak,
            replicas_for_headroom=c.spread.replicas_for_headroom,
            gpu_instance_profile=c.mig_profile,
            mig_instance=mig.name if mig else None,
            gpu_vendor=gpu_platform(vm.gpu_driver).vendor.value,
            spot=c.spot is not None,
        ),
        gateway_backends=gateway_backends(
            backends=len(c.regions), peak_requests_per_minute=peak_rpm
        ),
        warnings=(*warnings, *gated_model_warnings(repository, catalog=catalog, model=model)),
    )
    if schedule.scale_to_zero and plan.aks is not None:
        wake = (
            wake_hours(schedule, startup_s=plan.aks.startup.budget_s)
            if schedule.end_cron and req.batch is None
            else None
        )
        plan = replace(plan, aks=scaled_to_zero(plan.aks, wake))
        if wake is not None:
            answer = off_hours_answer(schedule, startup_s=plan.aks.startup.budget_s)
            scaling = replace(plan.aks.autoscaling, off_hours=answer)
            plan = replace(plan, aks=replace(plan.aks, autoscaling=scaling))
        if wake is not None and plan.availability is not None:
            # Outside the working hours there is no replica: the figure holds inside them.
            plan = replace(
                plan,
                availability=replace(
                    plan.availability,
                    topology=f"{plan.availability.topology}; within working hours only "
                    f"({schedule.description}), replicas started at cron "
                    f"'{wake.start_cron}', a start-up budget ahead",
                ),
            )
    return replace(plan, warnings=(*plan.warnings, *aks_warnings(plan, req)))


def _weights_gib(cap: ReplicaCapacity) -> float:
    est = cap.at_capacity or cap.at_one
    return est.memory.weights_bytes_per_gpu / 1024**3 if est else 0.0


def plan_all(
    requests: Sequence[SizingRequest],
    *,
    catalog: Catalog,
    eff: EfficiencyFactors | None = None,
) -> tuple[WorkloadPlan, ...]:
    """Plan every request, ordered by environment, then name, then source file."""
    ordered = sorted(requests, key=lambda r: (r.environment or "", r.name, r.source))
    return tuple(plan_workload(req, catalog=catalog, eff=eff) for req in ordered)


__all__ = [
    "Search",
    "kept_candidates",
    "plan_all",
    "plan_workload",
    "search_workload",
    "targets_for",
]
