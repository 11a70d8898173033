"""AKS's Kubernetes release calendar (``kind: aks_versions``): GA, end of life, LTS per minor.

One document per catalog (`entries.AksVersionCalendar`); a platform team's file of this kind
replaces the built-in one whole (the calendar is read as a table, so a partial override would mix
two readings of the page). ``sizing.deploy.kubernetes_versions`` judges an environment's version.
"""

from __future__ import annotations

from typing import Any

from sizing.catalog.entries import AksVersionCalendar, month_end
from sizing.catalog.file_schema import EntryProblem, Loc, document_entries
from sizing.catalog.loader import document_kind, register_kind

KIND = "aks_versions"


def aks_versions_entries(data: dict[str, Any], origin: str) -> list[tuple[str, Loc, Any]]:
    found = document_entries(AksVersionCalendar, data, origin, unique={"versions": "minor"})
    for index, v in enumerate(data.get("versions") or ()):
        entry = found[0][2].get(str(v.get("minor"))) if isinstance(v, dict) else None
        if entry is None:
            continue
        if month_end(entry.end_of_life) < month_end(entry.ga):
            message = f"end_of_life {entry.end_of_life} is before GA {entry.ga}"
            raise EntryProblem(("versions", index, "end_of_life"), message)
        lts = entry.lts_end_of_life
        if lts is not None and month_end(lts) < month_end(entry.end_of_life):
            message = "lts_end_of_life is before end_of_life"
            raise EntryProblem(("versions", index, "lts_end_of_life"), message)
    return found


register_kind(
    document_kind(KIND, aks_versions_entries, AksVersionCalendar, label="AKS versions catalog")
)
