"""Whether a new deployment can get an Azure OpenAI model version, and what to use instead.

Judged against the Azure OpenAI catalog's ``compiled`` date, the day its facts were checked,
not against the clock: the same inputs give the same plan, and refreshing the catalog moves
the date on. Microsoft's lifecycle stages [retirements]: Preview, GA and Legacy versions
accept new deployments; a Deprecated version is "no longer available to new customers" (a
subscription that never deployed it cannot create a deployment, so ``pulumi up`` fails on a
new subscription); a Retired version returns errors on every call. Versions that can no longer
be deployed are rejected as candidates (kinds ``deprecated`` and ``retired``); Legacy versions
and versions near their retirement plan with a dated warning.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sizing.catalog.azure_openai import AoaiCatalog, AoaiModel, AoaiRetirement
from sizing.plan import PlanWarning, VersionUpgrade
from sizing.search.decisions import Rejection

if TYPE_CHECKING:
    from sizing.catalog import Catalog

# A retirement this close to the reference date gets a warning: the six months Microsoft leaves
# existing customers between deprecation and retirement [retirements].
NEAR_RETIREMENT_DAYS = 183

Stage = Literal["preview", "ga", "legacy", "deprecated", "retired"]
UNDEPLOYABLE: tuple[Stage, ...] = ("deprecated", "retired")


def _day(text: str) -> dt.date:
    """An ISO date of the catalog; a month alone (YYYY-MM) means its first day."""
    return dt.date.fromisoformat(text if len(text) > 7 else f"{text}-01")


@dataclass(frozen=True)
class VersionLife:
    """One model version's lifecycle stage on the reference date, from its catalog entry:
    the table's stage, moved on by the dates it gives (a retirement date that has passed
    means retired, a deprecation date that has passed means deprecated)."""

    model: str
    version: str
    stage: Stage
    entry: AoaiRetirement | None

    @property
    def deployable(self) -> bool:
        """A new subscription can create a deployment of this version."""
        return self.stage not in UNDEPLOYABLE

    @property
    def cite(self) -> str:
        return f"[{self.entry.source}, {self.entry.date}]" if self.entry else ""


def version_life(model: AoaiModel, version: str, reference_date: str) -> VersionLife:
    """The stage of ``model`` at ``version`` on ``reference_date`` (ISO)."""
    life = model.retirements.get(version)
    if life is None:
        return VersionLife(model.id, version, "ga", None)
    today = _day(reference_date)
    stage: Stage = life.status
    retired = life.retirement is not None and not life.retirement_not_before
    if retired and _day(life.retirement) <= today:
        stage = "retired"
    elif stage not in UNDEPLOYABLE and life.deprecation and _day(life.deprecation) <= today:
        stage = "deprecated"
    return VersionLife(model.id, version, stage, life)


def default_version(model: AoaiModel, reference_date: str) -> str:
    """The version a workload that names no version gets: the newest version a new deployment
    can get, GA or Legacy before Preview; with none deployable, the catalog's default (which
    is then rejected with its lifecycle kind)."""
    lives = [version_life(model, v, reference_date) for v in model.versions]
    usable = [life for life in lives if life.deployable]
    if not usable:
        return model.default_version
    # Version names are dates (YYYY-MM-DD) or counters ("1", "2"): both order as text by length.
    newest = max(
        usable, key=lambda life: (life.stage != "preview", len(life.version), life.version)
    )
    return newest.version


def deployable_model(catalog: AoaiCatalog, model_id: str, reference_date: str) -> bool:
    """Whether ``model_id`` is in the catalog with a version a new deployment can get."""
    model = catalog.models.get(model_id)
    if model is None:
        return False
    version = default_version(model, reference_date)
    return version_life(model, version, reference_date).deployable


def replacement(catalog: AoaiCatalog, model: AoaiModel, version: str) -> str | None:
    """The model to use instead of ``model`` at ``version``, only when it is in the catalog and
    deployable on the catalog's date: Microsoft's named replacement, else the catalog's
    ``successor`` (the current model of the same tier), followed until one is deployable."""
    seen = {model.id}
    life = model.retirements.get(version)
    queue = [life.replacement if life else None, model.successor]
    while queue:
        name = queue.pop(0)
        if name is None or name in seen:
            continue
        seen.add(name)
        if deployable_model(catalog, name, catalog.compiled):
            return name
        nxt = catalog.models.get(name)
        if nxt is not None:
            nlife = nxt.retirements.get(nxt.default_version)
            queue += [nlife.replacement if nlife else None, nxt.successor]
    return None


def lifecycle_rejection(catalog: AoaiCatalog, model: AoaiModel, version: str) -> Rejection | None:
    """The ``retired`` / ``deprecated`` rejection of every candidate of ``model`` at ``version``
    on the catalog's date, naming a deployable replacement when the catalog has one."""
    life = version_life(model, version, catalog.compiled)
    if life.deployable:
        return None
    name = f"{model.id} {version}"
    entry = life.entry
    assert entry is not None  # only a catalog entry makes a version undeployable
    instead = replacement(catalog, model, version)
    use = f"; use {instead}" if instead else "; the catalog has no deployable replacement"
    if not instead and entry.replacement and entry.replacement not in catalog.models:
        # Microsoft names one the catalog does not hold yet (DeepSeek-R1 -> DeepSeek-V4-Pro).
        use += f" (Microsoft names {entry.replacement}, which the catalog does not list)"
    if life.stage == "retired":
        when = f" on {entry.retirement}" if entry.retirement else ""
        return Rejection(
            "retired",
            f"{name} was retired{when} {life.cite}: every call to a retired version fails{use}",
        )
    since = f" since {entry.deprecation}" if entry.deprecation else ""
    until = f", retiring {entry.retirement}" if entry.retirement else ""
    return Rejection(
        "deprecated",
        f"{name} is deprecated{since}{until} {life.cite}: a subscription that has never "
        f"deployed it cannot create a deployment{use}",
    )


def retirement_warning(
    *, model: AoaiModel, version: str, reference_date: str, instead: str | None = None
) -> PlanWarning | None:
    """A ``retirement`` warning for a deployable ``model`` at ``version``, or None when nothing
    is near: Legacy (plan the move before the date), or retiring within
    ``NEAR_RETIREMENT_DAYS``. A "no earlier than" date is reported as such. Undeployable
    versions are rejected (`lifecycle_rejection`), not warned about. ``instead`` is the
    deployable replacement (`replacement`), named when given."""
    life = version_life(model, version, reference_date)
    entry = life.entry
    if entry is None or not life.deployable:
        return None
    today = _day(reference_date)
    name = f"{model.id} {version}"
    successor = (
        f"; Microsoft names {entry.replacement} as its replacement" if entry.replacement else ""
    )
    if instead is not None and instead != entry.replacement:
        successor += f"; the catalog's deployable successor is {instead}"
    days = (_day(entry.retirement) - today).days if entry.retirement else None
    when = "no earlier than" if entry.retirement_not_before else "on"
    if life.stage == "legacy":
        retires = f" and retires {when} {entry.retirement}" if entry.retirement else ""
        return PlanWarning(
            "retirement",
            f"{name} is Legacy{retires} {life.cite}: newer models exist and it will be "
            f"deprecated (no new deployments) before then; plan the move{successor}.",
        )
    if days is not None and days <= NEAR_RETIREMENT_DAYS:
        ahead = f"{days} days after" if days > 0 else "on or before"
        return PlanWarning(
            "retirement",
            f"{name} retires {when} {entry.retirement}, {ahead} this catalog's date "
            f"{reference_date} {life.cite}; plan the move before deploying{successor}.",
        )
    return None


@dataclass(frozen=True)
class ModelVerdict:
    """What the catalog says of a workload model id that maps to Azure OpenAI: the version a
    new deployment would get, its stage, and the deployable replacement (by the workload
    model id that maps to it) when it cannot be deployed."""

    model: str
    version: str
    stage: Stage
    use: str | None

    @property
    def deployable(self) -> bool:
        return self.stage not in UNDEPLOYABLE


def model_verdict(catalog: Catalog, model_id: str) -> ModelVerdict | None:
    """The verdict on workload model ``model_id``, or None for a model that is not on Azure
    OpenAI (or unknown: validation reports that), or whose open weights can be self-hosted too
    (hosting ``both``): a retired managed offer of those removes candidates, not the model."""
    try:
        spec = catalog.model(model_id)
    except LookupError:
        return None
    if spec.hosting != "managed":
        return None
    aoai = catalog.azure_openai
    entry = aoai.models.get(spec.azure_openai_name or "")
    if entry is None:
        return None
    version = default_version(entry, aoai.compiled)
    life = version_life(entry, version, aoai.compiled)
    use = None
    if not life.deployable:
        instead = replacement(aoai, entry, version)
        names = [m.id for m in catalog.models.values() if m.azure_openai_name == instead]
        use = names[0] if names else instead
    return ModelVerdict(spec.id, version, life.stage, use)


def upgrade_policy(billing: str) -> VersionUpgrade:
    """The versionUpgradeOption a deployment gets: token-billed (Standard family) deployments
    upgrade when their version is retired instead of failing (OnceCurrentVersionExpired);
    provisioned deployments keep their version (NoAutoUpgrade: automatic updates are for
    Standard types only, and a PTU deployment is sized for its version), with `pinned_warning`.
    """
    return "OnceCurrentVersionExpired" if billing == "token" else "NoAutoUpgrade"


def pinned_warning(model: AoaiModel, version: str) -> PlanWarning:
    """The dated warning of a provisioned deployment pinned to ``version``: it stops working
    at the version's retirement unless it is moved first."""
    entry = model.retirements.get(version)
    when = (
        f"retires {'no earlier than' if entry.retirement_not_before else 'on'} "
        f"{entry.retirement} [{entry.source}, {entry.date}]"
        if entry and entry.retirement
        else "has no retirement date in the catalog yet"
    )
    return PlanWarning(
        "retirement",
        f"the provisioned deployment pins {model.id} {version} (NoAutoUpgrade: Azure upgrades "
        f"Standard deployment types only), which {when}; move it to a newer version before "
        "then, or it stops working.",
    )
