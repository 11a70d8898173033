"""Catalog entries, defined once: the YAML schema of each entry and the typed value sizing reads.

Each class is a frozen pydantic model: the catalog files validate against it (unknown fields are
errors with a line number) and the sizing engine reads the same object, so a new field is one
edit. Every number is in SI base units (bytes, bytes/s, FLOP/s, seconds) and every entry names
its source keys and a date; the loader resolves the keys against the file's ``sources:`` map into
a `Provenance` (``entry.provenance``), so a plan can say where a number came from.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

PriceKind = Literal["observed", "observed-third-party", "estimate"]
ComputeDtype = Literal["fp16", "bf16", "fp8", "int8", "fp4"]
COMPUTE_DTYPES: tuple[str, ...] = ("fp16", "bf16", "fp8", "int8", "fp4")


def _date_text(value: Any) -> Any:
    # A YAML reader that types dates would give a date for 2026-08-01; keep ISO text.
    return value.isoformat() if isinstance(value, dt.date) else value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


IsoDate = Annotated[
    str,
    BeforeValidator(_date_text),
    Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$", description="ISO date, YYYY-MM-DD or YYYY-MM"),
]
SourceKeys = Annotated[
    tuple[str, ...],
    BeforeValidator(_as_list),
    Field(min_length=1, description="keys into the file's `sources:` map"),
]
Names = Annotated[tuple[str, ...], BeforeValidator(_as_list)]
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Provenance(BaseModel):
    """Where a figure comes from and when it was read."""

    model_config = ConfigDict(frozen=True)

    source: str  # the full citation(s), joined by "; "
    date: str  # ISO date (YYYY-MM-DD or YYYY-MM) the figure was observed or published


class CatalogEntry(BaseModel):
    """Base of every entry: strict about unknown fields, immutable once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourcedEntry(CatalogEntry):
    """An entry with its sources and date; ``provenance`` is filled in by the loader."""

    source: SourceKeys
    date: Annotated[IsoDate, Field(description="when the figures were published or observed")]
    note: Annotated[str | None, Field(description="caveats: fitted, guessed, disputed")] = None
    _provenance: Provenance | None = PrivateAttr(default=None)

    @property
    def provenance(self) -> Provenance:
        if self._provenance is None:  # built outside a catalog file (tests, notebooks)
            return Provenance(source="; ".join(self.source), date=self.date)
        return self._provenance


# --- models -------------------------------------------------------------------------------------


class ModelSpec(SourcedEntry):
    """One model architecture, as its published config describes it.

    Managed (Azure OpenAI) models publish no architecture: their integer fields are 0.
    """

    id: str
    aliases: Names = ()
    family: str
    hosting: Literal["open", "managed", "both"]  # open weights, Azure OpenAI only, or both
    task: Literal["chat", "embedding"] = "chat"
    params_total: NonNegativeInt  # parameters; 0 = not published (managed models)
    params_active: NonNegativeInt  # equal to params_total for dense models; active for MoE
    layers: NonNegativeInt
    hidden_size: NonNegativeInt
    attention_heads: NonNegativeInt
    kv_heads: NonNegativeInt
    head_dim: NonNegativeInt
    intermediate_size: NonNegativeInt
    vocab_size: NonNegativeInt
    max_context_tokens: PositiveInt
    experts_total: PositiveInt = 1  # 1 for dense models
    experts_per_token: PositiveInt = 1
    license: str
    # Azure OpenAI model name when the model is offered there (managed or both).
    azure_openai_name: str | None = None
    # Pre-quantized checkpoints by precision id (Hugging Face repositories), for precisions that
    # vLLM cannot produce from the 16-bit weights at load time (int4 AWQ, int8 W8A8).
    checkpoints: dict[str, str] = Field(default_factory=dict)

    @field_validator("checkpoints")
    @classmethod
    def _sorted(cls, value: dict[str, str]) -> dict[str, str]:
        return dict(sorted(value.items()))

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        if self.hosting != "managed":
            arch = ("params_total", "layers", "hidden_size", "attention_heads", "kv_heads")
            missing = [name for name in arch if getattr(self, name) == 0]
            if missing:
                raise ValueError(f"open-weights models need {', '.join(missing)} > 0")
        if self.hosting != "open" and not self.azure_openai_name:
            raise ValueError(f"hosting {self.hosting!r} needs azure_openai_name")
        if self.params_active > self.params_total:
            raise ValueError("params_active exceeds params_total")
        if self.kv_heads and self.attention_heads % self.kv_heads:
            raise ValueError("kv_heads must divide attention_heads (grouped-query attention)")
        if self.experts_per_token > self.experts_total:
            raise ValueError("experts_per_token exceeds experts_total")
        return self


# --- GPUs ---------------------------------------------------------------------------------------


class GpuSpec(SourcedEntry):
    """One GPU type. Throughput figures are dense (no 2:4 sparsity), per GPU."""

    id: str
    aliases: Names = ()
    vendor: str
    arch: str
    compute_capability: float | None
    memory_bytes: PositiveInt  # driver-reported capacity where known, else marketed GB x 1e9
    memory_basis: Annotated[
        Literal["driver-reported", "marketed"],
        Field(description="driver-reported capacity (nvidia-smi) or marketed decimal GB x 1e9"),
    ]
    hbm_bandwidth_bytes_per_s: PositiveFloat
    dense_flops_per_s: Annotated[
        dict[ComputeDtype, PositiveFloat],
        Field(min_length=1, description="dense tensor-core peak per compute dtype, FLOP/s"),
    ]
    # One-direction bandwidth one GPU can drive to its tensor-parallel peers (NVLink or PCIe).
    interconnect_bytes_per_s: PositiveFloat
    interconnect: Literal["nvlink", "nvlink-bridge", "pcie", "infinity-fabric"]

    @field_validator("dense_flops_per_s")
    @classmethod
    def _sorted(cls, value: dict[str, float]) -> dict[str, float]:
        return dict(sorted(value.items()))

    @property
    def fp8_supported(self) -> bool:
        return "fp8" in self.dense_flops_per_s


# --- precisions ---------------------------------------------------------------------------------


class PrecisionSpec(SourcedEntry):
    """How a weight precision is stored and computed, and what it needs from the GPU."""

    id: str
    weight_bytes_per_param: PositiveFloat  # includes quantization scales/zeros where applicable
    compute_dtype: ComputeDtype  # key into GpuSpec.dense_flops_per_s for the matmuls
    kv_cache_bytes_per_element: PositiveFloat  # default KV-cache element size
    kv_cache_dtype: str  # vLLM --kv-cache-dtype value ("auto" or "fp8")
    weight_only: bool  # weights dequantized to compute_dtype on the fly (AWQ/GPTQ)
    min_compute_capability: float  # below this the kernels do not exist
    requires_fp8_tensor_cores: bool
    vllm_dtype: Literal["auto", "float16", "bfloat16", "half", "float32"]  # vLLM --dtype
    vllm_quantization: str | None  # vLLM --quantization value, None for none
    description: str
    # True when vLLM needs a checkpoint quantized ahead of time (AWQ, W8A8); fp8 is quantized on
    # the fly from 16-bit weights.
    needs_quantized_checkpoint: bool = False


# --- regions ------------------------------------------------------------------------------------


class Region(SourcedEntry):
    """One Azure region and the facts residency rules need."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9]+$", description="armRegionName")]
    display_name: str
    geography: Annotated[str, Field(pattern=r"^[a-z]+$")]  # eu, us, uk, ...
    availability_zones: bool
    paired_region: str | None = None


# --- VM sizes -----------------------------------------------------------------------------------


class Price(CatalogEntry):
    """Pay-as-you-go Linux price of one whole VM in one region, in USD per hour."""

    usd_per_hour: PositiveFloat
    kind: PriceKind
    source: SourceKeys
    date: IsoDate
    basis: Annotated[
        str | None,
        Field(description="for estimates: the region whose figure was scaled (itself for a guess)"),
    ] = None
    note: str | None = None
    _provenance: Provenance | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _estimate_has_basis(self) -> Price:
        if self.kind == "estimate" and self.basis is None:
            raise ValueError("an estimate names its basis region")
        return self

    @property
    def provenance(self) -> Provenance:
        if self._provenance is None:
            return Provenance(source="; ".join(self.source), date=self.date)
        return self._provenance


class VmSku(SourcedEntry):
    """One Azure VM size with GPUs, as AKS node pools use it."""

    name: Annotated[str, Field(pattern=r"^Standard_\w+$")]  # e.g. Standard_ND96isr_H100_v5
    family: str
    gpu: str  # GpuSpec.id
    gpus: PositiveInt
    vcpus: PositiveInt
    memory_bytes: PositiveInt
    aks_supported: bool
    zonal: bool  # offered with availability zones in the regions listed
    regions: Annotated[tuple[str, ...], Field(min_length=1)]  # where the size is offered
    regions_source: SourceKeys
    regions_date: IsoDate
    prices: dict[str, Price] = Field(default_factory=dict)  # region -> price; missing: unknown
    _regions_provenance: Provenance | None = PrivateAttr(default=None)

    @field_validator("regions")
    @classmethod
    def _regions_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a region is listed twice")
        return tuple(sorted(value))

    @field_validator("prices")
    @classmethod
    def _sorted(cls, value: dict[str, Price]) -> dict[str, Price]:
        return dict(sorted(value.items()))

    @property
    def regions_provenance(self) -> Provenance:
        if self._regions_provenance is None:
            return Provenance(source="; ".join(self.regions_source), date=self.regions_date)
        return self._regions_provenance
