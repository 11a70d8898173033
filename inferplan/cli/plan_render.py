"""Plans as people read them: a terminal table and compact Markdown for pull requests.

Both are pure functions of the Plan, so the same plan always renders to the same text.
"""

from __future__ import annotations

import sys

from inferplan.markdown import markdown_table
from sizing.plan import EnvironmentPlan, Plan, WorkloadPlan


def configuration(w: WorkloadPlan) -> str:
    """One line saying what runs: GPUs and replicas, or deployment type and capacity."""
    if w.aks is not None:
        return w.aks.configuration()
    if w.azure_openai is not None:
        o = w.azure_openai
        return o.configuration()
    return "-"


def shared_note(plan: Plan, w: WorkloadPlan) -> str:
    """Where the environment packs ``w`` onto a shared pool: the replicas it runs there instead
    (the configuration before it is the workload's plan alone)."""
    env = next((e for e in plan.environments if e.name == w.environment), None)
    pools = [p for p in (env.packing if env else ()) if p.member(w.name) is not None]
    parts = []
    for p in pools:
        member = p.member(w.name)
        assert member is not None
        where = f" ({p.region})" if len(w.regions) > 1 else ""
        parts.append(f"{member.replicas}x on shared pool {p.name}{where}")
    return f"; packed: {', '.join(parts)}" if parts else ""


def packing_reasons(plan: Plan, w: WorkloadPlan) -> list[str]:
    """``--explain``'s sentences on the environment's packing of ``w``: the shared pool it runs
    on and what a node (zone) loss leaves it, or why it kept its own pool."""
    env = next((e for e in plan.environments if e.name == w.environment), None)
    if env is None:
        return []
    out = []
    for p in env.packing:
        m = p.member(w.name)
        if m is None:
            continue
        others = ", ".join(o.workload for o in p.members if o.workload != w.name)
        loss = (
            f"after losing the worst {m.spare} it keeps {m.replicas_after_loss} (its peak needs "
            f"{m.replicas_needed_after_loss})"
            if m.spare != "none"
            else "its rung spares nothing"
        )
        out.append(
            f"Packed in {p.region} with {others} on shared pool {p.name} ({p.nodes}x "
            f"{p.vm_sku} instead of {p.nodes_before} nodes of their own): {m.replicas} replicas "
            f"of {m.gpus_per_replica} GPU(s) instead of {m.own_replicas}, spread one apart per "
            f"node; {loss}."
        )
    out += [
        f"Own pool in {d.region}, not packed ({d.kind}): {d.detail}."
        for d in env.packing_declined
        if d.workload == w.name
    ]
    return out


def money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.0f}"


def _status(w: WorkloadPlan) -> str:
    return "ok" if w.feasible else "INFEASIBLE"


def _latency(w: WorkloadPlan) -> tuple[str, str]:
    if w.predicted is None:
        return "-", "-"
    tps, ttft = w.predicted.tps_per_request, w.predicted.ttft_p95_ms
    mark = TPS_MARKS[w.predicted.tps_basis]
    return (f"{ttft:,.0f} ms" if ttft is not None else "-"), (f"{mark}{tps:.1f}" if tps else "-")


# How the tok/s/req column marks a figure that is not the performance model's own: "≥" the
# provisioned latency floor or the priority-processing target (minimums), "~" a token-billed
# working figure (no published speed).
TPS_MARKS = {
    "modelled": "",
    "ptu-latency-floor": "≥",
    "priority-latency-target": "≥",
    "working-figure": "~",
}


def bill_lines(e: EnvironmentPlan) -> list[str]:
    """What an environment's total includes, line by line, and what it leaves out."""
    if not e.fixed_costs:
        return []
    lines = [f"workloads: {money(e.workloads_monthly_usd)}/month"]
    lines += packing_lines(e)
    lines += [
        f"{c.description}: {money(c.monthly_usd)}/month ({c.price_kind})"
        for c in e.fixed_costs
        if c.monthly_usd is not None
    ]
    usage = [f"{c.description} ({c.usage_price})" for c in e.fixed_costs if c.monthly_usd is None]
    if usage:
        lines.append("not in the total, billed by use: " + "; ".join(usage))
    return lines


def packing_lines(e: EnvironmentPlan) -> list[str]:
    """Each shared GPU pool: who shares it, nodes before and after, and what it saves."""
    lines = []
    for p in e.packing:
        names = ", ".join(m.workload for m in p.members)
        lines.append(
            f"shared GPU pool {p.name} ({p.vm_sku}, {p.region}): {names} on {p.nodes} node(s) "
            f"instead of {p.nodes_before}, each keeping its availability: "
            f"-{money(p.saving_monthly_usd)}/month ({p.price_basis})"
        )
    return lines


PLAN_COLUMNS = (
    "workload",
    "target",
    "configuration",
    "regions",
    "TTFT p95",
    "tok/s/req",
    "$/month",
    "status",
)


def markdown(plan: Plan) -> str:
    """A compact table, then each workload's reasons folded away in <details>."""
    rows = []
    for w in plan.workloads:
        ttft, tps = _latency(w)
        name = f"{w.environment}/{w.name}" if w.environment else w.name
        rows.append(
            (
                name,
                w.target or "-",
                configuration(w) + shared_note(plan, w),
                ", ".join(w.regions) or "-",
                ttft,
                tps,
                money(w.cost.monthly_usd if w.cost else None),
                _status(w),
            )
        )
    lines = markdown_table(
        PLAN_COLUMNS,
        rows,
        align="llllrrrl",
    )
    lines.append("")
    lines.append(
        f"**Total: {money(plan.monthly_usd)}/month** for {len(plan.workloads)} workload(s)."
    )
    for e in plan.environments:
        cap = f" of {money(e.max_monthly_usd)} cap" if e.max_monthly_usd else ""
        lines.append(f"- environment `{e.name}` ({e.location}): {money(e.monthly_usd)}/month{cap}")
        lines += [f"  - {line}" for line in bill_lines(e)]
        lines += [f"  - **violation:** {v.message}" for v in e.violations]
    warned = [(w, x) for w in plan.workloads for x in w.warnings]
    if warned:
        lines += ["", "**Warnings**", ""]
        lines += [f"- `{w.name}` ({x.kind}): {x.message}" for w, x in warned]
    for w in plan.workloads:
        lines += ["", f"<details><summary>{w.name}: why</summary>", ""]
        lines += [f"- {r}" for r in w.reasons]
        if w.nearest_relaxation:
            lines.append(f"- Nearest feasible: {w.nearest_relaxation}")
        if w.alternatives:
            lines.append("- Alternatives:")
            lines += [
                f"  - {a.summary} ({money(a.monthly_usd)}): {a.reason}" for a in w.alternatives
            ]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def print_table(plan: Plan, *, explain: bool) -> None:
    """The plan as a terminal table. Every text from the plan (workload and catalog names,
    reasons such as "pin precision (e.g. [bf16, fp8])" or "[quota, documented]") is escaped,
    so rich prints its square brackets instead of reading them as markup."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # A terminal sets its own width; a pipe or log file gets lines wide enough not to wrap.
    console = Console(width=None if sys.stdout.isatty() else 200)
    table = Table(title="inferplan plan", header_style="bold", show_lines=False)
    for col, justify in (
        ("workload", "left"),
        ("target", "left"),
        ("configuration", "left"),
        ("regions", "left"),
        ("TTFT p95", "right"),
        ("tok/s/req", "right"),
        ("$/month", "right"),
        ("status", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    simulated = any(w.predicted and w.predicted.simulated for w in plan.workloads)
    if simulated:  # plan --simulate: the simulated tail and preemptions beside the prediction
        for col in ("sim TTFT p95", "sim TTFT p99", "preemptions"):
            table.add_column(col, justify="right")
    for w in plan.workloads:
        ttft, tps = _latency(w)
        cells: tuple[str, ...] = (
            f"{w.environment}/{w.name}" if w.environment else w.name,
            w.target or "-",
            configuration(w) + shared_note(plan, w),
            ", ".join(w.regions) or "-",
            ttft,
            tps,
            money(w.cost.monthly_usd if w.cost else None),
        )
        status = "[green]ok[/]" if w.feasible else "[red]INFEASIBLE[/]"
        if simulated:
            sim = w.predicted.simulated if w.predicted else None
            tail = (
                (f"{sim.ttft_p95_ms:,.0f} ms", f"{sim.ttft_p99_ms:,.0f} ms", str(sim.preemptions))
                if sim
                else ("-", "-", "-")
            )
            table.add_row(*(escape(cell) for cell in cells), status, *tail)
            continue
        table.add_row(*(escape(cell) for cell in cells), status)
    console.print(table)
    console.print(f"Total: {money(plan.monthly_usd)}/month")
    for e in plan.environments:
        console.print(f"environment {escape(e.name)}: {money(e.monthly_usd)}/month")
        for line in bill_lines(e):
            console.print(f"  {escape(line)}", highlight=False)
        for v in e.violations:
            console.print(f"[red]environment {escape(e.name)}: {escape(v.message)}[/]")
    for w in plan.workloads:
        for x in w.warnings:
            console.print(
                f"[yellow]warning[/] {escape(w.name)} ({x.kind}): {escape(x.message)}",
                highlight=False,
            )
    for w in plan.workloads:
        if w.feasible and not explain:
            continue
        console.print(f"\n[bold]{escape(w.name)}[/]")
        for r in w.reasons:
            console.print(f"  - {escape(r)}", highlight=False)
        for r in packing_reasons(plan, w):
            console.print(f"  - {escape(r)}", highlight=False)
        sim = w.predicted.simulated if w.predicted else None
        if sim is not None:
            console.print(
                f"  - simulated ({sim.requests} requests, seed {sim.seed}): TTFT p95 "
                f"{sim.ttft_p95_ms:,.0f} ms, p99 {sim.ttft_p99_ms:,.0f} ms; ITL p95 "
                f"{sim.itl_p95_ms:.1f} ms, p99 {sim.itl_p99_ms:.1f} ms; busy "
                f"{sim.busy_share:.0%}, token budget {sim.budget_share:.0%}, KV cache peak "
                f"{sim.peak_kv_share:.0%}, {sim.preemptions} preemptions",
                highlight=False,
            )
        if w.nearest_relaxation:
            console.print(f"  - nearest feasible: {escape(w.nearest_relaxation)}", highlight=False)
