"""What a replica is asked to serve: the arrival process and the mix of request lengths.

Arrival processes, as ``--arrival`` and the Plan name them:

* ``closed-loop``: ``C`` clients in steady state, each sending its next request as soon as its
  last one is answered (``vllm bench serve --max-concurrency``, genai-perf, llmperf);
* ``poisson``: random arrivals at the rate that keeps ``C`` requests in flight: a request that
  arrives finds the other ``C - 1`` at random points of their lives, their number
  Poisson-distributed (what ``plan`` sizes for);
* ``burst``: ``C`` requests sent at the same instant and nothing after (``--request-rate inf``
  runs, some published 2024 tables);
* ``static``: a batch of ``C`` prefilled together and decoded together (static batching, vLLM's
  ``benchmark_latency``); used by the calibration, not offered to users.

Lengths are not exponential. ``fixed`` gives every request the workload's average prompt and
answer; ``bounded`` spreads them uniformly around the averages without exceeding the maxima.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Arrival = Literal["closed-loop", "poisson", "burst", "static"]
USER_ARRIVALS: tuple[str, ...] = ("closed-loop", "poisson", "burst")
LengthMixKind = Literal["fixed", "bounded"]


class LengthMix(NamedTuple):
    """Prompt and answer lengths of the requests, in tokens (a named tuple: immutable, and
    cheap to build for every case of a batch)."""

    input_tokens: int  # average prompt
    output_tokens: int  # average answer
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    kind: LengthMixKind = "fixed"

    def bounds(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """(low, high) of prompt and answer lengths: the average itself for ``fixed``; for
        ``bounded`` the widest interval centred on the average that stays within 1 and the
        maximum, so the mean stays the average."""
        return (
            _bounds(self.input_tokens, self.max_input_tokens, self.kind),
            _bounds(self.output_tokens, self.max_output_tokens, self.kind),
        )

    def describe(self) -> str:
        if self.kind == "fixed":
            return f"fixed {self.input_tokens}+{self.output_tokens} tokens"
        (il, ih), (ol, oh) = self.bounds()
        return (
            f"bounded {il}-{ih} + {ol}-{oh} tokens (mean {self.input_tokens}+{self.output_tokens})"
        )


def _bounds(avg: int, most: int | None, kind: LengthMixKind) -> tuple[int, int]:
    if kind == "fixed" or most is None or most <= avg:
        return avg, avg
    half = min(most - avg, avg - 1)
    return avg - half, avg + half
