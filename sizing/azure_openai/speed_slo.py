"""The speed an Azure OpenAI deployment must promise, and whether an estimate can stand for it.

A workload states its speed as ``slo.output_tokens_per_second_p50`` (a median) and, optionally,
as inter-token latency at percentiles (``slo.itl``). Token-billed Standard, Data Zone and Global
deployments publish no speed at all: the catalog's figure for them is a working estimate, good
enough for a median. A speed stated at a tail percentile (ITL p95 or p99) is a promise about
the slow end, which an estimate with no SLA cannot keep; only offers with a published latency
target can: provisioned deployments [ptu-sizing-2026] and priority processing
[priority-latency], each "99% > X tokens/s".

What that target says (Learn, priority processing, ms.date 2026-09-24: "calculated as p50
request latency on a per 5 minute basis"; the provisioned table says the same): in 99% of
5-minute windows, the median request of the window generates more than X output tokens a
second. An ITL tail ``{percentile: 99, ms: 20}`` asks that 99% of the gaps between streamed
tokens be at most 20 ms, i.e. a speed of at least ``1000 / 20 = 50`` tokens/s at the tail. The
plan reads the tail as that speed and holds it to the published target: the nearest promise
Azure makes, about the slow windows rather than the slow gaps of one request. Plans say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sizing.search.request import SizingRequest

# ITL percentiles that state a tail: a speed promise an estimate cannot keep.
TAIL_PERCENTILES = (95, 99)


@dataclass(frozen=True)
class SpeedSlo:
    """The per-request output speed the SLO asks of an Azure OpenAI deployment."""

    min_output_tokens_per_s: float | None  # None: no speed asked (embedding models)
    # The tightest tail ITL target, ``(percentile, ms)``; None: the speed is stated as a median.
    tail: tuple[int, float] | None = None

    @property
    def guarantee_required(self) -> bool:
        """Only a published latency target meets a speed stated at a tail percentile."""
        return self.tail is not None

    def tail_reason(self) -> str:
        """How the tail ITL became a tokens/s figure, and what the target does not cover."""
        if self.tail is None or self.min_output_tokens_per_s is None:
            return ""
        percentile, ms = self.tail
        return (
            f"the SLO's ITL p{percentile} of {ms:g} ms is read as >= {1000.0 / ms:,.1f} output "
            f"tokens/s (1000 ÷ {ms:g} ms); only a published latency target (provisioned or "
            "priority processing, '99% > X tokens/s') meets a speed stated at a tail; that "
            "target holds the median request of 99% of 5-minute windows above X "
            "[priority-latency], not every gap of every request"
        )


def speed_slo(req: SizingRequest, *, embedding: bool) -> SpeedSlo:
    """The speed to meet: the p50 tokens/s, or the speed a tail ITL target implies where that
    is faster; a stated tail (p95, p99) requires a published latency target."""
    if embedding:
        return SpeedSlo(None)
    tails = [(p, ms) for p, ms in req.itl_targets if p in TAIL_PERCENTILES]
    if not tails:
        return SpeedSlo(req.output_tokens_per_second_p50)
    tightest = min(tails, key=lambda t: (t[1], -t[0]))
    return SpeedSlo(max(req.output_tokens_per_second_p50, 1000.0 / tightest[1]), tightest)
