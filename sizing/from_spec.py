"""Turn a validated spec ``Workload`` (and its ``Environment``) into a ``SizingRequest``.

This is where the spec's defaults meet the environment's limits: regions left open become the
geography's regions (or every catalog region), then the environment's allowed regions narrow
them; the environment's location (eastus without an environment, the region with the widest
GPU and model offer) leads when the workload states no preference.
"""

from __future__ import annotations

from sizing.catalog import Catalog
from sizing.request import SizingRequest
from spec.environment import Environment
from spec.workload import Workload

DEFAULT_LEAD_REGION = "eastus"  # leads an open region list when no environment says otherwise


def candidate_regions(
    workload: Workload, *, catalog: Catalog, environment: Environment | None = None
) -> tuple[str, ...]:
    residency = workload.spec.residency
    stated = tuple(residency.regions) if residency else ()
    geography = residency.geography if residency else None
    if stated:
        regions = stated
    else:
        pool = sorted(r.name for r in catalog.regions.values() if geography in (None, r.geography))
        lead = environment.spec.location if environment else DEFAULT_LEAD_REGION
        regions = tuple(([lead] if lead in pool else []) + [r for r in pool if r != lead])
    allowed = environment.spec.limits.allowed_regions if environment else None
    if allowed:
        regions = tuple(r for r in regions if r in allowed)
    return regions


def request_from_workload(
    workload: Workload, *, catalog: Catalog, environment: Environment | None = None
) -> SizingRequest:
    spec = workload.spec
    residency = spec.residency
    precisions = () if spec.precision == ("auto",) else tuple(spec.precision)
    return SizingRequest(
        name=workload.name,
        model=workload.model_id,
        precisions=precisions,
        deployment=spec.deployment,
        max_input_tokens=spec.context.max_input_tokens,
        max_output_tokens=spec.context.max_output_tokens,
        avg_input_tokens=spec.context.avg_input_tokens,
        avg_output_tokens=spec.context.avg_output_tokens,
        peak_concurrency=spec.traffic.peak_concurrency,
        peak_requests_per_minute=spec.traffic.peak_requests_per_minute,
        ttft_p95_ms=spec.slo.ttft_p95_ms,
        output_tokens_per_second_p50=spec.slo.output_tokens_per_second_p50,
        availability=spec.slo.availability,
        regions=candidate_regions(workload, catalog=catalog, environment=environment),
        geography=residency.geography if residency else None,
        strict_residency=residency.strict if residency else False,
        streaming=spec.streaming,
        max_tokens=spec.generation.max_tokens if spec.generation else None,
        max_monthly_usd=spec.cost.max_monthly_usd if spec.cost else None,
        average_to_peak_ratio=spec.traffic.average_to_peak_ratio,
        reservation=spec.cost.reservation if spec.cost else "none",
    )
