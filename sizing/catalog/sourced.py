"""Small pieces shared by the deploy-time catalog kinds (AKS versions, images, model sources).

Every value these files hold carries a source key (into the file's ``sources:`` map) and a date;
``cite`` turns the key into the full citation, so a plan can say where a fact came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _date_text(value: Any) -> Any:
    # YAML reads an unquoted 2026-08-01 as a date; these catalogs keep dates as ISO text.
    return value.isoformat() if isinstance(value, dt.date) else value


IsoDate = Annotated[
    str,
    BeforeValidator(_date_text),
    Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$", description="YYYY-MM-DD, or YYYY-MM for a month"),
]
SourceKey = Annotated[str, Field(min_length=1, description="a key of the file's `sources:`")]


class Strict(BaseModel):
    """Unknown fields are errors: a typo in a platform team's file is reported, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourcedEntry(Strict):
    source: SourceKey
    date: Annotated[IsoDate, Field(description="when the fact was published or observed")]
    note: Annotated[str | None, Field(description="caveats: planned, estimated, disputed")] = None


def cite(sources: Mapping[str, str], key: str, *, where: str) -> str:
    """The citation for ``key``; an unknown key is a ``ValueError`` that names the entry."""
    if key not in sources:
        known = ", ".join(sorted(sources)) or "none"
        raise ValueError(f"{where}: unknown source {key!r} (sources: {known})")
    return sources[key]


def month_end(text: str) -> dt.date:
    """``2026-03`` is the last day of March 2026; ``2025-08-22`` is that day."""
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3:
        return dt.date(*parts)
    year, month = parts
    first_of_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)
