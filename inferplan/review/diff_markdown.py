"""``inferplan diff``'s pull-request comment: the report of ``inferplan.review.diff`` as Markdown.

Rendering only: every figure, change and warning is decided in the report; this module picks
how to show it (a table of workloads, warnings in a callout, resource lists folded away, a
Mermaid cost chart) and shortens lists until the comment fits GitHub's limit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inferplan.markdown import markdown_table
from inferplan.review.diff import money

COMMENT_MARKER = "<!-- inferplan-diff -->"
LIST_CAP = 20  # resources (and workload field paths) listed before "… and N more"
PATHS_PER_RESOURCE = 8
COMMENT_MAX_CHARS = 60_000  # GitHub rejects comments over 65,536 characters


def _signed_money(value: float | None) -> str:
    if value is None:
        return "-"
    sign = "+" if value >= 0 else "-"
    return f"{sign}${abs(value):,.0f}"


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}" if not value.is_integer() else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        # Mappings by sorted key: a side read from the result cache (JSON) and a side planned
        # in this process must print the same entry the same way.
        return ", ".join(str(_sorted(v)) for v in value) or "-"
    return str(_sorted(value))


def _sorted(value: Any) -> Any:
    return dict(sorted(value.items())) if isinstance(value, Mapping) else value


def _cell(base: Mapping[str, Any] | None, head: Mapping[str, Any] | None, *keys: str) -> str:
    """``a`` when unchanged, ``a → **b**`` when changed; keys are joined with ' / '."""

    def show(side: Mapping[str, Any] | None) -> str:
        if side is None:
            return "-"
        return " / ".join(_number(side.get(k)) for k in keys)

    if base is None:
        return show(head)
    if head is None:
        return show(base)
    a, b = show(base), show(head)
    return a if a == b else f"{a} → **{b}**"


def _gpus(side: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if side is None:
        return None
    if side.get("gpus_per_replica") is None:
        return {"gpus": None}
    return {"gpus": f"{side['gpus_per_replica']} (TP{side['tensor_parallel']})"}


def _openai(side: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if side is None:
        return None
    if side.get("deployment_type") is None:
        return {"openai": None}
    return {"openai": f"{side['deployment_type']} {side['capacity']}"}


def _against_slo(entry: Mapping[str, Any], key: str, slo: Any, unit: str, bound: str) -> str:
    def show(side: Mapping[str, Any] | None) -> str:
        value = side.get(key) if side else None
        if not value:  # None, or 0 tokens/s for embeddings: nothing to compare
            return "-"
        return f"{value:,.0f}{unit}" if unit else f"{value:,.1f}"

    base, head = entry["base"], entry["head"]
    if base is None or head is None:
        text = show(head or base)
    else:
        a, b = show(base), show(head)
        text = a if a == b else f"{a} → **{b}**"
    if slo is None or text == "-":
        return text
    target = f"{slo:,.0f}{unit}" if unit else f"{slo:,.0f}"
    return f"{text} ({bound} {target})"


def _cost_cell(entry: Mapping[str, Any]) -> str:
    base, head = entry["base"], entry["head"]
    before = base["monthly_usd"] if base else None
    after = head["monthly_usd"] if head else None
    if base is None:
        return f"{money(after)} ({_signed_money(entry['delta_monthly_usd'])})" if after else "-"
    if head is None:
        return f"~~{money(before)}~~ ({_signed_money(entry['delta_monthly_usd'])})"
    if money(before) == money(after):
        return money(after)
    return f"{money(before)} → {money(after)} ({_signed_money(entry['delta_monthly_usd'])})"


def _code_list(items: Sequence[str], cap: int) -> str:
    shown = ", ".join(f"`{item}`" for item in items[:cap])
    return shown + (f", … and {len(items) - cap} more" if len(items) > cap else "")


def _change_text(change: Mapping[str, Any]) -> str:
    return f"{change['label']} {_number(change['base'])} → {_number(change['head'])}"


def _stack_markdown(entry: Mapping[str, Any], cap: int) -> list[str]:
    stack = entry["stack"]
    totals = entry["totals"]
    lines = [f"<!-- inferplan-diff:{stack} -->"]
    status = entry["status"]
    if status == "unchanged":
        count = totals["head_workloads"]
        lines.append(
            f"**`{stack}`: no change** ({count} workload{'s' if count != 1 else ''}, "
            f"{entry['resources']['counts']['head'] or 0} resources, "
            f"{money(totals['head_monthly_usd'])}/month)."
        )
        lines += _warning_lines(entry["warnings"])
        return lines
    if entry.get("blocked"):
        was = (
            "new environment"
            if status == "added"
            else f"base {money(totals['base_monthly_usd'])}/month"
        )
        heading = f"### `{stack}`: blocked, the head plan cannot be deployed ({was}; see below)"
    elif status == "added":
        heading = f"### `{stack}`: new environment, {money(totals['head_monthly_usd'])}/month"
    elif status == "removed":
        heading = (
            f"### `{stack}`: environment removed ({money(totals['base_monthly_usd'])}/month "
            "no longer planned)"
        )
    elif money(totals["base_monthly_usd"]) == money(totals["head_monthly_usd"]):
        heading = f"### `{stack}`: {money(totals['head_monthly_usd'])}/month (cost unchanged)"
    else:
        heading = (
            f"### `{stack}`: {money(totals['base_monthly_usd'])} → "
            f"{money(totals['head_monthly_usd'])}/month "
            f"({_signed_money(totals['delta_monthly_usd'])})"
        )
    cap_value = totals["head_max_monthly_usd"]
    if cap_value is not None and status != "removed":
        heading += f", cap {money(cap_value)}"
    lines.append(heading)
    lines += _warning_lines(entry["warnings"])
    lines += _workload_table(entry)
    quota = [c for c in entry["settings"] if c["path"].startswith("quota[")]
    settings = [c for c in entry["settings"] if c not in quota]
    if settings:
        changes = [f"`{c['path']}` {_number(c['base'])} → {_number(c['head'])}" for c in settings]
        more = f"; … and {len(changes) - cap} more" if len(changes) > cap else ""
        lines += ["", "Environment settings: " + "; ".join(changes[:cap]) + more]
    if quota:  # a table: each change's request is a sentence, a paragraph of them is unreadable
        rows = [(f"`{c['path']}`", _number(c["base"]), _number(c["head"])) for c in quota[:cap]]
        if len(quota) > cap:
            rows.append((f"… and {len(quota) - cap} more", "", ""))
        lines += ["", "Quota changes:", "", *markdown_table(("quota", "base", "head"), rows)]
    lines += _resource_lines(entry["resources"], cap)
    return lines


def _warning_lines(warnings: Sequence[Mapping[str, Any]]) -> list[str]:
    if not warnings:
        return []
    lines = ["", "> [!WARNING]"]
    for w in warnings:
        source = f" [{w['source']}]" if w.get("source") else ""
        lines.append(f"> - **{w['kind']}**: {w['message']}{source}")
    return lines


WORKLOAD_COLUMNS = (
    "workload",
    "change",
    "target",
    "VM SKU",
    "GPUs/replica",
    "replicas / nodes",
    "regions",
    "Azure OpenAI",
    "TTFT p95",
    "tok/s/req",
    "$/month",
)
WORKLOAD_ALIGN = "llllllllrrr"

# Plan paths the table or the intent line already shows.
_SHOWN_PATHS = {
    "aks.vm_sku",
    "aks.gpus_per_replica",
    "aks.tensor_parallel",
    "aks.replicas",
    "aks.nodes",
    "aks.precision",
    "azure_openai.deployment_type",
    "azure_openai.capacity",
    "regions",
    "target",
    "model",
    "feasible",
    "max_monthly_usd",
    "template",
}


def _shown_elsewhere(path: str) -> bool:
    return path in _SHOWN_PATHS or path.startswith("residency")


def _workload_table(entry: Mapping[str, Any]) -> list[str]:
    rows = entry["workloads"]
    totals = entry["totals"]
    unchanged = (totals["head_workloads"] or 0) - sum(1 for r in rows if r["status"] != "removed")
    if not rows:
        return ["", f"Workloads: no change ({unchanged} unchanged)."] if unchanged else []
    cells: list[list[str]] = []
    notes: list[str] = []
    for row in rows:
        b, h = row["base"], row["head"]
        slo = row["slo"]
        name = f"~~{row['name']}~~" if row["status"] == "removed" else f"`{row['name']}`"
        cells.append(
            [
                name,
                row["status"],
                _cell(b, h, "target"),
                _cell(b, h, "vm_sku"),
                _cell(_gpus(b), _gpus(h), "gpus"),
                _cell(b, h, "replicas", "nodes"),
                _cell(b, h, "regions"),
                _cell(_openai(b), _openai(h), "openai"),
                _against_slo(row, "ttft_p95_ms", slo["ttft_p95_ms"], " ms", "≤"),
                _against_slo(row, "tps_per_request", slo["output_tokens_per_second_p50"], "", "≥"),
                _cost_cell(row),
            ]
        )
        details = [_change_text(c) for c in row["intent_changes"]]
        other = [p for p in row["plan_paths"] if not _shown_elsewhere(p)]
        said = {c["label"] for c in row["intent_changes"]}  # a model change once, not twice
        precision = [
            c
            for c in row["changes"]
            if c["field"] in ("precision", "model") and c["label"] not in said
        ]
        details += [_change_text(c) for c in precision]
        if other:
            details.append("plan also changes " + _code_list(other, 6))
        if details:
            notes.append(f"- `{row['name']}`: " + "; ".join(details))
    if unchanged:
        notes.append(f"- {unchanged} workload{'s' if unchanged != 1 else ''} unchanged.")
    lines = ["", *markdown_table(WORKLOAD_COLUMNS, cells, align=WORKLOAD_ALIGN)]
    return [*lines, "", *notes] if notes else lines


def _resource_lines(resources: Mapping[str, Any], cap: int) -> list[str]:
    counts = resources["counts"]
    if resources.get("not_compared"):
        sides = " and ".join(resources["not_compared"])
        return ["", f"**Resources:** not compared: the {sides} plan cannot be deployed."]
    total = f"{_number(counts['base'])} → {_number(counts['head'])}"
    if not (counts["added"] or counts["removed"] or counts["changed"]):
        return ["", f"**Resources** (offline preview): no change ({total})."]
    replaced = sum(1 for c in resources["changed"] if c["replace"])
    summary = (
        f"**Resources** (offline preview, {total}): {counts['added']} added, "
        f"{counts['removed']} removed, {counts['changed']} changed"
        + (f" ({replaced} replaced)" if replaced else "")
        + "."
    )
    lines = ["", summary]
    if cap <= 0:
        return lines
    lines += ["", "<details><summary>Resource changes</summary>", ""]
    for label, keys in (("Added", resources["added"]), ("Removed", resources["removed"])):
        if keys:
            lines.append(f"{label}:")
            lines += [f"- `{k}`" for k in keys[:cap]]
            if len(keys) > cap:
                lines.append(f"- … and {len(keys) - cap} more")
            lines.append("")
    if resources["changed"]:
        lines.append("Changed (input paths):")
        shown = resources["changed"][:cap]
        for change in shown:
            paths = _code_list(change["paths"], PATHS_PER_RESOURCE)
            mark = " **replace**" if change["replace"] else ""
            lines.append(f"- `{change['key']}`{mark}: {paths}")
        if len(resources["changed"]) > cap:
            lines.append(f"- … and {len(resources['changed']) - cap} more")
        lines.append("")
    lines.append("</details>")
    return lines


def _chart_label(text: str) -> str:
    """A Mermaid axis label: in double quotes, which the label itself cannot contain."""
    return '"' + text.replace('"', "'") + '"'


def cost_chart(stacks: Sequence[Mapping[str, Any]]) -> list[str]:
    """A Mermaid bar chart (GitHub renders ``mermaid`` code blocks) of each environment's
    monthly cost, base bar beside head bar; an environment missing on one side is $0 there.

    One series with two bars per environment (``dev base``, ``dev head``), because Mermaid's
    xychart draws several bar series on top of each other rather than side by side. A head
    that cannot be deployed is labelled ``dev head (blocked)``; when a workload of it is
    infeasible its bar is $0, since its total leaves that workload out and a shorter bar
    would read as a saving (a head over its cap keeps its full, true total).
    """
    if not stacks:
        return []
    labels: list[str] = []
    values: list[int] = []
    for entry in stacks:
        totals = entry["totals"]
        for side in ("base", "head"):
            blocked = side == "head" and bool(entry.get("blocked"))
            label = f"{entry['stack']} {side}" + (" (blocked)" if blocked else "")
            labels.append(_chart_label(label))
            partial = blocked and any(w["kind"] == "infeasible" for w in entry["warnings"])
            values.append(0 if partial else round(totals[f"{side}_monthly_usd"] or 0))
    top = max(values)
    return [
        "",
        "```mermaid",
        "xychart-beta",
        '    title "Monthly cost per environment, base and head (USD)"',
        f"    x-axis [{', '.join(labels)}]",
        f'    y-axis "USD per month" 0 --> {max(top, 1)}',
        f"    bar [{', '.join(str(v) for v in values)}]",
        "```",
    ]


def render_markdown(report: Mapping[str, Any], *, max_chars: int = COMMENT_MAX_CHARS) -> str:
    """One pull-request comment: a marker for the whole comment, then one section per stack.

    Resource lists shrink (20, then 5, then counts only) until the comment fits ``max_chars``.
    """
    for cap in (LIST_CAP, 5, 0):
        text = _render(report, cap)
        if len(text) <= max_chars:
            return text
    note = "\n\n… (cut to fit a pull-request comment; run `inferplan diff` for the rest)\n"
    return text[: max_chars - len(note)] + note


def _render(report: Mapping[str, Any], cap: int) -> str:
    stacks = report["stacks"]
    changed = [s for s in stacks if s["status"] != "unchanged"]
    lines = [
        COMMENT_MARKER,
        "## inferplan diff",
        "",
        f"`{report['base']}` → `{report['head']}`: "
        + (
            f"{len(changed)} of {len(stacks)} environment{'s' if len(stacks) != 1 else ''} "
            f"changed, {report['warnings']} warning{'s' if report['warnings'] != 1 else ''}."
            if changed
            else "no change in any environment."
        ),
    ]
    lines += cost_chart(stacks)
    for entry in stacks:
        lines.append("")
        lines += _stack_markdown(entry, cap)
    notes = report.get("notes") or []
    if notes:
        lines += ["", *(f"Note: {n}" for n in notes)]
    lines += [
        "",
        "<sub>Offline: sizing and the Pulumi program under mocks, no cloud calls; the base "
        + (
            "planned by its own revision's code and catalogs. "
            if report.get("base_code") == "base"
            else "planned by this version's code. "
        )
        + "Replacements "
        "come from inferplan's table of create-only fields; `pulumi preview` has the last "
        "word.</sub>",
    ]
    return "\n".join(lines) + "\n"
