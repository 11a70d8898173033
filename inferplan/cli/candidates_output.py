"""``plan --candidates`` output: a table on a terminal, or JSON/CSV rows for tools."""

from __future__ import annotations

import csv
import io
import json

import click

from sizing.search.candidate_rows import CANDIDATE_COLUMNS, CandidateRow


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def print_candidates(rows: list[CandidateRow], *, fmt: str, to_file: bool) -> str:
    """Print (table) or return (json, csv; printed unless ``to_file``) the candidate rows."""
    data = [row.values() for row in rows]
    if fmt == "json":
        text = json.dumps({"candidates": data}, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CANDIDATE_COLUMNS)
        writer.writerows([_cell(item[c]) for c in CANDIDATE_COLUMNS] for item in data)
        text = buffer.getvalue()
    else:
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        table = Table(title="candidates")
        for column in (
            "workload",
            "#",
            "target",
            "configuration",
            "$/month",
            "TTFT p95",
            "verdict",
        ):
            table.add_column(column)
        for item in data:
            verdict = (
                "chosen"
                if item["chosen"]
                else (
                    f"{item['rejection_kind']}: {item['rejection']}"
                    if item["rejection_kind"]
                    else "runner-up"
                )
            )
            cost = item["monthly_usd"]
            ttft = item["ttft_p95_ms"]
            table.add_row(
                escape(str(item["workload"])),
                str(item["rank"]),
                str(item["target"]),
                escape(str(item["configuration"])),
                f"${cost:,.0f}" if cost is not None else "-",
                f"{ttft:,.0f} ms" if ttft is not None else "-",
                escape(verdict),
            )
        Console(width=200).print(table)
        return ""
    if not to_file:
        click.echo(text, nl=False)
    return text
