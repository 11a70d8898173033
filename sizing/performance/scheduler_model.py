"""The fast model of vLLM's V1 scheduler: what a request sees on a loaded replica.

Every step carries one decode token for each running sequence and prefill chunks of new
prompts up to the token budget ``T = max_num_batched_tokens`` (chunked prefill), for at most
``max_num_seqs`` sequences and what the KV cache holds. A step's time is the roofline of what it
carries (``sizing.performance.timing.StepCost``). The weights are read once per step, so a prompt
that joins a step of ``n`` decodes, ``A(n) = alpha + beta n``, adds only its own work ``B``
(FLOPs, context reads, all-reduce traffic); a prompt longer than the budget left, ``T - n``,
takes ``k`` steps.

Steady state (``closed-loop``, ``poisson``). With ``C`` requests in flight a request finds the
other ``C - 1``, which arrive at ``lambda = (C - 1) / E`` per second, ``E`` being a request's
life (plus, for clients, their round trip). Prompts that arrive during a step join the next one,
so the mean step is ``mu = A(n + 1) + B lambda mu``, with ``n = lambda (N_out - 1) mu`` of the
others decoding (Little's law); every decode gap is a step, so the mean ITL is ``mu``:

    mu = (alpha + beta) / (1 - lambda (B + beta (N_out - 1)))

A prompt that fits in the budget is prefilled in the step after it arrives, with whatever else
arrived meanwhile:

* closed loop: the client's next request comes a round trip ``delta`` after the step that
  answered it ended, so it waits for the rest of a step then running (``x - E[delta mod x]``,
  with ``x = A + B lambda mu``), then its own step ``A + B (1 + lambda R)``;
* Poisson: it arrives at a random moment of a step, whose length is biased towards long steps
  (``E_b = mu + Var / mu``, ``Var = B^2 lambda mu / (1 - (B lambda)^2)`` for the Poisson number
  of prompts per step), waits half of it, then its own step ``A + B (1 + lambda E_b)``; when
  none of the others is in flight (probability ``e^-(C-1)``) the engine is idle and it starts
  at once.

The number of prompts sharing those steps is Poisson, which gives the p95. Prompts that need
several steps go through the budget one at a time (first come, first served) as through one
server with deterministic service ``S = k A + B``: they wait ``rho S / (2 (1 - rho))`` on
average (M/D/1, half of M/M/1) with ``rho = lambda S``; the same queue describes short prompts
whose combined load fills the budget, and the larger of the two waits applies. The request life
``E`` and ``lambda`` depend on each other: ``lambda (E(lambda) + delta) = C - 1`` has one root,
found by bisection. A lone request (``C = 1``) never waits: its TTFT is its prefill alone
(in budget-sized chunks, one step each, when the prompt is longer than the budget).

``burst``: ``C`` prompts at t = 0 are prefilled in budget-sized steps in arrival order while the
early ones already decode; prompts beyond the slots (``max_num_seqs``, the KV cache) start as
slots free up, at the rate a full replica completes requests. ``static``: the whole batch is
prefilled in one step, then decoded together.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal, NamedTuple

from sizing.performance.engine_limits import SchedulerLimits
from sizing.performance.timing import StepCost, prefill_pairs
from sizing.performance.traffic import Arrival, LengthMix

LimitedBy = Literal["kv-memory", "max-num-seqs"]
QUANTILE = 0.95
# A closed-loop client's round trip between its last token and its next request reaching the
# engine (streaming, HTTP, tokenizing the next prompt): an assumption of a few milliseconds,
# shared with the simulator.
CLIENT_ROUND_TRIP_S = 0.002
_NORMAL = NormalDist()
MAX_LOAD = 0.98  # prefill load at which the queues are treated as saturated
BISECTION_STEPS = 40
# The wait for a KV slot re-solves the arrival rate when it is more than this share of a life.
KV_WAIT_SETTLED = 1e-3
KV_BISECTION_STEPS = 12
KV_RATE_SETTLED = 1e-3  # requests in flight, as a share, the re-solved rate may miss by
# Slots more than this many standard deviations above the mean number in flight are never
# all taken (the generalised Poisson's tail there is below 1e-9 in the cases of the docs).
KV_QUEUE_SPREADS = 8.0
KV_QUEUE_ATOMS = 24  # waits beyond the slots counted one by one; the rest is one atom


class LoadPrediction(NamedTuple):
    """What a request and the replica see at ``concurrency`` requests in flight (seconds). A
    named tuple: immutable, and cheap to build on the ``estimate --cases`` path."""

    concurrency: int  # requests in flight (the saturating number when none was given)
    running: int  # requests the scheduler runs at once (the rest wait for a slot)
    slots: int  # the most it runs at once at these lengths (KV cache, max_num_seqs)
    ttft_s: float  # mean time to first token, queueing included
    ttft_p95_s: float
    ttft_p99_s: float  # burst and static only (NaN for the steady state)
    itl_s: float  # mean gap between streamed tokens
    itl_p95_s: float
    e2e_s: float  # a request's life: TTFT + (N_out - 1) ITL
    request_rate_per_s: float  # requests the replica completes per second
    decoding: float  # sequences decoding in a step, on average
    prefill_share: float  # share of the replica's time that goes to prefill work
    budget_share: float  # tokens per step / max_num_batched_tokens, on average
    kv_share: float  # KV cache the running requests hold on average / capacity
    limited_by: LimitedBy | None  # what keeps ``running`` below ``concurrency``
    # ``(q, TTFT, ITL)`` at each quantile asked of ``predict_load`` (percentile SLOs).
    tails: tuple[tuple[float, float, float], ...] = ()


def kv_sequences(*, limits: SchedulerLimits, lengths: LengthMix) -> int:
    """Requests the KV cache holds on average: each its prompt and, over its life, half its
    answer (vLLM allocates blocks as tokens arrive, not the final length up front)."""
    per_request = lengths.input_tokens + lengths.output_tokens / 2.0 + limits.kv_block_tokens / 2.0
    return max(int(limits.kv_capacity_tokens // per_request), 0)


def slots(*, limits: SchedulerLimits, lengths: LengthMix) -> tuple[int, LimitedBy]:
    """Most requests that run at once, and the limit that sets it."""
    kv = kv_sequences(limits=limits, lengths=lengths)
    if kv < limits.max_num_seqs:
        return kv, "kv-memory"
    return limits.max_num_seqs, "max-num-seqs"


def predict_load(
    *,
    cost: StepCost,
    limits: SchedulerLimits,
    lengths: LengthMix,
    arrival: Arrival,
    concurrency: int | None,
    rate_per_s: float | None = None,
    quantiles: tuple[float, ...] = (),
) -> LoadPrediction:
    """TTFT, ITL and throughput under ``arrival`` (the module docstring gives the model).
    ``rate_per_s`` spreads a burst's requests over time at that rate (a finite
    ``--request-rate`` above what the replica serves); None sends them all at once.
    ``quantiles`` (e.g. 0.5, 0.99): TTFT and ITL at each as well, in ``tails``."""
    most, limit = slots(limits=limits, lengths=lengths)
    most = max(most, 1)
    clients = most if concurrency is None else max(int(concurrency), 1)
    running = min(clients, most)
    limited_by = limit if clients > most else None
    if arrival == "static":
        load = _static(cost, limits, lengths, clients)
        tails = tuple((q, load.ttft_s, load.itl_s) for q in quantiles)
    elif arrival == "burst":
        load = _burst(cost, limits, lengths, clients, running, limited_by, rate_per_s, quantiles)
        tails = load.tails
    else:
        load = _steady(
            cost,
            limits,
            lengths,
            arrival == "poisson",
            clients,
            running,
            limited_by,
            quantiles,
            slots_most=most,
        )
        tails = load.tails
    load = load._replace(slots=most, tails=tails)
    return _with_request_latency(load, cost.request_latency_s, steady=arrival in STEADY)


STEADY = ("closed-loop", "poisson")


def _with_request_latency(load: LoadPrediction, latency: float, *, steady: bool) -> LoadPrediction:
    """A request's time outside the engine's steps (``StepCost.request_latency_s``: HTTP, the
    API server) added to its TTFT and life; in a steady state the same requests in flight then
    complete that much more slowly. Nothing changes where it is 0 (the roofline's devices)."""
    if not latency:
        return load
    e2e = load.e2e_s + latency
    rate = load.request_rate_per_s * load.e2e_s / e2e if steady else load.request_rate_per_s
    return load._replace(
        ttft_s=load.ttft_s + latency,
        ttft_p95_s=load.ttft_p95_s + latency,
        ttft_p99_s=load.ttft_p99_s + latency,
        e2e_s=e2e,
        request_rate_per_s=rate,
        tails=tuple((q, t + latency, i) for q, t, i in load.tails),
    )


class _Shape(NamedTuple):
    """Step quantities of one workload shape, around ``n`` decoding sequences."""

    alpha: float  # A(n) = alpha + beta n: a step of n decodes
    beta: float
    prompt_s: float  # B: what one prompt adds to the steps that prefill it
    chunks: int  # k: steps one prompt needs in the budget the decodes leave
    full_step_s: float  # a step of n decodes whose budget is full of prefill
    budget_left: float  # T - n

    def decode_s(self, n: float) -> float:
        return self.alpha + self.beta * n


def _shape(cost: StepCost, limits: SchedulerLimits, lengths: LengthMix, n: float) -> _Shape:
    n_in = lengths.input_tokens
    ctx = lengths.input_tokens + lengths.output_tokens / 2.0
    n = max(n, 1.0)
    alpha, beta = cost.decode_line(ctx, n)
    one = alpha + beta * n
    left = max(limits.max_num_batched_tokens - n, 1.0)
    if n_in <= left:
        if cost.linear():
            r = cost.ratio
            extra = r * (
                (cost.prefill_s_per_token + cost.allreduce_s_per_token) * n_in
                + cost.prefill_s_per_pair * n_in * n_in / 2.0
            )
            return _Shape(alpha, beta, extra, 1, one + extra, left)
        with_prompt = cost.time_s(n, n * ctx, n_in, n_in * n_in / 2.0, 0.0)
        return _Shape(alpha, beta, with_prompt - one, 1, with_prompt, left)
    # Chunks of ``left`` tokens, each reading the context before it; their extra time adds up.
    extra = done = 0.0
    full = one
    chunks = 0
    while done < n_in:
        chunk = min(left, n_in - done)
        step = cost.time_s(n, n * ctx, chunk, prefill_pairs(chunk, done), done)
        full = max(full, step)
        extra += step - one
        done += chunk
        chunks += 1
    return _Shape(alpha, beta, extra, chunks, full, left)


def _means(
    shape: _Shape, lam: float, others: int, n_out: int, n_in: int, poisson: bool, alone: float
) -> tuple[float, float, float, float, float, float, float]:
    """Mean step, decoding count and mean TTFT at an arrival rate ``lam`` of the others (see
    the module docstring), with the pieces the quantiles need: ``(ttft, mu, n, a, xp, carry,
    wait)``. Written out in one function because the rate solver calls it on every pass."""
    a0, beta, b = shape.alpha, shape.beta, shape.prompt_s
    denominator = 1.0 - lam * (b + beta * (n_out - 1))
    if denominator < 1.0 - MAX_LOAD:
        denominator = 1.0 - MAX_LOAD
    mu = (a0 + beta) / denominator
    n = lam * (n_out - 1) * mu
    if n > others:
        n = float(others)
    a = a0 + beta * n  # a step of the others' decodes
    if others <= 0 or lam <= 0.0:
        return alone, mu, n, a, a, 0.0, 0.0
    trip = CLIENT_ROUND_TRIP_S
    if shape.chunks == 1:
        # Steps carry decodes only (length a) or also the prompts that arrived during the step
        # before: at least one, nu / (1 - e^-nu) on average (length xp).
        nu = lam * mu
        carry = -math.expm1(-nu)
        xp = a + b * (nu / carry if carry > 1e-12 else 1.0)
        if poisson:
            # A random moment falls in a step of k prompts with its share of time,
            # Pois(k; nu) (a + b k) / mu; the request waits for the rest of it, then its own
            # step with the prompts that arrived during that one.
            busy = -math.expm1(-others)
            landed = 0.0
            for k, weight in _landing(a, b, lam, nu):
                x = a + b * k
                landed += weight * (0.5 * x + a + b + b * lam * x)
            ttft = (1.0 - busy) * alone + busy * landed
            residual = a / 2.0
        else:
            # x - E[d mod x]: the rest of the step running when a request arrives a round trip
            # d (exponential) after the step that answered its client ended.
            r0 = a - trip + (a / math.expm1(a / trip) if a < 50.0 * trip else 0.0)
            r1 = xp - trip + (xp / math.expm1(xp / trip) if xp < 50.0 * trip else 0.0)
            ttft = (1.0 - carry) * (r0 + a + b + b * lam * r0) + carry * (r1 + a + b + b * lam * r1)
            residual = r0
        # Short prompts whose load fills the budget: one server, M/D/1. A prompt's service is
        # its tokens' share of a full step's decodes plus its own work.
        service = n_in / shape.budget_left * a + b
        rho = lam * service
        if rho > MAX_LOAD:
            rho = MAX_LOAD
        wait = rho * service / (2.0 * (1.0 - rho))
        serial = (1.0 - rho) * residual + wait + a + b
        if serial > ttft:
            return serial, mu, n, a, xp, carry, serial - wait
        return ttft, mu, n, a, xp, carry, 0.0
    # Prompts longer than the budget left: one at a time through k steps each.
    service = shape.chunks * a + b
    rho = lam * service
    if rho > MAX_LOAD:
        rho = MAX_LOAD
    wait = rho * service / (2.0 * (1.0 - rho))
    if poisson:
        residual = a / 2.0
    else:
        residual = a - trip + (a / math.expm1(a / trip) if a < 50.0 * trip else 0.0)
    return (1.0 - rho) * residual + wait + service, mu, n, a, a, 0.0, 0.0


def _steady(
    cost: StepCost,
    limits: SchedulerLimits,
    lengths: LengthMix,
    poisson: bool,
    clients: int,
    running: int,
    limited_by: LimitedBy | None,
    quantiles: tuple[float, ...] = (),
    slots_most: int | None = None,
) -> LoadPrediction:
    n_in, n_out = lengths.input_tokens, max(lengths.output_tokens, 1)
    others = running - 1
    alone = lone_prefill_s(cost, limits, n_in)
    # A closed-loop client's next request reaches the engine a round trip plus the request
    # latency outside the steps after its last token (the latency is 0 on the roofline).
    trip = 0.0 if poisson else CLIENT_ROUND_TRIP_S + cost.request_latency_s
    # Most of the others decode at any time (their prompt is a small part of their life).
    shape = _shape(cost, limits, lengths, max(others * (n_out - 1) / n_out, 1.0))
    lam = 0.0
    if others > 0:
        # The solver starts from the one-step prefill (where it settles does not depend on
        # how a lone prompt is chunked: ``alone`` only answers for a request with no others).
        one_step = cost.prompt_prefill_s(n_in)
        lam = _solve_rate(shape, others, trip, n_out, n_in, poisson, one_step)
    ttft, mu, n, a, xp, carry, served = _means(shape, lam, others, n_out, n_in, poisson, alone)
    b = shape.prompt_s
    a_self = a + shape.beta
    life = ttft + (n_out - 1) * mu
    queue = (clients - running) / running * life if clients > running else 0.0

    # Poisson arrivals: the number in flight swings far beyond its mean, and past the slots the
    # KV cache holds, arrivals wait for a sequence to finish (``kv_queue``).
    # Requests beyond the slots wait, on top, for whole lives as in the closed loop (the queue
    # at the slots themselves is the KV queue's, so the TTFT keeps growing with the load).
    kvq = _NO_KV_QUEUE
    if poisson and others > 0 and slots_most is not None:
        kvq = kv_queue(shape, lam, life, slots_most, n_out)
        if kvq.mean_wait_s > KV_WAIT_SETTLED * life:
            lam, kvq = _solve_rate_with_wait(
                shape, others, others, n_out, n_in, alone, slots_most, lam
            )
            ttft, mu, n, a, xp, carry, served = _means(
                shape, lam, others, n_out, n_in, poisson, alone
            )
            a_self = a + shape.beta
            life = ttft + (n_out - 1) * mu
            if clients > running:
                queue = (clients - running) / running * (life + kvq.mean_wait_s)

    def tails(q: float) -> tuple[float, float]:
        """TTFT and ITL at the quantile ``q`` (0.95 is what plans size on)."""
        if others <= 0 or lam <= 0.0:
            ttft_q = ttft
        elif shape.chunks > 1:
            ttft_q = _serial_quantile(ttft, lam, shape, a, n_in, q)
        else:
            if poisson:
                busy = -math.expm1(-others)
                parts = [(1.0 - busy, alone, 0.0, 0.0)]
                for k, weight in _landing(a, b, lam, lam * mu):
                    x = a + b * k
                    parts.append((busy * weight, a + b, x, lam * x))
                ttft_q = _mixture_quantile(parts, b, q)
            else:
                # The step running at arrival carries decodes only (most often) or prompts
                # too, and in the tail the round trip has left almost all of it to wait for;
                # the prompts that arrive meanwhile join the request's own step.
                if carry < 1.0 - q:
                    extra = carry / (1.0 - q) * lam * (xp - a)
                    ttft_q = 2.0 * a + b + b * poisson_quantile(lam * a + extra, q)
                else:
                    ttft_q = xp + a + b + b * poisson_quantile(lam * xp, q)
            if served > 0.0:
                # Short prompts whose load fills the budget: the queue's tail, if longer.
                ttft_q = max(ttft_q, _serial_quantile(ttft, lam, shape, a, n_in, q))
        if kvq.saturated > 1e-6:
            ttft_q = kvq.ttft_quantile(ttft, ttft_q, q)
        # ITL: most steps carry decodes only, some carry prefill.
        if shape.chunks == 1:
            itl_q = a_self + b * poisson_quantile(lam * mu, q, continuous=False)
        else:
            share_steps = lam * shape.chunks * mu  # share of steps that carry a prefill chunk
            itl_q = shape.full_step_s if share_steps > 1.0 - q else a_self
        if poisson and n > 0:
            itl_q += _normal_quantile(q) * shape.beta * math.sqrt(n)  # the batch itself varies
        # Requests beyond the slots wait for whole lives of the running ones.
        ttft_q += 2.0 * q * queue
        return ttft_q, itl_q

    ttft_p95, itl_p95 = tails(QUANTILE)
    ttft += queue + kvq.mean_wait_s
    life += queue + kvq.mean_wait_s
    extra_tails = tuple((q, *tails(q)) for q in quantiles)
    tokens = n + 1.0 + lam * mu * n_in
    return LoadPrediction(
        concurrency=clients,
        running=running,
        slots=running,
        ttft_s=ttft,
        ttft_p95_s=ttft_p95 if ttft_p95 > ttft else ttft,
        ttft_p99_s=math.nan,
        itl_s=mu,
        itl_p95_s=itl_p95,
        tails=extra_tails,
        e2e_s=life,
        request_rate_per_s=clients / life,
        decoding=n + 1.0,
        prefill_share=min(lam * b, 1.0),
        budget_share=min(tokens / limits.max_num_batched_tokens, 1.0),
        kv_share=(running if kvq is _NO_KV_QUEUE else kvq.mean_held)
        * (n_in + n_out / 2.0)
        / limits.kv_capacity_tokens,
        limited_by=limited_by,
    )


def lone_prefill_s(cost: StepCost, limits: SchedulerLimits, input_tokens: int) -> float:
    """A lone prompt's prefill: one step when it fits the token budget, else chunks of
    ``max_num_batched_tokens`` one step each, every chunk attending to those before it (the
    scheduler chunks a prompt even on an idle engine; vllm/v1/core/sched/scheduler.py)."""
    budget = max(limits.max_num_batched_tokens, 1)
    if input_tokens <= budget:
        return cost.prompt_prefill_s(input_tokens)
    total = done = 0.0
    while done < input_tokens:
        chunk = min(budget, input_tokens - done)
        total += cost.time_s(0.0, 0.0, chunk, prefill_pairs(chunk, done), done)
        done += chunk
    return total


class KvQueue(NamedTuple):
    """Under Poisson arrivals, the others a request finds in flight and the wait for a slot
    when they already fill the KV cache (``kv_queue``)."""

    saturated: float  # share of arrivals that find every slot taken
    mean_wait_s: float  # mean wait for a slot, over all arrivals
    mean_held: float  # sequences the KV cache holds on average, the arrival's own included
    waits: tuple[tuple[float, float], ...]  # (wait for a slot, share of arrivals), longest first

    def ttft_quantile(self, mean: float, alone_q: float, q: float) -> float:
        """The ``q`` quantile of the TTFT once the wait for a slot counts, from the mean and
        the ``q`` quantile without it: above its mean the TTFT's tail is taken as exponential
        (through that quantile), and an arrival that waits ``w`` has the same tail ``w``
        later; the quantile is where the two parts' tails add up to ``1 - q`` (bisection)."""
        if alone_q <= mean:
            return max(alone_q, mean + self.wait_quantile(q))
        scale = (alone_q - mean) / math.log(1.0 / (1.0 - q))
        waits = [(w, share) for w, share in self.waits if share > 1e-7]

        def beyond(t: float) -> float:
            # (1 - saturated) of arrivals wait for nothing; each wait w delays its share.
            out = (1.0 - self.saturated) * (math.exp((mean - t) / scale) if t > mean else 1.0)
            for w, share in waits:
                out += share * (math.exp((mean + w - t) / scale) if t > mean + w else 1.0)
            return out

        low = alone_q
        high = alone_q + (waits[0][0] if waits else 0.0) + scale
        while beyond(high) > 1.0 - q:
            high += high - mean + scale
        for _ in range(KV_BISECTION_STEPS):
            mid = (low + high) / 2.0
            if beyond(mid) > 1.0 - q:
                low = mid
            else:
                high = mid
        return high

    def wait_quantile(self, q: float) -> float:
        """The wait for a slot at the quantile ``q`` of all arrivals (0 when fewer than ``1 -
        q`` wait), interpolated between the waits so the figure grows smoothly with load."""
        above = 0.0
        previous = self.waits[0][0] if self.waits else 0.0
        for wait, share in self.waits:
            if above + share >= 1.0 - q:
                part = (1.0 - q - above) / share
                return previous + (wait - previous) * part
            above += share
            previous = wait
        return 0.0


_NO_KV_QUEUE = KvQueue(0.0, 0.0, 0.0, ())


def kv_queue(shape: _Shape, lam: float, life: float, slots_most: int, n_out: int) -> KvQueue:
    """The KV cache's queue under Poisson arrivals, the way the simulator's scheduler makes one.

    A request's life is its own steps ``c`` plus what the others add to them: ``B`` for each
    prompt prefilled meanwhile (prefill goes first: every decode waits for it) and ``beta`` per
    step for each other sequence decoding, ``K = B + beta (N_out - 1)`` per request in all, the
    load ``lambda K`` of the mean step. So the number in flight is the number of arrivals in a
    window that they themselves stretch, ``N ~ Poisson(lambda (c + K N))``: Consul's
    generalised Poisson, ``theta = lambda c``, ``eta = lambda K``, mean ``theta / (1 - eta)``
    (Little's ``lambda E``) and variance ``theta / (1 - eta)^3``, far wider than a Poisson
    count (the variance of the number a simulated arrival finds agrees within 15% for Llama 70B
    with 1,000- to 24,000-token prompts while the cache has room). An arrival that finds
    ``n >= S`` others holding the ``S`` slots (the KV cache, ``max_num_seqs``) waits for
    ``n - S + 1`` of them to finish, at ``S / (N_out A(S) + S B)`` per second (all decoding, one
    prompt per freed slot). The count keeps its stretched shape beyond ``S``: the simulator's
    scheduler admits prompts by the chunk and preempts, so a full cache still stalls decodes
    with prefill and recomputation (a queue that stopped stretching at ``S`` halved the
    simulated TTFT p95 near the targets plans are sized on)."""
    eta = min(lam * (shape.prompt_s + shape.beta * (n_out - 1) / 2.0), MAX_LOAD)
    mean = lam * life
    theta = mean * (1.0 - eta)
    if theta <= 0.0:
        return _NO_KV_QUEUE
    full = slots_most
    if mean + KV_QUEUE_SPREADS * math.sqrt(mean / (1.0 - eta) ** 2) < full:
        return _NO_KV_QUEUE  # the slots are far beyond the count's reach: no one waits
    rate = full / (n_out * shape.decode_s(full) + full * shape.prompt_s)
    # log P(n) = log theta + (n - 1) log(theta + n eta) - theta - n eta - log n!, from the slots
    # up: only the arrivals that find them full wait, and the mass below needs no sum.
    log_theta = math.log(theta)
    saturated = mean_wait = excess = 0.0
    waits: list[tuple[float, float]] = []
    pmf = previous = 0.0
    for n in range(full, full + KV_QUEUE_ATOMS):
        spread = theta + n * eta
        previous = pmf
        pmf = math.exp(log_theta + (n - 1) * math.log(spread) - spread - math.lgamma(n + 1))
        if n == full and pmf < 1e-12:
            return _NO_KV_QUEUE  # the count's tail dies out before the slots
        wait = (n - full + 1) / rate
        saturated += pmf
        mean_wait += pmf * wait
        excess += pmf * (n + 1 - full)
        waits.append((wait, pmf))
        if pmf < 1e-6 * saturated:
            break
    else:
        # Beyond the atoms counted, the tail falls geometrically by the last ratio: one atom
        # at its mean wait.
        ratio = min(pmf / previous, MAX_LOAD) if previous > 0.0 else 0.0
        tail = pmf * ratio / (1.0 - ratio)
        wait = waits[-1][0] + 1.0 / (1.0 - ratio) / rate
        waits.append((wait, tail))
        saturated += tail
        mean_wait += tail * wait
        excess += tail * wait * rate
    held = max(mean + 1.0 - excess, 1.0)  # E[min(N + 1, S)]
    waits.reverse()
    return KvQueue(saturated, mean_wait, held, tuple(waits))


def _solve_rate_with_wait(
    shape: _Shape,
    others: int,
    in_flight: int,
    n_out: int,
    n_in: int,
    alone: float,
    slots_most: int,
    no_wait: float,
) -> tuple[float, KvQueue]:
    """The Poisson rate at which ``in_flight`` others are in flight once the wait for a slot
    counts in a request's life, ``lambda (E(lambda) + W(lambda)) = in_flight`` (both sides grow
    with ``lambda``); ``others`` (at most the slots less one) run at once. ``no_wait``: the rate
    without the wait, the top."""

    def excess(rate: float) -> tuple[float, KvQueue]:
        ttft, mu = _means(shape, rate, others, n_out, n_in, True, alone)[:2]
        life = ttft + (n_out - 1) * mu
        queue = kv_queue(shape, rate, life, slots_most, n_out)
        return rate * (life + queue.mean_wait_s) - in_flight, queue

    # Regula falsi with the Illinois step (both ends move): a few passes where a bisection
    # took a dozen, each pass one KV queue.
    # The rate without the wait is the top: the wait only lowers it.
    low, high = 0.0, min(no_wait, MAX_LOAD / (shape.prompt_s + shape.beta * (n_out - 1)))
    f_low = -float(in_flight)
    f_high, queue = excess(high)
    if f_high <= 0.0:
        return high, queue
    best, best_queue = low, _NO_KV_QUEUE
    side = 0
    for _ in range(KV_BISECTION_STEPS):
        mid = (low * f_high - high * f_low) / (f_high - f_low)
        f_mid, queue = excess(mid)
        if abs(f_mid) <= KV_RATE_SETTLED * in_flight:
            return mid, queue
        if f_mid < 0.0:
            low, f_low, best, best_queue = mid, f_mid, mid, queue
            if side == -1:
                f_high /= 2.0
            side = -1
        else:
            high, f_high = mid, f_mid
            if side == 1:
                f_low /= 2.0
            side = 1
    if best_queue is _NO_KV_QUEUE:
        return best, excess(best)[1]
    return best, best_queue


def _landing(a: float, b: float, lam: float, nu: float) -> list[tuple[int, float]]:
    """Where a random moment falls: ``(k, share of time in steps of k prompts)``.

    A step carries the prompts that arrived during the step before, so a long step makes the
    next one long too: the count per step has mean ``nu = lambda mu`` and, from ``x' = a + b K``
    with ``K ~ Poisson(lambda x)``, variance ``nu / (1 - (b lambda)^2)``. A negative binomial
    with that mean and variance stands for it (Poisson when the cascade is negligible)."""
    spread = 1.0 / max(1.0 - (b * lam) ** 2, 1.0 - MAX_LOAD)
    if spread < 1.001 or nu <= 0.0:
        pmf, grow, r = math.exp(-nu), 0.0, 0.0
    else:
        p = 1.0 / spread
        r = nu / (spread - 1.0)
        pmf, grow = p**r, 1.0 - p
    out: list[tuple[int, float]] = []
    total = covered = 0.0
    k = 0
    while covered < 0.9999 and k < 64:
        weight = pmf * (a + b * k)
        out.append((k, weight))
        total += weight
        covered += pmf
        pmf *= (k + r) / (k + 1) * grow if grow else nu / (k + 1)
        k += 1
    return [(k, w / total) for k, w in out]


def _serial_quantile(
    ttft: float, lam: float, shape: _Shape, a: float, n_in: int, q: float = QUANTILE
) -> float:
    """The ``q`` quantile when prompts queue for the budget, from that queue's mean TTFT: the
    M/D/1 wait exceeds ``t`` with probability about ``rho e^(-t rho / wait)``, so below
    ``rho = 1 - q`` no wait is left at that quantile."""
    service = (
        shape.chunks * a + shape.prompt_s
        if shape.chunks > 1
        else n_in / shape.budget_left * a + shape.prompt_s
    )
    rho = min(lam * service, MAX_LOAD)
    wait = rho * service / (2.0 * (1.0 - rho))
    if rho <= 1.0 - q:
        return ttft - wait
    return ttft - wait + wait / rho * math.log(rho / (1.0 - q))


def _mixture_quantile(
    parts: list[tuple[float, float, float, float]], b: float, q: float = QUANTILE
) -> float:
    """The ``q`` quantile of a mixture: with weight ``w``, ``offset + U width + b m``, ``U``
    uniform on (0, 1) and ``m`` Poisson(``nu``) prompts sharing the request's step."""
    terms: list[tuple[float, float, float]] = []  # (start, width, weight)
    high = 0.0
    for w, offset, width, nu in parts:
        if w <= 1e-12:
            continue
        pmf = math.exp(-nu)
        covered = 0.0
        m = 0
        while covered < 0.99995 and m < 400:
            terms.append((offset + b * m, width, w * pmf))
            covered += pmf
            m += 1
            pmf *= nu / m
        if offset + width + b * m > high:
            high = offset + width + b * m
    if all(width == 0.0 for _, width, _ in terms):
        # Atoms only: interpolate between the two around the quantile, as a sample would.
        terms.sort()
        seen = 0.0
        previous = terms[0][0]
        for start, _, weight in terms:
            if seen + weight >= q:
                share = (q - seen) / weight if weight else 1.0
                return previous + (start - previous) * min(max(share, 0.0), 1.0)
            seen += weight
            previous = start
        return terms[-1][0]
    return _linear_quantile(terms, q)


def _linear_quantile(terms: list[tuple[float, float, float]], q: float) -> float:
    """The ``q`` quantile of a mixture of uniforms ``(start, width, weight)`` (width 0: an
    atom), exactly: the CDF is piecewise linear between the terms' ends, so one sorted sweep
    over those ends finds where it crosses ``q``. (A bisection over every term did the same
    in 24 passes and was most of a plan's time.)"""
    # Start the sweep at the mixture's mean, below the upper quantiles in practice: what lies
    # wholly below it is summed, not sorted (most terms, and most of a plan's time otherwise).
    total = sum(weight for _, _, weight in terms)
    at = sum(weight * (start + width / 2.0) for start, width, weight in terms) / total
    cdf = slope = 0.0
    events: list[tuple[float, float, float]] = []  # (at, jump, change of slope) beyond ``at``
    for start, width, weight in terms:
        if width <= 0.0:
            if start <= at:
                cdf += weight
            else:
                events.append((start, weight, 0.0))
        elif start + width <= at:
            cdf += weight
        else:
            rate = weight / width
            if start <= at:
                cdf += rate * (at - start)
                slope += rate
            else:
                events.append((start, 0.0, rate))
            events.append((start + width, 0.0, -rate))
    if cdf >= q:
        return _swept_quantile(terms, q)
    events.sort()
    return _sweep(events, at, cdf, slope, q)


def _swept_quantile(terms: list[tuple[float, float, float]], q: float) -> float:
    """``_linear_quantile`` from the lowest term: every end sorted and swept."""
    events: list[tuple[float, float, float]] = []  # (at, jump, change of slope)
    for start, width, weight in terms:
        if width <= 0.0:
            events.append((start, weight, 0.0))
        else:
            rate = weight / width
            events.append((start, 0.0, rate))
            events.append((start + width, 0.0, -rate))
    events.sort()
    return _sweep(events, events[0][0], 0.0, 0.0, q)


def _sweep(
    events: list[tuple[float, float, float]], at: float, cdf: float, slope: float, q: float
) -> float:
    """Where a piecewise-linear CDF, ``cdf`` rising at ``slope`` from ``at``, crosses ``q``
    over the sorted ``events`` (position, jump, change of slope)."""
    for x, jump, change in events:
        if slope > 0.0 and x > at:
            reach = cdf + slope * (x - at)
            if reach >= q:
                return at + (q - cdf) / slope
            cdf = reach
        at = x
        cdf += jump
        if cdf >= q:
            return x
        slope += change
    return at


_Z = {0.5: 0.0, 0.95: 1.6449, 0.99: 2.3263}  # the quantiles SLOs name, to four places


def _normal_quantile(q: float) -> float:
    """The standard normal's ``q`` quantile (1.6449 at 0.95)."""
    return _Z[q] if q in _Z else _NORMAL.inv_cdf(q)


def poisson_quantile(mean: float, q: float, *, continuous: bool = True) -> float:
    """The ``q`` quantile of a Poisson count. ``continuous`` interpolates within the step where
    the CDF crosses ``q``, so the figure grows smoothly with the mean."""
    if mean <= 0:
        return 0.0
    if mean > 50:
        z = _normal_quantile(q)
        return max(mean + z * math.sqrt(mean) - (0.5 if continuous else 0.0), 0.0)
    pmf = math.exp(-mean)
    cdf = pmf
    k = 0
    while cdf < q:
        k += 1
        pmf *= mean / k
        cdf += pmf
    if not continuous:
        return float(k)
    below = cdf - pmf
    return k - 1 + (q - below) / pmf if k else 0.0


def _solve_rate(
    shape: _Shape, others: int, trip: float, n_out: int, n_in: int, poisson: bool, alone: float
) -> float:
    """The rate ``lambda`` with ``lambda (TTFT + (N_out - 1) mu(lambda) + trip) = others``.

    With the TTFT held fixed this is a quadratic in ``lambda`` (``mu`` is ``(alpha + beta) /
    (1 - lambda K)``, ``K = B + beta (N_out - 1)``), whose smaller root is the stable state; the
    TTFT is then re-evaluated at that rate and the quadratic solved again. The TTFT is a small
    part of a request's life, so a few passes settle it."""
    k = shape.prompt_s + shape.beta * (n_out - 1)
    d = (n_out - 1) * (shape.alpha + shape.beta)
    top = MAX_LOAD / k
    ttft = alone + shape.alpha  # about one decode step of waiting: close to the answer
    lam = 0.0
    for _ in range(8):
        t = ttft + trip
        bq = t + d + others * k
        disc = bq * bq - 4.0 * t * k * others
        lam = 2.0 * others / (bq + math.sqrt(disc if disc > 0.0 else 0.0))
        if lam > top:
            lam = top
        new = _means(shape, lam, others, n_out, n_in, poisson, alone)[0]
        if abs(new - ttft) <= 1e-3 * ttft:
            return lam
        ttft = (new + ttft) / 2.0 if new > 4.0 * ttft else new
    if abs(_in_flight(shape, lam, others, trip, n_out, n_in, poisson, alone) - others) <= (
        1e-3 * others
    ):
        return lam
    # The passes did not settle (short answers, where the TTFT is most of a request's life,
    # make them oscillate): requests in flight, ``lambda`` times a life, grow with ``lambda``,
    # so bisect for the rate that keeps ``others`` of them.
    low, high = 0.0, top
    if _in_flight(shape, high, others, trip, n_out, n_in, poisson, alone) <= others:
        return high
    for _ in range(BISECTION_STEPS):
        mid = (low + high) / 2.0
        if _in_flight(shape, mid, others, trip, n_out, n_in, poisson, alone) < others:
            low = mid
        else:
            high = mid
    return low


def _in_flight(
    shape: _Shape,
    lam: float,
    others: int,
    trip: float,
    n_out: int,
    n_in: int,
    poisson: bool,
    alone: float,
) -> float:
    """Requests in flight at rate ``lambda`` (Little's law): ``lambda (TTFT + (N_out - 1) mu +
    trip)``."""
    ttft, mu = _means(shape, lam, others, n_out, n_in, poisson, alone)[:2]
    return lam * (ttft + (n_out - 1) * mu + trip)


def _static(
    cost: StepCost, limits: SchedulerLimits, lengths: LengthMix, batch: int
) -> LoadPrediction:
    """A static batch: every prompt in one step, then ``N_out - 1`` decode steps together."""
    n_in, n_out = lengths.input_tokens, max(lengths.output_tokens, 1)
    ttft = cost.time_s(0.0, 0.0, batch * n_in, batch * prefill_pairs(n_in, 0.0), 0.0)
    ctx = n_in + n_out / 2.0
    itl = cost.time_s(batch, batch * ctx)
    life = ttft + (n_out - 1) * itl
    return LoadPrediction(
        concurrency=batch,
        running=batch,
        slots=batch,
        ttft_s=ttft,
        ttft_p95_s=ttft,
        ttft_p99_s=ttft,
        itl_s=itl,
        itl_p95_s=itl,
        e2e_s=life,
        request_rate_per_s=batch / life,
        decoding=batch,
        prefill_share=ttft / life,
        budget_share=1.0,
        kv_share=batch * ctx / limits.kv_capacity_tokens,
        limited_by=None,
    )


def _burst(
    cost: StepCost,
    limits: SchedulerLimits,
    lengths: LengthMix,
    clients: int,
    running: int,
    limited_by: LimitedBy | None,
    rate_per_s: float | None = None,
    quantiles: tuple[float, ...] = (),
) -> LoadPrediction:
    """``clients`` prompts at t = 0. The first ``running`` are prefilled in budget-sized steps,
    first come first served, while those already prefilled decode; the rest start as slots
    free up, at the rate the full replica completes requests. With ``rate_per_s`` the ``i``-th
    prompt arrives at ``i / rate`` instead and waits that much less, but never less than in the
    steady state at that many in flight."""
    n_in, n_out = lengths.input_tokens, max(lengths.output_tokens, 1)
    ctx = n_in + n_out / 2.0
    budget = limits.max_num_batched_tokens
    total = running * n_in
    first_token: list[float] = []  # when each of the first wave gets its first token
    first_step: list[int] = []  # the step that gave it
    decode_gap_time = 0.0  # sum over prefill-phase steps of duration x decoders
    decode_gaps = 0
    done = 0
    t = 0.0
    step = 0
    finished = 0  # first-wave requests whose whole answer came inside the prefill phase
    while done < total:
        while finished < len(first_step) and step - first_step[finished] > n_out - 1:
            finished += 1
        decoders = len(first_step) - finished
        room = max(budget - decoders, 1)
        chunk = min(room, total - done)
        offset = done % n_in
        duration = cost.time_s(
            decoders, decoders * ctx, chunk, chunk * n_in / 2.0, offset if chunk < n_in else 0.0
        )
        t += duration
        decode_gap_time += duration * decoders
        decode_gaps += decoders
        done += chunk
        completed = min(done // n_in, running)
        first_token.extend([t] * (completed - len(first_token)))
        first_step.extend([step] * (completed - len(first_step)))
        step += 1
    decode_step = cost.time_s(running, running * ctx)
    gaps = running * (n_out - 1)
    rest = max(gaps - decode_gaps, 0)
    itl = (decode_gap_time + rest * decode_step) / gaps if gaps else decode_step
    starts = list(first_token)  # each request's first token, in arrival order
    makespan = first_token[-1] + (n_out - 1) * decode_step
    if clients > running:
        # The others wait for slots: the j-th starts after about j lives / running, and never
        # before the first wave's prompts are prefilled (the waiting queue is first come, first
        # served: vllm/v1/core/sched/scheduler.py schedules the running requests' chunks first).
        steady = _steady(cost, limits, lengths, False, running, running, None)
        waiting = clients - running
        first_free = first_token[0] + (n_out - 1) * itl
        per_slot = steady.e2e_s / running
        starts += [
            max(first_free + j * per_slot, first_token[-1]) + steady.ttft_s for j in range(waiting)
        ]
        itl = (running * itl + waiting * steady.itl_s) / clients
        makespan = first_free + waiting * per_slot + steady.e2e_s
    if rate_per_s:
        floor = cost.prompt_prefill_s(n_in)
        starts = [max(s - i / rate_per_s, floor) for i, s in enumerate(starts)]
        makespan = max(makespan, clients / rate_per_s + (n_out - 1) * itl)
    ordered = sorted(starts)
    ttft = sum(ordered) / len(ordered)
    ttft_p95 = ordered[min(int(QUANTILE * len(ordered)), len(ordered) - 1)]
    ttft_p99 = ordered[min(int(0.99 * len(ordered)), len(ordered) - 1)]
    tails = tuple(
        (q, ordered[min(int(q * len(ordered)), len(ordered) - 1)], max(itl, decode_step))
        for q in quantiles
    )
    return LoadPrediction(
        concurrency=clients,
        running=running,
        slots=running,
        ttft_s=ttft,
        ttft_p95_s=max(ttft_p95, ttft),
        ttft_p99_s=max(ttft_p99, ttft_p95),
        itl_s=itl,
        itl_p95_s=max(itl, decode_step),
        e2e_s=ttft + (n_out - 1) * itl,
        request_rate_per_s=clients / makespan,
        decoding=running,
        prefill_share=min(t / makespan, 1.0),
        budget_share=1.0,
        kv_share=running * ctx / limits.kv_capacity_tokens,
        limited_by=limited_by,
        tails=tails,
    )
