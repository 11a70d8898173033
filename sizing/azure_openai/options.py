"""Azure OpenAI candidates as optimizer options, and the plan a chosen one becomes.

``sizing.azure_openai.offers`` sizes every (deployment type, region); this module adds what the
optimizer needs on top: the availability rung (token-billed failover deployments in further
regions, `AZURE_OPENAI_LADDER`), the cost cap, and the Plan fields for the gateway, alerts and
infrastructure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sizing.azure_openai.lifecycle import (
    pinned_warning,
    replacement,
    retirement_warning,
    upgrade_policy,
)
from sizing.azure_openai.offers import AoaiCandidate, size_azure_openai
from sizing.azure_openai.priority import priority_candidates
from sizing.azure_openai.speed_slo import speed_slo
from sizing.azure_openai.spillover import SpillTraffic, spillover_candidates
from sizing.catalog import Catalog
from sizing.catalog.azure_openai import OPENAI_FORMAT, AoaiModel
from sizing.catalog.entries import ModelSpec
from sizing.deploy.azure_limits import AZURE_LIMIT, deployment_capacity_limit
from sizing.deploy.gateway_resilience import gateway_backends
from sizing.deploy.quota import shortfall_warning
from sizing.deploy.serving_limits import (
    azure_openai_alerts,
    gateway_limits,
    peak_requests_per_minute,
)
from sizing.plan import (
    Availability,
    AzureOpenAIFailover,
    AzureOpenAIPlan,
    CandidateFigures,
    Cost,
    Gateway,
    PlanWarning,
    Predicted,
    TpsBasis,
    WorkloadPlan,
)
from sizing.search.decisions import Rejection, cost_cap_rejection, only
from sizing.search.option import Option
from sizing.search.request import SizingRequest
from sizing.search.topology import (
    AZURE_OPENAI_LADDER,
    WHAT_REACHES_MORE,
    TopologyChoice,
    accepted_reason,
    choose_topology,
)
from sizing.search.workload_facts import shared_fields

# The spec's cost.reservation -> the Azure OpenAI sizing's PTU billing mode.
PTU_BILLING = {"none": "hourly", "monthly": "monthly_reservation", "yearly": "yearly_reservation"}
# At equal cost, the narrower data scope wins: region-bound, then data zone, then global.
SCOPE_PREFERENCE = {"region": 0, "datazone": 1, "global": 2}


def azure_openai_options(*, req: SizingRequest, model: ModelSpec, catalog: Catalog) -> list[Option]:
    aoai = catalog.azure_openai
    regions = [r for r in req.regions if r in aoai.region_geographies]
    geographies = set(aoai.region_geographies.values())
    if not regions or (req.geography is not None and req.geography not in geographies):
        where = ", ".join(req.regions) or "no region"
        return [
            Option(
                target="azure-openai",
                summary=f"Azure OpenAI {model.azure_openai_name or model.id}",
                monthly_usd=float("inf"),
                region_rank=len(req.regions),
                rejections=(
                    Rejection(
                        "region", f"Azure OpenAI is not offered in the allowed regions ({where})"
                    ),
                ),
                build=None,
            )
        ]
    speed = speed_slo(req, embedding=model.task == "embedding")
    candidates = size_azure_openai(
        model=model.azure_openai_name or model.id,
        regions=regions,
        residency_geography=req.geography,
        strict_residency=req.strict_residency,
        peak_requests_per_minute=peak_requests_per_minute(req),
        avg_input_tokens=req.avg_input_tokens,
        avg_output_tokens=req.avg_output_tokens,
        max_output_tokens=req.max_tokens_cap,
        peak_concurrency=req.peak_concurrency,
        max_input_tokens=req.max_input_tokens,
        slo_ttft_p95_ms=req.ttft_p95_ms,
        slo_min_output_tokens_per_s=speed.min_output_tokens_per_s,
        latency_guarantee_required=speed.guarantee_required,
        average_to_peak_ratio=req.average_to_peak_ratio,
        ptu_billing=PTU_BILLING[req.reservation],
        batch=req.batch,
        reasoning_tokens=req.reasoning_tokens,
        catalog=aoai,
    )
    candidates += more_candidates(candidates, req=req, model=model, catalog=catalog)
    entry = aoai.models[model.azure_openai_name or model.id]
    return [
        _option(
            c,
            candidates,
            req=req,
            model=model,
            entry=entry,
            retirement=retirement_warning(
                model=entry,
                version=c.model_version,
                reference_date=aoai.compiled,
                instead=replacement(aoai, entry, c.model_version),
            ),
        )
        for c in candidates
    ]


def more_candidates(
    candidates: tuple[AoaiCandidate, ...], *, req: SizingRequest, model: ModelSpec, catalog: Catalog
) -> tuple[AoaiCandidate, ...]:
    """Priority processing beside each eligible Standard candidate, and PTU + spillover beside
    each Global / Data Zone provisioned one (interactive traffic only)."""
    if req.batch is not None:
        return ()
    speed = speed_slo(req, embedding=model.task == "embedding")
    tps = speed.min_output_tokens_per_s
    priority = priority_candidates(
        candidates,
        catalog=catalog.azure_openai,
        avg_input_tokens=req.avg_input_tokens,
        max_input_tokens=req.max_input_tokens,
        slo_ttft_p95_ms=req.ttft_p95_ms,
        slo_min_output_tokens_per_s=tps,
        average_to_peak_ratio=req.average_to_peak_ratio,
    )
    spill = spillover_candidates(
        candidates,
        catalog=catalog.azure_openai,
        traffic=SpillTraffic(
            peak_rpm=peak_requests_per_minute(req),
            avg_in=req.avg_input_tokens,
            avg_out=req.avg_output_tokens,
            max_out=req.max_tokens_cap,
            steady_share=req.steady_share,
            average_to_peak_ratio=req.average_to_peak_ratio,
            slo_ttft_p95_ms=req.ttft_p95_ms,
            slo_min_output_tokens_per_s=tps,
            latency_guarantee_required=speed.guarantee_required,
        ),
    )
    return priority + spill


def failover_pool(
    candidate: AoaiCandidate, candidates: Sequence[AoaiCandidate]
) -> list[AoaiCandidate]:
    """One token-billed deployment per other region that can take the traffic when the
    candidate's region fails (billed per token: it costs nothing while the primary serves), in
    region preference order; per region the narrowest data scope first. Of the candidate's
    service tier: a priority primary's failovers take priority requests too."""
    by_region: dict[str, AoaiCandidate] = {}
    usable = [
        c
        for c in candidates
        if c.feasible
        and c.billing == "token"
        and c.interactive
        # A priority primary fails over only where priority processing is offered too: the
        # gateway asks every backend for it.
        and c.service_tier == candidate.service_tier
        and c.spillover is None
    ]
    for c in sorted(usable, key=lambda c: (c.region_rank, SCOPE_PREFERENCE[c.residency_scope])):
        if c.region != candidate.region:
            by_region.setdefault(c.region, c)
    return list(by_region.values())


def _option(
    c: AoaiCandidate,
    candidates: Sequence[AoaiCandidate],
    *,
    req: SizingRequest,
    model: ModelSpec,
    entry: AoaiModel,
    retirement: PlanWarning | None,
) -> Option:
    cost = c.monthly_usd if c.monthly_usd is not None else float("inf")
    rejection = c.rejection
    secondaries: list[AoaiCandidate] = []
    choice = None
    if rejection is None:
        pool = failover_pool(c, candidates)
        choice = choose_topology(
            AZURE_OPENAI_LADDER,
            required=req.availability,
            accepted=req.accept_availability,
            regions_available=1 + len(pool),
            zonal=False,
            gateway=req.gateway,
        )
        assert choice is not None  # one region always fits
        secondaries = pool[: choice.topology.regions - 1]
        if not choice.acceptable:
            needs = (
                f"{WHAT_REACHES_MORE}; the environment's gateway caps the chain"
                if choice.gateway_caps
                else f"token-billed failover deployments in more regions; {len(pool)} other "
                "allowed region(s) offer one"
            )
            rejection = Rejection(
                "availability",
                f"availability {req.availability:g}% needs {needs}, so "
                f"{choice.planned:g}% is reachable",
                (("required", req.availability), ("reachable", choice.planned)),
            )
        elif limit := deployment_capacity_limit(c.capacity, c.capacity_unit):
            rejection = Rejection(AZURE_LIMIT, limit)
        else:
            rejection = cost_cap_rejection(cost, req.max_monthly_usd)
    regions = (c.region, *(s.region for s in secondaries))
    return Option(
        target="azure-openai",
        summary=summary(c),
        monthly_usd=cost,
        region_rank=req.regions.index(c.region),
        rejections=only(rejection),
        build=_builder(
            c, tuple(secondaries), choice, req=req, model=model, entry=entry, retirement=retirement
        )
        if rejection is None
        else None,
        preference=SCOPE_PREFERENCE.get(c.residency_scope, 3),
        meets_slo=c.feasible,
        figures=CandidateFigures(
            ttft_p95_ms=c.ttft_p95_ms,
            tps_per_request=c.output_tokens_per_s_per_request,
            capacity=c.capacity,
            capacity_unit=c.capacity_unit,
            regions=regions,
            planned_availability=choice.planned if choice else None,
        ),
    )


def summary(c: AoaiCandidate) -> str:
    """One line naming the option: type, capacity, tier or spillover, region."""
    what = f"{c.deployment_type} {c.capacity or 0} {c.capacity_unit}"
    if c.service_tier == "priority":
        what += " priority processing"
    if c.spillover is not None:
        what += (
            f" + {c.spillover.deployment_type} {c.spillover.capacity} "
            f"{c.spillover.capacity_unit} spillover"
        )
    return f"{what} in {c.region}"


def tps_basis(c: AoaiCandidate) -> TpsBasis:
    """What the predicted speed is: the priority target, the PTU floor, or a working figure
    (a PTU + spillover option's spilled requests have no published speed)."""
    if c.service_tier == "priority":
        return "priority-latency-target"
    if c.latency_guaranteed and c.spillover is None:
        return "ptu-latency-floor"
    return "working-figure"


def _builder(c, secondaries, choice, *, req, model, entry, retirement):
    return lambda: azure_openai_plan(
        c, secondaries, choice, req=req, model=model, entry=entry, retirement=retirement
    )


def aligned_with_deployment(gateway: Gateway, c: AoaiCandidate) -> Gateway:
    """The gateway admits no more tokens a minute than the primary deployment accepts (a kTPM
    unit is 1,000 tokens a minute): above it the deployment answers 429 to what the gateway let
    through, instead of the gateway answering with its own limit."""
    if c.capacity_unit != "ktpm" or not c.capacity:
        return gateway
    return replace(gateway, tokens_per_minute=min(gateway.tokens_per_minute, c.capacity * 1000))


def azure_openai_plan(
    c: AoaiCandidate,
    secondaries: tuple[AoaiCandidate, ...],
    choice: TopologyChoice,
    *,
    req: SizingRequest,
    model: ModelSpec,
    entry: AoaiModel | None = None,
    retirement: PlanWarning | None = None,
) -> WorkloadPlan:
    """The plan for candidate ``c`` and its failover deployments; ``retirement`` is what the
    catalog says about the model version (`azure_openai_lifecycle.retirement_warning`)."""
    peak_rpm = peak_requests_per_minute(req)
    # A reasoning model's completion limit (max_completion_tokens, which the gateway caps)
    # must hold its hidden reasoning as well as the visible answer [reasoning].
    limits_req = replace(req, max_tokens=req.max_tokens_cap + c.reasoning_tokens)
    regions = (c.region, *(s.region for s in secondaries))
    failover = tuple(
        AzureOpenAIFailover(
            region=s.region,
            deployment_type=s.deployment_type,
            capacity=s.capacity or 0,
            capacity_unit=s.capacity_unit,
            residency_scope=s.residency_scope,
        )
        for s in secondaries
    )
    reasons = list(c.reasons)
    for s in secondaries:
        reasons.append(
            f"Availability {req.availability:g}% adds a {s.deployment_type} deployment in "
            f"{s.region} as the gateway's failover backend (billed per token, so it costs "
            "nothing while the primary serves)."
        )
    if req.batch is not None and c.interactive:
        reasons.append(req.batch.headroom_reason())
    if tail := speed_slo(req, embedding=model.task == "embedding").tail_reason():
        reasons.append(tail)
    reasons += list(c.advisories)
    if c.break_even_note:
        reasons.append(c.break_even_note)
    upgrade = upgrade_policy(c.billing)
    warnings = [retirement] if retirement is not None else []
    if upgrade == "NoAutoUpgrade" and entry is not None:
        warnings.append(pinned_warning(entry, c.model_version))
    warnings += [
        shortfall_warning(d.quota_shortfall, region=d.region)
        for d in (c, *secondaries)
        if d.quota_shortfall is not None
    ]
    if not choice.meets_required:
        reasons.append(accepted_reason(choice))
    return WorkloadPlan(
        **shared_fields(req, model),
        feasible=True,
        target="azure-openai",
        regions=regions,
        predicted=Predicted(
            ttft_p95_ms=c.ttft_p95_ms,
            tps_per_request=c.output_tokens_per_s_per_request or 0.0,
            max_concurrency=req.peak_concurrency,
            source="azure-openai-reference",
            tps_basis=tps_basis(c),
            ptu_latency_floor_tps=None if c.latency_guaranteed else c.ptu_latency_floor_tps,
        ),
        cost=Cost(
            monthly_usd=c.monthly_usd or 0.0,
            per_million_output_tokens_usd=c.usd_per_million_output_tokens_at_peak or 0.0,
            price_kind="estimate" if c.estimated_figures else "observed",
        ),
        reasons=tuple(reasons),
        alternatives=(),
        gateway=aligned_with_deployment(gateway_limits(limits_req, peak_rpm=peak_rpm), c),
        alerts=tuple(
            azure_openai_alerts(
                req,
                provisioned=c.billing == "ptu",
                streams_tokens=model.task != "embedding",
                latency_metrics=latency_metrics(c),
            )
        ),
        availability=Availability(
            required=req.availability,
            planned=choice.planned,
            topology=(
                f"{len(regions)} region(s): {', '.join(regions)}"
                + (" with gateway failover" if secondaries else "")
                + (f"; {choice.gateway.describe()}" if choice.gateway else "")
            ),
            survives=("region",)
            * min(len(secondaries), 1)
            * (choice.gateway is None or choice.gateway.survives_region),
            accepted=req.accept_availability if not choice.meets_required else None,
        ),
        azure_openai=AzureOpenAIPlan(
            model=c.model,
            model_version=c.model_version,
            deployment_type=c.deployment_type,
            capacity=c.capacity or 0,
            capacity_unit=c.capacity_unit,
            failover=failover,
            residency_scope=c.residency_scope,
            latency_metrics=latency_metrics(c),
            version_upgrade=upgrade,
            model_format=entry.format if entry is not None else OPENAI_FORMAT,
            service_tier=c.service_tier,
            spillover=c.spillover,
            request_api_version=c.request_api_version,
        ),
        gateway_backends=gateway_backends(backends=len(regions), peak_requests_per_minute=peak_rpm),
        warnings=tuple(warnings),
    )


def latency_metrics(c: AoaiCandidate) -> bool:
    """Azure Monitor publishes TimeToResponse and TimeBetweenTokens for provisioned deployment
    types only (Learn, Azure OpenAI monitoring data reference: "not available for Standard
    deployments"); the catalog's billing model says which types are provisioned."""
    return c.billing == "ptu"
