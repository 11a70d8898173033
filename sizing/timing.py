"""Roofline step times: how long a prefill or a decode step takes on one tensor-parallel replica.

A step moves its bytes through HBM and does its FLOPs on the tensor cores, each at a fitted
fraction of peak; the two times combine as a smooth maximum whose sharpness is fitted too (the
ideal roofline is the plain maximum, perfect overlap; the calibration data fit a sum, no overlap,
which is what kernel-by-kernel execution gives). Tensor parallelism divides both across GPUs and
adds two all-reduces per layer. Mixture-of-experts models read only the experts their tokens are
routed to, but store all of them.
"""

from __future__ import annotations

from typing import Literal

from inferplan.sizing.catalog.entries import GpuSpec, ModelSpec, PrecisionSpec
from inferplan.sizing.efficiency import EfficiencyFactors
from inferplan.sizing.memory import (
    BYTES_16BIT,
    attended_tokens,
    embedding_params,
    expert_params,
    kv_cache_bytes_per_token,
    weights_bytes,
)


def matmul_params(model: ModelSpec) -> float:
    """Parameters that take part in a token's matmuls: active body plus the output head."""
    embed = embedding_params(model) / 2  # the input embedding is a lookup, not a matmul
    return max(model.params_active - embed, 1.0)


def attention_flops_per_token(
    *, model: ModelSpec, context_tokens: float, phase: Literal["decode", "prefill"] = "decode"
) -> float:
    """Score and value FLOPs of one new token attending to ``context_tokens``, summed over layers.

    Grouped-query attention: QK^T and PV cost ``2 x heads x head_dim`` FLOPs each per attended
    token, ``4 x heads x head_dim x L`` per layer. Windowed layers attend to at most their window
    (``attended_tokens``).

    Latent attention runs in two forms in vLLM (vllm/v1/attention/backends/mla/common.py).
    Decode uses the absorbed form: the query is projected into the latent space, scored against
    the cached latent and rotary key (``kv_lora_rank + qk_rope_head_dim`` wide) and the weights
    are applied to the latent (``kv_lora_rank`` wide), so a head costs
    ``2 x (2 x kv_lora_rank + qk_rope_head_dim)`` FLOPs per attended token (2,176 for DeepSeek
    V3, against 640 for the same heads uncompressed); the projections themselves are ordinary
    weights, counted with the matmuls. Prefill expands the latent into per-head keys and values
    and costs ``2 x heads x (qk_nope + qk_rope + v_head_dim)`` per attended token.
    """
    full, local = attended_tokens(model=model, context_tokens=context_tokens)
    local_layers = model.local_attention_layers
    attended = (model.layers - local_layers) * full + local_layers * local
    if model.latent_attention:
        if phase == "decode":
            per_head = 2.0 * (2 * model.kv_lora_rank + model.qk_rope_head_dim)
        else:
            per_head = 2.0 * (model.qk_nope_head_dim + model.qk_rope_head_dim + model.v_head_dim)
        return per_head * model.attention_heads * attended
    return 4.0 * model.attention_heads * model.head_dim * attended


def experts_touched_fraction(*, model: ModelSpec, tokens: float) -> float:
    """Expected share of experts a step of ``tokens`` tokens routes to (uniform routing).

    With E experts and k per token, an expert escapes one token with probability 1 - k/E, so a
    step touches a share 1 - (1 - k/E)^tokens of them.
    """
    if model.experts_total <= 1:
        return 1.0
    miss = 1.0 - model.experts_per_token / model.experts_total
    return 1.0 - miss ** max(tokens, 1.0)


def weights_read_bytes(*, model: ModelSpec, precision: PrecisionSpec, tokens: float) -> float:
    """Weight bytes one step streams from HBM: everything but untouched experts."""
    total = weights_bytes(model=model, precision=precision)
    experts = expert_params(model) * precision.weight_bytes_per_param
    return total - experts * (1.0 - experts_touched_fraction(model=model, tokens=tokens))


def peak_flops_per_s(*, gpu: GpuSpec, precision: PrecisionSpec) -> float:
    """Dense peak for the precision's compute dtype (fp16 stands in where bf16 is missing)."""
    flops = gpu.dense_flops_per_s
    return flops.get(precision.compute_dtype) or flops.get("fp16") or flops["bf16"]


def compute_efficiency(
    *, eff: EfficiencyFactors, model: ModelSpec, precision: PrecisionSpec, base_efficiency: float
) -> float:
    """Fitted share of peak FLOP/s, lowered for FP8, weight-only dequantization and MoE."""
    efficiency = base_efficiency
    if precision.compute_dtype in ("fp8", "int8"):
        efficiency *= eff.fp8_compute_ratio  # 8-bit tensor-core peaks are harder to reach
    elif precision.weight_only:
        efficiency *= eff.weight_only_compute_ratio
    if model.experts_total > 1:
        efficiency *= eff.moe_compute_ratio
    return efficiency


def roofline(compute_s: float, memory_s: float, sharpness: float) -> float:
    """Step time when compute and memory traffic overlap imperfectly: the smooth maximum
    ``(c^p + m^p)^(1/p)``. ``p = 1`` adds them (no overlap); large ``p`` tends to the ideal
    ``max(c, m)``; the result is never below the slower of the two."""
    return (compute_s**sharpness + memory_s**sharpness) ** (1.0 / sharpness)


def fixed_step_s(*, model: ModelSpec, eff: EfficiencyFactors) -> float:
    """Costs a roofline misses: one per step plus one per layer (kernel launches)."""
    return eff.step_overhead_s + model.layers * eff.layer_overhead_s


def allreduce_time_s(
    *, model: ModelSpec, gpu: GpuSpec, tp: int, tokens: float, eff: EfficiencyFactors
) -> float:
    """Two ring all-reduces per layer of ``tokens x hidden`` 16-bit activations.

    A ring all-reduce moves 2 (tp-1)/tp of the message over each GPU's link, plus a latency
    term per collective that dominates for the small messages of decode.
    """
    if tp <= 1:
        return 0.0
    message = tokens * model.hidden_size * BYTES_16BIT
    transfer = 2.0 * (tp - 1) / tp * message / gpu.interconnect_bytes_per_s
    latency = (
        eff.allreduce_latency_pcie_s
        if gpu.interconnect == "pcie"
        else eff.allreduce_latency_nvlink_s
    )
    return 2.0 * model.layers * (latency + transfer)


def prefill_compute_s(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    input_tokens: float,
    eff: EfficiencyFactors,
) -> float:
    """Tensor-core time of one prompt's prefill, ignoring weight reads (shared when batched).

    FLOPs = 2 x matmul params x N + causal attention 2 x layers x heads x d x N^2.
    """
    flops = (
        2.0 * matmul_params(model) * input_tokens
        + attention_flops_per_token(model=model, context_tokens=input_tokens / 2.0, phase="prefill")
        * input_tokens
    )
    efficiency = compute_efficiency(
        eff=eff, model=model, precision=precision, base_efficiency=eff.prefill_compute_efficiency
    )
    return flops / tp / (peak_flops_per_s(gpu=gpu, precision=precision) * efficiency)


def prefill_time_s(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    input_tokens: float,
    eff: EfficiencyFactors,
) -> float:
    """Wall time of one prompt's prefill alone on the replica (batch 1 TTFT without queueing)."""
    compute = prefill_compute_s(
        model=model, gpu=gpu, precision=precision, tp=tp, input_tokens=input_tokens, eff=eff
    )
    read = weights_read_bytes(model=model, precision=precision, tokens=input_tokens) / tp
    memory = read / (gpu.hbm_bandwidth_bytes_per_s * eff.hbm_efficiency)
    comm = allreduce_time_s(model=model, gpu=gpu, tp=tp, tokens=input_tokens, eff=eff)
    step = roofline(compute, memory, eff.roofline_sharpness)
    return step + comm + fixed_step_s(model=model, eff=eff)


def decode_step_time_s(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    batch: float,
    context_tokens: float,
    eff: EfficiencyFactors,
) -> float:
    """One decode step for ``batch`` sequences whose KV caches hold ``context_tokens`` each.

    Bytes = weights read + batch x context x KV bytes per token; FLOPs = batch x (2 x matmul
    params + attention). Small batches are bandwidth-bound, large ones compute-bound.
    """
    kv_token_per_gpu = kv_cache_bytes_per_token(
        model=model,
        kv_bytes_per_element=precision.kv_cache_bytes_per_element,
        tp=tp,
        context_tokens=context_tokens,
    )
    read_per_gpu = weights_read_bytes(model=model, precision=precision, tokens=batch) / tp
    read_per_gpu += batch * context_tokens * kv_token_per_gpu  # replicated heads read per GPU
    memory = read_per_gpu / (gpu.hbm_bandwidth_bytes_per_s * eff.hbm_efficiency)
    flops = batch * (
        2.0 * matmul_params(model)
        + attention_flops_per_token(model=model, context_tokens=context_tokens)
    )
    efficiency = compute_efficiency(
        eff=eff, model=model, precision=precision, base_efficiency=eff.decode_compute_efficiency
    )
    compute = flops / tp / (peak_flops_per_s(gpu=gpu, precision=precision) * efficiency)
    comm = allreduce_time_s(model=model, gpu=gpu, tp=tp, tokens=batch, eff=eff)
    step = roofline(compute, memory, eff.roofline_sharpness)
    return step + comm + fixed_step_s(model=model, eff=eff)
