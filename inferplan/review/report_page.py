"""``inferplan report``'s page: one self-contained HTML file (inline CSS and SVG, no script,
no link to anything outside it), so it opens the same from a CI artefact, a laptop or a mail.

Sections: the environment's cost per workload against its cap, then per workload its plan
(target, configuration, regions, predictions against the SLO, cost), the cost/latency frontier
of every candidate, the chosen replica's capacity curve, and the plan's reasons, warnings and
alternatives. Deterministic: the same stack gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inferplan.review.report_charts import capacity_chart, cost_chart, frontier_chart
from inferplan.review.report_data import StackFigures, WorkloadFigures

PAGE_TEMPLATE = Path(__file__).with_name("report_page.html.j2")  # Jinja2, autoescaped


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.0f}"


def _number(value: float | None, unit: str = "") -> str:
    return "-" if not value else f"{value:,.0f}{unit}" if value >= 100 else f"{value:,.1f}{unit}"


def _configuration(w: WorkloadFigures) -> str:
    p = w.plan
    if p.aks is not None:
        return p.aks.configuration()
    if p.azure_openai is not None:
        o = p.azure_openai
        return o.configuration()
    return "-"


def _against(value: float | None, slo: float | None, unit: str, bound: str) -> str:
    shown = _number(value, unit)
    return shown if slo is None or shown == "-" else f"{shown} ({bound} {_number(slo, unit)})"


def _workload_context(w: WorkloadFigures, index: int) -> dict[str, Any]:
    p = w.plan
    predicted = p.predicted
    tps_points = [pt for pt in w.frontier if pt.tps_per_request]
    return {
        "name": w.name,
        "target": p.target or "-",
        "configuration": _configuration(w),
        "regions": ", ".join(p.regions) or "-",
        "ttft": _against(
            predicted.ttft_p95_ms if predicted else None, w.slo_ttft_p95_ms, " ms", "≤"
        ),
        "tps": _against(
            predicted.tps_per_request if predicted else None, w.slo_tps_per_request, "", "≥"
        ),
        "cost": _money(p.cost.monthly_usd if p.cost else None),
        "feasible": p.feasible,
        "infeasible_reason": p.infeasible_reason,
        "plotted": len(w.frontier),
        "not_plotted": w.not_plotted,
        "frontier_ttft": frontier_chart(
            w.frontier,
            metric="ttft_p95_ms",
            slo=w.slo_ttft_p95_ms,
            chart_id=f"frontier-ttft-{index}",
        ),
        "frontier_tps": frontier_chart(
            w.frontier,
            metric="tps_per_request",
            slo=w.slo_tps_per_request,
            chart_id=f"frontier-tps-{index}",
        )
        if tps_points
        else "",
        "capacity": capacity_chart(w.curve, chart_id=f"capacity-{index}")
        if w.curve is not None and w.curve.points
        else "",
        "curve_configuration": w.curve.configuration if w.curve else "",
        "curve_note": w.curve_note or "No concurrency of this replica could be estimated.",
        "reasons": list(p.reasons),
        "warnings": [(x.kind, x.message) for x in p.warnings],
        "candidates": [
            {
                "rank": c.rank,
                "summary": c.summary,
                "target": c.target,
                "cost": _money(c.monthly_usd),
                "ttft": _number(c.ttft_p95_ms, " ms"),
                "tps": _number(c.tps_per_request),
                "status": c.status,
                "reason": c.reason,
            }
            for c in w.candidates
        ],
        "alternatives": [
            {
                "kind": a.kind,
                "target": a.target,
                "summary": a.summary,
                "cost": _money(a.monthly_usd),
                "reason": a.reason,
            }
            for a in p.alternatives
        ],
    }


def render_page(figures: StackFigures) -> str:
    """The report page as HTML text."""
    import jinja2

    environment = jinja2.Environment(autoescape=True, keep_trailing_newline=True)
    template = environment.from_string(PAGE_TEMPLATE.read_text(encoding="utf-8"))
    plan = figures.plan
    return template.render(
        stack=figures.stack,
        workload_count=len(figures.workloads),
        total=_money(plan.monthly_usd),
        feasible=plan.feasible,
        environments=[
            {
                "name": env.name,
                "total": _money(env.monthly_usd),
                "cap": _money(env.max_monthly_usd) if env.max_monthly_usd is not None else "",
                "svg": cost_chart(env, chart_id=f"cost-{index}"),
            }
            for index, env in enumerate(figures.environments)
        ],
        workloads=[_workload_context(w, i) for i, w in enumerate(figures.workloads)],
    )
