"""GPU memory arithmetic for one model replica: weights, KV cache, runtime overhead.

All sizes are bytes. A replica spans ``tp`` GPUs with tensor parallelism: weights and KV heads are
split across them, each GPU keeps its own runtime overhead, and the KV cache that is left decides
how many sequences the replica can hold at once.

Beyond a dense grouped-query decoder:

* Multi-head latent attention (DeepSeek V3/R1) caches one compressed latent of
  ``kv_lora_rank`` values plus the ``qk_rope_head_dim`` rotary key per token and layer, shared by
  all heads, and vLLM keeps the whole latent on every tensor-parallel GPU (it cannot be split by
  head).
* Windowed layers (gpt-oss sliding windows, Llama 4 chunked local attention) attend to at most
  their window, so attention reads at most that many tokens of their cache.
* Mixtures of experts store every routed expert; shared experts and dense layers are ordinary
  weights. MXFP4 quantizes the routed experts only; everything else stays 16-bit.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from sizing.catalog.engines import pinned_engine
from sizing.catalog.entries import GpuSpec, ModelSpec, PrecisionSpec

BYTES_16BIT = 2.0
KV_BLOCK_TOKENS = 16  # vLLM PagedAttention block size: KV is allocated in 16-token blocks
# vLLM's FlashMLA backend (the default for latent attention on Hopper) needs 64-token blocks
# (vllm/platforms/cuda.py forces block_size 64 when FlashMLA is selected).
MLA_KV_BLOCK_TOKENS = 64
# The pinned release's KV-cache behaviour (engines catalog, with sources). Whether the hybrid
# KV-cache manager frees the blocks of chunked local attention layers (off in the 0.11 line, on by
# default in 0.32.0): with it off every layer keeps a full-length cache, so Llama 4's chunked
# layers hold the whole sequence even though they read one chunk.
CHUNKED_LOCAL_KV_FREED = pinned_engine().chunked_local_kv_freed
# Whether latent attention takes an 8-bit cache (0.32.0: every MLA backend lists fp8; the 0.11
# line's FlashMLA took a 16-bit latent only). Where it does not, the latent stays 16-bit.
MLA_KV_FP8 = pinned_engine().latent_kv_cache_fp8
MLA_KV_BYTES_PER_ELEMENT = BYTES_16BIT


def embedding_params(model: ModelSpec) -> int:
    """Input embedding plus output head (untied), which vLLM keeps in 16-bit when quantizing."""
    return 2 * model.vocab_size * model.hidden_size


def expert_params(model: ModelSpec) -> int:
    """Parameters in the routed experts of a mixture-of-experts model (0 for dense models).

    Each expert is a gated MLP with three ``hidden x expert_intermediate`` matrices, in every
    layer that has experts (``layers - dense_layers``). Shared experts are always used, so they
    count with the ordinary weights, not here.
    """
    if model.experts_total <= 1:
        return 0
    per_expert = 3 * model.hidden_size * model.expert_intermediate_size
    return model.moe_layers * model.experts_total * per_expert


def weights_bytes(*, model: ModelSpec, precision: PrecisionSpec) -> float:
    """Bytes of all weights.

    A precision that quantizes every linear layer stores the body at its width and keeps the
    embeddings and output head 16-bit. One that quantizes the routed experts only (MXFP4) stores
    them at its width and everything else (attention, router, shared experts, dense layers,
    embeddings) 16-bit: ``experts x bytes/param + (total - experts) x 2``.
    """
    if precision.quantizes == "experts":
        experts = min(expert_params(model), model.params_total)
        rest = model.params_total - experts
        return experts * precision.weight_bytes_per_param + rest * BYTES_16BIT
    embed = min(embedding_params(model), model.params_total)
    body = model.params_total - embed
    return body * precision.weight_bytes_per_param + embed * BYTES_16BIT


def kv_heads_per_gpu(*, model: ModelSpec, tp: int) -> float:
    """KV heads stored on each GPU; heads are replicated when ``tp`` exceeds the KV head count."""
    return max(model.kv_heads / tp, 1.0)


def kv_element_bytes(*, model: ModelSpec, kv_bytes_per_element: float) -> float:
    """Element size the cache is kept in: the precision's, except for latent attention on a
    release whose MLA kernels keep a 16-bit latent (``MLA_KV_FP8`` false)."""
    if model.latent_attention and not MLA_KV_FP8:
        return MLA_KV_BYTES_PER_ELEMENT
    return kv_bytes_per_element


def kv_bytes_per_layer_token(*, model: ModelSpec, kv_bytes_per_element: float, tp: int) -> float:
    """Cache bytes one token takes in one layer on one GPU.

    Grouped-query attention: 2 (K and V) x KV heads on this GPU x head_dim x element size.
    Latent attention: (kv_lora_rank + qk_rope_head_dim) x element size, the same on every GPU.
    """
    element = kv_element_bytes(model=model, kv_bytes_per_element=kv_bytes_per_element)
    if model.latent_attention:
        return (model.kv_lora_rank + model.qk_rope_head_dim) * element
    return 2.0 * kv_heads_per_gpu(model=model, tp=tp) * model.head_dim * element


def attended_tokens(*, model: ModelSpec, context_tokens: float) -> tuple[float, float]:
    """Tokens a new token attends to in (a full layer, a windowed layer), for ``context_tokens``.

    A sliding-window layer sees the last ``sliding_window`` tokens; a chunked layer sees the
    tokens of its own chunk, at most ``attention_chunk_size`` (exactly that bound while the
    context is within one chunk, about half of it on average beyond).
    """
    window = model.local_attention_tokens
    local = min(context_tokens, window) if window else context_tokens
    return context_tokens, local


def kv_cache_bytes_per_token(
    *,
    model: ModelSpec,
    kv_bytes_per_element: float,
    tp: int = 1,
    context_tokens: float | None = None,
) -> float:
    """KV-cache bytes per token of context that attention reads, on one GPU of a ``tp`` replica.

    Summed over layers: full layers read the whole context, windowed layers at most their
    window, so for a context of ``L`` tokens the average per token is
    ``per_layer x (full_layers x L + local_layers x min(L, W)) / L``. Without a context every
    layer counts in full (a dense model gives the same either way). Grouped-query attention
    enters through ``kv_heads`` (8 for Llama 3 70B against 64 query heads); latent attention
    through ``kv_lora_rank + qk_rope_head_dim`` (576 for DeepSeek V3, whatever ``tp`` is).
    """
    per_layer = kv_bytes_per_layer_token(
        model=model, kv_bytes_per_element=kv_bytes_per_element, tp=tp
    )
    local_layers = model.local_attention_layers
    if context_tokens is None or not local_layers or context_tokens <= 0:
        return per_layer * model.layers
    full, local = attended_tokens(model=model, context_tokens=context_tokens)
    layers_tokens = (model.layers - local_layers) * full + local_layers * local
    return per_layer * layers_tokens / context_tokens


def kv_block_tokens(model: ModelSpec) -> int:
    """Tokens per KV block vLLM allocates for this model's attention backend."""
    return MLA_KV_BLOCK_TOKENS if model.latent_attention else KV_BLOCK_TOKENS


def kv_cache_bytes_per_sequence(
    *, model: ModelSpec, kv_bytes_per_element: float, tp: int, tokens: int
) -> float:
    """KV-cache bytes one sequence of ``tokens`` tokens holds on one GPU, as the pinned vLLM
    keeps it.

    Full layers hold every token, rounded up to whole blocks. A sliding-window layer holds its
    window plus the block being written (vLLM frees the blocks that slide out); a chunked layer
    holds its chunk too where the release's hybrid manager frees chunked attention blocks, else
    the whole sequence (``CHUNKED_LOCAL_KV_FREED``).
    """
    block = kv_block_tokens(model)
    held = math.ceil(max(tokens, 1) / block) * block
    per_layer = kv_bytes_per_layer_token(
        model=model, kv_bytes_per_element=kv_bytes_per_element, tp=tp
    )
    local_layers = model.local_attention_layers
    freed = model.sliding_window > 0 or CHUNKED_LOCAL_KV_FREED
    if not local_layers or not freed:
        return per_layer * model.layers * held
    window_held = min(held, math.ceil(model.local_attention_tokens / block) * block + block)
    return per_layer * ((model.layers - local_layers) * held + local_layers * window_held)


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
    kv_bytes_per_token_per_gpu: float  # one sequence's cache / its tokens (windows included)
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
    block = kv_block_tokens(model)
    seq_tokens = math.ceil(max(input_tokens + output_tokens, 1) / block) * block
    per_sequence = kv_cache_bytes_per_sequence(
        model=model,
        kv_bytes_per_element=precision.kv_cache_bytes_per_element,
        tp=tp,
        tokens=seq_tokens,
    )
    max_conc = int(kv_free // per_sequence) if kv_free > 0 and per_sequence > 0 else 0
    return MemoryFit(
        usable_bytes_per_gpu=usable,
        weights_bytes_per_gpu=weights,
        overhead_bytes_per_gpu=overhead,
        kv_cache_bytes_per_gpu=kv_free,
        kv_bytes_per_token_per_gpu=per_sequence / seq_tokens,
        tokens_per_sequence=seq_tokens,
        max_concurrency=max(max_conc, 0),
    )


def refit_lengths(
    fit: MemoryFit,
    *,
    model: ModelSpec,
    precision: PrecisionSpec,
    tp: int,
    input_tokens: int,
    output_tokens: int,
) -> MemoryFit:
    """``memory_fit`` of the same replica for other lengths: the split of memory does not depend
    on the lengths, only one sequence's cache (``kv_cache_bytes_per_sequence``, windows
    included) and so how many sequences fit."""
    block = kv_block_tokens(model)
    seq_tokens = math.ceil(max(input_tokens + output_tokens, 1) / block) * block
    if model.local_attention_layers:
        per_sequence = kv_cache_bytes_per_sequence(
            model=model,
            kv_bytes_per_element=precision.kv_cache_bytes_per_element,
            tp=tp,
            tokens=seq_tokens,
        )
    else:  # every layer holds every token: the same bytes per token at any length
        per_sequence = fit.kv_bytes_per_token_per_gpu * seq_tokens
    kv_free = fit.kv_cache_bytes_per_gpu
    max_conc = int(kv_free // per_sequence) if kv_free > 0 and per_sequence > 0 else 0
    return MemoryFit(
        usable_bytes_per_gpu=fit.usable_bytes_per_gpu,
        weights_bytes_per_gpu=fit.weights_bytes_per_gpu,
        overhead_bytes_per_gpu=fit.overhead_bytes_per_gpu,
        kv_cache_bytes_per_gpu=kv_free,
        kv_bytes_per_token_per_gpu=per_sequence / seq_tokens,
        tokens_per_sequence=seq_tokens,
        max_concurrency=max(max_conc, 0),
    )
