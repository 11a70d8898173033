"""GPU memory arithmetic for one model replica: weights, KV cache, runtime overhead.

All sizes are bytes. A replica spans ``tp`` GPUs with tensor parallelism: weights and KV heads are
split across them, each GPU keeps its own runtime overhead, and the KV cache that is left decides
how many sequences the replica can hold at once.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from inferplan.sizing.catalog.entries import GpuSpec, ModelSpec, PrecisionSpec

BYTES_16BIT = 2.0
KV_BLOCK_TOKENS = 16  # vLLM PagedAttention block size: KV is allocated in 16-token blocks


def embedding_params(model: ModelSpec) -> int:
    """Input embedding plus output head (untied), which vLLM keeps in 16-bit when quantizing."""
    return 2 * model.vocab_size * model.hidden_size


def expert_params(model: ModelSpec) -> int:
    """Parameters in the routed experts of a mixture-of-experts model (0 for dense models).

    Each expert is a gated MLP with three ``hidden x intermediate`` matrices per layer.
    """
    if model.experts_total <= 1:
        return 0
    return model.layers * model.experts_total * 3 * model.hidden_size * model.intermediate_size


def weights_bytes(*, model: ModelSpec, precision: PrecisionSpec) -> float:
    """Bytes of all weights: the quantized body plus 16-bit embeddings and output head."""
    embed = min(embedding_params(model), model.params_total)
    body = model.params_total - embed
    return body * precision.weight_bytes_per_param + embed * BYTES_16BIT


def kv_heads_per_gpu(*, model: ModelSpec, tp: int) -> float:
    """KV heads stored on each GPU; heads are replicated when ``tp`` exceeds the KV head count."""
    return max(model.kv_heads / tp, 1.0)


def kv_cache_bytes_per_token(
    *, model: ModelSpec, kv_bytes_per_element: float, tp: int = 1
) -> float:
    """KV-cache bytes one token occupies on one GPU of a ``tp``-way replica.

    2 (K and V) x layers x KV heads on this GPU x head_dim x element size. Grouped-query attention
    enters through ``kv_heads`` (8 for Llama 3 70B against 64 query heads).
    """
    heads = kv_heads_per_gpu(model=model, tp=tp)
    return 2.0 * model.layers * heads * model.head_dim * kv_bytes_per_element


def runtime_overhead_bytes_per_gpu(
    *,
    model: ModelSpec,
    tp: int,
    base_overhead_bytes: float,
    max_num_batched_tokens: int,
    max_num_seqs: int,
) -> float:
    """Memory each GPU needs beyond weights and KV cache.

    ``base_overhead_bytes`` covers the CUDA context, NCCL buffers and CUDA graphs (empirical).
    Activations peak at one step of ``max_num_batched_tokens`` tokens: a few hidden-size buffers
    and the gated-MLP intermediate (split by ``tp``), 16-bit. The sampler holds fp32 logits over
    the whole vocabulary for every running sequence.
    """
    per_token = BYTES_16BIT * (4 * model.hidden_size + 2 * model.intermediate_size / tp)
    activations = max_num_batched_tokens * per_token
    logits = max_num_seqs * model.vocab_size * 4.0
    return base_overhead_bytes + activations + logits


class MemoryFit(NamedTuple):
    """How one replica's GPU memory divides, per GPU, and how many sequences its KV cache holds
    (a named tuple: immutable, and cheap to build for every case of a batch)."""

    usable_bytes_per_gpu: float
    weights_bytes_per_gpu: float
    overhead_bytes_per_gpu: float
    kv_cache_bytes_per_gpu: float  # left for the KV cache (negative when weights do not fit)
    kv_bytes_per_token_per_gpu: float
    tokens_per_sequence: int  # input + output, rounded up to whole KV blocks
    max_concurrency: int  # sequences of that length the KV cache holds at once

    @property
    def fits(self) -> bool:
        return self.max_concurrency >= 1


def memory_fit(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    gpu_memory_utilization: float,
    base_overhead_bytes: float,
    max_num_batched_tokens: int,
    max_num_seqs: int,
) -> MemoryFit:
    """Split ``gpu_memory_utilization`` of each GPU into weights, overhead and KV cache."""
    usable = gpu.memory_bytes * gpu_memory_utilization
    weights = weights_bytes(model=model, precision=precision) / tp
    overhead = runtime_overhead_bytes_per_gpu(
        model=model,
        tp=tp,
        base_overhead_bytes=base_overhead_bytes,
        max_num_batched_tokens=max_num_batched_tokens,
        max_num_seqs=max_num_seqs,
    )
    kv_free = usable - weights - overhead
    per_token = kv_cache_bytes_per_token(
        model=model, kv_bytes_per_element=precision.kv_cache_bytes_per_element, tp=tp
    )
    seq_tokens = max(input_tokens + output_tokens, 1)
    seq_tokens = math.ceil(seq_tokens / KV_BLOCK_TOKENS) * KV_BLOCK_TOKENS
    max_conc = int(kv_free // (per_token * seq_tokens)) if kv_free > 0 and per_token > 0 else 0
    return MemoryFit(
        usable_bytes_per_gpu=usable,
        weights_bytes_per_gpu=weights,
        overhead_bytes_per_gpu=overhead,
        kv_cache_bytes_per_gpu=kv_free,
        kv_bytes_per_token_per_gpu=per_token,
        tokens_per_sequence=seq_tokens,
        max_concurrency=max(max_conc, 0),
    )


def refit_lengths(fit: MemoryFit, *, input_tokens: int, output_tokens: int) -> MemoryFit:
    """``memory_fit`` of the same replica for other lengths: only how many sequences fit
    changes (the split of memory does not depend on the lengths)."""
    seq_tokens = max(input_tokens + output_tokens, 1)
    seq_tokens = math.ceil(seq_tokens / KV_BLOCK_TOKENS) * KV_BLOCK_TOKENS
    kv_free, per_token = fit.kv_cache_bytes_per_gpu, fit.kv_bytes_per_token_per_gpu
    max_conc = int(kv_free // (per_token * seq_tokens)) if kv_free > 0 and per_token > 0 else 0
    return MemoryFit(
        usable_bytes_per_gpu=fit.usable_bytes_per_gpu,
        weights_bytes_per_gpu=fit.weights_bytes_per_gpu,
        overhead_bytes_per_gpu=fit.overhead_bytes_per_gpu,
        kv_cache_bytes_per_gpu=kv_free,
        kv_bytes_per_token_per_gpu=per_token,
        tokens_per_sequence=seq_tokens,
        max_concurrency=max(max_conc, 0),
    )
