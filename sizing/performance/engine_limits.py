"""Per-replica scheduler limits: what the serving engine batches in one step.

vLLM's V1 engine schedules steps under two limits and the KV cache: ``max_num_seqs`` running
sequences and a budget of ``max_num_batched_tokens`` tokens per step, shared by every running
sequence's next decode token and the prefill chunks of new prompts. Chunked prefill is on by
default (``SchedulerConfig.enable_chunked_prefill``), so a prompt longer than the budget is
prefilled over several steps. The defaults of the pinned release come from its entry in the
engines catalog (sizing/catalog/data/engines.yaml), with sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sizing.catalog.engines import pinned_engine
from sizing.catalog.entries import EngineRelease, GpuSpec

Engine = Literal["vllm", "trtllm"]
GIB = 1024**3

# The pinned vLLM release's memory share (CacheConfig.gpu_memory_utilization default), as its
# engines catalog entry states it; the flags render it and the memory fit assumes it.
VLLM_GPU_MEMORY_UTILIZATION = pinned_engine().gpu_memory_utilization
# TensorRT-LLM's throughput benchmark: batches up to 2048, 8192 tokens per step, about 0.92 of
# memory for weights and KV (trtllm-bench defaults as the calibration rows describe them).
TRTLLM_LIMITS = (2048, 8192, 0.92)


@dataclass(frozen=True)
class EngineLimits:
    """Per-replica scheduler limits, as the serving engine resolves its defaults."""

    max_num_seqs: int
    max_num_batched_tokens: int
    gpu_memory_utilization: float


def default_engine_limits(
    *, gpu: GpuSpec, engine: Engine = "vllm", release: EngineRelease | None = None
) -> EngineLimits:
    """The engine's own defaults on this GPU: vLLM's from a release's entry in the engines
    catalog, the pinned one unless given (the first batch-default row the GPU matches)."""
    if engine == "trtllm":
        seqs, tokens, utilization = TRTLLM_LIMITS
        return EngineLimits(seqs, tokens, utilization)
    release = release or pinned_engine()
    row = release.batch_default(gpu_id=gpu.id, memory_bytes=gpu.memory_bytes)
    return EngineLimits(
        row.max_num_seqs, row.max_num_batched_tokens, release.gpu_memory_utilization
    )


@dataclass(frozen=True)
class SchedulerLimits:
    """What the scheduler of one replica may hold: the engine limits plus the KV cache that the
    memory fit leaves, in tokens (whole blocks of ``kv_block_tokens``: 16 for the GPU attention
    backends the plans size for; vLLM's CPU backend allocates 128, vllm/platforms/cpu.py
    check_and_update_config, v0.32.0)."""

    max_num_seqs: int
    max_num_batched_tokens: int
    kv_capacity_tokens: int
    kv_block_tokens: int = 16
