"""The discrete-event simulator of vLLM's scheduler, against cases worked out by hand.

The step cost here is made of round numbers so every expected value can be computed on paper:
a step reads 10 ms of weights, each decode token costs 1 ms and each prefill token 0.1 ms
(no attention, no KV reads, one GPU). A step of ``d`` decodes and ``p`` prefill tokens takes
``10 + d + 0.1 p`` ms.
"""

from __future__ import annotations

import math

import pytest

from sizing.performance.engine_limits import SchedulerLimits
from sizing.performance.simulator import SimulationError, simulate
from sizing.performance.timing import StepCost
from sizing.performance.traffic import LengthMix

COST = StepCost(
    decode_s_per_token=0.001,
    decode_s_per_context_token=0.0,
    prefill_s_per_token=0.0001,
    prefill_s_per_pair=0.0,
    weights_s=0.010,
    expert_weights_s=0.0,
    expert_miss=1.0,
    kv_s_per_token=0.0,
    allreduce_fixed_s=0.0,
    allreduce_s_per_token=0.0,
    fixed_s=0.0,
    sharpness=1.0,
    ratio=1.0,
)
ROOMY = SchedulerLimits(max_num_seqs=256, max_num_batched_tokens=2048, kv_capacity_tokens=10**6)


def step_ms(decodes: int, prefill_tokens: int) -> float:
    return 10.0 + decodes * 1.0 + prefill_tokens * 0.1


def test_a_lone_request_is_its_prefill_then_one_decode_step_per_token() -> None:
    sim = simulate(
        cost=COST,
        limits=ROOMY,
        lengths=LengthMix(1000, 5),
        arrival="closed-loop",
        concurrency=1,
        requests=20,
    )
    assert sim.ttft_mean_ms == pytest.approx(step_ms(0, 1000))  # 110 ms
    assert sim.ttft_p99_ms == pytest.approx(step_ms(0, 1000))
    assert sim.itl_mean_ms == pytest.approx(step_ms(1, 0))  # 11 ms per token
    # answers vary by +-5% in a closed loop; 5 tokens round that to nothing
    assert sim.e2e_mean_s * 1e3 == pytest.approx(step_ms(0, 1000) + 4 * step_ms(1, 0))


def test_a_prompt_longer_than_the_budget_is_prefilled_in_chunks() -> None:
    """3000 tokens through a 2048-token budget: two steps (2048 + 952), each paying the
    weights once."""
    sim = simulate(
        cost=COST, limits=ROOMY, lengths=LengthMix(3000, 1), arrival="burst", concurrency=1
    )
    assert sim.ttft_mean_ms == pytest.approx(step_ms(0, 2048) + step_ms(0, 952))


def test_a_burst_fills_the_token_budget_first_come_first_served() -> None:
    """Four 1000-token prompts, budget 2048. Step 1: prompts 0 and 1 and 48 tokens of prompt 2
    (214.8 ms); step 2: two decodes, the other 952 tokens of prompt 2 and prompt 3 (207.4 ms)."""
    sim = simulate(
        cost=COST, limits=ROOMY, lengths=LengthMix(1000, 1), arrival="burst", concurrency=4
    )
    first = step_ms(0, 2048)
    # one-token answers: prompts 0 and 1 finish in step 1, so step 2 has no decodes
    second = first + step_ms(0, 952 + 1000)
    assert sim.ttft_mean_ms == pytest.approx((2 * first + 2 * second) / 4)
    assert sim.steps == 2


def test_decodes_ride_along_with_the_next_prompts() -> None:
    """Same burst, two-token answers: prompts 0 and 1 decode in step 2 beside the prefill."""
    sim = simulate(
        cost=COST, limits=ROOMY, lengths=LengthMix(1000, 2), arrival="burst", concurrency=4
    )
    first = step_ms(0, 2048)
    second = first + step_ms(2, 1952)
    assert sim.ttft_mean_ms == pytest.approx((2 * first + 2 * second) / 4)
    third = second + step_ms(2, 0)  # the last two decode alone
    assert sim.itl_mean_ms == pytest.approx((2 * step_ms(2, 1952) + 2 * step_ms(2, 0)) / 4)
    assert sim.e2e_mean_s * 1e3 == pytest.approx((2 * second + 2 * third) / 4)


def test_max_num_seqs_makes_the_rest_wait_for_a_slot() -> None:
    """Two slots, four one-token requests of 100 tokens: two steps of two prompts each."""
    limits = SchedulerLimits(max_num_seqs=2, max_num_batched_tokens=2048, kv_capacity_tokens=10**6)
    sim = simulate(
        cost=COST, limits=limits, lengths=LengthMix(100, 1), arrival="burst", concurrency=4
    )
    step = step_ms(0, 200)
    assert sim.ttft_mean_ms == pytest.approx((2 * step + 2 * 2 * step) / 4)


def test_a_saturated_closed_loop_completes_clients_over_request_life() -> None:
    """64 clients of 10-token prompts and 100-token answers: throughput is clients over a
    request's life (Little's law), and every decode step carries about 64 sequences."""
    sim = simulate(
        cost=COST,
        limits=ROOMY,
        lengths=LengthMix(10, 100),
        arrival="closed-loop",
        concurrency=64,
        requests=2000,
    )
    assert sim.request_rate_per_s == pytest.approx(64 / sim.e2e_mean_s, rel=0.03)
    assert sim.mean_running == pytest.approx(64, rel=0.03)
    assert sim.itl_mean_ms == pytest.approx(step_ms(64, 0), rel=0.05)


def test_a_full_kv_cache_preempts_and_every_request_still_finishes() -> None:
    tight = SchedulerLimits(max_num_seqs=256, max_num_batched_tokens=2048, kv_capacity_tokens=4096)
    sim = simulate(
        cost=COST, limits=tight, lengths=LengthMix(500, 400), arrival="burst", concurrency=16
    )
    assert sim.preemptions > 0
    assert sim.requests == 16 and math.isfinite(sim.e2e_mean_s)
    assert sim.peak_kv_share <= 1.0


def test_a_prompt_larger_than_the_kv_cache_is_refused() -> None:
    tiny = SchedulerLimits(max_num_seqs=256, max_num_batched_tokens=2048, kv_capacity_tokens=512)
    with pytest.raises(SimulationError, match="does not fit in the KV cache"):
        simulate(
            cost=COST, limits=tiny, lengths=LengthMix(1000, 10), arrival="burst", concurrency=1
        )


@pytest.mark.parametrize("arrival", ["closed-loop", "poisson"])
def test_the_same_seed_gives_the_same_result(arrival: str) -> None:
    kwargs = dict(
        cost=COST,
        limits=ROOMY,
        lengths=LengthMix(500, 50),
        arrival=arrival,
        concurrency=8,
        rate_per_s=5.0 if arrival == "poisson" else None,
        requests=500,
    )
    assert simulate(seed=3, **kwargs) == simulate(seed=3, **kwargs)
    assert simulate(seed=3, **kwargs) != simulate(seed=4, **kwargs)


def test_a_lone_prompt_longer_than_the_budget_is_prefilled_in_chunks() -> None:
    """vLLM chunks a prompt over budget-sized steps even on an idle engine: the fast model's
    lone TTFT is those steps, as the simulator's is."""
    from sizing.performance.scheduler_model import lone_prefill_s, predict_load

    tight = SchedulerLimits(max_num_seqs=8, max_num_batched_tokens=128, kv_capacity_tokens=10**6)
    assert lone_prefill_s(COST, tight, 384) == pytest.approx(3 * step_ms(0, 128) / 1e3)
    assert lone_prefill_s(COST, tight, 100) == pytest.approx(step_ms(0, 100) / 1e3)
    fast = predict_load(cost=COST, limits=tight, lengths=LengthMix(384, 8), arrival="closed-loop",
                        concurrency=1)  # fmt: skip
    assert fast.ttft_s == pytest.approx(3 * step_ms(0, 128) / 1e3)
    sim = simulate(cost=COST, limits=tight, lengths=LengthMix(384, 8), arrival="closed-loop",
                   concurrency=1, requests=20)  # fmt: skip
    assert sim.ttft_p50_ms == pytest.approx(3 * step_ms(0, 128))


def test_the_kv_block_size_sets_what_a_sequence_holds() -> None:
    """A 128-token block (vLLM's CPU backend) rounds each sequence up further than a 16-token
    one: fewer sequences fit the same cache."""
    from sizing.performance.scheduler_model import kv_sequences

    lengths = LengthMix(64, 64)
    small = SchedulerLimits(max_num_seqs=256, max_num_batched_tokens=2048, kv_capacity_tokens=2048)
    large = SchedulerLimits(max_num_seqs=256, max_num_batched_tokens=2048, kv_capacity_tokens=2048,
                            kv_block_tokens=128)  # fmt: skip
    assert kv_sequences(limits=small, lengths=lengths) == 2048 // (64 + 32 + 8)
    assert kv_sequences(limits=large, lengths=lengths) == 2048 // (64 + 32 + 64)
