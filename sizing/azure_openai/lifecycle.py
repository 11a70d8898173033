"""Whether an Azure OpenAI model version is deprecated, near retirement or retired.

Judged against the Azure OpenAI catalog's ``compiled`` date, the day its facts were checked,
not against the clock: the same inputs give the same plan, and refreshing the catalog moves
the date on. Microsoft's rules [retirements]: a GA version is deprecated 12 months after
release (no new customer may deploy it) and retired six months later (every deployment of it
then returns errors); customers hear of a retirement at least 60 days ahead.
"""

from __future__ import annotations

import datetime as dt

from sizing.catalog.azure_openai import AoaiModel
from sizing.plan import PlanWarning

# A retirement this close to the reference date gets a warning: the six months Microsoft leaves
# existing customers between deprecation and retirement [retirements].
NEAR_RETIREMENT_DAYS = 183


def _day(text: str) -> dt.date:
    """An ISO date of the catalog; a month alone (YYYY-MM) means its first day."""
    return dt.date.fromisoformat(text if len(text) > 7 else f"{text}-01")


def retirement_warning(
    *, model: AoaiModel, version: str, reference_date: str
) -> PlanWarning | None:
    """A ``retirement`` warning for ``model`` at ``version``, or None when nothing is near.

    Retired on or before ``reference_date``: deployments of it fail. Retiring within
    ``NEAR_RETIREMENT_DAYS``: plan the move. Deprecated: a subscription that never deployed it
    cannot start now. A "no earlier than" date is reported as such.
    """
    life = model.retirements.get(version)
    if life is None:
        return None
    today = _day(reference_date)
    name = f"{model.id} {version}"
    successor = (
        f"; Microsoft names {life.replacement} as its replacement" if life.replacement else ""
    )
    cite = f"[{life.source}, {life.date}]"
    if life.retirement is not None:
        retires = _day(life.retirement)
        days = (retires - today).days
        if days <= 0 and not life.retirement_not_before:
            return PlanWarning(
                "retirement",
                f"{name} was retired on {life.retirement} {cite}: Azure OpenAI returns errors "
                f"for every deployment of a retired version{successor}.",
            )
        if days <= NEAR_RETIREMENT_DAYS:
            when = "no earlier than" if life.retirement_not_before else "on"
            ahead = f"{days} days after" if days > 0 else "on or before"
            return PlanWarning(
                "retirement",
                f"{name} retires {when} {life.retirement}, {ahead} this catalog's date "
                f"{reference_date} {cite}; plan the move before deploying{successor}.",
            )
    if life.deprecation is not None and _day(life.deprecation) <= today:
        return PlanWarning(
            "retirement",
            f"{name} has been deprecated since {life.deprecation} {cite}: a subscription that "
            f"has never deployed it cannot deploy it now{successor}.",
        )
    return None
