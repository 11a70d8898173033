"""Per-replica scheduler limits: what the serving engine batches in one step.

vLLM's V1 engine (the only engine in v0.11.0) schedules steps under two limits and the KV cache:
``max_num_seqs`` running sequences and a budget of ``max_num_batched_tokens`` tokens per step,
shared by every running sequence's next decode token and the prefill chunks of new prompts.
Chunked prefill is always on for generative models in V1 (``EngineArgs._set_default_args`` in
``vllm/engine/arg_utils.py``, v0.11.0: "V1 always uses chunked prefills and prefix caching for
non-pooling tasks"), so a prompt longer than the budget is prefilled over several steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sizing.catalog.entries import GpuSpec

Engine = Literal["vllm", "trtllm"]
GIB = 1024**3

# vLLM v0.11.0, vllm/engine/arg_utils.py (EngineArgs._set_default_args): for the OpenAI-compatible
# server (UsageContext.OPENAI_API_SERVER), GPUs with at least 70 GiB that are not A100s default to
# max_num_batched_tokens 8192 and max_num_seqs 1024; every other GPU to 2048 and 256 (the A100
# exception follows vLLM PR #17885: a larger budget lowered A100 throughput).
VLLM_LARGE_GPU_MEMORY_BYTES = 70 * GIB
VLLM_LARGE_GPU_LIMITS = (1024, 8192)  # (max_num_seqs, max_num_batched_tokens)
VLLM_OTHER_GPU_LIMITS = (256, 2048)
# vllm/config/cache.py, CacheConfig.gpu_memory_utilization default (v0.11.0): 0.9.
VLLM_GPU_MEMORY_UTILIZATION = 0.90
# TensorRT-LLM's throughput benchmark: batches up to 2048, 8192 tokens per step, about 0.92 of
# memory for weights and KV (trtllm-bench defaults as the calibration rows describe them).
TRTLLM_LIMITS = (2048, 8192, 0.92)


@dataclass(frozen=True)
class EngineLimits:
    """Per-replica scheduler limits, as the serving engine resolves its defaults."""

    max_num_seqs: int
    max_num_batched_tokens: int
    gpu_memory_utilization: float


def default_engine_limits(*, gpu: GpuSpec, engine: Engine = "vllm") -> EngineLimits:
    """The engine's own defaults on this GPU (see the module constants for the sources)."""
    if engine == "trtllm":
        seqs, tokens, utilization = TRTLLM_LIMITS
        return EngineLimits(seqs, tokens, utilization)
    big = gpu.memory_bytes >= VLLM_LARGE_GPU_MEMORY_BYTES and not gpu.id.startswith("a100")
    seqs, tokens = VLLM_LARGE_GPU_LIMITS if big else VLLM_OTHER_GPU_LIMITS
    return EngineLimits(seqs, tokens, VLLM_GPU_MEMORY_UTILIZATION)


@dataclass(frozen=True)
class SchedulerLimits:
    """What the scheduler of one replica may hold: the engine limits plus the KV cache that the
    memory fit leaves, in tokens (whole 16-token blocks)."""

    max_num_seqs: int
    max_num_batched_tokens: int
    kv_capacity_tokens: int
