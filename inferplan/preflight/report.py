"""A preflight report as a terminal table, Markdown (pull-request comments) or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from inferplan.markdown import markdown_table, table_cell
from inferplan.preflight.engine import PreflightReport

REPORT_API_VERSION = "inferplan/v1"
MARKER = "<!-- inferplan-preflight -->"
ICONS = {"blocking": "❌", "unchecked": "❔", "warning": "⚠️", "ok": "✅"}


def report_to_data(report: PreflightReport) -> dict[str, Any]:
    return {
        "apiVersion": REPORT_API_VERSION,
        "kind": "PreflightReport",
        "stack": report.stack,
        "ready": not report.blocking,
        "counts": report.counts(),
        "findings": [asdict(f) for f in report.findings],
    }


def to_json(report: PreflightReport) -> str:
    return json.dumps(report_to_data(report), indent=2, ensure_ascii=False) + "\n"


def to_table(report: PreflightReport) -> str:
    """Status, check, region and resource as columns; what the plan needs, what Azure says and
    the fix under each row that is not ok."""
    rows = [("STATUS", "CHECK", "REGION", "RESOURCE")] + [
        (f.status.upper(), f.check, f.region, f.resource) for f in report.findings
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for index, row in enumerate(rows):
        lines.append(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
        )
        if index == 0:
            continue
        finding = report.findings[index - 1]
        indent = " " * 4
        lines.append(f"{indent}plan needs: {finding.needs}")
        lines.append(f"{indent}azure says: {finding.azure}")
        if finding.fix:
            lines.append(f"{indent}fix:        {finding.fix}")
    if report.waited_s:
        lines.append(f"(waited {report.waited_s:g} s for Azure's throttling)")
    lines.append(report.summary())
    return "\n".join(lines) + "\n"


def to_markdown(report: PreflightReport) -> str:
    """A section for the pull-request comment, with its own marker per stack."""
    icon = "❌" if report.blocking else "✅"
    lines = [
        f"<!-- inferplan-preflight:{report.stack} -->",
        f"### Preflight against Azure — `{report.stack}`",
        "",
        f"{icon} {report.summary()}",
        "",
    ]
    shown = [f for f in report.findings if f.status != "ok"]
    if shown:
        lines += markdown_table(
            ("", "check", "region", "resource", "plan needs", "Azure says", "fix"),
            [
                (
                    ICONS[f.status],
                    f"`{f.check}`",
                    f.region,
                    table_cell(f.resource),
                    table_cell(f.needs),
                    table_cell(f.azure),
                    table_cell(f.fix),
                )
                for f in shown
            ],
        )
        lines.append("")
    passed = [f for f in report.findings if f.status == "ok"]
    if passed:
        lines += [f"<details><summary>{len(passed)} checks passed</summary>", ""]
        lines += [
            f"- `{f.check}` {f.region}: {table_cell(f.resource)}: {table_cell(f.azure)}"
            for f in passed
        ]
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def render(report: PreflightReport, fmt: str) -> str:
    if fmt == "json":
        return to_json(report)
    if fmt == "markdown":
        return to_markdown(report)
    return to_table(report)
