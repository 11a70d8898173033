"""Step costs measured on a real engine (``kind: measured_step_costs``): a device of its own.

The roofline (``sizing.performance.timing``) predicts a GPU's step times from its datasheet. A
device that has no datasheet worth the name, such as vLLM's CPU build serving the engine tier's
tiny model, is described instead by what its engine was measured to do: a decode step's fixed
cost and its cost per running sequence, a prefill's cost per prompt token, the latency a
request spends outside the engine's steps (HTTP, the API server, its hand-over to the engine
core), and the scheduler limits and KV cache it ran with. ``benchmarks/engine_agreement.py
--measure`` writes an entry from the engine itself; `sizing.performance.estimator.
measured_step_cost` and `measured_scheduler_limits` give the scheduler model and the simulator
that device in place of a GPU's roofline.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sizing.catalog.entries import PositiveInt, SourcedEntry
from sizing.catalog.file_schema import CatalogFileHeader, Loc, sourced_entries
from sizing.catalog.loader import Catalog, default_catalog, entries_kind, register_kind

KIND = "measured_step_costs"
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class MeasuredStepCost(SourcedEntry):
    """One engine on one device serving one model, as measured; seconds per step."""

    id: Annotated[str, Field(description="device id, e.g. cpu-vllm-tiny-2core")]
    engine: Literal["vllm"] = "vllm"
    engine_version: Annotated[str, Field(description="the engine release measured, e.g. 0.32.0")]
    device: Annotated[str, Field(description="what ran the engine, and how its threads ran")]
    cores: Annotated[PositiveInt, Field(description="CPU cores of the host")]
    model: Annotated[str, Field(description="the model served")]
    decode_fixed_s: Annotated[Seconds, Field(description="a decode step's cost at no sequences")]
    decode_s_per_sequence: Annotated[Seconds, Field(description="what each running one adds")]
    prefill_s_per_token: Annotated[Seconds, Field(description="what a prompt token adds")]
    request_latency_s: Annotated[
        Seconds, Field(description="a request's time outside the steps, added to its TTFT")
    ]
    kv_cache_blocks: Annotated[PositiveInt, Field(description="blocks the engine reported")]
    kv_block_tokens: Annotated[PositiveInt, Field(description="tokens per KV cache block")]
    max_num_seqs: PositiveInt
    max_num_batched_tokens: PositiveInt
    repeats: Annotated[PositiveInt, Field(description="runs each figure is the median of")]
    noise: Annotated[
        float, Field(ge=0, description="largest spread of a figure's runs / its median")
    ]


class MeasuredStepCostsFile(CatalogFileHeader):
    kind: Literal["measured_step_costs"]
    step_costs: list[MeasuredStepCost]


def step_cost_entries(file: MeasuredStepCostsFile) -> list[tuple[str, Loc, MeasuredStepCost]]:
    return sourced_entries(file, "step_costs")


register_kind(
    entries_kind(KIND, KIND, "measured step cost", MeasuredStepCostsFile, step_cost_entries)
)


def measured_device(device_id: str, catalog: Catalog | None = None) -> MeasuredStepCost:
    """The measured device of this id (the built-in catalog's unless one is given)."""
    return (catalog or default_catalog()).lookup(KIND, device_id)
