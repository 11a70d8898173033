"""A discrete-event simulator of vLLM's V1 scheduler, request by request.

It runs the same steps as the engine (``Scheduler.schedule`` in ``vllm/v1/core/sched/
scheduler.py``, v0.11.0) and times each with the same roofline as the fast model
(``sizing.performance.timing.StepCost``):

1. every running sequence that has its prompt computed gets its next decode token;
2. a running sequence still in prefill gets the next chunk, as much as the token budget left
   (``max_num_batched_tokens``) allows;
3. waiting requests are admitted first come, first served, each with a chunk of at most the
   budget left, while the budget lasts, fewer than ``max_num_seqs`` run and the KV cache has
   room for the chunk;
4. when the running sequences' next tokens do not fit in the KV cache, the most recently
   admitted one is preempted: its KV cache is freed and it goes back to the front of the
   queue, to recompute its prompt and what it had generated.

A request's first token comes at the end of the step that completes its prompt; each later step
gives it one more. The simulator exists to check the fast model
(``sizing.performance.scheduler_model``)
and to give users tail latencies (p95, p99) and utilisation; it is seeded and deterministic.
Closed-loop clients start at random times over about one request's life (a server in steady
state, not the start-up burst of clients that all begin at once) and send their next request
just after the step that answered them has ended, so while others run, it waits for the step
then in progress (the client's round trip is far shorter than a step but not zero).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import OrderedDict, deque
from dataclasses import dataclass

from sizing.performance.engine_limits import SchedulerLimits
from sizing.performance.scheduler_model import CLIENT_ROUND_TRIP_S
from sizing.performance.timing import StepCost
from sizing.performance.traffic import Arrival, LengthMix

DEFAULT_REQUESTS = 4000
DEFAULT_SEED = 1
# Answers in a steady-state closed loop are not all the same length (EOS, stop sequences): with
# the fixed mix the simulator draws each within this share of the average, the mean unchanged.
# Identical answers would lock clients that once shared a step into lock-step cohorts for good,
# the start-up burst that never ends; this small spread keeps them staggered.
CLOSED_LOOP_ANSWER_SPREAD = 0.05
GAP_SAMPLES = 8  # points that stand for a run of decode-only steps in the latency quantiles


class SimulationError(ValueError):
    """The workload cannot run at all (a prompt larger than the KV cache): a user-facing reason."""


@dataclass(frozen=True)
class SimulationResult:
    """Measured over the requests after the warm-up; latencies in milliseconds."""

    arrival: str
    concurrency: int | None  # clients (closed-loop, burst), or None for a given rate
    request_rate_per_s: float  # measured: completed requests per second of the window
    requests: int  # requests measured
    ttft_mean_ms: float
    ttft_p50_ms: float
    ttft_p95_ms: float
    ttft_p99_ms: float
    itl_mean_ms: float  # over every measured token gap
    itl_p50_ms: float
    itl_p95_ms: float
    itl_p99_ms: float
    tps_per_request_mean: float  # output tokens / end-to-end seconds, per request
    tps_per_request_p50: float
    e2e_mean_s: float
    output_tps_total: float  # output tokens per second of the replica in the window
    busy_share: float  # share of the window the engine was running steps
    mean_running: float  # sequences running per step (decoding or prefilling)
    mean_batch_tokens: float  # tokens per step
    budget_share: float  # mean tokens per step / max_num_batched_tokens
    peak_kv_share: float  # most KV cache in use / capacity
    preemptions: int
    steps: int


def simulate(
    *,
    cost: StepCost,
    limits: SchedulerLimits,
    lengths: LengthMix,
    arrival: Arrival,
    concurrency: int | None = None,
    rate_per_s: float | None = None,
    requests: int = DEFAULT_REQUESTS,
    warmup: int | None = None,
    seed: int = DEFAULT_SEED,
) -> SimulationResult:
    """Run ``requests`` requests (plus a tail that keeps the load on the last measured ones).

    ``closed-loop``: ``concurrency`` clients, ``warmup`` first requests not measured (default:
    a tenth, at least twice the clients). ``poisson``: arrivals at ``rate_per_s``.
    ``burst``: ``concurrency`` requests at t = 0, all measured. ``static``: one batch of
    ``concurrency`` requests prefilled before any decodes (static batching).
    """
    rng = random.Random(seed)
    if arrival in ("burst", "static"):
        total = n_measured = int(concurrency or 1)
        first_measured = 0
    else:
        n_measured = max(int(requests), 1)
        if warmup is None:
            clients = concurrency or 1
            warmup = min(max(2 * clients, n_measured // 10), 5 * n_measured)
        first_measured = warmup
        tail = max(concurrency or 0, n_measured // 10, 1)
        total = warmup + n_measured + tail
    (in_lo, in_hi), (out_lo, out_hi) = lengths.bounds()
    if arrival == "closed-loop" and out_lo == out_hi:
        spread = int(lengths.output_tokens * CLOSED_LOOP_ANSWER_SPREAD)
        out_lo, out_hi = max(out_lo - spread, 1), out_hi + spread
    prompt = [in_lo if in_lo == in_hi else rng.randint(in_lo, in_hi) for _ in range(total)]
    answer = [out_lo if out_lo == out_hi else rng.randint(out_lo, out_hi) for _ in range(total)]
    if max(prompt) + limits.kv_block_tokens > limits.kv_capacity_tokens:
        raise SimulationError(
            f"a {max(prompt)}-token prompt does not fit in the KV cache "
            f"({limits.kv_capacity_tokens} tokens)"
        )
    arrivals: list[tuple[float, int]] = []  # a heap of (time, request)
    issued = 0
    if arrival == "poisson":
        if not rate_per_s or rate_per_s <= 0:
            raise ValueError("poisson needs a positive rate_per_s")
        now = 0.0
        for rid in range(total):
            now += rng.expovariate(rate_per_s)
            arrivals.append((now, rid))  # already in time order: a valid heap
        issued = total
    else:
        clients = min(int(concurrency or 1), total)
        spread = 0.0
        if arrival == "closed-loop":
            # Steady state, not the start-up burst: clients start at random times over about
            # one request's life, as clients of a long-running server are at random points of
            # their requests.
            mean_in = (in_lo + in_hi) / 2.0
            mean_out = (out_lo + out_hi) / 2.0
            spread = cost.prompt_prefill_s(mean_in) + (mean_out - 1) * cost.time_s(
                clients, clients * (mean_in + mean_out / 2.0)
            )
        starts = sorted(spread * rng.random() for _ in range(clients))
        for rid in range(clients):
            arrivals.append((starts[rid], rid))  # in time order: a heap
        issued = clients
    closed = arrival == "closed-loop"

    budget_cap = limits.max_num_batched_tokens
    seq_cap = limits.max_num_seqs
    static = arrival == "static"
    if static:
        seq_cap = max(seq_cap, total)  # a static batch is as large as it is
    kv_cap = limits.kv_capacity_tokens
    half_block = limits.kv_block_tokens / 2.0

    todo = [0] * total  # prompt tokens still to compute
    done = [0] * total  # prompt tokens computed (held in KV while prefilling)
    gen = [0] * total  # tokens generated
    start_step = [0] * total  # step that completed the prompt (decoders)
    base = [0] * total  # KV tokens when the prompt completed
    epoch = [0] * total
    t_arrive = [0.0] * total
    t_first = [math.nan] * total
    t_done = [math.nan] * total
    waiting: deque[int] = deque()
    running: OrderedDict[int, None] = OrderedDict()
    prefilling: OrderedDict[int, None] = OrderedDict()
    finish_heap: list[tuple[int, int, int]] = []
    n_dec = 0
    sum_a = 0  # sum over decoders of base - start_step: their KV tokens are sum_a + n_dec * step
    prefill_held = 0
    t = 0.0
    step = 0
    finished_measured = 0
    preemptions = 0
    # start, duration, decode tokens, prefill tokens, running, steps, first and last step time
    step_log: list[tuple[float, float, int, int, int, int, float, float]] = []
    peak_kv = 0.0

    def remove_decoder(rid: int) -> None:
        nonlocal n_dec, sum_a
        n_dec -= 1
        sum_a -= base[rid] - start_step[rid]

    time_s = cost.time_s
    push, pop = heapq.heappush, heapq.heappop
    round_trip_rate = 1.0 / CLIENT_ROUND_TRIP_S
    # Time outside the steps (0 on the roofline): a closed-loop client's next request reaches
    # the engine that much later, and every TTFT and life is that much longer (_summarise).
    latency = cost.request_latency_s
    linear = cost.linear()
    # Decode-only steps, when the cost is linear: alpha + per_token d + per_context context.
    alpha = cost.ratio * (cost.weights_s + cost.allreduce_fixed_s + cost.fixed_s)
    per_token = cost.ratio * (cost.decode_s_per_token + cost.allreduce_s_per_token)
    per_context = cost.ratio * (cost.decode_s_per_context_token + cost.kv_s_per_token)

    while finished_measured < n_measured:
        while arrivals and arrivals[0][0] <= t:
            at, rid = pop(arrivals)
            t_arrive[rid] = at
            todo[rid] = prompt[rid]
            waiting.append(rid)
        if not running and not waiting:
            if not arrivals:
                break
            t = arrivals[0][0]
            continue
        budget = budget_cap
        # 1. decodes; preempt the most recently admitted while their tokens do not fit.
        kv = sum_a + n_dec * (step - 1) + prefill_held
        while n_dec and kv + n_dec + half_block * len(running) > kv_cap:
            rid, _ = running.popitem(last=True)
            preemptions += 1
            epoch[rid] += 1
            if rid in prefilling:
                del prefilling[rid]
                prefill_held -= done[rid]
            else:
                remove_decoder(rid)
                gen[rid] = gen[rid] + (step - 1 - start_step[rid])
            done[rid] = 0
            todo[rid] = prompt[rid] + gen[rid]
            waiting.appendleft(rid)
            kv = sum_a + n_dec * (step - 1) + prefill_held
        d = n_dec
        budget -= d
        kv += d
        chunks: list[tuple[int, int]] = []
        p = 0
        n_running = len(running)
        if prefilling or waiting:
            pairs = ctx_reads = 0.0
            # 2. running prompts in prefill (static batching: the whole batch in one step).
            if static:
                budget = 1 << 62
            for rid in list(prefilling):
                if budget <= 0:
                    break
                chunk = min(todo[rid], budget)
                if kv + chunk + half_block * n_running > kv_cap:
                    break
                chunks.append((rid, chunk))
                budget -= chunk
                kv += chunk
            # 3. waiting requests, first come first served.
            while waiting and budget > 0 and n_running < seq_cap:
                rid = waiting[0]
                chunk = min(todo[rid], budget)
                if kv + chunk + half_block * (n_running + 1) > kv_cap:
                    break
                waiting.popleft()
                running[rid] = None
                prefilling[rid] = None
                n_running += 1
                chunks.append((rid, chunk))
                budget -= chunk
                kv += chunk
            for rid, chunk in chunks:
                p += chunk
                pairs += chunk * done[rid] + chunk * chunk / 2.0
                ctx_reads += done[rid]
        if d == 0 and p == 0:
            if arrivals:
                t = max(t, arrivals[0][0])
                continue
            raise SimulationError("the scheduler cannot make progress: KV cache too small")
        context = sum_a + n_dec * step
        if kv + half_block * n_running > peak_kv:
            peak_kv = kv + half_block * n_running
        if p == 0:
            # Decode-only steps repeat until the next event (an arrival, a sequence that
            # finishes, a KV cache that fills): advance through all of them at once. Each
            # step's context grows by d tokens, so its time grows by a constant (exactly, for
            # the additive roofline; to second order otherwise).
            if linear:
                duration = alpha + per_token * d + per_context * context
                slope = per_context * d
            else:
                duration = time_s(d, context)
                slope = time_s(d, context + d) - duration
            steps = finish_heap[0][0] - step + 1 if finish_heap else 1 << 40
            room = int((kv_cap - half_block * n_running - prefill_held - sum_a) // d) - step
            if room < steps:
                steps = room if room > 1 else 1
            if arrivals:
                wait = arrivals[0][0] - t
                if wait < steps * duration:
                    steps = min(steps, _steps_until(wait, duration, slope))
            if steps < 1:
                steps = 1
            span = steps * duration + slope * steps * (steps - 1) / 2.0
            last = duration + slope * (steps - 1)
            step_log.append((t, span, d, 0, n_running, steps, duration, last))
            top = sum_a + d * (step + steps - 1) + half_block * n_running
            if top > peak_kv:
                peak_kv = top
            t += span
            step += steps - 1
        else:
            duration = time_s(d, context, p, pairs, ctx_reads)
            step_log.append((t, duration, d, p, n_running, 1, duration, duration))
            t += duration
        # Prompts that completed this step give their first (or next, after preemption) token.
        for rid, chunk in chunks:
            todo[rid] -= chunk
            done[rid] += chunk
            prefill_held += chunk
            if todo[rid]:
                continue
            del prefilling[rid]
            prefill_held -= done[rid]
            if gen[rid] == 0:
                t_first[rid] = t
            gen[rid] += 1
            if gen[rid] >= answer[rid]:
                del running[rid]
                done[rid] = 0
                t_done[rid] = t
                if rid >= first_measured and rid < first_measured + n_measured:
                    finished_measured += 1
                if closed and issued < total:
                    push(arrivals, (t + latency + rng.expovariate(round_trip_rate), issued))
                    issued += 1
                continue
            start_step[rid] = step
            base[rid] = done[rid]
            done[rid] = 0
            n_dec += 1
            sum_a += base[rid] - step
            push(finish_heap, (step + answer[rid] - gen[rid], rid, epoch[rid]))
        while finish_heap and finish_heap[0][0] <= step:
            _, rid, ep = pop(finish_heap)
            if ep != epoch[rid] or rid not in running:
                continue
            gen[rid] = answer[rid]
            remove_decoder(rid)
            del running[rid]
            t_done[rid] = t
            if first_measured <= rid < first_measured + n_measured:
                finished_measured += 1
            if closed and issued < total:
                push(arrivals, (t + latency + rng.expovariate(round_trip_rate), issued))
                issued += 1
        step += 1

    measured = range(first_measured, first_measured + n_measured)
    return _summarise(
        arrival=arrival,
        concurrency=concurrency,
        measured=measured,
        answer=answer,
        t_arrive=t_arrive,
        t_first=t_first,
        t_done=t_done,
        step_log=step_log,
        budget_cap=budget_cap,
        peak_kv_share=peak_kv / kv_cap,
        preemptions=preemptions,
        latency=latency,
    )


def _summarise(
    *,
    arrival: str,
    concurrency: int | None,
    measured: range,
    answer: list[int],
    t_arrive: list[float],
    t_first: list[float],
    t_done: list[float],
    step_log: list[tuple[float, float, int, int, int, int, float, float]],
    budget_cap: int,
    peak_kv_share: float,
    preemptions: int,
    latency: float = 0.0,
) -> SimulationResult:
    ttft = sorted(t_first[r] - t_arrive[r] + latency for r in measured)
    e2e = [t_done[r] - t_arrive[r] + latency for r in measured]
    tps = sorted(answer[r] / e for r, e in zip(measured, e2e, strict=True) if e > 0)
    start = min(t_arrive[r] for r in measured)
    end = max(t_done[r] for r in measured)
    window = max(end - start, 1e-12)
    gaps: list[tuple[float, float]] = []
    busy = tokens = running = 0.0
    steps = 0
    n_steps = 0
    for at, duration, d, p, run, count, first, last in step_log:
        n_steps += count
        if at < start or at >= end:
            continue
        steps += count
        busy += duration
        tokens += (d + p) * count
        running += run * count
        if d:
            # A run of steps whose time grows linearly: its gaps spread evenly from first to
            # last (one point stands for a run whose steps differ by less than 1%).
            if last - first <= 0.01 * first:
                gaps.append(((first + last) / 2.0, d * count))
                continue
            parts = min(count, GAP_SAMPLES)
            for k in range(parts):
                share = (k + 0.5) / parts
                gaps.append((first + (last - first) * share, d * count / parts))
    gaps.sort()
    total_gaps = sum(w for _, w in gaps)
    # Throughput counts every request that finished inside the window, measured or not: the
    # measured ones alone would miss those that started before it.
    done_in = [r for r, at in enumerate(t_done) if start <= at <= end]
    out_tokens = sum(answer[r] for r in done_in)
    return SimulationResult(
        arrival=arrival,
        concurrency=concurrency,
        request_rate_per_s=len(done_in) / window,
        requests=len(measured),
        ttft_mean_ms=1e3 * sum(ttft) / len(ttft),
        ttft_p50_ms=1e3 * quantile(ttft, 0.50),
        ttft_p95_ms=1e3 * quantile(ttft, 0.95),
        ttft_p99_ms=1e3 * quantile(ttft, 0.99),
        itl_mean_ms=1e3 * sum(x * w for x, w in gaps) / total_gaps if total_gaps else math.nan,
        itl_p50_ms=1e3 * weighted_quantile(gaps, 0.50, total_gaps),
        itl_p95_ms=1e3 * weighted_quantile(gaps, 0.95, total_gaps),
        itl_p99_ms=1e3 * weighted_quantile(gaps, 0.99, total_gaps),
        tps_per_request_mean=sum(tps) / len(tps) if tps else math.nan,
        tps_per_request_p50=quantile(tps, 0.50) if tps else math.nan,
        e2e_mean_s=sum(e2e) / len(e2e),
        output_tps_total=out_tokens / window,
        busy_share=min(busy / window, 1.0),
        mean_running=running / steps if steps else 0.0,
        mean_batch_tokens=tokens / steps if steps else 0.0,
        budget_share=tokens / steps / budget_cap if steps else 0.0,
        peak_kv_share=peak_kv_share,
        preemptions=preemptions,
        steps=n_steps,
    )


def _steps_until(wait_s: float, first_s: float, slope_s: float) -> int:
    """Decode steps, the first lasting ``first_s`` and each later one ``slope_s`` longer, until
    one starts at or after ``wait_s`` from now (so a request arriving then is seen)."""
    if wait_s <= 0:
        return 1
    if slope_s <= 1e-15:
        return max(math.ceil(wait_s / first_s), 1)
    a, b = slope_s / 2.0, first_s - slope_s / 2.0
    root = (-b + math.sqrt(b * b + 4.0 * a * wait_s)) / (2.0 * a)
    return max(math.ceil(root - 1e-9), 1)


def quantile(sorted_values: list[float], q: float) -> float:
    """The ``q`` quantile of sorted values, interpolating between neighbours."""
    if not sorted_values:
        return math.nan
    pos = q * (len(sorted_values) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def weighted_quantile(sorted_pairs: list[tuple[float, float]], q: float, total: float) -> float:
    """The ``q`` quantile of values given as sorted ``(value, count)`` pairs."""
    if not total:
        return math.nan
    target = q * total
    seen = 0.0
    for value, weight in sorted_pairs:
        seen += weight
        if seen >= target:
            return value
    return sorted_pairs[-1][0]
