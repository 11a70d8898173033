"""How old each family of catalog facts is, and which command refreshes it.

Every family records the day its facts were last checked against their sources (Azure OpenAI:
``checked.lifecycle``, ``checked.prices``, ``checked.regions``; AKS versions: ``as_of``). The
plan never reads the clock, so it stays deterministic; ``inferplan check`` and ``inferplan
preflight`` pass today's date here and report a lifecycle or price family older than
`STALE_AFTER_DAYS` as advisory, naming the refresh command. Microsoft moves retirement dates
(the retirement schedule changed several dates between its 07/2026 and 09/2026 copies) and
gives at least 60 days' notice before a GA retirement, so a quarter-old catalog can miss one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sizing.catalog import Catalog

STALE_AFTER_DAYS = 90
Family = Literal[
    "azure_openai.lifecycle", "azure_openai.prices", "azure_openai.regions", "aks_versions"
]
# The command that refreshes each family (docs/catalogs.md#keeping-the-catalog-fresh).
REFRESH_COMMAND: dict[Family, str] = {
    "azure_openai.lifecycle": "inferplan catalog refresh models",
    "azure_openai.prices": "inferplan catalog refresh prices",
    "azure_openai.regions": "inferplan catalog refresh models",
    "aks_versions": "edit sizing/catalog/data/aks_versions.yaml from AKS's release calendar",
}
# The families whose age `check` and `preflight` report (the issue of record: lifecycle and
# prices move under a plan; regions and AKS versions are checked live by preflight).
WATCHED: tuple[Family, ...] = ("azure_openai.lifecycle", "azure_openai.prices")


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text if len(text) > 7 else f"{text}-01")


@dataclass(frozen=True)
class FamilyAge:
    """One family's checked date and its age on ``today``."""

    family: Family
    checked: str
    age_days: int
    refresh: str

    @property
    def stale(self) -> bool:
        return self.age_days > STALE_AFTER_DAYS

    def message(self) -> str:
        return (
            f"the catalog's {self.family} facts were checked on {self.checked}, {self.age_days} "
            f"days ago (more than {STALE_AFTER_DAYS}): retirement dates and prices move"
        )


def checked_dates(catalog: Catalog) -> dict[Family, str]:
    """Every family's checked date, as the catalog files record them."""
    aoai = catalog.azure_openai.checked
    dates: dict[Family, str] = {
        "azure_openai.lifecycle": aoai.lifecycle,
        "azure_openai.prices": aoai.prices,
        "azure_openai.regions": aoai.regions,
    }
    aks = catalog.section("aks_versions").get("aks_versions")
    if aks is not None:
        dates["aks_versions"] = aks.as_of
    return dates


def family_ages(catalog: Catalog, today: dt.date) -> list[FamilyAge]:
    """Every family's age on ``today`` (the caller's clock: never called from `plan`)."""
    return [
        FamilyAge(family, checked, (today - _day(checked)).days, REFRESH_COMMAND[family])
        for family, checked in checked_dates(catalog).items()
    ]


def stale_families(catalog: Catalog, today: dt.date) -> list[FamilyAge]:
    """The watched families older than `STALE_AFTER_DAYS` on ``today``."""
    return [a for a in family_ages(catalog, today) if a.family in WATCHED and a.stale]
