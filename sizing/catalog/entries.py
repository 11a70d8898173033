"""Typed catalog entries: what the sizing engine knows about models, GPUs, VMs and regions.

Every number is in SI base units (bytes, bytes/s, FLOP/s, seconds) and every entry keeps the
source and the date of its figures, so a plan can say where a number came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PriceKind = Literal["observed", "observed-third-party", "estimate"]


@dataclass(frozen=True)
class Provenance:
    """Where a figure comes from and when it was read."""

    source: str
    date: str  # ISO date (YYYY-MM-DD or YYYY-MM) the figure was observed or published


@dataclass(frozen=True)
class ModelSpec:
    """One model architecture, as its published config describes it."""

    id: str
    aliases: tuple[str, ...]
    family: str
    hosting: Literal["open", "managed", "both"]  # open weights, Azure OpenAI only, or both
    task: Literal["chat", "embedding"]
    params_total: int
    params_active: int  # equal to params_total for dense models; active experts for MoE
    layers: int
    hidden_size: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    max_context_tokens: int
    experts_total: int  # 1 for dense models
    experts_per_token: int  # 1 for dense models
    license: str
    provenance: Provenance
    # Azure OpenAI model name when the model is offered there (managed or both).
    azure_openai_name: str | None = None
    # Pre-quantized checkpoints by precision id (Hugging Face repositories), for precisions
    # that vLLM cannot produce from the 16-bit weights at load time (int4 AWQ, int8 W8A8).
    checkpoints: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GpuSpec:
    """One GPU type. Throughput figures are dense (no 2:4 sparsity), per GPU."""

    id: str
    aliases: tuple[str, ...]
    vendor: str
    arch: str
    compute_capability: float | None
    memory_bytes: int  # driver-reported capacity where known, else marketed GB x 1e9
    hbm_bandwidth_bytes_per_s: float
    # Dense tensor-core peak by compute dtype: keys among fp16, bf16, fp8, int8.
    dense_flops_per_s: dict[str, float]
    # One-direction bandwidth one GPU can drive to its tensor-parallel peers (NVLink or PCIe).
    interconnect_bytes_per_s: float
    interconnect: str  # "nvlink", "nvlink-bridge" or "pcie"
    provenance: Provenance

    @property
    def fp8_supported(self) -> bool:
        return "fp8" in self.dense_flops_per_s


@dataclass(frozen=True)
class PrecisionSpec:
    """How a weight precision is stored and computed, and what it needs from the GPU."""

    id: str
    weight_bytes_per_param: float  # includes quantization scales/zeros where applicable
    compute_dtype: str  # key into GpuSpec.dense_flops_per_s for the matmuls
    kv_cache_bytes_per_element: float  # default KV-cache element size with this precision
    kv_cache_dtype: str  # vLLM --kv-cache-dtype value ("auto" or "fp8")
    weight_only: bool  # weights dequantized to compute_dtype on the fly (AWQ/GPTQ)
    min_compute_capability: float  # below this the kernels do not exist
    requires_fp8_tensor_cores: bool
    vllm_dtype: str  # vLLM --dtype value
    vllm_quantization: str | None  # vLLM --quantization value, None for none
    description: str
    # True when vLLM needs a checkpoint quantized ahead of time (AWQ, W8A8); fp8 is quantized
    # on the fly from 16-bit weights.
    needs_quantized_checkpoint: bool = False


@dataclass(frozen=True)
class Price:
    """Pay-as-you-go Linux price of one VM in one region."""

    usd_per_hour: float
    kind: PriceKind
    provenance: Provenance


@dataclass(frozen=True)
class VmSku:
    """One Azure VM size with GPUs, as AKS node pools use it."""

    name: str  # Azure size name, e.g. Standard_ND96isr_H100_v5
    family: str
    gpu: str  # GpuSpec.id
    gpus: int
    vcpus: int
    memory_bytes: int
    aks_supported: bool
    zonal: bool  # offered with availability zones in the regions listed
    regions: tuple[str, ...]  # regions where the size is offered (see provenance for confidence)
    prices: dict[str, Price]  # region -> price; missing region means "no published price"
    provenance: Provenance
    regions_provenance: Provenance = field(default_factory=lambda: Provenance("unknown", ""))


@dataclass(frozen=True)
class Region:
    """One Azure region and the facts residency rules need."""

    name: str  # armRegionName, e.g. swedencentral
    display_name: str
    geography: str  # eu, us, uk, ... (Azure OpenAI data-zone geographies are eu and us)
    availability_zones: bool
    paired_region: str | None
    aliases: tuple[str, ...] = ()  # other names people write for it (city, other clouds)
