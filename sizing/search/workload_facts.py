"""The parts of a workload's plan that every target shares, taken from the request as given.

Name, model, where it came from, tags, task, residency, cost cap and template are not decided
by sizing; every plan builder (self-hosted, Azure OpenAI, infeasible) writes them the same way.
"""

from __future__ import annotations

from typing import Any

from sizing.catalog.entries import ModelSpec
from sizing.plan import Residency
from sizing.search.request import SizingRequest


def residency_of(req: SizingRequest) -> Residency:
    """The residency policies enforce: the regions sizing chose from, when the workload or the
    environment constrains regions; else empty (any region)."""
    return Residency(
        allowed_regions=req.regions if req.residency_constrained else (),
        geography=req.geography,
        strict=req.strict_residency,
    )


def shared_fields(req: SizingRequest, model: ModelSpec) -> dict[str, Any]:
    """Keyword arguments of `WorkloadPlan` that do not depend on the chosen candidate."""
    return {
        "name": req.name,
        "model": model.id,
        "source": req.source,
        "environment": req.environment,
        "task": model.task,
        "tags": dict(req.tags),
        "residency": residency_of(req),
        "max_monthly_usd": req.max_monthly_usd,
        "template": req.template,
    }
