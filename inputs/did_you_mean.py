"""Suggestions for misspelt names: field names, model ids, regions, enum values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

_CUTOFF = 0.6  # like difflib.get_close_matches
_MARGIN = 0.05  # also suggest names this close to the best one, not every name above the cutoff


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def closest(word: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Candidates that look like ``word``, best first (ties in name order).

    Case, spaces, dashes, dots and underscores are ignored (``West Europe`` finds
    ``westeurope``); then difflib's similarity ratio decides. Only names nearly as close as
    the best are kept, so a typo of ``llama-3.1-8b-instruct`` does not also offer
    ``llama-3.1-8b``.
    """
    squashed = _squash(word)
    scored: list[tuple[float, str]] = []
    for name in sorted(set(candidates)):
        if name == word:
            continue
        matcher = difflib.SequenceMatcher(None, squashed, _squash(name))
        if matcher.real_quick_ratio() >= _CUTOFF and matcher.quick_ratio() >= _CUTOFF:
            score = matcher.ratio()
            if score >= _CUTOFF:
                scored.append((score, name))
    if not scored:
        return []
    best = max(score for score, _ in scored)
    kept = sorted((-score, name) for score, name in scored if score >= best - _MARGIN)
    return [name for _, name in kept[:limit]]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'precision'?"`` or ``""`` when nothing is close."""
    return suggestion_text(closest(word, candidates))


def suggestion_text(found: Iterable[str]) -> str:
    """``"; did you mean 'a' or 'b'?"`` for the given names, ``""`` for none."""
    names = list(dict.fromkeys(found))
    if not names:
        return ""
    return "; did you mean " + " or ".join(f"'{name}'" for name in names) + "?"
