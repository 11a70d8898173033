"""AKS's Kubernetes release calendar (``kind: aks_versions``): GA, end of life, LTS per minor.

One document per catalog; a platform team's file of this kind replaces the built-in one whole
(the calendar is read as a table, so a partial override would mix two readings of the page).
``sizing.kubernetes_versions`` judges an environment's version against it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from inferplan.sizing.catalog.loader import document_kind, register_kind
from inferplan.sizing.catalog.sourced import IsoDate, SourcedEntry, Strict, cite, month_end
from pydantic import Field

KIND = "aks_versions"


class _VersionDoc(SourcedEntry):
    minor: Annotated[str, Field(pattern=r"^[0-9]+\.[0-9]+$", description="e.g. 1.34")]
    ga: Annotated[IsoDate, Field(description="AKS general availability (month)")]
    end_of_life: Annotated[IsoDate, Field(description="end of community support")]
    lts_end_of_life: Annotated[IsoDate | None, Field(description="end of LTS, if offered")] = None


class _FileDoc(Strict):
    kind: Literal["aks_versions"]
    schema_version: Literal[1]
    as_of: Annotated[IsoDate, Field(description="the date the calendar was read")]
    sources: dict[str, str]
    lts_tier: str
    lts_support_plan: str
    versions: Annotated[list[_VersionDoc], Field(min_length=1)]


@dataclass(frozen=True)
class AksVersion:
    minor: str
    ga: str
    end_of_life: str
    lts_end_of_life: str | None
    source: str  # full citation

    def ga_by(self) -> dt.date:
        """The day by which the minor is GA everywhere: the end of its GA month."""
        return month_end(self.ga)


@dataclass(frozen=True)
class AksVersionCalendar:
    """The calendar as read on ``as_of``; versions in ascending minor order."""

    as_of: str
    versions: tuple[AksVersion, ...]
    lts_tier: str
    lts_support_plan: str
    origin: str

    def get(self, minor: str) -> AksVersion | None:
        return next((v for v in self.versions if v.minor == minor), None)

    def newest_ga(self) -> AksVersion:
        """The newest minor that is GA and inside community support on ``as_of``."""
        day = dt.date.fromisoformat(self.as_of)
        usable = [v for v in self.versions if v.ga_by() <= day and day <= month_end(v.end_of_life)]
        if not usable:
            raise ValueError(f"{self.origin}: no AKS minor is generally available on {self.as_of}")
        return usable[-1]


def _minor_key(minor: str) -> tuple[int, ...]:
    return tuple(int(p) for p in minor.split("."))


def parse_aks_versions_document(data: dict[str, Any], origin: str) -> AksVersionCalendar:
    doc = _FileDoc.model_validate(data)
    versions = []
    seen: set[str] = set()
    for index, v in enumerate(doc.versions):
        where = f"{origin}: versions[{index}] ({v.minor})"
        if v.minor in seen:
            raise ValueError(f"{where}: minor {v.minor} listed twice")
        seen.add(v.minor)
        if month_end(v.end_of_life) < month_end(v.ga):
            raise ValueError(f"{where}: end_of_life {v.end_of_life} is before GA {v.ga}")
        if v.lts_end_of_life is not None and month_end(v.lts_end_of_life) < month_end(
            v.end_of_life
        ):
            raise ValueError(f"{where}: lts_end_of_life is before end_of_life")
        versions.append(
            AksVersion(
                minor=v.minor,
                ga=v.ga,
                end_of_life=v.end_of_life,
                lts_end_of_life=v.lts_end_of_life,
                source=cite(doc.sources, v.source, where=where),
            )
        )
    return AksVersionCalendar(
        as_of=doc.as_of,
        versions=tuple(sorted(versions, key=lambda v: _minor_key(v.minor))),
        lts_tier=doc.lts_tier,
        lts_support_plan=doc.lts_support_plan,
        origin=origin,
    )


register_kind(document_kind(KIND, parse_aks_versions_document))
