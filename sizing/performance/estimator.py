"""Predict latency and throughput of one model replica under continuous batching.

The estimator combines three pieces:

* ``sizing.performance.memory``: weights, runtime overhead and the KV cache that is left, per GPU;
* ``sizing.performance.timing``: the roofline of one scheduler step (``StepCost``), whatever
  it carries;
* ``sizing.performance.scheduler_model``: vLLM's V1 scheduler (decodes and chunked prefill under
  a token budget, ``max_num_seqs``, the KV cache) under a named arrival process,
  ``closed-loop`` (the
  default: clients of a benchmark in steady state), ``poisson`` (what the optimizer sizes for),
  ``burst`` (everyone at once) or ``static`` (a static batch, for the calibration).

``sizing.performance.simulator`` simulates the same scheduler request by request, with the same step
times, for tail latencies and to check the fast model.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from sizing.catalog.entries import GpuSpec, ModelSpec, PrecisionSpec
from sizing.catalog.measured_step_costs import MeasuredStepCost
from sizing.performance.efficiency import EfficiencyFactors, default_efficiency
from sizing.performance.engine_limits import (
    Engine,
    EngineLimits,
    SchedulerLimits,
    default_engine_limits,
)
from sizing.performance.memory import MemoryFit, kv_block_tokens, memory_fit, refit_lengths
from sizing.performance.scheduler_model import LimitedBy, LoadPrediction, predict_load
from sizing.performance.timing import StepCost, step_cost
from sizing.performance.traffic import Arrival, LengthMix

__all__ = [
    "Arrival",
    "Engine",
    "EngineLimits",
    "Estimate",
    "UnsupportedConfiguration",
    "check_configuration",
    "default_engine_limits",
    "estimate",
    "estimate_from_load",
    "mean_context_tokens",
    "measured_scheduler_limits",
    "measured_step_cost",
    "replica_step_cost",
    "scheduler_limits",
]
GIB = 1024**3
_COSTS: dict[tuple, tuple] = {}  # step costs per replica configuration (see replica_step_cost)
_REPLICAS: dict[tuple, tuple] = {}  # per configuration: step cost, memory split, limits


class UnsupportedConfiguration(ValueError):
    """The configuration cannot run at all (not merely slowly): a user-facing reason."""


class Estimate(NamedTuple):
    """Predicted behaviour of one replica (``tp`` GPUs) at one workload shape. A named tuple:
    immutable like the other values, and cheap to build on the ``estimate --cases`` path."""

    fits: bool
    max_concurrency: int  # requests the scheduler runs at once at these lengths (KV, seqs)
    concurrency: int  # requests in flight (the saturating number when none was given)
    batch: int  # requests running at once (the rest wait for a slot)
    ttft_ms: float  # mean time to first token, queueing included
    ttft_p95_ms: float
    itl_ms: float  # mean inter-token latency while streaming
    tps_per_request: float  # output tokens / end-to-end seconds of one request
    output_tps_total: float  # output tokens/s of the whole replica
    e2e_latency_s: float
    memory: MemoryFit
    reason: str | None = None  # why it does not fit
    itl_p95_ms: float = math.nan
    ttft_p99_ms: float = math.nan  # burst and static only
    arrival: str = "closed-loop"
    limited_by: LimitedBy | None = None  # what keeps ``batch`` below ``concurrency``
    request_rate_per_s: float = math.nan  # requests the replica completes per second
    prefill_share: float = math.nan  # share of the replica's time spent on prefill
    budget_share: float = math.nan  # tokens per step / max_num_batched_tokens
    kv_share: float = math.nan  # KV cache held on average / capacity
    max_num_seqs: int = 0  # the scheduler limits the prediction assumed
    max_num_batched_tokens: int = 0
    # ``(percentile, TTFT ms, ITL ms)`` at each percentile asked for (percentile SLOs).
    percentiles: tuple[tuple[int, float, float], ...] = ()

    def ttft_at_ms(self, percentile: int) -> float:
        """TTFT at a percentile: p95 always, the others where they were asked for."""
        if percentile == 95:
            return self.ttft_p95_ms
        return next((t for p, t, _ in self.percentiles if p == percentile), math.nan)

    def itl_at_ms(self, percentile: int) -> float:
        """ITL at a percentile: p95 always, the others where they were asked for."""
        if percentile == 95:
            return self.itl_p95_ms
        return next((i for p, _, i in self.percentiles if p == percentile), math.nan)


def check_configuration(
    *, model: ModelSpec, gpu: GpuSpec, precision: PrecisionSpec, tp: int
) -> None:
    """Raise ``UnsupportedConfiguration`` for combinations no engine can run."""
    if model.layers <= 0:
        raise UnsupportedConfiguration(
            f"{model.id} is a managed Azure OpenAI model; it has no self-hosted architecture"
        )
    if model.task != "chat":
        raise UnsupportedConfiguration(f"{model.id} is an {model.task} model; estimate needs chat")
    if tp < 1 or model.attention_heads % tp:
        raise UnsupportedConfiguration(
            f"tensor parallel {tp} must divide {model.id}'s {model.attention_heads} attention heads"
        )
    kv = model.kv_heads
    if not model.latent_attention and kv and (kv % tp if kv >= tp else tp % kv):
        # vLLM splits KV heads evenly, or replicates them when there are fewer than GPUs.
        raise UnsupportedConfiguration(
            f"tensor parallel {tp} must divide {model.id}'s {kv} KV heads (or be a multiple)"
        )
    if precision.quantizes == "experts" and model.experts_total <= 1:
        raise UnsupportedConfiguration(
            f"{precision.id} quantizes mixture-of-experts layers only; {model.id} has none"
        )
    cc = gpu.compute_capability
    if cc is not None and cc < precision.min_compute_capability:
        raise UnsupportedConfiguration(
            f"{precision.id} needs compute capability >= {precision.min_compute_capability}; "
            f"{gpu.id} has {cc}"
        )
    if precision.requires_fp8_tensor_cores and not gpu.fp8_supported:
        raise UnsupportedConfiguration(f"{precision.id} needs FP8 tensor cores; {gpu.id} has none")


def _replica(
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    eff: EfficiencyFactors,
    engine: Engine,
    limits: EngineLimits | None,
) -> tuple[StepCost, MemoryFit, EngineLimits]:
    """What does not depend on the lengths or the load, once per configuration: it checks the
    configuration (raising ``UnsupportedConfiguration``), the engine limits, the step cost (of
    full layers; windowed models get one per context in ``estimate``) and the split of memory
    (``memory.refit_lengths`` then fits the lengths)."""
    key = (id(model), id(gpu), id(precision), tp, id(eff), engine, limits)
    hit = _REPLICAS.get(key)
    if hit is not None and hit[3] is model and hit[4] is gpu and hit[5] is precision:
        return hit[0], hit[1], hit[2]
    check_configuration(model=model, gpu=gpu, precision=precision, tp=tp)
    resolved = limits or default_engine_limits(gpu=gpu, engine=engine)
    base = memory_fit(
        model=model,
        gpu=gpu,
        precision=precision,
        tp=tp,
        input_tokens=1,
        output_tokens=1,
        gpu_memory_utilization=resolved.gpu_memory_utilization,
        base_overhead_bytes=eff.base_overhead_bytes,
        max_num_batched_tokens=resolved.max_num_batched_tokens,
        max_num_seqs=resolved.max_num_seqs,
    )
    cost = replica_step_cost(
        model=model, gpu=gpu, precision=precision, tp=tp, eff=eff, engine=engine
    )
    if len(_REPLICAS) > 4096:
        _REPLICAS.clear()
    _REPLICAS[key] = (cost, base, resolved, model, gpu, precision, eff)
    return cost, base, resolved


def replica_for_lengths(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    engine: Engine,
    limits: EngineLimits | None,
    eff: EfficiencyFactors,
) -> tuple[StepCost, MemoryFit, EngineLimits]:
    """One replica at these lengths: its step cost (at the mean context for windowed models),
    its memory fit and the engine limits, from the per-configuration parts (`_replica`).
    Raises ``UnsupportedConfiguration`` for a configuration that cannot run."""
    cost, base, resolved = _replica(model, gpu, precision, tp, eff, engine, limits)
    mem = refit_lengths(
        base,
        model=model,
        precision=precision,
        tp=tp,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
    )
    if model.local_attention_layers:
        cost = replica_step_cost(
            model=model,
            gpu=gpu,
            precision=precision,
            tp=tp,
            eff=eff,
            engine=engine,
            context_tokens=mean_context_tokens(
                input_tokens=input_tokens, output_tokens=output_tokens
            ),
        )
    return cost, mem, resolved


def replica_step_cost(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    eff: EfficiencyFactors,
    engine: Engine = "vllm",
    context_tokens: float | None = None,
) -> StepCost:
    """``timing.step_cost`` for this replica and engine, computed once per configuration (a
    batch of cases sweeps lengths and concurrency for a few configurations). ``context_tokens``
    (the mean context, ``mean_context_tokens``) matters only to models with windowed layers."""
    context = round(context_tokens) if context_tokens and model.local_attention_layers else None
    key = (id(model), id(gpu), id(precision), tp, id(eff), engine, context)
    hit = _COSTS.get(key)
    if hit is not None and hit[1] is model and hit[2] is gpu and hit[3] is precision:
        return hit[0]
    ratio = eff.vllm_step_time_ratio if engine == "vllm" else 1.0
    cost = step_cost(
        model=model,
        gpu=gpu,
        precision=precision,
        tp=tp,
        eff=eff,
        ratio=ratio,
        context_tokens=context,
    )
    if len(_COSTS) > 4096:
        _COSTS.clear()
    _COSTS[key] = (cost, model, gpu, precision, eff)  # the objects keep their ids unique
    return cost


def mean_context_tokens(*, input_tokens: float, output_tokens: float) -> float:
    """Tokens a running sequence holds on average over its life: ``input + output / 2``."""
    return input_tokens + output_tokens / 2.0


def scheduler_limits(*, mem: MemoryFit, limits: EngineLimits, model: ModelSpec) -> SchedulerLimits:
    """The engine limits plus the KV cache the memory fit leaves, in whole blocks of the model's
    attention backend (``memory.kv_block_tokens``), counted at the fit's bytes per token
    (windowed layers hold less per token in long sequences)."""
    per_token = mem.kv_bytes_per_token_per_gpu
    block = kv_block_tokens(model)
    blocks = int(mem.kv_cache_bytes_per_gpu // (per_token * block)) if per_token else 0
    return SchedulerLimits(
        max_num_seqs=limits.max_num_seqs,
        max_num_batched_tokens=limits.max_num_batched_tokens,
        kv_capacity_tokens=max(blocks, 0) * block,
    )


def measured_step_cost(device: MeasuredStepCost) -> StepCost:
    """A measured device's steps as a ``StepCost``, in place of a GPU's roofline: additive
    (``linear()``), a decode step ``decode_fixed_s + decode_s_per_sequence n``, a prompt adding
    ``prefill_s_per_token`` per token, and the request latency outside the steps."""
    return StepCost(
        decode_s_per_token=device.decode_s_per_sequence,
        decode_s_per_context_token=0.0,
        prefill_s_per_token=device.prefill_s_per_token,
        prefill_s_per_pair=0.0,
        weights_s=0.0,
        expert_weights_s=0.0,
        expert_miss=1.0,
        kv_s_per_token=0.0,
        allreduce_fixed_s=0.0,
        allreduce_s_per_token=0.0,
        fixed_s=device.decode_fixed_s,
        sharpness=1.0,
        ratio=1.0,
        request_latency_s=device.request_latency_s,
    )


def measured_scheduler_limits(
    device: MeasuredStepCost,
    *,
    max_num_seqs: int | None = None,
    max_num_batched_tokens: int | None = None,
    kv_cache_blocks: int | None = None,
) -> SchedulerLimits:
    """The limits a measured device ran with, or those a run gives its engine instead
    (``--max-num-seqs``, ``--max-num-batched-tokens``, ``--num-gpu-blocks-override``)."""
    blocks = kv_cache_blocks or device.kv_cache_blocks
    return SchedulerLimits(
        max_num_seqs=max_num_seqs or device.max_num_seqs,
        max_num_batched_tokens=max_num_batched_tokens or device.max_num_batched_tokens,
        kv_capacity_tokens=blocks * device.kv_block_tokens,
        kv_block_tokens=device.kv_block_tokens,
    )


def estimate(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    concurrency: int | None = None,
    engine: Engine = "vllm",
    arrival: Arrival = "closed-loop",
    limits: EngineLimits | None = None,
    eff: EfficiencyFactors | None = None,
    rate_per_s: float | None = None,
    percentiles: tuple[int, ...] = (),
) -> Estimate:
    """Predict TTFT, ITL and throughput at ``concurrency`` requests in flight under
    ``arrival``; without a concurrency, the most the scheduler runs at once (saturated).
    ``rate_per_s`` spreads a burst over time (``sizing.performance.scheduler_model.predict_load``).
    The figures are the engine's: the API server's own work per request (HTTP, chat template,
    detokenising) is not added (docs/sizing-model.md, the front end). ``percentiles`` (e.g.
    50, 99): TTFT and ITL at each as well (``Estimate.percentiles``)."""
    eff = eff or default_efficiency()
    cost, mem, limits = replica_for_lengths(
        model=model,
        gpu=gpu,
        precision=precision,
        tp=tp,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        engine=engine,
        limits=limits,
        eff=eff,
    )
    if not mem.fits:
        clients = concurrency if concurrency is not None else 0
        return _not_fitting(mem, clients, model=model, gpu=gpu, precision=precision, tp=tp)
    sched = scheduler_limits(mem=mem, limits=limits, model=model)
    load = predict_load(
        cost=cost,
        limits=sched,
        lengths=LengthMix(input_tokens, output_tokens),
        arrival=arrival,
        concurrency=concurrency,
        rate_per_s=rate_per_s,
        quantiles=tuple(p / 100.0 for p in percentiles),
    )
    return estimate_from_load(
        load,
        mem=mem,
        limits=limits,
        arrival=arrival,
        output_tokens=output_tokens,
    )


def estimate_from_load(
    load: LoadPrediction,
    *,
    mem: MemoryFit,
    limits: EngineLimits,
    arrival: Arrival,
    output_tokens: int,
) -> Estimate:
    """An ``Estimate`` (milliseconds, tokens/s) from the scheduler model's prediction."""
    out = max(output_tokens, 1)
    e2e = load.e2e_s
    total = load.request_rate_per_s * out if arrival == "burst" else load.concurrency * out / e2e
    return Estimate(
        fits=True,
        max_concurrency=load.slots,
        concurrency=load.concurrency,
        batch=load.running,
        ttft_ms=load.ttft_s * 1e3,
        ttft_p95_ms=load.ttft_p95_s * 1e3,
        itl_ms=load.itl_s * 1e3,
        tps_per_request=out / e2e,
        output_tps_total=total,
        e2e_latency_s=e2e,
        memory=mem,
        itl_p95_ms=load.itl_p95_s * 1e3,
        ttft_p99_ms=load.ttft_p99_s * 1e3,
        arrival=arrival,
        limited_by=load.limited_by,
        request_rate_per_s=load.request_rate_per_s,
        prefill_share=load.prefill_share,
        budget_share=load.budget_share,
        kv_share=load.kv_share,
        max_num_seqs=limits.max_num_seqs,
        max_num_batched_tokens=limits.max_num_batched_tokens,
        percentiles=tuple((round(q * 100), t * 1e3, i * 1e3) for q, t, i in load.tails),
    )


def _not_fitting(
    mem: MemoryFit,
    clients: int,
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
) -> Estimate:
    gib_weights = mem.weights_bytes_per_gpu / GIB
    gib_usable = mem.usable_bytes_per_gpu / GIB
    if mem.kv_cache_bytes_per_gpu <= 0:
        reason = (
            f"does not fit: {model.id} {precision.id} needs {gib_weights:.1f} GiB of weights and "
            f"{mem.overhead_bytes_per_gpu / GIB:.1f} GiB of runtime per GPU at TP {tp}, "
            f"but {gpu.id} offers {gib_usable:.1f} GiB usable"
        )
    else:
        need = mem.kv_bytes_per_token_per_gpu * mem.tokens_per_sequence / GIB
        reason = (
            f"does not fit: one {mem.tokens_per_sequence}-token sequence needs {need:.2f} GiB of "
            f"KV cache per GPU; {mem.kv_cache_bytes_per_gpu / GIB:.2f} GiB is left"
        )
    nan = math.nan
    return Estimate(
        fits=False,
        max_concurrency=0,
        concurrency=clients,
        batch=0,
        ttft_ms=nan,
        ttft_p95_ms=nan,
        itl_ms=nan,
        tps_per_request=nan,
        output_tps_total=nan,
        e2e_latency_s=nan,
        memory=mem,
        reason=reason,
    )
