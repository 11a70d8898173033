"""Azure OpenAI offers: the ``kind: azure_openai`` catalog document, defined once.

The file (``data/azure_openai.yaml``) says, per model and deployment type, where the model is
offered, what a token or a PTU costs, how capacity is counted and which latency figures are
known. Every number in it is a *figure* that carries its unit, its source key, a date and a
basis (documented, third_party, derived, estimate, observed), so a plan can say how firm
each number is.

The classes below are both the file's schema (unknown keys are errors with a line number) and
the values the sizing code reads; the catalog loader reads the file like every other catalog
file and the document is ``catalog.azure_openai``. Names that are mapping keys in the file
(a model's id, a deployment type's name, an offer's type) are set on the entries when the
document is validated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from sizing.catalog.entries import IsoDate
from sizing.catalog.file_schema import EntryProblem, Loc

Billing = Literal["token", "ptu"]
ResidencyScope = Literal["region", "datazone", "global"]
CapacityUnit = Literal["ktpm", "ptu", "kenqueued"]  # kenqueued: 1,000 enqueued batch tokens
# observed: read from an Azure API by scripts/refresh_catalog.py (the date says when).
Basis = Literal["documented", "third_party", "derived", "estimate", "observed"]
ModelTask = Literal["chat", "embedding"]
PtuBilling = Literal["hourly", "monthly_reservation", "yearly_reservation"]
Key = Annotated[str, Field(min_length=1)]
OPENAI_FORMAT = "OpenAI"  # `properties.model.format` of every Azure OpenAI model


def _as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


Keys = Annotated[tuple[Key, ...], BeforeValidator(_as_tuple), Field(min_length=1)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AoaiSource(_Entry):
    """One citation, referred to by its key from every figure."""

    citation: Annotated[str, Field(min_length=1, description="Full citation with doc date")]
    date: IsoDate


class AoaiFigure(_Entry):
    """A number with its unit and provenance."""

    value: Annotated[float, Field(description="The number, in `unit`")]
    unit: Key
    source: Key
    date: IsoDate
    basis: Basis
    note: str | None = None

    @property
    def is_estimate(self) -> bool:
        """True when the figure is not stated as such by Microsoft or a third party."""
        return self.basis in ("derived", "estimate")

    def describe(self) -> str:
        """Short provenance tag for reason strings, e.g. ``[ptu-costs-new, documented]``."""
        return f"[{self.source}, {self.basis}]"


class AoaiRegionList(_Entry):
    """The regions an offer exists in, with provenance (an estimate when no matrix was read)."""

    value: Keys
    source: Key
    date: IsoDate
    basis: Basis
    note: str | None = None

    @property
    def regions(self) -> tuple[str, ...]:
        return self.value

    @property
    def is_estimate(self) -> bool:
        return self.basis in ("derived", "estimate")


class AoaiDeploymentType(_Entry):
    """A deployment type (the ``sku.name`` of an Azure OpenAI deployment)."""

    billing: Billing
    residency_scope: ResidencyScope
    capacity_unit: CapacityUnit
    interactive: bool  # False for batch types
    counterpart: str | None  # the other billing model with the same residency scope
    source: Key
    date: IsoDate
    _name: str = PrivateAttr(default="")

    @property
    def name(self) -> str:
        return self._name


class AoaiGeographyList(_Entry):
    value: Keys
    source: Key
    date: IsoDate
    basis: Basis


class AoaiRegionGeographies(_Entry):
    source: Key
    date: IsoDate
    basis: Basis
    regions: Annotated[dict[str, Key], Field(min_length=1)]


class AoaiLimits(_Entry):
    tokens_per_minute_per_ktpm: AoaiFigure
    max_ptu_per_deployment: AoaiFigure


class AoaiPtuPrices(_Entry):
    """Price of one PTU for one provisioned deployment type."""

    usd_per_ptu_hour: AoaiFigure
    usd_per_ptu_month_monthly_reservation: AoaiFigure | None = None
    usd_per_ptu_month_yearly_reservation: AoaiFigure | None = None

    def usd_per_ptu_month(self, *, ptu_billing: PtuBilling, hours_per_month: float) -> AoaiFigure:
        """Monthly price of one PTU under a billing choice (hourly = rate x hours_per_month)."""
        if ptu_billing == "hourly":
            hourly = self.usd_per_ptu_hour
            return AoaiFigure(
                value=hourly.value * hours_per_month,
                unit="usd_per_ptu_month",
                source=hourly.source,
                date=hourly.date,
                basis=hourly.basis,
                note=f"{hourly.value} USD/PTU/hour x {hours_per_month:g} h",
            )
        figure = (
            self.usd_per_ptu_month_monthly_reservation
            if ptu_billing == "monthly_reservation"
            else self.usd_per_ptu_month_yearly_reservation
        )
        if figure is None:
            raise ValueError(f"no {ptu_billing} price in the catalog")
        return figure


class AoaiLatencyEstimates(_Entry):
    ttft_p95_base_ms_token: AoaiFigure
    ttft_p95_base_ms_ptu: AoaiFigure


class AoaiPtuRules(_Entry):
    """How a model's provisioned deployments are sized (per model, all provisioned types)."""

    input_tpm_per_ptu: AoaiFigure
    output_token_weight: AoaiFigure  # one output token counts as this many input tokens
    global_datazone_minimum_ptu: AoaiFigure
    global_datazone_increment_ptu: AoaiFigure
    # None where Microsoft sells no regional provisioned deployment of the model (Learn gives
    # "NA" for Llama-3.3-70B-Instruct and DeepSeek): a ProvisionedManaged offer then is an error.
    regional_minimum_ptu: AoaiFigure | None = None
    regional_increment_ptu: AoaiFigure | None = None
    latency_target_output_tokens_per_s: AoaiFigure
    max_context_tokens: AoaiFigure | None = None  # when lower than the model's own limit

    def minimum_ptu(self, scope: ResidencyScope) -> AoaiFigure:
        if scope == "region":
            return _regional(self.regional_minimum_ptu)
        return self.global_datazone_minimum_ptu

    def increment_ptu(self, scope: ResidencyScope) -> AoaiFigure:
        if scope == "region":
            return _regional(self.regional_increment_ptu)
        return self.global_datazone_increment_ptu


def _regional(figure: AoaiFigure | None) -> AoaiFigure:
    """A regional PTU rule; the catalog's cross-check keeps regional offers from lacking one."""
    if figure is None:
        raise ValueError("the model has no regional provisioned deployment")
    return figure


ReasoningEffort = Literal["none", "minimal", "low", "medium", "high"]


class AoaiRetirement(_Entry):
    """The lifecycle of one model version, as Microsoft's retirement table gives it."""

    status: Annotated[
        Literal["preview", "ga", "legacy", "deprecated", "retired"],
        Field(
            description="lifecycle stage in Microsoft's retirement schedule: legacy still "
            "deploys; deprecated takes no new deployments; retired fails every call"
        ),
    ]
    deprecation: Annotated[
        IsoDate | None,
        Field(description="from this date no new customer can deploy the version"),
    ] = None
    retirement: Annotated[
        IsoDate | None,
        Field(description="from this date deployments of the version return errors"),
    ] = None
    retirement_not_before: Annotated[
        bool, Field(description="the table gives 'No earlier than' the retirement date")
    ] = False
    replacement: Annotated[str | None, Field(description="the model Microsoft names next")] = None
    source: Key
    date: IsoDate


class AoaiChecked(_Entry):
    """The day each family of facts was last checked against its source. ``check`` and
    ``preflight`` compare these with today (``plan`` never does) and name the refresh command
    when one is older than `STALE_AFTER_DAYS` (``sizing.catalog.freshness``)."""

    lifecycle: Annotated[IsoDate, Field(description="lifecycle stages and retirement dates")]
    prices: Annotated[IsoDate, Field(description="token and PTU prices")]
    regions: Annotated[IsoDate, Field(description="where each offer exists")]


class AoaiReasoning(_Entry):
    """Hidden reasoning tokens of a reasoning model: billed and generated as output tokens."""

    default_effort: Annotated[
        ReasoningEffort, Field(description="reasoning_effort a request gets when it sets none")
    ]
    tokens_per_request: Annotated[
        dict[ReasoningEffort, AoaiFigure],
        Field(min_length=1, description="average hidden reasoning tokens per request by effort"),
    ]

    @property
    def default_tokens(self) -> AoaiFigure:
        return self.tokens_per_request[self.default_effort]


class AoaiPriority(_Entry):
    """A model version's priority processing tier: a pay-per-token tier with a latency target,
    enabled on a token-billed deployment (see ``AoaiPriorityRules`` for where)."""

    versions: Keys  # the model versions the latency table lists
    latency_target_output_tokens_per_s: AoaiFigure  # 99% of 5-minute p50 windows above this
    price_multiple: AoaiFigure  # priority token price / the deployment type's standard price
    # Prompts estimated above this many tokens are served (and billed) at standard priority.
    long_context_standard_above_tokens: AoaiFigure | None = None


class AoaiPriorityRules(_Entry):
    """Where priority processing can be enabled, and the limits that hold for every model."""

    deployment_types: Keys  # token-billed types that take it
    data_zones: Keys  # DataZoneStandard only in these data zones
    ramp_limit_increase: AoaiFigure  # a rise in priority TPM above this share ...
    ramp_limit_minutes: AoaiFigure  # ... within this many minutes is served at standard
    request_api_version: Key  # the data-plane api-version a request's service_tier needs
    source: Key
    date: IsoDate


class AoaiModelOffer(_Entry):
    """One model as one deployment type: regions, token prices and default quota."""

    regions: AoaiRegionList
    usd_per_million_input_tokens: AoaiFigure | None = None  # None for provisioned types
    usd_per_million_output_tokens: AoaiFigure | None = None  # None for provisioned, embeddings
    default_quota_ktpm: AoaiFigure | None = None  # Default tier, per subscription x region
    enterprise_quota_ktpm: AoaiFigure | None = None  # Enterprise / MCA-E tier
    default_enqueued_tokens: AoaiFigure | None = None  # batch types: Default tier quota
    _deployment_type: str = PrivateAttr(default="")

    @property
    def deployment_type(self) -> str:
        return self._deployment_type


class AoaiModel(_Entry):
    """One Azure OpenAI model (one version) and every deployment type it is offered as."""

    task: ModelTask
    versions: Keys
    default_version: Key
    max_context_tokens: AoaiFigure
    max_output_tokens: AoaiFigure | None = None
    rpm_per_ktpm: AoaiFigure
    usage_tier_tokens_per_month: AoaiFigure | None = None
    prefill_ms_per_1k_input_tokens: AoaiFigure
    token_output_tokens_per_s_per_request: AoaiFigure | None = None
    provisioned: AoaiPtuRules | None = None
    priority: Annotated[
        AoaiPriority | None,
        Field(description="priority processing tier, where Microsoft lists a latency target"),
    ] = None
    offers: Annotated[dict[str, AoaiModelOffer], Field(min_length=1)]  # type name -> offer
    retirements: Annotated[
        dict[str, AoaiRetirement],
        Field(description="version -> its lifecycle dates, from the retirement table"),
    ] = Field(default_factory=dict)
    reasoning: Annotated[
        AoaiReasoning | None,
        Field(description="reasoning models only: hidden reasoning tokens per request"),
    ] = None
    successor: Annotated[
        str | None,
        Field(
            description="the current catalog model of the same tier, named when Microsoft's "
            "schedule names no replacement (a team choice, see the file's comments)"
        ),
    ] = None
    limited_access: Annotated[
        bool,
        Field(description="Microsoft must approve a registration before a subscription deploys it"),
    ] = False
    format: Annotated[
        Key,
        Field(
            description="the deployment's `properties.model.format`: the model's publisher as "
            "Azure names it (OpenAI for Azure OpenAI models; Meta, DeepSeek, Mistral AI ... for "
            "other Foundry Models sold by Azure)"
        ),
    ] = "OpenAI"
    format_source: Annotated[
        Key | None,
        Field(description="source key of `format` when it is not OpenAI"),
    ] = None
    _id: str = PrivateAttr(default="")

    @property
    def sold_by_azure(self) -> bool:
        """A Foundry Model sold by Azure from another publisher than OpenAI: it deploys through
        the same resource type, but only on a Foundry (kind AIServices) account."""
        return self.format != OPENAI_FORMAT

    @property
    def id(self) -> str:
        return self._id

    def offer(self, deployment_type: str) -> AoaiModelOffer | None:
        return self.offers.get(deployment_type)


class AoaiCatalog(_Entry):
    """Everything the Azure OpenAI sizing needs, from one catalog document."""

    kind: Literal["azure_openai"]
    schema_version: Literal[1]
    compiled: IsoDate
    checked: AoaiChecked
    sources: Annotated[dict[str, AoaiSource], Field(min_length=1)]
    deployment_types: Annotated[dict[str, AoaiDeploymentType], Field(min_length=1)]
    data_zone_geographies_figure: AoaiGeographyList = Field(alias="data_zone_geographies")
    region_geographies_figure: AoaiRegionGeographies = Field(alias="region_geographies")
    limits: AoaiLimits
    provisioned_prices: dict[str, AoaiPtuPrices]
    latency_estimates: AoaiLatencyEstimates
    priority_processing: AoaiPriorityRules | None = None
    models: Annotated[dict[str, AoaiModel], Field(min_length=1)]
    _origin: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _name_keyed_entries(self) -> AoaiCatalog:
        for name, dtype in self.deployment_types.items():
            dtype._name = name
        for model_id, model in self.models.items():
            model._id = model_id
            for type_name, offer in model.offers.items():
                offer._deployment_type = type_name
        return self

    @property
    def origin(self) -> str:
        """The file this document was read from, for messages."""
        return self._origin

    @property
    def data_zone_geographies(self) -> tuple[str, ...]:
        return self.data_zone_geographies_figure.value

    @property
    def region_geographies(self) -> Mapping[str, str]:
        return self.region_geographies_figure.regions

    @property
    def tokens_per_minute_per_ktpm(self) -> AoaiFigure:
        return self.limits.tokens_per_minute_per_ktpm

    @property
    def max_ptu_per_deployment(self) -> AoaiFigure:
        return self.limits.max_ptu_per_deployment

    @property
    def ttft_p95_base_ms_token(self) -> AoaiFigure:
        return self.latency_estimates.ttft_p95_base_ms_token

    @property
    def ttft_p95_base_ms_ptu(self) -> AoaiFigure:
        return self.latency_estimates.ttft_p95_base_ms_ptu

    def figures(self) -> tuple[tuple[str, AoaiFigure | AoaiRegionList], ...]:
        """Every figure in the catalog with a dotted path, for provenance checks and reports."""
        return tuple(_figures_in(self, ""))


def _figures_in(entry: BaseModel, prefix: str) -> Iterable[tuple[str, AoaiFigure | AoaiRegionList]]:
    """Every figure reachable from ``entry``, depth first in field order."""
    for name in type(entry).model_fields:
        value = getattr(entry, name)
        field = type(entry).model_fields[name]
        path = f"{prefix}.{field.alias or name}" if prefix else (field.alias or name)
        if isinstance(value, AoaiFigure | AoaiRegionList):
            yield path, value
        elif isinstance(value, BaseModel):
            yield from _figures_in(value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, AoaiFigure):
                    yield f"{path}.{key}", item
                elif isinstance(item, BaseModel):
                    yield from _figures_in(item, f"{path}.{key}")


def azure_openai_entries(data: dict[str, Any], origin: str) -> list[tuple[str, Loc, AoaiCatalog]]:
    """The catalog loader's parser for ``kind: azure_openai``: validate, then cross-check.

    Raises pydantic's ``ValidationError`` or `EntryProblem`; the loader turns either into
    ``file:line:col: field: message``.
    """
    catalog = AoaiCatalog.model_validate(data)
    problems = list(_cross_check(catalog))
    if problems:
        loc, message = problems[0]
        raise EntryProblem(loc, message)
    catalog._origin = origin
    return [("azure_openai", (), catalog)]


def _cross_check(doc: AoaiCatalog) -> Iterable[tuple[Loc, str]]:
    """References between parts of the file: source keys, type names, regions, versions."""
    known_sources = set(doc.sources)
    known_regions = set(doc.region_geographies)

    def check_source(loc: Loc, source: str) -> Iterable[tuple[Loc, str]]:
        if source not in known_sources:
            yield loc, f"unknown source key {source!r}; add it under `sources`"

    def check_figures(loc: Loc, entry: BaseModel) -> Iterable[tuple[Loc, str]]:
        for name in type(entry).model_fields:
            figure = getattr(entry, name)
            if not isinstance(figure, AoaiFigure | AoaiRegionList):
                continue
            yield from check_source((*loc, name, "source"), figure.source)
            if isinstance(figure, AoaiFigure) and not math.isfinite(figure.value):
                yield (*loc, name, "value"), "must be a finite number"
            if figure.basis == "derived" and not figure.note:
                yield (*loc, name), "a derived figure needs a `note` saying how it was derived"

    for name, dtype in doc.deployment_types.items():
        yield from check_source(("deployment_types", name, "source"), dtype.source)
        if dtype.counterpart is not None and dtype.counterpart not in doc.deployment_types:
            yield ("deployment_types", name, "counterpart"), f"unknown type {dtype.counterpart!r}"
    zones, geographies = doc.data_zone_geographies_figure, doc.region_geographies_figure
    yield from check_source(("data_zone_geographies", "source"), zones.source)
    yield from check_source(("region_geographies", "source"), geographies.source)
    yield from check_figures(("limits",), doc.limits)
    yield from check_figures(("latency_estimates",), doc.latency_estimates)
    if (rules := doc.priority_processing) is not None:
        yield from check_source(("priority_processing", "source"), rules.source)
        yield from check_figures(("priority_processing",), rules)
        for index, name in enumerate(rules.deployment_types):
            dtype = doc.deployment_types.get(name)
            if dtype is None or dtype.billing != "token" or not dtype.interactive:
                yield (
                    ("priority_processing", "deployment_types", index),
                    f"{name!r} is not an interactive token-billed deployment type",
                )
    for name, prices in doc.provisioned_prices.items():
        loc: Loc = ("provisioned_prices", name)
        dtype = doc.deployment_types.get(name)
        if dtype is None or dtype.billing != "ptu":
            yield loc, f"{name!r} is not a PTU-billed deployment type"
        yield from check_figures(loc, prices)
    for model_id, model in doc.models.items():
        mloc: Loc = ("models", model_id)
        if model.default_version not in model.versions:
            yield (*mloc, "default_version"), "must be one of `versions`"
        yield from check_figures(mloc, model)
        for version, retirement in model.retirements.items():
            rloc: Loc = (*mloc, "retirements", version)
            if version not in model.versions:
                yield rloc, "must be one of `versions`"
            yield from check_source((*rloc, "source"), retirement.source)
            dates = (retirement.deprecation, retirement.retirement)
            if all(dates) and dates[0] > dates[1]:  # ISO dates compare as text
                yield (*rloc, "deprecation"), "deprecation comes after retirement"
        if model.successor is not None and model.successor not in doc.models:
            yield (*mloc, "successor"), f"unknown model {model.successor!r}"
        if model.sold_by_azure and model.format_source is None:
            yield (*mloc, "format"), "a format other than OpenAI needs a `format_source`"
        if model.format_source is not None:
            yield from check_source((*mloc, "format_source"), model.format_source)
        if model.reasoning is not None:
            for effort, figure in model.reasoning.tokens_per_request.items():
                floc: Loc = (*mloc, "reasoning", "tokens_per_request", effort)
                yield from check_source((*floc, "source"), figure.source)
                if figure.value < 0 or not math.isfinite(figure.value):
                    yield (*floc, "value"), "must be a finite number >= 0"
            if model.reasoning.default_effort not in model.reasoning.tokens_per_request:
                yield (*mloc, "reasoning", "default_effort"), "needs a tokens_per_request figure"
            if model.task != "chat":
                yield (*mloc, "reasoning"), "only chat models reason"
        if model.provisioned is not None:
            yield from check_figures((*mloc, "provisioned"), model.provisioned)
        if model.priority is not None:
            ploc: Loc = (*mloc, "priority")
            yield from check_figures(ploc, model.priority)
            for index, version in enumerate(model.priority.versions):
                if version not in model.versions:
                    yield (*ploc, "versions", index), "must be one of the model's `versions`"
            if doc.priority_processing is None:
                yield ploc, "a priority tier needs the file's `priority_processing` rules"
        for type_name, offer in model.offers.items():
            oloc: Loc = (*mloc, "offers", type_name)
            dtype = doc.deployment_types.get(type_name)
            if dtype is None:
                yield oloc, f"unknown deployment type {type_name!r}"
                continue
            yield from check_figures(oloc, offer)
            for index, region in enumerate(offer.regions.value):
                if region not in known_regions:
                    yield (*oloc, "regions", "value", index), f"region {region!r} has no geography"
            if dtype.billing == "token" and offer.usd_per_million_input_tokens is None:
                yield oloc, "token-billed offer needs usd_per_million_input_tokens"
            if (
                dtype.billing == "token"
                and model.task == "chat"
                and offer.usd_per_million_output_tokens is None
            ):
                yield oloc, "chat offer needs usd_per_million_output_tokens"
            if dtype.billing == "ptu":
                if model.provisioned is None:
                    yield oloc, "provisioned offer needs `provisioned` sizing rules"
                elif dtype.residency_scope == "region" and (
                    model.provisioned.regional_minimum_ptu is None
                    or model.provisioned.regional_increment_ptu is None
                ):
                    yield oloc, "a regional provisioned offer needs regional PTU rules"
                if type_name not in doc.provisioned_prices:
                    yield oloc, f"no provisioned_prices entry for {type_name}"
                if offer.usd_per_million_input_tokens is not None:
                    yield oloc, "provisioned offers are priced per PTU, not per token"


__all__ = [
    "AoaiCatalog",
    "AoaiChecked",
    "AoaiDeploymentType",
    "AoaiFigure",
    "AoaiModel",
    "AoaiModelOffer",
    "AoaiPriority",
    "AoaiPriorityRules",
    "AoaiPtuPrices",
    "AoaiPtuRules",
    "AoaiReasoning",
    "AoaiRegionList",
    "AoaiRetirement",
    "AoaiSource",
    "azure_openai_entries",
]
