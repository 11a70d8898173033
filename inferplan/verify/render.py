"""Verify's output: measured beside predicted, as a table, JSON or Markdown."""

from __future__ import annotations

import json
from pathlib import Path

from inferplan.markdown import markdown_table
from inferplan.verify.compare import Row, rows, slo_holds
from inferplan.verify.measurement import Measurement


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "share":
        return f"{value:.1%}"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def _ratio(row: Row) -> str:
    return "-" if row.ratio is None else f"x{row.ratio:.2f}"


def _header(m: Measurement, path: Path | None) -> str:
    s = m.subject
    where = (
        f"{s.vm_sku} {s.precision} TP {s.tensor_parallel}, {s.engine} {s.engine_version}"
        if s.target == "aks-vllm"
        else f"{s.deployment_type} {s.engine_version}"
    )
    verdict = "SLO holds at the planned load" if slo_holds(m) else "SLO MISSED at the planned load"
    steps = ", ".join(
        f"{st.rate_per_s:.2f}->{st.achieved_rate_per_s:.2f} req/s {'ok' if st.slo_met else 'miss'}"
        for st in m.steps
    )
    saved = f"\n  measurement: {path}" if path else ""
    return (
        f"{s.stack}/{s.workload}: {s.model} on {where}, {s.replicas} replica(s); {verdict}\n"
        f"  {m.harness.name} {m.harness.version}, {m.harness.arrival} arrivals of "
        f"{m.harness.input_tokens}+{m.harness.output_tokens} tokens, "
        f"{m.harness.step_duration_s:g} s per step: {steps}{saved}"
    )


def table(results: list[tuple[Measurement, Path | None]]) -> str:
    out = []
    for m, path in results:
        out.append(_header(m, path))
        out.append(
            f"  {'figure':<34} {'measured':>10} {'predicted':>10} {'ratio':>7} {'SLO':>8}  verdict"
        )
        for r in rows(m):
            name = f"{r.term} ({r.unit})"
            out.append(
                f"  {name:<34} {_num(r.measured, r.unit):>10} {_num(r.predicted, r.unit):>10} "
                f"{_ratio(r):>7} {_num(r.target, r.unit):>8}  {r.verdict or ''}".rstrip()
            )
        out.append("")
    return "\n".join(out)


def markdown(results: list[tuple[Measurement, Path | None]]) -> str:
    out = []
    for m, path in results:
        head, *rest = _header(m, path).splitlines()
        out.append(f"### {head}\n")
        out.extend(f"{line.strip()}  " for line in rest)
        out.append("")
        out += markdown_table(
            ("figure", "measured", "predicted", "ratio", "SLO", "verdict"),
            (
                (
                    f"{r.term} ({r.unit})",
                    _num(r.measured, r.unit),
                    _num(r.predicted, r.unit),
                    _ratio(r),
                    _num(r.target, r.unit),
                    r.verdict or "",
                )
                for r in rows(m)
            ),
            align="lrrrrl",
        )
        out.append("")
    return "\n".join(out)


def as_json(results: list[tuple[Measurement, Path | None]]) -> str:
    data = {
        "slo_holds": all(slo_holds(m) for m, _ in results),
        "workloads": [
            {
                "workload": m.subject.workload,
                "slo_holds": slo_holds(m),
                "measurement_file": str(path) if path else None,
                "comparison": [
                    {
                        "term": r.term,
                        "unit": r.unit,
                        "measured": r.measured,
                        "predicted": r.predicted,
                        "ratio": r.ratio,
                        "slo": r.target,
                        "verdict": r.verdict,
                    }
                    for r in rows(m)
                ],
                "measurement": m.model_dump(mode="json"),
            }
            for m, path in results
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def render(results: list[tuple[Measurement, Path | None]], fmt: str) -> str:
    return {"table": table, "markdown": markdown, "json": as_json}[fmt](results)
