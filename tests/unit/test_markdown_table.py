"""One Markdown table writer serves the command shell's reports (plan, check, preflight, diff)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferplan.markdown import markdown_table, table_cell

ROOT = Path(__file__).resolve().parents[2]


def test_a_table_is_its_header_alignment_and_rows():
    assert markdown_table(("name", "$/month"), [("a", "$1"), ("b", "$2")], align="lr") == [
        "| name | $/month |",
        "|---|---:|",
        "| a | $1 |",
        "| b | $2 |",
    ]


def test_a_column_without_a_title_and_missing_alignments_default_left():
    assert markdown_table(("", "check", "fix"), [], align="l")[:2] == [
        "| | check | fix |",
        "|---|---|---|",
    ]


def test_cells_are_written_as_given_and_free_text_is_escaped_by_the_caller():
    (row,) = markdown_table(("a", "b"), [("x", table_cell("p|q\nr"))])[2:]
    assert row == "| x | p\\|q r |"


@pytest.mark.parametrize(
    ("align", "rows"),
    [("lx", [("1", "2")]), ("lrr", [("1", "2")]), ("lr", [("1",)])],
    ids=["unknown-alignment", "too-many-alignments", "short-row"],
)
def test_a_table_that_does_not_add_up_is_refused(align, rows):
    with pytest.raises(ValueError):
        markdown_table(("a", "b"), rows, align=align)


def test_no_other_markdown_table_writer_in_the_command_shell():
    writers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "inferplan").rglob("*.py")
        if path.name != "markdown.py" and "|---" in path.read_text(encoding="utf-8")
    )
    assert writers == []


def test_the_diff_model_writes_no_markdown():
    text = (ROOT / "inferplan" / "review" / "diff.py").read_text(encoding="utf-8")
    assert "render_markdown" not in text.replace("diff_markdown", "")
    assert "```" not in text and "<details>" not in text
