"""The one Markdown table writer of inferplan's reports: ``plan --format markdown``, ``check``,
``preflight`` and ``diff`` comments.

A leaf module: it imports nothing of the project, so every layer of the command shell may use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

ALIGNMENTS = {"l": "---", "r": "---:"}  # GitHub Markdown: left (default) or right


def table_cell(text: str) -> str:
    """Free text made safe for one cell: a ``|`` would end the cell, a newline the row."""
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, align: str = ""
) -> list[str]:
    """The table's lines: header, alignment row, one line per row (cells written as given).

    ``align`` has one letter per column, ``l`` or ``r`` (missing letters: ``l``). A column
    without a title is written ``| |``.
    """
    if any(a not in ALIGNMENTS for a in align) or len(align) > len(header):
        raise ValueError(f"align {align!r}: one of l or r per column, {len(header)} columns")
    marks = [ALIGNMENTS[a] for a in align.ljust(len(header), "l")]
    lines = [
        "|" + "|".join(f" {title} " if title else " " for title in header) + "|",
        "|" + "|".join(marks) + "|",
    ]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"a row of {len(row)} cells in a table of {len(header)} columns")
        lines.append("| " + " | ".join(row) + " |")
    return lines
