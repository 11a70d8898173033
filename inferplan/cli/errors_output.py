"""Print user mistakes the one way inferplan prints them, and exit with code 2.

Every command wraps its work in `exit_on_input_errors`; spec and catalog errors then come out as
``file:line:col: field: message`` lines on stderr, never as a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from inferplan.inputs.errors import Problem

EXIT_OK = 0
EXIT_VIOLATION = 1  # a policy or SLA is broken: the input is fine, the plan is not
EXIT_BAD_INPUT = 2


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
    from inferplan.inputs.errors import SpecError
    from inferplan.sizing.catalog.errors import CatalogError

    try:
        yield
    except SpecError as error:
        print_problems(error.problems)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    except CatalogError as error:
        click.echo(error.format(), err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
