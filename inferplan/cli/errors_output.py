"""Print user mistakes the one way inferplan prints them (exit 2), and inferplan's own faults
the one way it admits them (exit 70).

Every command wraps its work in `exit_on_input_errors`; spec and catalog errors then come out as
``file:line:col: field: message`` lines on stderr, never as a traceback. Any other exception is
a fault in inferplan, not in the input: `report_internal_error` prints one line saying so and how
to see the traceback (``--debug`` or ``INFERPLAN_DEBUG=1``), and the command exits 70
(``EX_SOFTWARE`` in BSD's sysexits.h), so CI can tell a crash from a finding (1) or bad input (2).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from inputs.errors import Problem

EXIT_OK = 0
EXIT_VIOLATION = 1  # a policy or SLA is broken: the input is fine, the plan is not
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h): inferplan itself failed
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
DEBUG_ENV_VAR = "INFERPLAN_DEBUG"  # set to 1: internal errors raise with their traceback


def print_problems(problems: Iterable[Problem], stream: TextIO | None = None) -> int:
    """Write one ``file:line:col: field: message`` line per problem, sorted; return the count."""
    out = stream if stream is not None else sys.stderr
    count = 0
    for problem in sorted(set(problems)):
        click.echo(problem.format(), file=out)
        count += 1
    return count


@contextmanager
def exit_on_input_errors() -> Iterator[None]:
    """Turn spec and catalog errors raised inside the block into printed lines and exit 2."""
    # Imported here, not at module level, so that `inferplan --help` stays fast.
    from inputs.errors import SpecError
    from sizing.catalog.errors import CatalogError

    try:
        yield
    except SpecError as error:
        print_problems(error.problems)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    except CatalogError as error:
        click.echo(error.format(), err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None


def debug_requested(flag: bool) -> bool:
    """``--debug`` or ``INFERPLAN_DEBUG`` set to anything but empty, 0, false or no."""
    value = os.environ.get(DEBUG_ENV_VAR, "").strip().lower()
    return flag or value not in ("", "0", "false", "no")


def report_internal_error(error: BaseException) -> None:
    """One line on stderr: what failed inside inferplan and how to see the traceback."""
    detail = " ".join(str(error).split())
    if len(detail) > 200:
        detail = detail[:197] + "..."
    what = type(error).__name__ + (f": {detail}" if detail else "")
    click.echo(
        f"internal error: {what}. This is a bug in inferplan, not a problem in your input; "
        f"rerun with --debug (or {DEBUG_ENV_VAR}=1) for the traceback and report it.",
        err=True,
    )
