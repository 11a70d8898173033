"""pydantic models of the built-in catalog files, and their conversion to typed entries.

One model per file kind. Unknown fields are rejected everywhere, so a typo in a platform team's
catalog is an error with a line number rather than a silently ignored value. Every entry names
its source key(s) from the file's ``sources:`` map and a date; the conversion turns them into a
`Provenance` with the full citation, so a plan can say where a number came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from inferplan.sizing.catalog.entries import (
    GpuSpec,
    ModelSpec,
    PrecisionSpec,
    Price,
    Provenance,
    Region,
    VmSku,
)
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

Loc = tuple[str | int, ...]


class EntryProblem(Exception):
    """A rule that pydantic cannot check alone failed at ``loc`` inside one file."""

    def __init__(self, loc: Loc, message: str) -> None:
        self.loc = loc
        self.message = message
        super().__init__(message)


def _date_text(value: Any) -> Any:
    # YAML reads an unquoted 2026-08-01 as a date; the catalog keeps dates as ISO text.
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


IsoDate = Annotated[
    str,
    BeforeValidator(_date_text),
    Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$", description="ISO date, YYYY-MM-DD or YYYY-MM"),
]
SourceKeys = Annotated[
    list[str],
    BeforeValidator(_as_list),
    Field(min_length=1, description="keys into the file's `sources:` map"),
]
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]

COMPUTE_DTYPES = ("fp16", "bf16", "fp8", "int8", "fp4")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Sourced(_Strict):
    source: SourceKeys
    date: Annotated[IsoDate, Field(description="when the figures were published or observed")]
    note: Annotated[str | None, Field(description="caveats: fitted, guessed, disputed")] = None


class CatalogFileHeader(_Strict):
    """Fields every catalog file has, whatever its kind."""

    kind: str
    schema_version: Literal[1]
    description: str | None = None
    sources: Annotated[dict[str, str], Field(description="source key -> full citation")] = {}


def provenance(sources: Mapping[str, str], keys: Sequence[str], date: str, loc: Loc) -> Provenance:
    """The `Provenance` of an entry: its sources' full citations joined by ``; ``."""
    citations = []
    for index, key in enumerate(keys):
        if key not in sources:
            known = ", ".join(sorted(sources)) or "none"
            raise EntryProblem(
                (*loc, "source", index), f"unknown source key {key!r}; this file defines: {known}"
            )
        citations.append(sources[key])
    return Provenance(source="; ".join(citations), date=date)


# --- models -------------------------------------------------------------------------------------


class ModelEntry(_Sourced):
    id: str
    aliases: list[str] = []
    family: str
    hosting: Literal["open", "managed", "both"]
    task: Literal["chat", "embedding"] = "chat"
    params_total: NonNegativeInt  # parameters; 0 = not published (managed models)
    params_active: NonNegativeInt
    layers: NonNegativeInt
    hidden_size: NonNegativeInt
    attention_heads: NonNegativeInt
    kv_heads: NonNegativeInt
    head_dim: NonNegativeInt
    intermediate_size: NonNegativeInt
    vocab_size: NonNegativeInt
    max_context_tokens: PositiveInt
    experts_total: PositiveInt = 1
    experts_per_token: PositiveInt = 1
    license: str
    azure_openai_name: str | None = None
    checkpoints: dict[str, str] = {}

    @model_validator(mode="after")
    def _consistent(self) -> ModelEntry:
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


class ModelsFile(CatalogFileHeader):
    kind: Literal["models"]
    models: list[ModelEntry]


def model_entries(file: ModelsFile) -> list[tuple[str, Loc, ModelSpec]]:
    out = []
    for index, entry in enumerate(file.models):
        loc: Loc = ("models", index)
        out.append(
            (
                entry.id,
                loc,
                ModelSpec(
                    id=entry.id,
                    aliases=tuple(entry.aliases),
                    family=entry.family,
                    hosting=entry.hosting,
                    task=entry.task,
                    params_total=entry.params_total,
                    params_active=entry.params_active,
                    layers=entry.layers,
                    hidden_size=entry.hidden_size,
                    attention_heads=entry.attention_heads,
                    kv_heads=entry.kv_heads,
                    head_dim=entry.head_dim,
                    intermediate_size=entry.intermediate_size,
                    vocab_size=entry.vocab_size,
                    max_context_tokens=entry.max_context_tokens,
                    experts_total=entry.experts_total,
                    experts_per_token=entry.experts_per_token,
                    license=entry.license,
                    provenance=provenance(file.sources, entry.source, entry.date, loc),
                    azure_openai_name=entry.azure_openai_name,
                    checkpoints=dict(sorted(entry.checkpoints.items())),
                ),
            )
        )
    return out


# --- GPUs ---------------------------------------------------------------------------------------


class GpuEntry(_Sourced):
    id: str
    aliases: list[str] = []
    vendor: str
    arch: str
    compute_capability: float | None
    memory_bytes: PositiveInt
    memory_basis: Annotated[
        Literal["driver-reported", "marketed"],
        Field(description="driver-reported capacity (nvidia-smi) or marketed decimal GB x 1e9"),
    ]
    hbm_bandwidth_bytes_per_s: PositiveFloat
    dense_flops_per_s: Annotated[
        dict[Literal["fp16", "bf16", "fp8", "int8", "fp4"], PositiveFloat],
        Field(min_length=1, description="dense tensor-core peak per compute dtype, FLOP/s"),
    ]
    interconnect_bytes_per_s: PositiveFloat
    interconnect: Literal["nvlink", "nvlink-bridge", "pcie", "infinity-fabric"]


class GpusFile(CatalogFileHeader):
    kind: Literal["gpus"]
    gpus: list[GpuEntry]


def gpu_entries(file: GpusFile) -> list[tuple[str, Loc, GpuSpec]]:
    out = []
    for index, entry in enumerate(file.gpus):
        loc: Loc = ("gpus", index)
        flops = {dtype: entry.dense_flops_per_s[dtype] for dtype in sorted(entry.dense_flops_per_s)}
        out.append(
            (
                entry.id,
                loc,
                GpuSpec(
                    id=entry.id,
                    aliases=tuple(entry.aliases),
                    vendor=entry.vendor,
                    arch=entry.arch,
                    compute_capability=entry.compute_capability,
                    memory_bytes=entry.memory_bytes,
                    hbm_bandwidth_bytes_per_s=entry.hbm_bandwidth_bytes_per_s,
                    dense_flops_per_s=flops,
                    interconnect_bytes_per_s=entry.interconnect_bytes_per_s,
                    interconnect=entry.interconnect,
                    provenance=provenance(file.sources, entry.source, entry.date, loc),
                ),
            )
        )
    return out


# --- precisions ---------------------------------------------------------------------------------


class PrecisionEntry(_Sourced):
    id: str
    weight_bytes_per_param: PositiveFloat
    compute_dtype: Literal["fp16", "bf16", "fp8", "int8", "fp4"]
    kv_cache_bytes_per_element: PositiveFloat
    kv_cache_dtype: str
    weight_only: bool
    min_compute_capability: float
    requires_fp8_tensor_cores: bool
    vllm_dtype: Literal["auto", "float16", "bfloat16", "half", "float32"]
    vllm_quantization: str | None
    description: str
    needs_quantized_checkpoint: bool = False


class PrecisionsFile(CatalogFileHeader):
    kind: Literal["precisions"]
    precisions: list[PrecisionEntry]


def precision_entries(file: PrecisionsFile) -> list[tuple[str, Loc, PrecisionSpec]]:
    out = []
    for index, entry in enumerate(file.precisions):
        loc: Loc = ("precisions", index)
        provenance(file.sources, entry.source, entry.date, loc)  # checks the source keys
        out.append(
            (
                entry.id,
                loc,
                PrecisionSpec(
                    id=entry.id,
                    weight_bytes_per_param=entry.weight_bytes_per_param,
                    compute_dtype=entry.compute_dtype,
                    kv_cache_bytes_per_element=entry.kv_cache_bytes_per_element,
                    kv_cache_dtype=entry.kv_cache_dtype,
                    weight_only=entry.weight_only,
                    min_compute_capability=entry.min_compute_capability,
                    requires_fp8_tensor_cores=entry.requires_fp8_tensor_cores,
                    vllm_dtype=entry.vllm_dtype,
                    vllm_quantization=entry.vllm_quantization,
                    description=entry.description,
                    needs_quantized_checkpoint=entry.needs_quantized_checkpoint,
                ),
            )
        )
    return out


# --- regions ------------------------------------------------------------------------------------


class RegionEntry(_Sourced):
    name: Annotated[str, Field(pattern=r"^[a-z0-9]+$", description="armRegionName")]
    display_name: str
    geography: Annotated[str, Field(pattern=r"^[a-z]+$")]
    availability_zones: bool
    paired_region: str | None = None
    aliases: list[str] = []  # city, country, other clouds' names: for did-you-mean


class RegionsFile(CatalogFileHeader):
    kind: Literal["regions"]
    regions: list[RegionEntry]


def region_entries(file: RegionsFile) -> list[tuple[str, Loc, Region]]:
    out = []
    for index, entry in enumerate(file.regions):
        loc: Loc = ("regions", index)
        provenance(file.sources, entry.source, entry.date, loc)  # checks the source keys
        out.append(
            (
                entry.name,
                loc,
                Region(
                    name=entry.name,
                    display_name=entry.display_name,
                    geography=entry.geography,
                    availability_zones=entry.availability_zones,
                    paired_region=entry.paired_region,
                    aliases=tuple(entry.aliases),
                ),
            )
        )
    return out


# --- VM SKUs ------------------------------------------------------------------------------------


class PriceEntry(_Strict):
    usd_per_hour: PositiveFloat  # pay-as-you-go Linux, whole VM
    kind: Literal["observed", "observed-third-party", "estimate"]
    source: SourceKeys
    date: IsoDate
    basis: Annotated[
        str | None,
        Field(description="for estimates: the region whose figure was scaled (itself for a guess)"),
    ] = None
    note: str | None = None

    @model_validator(mode="after")
    def _estimate_has_basis(self) -> PriceEntry:
        if self.kind == "estimate" and self.basis is None:
            raise ValueError("an estimate names its basis region")
        return self


class VmSkuEntry(_Sourced):
    name: Annotated[str, Field(pattern=r"^Standard_\w+$")]
    family: str
    gpu: str
    gpus: PositiveInt
    vcpus: PositiveInt
    memory_bytes: PositiveInt
    aks_supported: bool
    zonal: bool
    regions: Annotated[list[str], Field(min_length=1)]
    regions_source: SourceKeys
    regions_date: IsoDate
    prices: dict[str, PriceEntry] = {}


class VmSkusFile(CatalogFileHeader):
    kind: Literal["vm_skus"]
    estimate_multipliers: Annotated[
        dict[str, PositiveFloat],
        Field(description="region -> price multiplier relative to eastus, for estimates"),
    ] = {}
    vm_skus: list[VmSkuEntry]


def vm_sku_entries(file: VmSkusFile) -> list[tuple[str, Loc, VmSku]]:
    out = []
    for index, entry in enumerate(file.vm_skus):
        loc: Loc = ("vm_skus", index)
        if len(set(entry.regions)) != len(entry.regions):
            raise EntryProblem((*loc, "regions"), "a region is listed twice")
        prices = {}
        for region in sorted(entry.prices):
            price = entry.prices[region]
            price_loc = (*loc, "prices", region)
            if region not in entry.regions:
                raise EntryProblem(
                    price_loc, f"price for {region!r}, which `regions` does not list"
                )
            prices[region] = Price(
                usd_per_hour=price.usd_per_hour,
                kind=price.kind,
                provenance=provenance(file.sources, price.source, price.date, price_loc),
            )
        out.append(
            (
                entry.name,
                loc,
                VmSku(
                    name=entry.name,
                    family=entry.family,
                    gpu=entry.gpu,
                    gpus=entry.gpus,
                    vcpus=entry.vcpus,
                    memory_bytes=entry.memory_bytes,
                    aks_supported=entry.aks_supported,
                    zonal=entry.zonal,
                    regions=tuple(sorted(entry.regions)),
                    prices=prices,
                    provenance=provenance(file.sources, entry.source, entry.date, loc),
                    regions_provenance=provenance(
                        file.sources, entry.regions_source, entry.regions_date, loc
                    ),
                ),
            )
        )
    return out
