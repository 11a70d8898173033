"""GuideLLM's machine-readable results (``--output kind=json``) read into `LoadStep` values.

The format is GuideLLM 0.8's report (``metadata.version`` 2, ``guidellm_version``): a list of
``benchmarks``, one per load level, each with ``config.strategy`` (``type_``, ``rate``),
``metrics`` (distribution summaries per request status: ``successful``, ``errored``,
``incomplete``, ``total``, each with ``mean``, ``median`` and ``percentiles.p50 ... p99``;
``slo_attainment`` when the run was given goodput objectives) and ``requests`` (per-request
records: ``info.timings.request_start``/``request_end``, ``output_metrics.text_tokens``,
``info.error``). Learnt from the package's own schema
(``guidellm/benchmark/schemas/generative/*.py``, ``guidellm/schemas/benchmark/goodput.py``,
GuideLLM 0.8.1) and from files of real runs (tests/fixtures/loadgen/).
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inferplan.verify.measurement import LoadStep, Percentiles

SUPPORTED_REPORT_VERSIONS = (2,)
# GuideLLM keeps an errored request's exception text, not its response: an HTTP status error
# from httpx reads "Client error '429 Too Many Requests' for url ...". Only the status code is
# taken from it; GuideLLM keeps no response headers, so Retry-After is not available here.
_THROTTLED = re.compile(r"\b429\b")


class ResultsError(Exception):
    """A results file that is not GuideLLM's JSON report, or lacks what verify needs."""


@dataclass(frozen=True)
class GuidellmRun:
    version: str  # guidellm_version
    steps: tuple[LoadStep, ...]
    # The synthetic request lengths it was asked for (config.spec.data), when it says.
    input_tokens: int | None = None
    output_tokens: int | None = None


def _get(data: Any, path: str, origin: str) -> Any:
    value = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise ResultsError(f"{origin}: {path}: missing in GuideLLM's results")
        value = value[part]
    return value


def _percentiles(summary: Mapping[str, Any], origin: str, path: str) -> Percentiles:
    points = _get(summary, "percentiles", f"{origin}: {path}")
    return Percentiles(p50=float(points["p50"]), p95=float(points["p95"]), p99=float(points["p99"]))


def _tps_per_request_p50(records: list[Mapping[str, Any]]) -> float | None:
    """Output tokens over end-to-end seconds of each successful request, the median one (the
    plan's ``tps_per_request`` is this quantity)."""
    rates = []
    for record in records:
        timings = (record.get("info") or {}).get("timings") or {}
        start, end = timings.get("request_start"), timings.get("request_end")
        tokens = (record.get("output_metrics") or {}).get("text_tokens")
        if start is None or end is None or not tokens or end <= start:
            continue
        rates.append(tokens / (end - start))
    return statistics.median(rates) if rates else None


def _throttled(records: list[Mapping[str, Any]]) -> int:
    return sum(
        1 for r in records if _THROTTLED.search(str((r.get("info") or {}).get("error") or ""))
    )


def parse_results(data: Mapping[str, Any], origin: str = "results") -> GuidellmRun:
    """Every benchmark (load level) of a GuideLLM JSON report, in the order it ran."""
    version = _get(data, "metadata.version", origin)
    if version not in SUPPORTED_REPORT_VERSIONS:
        raise ResultsError(
            f"{origin}: metadata.version: report version {version!r}; inferplan reads "
            f"{', '.join(map(str, SUPPORTED_REPORT_VERSIONS))} (GuideLLM 0.8)"
        )
    benchmarks = _get(data, "benchmarks", origin)
    if not isinstance(benchmarks, list) or not benchmarks:
        raise ResultsError(f"{origin}: benchmarks: no benchmark in GuideLLM's results")
    steps = []
    for index, bench in enumerate(benchmarks):
        where = f"{origin}: benchmarks.{index}"
        strategy = _get(bench, "config.strategy", where)
        metrics = _get(bench, "metrics", where)
        totals = _get(metrics, "request_totals", where)
        requests = bench.get("requests") or {}
        ok_records = list(requests.get("successful") or [])
        errored_records = list(requests.get("errored") or [])
        ttft = _get(metrics, "time_to_first_token_ms.successful", where)
        itl = _get(metrics, "inter_token_latency_ms.successful", where)
        rate = strategy.get("rate")
        if rate is None:
            raise ResultsError(f"{where}: config.strategy.rate: verify runs rated strategies")
        attainment = metrics.get("slo_attainment")
        steps.append(
            LoadStep(
                rate_per_s=float(rate),
                arrival=strategy.get("type_", "poisson"),
                duration_s=float(_get(bench, "duration", where)),
                started_at=float(_get(bench, "start_time", where)),
                ended_at=float(_get(bench, "end_time", where)),
                requests_ok=int(totals["successful"]),
                requests_errored=int(totals["errored"]),
                requests_incomplete=int(totals["incomplete"]),
                throttled=_throttled(errored_records),
                achieved_rate_per_s=float(
                    _get(metrics, "requests_per_second.successful.mean", where)
                ),
                concurrency_mean=float(_get(metrics, "request_concurrency.total.mean", where)),
                ttft_ms=_percentiles(ttft, where, "time_to_first_token_ms.successful"),
                itl_ms=_percentiles(itl, where, "inter_token_latency_ms.successful"),
                itl_mean_ms=float(itl["mean"]),
                tps_per_request_p50=_tps_per_request_p50(ok_records),
                output_tokens_per_s=float(
                    _get(metrics, "output_tokens_per_second.total.mean", where)
                ),
                input_tokens_p50=float(
                    _get(metrics, "prompt_token_count.successful.median", where)
                ),
                output_tokens_p50=float(
                    _get(metrics, "output_token_count.successful.median", where)
                ),
                goodput=None if attainment is None else float(attainment),
            )
        )
    sources = ((data.get("config") or {}).get("spec") or {}).get("data") or [{}]
    asked = sources[0] if isinstance(sources[0], Mapping) else {}
    return GuidellmRun(
        version=str(_get(data, "metadata.guidellm_version", origin)),
        steps=tuple(steps),
        input_tokens=asked.get("prompt_tokens"),
        output_tokens=asked.get("output_tokens"),
    )


def read_results(path: Path) -> GuidellmRun:
    """`parse_results` of a file; a file that is not JSON is a `ResultsError` too."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ResultsError(f"{path}:{error.lineno}:{error.colno}: not JSON: {error.msg}") from None
    if not isinstance(data, Mapping):
        raise ResultsError(f"{path}: not GuideLLM's JSON report (a {type(data).__name__})")
    return parse_results(data, str(path))
