"""A progress line on stderr for commands that take more than about a second.

Shown only when stderr is a terminal, and never where it could mix with data: when json, csv
or Markdown goes to the same terminal on stdout, nothing is shown. It is rich's transient
status (a spinner and a message, cleared when done), so nothing of it stays on the screen or
reaches a file or a pipe.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

DATA_FORMATS = ("json", "csv", "markdown")

Step = Callable[[str], None]


def progress_wanted(
    fmt: str | None,
    output: Path | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> bool:
    """stderr is a terminal, and stdout does not carry data formats to a terminal."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    if not _is_terminal(err):
        return False
    data_on_terminal = fmt in DATA_FORMATS and output is None and _is_terminal(out)
    return not data_on_terminal


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress_for(
    fmt: str | None,
    output: Path | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> Iterator[Step]:
    """A function that sets the status message; a no-op when progress is not wanted."""
    if not progress_wanted(fmt, output, stdout=stdout, stderr=stderr):
        yield _nothing
        return
    from rich.console import Console

    err = stderr if stderr is not None else sys.stderr
    console = Console(file=err, force_terminal=True, stderr=True)
    with console.status("inferplan: starting", spinner="dots") as status:

        def step(message: str) -> None:
            status.update(f"inferplan: {message}")

        yield step


def _nothing(_: str) -> None:
    return None
