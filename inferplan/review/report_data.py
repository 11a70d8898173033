"""The figures ``inferplan report`` draws, gathered from the sizing engine as plain values.

Per workload: every candidate the optimizer considered, as the plan keeps them (cost against
TTFT p95 and tokens/s per request, the chosen one marked; no second search), the capacity curve
of the chosen replica (TTFT p95 and ITL of one replica at several concurrencies, from
``sizing.performance.estimator.estimate`` with the arguments the optimizer sizes with: the
average prompt and answer, Poisson arrivals), and the plan's reasons, warnings and
alternatives. Per environment: the monthly cost of each workload against the cap. Pure apart
from reading the stack's files; charts and HTML are elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from inferplan.verify.measurement import Measurement
from inputs.plan_inputs import PlanInputs
from sizing.catalog import Catalog
from sizing.performance.gpu_share import vm_gpu
from sizing.plan import Candidate, Plan, WorkloadPlan
from sizing.search.request import SizingRequest

# Concurrencies the capacity curve is drawn at: 1, 2, 3, 5, 8, 12, 18, ... (about 1.5x apart),
# up to twice the planned operating point or the KV cache's limit, whichever is less.
CURVE_GROWTH = 1.5
CURVE_REACH = 2.0


@dataclass(frozen=True)
class FrontierPoint:
    """One candidate: what it costs and what a request gets at its planned load."""

    summary: str
    target: str
    monthly_usd: float
    ttft_p95_ms: float | None
    tps_per_request: float | None
    feasible: bool
    chosen: bool
    rejection_kind: str | None


@dataclass(frozen=True)
class CandidateRow:
    """One candidate as the page's table lists it, plotted or not: the optimizer's rank
    (1 = considered first), its figures where known, and why it was not chosen."""

    rank: int
    summary: str
    target: str
    monthly_usd: float | None  # None: no finite cost (did not fit, not placeable)
    ttft_p95_ms: float | None
    tps_per_request: float | None
    status: str  # "chosen", "feasible" or "rejected"
    reason: str  # the rejection's message, "" when feasible


@dataclass(frozen=True)
class CurvePoint:
    concurrency: int
    ttft_p95_ms: float
    itl_ms: float


@dataclass(frozen=True)
class MeasuredPoint:
    """One load step of an ``inferplan verify`` measurement of the same configuration."""

    concurrency: float  # requests in flight per replica, averaged over the step
    ttft_p95_ms: float
    itl_ms: float  # mean
    slo_met: bool
    source: str  # the measurement file


@dataclass(frozen=True)
class CapacityCurve:
    """One replica of the chosen configuration under growing concurrency."""

    configuration: str  # "1x t4 int8 (Standard_NC4as_T4_v3)"
    points: tuple[CurvePoint, ...]
    ttft_slo_ms: float
    itl_slo_ms: float | None  # 1000 / tokens-per-second SLO: the ITL that alone meets it
    operating_concurrency: int
    operating_ttft_p95_ms: float | None
    operating_itl_ms: float | None
    kv_cache_concurrency: int  # sequences the KV cache holds at the average lengths
    measured: tuple[MeasuredPoint, ...] = ()  # verify's load steps on this configuration


@dataclass(frozen=True)
class WorkloadFigures:
    name: str
    plan: WorkloadPlan
    slo_ttft_p95_ms: float | None
    slo_tps_per_request: float | None
    frontier: tuple[FrontierPoint, ...]
    not_plotted: int  # candidates without a cost or a latency (did not fit, not placeable)
    candidates: tuple[CandidateRow, ...]  # every candidate, in the optimizer's order
    curve: CapacityCurve | None
    curve_note: str  # why there is no curve (managed service, offline work), else ""


SHARED_INFRASTRUCTURE = "shared infrastructure"  # the environment's fixed lines, as one share


@dataclass(frozen=True)
class CostShare:
    workload: str
    target: str | None
    monthly_usd: float


@dataclass(frozen=True)
class EnvironmentCost:
    name: str
    monthly_usd: float
    max_monthly_usd: float | None
    shares: tuple[CostShare, ...]  # dearest first


@dataclass(frozen=True)
class StackFigures:
    stack: str
    plan: Plan
    environments: tuple[EnvironmentCost, ...]
    workloads: tuple[WorkloadFigures, ...]


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def frontier_points(
    candidates: tuple[Candidate, ...],
) -> tuple[tuple[FrontierPoint, ...], int]:
    """Every candidate with a finite cost and TTFT, the chosen one marked (the optimizer's
    ranking); and how many could not be placed on the chart."""
    points: list[FrontierPoint] = []
    skipped = 0
    for option in candidates:
        f = option.figures
        if not (_finite(option.monthly_usd) and _finite(f.ttft_p95_ms)):
            skipped += 1
            continue
        points.append(
            FrontierPoint(
                summary=option.summary,
                target=option.target,
                monthly_usd=option.monthly_usd,
                ttft_p95_ms=f.ttft_p95_ms,
                tps_per_request=f.tps_per_request if _finite(f.tps_per_request) else None,
                feasible=option.feasible,
                chosen=option.chosen,
                rejection_kind=option.rejection.kind if option.rejection else None,
            )
        )
    return tuple(points), skipped


def candidate_rows(candidates: tuple[Candidate, ...]) -> tuple[CandidateRow, ...]:
    """Every candidate in the optimizer's order, the chosen one marked."""

    def known(value: float | None) -> float | None:
        return value if _finite(value) else None

    return tuple(
        CandidateRow(
            rank=option.rank,
            summary=option.summary,
            target=option.target,
            monthly_usd=known(option.monthly_usd),
            ttft_p95_ms=known(option.figures.ttft_p95_ms),
            tps_per_request=known(option.figures.tps_per_request),
            status="chosen" if option.chosen else "feasible" if option.feasible else "rejected",
            reason=option.rejection.message if option.rejection else "",
        )
        for option in candidates
    )


def pareto_front(points: tuple[FrontierPoint, ...]) -> tuple[FrontierPoint, ...]:
    """Feasible candidates no cheaper one beats on TTFT: sorted by cost, each with a lower
    TTFT p95 than every cheaper one."""
    front: list[FrontierPoint] = []
    best = math.inf
    for p in sorted((p for p in points if p.feasible), key=lambda p: (p.monthly_usd, p.summary)):
        if p.ttft_p95_ms is not None and p.ttft_p95_ms < best:
            front.append(p)
            best = p.ttft_p95_ms
    return tuple(front)


def curve_concurrencies(*, limit: int) -> tuple[int, ...]:
    """1, 2, 3, 5, 8, 12, 18, ... up to ``limit`` (inclusive): ``c' = max(c + 1, ceil(1.5 c))``."""
    values: list[int] = []
    c = 1
    while c <= limit:
        values.append(c)
        c = max(c + 1, math.ceil(c * CURVE_GROWTH))
    if values[-1] != limit:
        values.append(limit)
    return tuple(values)


def capacity_curve(
    w: WorkloadPlan, req: SizingRequest, *, catalog: Catalog
) -> tuple[CapacityCurve | None, str]:
    """The chosen replica's curve, or None and why not."""
    from sizing.performance.estimator import estimate

    if not w.feasible or w.aks is None or w.predicted is None:
        if w.target == "azure-openai":
            return None, (
                "Azure OpenAI is a managed service: its latency comes from the deployment "
                "type's reference figures, not from a replica inferplan sizes."
            )
        return None, "No replica is planned, so there is no curve to draw."
    if req.batch is not None:
        return None, "Offline work (traffic.batch): nobody waits for a first token."
    aks = w.aks
    model, gpu = catalog.model(req.model), vm_gpu(catalog, aks.vm_sku, aks.gpu_instance_profile)
    precision = catalog.precision(aks.precision)

    def at(concurrency: int):
        return estimate(
            model=model,
            gpu=gpu,
            precision=precision,
            tp=aks.tensor_parallel,
            input_tokens=req.avg_input_tokens,
            output_tokens=req.avg_output_tokens,
            concurrency=concurrency,
            arrival="poisson",
        )

    operating = w.predicted.concurrency_per_replica or 1
    kv_limit = max(at(1).max_concurrency, 1)
    limit = max(1, min(kv_limit, math.ceil(operating * CURVE_REACH)))
    points = []
    for c in curve_concurrencies(limit=limit):
        e = at(c)
        if e.fits and _finite(e.ttft_p95_ms) and _finite(e.itl_ms):
            points.append(CurvePoint(c, e.ttft_p95_ms, e.itl_ms))
    tps = req.output_tokens_per_second_p50
    return (
        CapacityCurve(
            configuration=f"{aks.tensor_parallel}x {aks.gpu} {aks.precision} ({aks.vm_sku})",
            points=tuple(points),
            ttft_slo_ms=req.ttft_p95_ms,
            itl_slo_ms=1000.0 / tps if tps else None,
            operating_concurrency=operating,
            operating_ttft_p95_ms=w.predicted.ttft_p95_ms,
            operating_itl_ms=w.predicted.itl_ms,
            kv_cache_concurrency=kv_limit,
        ),
        "",
    )


def environment_costs(plan: Plan) -> tuple[EnvironmentCost, ...]:
    out = []
    for env in plan.environments:
        shares = [
            CostShare(w.name, w.target, w.cost.monthly_usd if w.cost else 0.0)
            for w in plan.workloads_of(env.name)
        ]
        if env.fixed_monthly_usd:
            # The bill's other part: gateways, control planes, system pools, registry, endpoints.
            shares.append(CostShare(SHARED_INFRASTRUCTURE, None, env.fixed_monthly_usd))
        shares.sort(key=lambda s: (-s.monthly_usd, s.workload))
        out.append(EnvironmentCost(env.name, env.monthly_usd, env.max_monthly_usd, tuple(shares)))
    return tuple(out)


def measured_points(
    plan: WorkloadPlan, measurements: Sequence[tuple[str, Measurement]], *, stack: str
) -> tuple[MeasuredPoint, ...]:
    """The load steps of the stack's measurements of this workload on the plan's very
    configuration (model, VM size, precision, TP, engine version); others are not its curve."""
    aks = plan.aks
    if aks is None:
        return ()
    points = []
    for source, m in measurements:
        s = m.subject
        same = (
            s.stack == stack
            and s.workload == plan.name
            and (s.model, s.vm_sku, s.precision, s.tensor_parallel, s.engine_version)
            == (plan.model, aks.vm_sku, aks.precision, aks.tensor_parallel, aks.container_image.tag)
        )
        if not same:
            continue
        for step in m.steps:
            if step.requests_ok == 0:
                continue
            points.append(
                MeasuredPoint(
                    concurrency=step.concurrency_mean / s.replicas,
                    ttft_p95_ms=step.ttft_ms.p95,
                    itl_ms=step.itl_mean_ms,
                    slo_met=step.slo_met,
                    source=source,
                )
            )
    return tuple(sorted(points, key=lambda p: (p.concurrency, p.source)))


def figures_of(
    stack: str,
    inputs: PlanInputs,
    plan: Plan,
    *,
    catalog: Catalog,
    measurements: Sequence[tuple[str, Measurement]] = (),
) -> StackFigures:
    """Everything the page shows, from loaded inputs and their plan: the candidates the plan
    kept (the search ran once, when planning); each workload's request only for the lengths and
    SLO its capacity curve is drawn at; the measurements of its deployment, drawn on the
    capacity curves."""
    from sizing.planner import requests_of

    requests = {(r.environment, r.name, r.source): r for r in requests_of(inputs, catalog=catalog)}
    workloads = []
    for w in plan.workloads:
        req = requests[(w.environment, w.name, w.source)]
        points, skipped = frontier_points(w.candidates)
        curve, note = capacity_curve(w, req, catalog=catalog)
        if curve is not None and measurements:
            curve = replace(curve, measured=measured_points(w, measurements, stack=stack))
        workloads.append(
            WorkloadFigures(
                name=req.name,
                plan=w,
                slo_ttft_p95_ms=req.ttft_p95_ms if req.batch is None else None,
                slo_tps_per_request=req.output_tokens_per_second_p50 or None,
                frontier=points,
                not_plotted=skipped,
                candidates=candidate_rows(w.candidates),
                curve=curve,
                curve_note=note,
            )
        )
    return StackFigures(stack, plan, environment_costs(plan), tuple(workloads))


def stack_figures(
    stack: str,
    *,
    catalog: Catalog,
    template_dirs: tuple[Path, ...] = (),
    root: Path = Path(),
    measurements: Sequence[tuple[str, Measurement]] = (),
) -> StackFigures:
    """Load and plan ``stack`` (a name or an environment file), then gather its figures;
    spec errors raise ``SpecError``."""
    from inputs.errors import Problem, SpecReadError
    from inputs.plan_inputs import load_inputs, stack_file, stack_name
    from inputs.template_library import TemplateFolders
    from sizing.catalog.input_facts import CatalogFacts
    from sizing.planner import build_plan

    name, path = stack_name(stack), stack_file(stack, root=root)
    if not path.is_file():
        raise SpecReadError(
            [Problem(str(path), 0, 0, "", f"no environment file for stack {name!r}")]
        )
    templates = TemplateFolders.default(template_dirs)
    inputs = load_inputs([path], CatalogFacts(catalog), templates=templates)
    plan = build_plan(inputs, catalog=catalog)
    return figures_of(name, inputs, plan, catalog=catalog, measurements=measurements)
