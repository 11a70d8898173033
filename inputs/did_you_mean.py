"""Suggestions for misspelt names: field names, model ids, regions, enum values."""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable, Mapping

_CUTOFF = 0.6  # like difflib.get_close_matches
# Also suggest names this close to the best one, not every name above the cutoff: llama3-70b is
# 1.0 from llama-3-70b and 0.95 from llama-3.1-70b and llama-3.3-70b (all three are offered),
# 0.89 from llama-2-70b (not offered).
_MARGIN = 0.1


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def closest(word: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Candidates that look like ``word``, best first (ties in name order).

    Case, spaces, dashes, dots and underscores are ignored (``West Europe`` finds
    ``westeurope``); then difflib's similarity ratio decides. Only names nearly as close as
    the best are kept (`_MARGIN`), so a typo of ``llama-3.1-8b-instruct`` does not also offer
    ``llama-3.1-8b``. ``word`` itself is never offered.
    """
    return _ranked(word, (name for name in candidates if name != word))[:limit]


def _ranked(word: str, candidates: Iterable[str]) -> list[str]:
    squashed = _squash(word)
    scored: list[tuple[float, str]] = []
    for name in sorted(set(candidates)):
        matcher = difflib.SequenceMatcher(None, squashed, _squash(name))
        if matcher.real_quick_ratio() >= _CUTOFF and matcher.quick_ratio() >= _CUTOFF:
            score = matcher.ratio()
            if score >= _CUTOFF:
                scored.append((score, name))
    if not scored:
        return []
    best = max(score for score, _ in scored)
    kept = sorted((-score, name) for score, name in scored if score >= best - _MARGIN)
    return [name for _, name in kept]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'precision'?"`` or ``""`` when nothing is close."""
    return suggestion_text(closest(word, candidates))


def suggestion_text(found: Iterable[str]) -> str:
    """``"; did you mean 'a' or 'b'?"`` for the given names, ``""`` for none."""
    names = list(dict.fromkeys(found))
    if not names:
        return ""
    return "; did you mean " + " or ".join(f"'{name}'" for name in names) + "?"


def closest_meant(word: str, spellings: Mapping[str, str], *, limit: int = 3) -> list[str]:
    """What ``word`` may mean, best first, each once: ``spellings`` maps every name people
    write (ids, aliases, cities) to the name it stands for. ``frankfurt`` and ``eu-central-1``
    both mean ``germanywestcentral``."""
    exact = [
        meaning for name, meaning in sorted(spellings.items()) if _squash(name) == _squash(word)
    ]
    if exact:  # eu-central-1 is Frankfurt, not also eu-central-2 (Zurich)
        return list(dict.fromkeys(exact))[:limit]
    meant = [spellings[name] for name in _ranked(word, spellings)]
    return list(dict.fromkeys(meant))[:limit]


# Choice values people write for a fixed choice: ``days: weekdays`` means ``mon-fri``.
CHOICE_SYNONYMS: Mapping[str, str] = {
    "weekdays": "mon-fri",
    "weekday": "mon-fri",
    "week-days": "mon-fri",
    "workdays": "mon-fri",
    "business-days": "mon-fri",
    "monday-friday": "mon-fri",
    "monday-saturday": "mon-sat",
    "daily": "every-day",
    "everyday": "every-day",
    "all": "every-day",
    "always": "every-day",
}


def choice_hint(value: str, allowed: Iterable[str]) -> str:
    """Did-you-mean for a choice: a known synonym (`CHOICE_SYNONYMS`), else the closest."""
    allowed = list(allowed)
    meant = CHOICE_SYNONYMS.get(_squash_words(value))
    if meant in allowed:
        return suggestion_text([meant])
    return did_you_mean(value, allowed)


def _squash_words(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


# Azure region names read as one word built from parts (west + us + 3); people write the parts
# in another order (us-west-3, useast2), as other clouds do.
_REGION_PART = re.compile(
    r"north|south|east|west|central|[a-z]+?(?=north|south|east|west|central|\d|$)|\d+"
)
MAX_REGION_PARTS = 5


def _reordered(region: str, names: Iterable[str]) -> list[str]:
    """Region names made of exactly the parts of ``region`` in another order."""
    parts = _REGION_PART.findall(_squash(region))
    if not 1 < len(parts) <= MAX_REGION_PARTS:
        return []
    known = {_squash(name): name for name in names}
    found = {
        known["".join(order)] for order in itertools.permutations(parts) if "".join(order) in known
    }
    return sorted(found)


def region_hint(region: str, regions: Iterable[str], aliases: Mapping[str, str]) -> str:
    """``"; did you mean 'germanywestcentral'?"`` for an unknown region, from the region names
    (its parts in another order first: ``us-west-3`` is ``westus3``) and their aliases (city,
    country, other clouds' names)."""
    regions = list(regions)
    reordered = _reordered(region, regions)
    if reordered:
        return suggestion_text(reordered)
    spellings = {name: name for name in regions}
    spellings.update({alias: name for alias, name in aliases.items() if name in spellings})
    return suggestion_text(closest_meant(region, spellings))
