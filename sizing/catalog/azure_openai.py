"""Azure OpenAI offers: typed entries and the parser of the ``kind: azure_openai`` catalog file.

The file (``data/azure_openai.yaml``) says, per model and deployment type, where the model is
offered, what a token or a PTU costs, how capacity is counted and which latency figures are
known. Every number in it is a *figure* that carries its unit, its source key, a date and a
basis (documented, third_party, derived, estimate, observed), so a plan can say how firm
each number is.

Reading the file is the only effect here; ``parse_azure_openai_document`` is pure and is what a
generic catalog loader calls when it meets a document with ``kind: azure_openai``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

DEFAULT_AZURE_OPENAI_CATALOG_PATH = Path(__file__).with_name("data") / "azure_openai.yaml"

Billing = Literal["token", "ptu"]
ResidencyScope = Literal["region", "datazone", "global"]
CapacityUnit = Literal["ktpm", "ptu"]
# observed: read from an Azure API by scripts/refresh_catalog.py (the date says when).
Basis = Literal["documented", "third_party", "derived", "estimate", "observed"]
ModelTask = Literal["chat", "embedding"]
PtuBilling = Literal["hourly", "monthly_reservation", "yearly_reservation"]


class AzureOpenAICatalogError(ValueError):
    """The Azure OpenAI catalog file is malformed; the message starts with ``file:line:``."""


# --------------------------------------------------------------------------------------------
# Typed entries (what the sizing code reads)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AoaiSource:
    """One citation, referred to by its key from every figure."""

    key: str
    citation: str
    date: str


@dataclass(frozen=True)
class AoaiFigure:
    """A number with its unit and provenance."""

    value: float
    unit: str
    source: str
    date: str
    basis: Basis
    note: str | None = None

    @property
    def is_estimate(self) -> bool:
        """True when the figure is not stated as such by Microsoft or a third party."""
        return self.basis in ("derived", "estimate")

    def describe(self) -> str:
        """Short provenance tag for reason strings, e.g. ``[ptu-costs-new, documented]``."""
        return f"[{self.source}, {self.basis}]"


@dataclass(frozen=True)
class AoaiRegionList:
    """The regions an offer exists in, with provenance (an estimate when no matrix was read)."""

    regions: tuple[str, ...]
    source: str
    date: str
    basis: Basis
    note: str | None = None

    @property
    def is_estimate(self) -> bool:
        return self.basis in ("derived", "estimate")


@dataclass(frozen=True)
class AoaiDeploymentType:
    """A deployment type (the ``sku.name`` of an Azure OpenAI deployment)."""

    name: str
    billing: Billing
    residency_scope: ResidencyScope
    capacity_unit: CapacityUnit
    interactive: bool  # False for batch types: never a serving candidate
    counterpart: str | None  # the other billing model with the same residency scope
    source: str
    date: str


@dataclass(frozen=True)
class AoaiPtuPrices:
    """Price of one PTU for one provisioned deployment type."""

    usd_per_ptu_hour: AoaiFigure
    usd_per_ptu_month_monthly_reservation: AoaiFigure | None
    usd_per_ptu_month_yearly_reservation: AoaiFigure | None

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
            raise AzureOpenAICatalogError(f"no {ptu_billing} price in the catalog")
        return figure


@dataclass(frozen=True)
class AoaiPtuRules:
    """How a model's provisioned deployments are sized (per model, all provisioned types)."""

    input_tpm_per_ptu: AoaiFigure
    output_token_weight: AoaiFigure  # one output token counts as this many input tokens
    global_datazone_minimum_ptu: AoaiFigure
    global_datazone_increment_ptu: AoaiFigure
    regional_minimum_ptu: AoaiFigure
    regional_increment_ptu: AoaiFigure
    latency_target_output_tokens_per_s: AoaiFigure
    max_context_tokens: AoaiFigure | None  # when lower than the model's own limit

    def minimum_ptu(self, scope: ResidencyScope) -> AoaiFigure:
        return self.regional_minimum_ptu if scope == "region" else self.global_datazone_minimum_ptu

    def increment_ptu(self, scope: ResidencyScope) -> AoaiFigure:
        if scope == "region":
            return self.regional_increment_ptu
        return self.global_datazone_increment_ptu


@dataclass(frozen=True)
class AoaiModelOffer:
    """One model as one deployment type: regions, token prices and default quota."""

    deployment_type: str
    regions: AoaiRegionList
    usd_per_million_input_tokens: AoaiFigure | None  # None for provisioned types
    usd_per_million_output_tokens: AoaiFigure | None  # None for provisioned and embeddings
    default_quota_ktpm: AoaiFigure | None  # Default tier, per subscription x region
    enterprise_quota_ktpm: AoaiFigure | None  # Enterprise / MCA-E tier


@dataclass(frozen=True)
class AoaiModel:
    """One Azure OpenAI model (one version) and every deployment type it is offered as."""

    id: str
    task: ModelTask
    versions: tuple[str, ...]
    default_version: str
    max_context_tokens: AoaiFigure
    max_output_tokens: AoaiFigure | None
    rpm_per_ktpm: AoaiFigure
    usage_tier_tokens_per_month: AoaiFigure | None
    prefill_ms_per_1k_input_tokens: AoaiFigure
    token_output_tokens_per_s_per_request: AoaiFigure | None
    provisioned: AoaiPtuRules | None
    offers: Mapping[str, AoaiModelOffer]  # deployment type name -> offer

    def offer(self, deployment_type: str) -> AoaiModelOffer | None:
        return self.offers.get(deployment_type)


@dataclass(frozen=True)
class AoaiCatalog:
    """Everything the Azure OpenAI sizing needs, from one catalog document."""

    origin: str
    schema_version: int
    compiled: str
    sources: Mapping[str, AoaiSource]
    deployment_types: Mapping[str, AoaiDeploymentType]  # in file order
    data_zone_geographies: tuple[str, ...]
    region_geographies: Mapping[str, str]
    tokens_per_minute_per_ktpm: AoaiFigure
    max_ptu_per_deployment: AoaiFigure
    provisioned_prices: Mapping[str, AoaiPtuPrices]
    ttft_p95_base_ms_token: AoaiFigure
    ttft_p95_base_ms_ptu: AoaiFigure
    models: Mapping[str, AoaiModel]

    def figures(self) -> tuple[tuple[str, AoaiFigure | AoaiRegionList], ...]:
        """Every figure in the catalog with a dotted path, for provenance checks and reports."""
        found: list[tuple[str, AoaiFigure | AoaiRegionList]] = [
            ("limits.tokens_per_minute_per_ktpm", self.tokens_per_minute_per_ktpm),
            ("limits.max_ptu_per_deployment", self.max_ptu_per_deployment),
            ("latency_estimates.ttft_p95_base_ms_token", self.ttft_p95_base_ms_token),
            ("latency_estimates.ttft_p95_base_ms_ptu", self.ttft_p95_base_ms_ptu),
        ]
        for type_name, prices in self.provisioned_prices.items():
            found.extend(_fields_of(f"provisioned_prices.{type_name}", prices))
        for model in self.models.values():
            found.extend(_fields_of(f"models.{model.id}", model))
            if model.provisioned is not None:
                found.extend(_fields_of(f"models.{model.id}.provisioned", model.provisioned))
            for offer in model.offers.values():
                found.extend(_fields_of(f"models.{model.id}.offers.{offer.deployment_type}", offer))
        return tuple(found)


def _fields_of(prefix: str, entry: object) -> list[tuple[str, AoaiFigure | AoaiRegionList]]:
    return [
        (f"{prefix}.{name}", value)
        for name, value in vars(entry).items()
        if isinstance(value, AoaiFigure | AoaiRegionList)
    ]


# --------------------------------------------------------------------------------------------
# File schema (pydantic, unknown keys rejected)
# --------------------------------------------------------------------------------------------

_DATE_PATTERN = r"^\d{4}-\d{2}(-\d{2})?$"


def _date_to_text(value: Any) -> Any:
    # YAML reads an unquoted 2025-08-14 as a date; accept it and keep ISO text.
    return value.isoformat() if isinstance(value, date) else value


DateText = Annotated[str, BeforeValidator(_date_to_text), Field(pattern=_DATE_PATTERN)]
Key = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _SourceDoc(_Strict):
    citation: Annotated[str, Field(min_length=1, description="Full citation with doc date")]
    date: DateText


class _FigureDoc(_Strict):
    value: Annotated[float, Field(description="The number, in `unit`")]
    unit: Key
    source: Key
    date: DateText
    basis: Basis
    note: str | None = None


class _RegionListDoc(_Strict):
    value: Annotated[list[Key], Field(min_length=1)]
    source: Key
    date: DateText
    basis: Basis
    note: str | None = None


class _DeploymentTypeDoc(_Strict):
    billing: Billing
    residency_scope: ResidencyScope
    capacity_unit: CapacityUnit
    interactive: bool
    counterpart: str | None
    source: Key
    date: DateText


class _GeographyListDoc(_Strict):
    value: Annotated[list[Key], Field(min_length=1)]
    source: Key
    date: DateText
    basis: Basis


class _RegionGeographiesDoc(_Strict):
    source: Key
    date: DateText
    basis: Basis
    regions: Annotated[dict[str, Key], Field(min_length=1)]


class _LimitsDoc(_Strict):
    tokens_per_minute_per_ktpm: _FigureDoc
    max_ptu_per_deployment: _FigureDoc


class _PtuPricesDoc(_Strict):
    usd_per_ptu_hour: _FigureDoc
    usd_per_ptu_month_monthly_reservation: _FigureDoc | None = None
    usd_per_ptu_month_yearly_reservation: _FigureDoc | None = None


class _LatencyDoc(_Strict):
    ttft_p95_base_ms_token: _FigureDoc
    ttft_p95_base_ms_ptu: _FigureDoc


class _ProvisionedDoc(_Strict):
    input_tpm_per_ptu: _FigureDoc
    output_token_weight: _FigureDoc
    global_datazone_minimum_ptu: _FigureDoc
    global_datazone_increment_ptu: _FigureDoc
    regional_minimum_ptu: _FigureDoc
    regional_increment_ptu: _FigureDoc
    latency_target_output_tokens_per_s: _FigureDoc
    max_context_tokens: _FigureDoc | None = None


class _OfferDoc(_Strict):
    regions: _RegionListDoc
    usd_per_million_input_tokens: _FigureDoc | None = None
    usd_per_million_output_tokens: _FigureDoc | None = None
    default_quota_ktpm: _FigureDoc | None = None
    enterprise_quota_ktpm: _FigureDoc | None = None


class _ModelDoc(_Strict):
    task: ModelTask
    versions: Annotated[list[Key], Field(min_length=1)]
    default_version: Key
    max_context_tokens: _FigureDoc
    max_output_tokens: _FigureDoc | None = None
    rpm_per_ktpm: _FigureDoc
    usage_tier_tokens_per_month: _FigureDoc | None = None
    prefill_ms_per_1k_input_tokens: _FigureDoc
    token_output_tokens_per_s_per_request: _FigureDoc | None = None
    provisioned: _ProvisionedDoc | None = None
    offers: Annotated[dict[str, _OfferDoc], Field(min_length=1)]


class _CatalogDoc(_Strict):
    kind: Literal["azure_openai"]
    schema_version: Literal[1]
    compiled: DateText
    sources: Annotated[dict[str, _SourceDoc], Field(min_length=1)]
    deployment_types: Annotated[dict[str, _DeploymentTypeDoc], Field(min_length=1)]
    data_zone_geographies: _GeographyListDoc
    region_geographies: _RegionGeographiesDoc
    limits: _LimitsDoc
    provisioned_prices: dict[str, _PtuPricesDoc]
    latency_estimates: _LatencyDoc
    models: Annotated[dict[str, _ModelDoc], Field(min_length=1)]


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_azure_openai_catalog(path: str | Path | None = None) -> AoaiCatalog:
    """Read and validate an Azure OpenAI catalog file (default: the packaged one).

    Errors name the file and, where the YAML node is known, the line: ``file:line: path: msg``.
    """
    file_path = Path(path) if path is not None else DEFAULT_AZURE_OPENAI_CATALOG_PATH
    origin = file_path.name if path is None else str(file_path)
    try:
        text = file_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AzureOpenAICatalogError(f"{origin}: cannot read: {exc.strerror}") from exc
    try:
        root_node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}" if mark is not None else origin
        raise AzureOpenAICatalogError(f"{where}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise AzureOpenAICatalogError(f"{origin}:1: expected a mapping at the top level")
    return _parse(data, origin, root_node)


@cache
def default_azure_openai_catalog() -> AoaiCatalog:
    """The packaged catalog, read once per process."""
    return load_azure_openai_catalog()


def parse_azure_openai_document(data: dict[str, Any], origin: str) -> AoaiCatalog:
    """Validate an already-loaded ``kind: azure_openai`` document (no line numbers known)."""
    return _parse(data, origin, None)


def _parse(data: dict[str, Any], origin: str, root_node: yaml.Node | None) -> AoaiCatalog:
    try:
        doc = _CatalogDoc.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            lines.append(f"{_where(origin, root_node, loc)}: {_dotted(loc)}: {error['msg']}")
        raise AzureOpenAICatalogError("\n".join(lines)) from None
    problems = _cross_check(doc)
    if problems:
        raise AzureOpenAICatalogError(
            "\n".join(
                f"{_where(origin, root_node, loc)}: {_dotted(loc)}: {msg}" for loc, msg in problems
            )
        )
    return _build(doc, origin)


def _dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "<document>"


def _where(origin: str, root_node: yaml.Node | None, loc: tuple[Any, ...]) -> str:
    """``origin:line`` of the deepest YAML node on the path ``loc`` (no line if unknown)."""
    if root_node is None:
        return origin
    node = root_node
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    child = value_node
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            break
        node = child
    return f"{origin}:{node.start_mark.line + 1}"


def _cross_check(doc: _CatalogDoc) -> list[tuple[tuple[Any, ...], str]]:
    """References between parts of the file: source keys, type names, regions, versions."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    known_sources = set(doc.sources)
    known_regions = set(doc.region_geographies.regions)

    def check_source(loc: tuple[Any, ...], source: str) -> None:
        if source not in known_sources:
            problems.append((loc, f"unknown source key {source!r}; add it under `sources`"))

    def check_figure(loc: tuple[Any, ...], figure: _FigureDoc | _RegionListDoc) -> None:
        check_source((*loc, "source"), figure.source)
        if isinstance(figure, _FigureDoc) and not math.isfinite(figure.value):
            problems.append(((*loc, "value"), "must be a finite number"))
        if figure.basis == "derived" and not figure.note:
            problems.append((loc, "a derived figure needs a `note` saying how it was derived"))

    def check_figures(loc: tuple[Any, ...], entry: BaseModel) -> None:
        for name in type(entry).model_fields:
            value = getattr(entry, name)
            if isinstance(value, _FigureDoc | _RegionListDoc):
                check_figure((*loc, name), value)

    for name, dtype in doc.deployment_types.items():
        check_source(("deployment_types", name, "source"), dtype.source)
        if dtype.counterpart is not None and dtype.counterpart not in doc.deployment_types:
            problems.append(
                (("deployment_types", name, "counterpart"), f"unknown type {dtype.counterpart!r}")
            )
    check_source(("data_zone_geographies", "source"), doc.data_zone_geographies.source)
    check_source(("region_geographies", "source"), doc.region_geographies.source)
    check_figures(("limits",), doc.limits)
    check_figures(("latency_estimates",), doc.latency_estimates)
    for name, prices in doc.provisioned_prices.items():
        loc = ("provisioned_prices", name)
        dtype = doc.deployment_types.get(name)
        if dtype is None or dtype.billing != "ptu":
            problems.append((loc, f"{name!r} is not a PTU-billed deployment type"))
        check_figures(loc, prices)
    for model_id, model in doc.models.items():
        mloc: tuple[Any, ...] = ("models", model_id)
        if model.default_version not in model.versions:
            problems.append(((*mloc, "default_version"), "must be one of `versions`"))
        check_figures(mloc, model)
        if model.provisioned is not None:
            check_figures((*mloc, "provisioned"), model.provisioned)
        for type_name, offer in model.offers.items():
            oloc = (*mloc, "offers", type_name)
            dtype = doc.deployment_types.get(type_name)
            if dtype is None:
                problems.append((oloc, f"unknown deployment type {type_name!r}"))
                continue
            check_figures(oloc, offer)
            for index, region in enumerate(offer.regions.value):
                if region not in known_regions:
                    problems.append(
                        ((*oloc, "regions", "value", index), f"region {region!r} has no geography")
                    )
            if dtype.billing == "token" and offer.usd_per_million_input_tokens is None:
                problems.append((oloc, "token-billed offer needs usd_per_million_input_tokens"))
            if (
                dtype.billing == "token"
                and model.task == "chat"
                and offer.usd_per_million_output_tokens is None
            ):
                problems.append((oloc, "chat offer needs usd_per_million_output_tokens"))
            if dtype.billing == "ptu":
                if model.provisioned is None:
                    problems.append((oloc, "provisioned offer needs `provisioned` sizing rules"))
                if type_name not in doc.provisioned_prices:
                    problems.append((oloc, f"no provisioned_prices entry for {type_name}"))
                if offer.usd_per_million_input_tokens is not None:
                    problems.append((oloc, "provisioned offers are priced per PTU, not per token"))
    return problems


def _figure(doc: _FigureDoc) -> AoaiFigure:
    return AoaiFigure(doc.value, doc.unit, doc.source, doc.date, doc.basis, doc.note)


def _optional(doc: _FigureDoc | None) -> AoaiFigure | None:
    return None if doc is None else _figure(doc)


def _build(doc: _CatalogDoc, origin: str) -> AoaiCatalog:
    models: dict[str, AoaiModel] = {}
    for model_id, m in doc.models.items():
        offers = {
            type_name: AoaiModelOffer(
                deployment_type=type_name,
                regions=AoaiRegionList(
                    regions=tuple(o.regions.value),
                    source=o.regions.source,
                    date=o.regions.date,
                    basis=o.regions.basis,
                    note=o.regions.note,
                ),
                usd_per_million_input_tokens=_optional(o.usd_per_million_input_tokens),
                usd_per_million_output_tokens=_optional(o.usd_per_million_output_tokens),
                default_quota_ktpm=_optional(o.default_quota_ktpm),
                enterprise_quota_ktpm=_optional(o.enterprise_quota_ktpm),
            )
            for type_name, o in m.offers.items()
        }
        p = m.provisioned
        rules = (
            None
            if p is None
            else AoaiPtuRules(
                input_tpm_per_ptu=_figure(p.input_tpm_per_ptu),
                output_token_weight=_figure(p.output_token_weight),
                global_datazone_minimum_ptu=_figure(p.global_datazone_minimum_ptu),
                global_datazone_increment_ptu=_figure(p.global_datazone_increment_ptu),
                regional_minimum_ptu=_figure(p.regional_minimum_ptu),
                regional_increment_ptu=_figure(p.regional_increment_ptu),
                latency_target_output_tokens_per_s=_figure(p.latency_target_output_tokens_per_s),
                max_context_tokens=_optional(p.max_context_tokens),
            )
        )
        models[model_id] = AoaiModel(
            id=model_id,
            task=m.task,
            versions=tuple(m.versions),
            default_version=m.default_version,
            max_context_tokens=_figure(m.max_context_tokens),
            max_output_tokens=_optional(m.max_output_tokens),
            rpm_per_ktpm=_figure(m.rpm_per_ktpm),
            usage_tier_tokens_per_month=_optional(m.usage_tier_tokens_per_month),
            prefill_ms_per_1k_input_tokens=_figure(m.prefill_ms_per_1k_input_tokens),
            token_output_tokens_per_s_per_request=_optional(
                m.token_output_tokens_per_s_per_request
            ),
            provisioned=rules,
            offers=MappingProxyType(offers),
        )
    return AoaiCatalog(
        origin=origin,
        schema_version=doc.schema_version,
        compiled=doc.compiled,
        sources=MappingProxyType(
            {k: AoaiSource(k, s.citation, s.date) for k, s in doc.sources.items()}
        ),
        deployment_types=MappingProxyType(
            {
                name: AoaiDeploymentType(
                    name=name,
                    billing=t.billing,
                    residency_scope=t.residency_scope,
                    capacity_unit=t.capacity_unit,
                    interactive=t.interactive,
                    counterpart=t.counterpart,
                    source=t.source,
                    date=t.date,
                )
                for name, t in doc.deployment_types.items()
            }
        ),
        data_zone_geographies=tuple(doc.data_zone_geographies.value),
        region_geographies=MappingProxyType(dict(doc.region_geographies.regions)),
        tokens_per_minute_per_ktpm=_figure(doc.limits.tokens_per_minute_per_ktpm),
        max_ptu_per_deployment=_figure(doc.limits.max_ptu_per_deployment),
        provisioned_prices=MappingProxyType(
            {
                name: AoaiPtuPrices(
                    usd_per_ptu_hour=_figure(p.usd_per_ptu_hour),
                    usd_per_ptu_month_monthly_reservation=_optional(
                        p.usd_per_ptu_month_monthly_reservation
                    ),
                    usd_per_ptu_month_yearly_reservation=_optional(
                        p.usd_per_ptu_month_yearly_reservation
                    ),
                )
                for name, p in doc.provisioned_prices.items()
            }
        ),
        ttft_p95_base_ms_token=_figure(doc.latency_estimates.ttft_p95_base_ms_token),
        ttft_p95_base_ms_ptu=_figure(doc.latency_estimates.ttft_p95_base_ms_ptu),
        models=MappingProxyType(models),
    )


__all__ = [
    "DEFAULT_AZURE_OPENAI_CATALOG_PATH",
    "AoaiCatalog",
    "AoaiDeploymentType",
    "AoaiFigure",
    "AoaiModel",
    "AoaiModelOffer",
    "AoaiPtuPrices",
    "AoaiPtuRules",
    "AoaiRegionList",
    "AoaiSource",
    "AzureOpenAICatalogError",
    "default_azure_openai_catalog",
    "load_azure_openai_catalog",
    "parse_azure_openai_document",
]
