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
HostArchitecture = Literal["amd64", "arm64"]
GpuDriver = Literal["nvidia", "nvidia-grid", "amd-gpu-operator"]
# AKS agent pool gpuInstanceProfile values (pulumi-azure-native 3.29
# containerservice.GPUInstanceProfile; Learn "Create a multi-instance GPU node pool in AKS").
GpuInstanceProfile = Literal["MIG1g", "MIG2g", "MIG3g", "MIG4g", "MIG7g"]
GpuStack = Literal["cuda", "rocm"]
# Commitment and discount terms Azure sells a VM under, beside pay-as-you-go.
PriceTerm = Literal["reserved-1y", "reserved-3y", "savings-plan", "spot"]
PRICE_TERMS: tuple[str, ...] = ("reserved-1y", "reserved-3y", "savings-plan", "spot")
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


VersionText = Annotated[
    str,
    Field(pattern=r"^\d+\.\d+(\.\d+)?$", description="a release number, e.g. 0.10.1"),
]


def version_tuple(text: str) -> tuple[int, ...]:
    """``"0.10.1"`` -> ``(0, 10, 1)``: release numbers compare as tuples, not as text."""
    return tuple(int(part) for part in text.split("."))


class ModelSpec(SourcedEntry):
    """One model architecture, as its published config describes it.

    Managed (Azure OpenAI) models publish no architecture: their integer fields are 0. The
    fields after ``checkpoints`` describe architectures beyond a dense grouped-query decoder
    (latent attention, windowed layers, modern mixtures of experts); their defaults describe a
    dense grouped-query decoder, so an entry names only what its config.json has.
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
    # vLLM cannot produce from the 16-bit weights at load time (int4 AWQ, int8 W8A8), and the
    # block-scaled FP8 checkpoints their authors publish (Qwen3-FP8).
    checkpoints: dict[str, str] = Field(default_factory=dict)

    # --- where the weights come from ---
    hf_repository: Annotated[
        str | None,
        Field(
            pattern=r"^[\w.-]+/[\w.-]+$",
            description="Hugging Face repository vLLM serves (org/name); None: the first "
            "org/name alias, instruction-tuned first",
        ),
    ] = None
    published_precision: Annotated[
        str,
        Field(
            description="precision id of the weights in hf_repository: bf16 for most models, "
            "fp8 for DeepSeek's block-scaled FP8 release, mxfp4 for gpt-oss"
        ),
    ] = "bf16"
    gated: Annotated[
        bool,
        Field(description="the repository asks for its licence to be accepted before download"),
    ] = False
    min_vllm_version: Annotated[
        VersionText | None,
        Field(description="first vLLM release that serves this model family"),
    ] = None
    fp8_block_size: Annotated[
        NonNegativeInt,
        Field(
            description="width of the weight blocks of its FP8 checkpoints (128 for DeepSeek's "
            "and Qwen3-FP8's 128x128 blocks); 0: per-tensor or per-channel scales"
        ),
    ] = 0
    serve_args: Annotated[
        Names,
        Field(description="extra vLLM server flags the model card asks for (--flag=value)"),
    ] = ()

    # --- multi-head latent attention (DeepSeek V2/V3) ---
    kv_lora_rank: Annotated[
        NonNegativeInt,
        Field(description="width of the compressed KV latent the cache holds; 0: no MLA"),
    ] = 0
    q_lora_rank: Annotated[
        NonNegativeInt, Field(description="width of the compressed query; 0: none")
    ] = 0
    qk_rope_head_dim: Annotated[
        NonNegativeInt,
        Field(description="per-head rotary part of query and key, cached beside the latent"),
    ] = 0
    qk_nope_head_dim: Annotated[
        NonNegativeInt, Field(description="per-head non-rotary part of query and key")
    ] = 0
    v_head_dim: Annotated[NonNegativeInt, Field(description="per-head value width")] = 0

    # --- windowed attention ---
    sliding_window: Annotated[
        NonNegativeInt,
        Field(description="tokens a sliding-window layer attends to (gpt-oss: 128); 0: none"),
    ] = 0
    attention_chunk_size: Annotated[
        NonNegativeInt,
        Field(
            description="tokens of a chunked-local-attention chunk (Llama 4: 8192); a token "
            "attends within its chunk only; 0: none"
        ),
    ] = 0
    local_attention_layers: Annotated[
        NonNegativeInt,
        Field(
            description="layers that use the sliding window or the chunk; the others attend "
            "over the whole context"
        ),
    ] = 0

    # --- mixture of experts ---
    moe_intermediate_size: Annotated[
        NonNegativeInt,
        Field(description="intermediate width of one routed expert; 0: intermediate_size"),
    ] = 0
    shared_experts: Annotated[
        NonNegativeInt,
        Field(description="experts every token passes through, beside the routed ones"),
    ] = 0
    shared_expert_intermediate_size: Annotated[
        NonNegativeInt,
        Field(description="intermediate width of one shared expert; 0: moe_intermediate_size"),
    ] = 0
    dense_layers: Annotated[
        NonNegativeInt,
        Field(
            description="layers with a dense MLP (intermediate_size) instead of experts: "
            "DeepSeek's first_k_dense_replace, Llama 4 Maverick's interleaved dense layers"
        ),
    ] = 0
    expert_parallel: Annotated[
        bool,
        Field(
            description="vLLM can split this model's experts across GPUs "
            "(--enable-expert-parallel) instead of slicing every expert"
        ),
    ] = False

    @field_validator("checkpoints")
    @classmethod
    def _sorted(cls, value: dict[str, str]) -> dict[str, str]:
        return dict(sorted(value.items()))

    @property
    def latent_attention(self) -> bool:
        """True for multi-head latent attention: the cache holds one latent per token."""
        return self.kv_lora_rank > 0

    @property
    def local_attention_tokens(self) -> int:
        """Tokens a windowed layer attends to (the sliding window or the chunk); 0: none."""
        return self.sliding_window or self.attention_chunk_size

    @property
    def expert_intermediate_size(self) -> int:
        return self.moe_intermediate_size or self.intermediate_size

    @property
    def moe_layers(self) -> int:
        """Layers whose MLP is a mixture of experts (0 for dense models)."""
        return self.layers - self.dense_layers if self.experts_total > 1 else 0

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
        self._check_latent_attention()
        self._check_windows()
        self._check_experts()
        return self

    def _check_latent_attention(self) -> None:
        mla = ("q_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")
        if not self.latent_attention:
            given = [name for name in mla if getattr(self, name)]
            if given:
                raise ValueError(f"{', '.join(given)} describe latent attention: set kv_lora_rank")
            return
        missing = [name for name in mla[1:] if not getattr(self, name)]
        if missing:
            raise ValueError(f"latent attention (kv_lora_rank) needs {', '.join(missing)} > 0")
        if self.head_dim != self.qk_nope_head_dim + self.qk_rope_head_dim:
            raise ValueError("head_dim must be qk_nope_head_dim + qk_rope_head_dim under MLA")

    def _check_windows(self) -> None:
        if self.sliding_window and self.attention_chunk_size:
            raise ValueError("give sliding_window or attention_chunk_size, not both")
        if bool(self.local_attention_tokens) != bool(self.local_attention_layers):
            raise ValueError(
                "local_attention_layers and a sliding_window or attention_chunk_size go together"
            )
        if self.local_attention_layers > self.layers:
            raise ValueError("local_attention_layers exceeds layers")

    def _check_experts(self) -> None:
        moe = ("moe_intermediate_size", "shared_experts", "dense_layers", "expert_parallel")
        if self.experts_total <= 1:
            given = [name for name in moe if getattr(self, name)]
            if given:
                raise ValueError(f"{', '.join(given)} describe experts: set experts_total > 1")
            return
        if self.dense_layers >= self.layers:
            raise ValueError("dense_layers leaves no layer with experts")
        if self.shared_expert_intermediate_size and not self.shared_experts:
            raise ValueError("shared_expert_intermediate_size needs shared_experts > 0")


# --- GPUs ---------------------------------------------------------------------------------------


class MigProfile(CatalogEntry):
    """One Multi-Instance GPU profile of a GPU: the AKS pool setting that selects it, NVIDIA's
    name for it, its share of the GPU's memory (and memory bandwidth, which comes with the
    memory slices) and of its streaming multiprocessors, and how many fit on one GPU."""

    profile: GpuInstanceProfile
    name: Annotated[str, Field(pattern=r"^[1-7]g\.[0-9]+gb$")]  # NVIDIA's, e.g. 1g.10gb
    memory_fraction: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    compute_fraction: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    instances_per_gpu: Annotated[int, Field(ge=1, le=7)]


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
    # GPUs the fast link joins (an NVLink bridge joins pairs); tensor parallelism beyond them
    # runs its all-reduce over PCIe at ``pcie_bytes_per_s`` (one direction). None: all of them.
    link_group_gpus: PositiveInt | None = None
    pcie_bytes_per_s: PositiveFloat | None = None
    mig_profiles: Annotated[
        tuple[MigProfile, ...],
        Field(description="MIG profiles AKS can set on a pool of this GPU (none: no MIG)"),
    ] = ()

    @field_validator("mig_profiles")
    @classmethod
    def _profiles_once(cls, value: tuple[MigProfile, ...]) -> tuple[MigProfile, ...]:
        if len({p.profile for p in value}) != len(value):
            raise ValueError("a MIG profile is listed twice")
        return tuple(sorted(value, key=lambda p: p.profile))

    def mig_profile(self, profile: str) -> MigProfile:
        """The MIG profile ``profile`` (MIG1g ...) of this GPU; KeyError if it has none such."""
        for p in self.mig_profiles:
            if p.profile == profile:
                return p
        raise KeyError(f"{self.id} has no MIG profile {profile}")

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
    quantizes: Annotated[
        Literal["all", "experts"],
        Field(
            description="which weights take weight_bytes_per_param: every linear layer, or only "
            "the routed experts of a mixture of experts (the rest stays 16-bit, as MXFP4 does)"
        ),
    ] = "all"
    min_vllm_version: Annotated[
        VersionText | None, Field(description="first vLLM release with these kernels")
    ] = None


# --- regions ------------------------------------------------------------------------------------


class Region(SourcedEntry):
    """One Azure region and the facts residency rules need."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9]+$", description="armRegionName")]
    display_name: str
    geography: Annotated[str, Field(pattern=r"^[a-z]+$")]  # eu, us, uk, ...
    availability_zones: bool
    paired_region: str | None = None
    aliases: Names = ()  # other names people write for it (city, other clouds): did-you-mean


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
    gpu_fraction: Annotated[
        float,
        Field(
            gt=0,
            le=1,
            allow_inf_nan=False,
            description="share of one GPU's memory and compute the VM gets (NV6ads_A10_v5: "
            "1/6 as 0.1667); 1 for whole GPUs. A fraction below 1 needs gpus: 1",
        ),
    ] = 1.0
    host_architecture: Annotated[
        HostArchitecture,
        Field(description="CPU architecture of the host: the images a node pulls must match"),
    ] = "amd64"
    gpu_driver: Annotated[
        GpuDriver,
        Field(
            description="how AKS gets the GPU driver: nvidia (AKS installs the datacenter "
            "driver), nvidia-grid (AKS installs the GRID/vGPU driver of fractional and RTX "
            "sizes), amd-gpu-operator (pool created with gpu driver none; the AMD GPU "
            "operator installs driver and device plugin)"
        ),
    ] = "nvidia"
    _regions_provenance: Provenance | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _whole_vm_for_fractions(self) -> VmSku:
        if self.gpu_fraction < 1 and self.gpus != 1:
            raise ValueError(
                f"gpu_fraction {self.gpu_fraction} describes a slice of one GPU: set gpus: 1 "
                f"(got gpus: {self.gpus})"
            )
        return self

    @property
    def fractional(self) -> bool:
        """True for a VM with a slice of one GPU (vGPU): one replica, tensor parallel 1."""
        return self.gpu_fraction < 1

    @property
    def gpu_share(self) -> float:
        """GPUs' worth of memory and compute the VM holds (0.25 for a quarter GPU)."""
        return self.gpus * self.gpu_fraction

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


# --- deploy-time documents ----------------------------------------------------------------------
# One document per kind (aks_versions, images, model_sources, system_vm_sizes): a later file of
# the kind replaces the earlier one whole. Each is read by its module of the same name
# (`sizing.catalog.<kind>`), which checks source keys and attaches provenance.


def month_end(text: str) -> dt.date:
    """``2026-03`` is the last day of March 2026; ``2025-08-22`` is that day."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    year, month = parts
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


class CatalogDocument(CatalogEntry):
    """The header every document kind has; ``origin`` is the file it was read from."""

    schema_version: Literal[1]
    description: str | None = None
    sources: Annotated[dict[str, str], Field(description="source key -> full citation")] = {}
    _origin: str = PrivateAttr(default="")

    @property
    def origin(self) -> str:
        return self._origin


class AksVersion(SourcedEntry):
    """One Kubernetes minor in AKS's release calendar."""

    minor: Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]+$", description="e.g. 1.34")]
    ga: Annotated[IsoDate, Field(description="AKS general availability (month)")]
    end_of_life: Annotated[IsoDate, Field(description="end of community support")]
    lts_end_of_life: Annotated[IsoDate | None, Field(description="end of LTS, if offered")] = None

    def ga_by(self) -> dt.date:
        """The day by which the minor is GA everywhere: the end of its GA month."""
        return month_end(self.ga)


def _minor_key(minor: str) -> tuple[int, ...]:
    return tuple(int(p) for p in minor.split("."))


class AksVersionCalendar(CatalogDocument):
    """AKS's calendar as read on ``as_of``; versions in ascending minor order."""

    kind: Literal["aks_versions"]
    as_of: Annotated[IsoDate, Field(description="the date the calendar was read")]
    lts_tier: str
    lts_support_plan: str
    versions: Annotated[tuple[AksVersion, ...], Field(min_length=1)]

    @field_validator("versions")
    @classmethod
    def _ascending(cls, value: tuple[AksVersion, ...]) -> tuple[AksVersion, ...]:
        return tuple(sorted(value, key=lambda v: _minor_key(v.minor)))

    def get(self, minor: str) -> AksVersion | None:
        return next((v for v in self.versions if v.minor == minor), None)

    def newest_ga(self) -> AksVersion:
        """The newest minor that is GA and inside community support on ``as_of``."""
        day = dt.date.fromisoformat(self.as_of)
        usable = [v for v in self.versions if v.ga_by() <= day <= month_end(v.end_of_life)]
        if not usable:
            raise ValueError(f"{self.origin}: no AKS minor is generally available on {self.as_of}")
        return usable[-1]


CredentialNeed = Literal["required", "optional", "none"]


class ArtifactCacheUpstream(SourcedEntry):
    """What an artifact cache rule for one upstream registry needs: a credential set always
    (required), only for higher limits or private images (optional), or never (none)."""

    credential: CredentialNeed


class ImageEntry(SourcedEntry):
    """One pinned container image."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    registry: Annotated[str, Field(min_length=1, description="upstream login server")]
    repository: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._/-]*$")]
    tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    digest: Annotated[str | None, Field(pattern=r"^sha256:[0-9a-f]{64}$")] = None
    architectures: Annotated[
        tuple[HostArchitecture, ...],
        Field(min_length=1, description="host architectures the tag has manifests for"),
    ] = ("amd64",)
    gpu_stack: Annotated[
        GpuStack | None,
        Field(description="GPU software stack the image is built for (cuda, rocm); None: any"),
    ] = None


class ImageCatalog(CatalogDocument):
    """Pinned images and the upstreams Azure Container Registry's artifact cache supports."""

    kind: Literal["images"]
    artifact_cache_upstreams: dict[str, ArtifactCacheUpstream]
    images: Annotated[tuple[ImageEntry, ...], Field(min_length=1)]

    def image(self, image_id: str) -> ImageEntry:
        found = next((i for i in self.images if i.id == image_id), None)
        if found is None:
            known = ", ".join(sorted(i.id for i in self.images))
            raise KeyError(f"{self.origin}: no image {image_id!r} (images: {known})")
        return found

    def cache_credential(self, image: ImageEntry) -> CredentialNeed | None:
        """What caching the image needs; None: artifact cache cannot mirror its upstream."""
        upstream = self.artifact_cache_upstreams.get(image.registry)
        return upstream.credential if upstream else None


class ModelOrganization(SourcedEntry):
    gated: bool


class ModelRevision(SourcedEntry):
    """A Hugging Face repository's commit that replicas load: the weights cannot change under a
    running plan, and staging and caches are keyed by it."""

    revision: Annotated[str, Field(pattern=r"^[0-9a-f]{40}$", description="a commit sha")]


class ModelSources(CatalogDocument):
    """Which Hugging Face organisations gate their repositories, and the commits pinned."""

    kind: Literal["model_sources"]
    organizations: dict[str, ModelOrganization]
    revisions: dict[str, ModelRevision] = {}

    def revision(self, repository: str) -> str | None:
        """The pinned commit of ``repository``; None where none was read from the Hub."""
        entry = self.revisions.get(repository)
        return entry.revision if entry else None

    def gated(self, repository: str) -> bool | None:
        """True or False for a repository of a listed organisation, None for any other."""
        if "/" not in repository:
            return None
        organization = self.organizations.get(repository.split("/", 1)[0])
        return organization.gated if organization else None


SYSTEM_POOL_MIN_VCPUS = 4  # "System node pools require a VM SKU of at least 4 vCPUs and 4 GB"
SYSTEM_POOL_MIN_MEMORY_GIB = 4


class SystemVmSize(SourcedEntry):
    name: Annotated[str, Field(pattern=r"^Standard_[A-Za-z0-9_]+$")]
    vcpus: Annotated[int, Field(ge=SYSTEM_POOL_MIN_VCPUS)]
    memory_gib: Annotated[float, Field(ge=SYSTEM_POOL_MIN_MEMORY_GIB, allow_inf_nan=False)]


class SystemVmSizes(CatalogDocument):
    """VM sizes an AKS system node pool may use."""

    kind: Literal["system_vm_sizes"]
    sizes: Annotated[tuple[SystemVmSize, ...], Field(min_length=1)]

    @property
    def vcpus_by_name(self) -> dict[str, int]:
        return {size.name: size.vcpus for size in self.sizes}


# --- serving engine releases --------------------------------------------------------------------


class BatchDefault(CatalogEntry):
    """One row of the engine's own scheduler defaults for its OpenAI-compatible server: the
    first row whose memory floor the device reaches (and whose exclusions it avoids) applies."""

    min_device_memory_gib: Annotated[float, Field(ge=0)]
    excluded_devices: Annotated[
        tuple[str, ...], Field(description="GPU id prefixes the row does not apply to")
    ] = ()
    max_num_seqs: Annotated[int, Field(gt=0)]
    max_num_batched_tokens: Annotated[int, Field(gt=0)]

    def applies(self, *, gpu_id: str, memory_bytes: int) -> bool:
        if memory_bytes < self.min_device_memory_gib * 1024**3:
            return False
        return not any(gpu_id.startswith(prefix) for prefix in self.excluded_devices)


class EngineMetricNames(CatalogEntry):
    """The Prometheus names the deployment's alerts, autoscaler and dashboard read."""

    time_to_first_token: str  # histogram, seconds
    inter_token_latency: str  # histogram, seconds
    requests_waiting: str  # gauge
    requests_running: str  # gauge
    kv_cache_usage: str  # gauge, 0..1
    generation_tokens: str  # counter (exported with the ``_total`` suffix)


class EngineRelease(SourcedEntry):
    """What inferplan relies on in one release of the serving engine, read from its source.

    The next upgrade is a new entry (and ``pinned``), checked by the engine tier."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")]
    engine: Literal["vllm"]
    version: VersionText
    image: Annotated[str, Field(description="id of the image in the images catalog")]
    batch_defaults: Annotated[tuple[BatchDefault, ...], Field(min_length=1)]
    gpu_memory_utilization: Annotated[float, Field(gt=0, le=1)]
    port: Annotated[int, Field(gt=0, lt=65536)]
    chunked_prefill_default: bool
    async_scheduling_default: bool
    api_key_guarded_prefixes: Annotated[tuple[str, ...], Field(min_length=1)]
    latent_kv_cache_fp8: Annotated[
        bool, Field(description="latent attention (MLA) backends take an 8-bit KV cache")
    ]
    chunked_local_kv_freed: Annotated[
        bool, Field(description="the hybrid KV manager frees chunked local attention blocks")
    ]
    metrics: EngineMetricNames
    fixed_advisories: tuple[str, ...] = ()

    def batch_default(self, *, gpu_id: str, memory_bytes: int) -> BatchDefault:
        row = next(
            (r for r in self.batch_defaults if r.applies(gpu_id=gpu_id, memory_bytes=memory_bytes)),
            None,
        )
        if row is None:
            raise ValueError(f"engine {self.id}: no batch default row applies to {gpu_id}")
        return row


class EngineCatalog(CatalogDocument):
    """Serving engine releases inferplan knows, and the one the plans deploy."""

    kind: Literal["engines"]
    pinned: Annotated[str, Field(description="id of the release the plans deploy")]
    engines: Annotated[tuple[EngineRelease, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _pinned_is_listed(self) -> EngineCatalog:
        if all(e.id != self.pinned for e in self.engines):
            known = ", ".join(e.id for e in self.engines)
            raise ValueError(f"pinned engine {self.pinned!r} is not listed (engines: {known})")
        return self

    def pinned_release(self) -> EngineRelease:
        return next(e for e in self.engines if e.id == self.pinned)

    def release_for(self, version: tuple[int, ...] | None) -> EngineRelease:
        """The newest listed release not newer than ``version`` (the oldest listed for an older
        or unknown one): whose defaults a measurement taken on ``version`` ran with."""
        ordered = sorted(self.engines, key=lambda e: _version_key(e.version))
        if version is None:
            return ordered[0]
        older = [e for e in ordered if _version_key(e.version) <= version]
        return older[-1] if older else ordered[0]


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


# --- platform prices: an environment's shared infrastructure -----------------------------------

Usd = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class MonthlyPrice(SourcedEntry):
    usd_per_month: Usd
    kind: PriceKind


class HourlyPrice(SourcedEntry):
    usd_per_hour: Usd
    kind: PriceKind


class DailyPrice(SourcedEntry):
    usd_per_day: Usd
    kind: PriceKind


class UsagePrice(SourcedEntry):
    unit: str
    usd_per_unit: Usd
    kind: PriceKind


class PlatformPrices(CatalogDocument):
    """What an environment's shared infrastructure costs: fixed prices per tier or size, and
    the unit prices of what is billed by use."""

    kind: Literal["platform_prices"]
    gateway_tiers: dict[str, MonthlyPrice]
    aks_control_plane: dict[str, HourlyPrice]
    system_vm_sizes: dict[str, HourlyPrice]
    registry_tiers: dict[str, DailyPrice]
    private_endpoint: HourlyPrice
    usage: dict[str, UsagePrice]


class TermRatio(SourcedEntry):
    """A VM's hourly price under one term as a share of its pay-as-you-go price.

    A share rather than a price per region: Azure's reservation and spot meters follow the
    pay-as-you-go price of the same size and region closely enough for planning, and a share
    composes with every region's price the catalog holds.
    """

    ratio: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    kind: PriceKind


class SpotEviction(SourcedEntry):
    """How often Azure evicts a spot node, and how long a replacement takes to serve again.

    Azure shows eviction-rate bands per size and region in the portal and the Resource Graph
    ``SpotResources`` table, which inferplan does not read yet: the figure is an estimate.
    """

    evictions_per_node_hour: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]
    node_replacement_s: Annotated[
        int, Field(gt=0, description="a new spot node joining the pool, before vLLM starts")
    ]
    kind: PriceKind


class PriceTerms(CatalogDocument):
    """Reservation, savings-plan and spot price terms: defaults, and figures per VM size."""

    kind: Literal["price_terms"]
    defaults: Annotated[
        dict[PriceTerm, TermRatio],
        Field(description="every term's share of pay-as-you-go, for sizes without their own"),
    ]
    sizes: Annotated[
        dict[Annotated[str, Field(pattern=r"^Standard_\w+$")], dict[PriceTerm, TermRatio]],
        Field(description="VM size name -> its own term figures (override the defaults)"),
    ] = {}

    spot_eviction: Annotated[
        SpotEviction | None,
        Field(description="spot evictions for the availability arithmetic; None: no spot pools"),
    ] = None

    @model_validator(mode="after")
    def _every_term_has_a_default(self) -> PriceTerms:
        missing = [t for t in PRICE_TERMS if t not in self.defaults]
        if missing:
            raise ValueError(f"defaults lack {', '.join(missing)}")
        return self

    def term(self, vm_sku: str, term: str) -> TermRatio:
        """The size's own figure for ``term``, else the default."""
        return self.sizes.get(vm_sku, {}).get(term) or self.defaults[term]  # type: ignore[index]
