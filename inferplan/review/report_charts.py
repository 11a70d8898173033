"""The report's charts as static SVG, drawn with matplotlib.

Why matplotlib: it draws static vector charts offline with no browser, JavaScript or network
(the page must work where it is opened), it is the most widely used and maintained Python
plotting library, and its SVG output can be made byte-identical run to run: a fixed hash salt
for element ids (per chart, so several SVGs inline in one page never share an id), no date in
the metadata, and text kept as text (``svg.fonttype: none``) so the page stays searchable and
small. Only the object API is used (``Figure``, never pyplot), so no global figure state and no
GUI backend.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence

from inferplan.review.report_data import (
    CapacityCurve,
    EnvironmentCost,
    FrontierPoint,
    pareto_front,
)

WIDTH_IN, HEIGHT_IN = 6.4, 3.6
COLORS = {
    "chosen": "#d62728",
    "feasible": "#1f77b4",
    "rejected": "#b0b0b0",
    "slo": "#2ca02c",
    "front": "#1f77b4",
    "aks-vllm": "#1f77b4",
    "azure-openai": "#ff7f0e",
    "other": "#7f7f7f",
    "cap": "#d62728",
}
STYLE = {
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e6e6e6",
}


def _svg(figure, chart_id: str) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog), ids salted by ``chart_id``."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({**STYLE, "svg.hashsalt": chart_id}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    start = text.index("<svg")
    svg = _scoped_ids(text[start:], chart_id)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{chart_id}" ', 1)


# An id matplotlib writes, and the three ways its SVG refers to one.
_ID_OR_REFERENCE = re.compile(r'(\bid="|\bxlink:href="#|\bhref="#|url\(#)([^")]+)')


def _scoped_ids(svg: str, chart_id: str) -> str:
    """Every id of the figure prefixed with ``chart_id``, references too: inline SVGs share the
    page's one id space, and matplotlib names its groups ``figure_1``, ``axes_1``... in every
    figure, so without a prefix a page of several charts repeats ids (invalid HTML, and a
    ``url(#...)`` could resolve into another chart)."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    return _ID_OR_REFERENCE.sub(
        lambda m: m.group(1) + (f"{chart_id}-{m.group(2)}" if m.group(2) in ids else m.group(2)),
        svg,
    )


def _figure():
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), layout="constrained")
        axes = figure.add_subplot()
    return figure, axes


def _money_axis(axes, *, axis: str = "x") -> None:
    from matplotlib.ticker import FuncFormatter

    formatter = FuncFormatter(lambda v, _: f"${v:,.0f}")
    (axes.xaxis if axis == "x" else axes.yaxis).set_major_formatter(formatter)


def frontier_chart(
    points: Sequence[FrontierPoint],
    *,
    metric: str,
    slo: float | None,
    chart_id: str,
) -> str:
    """Cost (x) against ``metric`` (``ttft_p95_ms`` or ``tps_per_request``) for every
    candidate: rejected ones grey, feasible ones blue with the cost/TTFT frontier joined, the
    chosen one a red star, the SLO a green line."""
    import matplotlib

    label = {"ttft_p95_ms": "TTFT p95 (ms)", "tps_per_request": "tokens/s per request"}[metric]
    figure, axes = _figure()
    with matplotlib.rc_context(STYLE):
        shown = [p for p in points if getattr(p, metric) is not None]
        for kind, selector, marker in (
            ("rejected", lambda p: not p.feasible, "o"),
            ("feasible", lambda p: p.feasible and not p.chosen, "o"),
        ):
            chosen_points = [p for p in shown if selector(p)]
            if chosen_points:
                axes.scatter(
                    [p.monthly_usd for p in chosen_points],
                    [getattr(p, metric) for p in chosen_points],
                    s=22,
                    marker=marker,
                    facecolors="none" if kind == "rejected" else COLORS[kind],
                    edgecolors=COLORS[kind],
                    label=f"{kind} ({len(chosen_points)})",
                    zorder=2,
                )
        if metric == "ttft_p95_ms":
            front = pareto_front(tuple(shown))
            if len(front) > 1:
                axes.step(
                    [p.monthly_usd for p in front],
                    [p.ttft_p95_ms for p in front],
                    where="post",
                    color=COLORS["front"],
                    linewidth=1,
                    alpha=0.6,
                    label="cost/TTFT frontier",
                    zorder=1,
                )
        for p in shown:
            if p.chosen:
                axes.scatter(
                    [p.monthly_usd],
                    [getattr(p, metric)],
                    s=140,
                    marker="*",
                    color=COLORS["chosen"],
                    label=f"chosen: {p.summary}",
                    zorder=3,
                )
        if slo is not None:
            axes.axhline(slo, color=COLORS["slo"], linestyle="--", linewidth=1, label="SLO")
        values = [getattr(p, metric) for p in shown]
        if values and max(values) / max(min(values), 1e-9) > 30:
            axes.set_yscale("log")
        costs = [p.monthly_usd for p in shown]
        if costs and max(costs) / max(min(costs), 1e-9) > 30:
            axes.set_xscale("log")
        else:
            _money_axis(axes)
        axes.set_xlabel("monthly cost (USD)")
        axes.set_ylabel(label)
        if shown or slo is not None:
            axes.legend(loc="best", fontsize=7, frameon=False)
    return _svg(figure, chart_id)


def capacity_chart(curve: CapacityCurve, *, chart_id: str) -> str:
    """TTFT p95 (left axis) and ITL (right axis) of one replica against concurrency, their SLO
    lines and the planned operating point."""
    import matplotlib

    figure, left = _figure()
    with matplotlib.rc_context(STYLE):
        right = left.twinx()
        right.spines["right"].set_visible(True)
        xs = [p.concurrency for p in curve.points]
        left.plot(
            xs, [p.ttft_p95_ms for p in curve.points], color="#1f77b4", marker=".", label="TTFT p95"
        )
        right.plot(xs, [p.itl_ms for p in curve.points], color="#9467bd", marker=".", label="ITL")
        left.axhline(
            curve.ttft_slo_ms,
            color="#1f77b4",
            linestyle="--",
            linewidth=1,
            label=f"TTFT SLO {curve.ttft_slo_ms:,.0f} ms",
        )
        if curve.itl_slo_ms is not None:
            right.axhline(
                curve.itl_slo_ms,
                color="#9467bd",
                linestyle="--",
                linewidth=1,
                label=f"ITL for the tokens/s SLO {curve.itl_slo_ms:,.0f} ms",
            )
        left.axvline(
            curve.operating_concurrency,
            color=COLORS["chosen"],
            linewidth=1,
            label=f"planned: {curve.operating_concurrency} per replica",
        )
        if curve.operating_ttft_p95_ms is not None:
            left.scatter(
                [curve.operating_concurrency],
                [curve.operating_ttft_p95_ms],
                s=60,
                marker="*",
                color=COLORS["chosen"],
                zorder=3,
            )
        if curve.operating_itl_ms is not None:
            right.scatter(
                [curve.operating_concurrency],
                [curve.operating_itl_ms],
                s=60,
                marker="*",
                color=COLORS["chosen"],
                zorder=3,
            )
        for measured, hollow in ((True, False), (False, True)):
            points = [p for p in curve.measured if p.slo_met == measured]
            if not points:
                continue
            verdict = "met the SLO" if measured else "missed the SLO"
            style = {"facecolors": "none"} if hollow else {}
            left.scatter(
                [p.concurrency for p in points],
                [p.ttft_p95_ms for p in points],
                s=36,
                marker="o",
                edgecolors="#1f77b4",
                color="#1f77b4",
                zorder=4,
                label=f"measured TTFT p95 ({verdict})",
                **style,
            )
            right.scatter(
                [p.concurrency for p in points],
                [p.itl_ms for p in points],
                s=36,
                marker="s",
                edgecolors="#9467bd",
                color="#9467bd",
                zorder=4,
                label=f"measured ITL mean ({verdict})",
                **style,
            )
        left.set_xlabel("concurrent requests on one replica")
        left.set_ylabel("TTFT p95 (ms)")
        right.set_ylabel("ITL (ms)")
        left.set_ylim(bottom=0)
        right.set_ylim(bottom=0)
        right.grid(False)
        handles = [*left.get_legend_handles_labels()[0], *right.get_legend_handles_labels()[0]]
        labels = [*left.get_legend_handles_labels()[1], *right.get_legend_handles_labels()[1]]
        left.legend(handles, labels, loc="upper left", fontsize=7, frameon=False)
    return _svg(figure, chart_id)


def cost_chart(environment: EnvironmentCost, *, chart_id: str) -> str:
    """Each workload's monthly cost as a horizontal bar (coloured by target), the
    environment's cap as a red line when it has one."""
    import matplotlib

    figure, axes = _figure()
    shares = list(reversed(environment.shares))  # dearest at the top
    with matplotlib.rc_context(STYLE):
        figure.set_size_inches(WIDTH_IN, max(1.6, 0.45 * len(shares) + 1.0))
        colors = [COLORS.get(s.target or "other", COLORS["other"]) for s in shares]
        axes.barh([s.workload for s in shares], [s.monthly_usd for s in shares], color=colors)
        for index, s in enumerate(shares):
            axes.annotate(
                f" ${s.monthly_usd:,.0f}", (s.monthly_usd, index), va="center", fontsize=7
            )
        top = max([s.monthly_usd for s in shares] + [0.0])
        if environment.max_monthly_usd is not None and math.isfinite(environment.max_monthly_usd):
            axes.axvline(
                environment.max_monthly_usd,
                color=COLORS["cap"],
                linestyle="--",
                linewidth=1,
                label=f"cap ${environment.max_monthly_usd:,.0f}",
            )
            axes.legend(loc="lower right", fontsize=7, frameon=False)
            top = max(top, environment.max_monthly_usd)
        axes.set_xlim(0, top * 1.15 or 1)
        _money_axis(axes)
        axes.set_xlabel("monthly cost (USD)")
        axes.grid(axis="y", visible=False)
    return _svg(figure, chart_id)
