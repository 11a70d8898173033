"""The mistakes a catalog can contain, and the failed lookups a caller can make.

The CLI catches `CatalogError` once and prints it (``file:line: field: message``) with exit code 2.
This module imports nothing heavy so that callers can name these types cheaply.
"""

from __future__ import annotations

from collections.abc import Sequence


class CatalogError(Exception):
    """A catalog file is missing, not YAML, or breaks the catalog schema or its cross references.

    ``line`` is 1-based; 0 means "the whole file" (or no file, for a lookup).
    """

    def __init__(self, message: str, *, file: str = "", line: int = 0, field: str = "") -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        super().__init__(self.format())

    def format(self) -> str:
        """``file:line: field: message``, leaving out the parts that are unknown."""
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class UnknownEntryError(CatalogError, LookupError):
    """A name matches no catalog entry's id or alias; ``suggestions`` holds the nearest ids."""

    def __init__(self, kind: str, name: str, suggestions: Sequence[str] = ()) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = tuple(suggestions)
        message = f"unknown {kind} {name!r}"
        if self.suggestions:
            message += f"; did you mean: {', '.join(self.suggestions)}?"
        super().__init__(message)
