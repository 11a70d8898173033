"""Where an environment's Kubernetes version stands in AKS's calendar, as a typed decision.

Judged on the calendar's ``as_of`` date (never today's), so a plan is reproducible; `check`
fails an environment whose version is past end of life or not generally available, because AKS
refuses to create a cluster on it (``supported-kubernetes-versions.md``: "Cluster creation: Not
Supported" outside community support, and new minors roll out region by region).
"""

from __future__ import annotations

import datetime as dt

from sizing.catalog import Catalog
from sizing.catalog.aks_versions import KIND
from sizing.catalog.entries import AksVersionCalendar, month_end
from sizing.plan import KubernetesVersionSupport


def calendar(catalog: Catalog) -> AksVersionCalendar:
    return catalog.document(KIND)


def minor_of(version: str) -> str:
    """``1.34.2`` and ``1.34`` are minor ``1.34``."""
    return ".".join(version.split(".")[:2])


def default_version(catalog: Catalog) -> str:
    """The newest GA minor on the calendar's date: what an environment gets when it names none."""
    return calendar(catalog).newest_ga().minor


def version_support(*, version: str, catalog: Catalog) -> KubernetesVersionSupport:
    """``supported`` while in community support; ``lts`` after it while LTS lasts (which needs
    the Premium tier and the LTS support plan, neither configured here); ``end-of-life`` after
    that; ``not-ga`` before the end of the GA month; ``unknown`` when the calendar lacks it."""
    cal = calendar(catalog)
    minor = minor_of(version)
    entry = cal.get(minor)
    day = dt.date.fromisoformat(cal.as_of)
    newest = cal.newest_ga().minor
    if entry is None:
        return KubernetesVersionSupport(
            minor=minor,
            status="unknown",
            as_of=cal.as_of,
            end_of_life=None,
            lts_end_of_life=None,
            newest_ga=newest,
            source=cal.origin,
        )
    if day < entry.ga_by():
        status = "not-ga"
    elif day <= month_end(entry.end_of_life):
        status = "supported"
    elif entry.lts_end_of_life is not None and day <= month_end(entry.lts_end_of_life):
        status = "lts"
    else:
        status = "end-of-life"
    return KubernetesVersionSupport(
        minor=minor,
        status=status,
        as_of=cal.as_of,
        end_of_life=entry.end_of_life,
        lts_end_of_life=entry.lts_end_of_life,
        newest_ga=newest,
        source=entry.provenance.source,
    )
