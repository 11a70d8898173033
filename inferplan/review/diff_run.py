"""``inferplan diff`` end to end: read the base with its own code, the head with this code,
compare them (`inferplan.review.diff.diff_report`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from inferplan.review.stack_sides import (
    NO_OPTIONS,
    SideInputError,
    SideOptions,
    Tree,
    read_side,
    wanted_stacks,
)

if TYPE_CHECKING:
    from inferplan.offline.cache import ResultCache
    from inferplan.review.diff import StackSide

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def build_report(
    base: Tree,
    head: Tree,
    stacks: Sequence[str],
    options: SideOptions = NO_OPTIONS,
    *,
    cache: ResultCache | None = None,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Read both trees and compare them; `SideInputError` on bad input of either side.

    The report's ``base_code`` says whose code planned the base: ``base`` (its own revision)
    or ``working tree`` (a base without inferplan's code).
    """
    from inferplan.offline.cache import ResultCache
    from inferplan.review.base_side import read_base_side
    from inferplan.review.diff import diff_report

    cache = cache if cache is not None else ResultCache.from_environment()
    wanted = wanted_stacks(base, head, stacks)
    errors: list[str] = []
    sides: dict[str, dict[str, StackSide]] = {}
    notes: list[str] = []
    base_code = "working tree"
    try:
        progress(f"planning and previewing the {base.who} side")
        read = read_base_side(base, wanted, options, cache=cache)
        sides["base"], base_code = read.sides, read.code
        notes += read.notes
    except SideInputError as error:
        errors += error.lines
    try:
        progress(f"planning and previewing the {head.who} side")
        sides["head"], head_notes = read_side(head, wanted, options, cache=cache)
        notes += head_notes
    except SideInputError as error:
        errors += error.lines
    if errors:
        raise SideInputError(errors)
    pairs = [(s, sides["base"].get(s), sides["head"].get(s)) for s in sorted(set(wanted))]
    report = diff_report(pairs, base_label=base.label, head_label=head.label)
    report["base_code"] = base_code
    if notes:
        report["notes"] = sorted(notes)
    return report
