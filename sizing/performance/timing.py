"""Roofline step times: how long a prefill or a decode step takes on one tensor-parallel replica.

A step moves its bytes through HBM and does its FLOPs on the tensor cores, each at a fitted
fraction of peak; the two times combine as a smooth maximum whose sharpness is fitted too (the
ideal roofline is the plain maximum, perfect overlap; the calibration data fit a sum, no overlap,
which is what kernel-by-kernel execution gives). Tensor parallelism divides both across GPUs and
adds two all-reduces per layer. Mixture-of-experts models read only the experts their tokens are
routed to, but store all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sizing.catalog.entries import GpuSpec, ModelSpec, PrecisionSpec
from sizing.performance.efficiency import EfficiencyFactors
from sizing.performance.memory import (
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


def allreduce_link(*, gpu: GpuSpec, tp: int, eff: EfficiencyFactors) -> tuple[float, float]:
    """The link a ring all-reduce over ``tp`` GPUs is bound by: ``(bytes/s one direction,
    latency per collective)``. Beyond the GPUs the fast link joins (``link_group_gpus``: an
    H100 NVL bridge joins pairs) the ring crosses PCIe, whose bandwidth and latency then bound
    every step of it."""
    if gpu.link_group_gpus is not None and tp > gpu.link_group_gpus and gpu.pcie_bytes_per_s:
        return gpu.pcie_bytes_per_s, eff.allreduce_latency_pcie_s
    latency = (
        eff.allreduce_latency_pcie_s
        if gpu.interconnect == "pcie"
        else eff.allreduce_latency_nvlink_s
    )
    return gpu.interconnect_bytes_per_s, latency


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
    bandwidth, latency = allreduce_link(gpu=gpu, tp=tp, eff=eff)
    transfer = 2.0 * (tp - 1) / tp * message / bandwidth
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


@dataclass(frozen=True)
class StepCost:
    """The roofline of one scheduler step, with everything that does not depend on what the step
    carries computed once. A step carries ``d`` decode tokens (one per running sequence, whose
    KV caches hold ``x`` tokens together) and ``p`` prefill tokens (chunks of prompts whose
    attention covers ``y`` query-key pairs and reads ``z`` tokens of earlier context):

        compute = (2 N_mm d + A x) / (tp F eta_decode) + (2 N_mm p + A y) / (tp F eta_prefill)
        memory  = (W_read(d + p) / tp + kv_token (x + z)) / (BW hbm_efficiency)
        step    = ratio (roofline(compute, memory) + T_ar(d + p) + T_fixed)

    with ``A`` FLOPs per query-key pair (``attention_flops_per_token`` per attended token:
    ``4 n_layers n_heads d_head`` for grouped-query attention; latent attention's absorbed
    decode and expanded prefill differ, so decode and prefill have their own ``A``). The weights
    are read once for the whole mixed step; a step of decodes alone is ``decode_step_time_s`` and
    a lone prompt's prefill is ``prefill_time_s`` (the tests hold the three to the same
    numbers).
    """

    decode_s_per_token: float  # 2 N_mm / (tp F eta_decode)
    decode_s_per_context_token: float  # A / (tp F eta_decode)
    prefill_s_per_token: float  # 2 N_mm / (tp F eta_prefill)
    prefill_s_per_pair: float  # A / (tp F eta_prefill)
    weights_s: float  # all weights (experts included) read once, per GPU
    expert_weights_s: float  # the routed experts' share of weights_s (0 for dense models)
    expert_miss: float  # 1 - k/E: chance a token does not route to a given expert
    kv_s_per_token: float  # reading one token of KV cache on each GPU
    allreduce_fixed_s: float  # 2 n_layers latency per step (0 at tp 1)
    allreduce_s_per_token: float  # ring transfer per token (0 at tp 1)
    fixed_s: float  # T_fixed
    sharpness: float  # p of the smooth maximum
    ratio: float  # engine step-time ratio (vllm_step_time_ratio for vLLM)
    # A request's time outside the steps (HTTP, the API server, its hand-over to the engine
    # core), added to its TTFT: 0 for the roofline, whose figures are the engine's alone; a
    # measured device (sizing/catalog/measured_step_costs.py) states its own.
    request_latency_s: float = 0.0

    def time_s(
        self,
        decode_tokens: float,
        decode_context_tokens: float,
        prefill_tokens: float = 0.0,
        prefill_pairs: float = 0.0,
        prefill_context_tokens: float = 0.0,
    ) -> float:
        """Seconds of one step; positional arguments because the simulator calls this per step."""
        tokens = decode_tokens + prefill_tokens
        compute = (
            self.decode_s_per_token * decode_tokens
            + self.decode_s_per_context_token * decode_context_tokens
            + self.prefill_s_per_token * prefill_tokens
            + self.prefill_s_per_pair * prefill_pairs
        )
        weights = self.weights_s
        if self.expert_weights_s:
            weights -= self.expert_weights_s * self.expert_miss ** max(tokens, 1.0)
        memory = weights + self.kv_s_per_token * (decode_context_tokens + prefill_context_tokens)
        if self.sharpness == 1.0:
            roof = compute + memory
        else:
            p = self.sharpness
            roof = (compute**p + memory**p) ** (1.0 / p)
        comm = self.allreduce_fixed_s + self.allreduce_s_per_token * tokens if tokens else 0.0
        return self.ratio * (roof + comm + self.fixed_s)

    def linear(self) -> bool:
        """Whether step time is linear in what a step carries: the additive roofline (p = 1)
        and a dense model (a mixture of experts reads fewer experts at small batches)."""
        return self.sharpness == 1.0 and not self.expert_weights_s

    def decode_line(self, context_tokens: float, around: float = 1.0) -> tuple[float, float]:
        """``(alpha, beta)`` with a step of ``n`` decodes at this mean context taking
        ``alpha + beta n``: exact when ``linear()``, else the tangent (secant from ``around`` to
        ``around + 1``) at the batch the caller expects."""
        if not self.linear():
            n = max(around, 1.0)
            one = self.time_s(n, n * context_tokens)
            beta = self.time_s(n + 1.0, (n + 1.0) * context_tokens) - one
            return one - beta * n, beta
        r = self.ratio
        alpha = r * (self.weights_s + self.allreduce_fixed_s + self.fixed_s)
        beta = r * (
            self.decode_s_per_token
            + (self.decode_s_per_context_token + self.kv_s_per_token) * context_tokens
            + self.allreduce_s_per_token
        )
        return alpha, beta

    def prompt_prefill_s(self, input_tokens: float) -> float:
        """A lone prompt prefilled in one step: ``prefill_time_s`` times the engine ratio."""
        return self.time_s(0.0, 0.0, input_tokens, prefill_pairs(input_tokens, 0.0), 0.0)


def prefill_pairs(chunk_tokens: float, context_tokens: float) -> float:
    """Query-key pairs of a prefill chunk of ``c`` tokens after ``s`` tokens already in the KV
    cache: token ``i`` of the chunk attends to ``s + i``, so ``c s + c^2 / 2`` (the causal
    ``N^2 / 2`` of ``prefill_compute_s`` when the whole prompt is one chunk)."""
    return chunk_tokens * context_tokens + chunk_tokens * chunk_tokens / 2.0


def step_cost(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    eff: EfficiencyFactors,
    ratio: float = 1.0,
    context_tokens: float | None = None,
) -> StepCost:
    """The coefficients of ``StepCost`` for one replica (see its docstring).

    Attention and KV reads are linear in context for full layers only: a windowed layer
    attends to at most its window. For a model with windowed layers the per-context-token
    coefficients are those of a sequence of ``context_tokens`` (the workload's mean context),
    ``attention_flops_per_token(L) / L`` and ``kv_cache_bytes_per_token(L)``, exact at that
    context; without one every layer counts in full. Latent attention has its own FLOPs per
    attended token in decode (absorbed) and prefill (expanded), hence two coefficients.
    """
    peak = peak_flops_per_s(gpu=gpu, precision=precision)
    eta_decode = compute_efficiency(
        eff=eff, model=model, precision=precision, base_efficiency=eff.decode_compute_efficiency
    )
    eta_prefill = compute_efficiency(
        eff=eff, model=model, precision=precision, base_efficiency=eff.prefill_compute_efficiency
    )
    ref = context_tokens if context_tokens and model.local_attention_layers else 1.0
    decode_pair_flops = attention_flops_per_token(model=model, context_tokens=ref) / ref
    prefill_pair_flops = (
        attention_flops_per_token(model=model, context_tokens=ref, phase="prefill") / ref
    )
    bandwidth = gpu.hbm_bandwidth_bytes_per_s * eff.hbm_efficiency
    experts = expert_params(model) * precision.weight_bytes_per_param
    if tp > 1:
        link_bytes_per_s, latency = allreduce_link(gpu=gpu, tp=tp, eff=eff)
        ar_fixed = 2.0 * model.layers * latency
        ar_token = (
            2.0
            * model.layers
            * 2.0
            * (tp - 1)
            / tp
            * model.hidden_size
            * BYTES_16BIT
            / link_bytes_per_s
        )
    else:
        ar_fixed = ar_token = 0.0
    kv_token = kv_cache_bytes_per_token(
        model=model,
        kv_bytes_per_element=precision.kv_cache_bytes_per_element,
        tp=tp,
        context_tokens=ref if model.local_attention_layers else None,
    )
    return StepCost(
        decode_s_per_token=2.0 * matmul_params(model) / tp / (peak * eta_decode),
        decode_s_per_context_token=decode_pair_flops / tp / (peak * eta_decode),
        prefill_s_per_token=2.0 * matmul_params(model) / tp / (peak * eta_prefill),
        prefill_s_per_pair=prefill_pair_flops / tp / (peak * eta_prefill),
        weights_s=weights_bytes(model=model, precision=precision) / tp / bandwidth,
        expert_weights_s=experts / tp / bandwidth,
        expert_miss=(
            1.0 - model.experts_per_token / model.experts_total if model.experts_total > 1 else 1.0
        ),
        kv_s_per_token=kv_token / bandwidth,
        allreduce_fixed_s=ar_fixed,
        allreduce_s_per_token=ar_token,
        fixed_s=fixed_step_s(model=model, eff=eff),
        sharpness=eff.roofline_sharpness,
        ratio=ratio,
    )
