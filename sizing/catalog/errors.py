"""The mistakes a catalog can contain, and the failed lookups a caller can make.

Catalog files are user input like workload files, so their mistakes are `SpecError`s too: the
CLI prints each problem the one way inferplan prints problems (``file:line:col: field: message``)
and exits with code 2. This module imports nothing heavy so that callers can name these types
cheaply.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from inputs.errors import Problem, SpecError


class CatalogError(SpecError):
    """A catalog file is missing, not YAML, or breaks the catalog schema or its cross references.

    ``file``, ``line``, ``field`` and ``message`` describe the first problem (``line`` 0: the
    whole file, or no file at all, for a lookup).
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        super().__init__(problems)
        first = self.problems[0]
        self.file = first.file
        self.line = first.line
        self.field = first.field
        self.message = first.message

    @classmethod
    def at(cls, message: str, *, file: str = "", line: int = 0, col: int = 0, field: str = ""):
        """One problem at one place."""
        return cls([Problem(file, line, col, field, message)])

    def format(self) -> str:
        return "\n".join(problem.format() for problem in self.problems)


class UnknownEntryError(CatalogError, LookupError):
    """A name matches no catalog entry's id or alias; ``suggestions`` holds the nearest ids."""

    def __init__(self, kind: str, name: str, suggestions: Sequence[str] = ()) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = tuple(suggestions)
        message = f"unknown {kind} {name!r}"
        if self.suggestions:
            message += f"; did you mean: {', '.join(self.suggestions)}?"
        super().__init__([Problem("", 0, 0, "", message)])


class UnknownEntriesError(UnknownEntryError):
    """Several names of one request match nothing (a model and a GPU): each said at once, so a
    user fixes them in one round."""

    def __init__(self, errors: Sequence[UnknownEntryError]) -> None:
        self.errors = tuple(errors)
        first = self.errors[0]
        self.kind, self.name, self.suggestions = first.kind, first.name, first.suggestions
        CatalogError.__init__(
            self, [problem for error in self.errors for problem in error.problems]
        )
