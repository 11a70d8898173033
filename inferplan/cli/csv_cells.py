"""CSV cells that a spreadsheet shows as text instead of running as a formula.

``estimate --cases`` echoes its input cells and writes catalog names and reasons; a cell such as
``=HYPERLINK(...)`` would run when the CSV is opened in Excel or LibreOffice. Following OWASP's
"CSV Injection" advice, a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading single quote, which spreadsheets read as "text follows". Plain numbers
(``-1``, ``+2.5e3``) stay as they are: they are values, not formulas, and other tools read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")


def spreadsheet_safe(cell: object) -> str:
    """``cell`` as text, with a leading ``'`` when a spreadsheet would read it as a formula."""
    text = "" if cell is None else str(cell)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def safe_row(cells: Iterable[object]) -> list[str]:
    """Every cell of one CSV row through `spreadsheet_safe`."""
    return [spreadsheet_safe(cell) for cell in cells]
