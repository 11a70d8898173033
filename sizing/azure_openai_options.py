"""Azure OpenAI candidates as optimizer options, and the plan a chosen one becomes.

``sizing.azure_openai_sizing`` sizes every (deployment type, region); this module adds what the
optimizer needs on top: the availability topology (a second region for 99.95% and above) and
the Plan fields for the gateway, alerts and infrastructure.
"""

from __future__ import annotations

from inferplan.sizing.azure_openai_sizing import AoaiCandidate, size_azure_openai
from inferplan.sizing.catalog import Catalog
from inferplan.sizing.catalog.azure_openai import default_azure_openai_catalog
from inferplan.sizing.catalog.entries import ModelSpec
from inferplan.sizing.gateway_resilience import gateway_backends
from inferplan.sizing.optimizer_types import Option
from inferplan.sizing.plan import (
    Availability,
    AzureOpenAIFailover,
    AzureOpenAIPlan,
    Cost,
    Predicted,
    WorkloadPlan,
)
from inferplan.sizing.quota import deployment_warnings
from inferplan.sizing.request import SizingRequest
from inferplan.sizing.serving_limits import (
    azure_openai_alerts,
    gateway_limits,
    peak_requests_per_minute,
)
from inferplan.sizing.topology import TWO_REGIONS

SINGLE_REGION_AVAILABILITY = 99.9  # Azure OpenAI's published SLA for one deployment
# The spec's cost.reservation -> the Azure OpenAI sizing's PTU billing mode.
PTU_BILLING = {"none": "hourly", "monthly": "monthly_reservation", "yearly": "yearly_reservation"}
# At equal cost, the narrower data scope wins: region-bound, then data zone, then global.
SCOPE_PREFERENCE = {"region": 0, "datazone": 1, "global": 2}


def rejection_kind(reason: str) -> str:
    """Classify a sizing rejection so alternatives show one of each kind."""
    text = reason.lower()
    for kind, needles in (
        ("residency", ("residency", "process data", "not region-bound", "data zone")),
        ("offer", ("not offered", "no such offer")),
        ("slo", ("slo", "exceeds the", "tokens/s")),
        ("quota", ("quota",)),
        ("context", ("context",)),
    ):
        if any(n in text for n in needles):
            return kind
    return "other"


def azure_openai_options(
    *, req: SizingRequest, model: ModelSpec, catalog: Catalog, source: str
) -> list[Option]:
    aoai = default_azure_openai_catalog()
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
                rejected_reason=f"Azure OpenAI is not offered in the allowed regions ({where})",
                build=None,
                rejection_kind="region",
            )
        ]
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
        slo_min_output_tokens_per_s=(
            None if model.task == "embedding" else req.output_tokens_per_second_p50
        ),
        average_to_peak_ratio=req.average_to_peak_ratio,
        ptu_billing=PTU_BILLING[req.reservation],
    )
    failover_pool = [c for c in candidates if c.feasible and c.billing == "token"]
    options = []
    for c in candidates:
        secondary = None
        reason = c.rejected_reason
        if reason is None and req.availability > SINGLE_REGION_AVAILABILITY:
            secondary = next((f for f in failover_pool if f.region != c.region), None)
            if secondary is None:
                reason = (
                    f"availability {req.availability}% needs a second region; no other allowed "
                    "region offers a token-billed deployment of this model"
                )
        kind = rejection_kind(reason) if reason else ""
        if reason is not None and secondary is None and c.rejected_reason is None:
            kind = "availability"
        cost = c.monthly_usd if c.monthly_usd is not None else float("inf")
        if reason is None and req.max_monthly_usd is not None and cost > req.max_monthly_usd:
            reason = f"${cost:,.0f}/month exceeds the cost cap of ${req.max_monthly_usd:,.0f}"
            kind = "cost-cap"
        options.append(
            Option(
                target="azure-openai",
                summary=f"{c.deployment_type} {c.capacity or 0} {c.capacity_unit} in {c.region}",
                monthly_usd=cost,
                region_rank=req.regions.index(c.region),
                rejected_reason=reason,
                build=_builder(c, secondary, req=req, model=model, source=source)
                if reason is None
                else None,
                rejection_kind=kind,
                preference=SCOPE_PREFERENCE.get(c.residency_scope, 3),
                meets_slo=c.rejected_reason is None,
            )
        )
    return options


def _builder(c, secondary, *, req, model, source):
    return lambda: azure_openai_plan(c, secondary, req=req, model=model, source=source)


def azure_openai_plan(
    c: AoaiCandidate,
    secondary: AoaiCandidate | None,
    *,
    req: SizingRequest,
    model: ModelSpec,
    source: str,
) -> WorkloadPlan:
    peak_rpm = peak_requests_per_minute(req)
    regions = (c.region,) + ((secondary.region,) if secondary else ())
    failover: tuple[AzureOpenAIFailover, ...] = ()
    reasons = list(c.reasons)
    if secondary is not None:
        failover = (
            AzureOpenAIFailover(
                region=secondary.region,
                deployment_type=secondary.deployment_type,
                capacity=secondary.capacity or 0,
                capacity_unit=secondary.capacity_unit,
                residency_scope=secondary.residency_scope,
            ),
        )
        reasons.append(
            f"Availability {req.availability}% adds a {secondary.deployment_type} deployment in "
            f"{secondary.region} as the gateway's failover backend (billed per token, so it "
            "costs nothing while the primary serves)."
        )
    reasons += list(c.advisories)
    if c.break_even_note:
        reasons.append(c.break_even_note)
    planned = TWO_REGIONS if secondary else SINGLE_REGION_AVAILABILITY
    return WorkloadPlan(
        name=req.name,
        feasible=True,
        target="azure-openai",
        model=model.id,
        regions=regions,
        predicted=Predicted(
            ttft_p95_ms=c.ttft_p95_ms or 0.0,
            tps_per_request=c.output_tokens_per_s_per_request or 0.0,
            max_concurrency=req.peak_concurrency,
            source="azure-openai-reference",
        ),
        cost=Cost(
            monthly_usd=c.monthly_usd or 0.0,
            per_million_output_tokens_usd=c.usd_per_million_output_tokens_at_peak or 0.0,
            price_kind="estimate" if c.estimated_figures else "observed",
        ),
        reasons=tuple(reasons),
        alternatives=(),
        gateway=gateway_limits(req, peak_rpm=peak_rpm),
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
            planned=planned,
            topology=(
                f"{len(regions)} region(s): {', '.join(regions)}"
                + (" with gateway failover" if secondary else "")
            ),
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
        ),
        gateway_backends=gateway_backends(backends=len(regions), peak_requests_per_minute=peak_rpm),
        warnings=deployment_warnings(
            workload=req.name,
            deployments=[
                (c.region, c.model, c.deployment_type, c.capacity or 0, c.capacity_unit),
                *[
                    (f.region, c.model, f.deployment_type, f.capacity, f.capacity_unit)
                    for f in failover
                ],
            ],
        ),
        source=source,
    )


def latency_metrics(c: AoaiCandidate) -> bool:
    """Azure Monitor publishes TimeToResponse and TimeBetweenTokens for provisioned deployment
    types only (Learn, Azure OpenAI monitoring data reference: "not available for Standard
    deployments"); the catalog's billing model says which types are provisioned."""
    return c.billing == "ptu"
