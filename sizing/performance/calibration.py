"""Compare the estimator with published measurements (``calibration/*.csv``).

Each measurement row names an engine, a GPU, a tensor-parallel degree, a model, a precision,
input and output lengths, a concurrency and one metric; its ``notes`` say how it was measured.
The harness decides the arrival process the row is predicted with:

* ``static``: a batch prefilled together, then decoded together (TensorRT-LLM 0.9 static
  batching, vLLM ``benchmark_latency``);
* ``burst``: ``C`` requests sent at the same instant (``--request-rate inf``, and the 2024 NIM
  tables, whose first-token times grow in step with the concurrency as a burst's do);
* ``rate``: a fixed number of prompts at a Poisson ``request_rate`` above what the replica
  serves, a burst spread over time;
* ``closed-loop``: clients in steady state (``--max-concurrency``);
* ``offline``: every request queued at once and only throughput reported, predicted as the
  saturated replica.

``compare`` predicts the same metric; ``score`` gives per group of comparable rows the median
error factor and the share within 25%; ``harness_scores`` adds, per harness, the loaded-TTFT
error and the capacity-at-SLO error of whole sweeps (``sweep_capacities``).
"""

from __future__ import annotations

import csv
import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sizing.catalog import Catalog, UnknownEntryError
from sizing.catalog.engines import engine_release_for
from sizing.performance.efficiency import EfficiencyFactors
from sizing.performance.engine_limits import EngineLimits, default_engine_limits
from sizing.performance.estimator import Engine, Estimate, UnsupportedConfiguration, estimate
from sizing.performance.traffic import Arrival

CALIBRATION_DIR = Path(__file__).resolve().parents[2] / "calibration"
DEFAULT_CSV = CALIBRATION_DIR / "calibration.csv"
STEADY_CSV = CALIBRATION_DIR / "vllm-steady.csv"
DEFAULT_FILES = (DEFAULT_CSV, STEADY_CSV)
METRICS = (
    "output_tps_total",
    "tps_per_request",
    "ttft_ms",
    "ttft_p99_ms",
    "itl_ms",
    "e2e_latency_s",
)
Harness = Literal["static", "burst", "rate", "closed-loop", "offline"]
ARRIVAL_OF: dict[str, Arrival] = {
    "static": "static",
    "burst": "burst",
    "rate": "burst",
    "closed-loop": "closed-loop",
    "offline": "closed-loop",
}
# Capacity at the SLO: thresholds on (ITL, TTFT) relative to the sweep's lone request.
CAPACITY_THRESHOLDS = ((1.5, 3.0), (2.0, 5.0), (3.0, 10.0))


# Reported, not fitted (``Measurement.fitted``): a fixed number of prompts at a finite Poisson
# rate above what the replica serves is predicted as a burst spread over time, a bound rather
# than a model of that harness; rows whose lengths come from a dataset (the mean in the notes)
# carry a spread of lengths the fixed mix cannot stand for; and the vLLM serve family (gpustack's
# and others' `vllm bench serve` runs) entered the data only once the catalog knew their models,
# after the committed fit, and is held out of it until a refit weighs it (docs/sizing-model.md,
# known limits).
UNFITTED_HARNESSES = ("rate",)
UNFITTED_FAMILIES = ("vLLM serve",)


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
    concurrency: int | None  # requests in flight, batch size, or prompts of a burst
    metric: str
    value: float
    notes: str
    harness: Harness = "closed-loop"
    rate_per_s: float | None = None  # ``rate`` rows: the Poisson request rate
    max_num_seqs: int | None = None  # scheduler settings the notes state
    max_num_batched_tokens: int | None = None
    gpu_memory_utilization: float | None = None
    lengths_stated: bool = True  # False: the dataset's mean lengths, from the notes
    # Requests the run sent in all (``N prompts`` in the notes): a closed loop of ``C`` clients
    # that start together sends its first ``C`` as a burst, a share ``C / N`` of the run.
    requests: int | None = None

    @property
    def engine_kind(self) -> Engine:
        return "vllm" if self.engine.lower().startswith("vllm") else "trtllm"

    @property
    def family(self) -> str:
        """The publication family: rows of one family share harness and engine version."""
        engine = self.engine.lower()
        if engine.startswith("nim"):
            return "NIM 2024"
        if "static" in engine:
            return "TRT-LLM 0.9"
        if engine.startswith("tensorrt"):
            return "TRT-LLM"
        if "ci" in engine:
            return "vLLM CI"
        return "vLLM serve"

    @property
    def lone_ttft(self) -> bool:
        """A lone request's TTFT: prefill plus fixed costs, no queueing."""
        return self.metric == "ttft_ms" and self.concurrency == 1

    @property
    def fitted(self) -> bool:
        """Whether the row takes part in the fit (every row is reported): none of the held-out
        harnesses and families, none with dataset lengths."""
        return (
            self.harness not in UNFITTED_HARNESSES
            and self.family not in UNFITTED_FAMILIES
            and self.lengths_stated
        )

    @property
    def group(self) -> str:
        """Rows measured the same way, so their errors can be compared."""
        return f"{self.harness} ({self.family}): {self.metric}"

    @property
    def loaded(self) -> bool:
        """A TTFT with others in flight: what queueing and chunked prefill change."""
        return self.metric == "ttft_ms" and (self.concurrency or 1) > 1


def _output_len(row: dict[str, str]) -> int | None:
    """Output length; first-token runs measured with one output token leave it blank, and
    dataset runs give the mean in the notes."""
    if row["output_len"]:
        return int(row["output_len"])
    if row["metric"] == "ttft_ms" and "1 output token" in row["notes"]:
        return 1
    found = re.search(r"mean OSL=([\d.]+)", row["notes"])
    return max(round(float(found.group(1))), 1) if found else None


def _input_len(row: dict[str, str]) -> int | None:
    if row["input_len"]:
        return int(row["input_len"])
    found = re.search(r"mean ISL=([\d.]+)", row["notes"])
    return max(round(float(found.group(1))), 1) if found else None


def _harness(row: dict[str, str]) -> tuple[Harness, int | None, float | None]:
    """The harness of a row, the requests it concerns and, for ``rate``, its rate."""
    engine, notes = row["engine"].lower(), row["notes"]
    concurrency = int(row["concurrency"]) if row["concurrency"] else None
    if "static" in engine or (engine.startswith("vllm") and "ci" in engine):
        return "static", concurrency, None
    if engine.startswith("nim"):
        return "burst", concurrency, None
    rate = re.search(r"request_rate=([\d.]+|inf)", notes)
    if concurrency is not None:
        return "closed-loop", concurrency, None
    prompts = re.search(r"(\d+) (?:ShareGPT )?prompts", notes) or re.search(
        r"--num-prompts (\d+)", notes
    )
    count = int(prompts.group(1)) if prompts else None
    if rate and rate.group(1) == "inf":
        return "burst", count, None
    if rate:
        return "rate", count, float(rate.group(1))
    return "offline", None, None


def _requests(notes: str) -> int | None:
    """Requests a run sent in all, as its notes state them (``100 prompts``)."""
    found = re.search(r"(\d+) (?:ShareGPT )?prompts", notes) or re.search(
        r"--num-prompts (\d+)", notes
    )
    return int(found.group(1)) if found else None


def _stated(pattern: str, notes: str) -> str | None:
    found = re.search(pattern, notes)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Skipped:
    """Rows that cannot be predicted, counted by reason for the report."""

    reason: str
    rows: int


def load_measurements(
    path: Path | Sequence[Path] = DEFAULT_FILES, *, catalog: Catalog | None = None
) -> list[Measurement]:
    """Rows with known lengths (columns, or dataset means in the notes), from one or more files.
    With ``catalog``, rows whose model or GPU it does not know are left out (``skipped_rows``
    counts them)."""
    return _load(path, catalog)[0]


def skipped_rows(
    path: Path | Sequence[Path] = DEFAULT_FILES, *, catalog: Catalog | None = None
) -> list[Skipped]:
    return _load(path, catalog)[1]


def _load(path: Path | Sequence[Path], catalog: Catalog | None):
    paths = [path] if isinstance(path, Path) else list(path)
    rows: list[Measurement] = []
    skipped: dict[str, int] = {}
    for one in paths:
        with one.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                reason = _usable(row, catalog)
                if reason:
                    skipped[reason] = skipped.get(reason, 0) + 1
                    continue
                harness, concurrency, rate = _harness(row)
                notes = row["notes"]
                seqs = _stated(r"max[-_]num[-_]seqs[= ](\d+)", notes)
                tokens = _stated(r"max[-_]num[-_]batched[-_]tokens[= ](\d+)", notes)
                share = _stated(r"gpu[-_]memory[-_]utilization[= ]([\d.]+)", notes)
                rows.append(
                    Measurement(
                        source=row["source"],
                        engine=row["engine"],
                        gpu=row["gpu"],
                        tp=int(row["gpu_count"]),
                        model=row["model"],
                        precision=row["precision"],
                        input_tokens=int(_input_len(row) or 1),
                        output_tokens=int(_output_len(row) or 1),
                        concurrency=concurrency,
                        metric=row["metric"],
                        value=float(row["value"]),
                        notes=notes,
                        harness=harness,
                        rate_per_s=rate,
                        max_num_seqs=int(seqs) if seqs else None,
                        max_num_batched_tokens=int(tokens) if tokens else None,
                        gpu_memory_utilization=float(share) if share else None,
                        lengths_stated=(bool(row["input_len"]) and bool(row["output_len"]))
                        or (row["metric"] == "ttft_ms" and bool(row["input_len"])),
                        requests=_requests(notes),
                    )
                )
    return rows, [Skipped(reason, n) for reason, n in sorted(skipped.items())]


def _usable(row: dict[str, str], catalog: Catalog | None) -> str | None:
    """Why a row cannot be predicted, or None."""
    if _input_len(row) is None or _output_len(row) is None:
        return "lengths not stated (dataset-driven)"
    if row["metric"] not in METRICS:
        return f"metric {row['metric']} not predicted"
    harness, concurrency, _ = _harness(row)
    if harness in ("burst", "rate") and concurrency is None:
        return "number of prompts not stated"
    if row["metric"] == "ttft_p99_ms" and harness not in ("burst", "rate", "static"):
        return "p99 TTFT predicted for bursts only"
    notes = row["notes"].lower()
    steps = re.search(r"num-scheduler-steps[ =]?(\d+)", notes)
    if (steps and int(steps.group(1)) > 1) or "chunked-prefill=false" in notes:
        return "vLLM 0.6 multi-step scheduling or chunked prefill off (not in V1)"
    if (
        not row["output_len"]
        and harness in ("burst", "rate")
        and row["metric"] == "output_tps_total"
    ):
        return "burst throughput with dataset lengths (set by the longest answer)"
    if catalog is not None:
        try:
            catalog.model(row["model"])
        except UnknownEntryError:
            return f"model not in the catalog ({row['model']})"
        try:
            catalog.gpu(row["gpu"])
        except UnknownEntryError:
            return f"GPU not in the catalog ({row['gpu']})"
    return None


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


def engine_version(engine: str) -> tuple[int, ...] | None:
    """``vLLM 0.6.3.post2.dev308`` -> (0, 6, 3); None when the row names no version."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", engine)
    return tuple(int(g) for g in match.groups() if g is not None) if match else None


def _limits(m: Measurement, catalog: Catalog) -> EngineLimits:
    """The row's stated scheduler settings, else the defaults of the engine release it ran:
    the newest release in the engines catalog not newer than the row's vLLM."""
    release = engine_release_for(engine_version(m.engine)) if m.engine_kind == "vllm" else None
    base = default_engine_limits(gpu=catalog.gpu(m.gpu), engine=m.engine_kind, release=release)
    return EngineLimits(
        max_num_seqs=m.max_num_seqs or base.max_num_seqs,
        max_num_batched_tokens=m.max_num_batched_tokens or base.max_num_batched_tokens,
        gpu_memory_utilization=m.gpu_memory_utilization or base.gpu_memory_utilization,
    )


def predict(m: Measurement, *, catalog: Catalog, eff: EfficiencyFactors) -> Estimate | None:
    """The estimate a row is compared with: its shape under its harness's arrival process. A
    closed loop whose clients start together (``vllm bench serve --max-concurrency C`` with
    ``N`` prompts) reports means over a run whose first ``C`` requests are a burst: its TTFT
    and ITL are the burst's for a share ``C / N`` and the steady state's for the rest."""
    est = _predict(m, catalog=catalog, eff=eff, harness=m.harness)
    clients = m.concurrency or 1
    if (
        est is None
        or m.harness != "closed-loop"
        or not m.requests
        or clients <= 1
        or m.requests < clients
    ):
        return est
    wave = _predict(m, catalog=catalog, eff=eff, harness="burst")
    if wave is None:
        return est
    share = clients / m.requests
    return est._replace(
        ttft_ms=share * wave.ttft_ms + (1.0 - share) * est.ttft_ms,
        itl_ms=share * wave.itl_ms + (1.0 - share) * est.itl_ms,
    )


def _predict(
    m: Measurement, *, catalog: Catalog, eff: EfficiencyFactors, harness: Harness
) -> Estimate | None:
    try:
        est = estimate(
            model=catalog.model(m.model),
            gpu=catalog.gpu(m.gpu),
            precision=catalog.precision(m.precision),
            tp=m.tp,
            input_tokens=m.input_tokens,
            output_tokens=m.output_tokens,
            concurrency=None if harness == "offline" else m.concurrency,
            engine=m.engine_kind,
            arrival=ARRIVAL_OF[harness],
            limits=_limits(m, catalog),
            eff=eff,
            rate_per_s=m.rate_per_s,
        )
    except (UnsupportedConfiguration, UnknownEntryError):
        return None
    return est if est.fits else None


def _key(m: Measurement) -> tuple:
    return (
        m.model,
        m.gpu,
        m.tp,
        m.precision,
        m.input_tokens,
        m.output_tokens,
        m.concurrency,
        m.engine_kind,
        m.harness,
        m.rate_per_s,
        m.max_num_seqs,
        m.max_num_batched_tokens,
        m.gpu_memory_utilization,
        m.requests,
    )


def compare(
    rows: Iterable[Measurement], *, catalog: Catalog, eff: EfficiencyFactors
) -> list[Comparison]:
    """Predict every row's metric with the same model, engine, shape and harness as measured."""
    cache: dict[tuple, Estimate | None] = {}
    out: list[Comparison] = []
    for m in rows:
        key = _key(m)
        if key not in cache:
            cache[key] = predict(m, catalog=catalog, eff=eff)
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


@dataclass(frozen=True)
class SweepCapacity:
    """Capacity at one threshold of one sweep, measured and predicted."""

    sweep: str
    harness: str
    family: str
    itl_factor: float  # threshold: this many times the sweep's lone ITL ...
    ttft_factor: float  # ... and this many times its lone TTFT
    measured: float
    predicted: float

    @property
    def ratio(self) -> float:
        return self.predicted / self.measured if self.measured > 0 else math.inf


def sweep_capacities(comparisons: Sequence[Comparison]) -> list[SweepCapacity]:
    """Capacity at the SLO of every sweep with a lone request and at least two loaded points.

    The capacity is the largest concurrency whose TTFT and ITL stay within the thresholds
    (``CAPACITY_THRESHOLDS`` times the measured lone values), interpolated on a log scale
    between the last point inside and the first outside; measured and predicted use the same
    concurrencies and the same absolute thresholds. A sweep that never crosses reports its
    largest concurrency."""
    sweeps: dict[tuple, dict[int, dict[str, tuple[float, float | None]]]] = {}
    for c in comparisons:
        m = c.measurement
        if m.metric not in ("ttft_ms", "itl_ms") or m.concurrency is None:
            continue
        if m.harness not in ("static", "burst", "closed-loop"):
            continue
        key = (m.source, m.engine, m.gpu, m.tp, m.model, m.precision, m.input_tokens,
               m.output_tokens, m.harness, m.family)  # fmt: skip
        sweeps.setdefault(key, {}).setdefault(m.concurrency, {})[m.metric] = (
            m.value,
            c.predicted,
        )
    out: list[SweepCapacity] = []
    for key, points in sorted(sweeps.items(), key=lambda kv: str(kv[0])):
        grid = sorted(c for c, v in points.items() if "ttft_ms" in v and "itl_ms" in v)
        if len(grid) < 3 or grid[0] != 1:
            continue
        if any(points[c]["ttft_ms"][1] is None or points[c]["itl_ms"][1] is None for c in grid):
            continue
        lone_ttft, lone_itl = points[1]["ttft_ms"][0], points[1]["itl_ms"][0]
        name = f"{key[4]} {key[5]} {key[3]}x {key[2]} {key[6]}/{key[7]} ({key[9]})"
        for itl_factor, ttft_factor in CAPACITY_THRESHOLDS:
            limits = (ttft_factor * lone_ttft, itl_factor * lone_itl)
            measured = _crossing(
                grid, [(points[c]["ttft_ms"][0], points[c]["itl_ms"][0]) for c in grid], limits
            )
            predicted = _crossing(
                grid, [(points[c]["ttft_ms"][1], points[c]["itl_ms"][1]) for c in grid], limits
            )
            out.append(
                SweepCapacity(name, key[8], key[9], itl_factor, ttft_factor, measured, predicted)
            )
    return out


def _crossing(grid: list[int], values: list[tuple], limits: tuple[float, float]) -> float:
    """Largest concurrency with every metric within its limit, log-interpolated."""
    worst = [max(v / lim for v, lim in zip(point, limits, strict=True)) for point in values]
    if worst[0] > 1.0:
        return grid[0] / worst[0]  # not even the lone request: scale down
    for i in range(1, len(grid)):
        if worst[i] > 1.0:
            lo, hi = math.log(grid[i - 1]), math.log(grid[i])
            share = (1.0 - worst[i - 1]) / (worst[i] - worst[i - 1])
            return math.exp(lo + (hi - lo) * share)
    return float(grid[-1])


@dataclass(frozen=True)
class HarnessScore:
    """Per harness: loaded-TTFT error and capacity-at-SLO error (median factor, and the share
    of sweep thresholds whose capacity is predicted more than 20% below the measured one)."""

    harness: str
    loaded_ttft_rows: int
    loaded_ttft_error: float
    loaded_ttft_within_25: float
    sweeps: int
    capacity_error: float
    capacity_under_20: float
    loaded_ttft_worst: float = math.nan  # the largest error factor max(p/m, m/p)
    capacity_worst: float = math.nan

    def as_row(self) -> list[str]:
        def num(x: float) -> str:
            return "-" if not math.isfinite(x) else f"{x:.2f}"

        def share(x: float, n: int) -> str:
            return "-" if not n else f"{100 * x:.0f}%"

        return [
            self.harness,
            str(self.loaded_ttft_rows),
            num(self.loaded_ttft_error),
            num(self.loaded_ttft_worst),
            share(self.loaded_ttft_within_25, self.loaded_ttft_rows),
            str(self.sweeps),
            num(self.capacity_error),
            num(self.capacity_worst),
            share(self.capacity_under_20, self.sweeps),
        ]


def harness_scores(comparisons: Sequence[Comparison]) -> list[HarnessScore]:
    """Loaded-TTFT and capacity-at-SLO errors by harness and publication family."""
    capacities = sweep_capacities(comparisons)
    names = sorted(
        {f"{c.measurement.harness} ({c.measurement.family})" for c in comparisons}
        | {f"{s.harness} ({s.family})" for s in capacities}
    )
    out = []
    for name in names:
        loaded = [
            c.ratio
            for c in comparisons
            if c.measurement.loaded
            and f"{c.measurement.harness} ({c.measurement.family})" == name
            and c.ratio is not None
        ]
        caps = [s.ratio for s in capacities if f"{s.harness} ({s.family})" == name]
        out.append(
            HarnessScore(
                harness=name,
                loaded_ttft_rows=len(loaded),
                loaded_ttft_error=_median_factor(loaded),
                loaded_ttft_within_25=(
                    sum(1 for r in loaded if abs(r - 1) <= 0.25) / len(loaded) if loaded else 0.0
                ),
                sweeps=len(caps),
                capacity_error=_median_factor(caps),
                capacity_under_20=sum(1 for r in caps if r < 0.8) / len(caps) if caps else 0.0,
                loaded_ttft_worst=_worst_factor(loaded),
                capacity_worst=_worst_factor(caps),
            )
        )
    return out


def _median_factor(ratios: Sequence[float]) -> float:
    finite = [r for r in ratios if r > 0 and math.isfinite(r)]
    if not finite:
        return math.nan
    return statistics.median(max(r, 1 / r) for r in finite)


def _worst_factor(ratios: Sequence[float]) -> float:
    finite = [r for r in ratios if r > 0 and math.isfinite(r)]
    return max((max(r, 1 / r) for r in finite), default=math.nan)


def report_markdown(scores: Sequence[GroupScore]) -> str:
    header = ["group: metric", "rows", "answered", "median error x", "within ±25%", "median p/m"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(s.as_row()) + " |" for s in scores]
    return "\n".join(lines) + "\n"


def harness_markdown(scores: Sequence[HarnessScore]) -> str:
    header = [
        "harness (family)",
        "loaded TTFT rows",
        "loaded TTFT error x",
        "worst x",
        "within ±25%",
        "sweep thresholds",
        "capacity error x",
        "worst x",
        "under-predicted >20%",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(s.as_row()) + " |" for s in scores]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class TargetScore:
    """One accuracy target of the load model (docs/sizing-model.md, targets) and where the
    committed factors stand against it."""

    target: str
    rows: int  # rows (or sweep thresholds) the figure is taken over
    figure: float  # median error factor, or a share (0-1) for the capacity targets
    bound: float
    share: bool = False  # the figure is a share of sweeps, not an error factor

    @property
    def met(self) -> bool:
        return math.isfinite(self.figure) and self.figure <= self.bound

    def as_row(self) -> list[str]:
        def text(x: float) -> str:
            if not math.isfinite(x):
                return "-"
            return f"{100 * x:.0f}%" if self.share else f"x{x:.2f}"

        return [
            self.target,
            str(self.rows),
            text(self.figure),
            ("<= " if self.share else "within ") + text(self.bound),
            "met" if self.met else "not met",
        ]


LONE_PREFILL_BOUND = 1.2
LOADED_TTFT_BOUND = 1.2
CAPACITY_MISS_SHARE = 0.10  # of sweep thresholds, each way, off by more than 20%
DECODE_BOUND = 1.14  # decode and throughput: no worse than before the scheduler model's round 3
DECODE_METRICS = ("itl_ms", "output_tps_total", "tps_per_request")


def target_scores(comparisons: Sequence[Comparison]) -> list[TargetScore]:
    """The load model's targets over every answered row: lone-request prefill, loaded TTFT,
    capacity at the SLO of whole sweeps (under- and over-predicted by more than 20%), and
    decode and throughput."""
    lone = [c.ratio for c in comparisons if c.measurement.lone_ttft and c.ratio is not None]
    loaded = [c.ratio for c in comparisons if c.measurement.loaded and c.ratio is not None]
    decode = [
        c.ratio
        for c in comparisons
        if c.measurement.metric in DECODE_METRICS and c.ratio is not None
    ]
    caps = [s.ratio for s in sweep_capacities(comparisons)]
    under = sum(1 for r in caps if r < 0.8) / len(caps) if caps else math.nan
    over = sum(1 for r in caps if r > 1.2) / len(caps) if caps else math.nan
    return [
        TargetScore("lone-request prefill (TTFT at concurrency 1)", len(lone),
                    _median_factor(lone), LONE_PREFILL_BOUND),
        TargetScore("loaded TTFT", len(loaded), _median_factor(loaded), LOADED_TTFT_BOUND),
        TargetScore("capacity at SLO under-predicted by >20%", len(caps), under,
                    CAPACITY_MISS_SHARE, share=True),
        TargetScore("capacity at SLO over-predicted by >20%", len(caps), over,
                    CAPACITY_MISS_SHARE, share=True),
        TargetScore("decode and throughput (ITL, tokens/s)", len(decode),
                    _median_factor(decode), DECODE_BOUND),
    ]  # fmt: skip


def targets_markdown(scores: Sequence[TargetScore]) -> str:
    header = ["target", "rows", "figure", "bound", "verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(s.as_row()) + " |" for s in scores]
    return "\n".join(lines) + "\n"
