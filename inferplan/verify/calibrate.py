"""Measurements into a catalog overlay of scoped, bounded corrections (``inferplan calibrate``).

For every scope (model x VM size x precision x engine version x tensor parallel) measured on a
self-hosted deployment, each load step that completed requests gives one pair: the measured mean
inter-token latency, and the estimator's ITL at that step's requests in flight per replica under
Poisson arrivals at the measured request lengths. The correction is the factor on the vLLM step
time (``vllm_step_time_ratio``) that minimises the mean |ln(measured / predicted)| over the
pairs, searched inside `STEP_TIME_RATIO_BOUNDS`; the residual before and after is written beside
it. ITL is the figure fitted because it is the engine's step time seen from outside; TTFT adds
queueing and the gateway, which a step-time factor should not absorb.

Azure OpenAI measurements are compared by ``verify`` but not fitted: nothing in a managed
deployment's prediction is a step time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from inferplan.verify.measurement import Measurement
from sizing.catalog import Catalog
from sizing.catalog.measured_corrections import KIND, STEP_TIME_RATIO_BOUNDS
from sizing.performance.efficiency import EfficiencyFactors, default_efficiency
from sizing.performance.estimator import estimate

RESIDUAL_METRIC = "mean |ln(measured / predicted ITL mean)| over the load steps"
OVERLAY_FILE = "measured_corrections.yaml"


@dataclass(frozen=True)
class ScopeKey:
    model: str
    vm_sku: str
    precision: str
    engine_version: str
    tensor_parallel: int

    @property
    def id(self) -> str:
        return (
            f"{self.model}@{self.vm_sku}/{self.precision}/tp{self.tensor_parallel}/"
            f"vllm-{self.engine_version}"
        )


@dataclass(frozen=True)
class Pair:
    """One load step: measured ITL and what the estimator needs to predict it."""

    measured_itl_ms: float
    concurrency_per_replica: int
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class Fitted:
    scope: ScopeKey
    step_time_ratio: float
    residual_before: float
    residual_after: float
    clipped: bool
    measurements: tuple[str, ...]  # the files, as given
    dates: tuple[str, ...]  # when each was measured (ISO)
    steps: int


class CalibrationError(Exception):
    """Measurements that cannot be fitted (a model or VM size the catalog does not know)."""


def scope_of(m: Measurement) -> ScopeKey | None:
    s = m.subject
    if s.target != "aks-vllm":
        return None
    assert s.vm_sku and s.precision and s.engine_version and s.tensor_parallel
    return ScopeKey(s.model, s.vm_sku, s.precision, s.engine_version, s.tensor_parallel)


def pairs_of(m: Measurement) -> list[Pair]:
    out = []
    for step in m.steps:
        if step.requests_ok == 0 or step.itl_mean_ms <= 0:
            continue
        per_replica = max(1, round(step.concurrency_mean / m.subject.replicas))
        out.append(
            Pair(step.itl_mean_ms, per_replica, m.harness.input_tokens, m.harness.output_tokens)
        )
    return out


def _predicted_itl_ms(
    scope: ScopeKey, pair: Pair, *, catalog: Catalog, eff: EfficiencyFactors
) -> float:
    sku = catalog.vm_sku(scope.vm_sku)
    est = estimate(
        model=catalog.model(scope.model),
        gpu=catalog.gpu(sku.gpu),
        precision=catalog.precision(scope.precision),
        tp=scope.tensor_parallel,
        input_tokens=pair.input_tokens,
        output_tokens=pair.output_tokens,
        concurrency=pair.concurrency_per_replica,
        arrival="poisson",
        eff=eff,
    )
    return est.itl_ms


def residual(
    scope: ScopeKey,
    pairs: list[Pair],
    ratio: float,
    *,
    catalog: Catalog,
    base: EfficiencyFactors,
) -> float:
    eff = base.replace(vllm_step_time_ratio=base.vllm_step_time_ratio * ratio)
    errors = []
    for pair in pairs:
        predicted = _predicted_itl_ms(scope, pair, catalog=catalog, eff=eff)
        if not (predicted > 0 and math.isfinite(predicted)):
            continue
        errors.append(abs(math.log(pair.measured_itl_ms / predicted)))
    return sum(errors) / len(errors) if errors else math.inf


def fit_scope(
    scope: ScopeKey,
    measured: list[tuple[str, Measurement]],
    *,
    catalog: Catalog,
    base: EfficiencyFactors | None = None,
) -> Fitted:
    """The bounded step-time factor that best explains the scope's measured ITL."""
    base = base or default_efficiency()
    pairs = [p for _, m in measured for p in pairs_of(m)]
    if not pairs:
        raise CalibrationError(f"{scope.id}: no load step completed a request; nothing to fit")
    low, high = (math.log(b) for b in STEP_TIME_RATIO_BOUNDS)

    def cost(log_ratio: float) -> float:
        return residual(scope, pairs, math.exp(log_ratio), catalog=catalog, base=base)

    # Golden-section search on ln(ratio): the residual is unimodal in the step-time factor.
    golden = (math.sqrt(5) - 1) / 2
    a, b = low, high
    c, d = b - golden * (b - a), a + golden * (b - a)
    fc, fd = cost(c), cost(d)
    for _ in range(30):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - golden * (b - a)
            fc = cost(c)
        else:
            a, c, fc = c, d, fd
            d = a + golden * (b - a)
            fd = cost(d)
    best = round(math.exp((a + b) / 2), 4)
    lowest, highest = STEP_TIME_RATIO_BOUNDS
    clipped = best <= lowest * 1.01 or best >= highest / 1.01  # the fit wanted further out
    return Fitted(
        scope=scope,
        step_time_ratio=best,
        residual_before=round(residual(scope, pairs, 1.0, catalog=catalog, base=base), 4),
        residual_after=round(residual(scope, pairs, best, catalog=catalog, base=base), 4),
        clipped=clipped,
        measurements=tuple(name for name, _ in measured),
        dates=tuple(m.started_at[:10] for _, m in measured),
        steps=len(pairs),
    )


def calibrate(
    measurements: list[tuple[str, Measurement]], *, catalog: Catalog
) -> tuple[list[Fitted], list[str]]:
    """Every scope fitted, sorted by id; and the measurements skipped, with why."""
    groups: dict[ScopeKey, list[tuple[str, Measurement]]] = {}
    skipped = []
    for name, m in measurements:
        scope = scope_of(m)
        if scope is None:
            skipped.append(
                f"{name}: Azure OpenAI ({m.subject.deployment_type}): compared by verify, "
                "nothing to fit"
            )
            continue
        try:
            catalog.model(scope.model)
            catalog.gpu(catalog.vm_sku(scope.vm_sku).gpu)
            catalog.precision(scope.precision)
        except Exception as error:  # the catalog's UnknownEntryError names what is missing
            raise CalibrationError(f"{name}: {error}") from None
        groups.setdefault(scope, []).append((name, m))
    fitted = [fit_scope(k, v, catalog=catalog) for k, v in groups.items()]
    return sorted(fitted, key=lambda f: f.scope.id), skipped


def overlay(fitted: list[Fitted]) -> str:
    """The ``kind: measured_corrections`` catalog file for ``plan --catalog DIR``."""
    sources: dict[str, str] = {}
    entries = []
    for f in fitted:
        keys = []
        for name, date in zip(f.measurements, f.dates, strict=True):
            key = f"m{len(sources) + 1}"
            sources[key] = f"inferplan verify measurement {name} (measured {date})"
            keys.append(key)
        entries.append(
            {
                "id": f.scope.id,
                "scope": {
                    "model": f.scope.model,
                    "vm_sku": f.scope.vm_sku,
                    "precision": f.scope.precision,
                    "engine": "vllm",
                    "engine_version": f.scope.engine_version,
                    "tensor_parallel": f.scope.tensor_parallel,
                },
                "step_time_ratio": f.step_time_ratio,
                "residual_before": f.residual_before,
                "residual_after": f.residual_after,
                "residual_metric": RESIDUAL_METRIC,
                "measurements": list(f.measurements),
                "clipped": f.clipped,
                "source": keys,
                "date": max(f.dates),
                "note": f"fitted on {f.steps} load step(s) by inferplan calibrate",
            }
        )
    doc = {
        "kind": KIND,
        "schema_version": 1,
        "description": "Step-time corrections fitted by `inferplan calibrate` on measurements "
        "of deployed endpoints; each applies only inside its scope.",
        "sources": sources,
        "corrections": entries,
    }
    return yaml.safe_dump(doc, sort_keys=False, width=100)


def write_overlay(fitted: list[Fitted], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / OVERLAY_FILE
    path.write_text(overlay(fitted), encoding="utf-8")
    return path
