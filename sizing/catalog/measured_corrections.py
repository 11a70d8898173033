"""Corrections learnt from measurements of deployed endpoints (``kind: measured_corrections``).

``inferplan calibrate`` writes these files from ``inferplan verify`` measurements; ``plan
--catalog DIR`` reads them. A correction is scoped: it names the model, the VM size, the
precision, the engine and its version, and the tensor-parallel degree its measurements ran, and
sizing applies it to nothing else (`correction_for`). Its one figure, ``step_time_ratio``,
multiplies the fitted ``vllm_step_time_ratio`` efficiency factor (the measured replica's engine
steps were that much slower or faster than predicted), bounded to `STEP_TIME_RATIO_BOUNDS` so
one bad run cannot move a plan far.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sizing.catalog.entries import CatalogEntry, PositiveInt, SourcedEntry
from sizing.catalog.file_schema import CatalogFileHeader, Loc, sourced_entries
from sizing.catalog.loader import Catalog, entries_kind, normalize_name, register_kind

KIND = "measured_corrections"
# A measured step time outside half or twice the prediction says the measurement (or the
# deployment) is wrong, not the model: calibrate clips to these and says so.
STEP_TIME_RATIO_BOUNDS = (0.5, 2.0)


class CorrectionScope(CatalogEntry):
    """The one configuration a correction was measured on."""

    model: Annotated[str, Field(description="catalog model id")]
    vm_sku: Annotated[str, Field(description="Azure VM size the replicas ran on")]
    precision: Annotated[str, Field(description="catalog precision id")]
    engine: Literal["vllm"] = "vllm"
    engine_version: Annotated[
        str, Field(description="the engine's image tag the plan pins, e.g. v0.11.0")
    ]
    tensor_parallel: Annotated[PositiveInt, Field(description="GPUs per replica measured")]


class MeasuredCorrection(SourcedEntry):
    """A bounded correction of the step time for one scope, with the residual it removes."""

    id: Annotated[str, Field(description="unique name, e.g. model@sku/precision/tpN/engine")]
    scope: CorrectionScope
    step_time_ratio: Annotated[
        float,
        Field(
            ge=STEP_TIME_RATIO_BOUNDS[0],
            le=STEP_TIME_RATIO_BOUNDS[1],
            description="multiplies vllm_step_time_ratio inside the scope",
        ),
    ]
    residual_before: Annotated[
        float, Field(ge=0, description="mean |ln(measured / predicted)| over the load steps")
    ]
    residual_after: Annotated[float, Field(ge=0, description="the same with the correction")]
    residual_metric: Annotated[str, Field(description="what the residual compares")]
    measurements: Annotated[
        tuple[str, ...], Field(min_length=1, description="measurement files it was fitted on")
    ]
    clipped: Annotated[bool, Field(description="the fit fell outside the bounds")] = False


class MeasuredCorrectionsFile(CatalogFileHeader):
    kind: Literal["measured_corrections"]
    corrections: list[MeasuredCorrection]


def correction_entries(file: MeasuredCorrectionsFile) -> list[tuple[str, Loc, MeasuredCorrection]]:
    return sourced_entries(file, "corrections")


def corrections_in_scope(
    catalog: Catalog, *, model: str, vm_sku: str, precision: str, engine_version: str
) -> list[MeasuredCorrection]:
    """Corrections for this model x VM size x precision x engine version, any TP; ids sorted."""
    found = []
    for entry in catalog.section(KIND).values():
        scope = entry.scope
        if (
            normalize_name(scope.model) == normalize_name(model)
            and scope.vm_sku.lower() == vm_sku.lower()
            and scope.precision == precision
            and scope.engine_version == engine_version
        ):
            found.append(entry)
    return found


register_kind(
    entries_kind(
        KIND,
        KIND,
        "measured correction",
        MeasuredCorrectionsFile,
        correction_entries,
    )
)
