"""The user mistakes a spec file can contain, each with the place in the file it happened.

Every exception here carries a list of `Problem`s so that one run can report every mistake in
every file at once. The CLI catches `SpecError` in one place and prints each problem as
``file:line:col: field: message``. This module imports nothing heavy (no pydantic, no YAML), so
the CLI can name these types cheaply.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake at one place. ``line`` and ``col`` are 1-based; 0 means "whole file"."""

    file: str
    line: int
    col: int
    field: str  # dotted path such as ``spec.context.max_input_tokens``; "" for file-level
    message: str

    def format(self) -> str:
        """``file:line:col: field: message``, leaving out the parts that are unknown."""
        where = self.file
        if self.line:
            where += f":{self.line}:{self.col}" if self.col else f":{self.line}"
        return ": ".join(part for part in (where, self.field, self.message) if part)


class SpecError(Exception):
    """Base of every spec mistake. ``problems`` is never empty."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(problems)
        if not self.problems:
            raise ValueError("a SpecError needs at least one problem")
        super().__init__("\n".join(problem.format() for problem in self.problems))


class SpecReadError(SpecError):
    """The file cannot be read: missing, a directory, no permission, or not UTF-8 text."""


class SpecSyntaxError(SpecError):
    """The text is not the YAML a spec needs: a syntax error, an empty file, a list at the top."""


class DuplicateKeyError(SpecSyntaxError):
    """A mapping names the same key twice; YAML would silently keep the last one."""


class SpecKindError(SpecError):
    """A document's ``apiVersion`` or ``kind`` is missing or not one inferplan knows."""


class SpecValidationError(SpecError):
    """Fields have the wrong type or value, or break a rule that spans fields or the catalog."""
