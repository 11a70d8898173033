"""The engine agreement's load client and figures, without an engine: SSE framing split across
reads, tokens per streamed chunk, Prometheus histogram deltas and quantiles, the capacity at an
SLO between measured points."""

from __future__ import annotations

import json
import math

import pytest

from benchmarks.engine_agreement import capacity, fit_line
from tests.engine.engine_load import (
    RequestTiming,
    chunk_tokens,
    histogram_counts,
    histogram_delta,
    histogram_quantile,
    percentile,
    sse_events,
    summarise,
)


def test_events_split_across_reads_wait_for_their_end() -> None:
    buffer = bytearray(b'data: {"a": 1}\n\ndata: {"b"')
    assert sse_events(buffer) == [b'{"a": 1}']
    buffer += b": 2}\n\ndata: [DONE]\n\n"
    assert sse_events(buffer) == [b'{"b": 2}', b"[DONE]"]
    assert buffer == bytearray()


def test_a_chunk_counts_the_token_ids_it_adds() -> None:
    chunk = {"choices": [{"index": 0, "text": "ab", "token_ids": [17, 23]}]}
    assert chunk_tokens(json.dumps(chunk).encode()) == 2
    assert chunk_tokens(json.dumps({"choices": [], "usage": {}}).encode()) == 0
    assert chunk_tokens(b"[DONE]") == 0


def test_summary_pools_every_gap_and_leaves_failed_requests_out() -> None:
    ok = RequestTiming(sent=0.0, first=0.05, done=0.25, tokens=3, gaps=[0.1, 0.1])
    slow = RequestTiming(sent=0.1, first=0.3, done=0.6, tokens=3, gaps=[0.1, 0.2])
    failed = RequestTiming(sent=0.0, error="engine answered HTTP/1.1 500")
    result = summarise([ok, slow, failed])
    assert result.requests == 2 and result.errors == 1
    assert result.ttft_p50_ms == pytest.approx(125.0)  # between 50 and 200
    assert result.itl_p50_ms == pytest.approx(100.0)
    assert result.output_tps == pytest.approx(6 / 0.6)
    assert math.isnan(percentile([], 0.5))


METRICS_BEFORE = """\
vllm:inter_token_latency_seconds_bucket{engine="0",le="0.01",model_name="tiny"} 10.0
vllm:inter_token_latency_seconds_bucket{engine="0",le="0.02",model_name="tiny"} 20.0
vllm:inter_token_latency_seconds_bucket{engine="0",le="+Inf",model_name="tiny"} 20.0
"""
METRICS_AFTER = """\
vllm:inter_token_latency_seconds_bucket{engine="0",le="0.01",model_name="tiny"} 10.0
vllm:inter_token_latency_seconds_bucket{engine="0",le="0.02",model_name="tiny"} 120.0
vllm:inter_token_latency_seconds_bucket{engine="0",le="+Inf",model_name="tiny"} 120.0
"""


def test_histogram_quantiles_come_from_the_observations_between_two_scrapes() -> None:
    name = "vllm:inter_token_latency_seconds"
    delta = histogram_delta(
        histogram_counts(METRICS_BEFORE, name), histogram_counts(METRICS_AFTER, name)
    )
    assert delta == [(0.01, 0.0), (0.02, 100.0), (math.inf, 100.0)]
    assert histogram_quantile(delta, 0.5) == pytest.approx(0.015)  # linear inside the bucket
    assert histogram_quantile(delta, 0.95) == pytest.approx(0.0195)
    assert math.isnan(histogram_quantile([(0.01, 0.0), (math.inf, 0.0)], 0.5))


def test_capacity_is_where_the_slo_is_crossed_between_points() -> None:
    points = [(4, 50.0), (8, 100.0), (16, 300.0)]
    assert capacity(points, 150.0) == pytest.approx(10.0)
    assert capacity(points, 400.0) == 16.0  # never reached: the last point
    assert capacity(points, 40.0) == 4.0  # never held: the first point


def test_the_step_line_is_a_least_squares_fit() -> None:
    assert fit_line([1.0, 2.0, 4.0], [0.011, 0.012, 0.014]) == pytest.approx((0.010, 0.001))
