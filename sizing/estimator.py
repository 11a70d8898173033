"""Predict latency and throughput of one model replica under continuous batching.

The estimator combines three pieces:

* ``sizing.memory``: how many sequences of the requested length the KV cache holds;
* ``sizing.timing``: roofline times of one prefill and one decode step;
* a load model (here): what a request sees when ``concurrency`` clients share the replica.

Load model. With ``C`` closed-loop clients and room for ``B_max`` sequences, ``B = min(C, B_max)``
decode together. A new request waits for the prefills queued before it, so
``TTFT = P1 + q (B - 1) Pm`` where ``P1`` is a lone prefill, ``Pm`` the marginal tensor-core time of
one more prompt and ``q`` the fitted queue factor (0.5 for clients that arrive together and are
served in turn, 1 for a static batch whose first token comes after the whole batch's prefill).
Other requests' prefills also stall decoding: ``ITL = S(B) + k (B - 1) Pm / O``. Clients beyond
``B_max`` wait for a free slot. Without a concurrency the replica is saturated (offline maximum
throughput, ``C = B_max``). This is how benchmarks drive a server, and the model the
calibration fits (``arrival="closed-loop"``).

Production traffic arrives at random instead (``arrival="poisson"``, what the optimizer uses):
``C`` requests in flight for ``E`` seconds each give ``lambda = C / E`` arrivals per second
(Little's law). Prefill is a single server busy ``rho = lambda Pm`` of the time; a request waits
for it as in an M/M/1 queue (mean ``rho Pm / (1 - rho)``, 95th percentile
``Pm ln(20 rho) / (1 - rho)``), and decoding slows to ``S(B) / (1 - rho)``. ``E`` and ``lambda``
depend on each other; the request time that satisfies both is a quadratic's root.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from inferplan.sizing.catalog.entries import GpuSpec, ModelSpec, PrecisionSpec
from inferplan.sizing.efficiency import EfficiencyFactors, default_efficiency
from inferplan.sizing.memory import MemoryFit, memory_fit
from inferplan.sizing.timing import decode_step_time_s, prefill_compute_s, prefill_time_s

Engine = Literal["vllm", "trtllm"]
Arrival = Literal["closed-loop", "poisson"]
GIB = 1024**3
P95_OF_UNIFORM_QUEUE = 0.95  # the 95th percentile position in a queue served in turn


class UnsupportedConfiguration(ValueError):
    """The configuration cannot run at all (not merely slowly): a user-facing reason."""


@dataclass(frozen=True)
class EngineLimits:
    """Per-replica scheduler limits, as the serving engine resolves its defaults."""

    max_num_seqs: int
    max_num_batched_tokens: int
    gpu_memory_utilization: float


def default_engine_limits(*, gpu: GpuSpec, engine: Engine = "vllm") -> EngineLimits:
    """Engine defaults for a GPU.

    vLLM's OpenAI server uses 1024 sequences and 8192 batched tokens on GPUs with at least
    70 GiB that are not A100s, else 256 and 2048, with ``--gpu-memory-utilization`` 0.9.
    TensorRT-LLM's throughput benchmark runs batches up to 2048 with about 0.92 of memory.
    """
    big = gpu.memory_bytes >= 70 * GIB and not gpu.id.startswith("a100")
    if engine == "trtllm":
        return EngineLimits(2048, 8192, 0.92)
    return EngineLimits(1024 if big else 256, 8192 if big else 2048, 0.90)


@dataclass(frozen=True)
class Estimate:
    """Predicted behaviour of one replica (``tp`` GPUs) at one workload shape."""

    fits: bool
    max_concurrency: int  # sequences the KV cache and scheduler hold at these lengths
    concurrency: int  # clients assumed (the saturating batch when none was given)
    batch: int  # sequences decoding together
    ttft_ms: float  # mean time to first token, queueing included
    ttft_p95_ms: float
    itl_ms: float  # mean inter-token latency while streaming
    tps_per_request: float  # output tokens / end-to-end seconds of one request
    output_tps_total: float  # output tokens/s of the whole replica
    e2e_latency_s: float
    memory: MemoryFit
    reason: str | None = None  # why it does not fit


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
) -> Estimate:
    """Predict TTFT, ITL and throughput; see the module docstring for the load model."""
    check_configuration(model=model, gpu=gpu, precision=precision, tp=tp)
    eff = eff or default_efficiency()
    limits = limits or default_engine_limits(gpu=gpu, engine=engine)
    mem = memory_fit(
        model=model,
        gpu=gpu,
        precision=precision,
        tp=tp,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        gpu_memory_utilization=limits.gpu_memory_utilization,
        base_overhead_bytes=eff.base_overhead_bytes,
        max_num_batched_tokens=limits.max_num_batched_tokens,
        max_num_seqs=limits.max_num_seqs,
    )
    b_max = min(mem.max_concurrency, limits.max_num_seqs)
    clients = concurrency if concurrency is not None else b_max
    if not mem.fits:
        return _not_fitting(mem, clients, model=model, gpu=gpu, precision=precision, tp=tp)
    return _load_model(
        model=model,
        gpu=gpu,
        precision=precision,
        tp=tp,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        clients=max(clients, 1),
        b_max=b_max,
        mem=mem,
        eff=eff,
        step_ratio=eff.vllm_step_time_ratio if engine == "vllm" else 1.0,
        arrival=arrival,
    )


def _load_model(
    *,
    model: ModelSpec,
    gpu: GpuSpec,
    precision: PrecisionSpec,
    tp: int,
    input_tokens: int,
    output_tokens: int,
    clients: int,
    b_max: int,
    mem: MemoryFit,
    eff: EfficiencyFactors,
    step_ratio: float,
    arrival: Arrival,
) -> Estimate:
    batch = min(clients, b_max)
    out = max(output_tokens, 1)
    p1 = step_ratio * prefill_time_s(
        model=model, gpu=gpu, precision=precision, tp=tp, input_tokens=input_tokens, eff=eff
    )
    pm = step_ratio * prefill_compute_s(
        model=model, gpu=gpu, precision=precision, tp=tp, input_tokens=input_tokens, eff=eff
    )
    step = step_ratio * decode_step_time_s(
        model=model,
        gpu=gpu,
        precision=precision,
        tp=tp,
        batch=batch,
        context_tokens=input_tokens + out / 2.0,
        eff=eff,
    )
    if arrival == "poisson":
        itl, ttft, ttft_p95 = _poisson_latencies(p1=p1, pm=pm, step=step, batch=batch, out=out)
    else:
        others = batch - 1
        itl = step + eff.itl_prefill_interference * others * pm / out
        ttft = p1 + eff.ttft_queue_factor * others * pm
        share_p95 = min(1.0, 2.0 * eff.ttft_queue_factor * P95_OF_UNIFORM_QUEUE)
        ttft_p95 = p1 + share_p95 * others * pm
    cycle = ttft + (out - 1) * itl
    if clients > batch:
        # Clients beyond the KV capacity wait for whole cycles of the running batch.
        slot_wait = (clients - batch) / batch * cycle
        ttft += slot_wait
        ttft_p95 += 2.0 * P95_OF_UNIFORM_QUEUE * slot_wait
    e2e = ttft + (out - 1) * itl
    return Estimate(
        fits=True,
        max_concurrency=b_max,
        concurrency=clients,
        batch=batch,
        ttft_ms=ttft * 1e3,
        ttft_p95_ms=ttft_p95 * 1e3,
        itl_ms=itl * 1e3,
        tps_per_request=out / e2e,
        output_tps_total=clients * out / e2e,
        e2e_latency_s=e2e,
        memory=mem,
    )


def _poisson_latencies(
    *, p1: float, pm: float, step: float, batch: int, out: int
) -> tuple[float, float, float]:
    """ITL, mean TTFT and p95 TTFT for random arrivals keeping ``batch`` requests in flight.

    The request time ``E`` must equal the latency that the arrival rate ``batch / E`` causes:
    ``E = P1 + (rho Pm + (O - 1) S) / (1 - rho)`` with ``rho = batch Pm / E``. Substituting
    ``E = batch Pm / rho`` gives ``(Pm - P1) rho^2 + (P1 + (O - 1) S + batch Pm) rho - batch Pm
    = 0``, whose one root in (0, 1) is taken in the numerically stable form.
    """
    b_pm = batch * pm
    a = pm - p1
    b = p1 + (out - 1) * step + b_pm
    discriminant = max(b * b + 4.0 * a * b_pm, 0.0)
    rho = min(2.0 * b_pm / (b + math.sqrt(discriminant)), 1.0 - 1e-9) if b_pm > 0 else 0.0
    itl = step / (1.0 - rho)
    ttft = p1 + rho * pm / (1.0 - rho)
    # M/M/1: P(wait > t) = rho exp(-(1 - rho) t / Pm). Below rho = 5% the p95 wait is 0 while
    # the mean is not; report no less than the mean, to stay on the safe side.
    tail = pm * math.log(20.0 * rho) / (1.0 - rho) if rho > 0.05 else 0.0
    return itl, ttft, max(p1 + tail, ttft)


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
