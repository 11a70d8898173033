"""Answer what-if cases (model, GPU, TP, precision, lengths, concurrency) without ever raising.

This is the engine behind ``inferplan estimate``: a case that cannot be answered (unknown model,
precision the GPU cannot run, weights that do not fit) gets its reason in ``error`` and a batch
of cases goes on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sizing.catalog import Catalog, UnknownEntryError
from sizing.catalog.errors import UnknownEntriesError
from sizing.performance.estimator import Engine, Estimate, UnsupportedConfiguration, estimate
from sizing.performance.traffic import Arrival

CASE_COLUMNS = ("model", "gpu", "tp", "precision", "input_tokens", "output_tokens", "concurrency")
RESULT_COLUMNS = (
    "fits",
    "max_concurrency",
    "ttft_ms",
    "itl_ms",
    "tps_per_request",
    "output_tps_total",
    "error",
    "ttft_p95_ms",  # added after the contract's columns, so parsers by position keep working
)


@dataclass(frozen=True)
class Case:
    model: str
    gpu: str
    tp: int
    precision: str
    input_tokens: int
    output_tokens: int
    concurrency: int | None = None


@dataclass(frozen=True)
class CaseResult:
    case: Case
    estimate: Estimate | None
    error: str | None

    def columns(self) -> dict[str, str]:
        """The result columns as CSV text: fixed decimals so output is byte-stable."""
        est = self.estimate
        if est is None or not est.fits:
            blank = dict.fromkeys(RESULT_COLUMNS, "")
            blank["fits"] = "false"
            blank["max_concurrency"] = "0" if est is not None else ""
            blank["error"] = self.error or ""
            return blank
        return {
            "fits": "true",
            "max_concurrency": str(est.max_concurrency),
            "ttft_ms": _num(est.ttft_ms),
            "itl_ms": _num(est.itl_ms),
            "tps_per_request": _num(est.tps_per_request),
            "output_tps_total": _num(est.output_tps_total),
            "error": "",
            "ttft_p95_ms": _num(est.ttft_p95_ms),
        }


def _num(value: float) -> str:
    return "" if not math.isfinite(value) else f"{value:.3f}"


def parse_case(row: dict[str, str]) -> Case:
    """Build a case from CSV text; raises ValueError naming the bad column."""

    def integer(name: str, *, minimum: int, optional: bool = False) -> int | None:
        text = (row.get(name) or "").strip()
        if not text and optional:
            return None
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{name}: expected an integer, got {text!r}") from None
        if value < minimum:
            raise ValueError(f"{name}: must be at least {minimum}, got {value}")
        return value

    return Case(
        model=(row.get("model") or "").strip(),
        gpu=(row.get("gpu") or "").strip(),
        tp=integer("tp", minimum=1),
        precision=(row.get("precision") or "").strip(),
        input_tokens=integer("input_tokens", minimum=1),
        output_tokens=integer("output_tokens", minimum=1),
        concurrency=integer("concurrency", minimum=1, optional=True),
    )


def run_case(
    case: Case, *, catalog: Catalog, engine: Engine = "vllm", arrival: Arrival = "closed-loop"
) -> CaseResult:
    try:
        model, gpu, precision = _entries(catalog, case.model, case.gpu, case.precision)
        est = estimate(
            model=model,
            gpu=gpu,
            precision=precision,
            tp=case.tp,
            input_tokens=case.input_tokens,
            output_tokens=case.output_tokens,
            concurrency=case.concurrency,
            engine=engine,
            arrival=arrival,
        )
    except UnknownEntryError as exc:
        return CaseResult(case, None, "; ".join(problem.message for problem in exc.problems))
    except UnsupportedConfiguration as exc:
        return CaseResult(case, None, str(exc))
    if case.input_tokens + case.output_tokens > model.max_context_tokens:
        window = model.max_context_tokens
        return CaseResult(
            case, None, f"input + output tokens exceed {case.model}'s context window of {window}"
        )
    return CaseResult(case, est, est.reason)


# Catalog look-ups of a batch, by (catalog, model, GPU, precision) as written: a batch names a
# few configurations many times, and an unknown name costs a search for the nearest ids.
_ENTRIES: dict[tuple[int, str, str, str], tuple] = {}


def _entries(catalog: Catalog, model: str, gpu: str, precision: str) -> tuple:
    key = (id(catalog), model, gpu, precision)
    hit = _ENTRIES.get(key)
    if hit is None or hit[0] is not catalog:
        entries: list = []
        unknown: list[UnknownEntryError] = []
        for lookup, name in (
            (catalog.model, model),
            (catalog.gpu, gpu),
            (catalog.precision, precision),
        ):
            try:
                entries.append(lookup(name))
            except UnknownEntryError as exc:  # every unknown name, not only the first
                unknown.append(exc)
        error = None
        if unknown:
            error = unknown[0] if len(unknown) == 1 else UnknownEntriesError(unknown)
        found: tuple = (catalog, *(entries if not unknown else (None, None, None)), error)
        if len(_ENTRIES) > 4096:
            _ENTRIES.clear()
        _ENTRIES[key] = hit = found
    if hit[4] is not None:
        raise hit[4]
    return hit[1], hit[2], hit[3]
