"""Compare the estimator with published measurements (calibration/calibration.csv).

Each measurement row names an engine, a GPU, a tensor-parallel degree, a model, a precision,
input and output lengths, a concurrency (blank for an offline max-throughput run) and one metric.
``compare`` predicts the same metric and the report gives, per group of comparable rows, the
median error factor and the share of predictions within 25% of the measurement.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from inferplan.sizing.catalog import Catalog
from inferplan.sizing.efficiency import EfficiencyFactors
from inferplan.sizing.estimator import Engine, Estimate, UnsupportedConfiguration, estimate

DEFAULT_CSV = Path(__file__).resolve().parent.parent / "calibration" / "calibration.csv"
METRICS = ("output_tps_total", "tps_per_request", "ttft_ms", "itl_ms", "e2e_latency_s")


@dataclass(frozen=True)
class Measurement:
    source: str
    engine: str
    gpu: str
    tp: int
    model: str
    precision: str
    input_tokens: int
    output_tokens: int
    concurrency: int | None
    metric: str
    value: float
    notes: str

    @property
    def engine_kind(self) -> Engine:
        return "vllm" if self.engine.lower().startswith("vllm") else "trtllm"

    @property
    def group(self) -> str:
        """Rows measured the same way, so their errors can be compared."""
        engine = self.engine.lower()
        if engine.startswith("vllm"):
            regime = "vLLM fixed batch"
        elif "static" in engine:
            regime = "TRT-LLM static batch"
        elif engine.startswith("nim"):
            regime = "NIM closed loop"
        elif self.concurrency is None:
            regime = "TRT-LLM offline max throughput"
        else:
            regime = "other"
        return f"{regime}: {self.metric}"


def _output_len(row: dict[str, str]) -> int | None:
    """Output length; first-token runs measured with one output token leave it blank."""
    if row["output_len"]:
        return int(row["output_len"])
    if row["metric"] == "ttft_ms" and "1 output token" in row["notes"]:
        return 1
    return None


def load_measurements(path: Path = DEFAULT_CSV) -> list[Measurement]:
    """Rows with fixed input and output lengths; dataset-driven rows (MLPerf) have none."""
    rows: list[Measurement] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            output_len = _output_len(row)
            if not row["input_len"] or output_len is None:
                continue
            rows.append(
                Measurement(
                    source=row["source"],
                    engine=row["engine"],
                    gpu=row["gpu"],
                    tp=int(row["gpu_count"]),
                    model=row["model"],
                    precision=row["precision"],
                    input_tokens=int(row["input_len"]),
                    output_tokens=output_len,
                    concurrency=int(row["concurrency"]) if row["concurrency"] else None,
                    metric=row["metric"],
                    value=float(row["value"]),
                    notes=row["notes"],
                )
            )
    return rows


def predicted_metric(est: Estimate, metric: str) -> float:
    return float(getattr(est, metric))


@dataclass(frozen=True)
class Comparison:
    measurement: Measurement
    predicted: float | None  # None when the estimator says the configuration cannot run

    @property
    def ratio(self) -> float | None:
        if self.predicted is None or not math.isfinite(self.predicted) or self.predicted <= 0:
            return None
        return self.predicted / self.measurement.value


def compare(
    rows: Iterable[Measurement], *, catalog: Catalog, eff: EfficiencyFactors
) -> list[Comparison]:
    """Predict every row's metric with the same model, engine and shape as measured."""
    cache: dict[tuple, Estimate | None] = {}
    out: list[Comparison] = []
    for m in rows:
        key = (
            m.model,
            m.gpu,
            m.tp,
            m.precision,
            m.input_tokens,
            m.output_tokens,
            m.concurrency,
            m.engine_kind,
        )
        if key not in cache:
            try:
                est = estimate(
                    model=catalog.model(m.model),
                    gpu=catalog.gpu(m.gpu),
                    precision=catalog.precision(m.precision),
                    tp=m.tp,
                    input_tokens=m.input_tokens,
                    output_tokens=m.output_tokens,
                    concurrency=m.concurrency,
                    engine=m.engine_kind,
                    eff=eff,
                )
                cache[key] = est if est.fits else None
            except UnsupportedConfiguration:
                cache[key] = None
        est = cache[key]
        out.append(Comparison(m, predicted_metric(est, m.metric) if est else None))
    return out


@dataclass(frozen=True)
class GroupScore:
    group: str
    rows: int
    predicted: int  # rows the estimator could answer
    median_error_factor: float  # median of max(p/m, m/p); 1.0 is perfect
    within_25_percent: float  # share of answered rows with |p/m - 1| <= 0.25
    median_ratio: float  # median p/m: above 1 over-predicts

    def as_row(self) -> list[str]:
        return [
            self.group,
            str(self.rows),
            str(self.predicted),
            f"{self.median_error_factor:.2f}",
            f"{100 * self.within_25_percent:.0f}%",
            f"{self.median_ratio:.2f}",
        ]


def score(comparisons: Sequence[Comparison]) -> list[GroupScore]:
    """Per-group and overall scores, groups in name order, the total last."""
    groups: dict[str, list[Comparison]] = {}
    for c in comparisons:
        groups.setdefault(c.measurement.group, []).append(c)
    scores = [_group_score(name, groups[name]) for name in sorted(groups)]
    scores.append(_group_score("all rows", list(comparisons)))
    return scores


def _group_score(name: str, items: Sequence[Comparison]) -> GroupScore:
    ratios = [r for r in (c.ratio for c in items) if r is not None]
    if not ratios:
        return GroupScore(name, len(items), 0, math.nan, 0.0, math.nan)
    factors = [max(r, 1 / r) for r in ratios]
    within = sum(1 for r in ratios if abs(r - 1) <= 0.25) / len(ratios)
    return GroupScore(
        name,
        len(items),
        len(ratios),
        statistics.median(factors),
        within,
        statistics.median(ratios),
    )


def log_loss(comparisons: Sequence[Comparison], unanswered_penalty: float = 4.0) -> float:
    """Mean squared log error per group, averaged over groups (each regime counts the same)."""
    groups: dict[str, list[float]] = {}
    for c in comparisons:
        r = c.ratio
        err = unanswered_penalty if r is None else math.log(r) ** 2
        groups.setdefault(c.measurement.group, []).append(err)
    return statistics.fmean(statistics.fmean(v) for v in groups.values())


def report_markdown(scores: Sequence[GroupScore]) -> str:
    header = ["group: metric", "rows", "answered", "median error x", "within ±25%", "median p/m"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(s.as_row()) + " |" for s in scores]
    return "\n".join(lines) + "\n"
