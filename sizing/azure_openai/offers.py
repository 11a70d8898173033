"""Azure OpenAI sizing: capacity, cost, latency and feasibility per deployment type x region.

Pure functions over the Azure OpenAI catalog (``sizing.catalog.azure_openai``). The optimizer
calls :func:`size_azure_openai` with the workload's traffic and residency and gets one
:class:`AoaiCandidate` per (interactive deployment type, allowed region), each either feasible or
carrying the reason it is not; :func:`best_candidate` picks the cheapest feasible one.

Formulas (units in the names; see docs/azure-openai-sizing.md for the sources):

Reasoning models (o-series, gpt-5) generate ``reasoning`` hidden tokens per request before the
visible answer; they are billed as output, count against ``max_completion_tokens`` and are
generated at the output rate [reasoning], so every formula below counts them as output.

Token-billed types (Standard, DataZoneStandard, GlobalStandard), capacity in kTPM::

    rate_limit_tpm   = peak_rpm x (avg_input_tokens + max_output_tokens + reasoning)   # [quota]:
                       # the TPM counter charges prompt + max_tokens when the request arrives,
                       # and a reasoning model's max_completion_tokens must hold its reasoning too
    capacity_ktpm    = max(ceil(rate_limit_tpm / 1000), ceil(peak_rpm / rpm_per_ktpm), 1)
    monthly_requests = peak_rpm x average_to_peak_ratio x 60 x hours_per_month
    monthly_usd      = monthly_requests x (in x usd_per_1m_in + (out + reasoning) x usd_per_1m_out)
                       / 1e6
    ttft_p95_ms      = base + prefill_ms_per_1k x in / 1000 + reasoning / output_tokens_per_s x 1000

Provisioned types (ProvisionedManaged, DataZone-, GlobalProvisionedManaged), capacity in PTU::

    effective_tpm = peak_rpm x (avg_input_tokens + output_token_weight x (avg_output + reasoning))
    ptu           = max(minimum, ceil(effective_tpm / input_tpm_per_ptu / increment) x increment)
    monthly_usd   = ptu x usd_per_ptu_hour x hours_per_month   (or the reservation price)

PTU is sized on the *average* output, not on max_tokens: the service admits a request on
prompt + max_tokens but corrects utilisation with the actual tokens when it finishes
[ptu-concept-2024]; a max_tokens far above the real output only lowers burst concurrency, which
is reported as an advisory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sizing.azure_openai.lifecycle import default_version, lifecycle_rejection
from sizing.catalog.azure_openai import (
    AoaiCatalog,
    AoaiDeploymentType,
    AoaiFigure,
    AoaiModel,
    AoaiModelOffer,
    AoaiRegionList,
    Billing,
    CapacityUnit,
    PtuBilling,
    ResidencyScope,
)
from sizing.plan import AzureOpenAISpillover, ServiceTier
from sizing.search.decisions import MayBeRejected, Rejection
from sizing.search.request import BatchTraffic
from sizing.units import DAYS_PER_MONTH, HOURS_PER_MONTH

DEFAULT_HOURS_PER_MONTH = HOURS_PER_MONTH
BATCH_TURNAROUND_HOURS = 24.0  # [batch] "24-hour target turnaround"
BATCH_MAX_REQUESTS_PER_FILE = 100_000  # [batch] error too_many_tasks
# Average traffic over the month as a fraction of the peak minute. Interactive traffic follows
# office hours and weekdays; 0.35 is roughly "peak sustained ~8 h on weekdays, little at night".
DEFAULT_AVERAGE_TO_PEAK_RATIO = 0.35


class AzureOpenAISizingError(ValueError):
    """A sizing request that cannot be answered; the message says which input is wrong."""


class UnknownAzureOpenAIModelError(AzureOpenAISizingError):
    """The model id or version is not in the Azure OpenAI catalog."""


class UnknownAzureOpenAIRegionError(AzureOpenAISizingError):
    """A region (or residency geography) is not known to the Azure OpenAI catalog."""


class InvalidAzureOpenAITrafficError(AzureOpenAISizingError):
    """Traffic figures that are negative, inconsistent or out of range."""


@dataclass(frozen=True)
class AoaiCandidate(MayBeRejected):
    """One way to serve the workload: a deployment type in a region, sized and priced.

    ``capacity`` is the deployment's ``sku.capacity``: kTPM units (1 = 1,000 TPM) for token
    types, PTUs for provisioned types. It is None when the model has no such offer at all.
    """

    deployment_type: str
    billing: Billing
    residency_scope: ResidencyScope
    interactive: bool  # False for the batch types: offline work, never a failover backend
    region: str
    region_rank: int  # position in the allowed regions (0 = preferred)
    model: str
    model_version: str
    capacity: int | None
    capacity_unit: CapacityUnit
    monthly_usd: float | None
    usd_per_million_output_tokens_at_peak: float | None  # all cost / output tokens at peak
    ttft_p95_ms: float | None  # estimate; Microsoft publishes no TTFT figure
    output_tokens_per_s_per_request: float | None
    latency_guaranteed: bool  # provisioned latency target applies
    break_even_note: str
    rejections: tuple[Rejection, ...]
    reasons: tuple[str, ...]
    advisories: tuple[str, ...] = ()
    estimated_figures: tuple[str, ...] = ()  # derived / estimate figures the numbers rely on
    quota_shortfall: Rejection | None = None  # needs more than the documented default quota
    reasoning_tokens: int = 0  # hidden reasoning tokens per request the sizing counted
    # The model's provisioned latency target (PTU): a floor Microsoft commits to, not a typical
    # speed; shown beside a token-billed type's working figure. None without PTU rules.
    ptu_latency_floor_tps: float | None = None
    # Priority processing (sizing.azure_openai.priority): requests sent with service_tier
    # "priority" on this token-billed deployment.
    service_tier: ServiceTier = "default"
    request_api_version: str | None = None  # the api-version a request's service_tier needs
    # PTU + spillover (sizing.azure_openai.spillover): the Standard deployment taking overflow.
    spillover: AzureOpenAISpillover | None = None


@dataclass(frozen=True)
class AoaiBreakEven:
    """Where a provisioned type becomes cheaper than its token-billed counterpart.

    Token cost grows linearly with the peak rate; provisioned cost is a staircase sized on the
    peak. ``peak_requests_per_minute`` is None when fully used PTUs still cost more per peak
    request/minute than tokens do, i.e. provisioned never wins on price for this request shape.
    """

    model: str
    token_deployment_type: str
    provisioned_deployment_type: str
    peak_requests_per_minute: float | None
    token_usd_per_month_per_peak_rpm: float
    provisioned_full_usd_per_month_per_peak_rpm: float
    minimum_ptu: int
    minimum_ptu_usd_per_month: float
    explanation: str


# --------------------------------------------------------------------------------------------
# Capacity arithmetic (plain numbers in, plain numbers out)
# --------------------------------------------------------------------------------------------


def _ceil(value: float) -> int:
    # Guard against binary noise such as 15.000000000000002 becoming 16.
    return math.ceil(round(value, 9))


def rate_limit_tokens_per_minute(
    *,
    peak_requests_per_minute: float,
    avg_input_tokens: float,
    max_output_tokens: float,
    reasoning_tokens: float = 0.0,
) -> float:
    """TPM the token rate limiter charges at the peak: each request counts prompt + max_tokens,
    and a reasoning model's completion limit must also hold its hidden reasoning tokens."""
    return peak_requests_per_minute * (avg_input_tokens + max_output_tokens + reasoning_tokens)


def token_capacity_ktpm(
    *,
    rate_limit_tokens_per_minute: float,
    peak_requests_per_minute: float,
    rpm_per_ktpm: float,
    tokens_per_minute_per_ktpm: float = 1000.0,
) -> int:
    """Smallest ``sku.capacity`` (kTPM units) whose token and request limits both cover the peak."""
    for_tokens = _ceil(rate_limit_tokens_per_minute / tokens_per_minute_per_ktpm)
    for_requests = _ceil(peak_requests_per_minute / rpm_per_ktpm)
    return max(for_tokens, for_requests, 1)


def ptu_effective_input_tokens_per_minute(
    *,
    peak_requests_per_minute: float,
    avg_input_tokens: float,
    avg_output_tokens: float,
    output_token_weight: float,
    reasoning_tokens: float = 0.0,
) -> float:
    """Peak load in input-token equivalents: output tokens, hidden reasoning tokens included,
    weigh ``output_token_weight`` each."""
    output = avg_output_tokens + reasoning_tokens
    return peak_requests_per_minute * (avg_input_tokens + output_token_weight * output)


def provisioned_capacity_ptu(
    *,
    effective_input_tokens_per_minute: float,
    input_tpm_per_ptu: float,
    minimum_ptu: int,
    increment_ptu: int,
) -> int:
    """PTUs to deploy: the exact need rounded up to the increment, never below the minimum."""
    needed_ptu = effective_input_tokens_per_minute / input_tpm_per_ptu
    rounded_ptu = _ceil(needed_ptu / increment_ptu) * increment_ptu
    return max(minimum_ptu, rounded_ptu)


def monthly_requests(
    *, peak_requests_per_minute: float, average_to_peak_ratio: float, hours_per_month: float
) -> float:
    """Requests billed in a month when the average rate is ``average_to_peak_ratio`` x peak."""
    return peak_requests_per_minute * average_to_peak_ratio * 60.0 * hours_per_month


# --------------------------------------------------------------------------------------------
# Break-even between billing models
# --------------------------------------------------------------------------------------------


def break_even_peak_requests_per_minute(
    *,
    model: str,
    token_deployment_type: str,
    provisioned_deployment_type: str,
    avg_input_tokens: float,
    avg_output_tokens: float,
    average_to_peak_ratio: float = DEFAULT_AVERAGE_TO_PEAK_RATIO,
    hours_per_month: float = DEFAULT_HOURS_PER_MONTH,
    ptu_billing: PtuBilling = "hourly",
    catalog: AoaiCatalog,
) -> AoaiBreakEven:
    """Peak request rate above which the provisioned type costs less than the token type.

    With ``k`` the token cost per month of one peak request/minute and ``c`` the monthly price
    of one PTU::

        k = average_to_peak_ratio x 60 x hours_per_month x usd_per_request
        provisioned_full = c x (in + weight x out) / input_tpm_per_ptu   # per peak req/min
        break_even_rpm = minimum_ptu x c / k          if provisioned_full < k, else never

    Below the break-even the minimum PTU block is paid for but not used; above it the PTU
    staircase stays under the token line except, possibly, just after a large increment.
    """
    cat = catalog
    entry = _model(cat, model)
    token_type = _deployment_type(cat, token_deployment_type)
    ptu_type = _deployment_type(cat, provisioned_deployment_type)
    if token_type.billing != "token" or ptu_type.billing != "ptu":
        raise AzureOpenAISizingError(
            f"break-even compares a token-billed type with a PTU-billed type; got "
            f"{token_deployment_type} ({token_type.billing}) and "
            f"{provisioned_deployment_type} ({ptu_type.billing})"
        )
    token_offer = entry.offer(token_deployment_type)
    if token_offer is None or token_offer.usd_per_million_input_tokens is None:
        raise AzureOpenAISizingError(f"{model} has no {token_deployment_type} offer")
    if entry.provisioned is None or entry.offer(provisioned_deployment_type) is None:
        raise AzureOpenAISizingError(f"{model} has no {provisioned_deployment_type} offer")
    rules = entry.provisioned
    usd_per_request = _usd_per_request(
        entry, token_deployment_type, avg_input_tokens, avg_output_tokens
    )
    token_per_rpm = (
        monthly_requests(
            peak_requests_per_minute=1.0,
            average_to_peak_ratio=average_to_peak_ratio,
            hours_per_month=hours_per_month,
        )
        * usd_per_request
    )
    ptu_month = (
        cat.provisioned_prices[provisioned_deployment_type]
        .usd_per_ptu_month(ptu_billing=ptu_billing, hours_per_month=hours_per_month)
        .value
    )
    effective_per_request = avg_input_tokens + rules.output_token_weight.value * avg_output_tokens
    full_per_rpm = ptu_month * effective_per_request / rules.input_tpm_per_ptu.value
    minimum = int(rules.minimum_ptu(ptu_type.residency_scope).value)
    minimum_usd = minimum * ptu_month
    load = f"{average_to_peak_ratio:g} average/peak load, {ptu_billing.replace('_', ' ')} PTUs"
    if full_per_rpm >= token_per_rpm:
        rpm = None
        explanation = (
            f"{provisioned_deployment_type} is never cheaper than {token_deployment_type} for "
            f"this request shape: fully used PTUs cost ${_num(full_per_rpm)}/month per peak "
            f"req/min, tokens ${_num(token_per_rpm)} ({load})"
        )
    else:
        rpm = minimum_usd / token_per_rpm
        explanation = (
            f"{provisioned_deployment_type} is cheaper than {token_deployment_type} above "
            f"{_num(rpm)} peak req/min: the minimum {minimum} PTU cost ${_num(minimum_usd)}/month "
            f"and tokens cost ${_num(token_per_rpm)}/month per peak req/min ({load})"
        )
    return AoaiBreakEven(
        model=model,
        token_deployment_type=token_deployment_type,
        provisioned_deployment_type=provisioned_deployment_type,
        peak_requests_per_minute=rpm,
        token_usd_per_month_per_peak_rpm=token_per_rpm,
        provisioned_full_usd_per_month_per_peak_rpm=full_per_rpm,
        minimum_ptu=minimum,
        minimum_ptu_usd_per_month=minimum_usd,
        explanation=explanation,
    )


# --------------------------------------------------------------------------------------------
# Residency
# --------------------------------------------------------------------------------------------


def residency_rejection(
    *,
    residency_scope: ResidencyScope,
    region: str,
    region_geography: str,
    residency_geography: str | None,
    strict_residency: bool,
    data_zone_geographies: Sequence[str],
) -> str | None:
    """Why a deployment type in a region breaks the residency rule, or None if it does not.

    strict            -> only region-bound types (Standard, ProvisionedManaged)
    geography g       -> the region must be in g; DataZone types only where g is a data zone;
                         Global types never
    neither           -> every type
    """
    if residency_geography is not None and region_geography != residency_geography:
        return (
            f"region {region} is in geography {region_geography}; "
            f"residency requires geography {residency_geography}"
        )
    if residency_scope == "global":
        if strict_residency:
            return "Global deployment types process data anywhere in the world; residency is strict"
        if residency_geography is not None:
            return (
                "Global deployment types process data anywhere in the world; "
                f"residency requires geography {residency_geography}"
            )
    if residency_scope == "datazone":
        if strict_residency:
            return "DataZone types are not region-bound; residency is strict"
        if region_geography not in data_zone_geographies:
            return (
                f"DataZone types exist only for the {', '.join(data_zone_geographies)} data "
                f"zones; {region} is in geography {region_geography}"
            )
    return None


# --------------------------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------------------------


def size_azure_openai(
    *,
    model: str,
    regions: Sequence[str],
    residency_geography: str | None,
    strict_residency: bool,
    peak_requests_per_minute: float,
    avg_input_tokens: int,
    avg_output_tokens: int,
    max_output_tokens: int,
    peak_concurrency: int,
    hours_per_month: float = DEFAULT_HOURS_PER_MONTH,
    average_to_peak_ratio: float = DEFAULT_AVERAGE_TO_PEAK_RATIO,
    ptu_billing: PtuBilling = "hourly",
    model_version: str | None = None,
    max_input_tokens: int | None = None,
    slo_ttft_p95_ms: float | None = None,
    slo_min_output_tokens_per_s: float | None = None,
    latency_guarantee_required: bool = False,
    enforce_default_quota: bool = False,
    batch: BatchTraffic | None = None,
    reasoning_tokens: int | None = None,
    catalog: AoaiCatalog,
) -> tuple[AoaiCandidate, ...]:
    """Every (interactive deployment type, allowed region) for the model, sized and judged;
    for offline work (``batch``) the batch types too.

    Order: regions as given (first preferred), then deployment types in catalog order. Each
    candidate is sized even when rejected, where the model has the offer at all, so a plan can
    show what the rejected option would have cost.

    ``max_input_tokens`` (default: ``avg_input_tokens``) is checked with ``max_output_tokens``
    against the model's context limit. Default quota is advisory unless
    ``enforce_default_quota``; quota can be raised on request [quota].

    ``reasoning_tokens`` (average hidden reasoning tokens per request) defaults, for a reasoning
    model, to the catalog's figure for its default effort; other models take none.
    """
    cat = catalog
    entry = _model(cat, model)
    version = default_version(entry, cat.compiled) if model_version is None else model_version
    if version not in entry.versions:
        raise UnknownAzureOpenAIModelError(
            f"{model} version {version!r} is not in the Azure OpenAI catalog "
            f"(known: {', '.join(entry.versions)})"
        )
    _check_regions(cat, regions, residency_geography)
    _check_traffic(
        entry,
        peak_requests_per_minute=peak_requests_per_minute,
        avg_input_tokens=avg_input_tokens,
        avg_output_tokens=avg_output_tokens,
        max_output_tokens=max_output_tokens,
        peak_concurrency=peak_concurrency,
        hours_per_month=hours_per_month,
        average_to_peak_ratio=average_to_peak_ratio,
        max_input_tokens=max_input_tokens,
        reasoning_tokens=reasoning_tokens,
    )
    reasoning = reasoning_tokens
    if reasoning is None:
        reasoning = round(entry.reasoning.default_tokens.value) if entry.reasoning else 0
    traffic = _Traffic(
        peak_rpm=peak_requests_per_minute,
        avg_in=avg_input_tokens,
        avg_out=avg_output_tokens,
        max_out=max_output_tokens,
        max_in=avg_input_tokens if max_input_tokens is None else max_input_tokens,
        concurrency=peak_concurrency,
        hours=hours_per_month,
        ratio=average_to_peak_ratio,
        reasoning=reasoning,
        reasoning_defaulted=reasoning_tokens is None,
    )
    slo = _Slo(slo_ttft_p95_ms, slo_min_output_tokens_per_s, latency_guarantee_required)
    candidates = []
    for rank, region in enumerate(regions):
        for dtype in cat.deployment_types.values():
            if not dtype.interactive:
                if batch is not None:
                    candidates.append(
                        _batch_candidate(
                            cat,
                            entry,
                            version,
                            dtype,
                            region,
                            rank,
                            traffic,
                            batch,
                            residency_geography=residency_geography,
                            strict_residency=strict_residency,
                        )
                    )
                continue
            candidates.append(
                _candidate(
                    cat,
                    entry,
                    version,
                    dtype,
                    region,
                    rank,
                    traffic,
                    slo,
                    residency_geography=residency_geography,
                    strict_residency=strict_residency,
                    ptu_billing=ptu_billing,
                    enforce_default_quota=enforce_default_quota,
                )
            )
    return tuple(candidates)


def best_candidate(candidates: Iterable[AoaiCandidate]) -> AoaiCandidate | None:
    """Cheapest feasible candidate; ties go to the preferred region, then the type name."""
    feasible = [c for c in candidates if c.feasible and c.monthly_usd is not None]
    if not feasible:
        return None
    return min(
        feasible,
        key=lambda c: (round(c.monthly_usd or 0.0, 6), c.region_rank, c.deployment_type),
    )


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Traffic:
    peak_rpm: float
    avg_in: int
    avg_out: int
    max_out: int
    max_in: int
    concurrency: int
    hours: float
    ratio: float
    reasoning: int = 0  # hidden reasoning tokens per request, generated and billed as output
    reasoning_defaulted: bool = False  # taken from the catalog, not stated by the workload

    @property
    def billed_out(self) -> int:
        """Output tokens a request is billed and generates: visible plus hidden reasoning."""
        return self.avg_out + self.reasoning


@dataclass(frozen=True)
class _Slo:
    ttft_p95_ms: float | None
    min_output_tokens_per_s: float | None
    guarantee_required: bool


def _num(value: float) -> str:
    """1380000 -> '1,380,000'; 7.709 -> '7.71'."""
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.2f}"


def _usd(value: float) -> str:
    return f"{value:,.2f}"


def _model(cat: AoaiCatalog, model: str) -> AoaiModel:
    entry = cat.models.get(model)
    if entry is None:
        raise UnknownAzureOpenAIModelError(
            f"model {model!r} is not in the Azure OpenAI catalog ({cat.origin}); "
            f"known: {', '.join(sorted(cat.models))}"
        )
    return entry


def _deployment_type(cat: AoaiCatalog, name: str) -> AoaiDeploymentType:
    dtype = cat.deployment_types.get(name)
    if dtype is None:
        raise AzureOpenAISizingError(
            f"deployment type {name!r} is unknown; known: {', '.join(cat.deployment_types)}"
        )
    return dtype


def _check_regions(
    cat: AoaiCatalog, regions: Sequence[str], residency_geography: str | None
) -> None:
    if isinstance(regions, str) or not regions:
        raise UnknownAzureOpenAIRegionError("regions must be a non-empty list of Azure regions")
    unknown = [r for r in regions if r not in cat.region_geographies]
    if unknown:
        raise UnknownAzureOpenAIRegionError(
            f"region(s) {', '.join(unknown)} unknown to the Azure OpenAI catalog ({cat.origin}); "
            f"known: {', '.join(sorted(cat.region_geographies))}"
        )
    duplicates = sorted({r for r in regions if list(regions).count(r) > 1})
    if duplicates:
        raise UnknownAzureOpenAIRegionError(f"region(s) listed twice: {', '.join(duplicates)}")
    geographies = sorted(set(cat.region_geographies.values()))
    if residency_geography is not None and residency_geography not in geographies:
        raise UnknownAzureOpenAIRegionError(
            f"residency geography {residency_geography!r} is unknown; "
            f"known: {', '.join(geographies)}"
        )


def _check_traffic(
    entry: AoaiModel,
    *,
    peak_requests_per_minute: float,
    avg_input_tokens: int,
    avg_output_tokens: int,
    max_output_tokens: int,
    peak_concurrency: int,
    hours_per_month: float,
    average_to_peak_ratio: float,
    max_input_tokens: int | None,
    reasoning_tokens: int | None = None,
) -> None:
    def fail(message: str) -> None:
        raise InvalidAzureOpenAITrafficError(message)

    if reasoning_tokens is not None:
        if reasoning_tokens < 0:
            fail(f"reasoning_tokens must be >= 0, got {reasoning_tokens}")
        if reasoning_tokens and entry.reasoning is None:
            fail(f"{entry.id} is not a reasoning model; it generates no reasoning tokens")

    if not peak_requests_per_minute > 0:
        fail(f"peak_requests_per_minute must be > 0, got {peak_requests_per_minute}")
    if avg_input_tokens < 1:
        fail(f"avg_input_tokens must be >= 1, got {avg_input_tokens}")
    if avg_output_tokens < 0 or max_output_tokens < 0:
        fail("avg_output_tokens and max_output_tokens must be >= 0")
    if entry.task == "embedding" and (avg_output_tokens or max_output_tokens):
        fail(f"{entry.id} is an embedding model: avg_output_tokens and max_output_tokens must be 0")
    if entry.task == "chat" and avg_output_tokens < 1:
        fail(f"avg_output_tokens must be >= 1 for chat model {entry.id}")
    if max_output_tokens < avg_output_tokens:
        fail(
            f"max_output_tokens ({max_output_tokens}) is below avg_output_tokens "
            f"({avg_output_tokens}); max_tokens caps every response"
        )
    if max_input_tokens is not None and max_input_tokens < avg_input_tokens:
        fail(
            f"max_input_tokens ({max_input_tokens}) is below avg_input_tokens ({avg_input_tokens})"
        )
    if peak_concurrency < 0:
        fail(f"peak_concurrency must be >= 0, got {peak_concurrency}")
    if not 0 < hours_per_month <= 744:
        fail(f"hours_per_month must be in (0, 744], got {hours_per_month}")
    if not 0 < average_to_peak_ratio <= 1:
        fail(f"average_to_peak_ratio must be in (0, 1], got {average_to_peak_ratio}")


def _usd_per_request(
    entry: AoaiModel, deployment_type: str, avg_in: float, avg_out: float
) -> float:
    offer = entry.offer(deployment_type)
    assert offer is not None and offer.usd_per_million_input_tokens is not None
    usd = avg_in * offer.usd_per_million_input_tokens.value / 1e6
    if offer.usd_per_million_output_tokens is not None:
        usd += avg_out * offer.usd_per_million_output_tokens.value / 1e6
    return usd


def _note_estimate(found: list[str], name: str, figure: AoaiFigure | AoaiRegionList | None) -> None:
    if figure is None or not figure.is_estimate:
        return
    if isinstance(figure, AoaiRegionList):
        text = f"{name}: region list [{figure.source}, {figure.basis}]"
    else:
        text = f"{name} = {_num(figure.value)} {figure.unit} [{figure.source}, {figure.basis}]"
    if figure.note:
        text += f" ({figure.note})"
    found.append(text)


@dataclass(frozen=True)
class _Placement:
    """What every candidate of one (deployment type, region) shares before it is sized: its
    identity, the offer, and the rejections that do not depend on the traffic."""

    base: dict
    offer: AoaiModelOffer | None
    rejections: list[Rejection]

    def unoffered(self) -> AoaiCandidate:
        """The candidate when the model has no such offer: nothing to size or price."""
        return AoaiCandidate(
            **self.base,
            capacity=None,
            monthly_usd=None,
            usd_per_million_output_tokens_at_peak=None,
            ttft_p95_ms=None,
            output_tokens_per_s_per_request=None,
            latency_guaranteed=False,
            break_even_note="",
            rejections=tuple(self.rejections),
            reasons=(),
        )


def _placement(
    cat: AoaiCatalog,
    entry: AoaiModel,
    version: str,
    dtype: AoaiDeploymentType,
    region: str,
    rank: int,
    *,
    residency_geography: str | None,
    strict_residency: bool,
    unoffered: str,
    reasoning_tokens: int = 0,
) -> _Placement:
    """Residency, the offer and its regions for one (deployment type, region)."""
    rejections: list[Rejection] = []
    lifecycle = lifecycle_rejection(cat, entry, version)
    if lifecycle is not None:
        rejections.append(lifecycle)
    residency = residency_rejection(
        residency_scope=dtype.residency_scope,
        region=region,
        region_geography=cat.region_geographies[region],
        residency_geography=residency_geography,
        strict_residency=strict_residency,
        data_zone_geographies=cat.data_zone_geographies,
    )
    if residency is not None:
        rejections.append(Rejection("residency", residency))
    base = {
        "deployment_type": dtype.name,
        "billing": dtype.billing,
        "residency_scope": dtype.residency_scope,
        "interactive": dtype.interactive,
        "region": region,
        "region_rank": rank,
        "model": entry.id,
        "model_version": version,
        "capacity_unit": dtype.capacity_unit,
        "reasoning_tokens": reasoning_tokens,
        "ptu_latency_floor_tps": (
            entry.provisioned.latency_target_output_tokens_per_s.value
            if entry.provisioned is not None
            else None
        ),
    }
    offer = entry.offer(dtype.name)
    if offer is None:
        rejections.append(Rejection("offer", unoffered))
    elif region not in offer.regions.regions:
        rejections.append(
            Rejection(
                "region",
                f"{entry.id} {version} is not offered as {dtype.name} in {region} "
                f"[{offer.regions.source}]",
            )
        )
    return _Placement(base, offer, rejections)


def _reasoning_ms(t: _Traffic, tokens_per_s: float | None) -> float:
    """Hidden reasoning is generated before the first visible token, at the output rate."""
    if not t.reasoning or not tokens_per_s:
        return 0.0
    return t.reasoning / tokens_per_s * 1000.0


def _reasoning_text(t: _Traffic, tokens_per_s: float | None) -> str:
    if not t.reasoning or not tokens_per_s:
        return ""
    return (
        f" + {_num(t.reasoning)} reasoning tokens ÷ {_num(tokens_per_s)} tokens/s "
        "(generated before the first visible token)"
    )


def _note_reasoning_default(found: list[str], entry: AoaiModel, t: _Traffic) -> None:
    """Flag the catalog's reasoning default when the request did not state its own."""
    reasoning = entry.reasoning
    if reasoning is None or not t.reasoning or not t.reasoning_defaulted:
        return
    _note_estimate(
        found, f"reasoning tokens ({reasoning.default_effort} effort)", reasoning.default_tokens
    )


def _candidate(
    cat: AoaiCatalog,
    entry: AoaiModel,
    version: str,
    dtype: AoaiDeploymentType,
    region: str,
    rank: int,
    t: _Traffic,
    slo: _Slo,
    *,
    residency_geography: str | None,
    strict_residency: bool,
    ptu_billing: PtuBilling,
    enforce_default_quota: bool,
) -> AoaiCandidate:
    reasons: list[str] = []
    advisories: list[str] = []
    estimates: list[str] = []
    placed = _placement(
        cat,
        entry,
        version,
        dtype,
        region,
        rank,
        residency_geography=residency_geography,
        strict_residency=strict_residency,
        unoffered=f"{entry.id} is not offered as {dtype.name} (no such offer in the catalog)",
        reasoning_tokens=t.reasoning,
    )
    base, offer, rejections = placed.base, placed.offer, placed.rejections
    if offer is None:
        return placed.unoffered()
    _note_estimate(estimates, f"{dtype.name} regions", offer.regions)

    context_limit = entry.max_context_tokens
    if dtype.billing == "ptu" and entry.provisioned and entry.provisioned.max_context_tokens:
        context_limit = entry.provisioned.max_context_tokens
    hidden = f" + {_num(t.reasoning)} reasoning" if t.reasoning else ""
    if t.max_in + t.max_out + t.reasoning > context_limit.value:
        rejections.append(
            Rejection(
                "context",
                f"a request of {_num(t.max_in)} prompt{hidden} + {_num(t.max_out)} max_tokens "
                f"exceeds the {_num(context_limit.value)}-token limit of {entry.id} as "
                f"{dtype.name} {context_limit.describe()}",
                (("tokens", t.max_in + t.max_out + t.reasoning), ("limit", context_limit.value)),
            )
        )
    out_limit = entry.max_output_tokens
    if out_limit is not None and t.max_out + t.reasoning > out_limit.value:
        rejections.append(
            Rejection(
                "context",
                f"max_tokens {_num(t.max_out)}{hidden} exceeds the {_num(out_limit.value)} "
                f"output-token limit of {entry.id} {out_limit.describe()}",
                (("max_tokens", t.max_out + t.reasoning), ("limit", out_limit.value)),
            )
        )
    if entry.limited_access:
        advisories.append(
            f"{entry.id} is a limited-access model: Microsoft must approve the subscription's "
            "registration before the deployment can be created [reasoning]"
        )

    if dtype.billing == "token":
        sized = _size_token(cat, entry, dtype, region, t, enforce_default_quota, estimates)
    else:
        sized = _size_ptu(cat, entry, dtype, t, ptu_billing, estimates)
    reasons.extend(sized.reasons)
    advisories.extend(sized.advisories)
    rejections.extend(sized.rejections)
    guaranteed = sized.latency_guaranteed
    ttft_ms = sized.ttft_p95_ms
    tokens_per_s = sized.output_tokens_per_s_per_request

    if slo.guarantee_required and not guaranteed:
        rejections.append(
            Rejection(
                "slo",
                f"{dtype.name} has no latency SLA [quota]: its speed is an estimate, and the "
                "SLO states its speed at a tail percentile, which only a published latency "
                "target meets (a provisioned type, or priority processing where the model "
                "has it)",
                (("slo_tps", slo.min_output_tokens_per_s or 0.0),),
            )
        )
    if slo.ttft_p95_ms is not None and ttft_ms is not None and ttft_ms > slo.ttft_p95_ms:
        rejections.append(
            Rejection(
                "slo",
                f"predicted TTFT p95 {_num(ttft_ms)} ms (estimate) exceeds the SLO of "
                f"{_num(slo.ttft_p95_ms)} ms",
                (("ttft_p95_ms", ttft_ms), ("slo_ttft_p95_ms", slo.ttft_p95_ms)),
            )
        )
    if (
        slo.min_output_tokens_per_s is not None
        and tokens_per_s is not None
        and tokens_per_s < slo.min_output_tokens_per_s
    ):
        rejections.append(
            Rejection(
                "slo",
                f"SLO needs >= {_num(slo.min_output_tokens_per_s)} output tokens/s per request; "
                f"{entry.id} as {dtype.name} gives {_num(tokens_per_s)} tokens/s"
                + (" (provisioned latency target)" if guaranteed else " (estimate, no SLA)"),
                (("tps", tokens_per_s), ("slo_tps", slo.min_output_tokens_per_s)),
            )
        )

    return AoaiCandidate(
        **base,
        capacity=sized.capacity,
        monthly_usd=sized.monthly_usd,
        usd_per_million_output_tokens_at_peak=sized.usd_per_million_output_tokens_at_peak,
        ttft_p95_ms=ttft_ms,
        output_tokens_per_s_per_request=tokens_per_s,
        latency_guaranteed=guaranteed,
        break_even_note=_break_even_note(cat, entry, dtype, t, ptu_billing),
        rejections=tuple(rejections),
        reasons=tuple(reasons),
        advisories=tuple(advisories),
        estimated_figures=tuple(estimates),
        quota_shortfall=sized.quota_shortfall,
    )


def _batch_candidate(
    cat: AoaiCatalog,
    entry: AoaiModel,
    version: str,
    dtype: AoaiDeploymentType,
    region: str,
    rank: int,
    t: _Traffic,
    batch: BatchTraffic,
    *,
    residency_geography: str | None,
    strict_residency: bool,
) -> AoaiCandidate:
    """A Batch deployment type (GlobalBatch, DataZoneBatch) for the day's offline work.

    [batch]: a 24-hour target turnaround at half the Global Standard price, with a quota of
    enqueued (input) tokens separate from online quota; a file holds at most 100,000 requests.
    Cost: ``requests_per_day x 730 / 24 x (in x usd_in + out x usd_out) / 1e6``. The deployment's
    capacity is the day's enqueued input tokens in thousands (assumption: counted like kTPM).
    """
    reasons: list[str] = []
    advisories: list[str] = []
    estimates: list[str] = []
    what = "embeddings" if entry.task == "embedding" else f"{entry.id} {version}"
    placed = _placement(
        cat,
        entry,
        version,
        dtype,
        region,
        rank,
        residency_geography=residency_geography,
        strict_residency=strict_residency,
        unoffered=f"{what} is not offered as {dtype.name} [batch]",
    )
    offer, rejections = placed.offer, placed.rejections
    if offer is None or offer.usd_per_million_input_tokens is None:
        return placed.unoffered()
    base = {
        **placed.base,
        "ttft_p95_ms": None,
        "output_tokens_per_s_per_request": None,
        "latency_guaranteed": False,
        "break_even_note": "",
    }
    if batch.completion_window_hours < BATCH_TURNAROUND_HOURS:
        rejections.append(
            Rejection(
                "slo",
                f"{dtype.name} targets completion within {BATCH_TURNAROUND_HOURS:g} hours "
                f"[batch]; the window is {batch.completion_window_hours:g} h",
                (
                    ("window_hours", batch.completion_window_hours),
                    ("turnaround_hours", BATCH_TURNAROUND_HOURS),
                ),
            )
        )
    usd_per_request = _usd_per_request(entry, dtype.name, t.avg_in, t.avg_out)
    monthly_requests_batch = batch.requests_per_day * DAYS_PER_MONTH
    monthly_usd = monthly_requests_batch * usd_per_request
    enqueued = batch.requests_per_day * t.avg_in
    capacity = max(_ceil(enqueued / 1000.0), 1)
    reasons.append(
        f"offline: {_num(batch.requests_per_day)} requests a day x {DAYS_PER_MONTH:.1f} days x "
        f"({_num(t.avg_in)} in + {_num(t.avg_out)} out at the batch price) = "
        f"${_usd(monthly_usd)}/month; {_num(enqueued)} input tokens enqueued a day"
    )
    _note_estimate(estimates, "usd_per_million_input_tokens", offer.usd_per_million_input_tokens)
    _note_estimate(estimates, "usd_per_million_output_tokens", offer.usd_per_million_output_tokens)
    shortfall = None
    quota = offer.default_enqueued_tokens
    if quota is not None and enqueued > quota.value:
        shortfall = Rejection(
            "quota",
            f"needs {_num(enqueued)} enqueued tokens but the default batch quota is "
            f"{_num(quota.value)} for {entry.id} {dtype.name} {quota.describe()}; submit the day "
            "in parts or request a quota increase",
            (("needed_enqueued_tokens", enqueued), ("default_enqueued_tokens", quota.value)),
        )
    if batch.requests_per_day > BATCH_MAX_REQUESTS_PER_FILE:
        advisories.append(
            f"{_num(batch.requests_per_day)} requests a day need "
            f"{_ceil(batch.requests_per_day / BATCH_MAX_REQUESTS_PER_FILE)} input files of at most "
            f"{BATCH_MAX_REQUESTS_PER_FILE:,} requests each [batch]"
        )
    per_million_out = None if t.avg_out == 0 else usd_per_request / t.avg_out * 1e6
    return AoaiCandidate(
        **base,
        capacity=capacity,
        monthly_usd=monthly_usd,
        usd_per_million_output_tokens_at_peak=per_million_out,
        rejections=tuple(rejections),
        reasons=tuple(reasons),
        advisories=tuple(advisories),
        estimated_figures=tuple(estimates),
        quota_shortfall=shortfall,
    )


@dataclass(frozen=True)
class _Sized:
    capacity: int
    monthly_usd: float
    usd_per_million_output_tokens_at_peak: float | None
    ttft_p95_ms: float
    output_tokens_per_s_per_request: float | None
    latency_guaranteed: bool
    reasons: list[str]
    advisories: list[str]
    rejections: list[Rejection]
    quota_shortfall: Rejection | None = None


def _size_token(
    cat: AoaiCatalog,
    entry: AoaiModel,
    dtype: AoaiDeploymentType,
    region: str,
    t: _Traffic,
    enforce_default_quota: bool,
    estimates: list[str],
) -> _Sized:
    offer = entry.offer(dtype.name)
    assert offer is not None and offer.usd_per_million_input_tokens is not None
    reasons: list[str] = []
    advisories: list[str] = []
    rejections: list[Rejection] = []
    shortfall: Rejection | None = None

    ratio = entry.rpm_per_ktpm
    tpm = rate_limit_tokens_per_minute(
        peak_requests_per_minute=t.peak_rpm,
        avg_input_tokens=t.avg_in,
        max_output_tokens=t.max_out,
        reasoning_tokens=t.reasoning,
    )
    capacity = token_capacity_ktpm(
        rate_limit_tokens_per_minute=tpm,
        peak_requests_per_minute=t.peak_rpm,
        rpm_per_ktpm=ratio.value,
        tokens_per_minute_per_ktpm=cat.tokens_per_minute_per_ktpm.value,
    )
    for_tokens = _ceil(tpm / cat.tokens_per_minute_per_ktpm.value)
    if entry.task == "embedding":
        shape = f"{_num(t.avg_in)} in"
    else:
        shape = f"{_num(t.avg_in)} in + {_num(t.max_out)} max_tokens"
        if t.reasoning:
            shape += f" + {_num(t.reasoning)} reasoning"
    reasons.append(
        f"peak {_num(t.peak_rpm)} req/min × ({shape}) = {_num(tpm)} TPM → capacity "
        f"{_num(for_tokens)} (kTPM) [quota: the rate limiter counts prompt + max_tokens]"
    )
    rpm_limit = capacity * ratio.value
    if capacity > for_tokens:
        reasons.append(
            f"requests bind: peak {_num(t.peak_rpm)} req/min ÷ {_num(ratio.value)} RPM per kTPM "
            f"= capacity {_num(capacity)} (kTPM) {ratio.describe()}"
        )
    else:
        reasons.append(
            f"RPM limit {_num(ratio.value)} RPM per kTPM × {_num(capacity)} = "
            f"{_num(rpm_limit)} RPM ≥ peak {_num(t.peak_rpm)} {ratio.describe()}"
        )
    _note_estimate(estimates, "rpm_per_ktpm", ratio)

    requests = monthly_requests(
        peak_requests_per_minute=t.peak_rpm, average_to_peak_ratio=t.ratio, hours_per_month=t.hours
    )
    price_in = offer.usd_per_million_input_tokens
    price_out = offer.usd_per_million_output_tokens
    usd_per_request = _usd_per_request(entry, dtype.name, t.avg_in, t.billed_out)
    monthly_usd = requests * usd_per_request
    priced = f"{_num(t.avg_in)} in × ${price_in.value:g}/1M"
    if price_out is not None:
        billed = f"({_num(t.avg_out)} + {_num(t.reasoning)} reasoning)" if t.reasoning else ""
        priced += f" + {billed or _num(t.avg_out)} out × ${price_out.value:g}/1M"
    reasons.append(
        f"monthly: {_num(t.peak_rpm)} req/min × {t.ratio:g} average/peak × 60 × {t.hours:g} h = "
        f"{_num(round(requests))} requests × ({priced}) = ${_usd(monthly_usd)}"
    )
    _note_estimate(estimates, "usd_per_million_input_tokens", price_in)
    _note_estimate(estimates, "usd_per_million_output_tokens", price_out)
    per_million_out = None if t.avg_out == 0 else usd_per_request / t.avg_out * 1e6

    quota = offer.default_quota_ktpm
    if quota is not None and capacity > quota.value:
        message = (
            f"needs {_num(capacity)} kTPM but default quota is {_num(quota.value)} kTPM per "
            f"region for {entry.id} {dtype.name} {quota.describe()}"
        )
        if offer.enterprise_quota_ktpm is not None:
            message += f" (Enterprise/MCA-E tier: {_num(offer.enterprise_quota_ktpm.value)} kTPM)"
        shortfall = Rejection(
            "quota",
            message,
            (("needed_ktpm", capacity), ("default_quota_ktpm", quota.value)),
        )
        if enforce_default_quota:
            rejections.append(shortfall)
        else:
            advisories.append(message + "; request a quota increase")
    elif quota is None:
        advisories.append(
            f"no default quota figure for {entry.id} {dtype.name}; check quota in {region}"
        )
    tier = entry.usage_tier_tokens_per_month
    monthly_tokens = requests * (t.avg_in + t.billed_out)
    if tier is not None and monthly_tokens > tier.value:
        advisories.append(
            f"{_num(round(monthly_tokens))} tokens/month exceeds the {entry.id} usage tier of "
            f"{_num(tier.value)} (tenant-wide); latency varies more above it {tier.describe()}"
        )
    requests_per_s = rpm_limit / 60.0
    if t.concurrency > requests_per_s:
        advisories.append(
            f"RPM is enforced over 1 s windows: {_num(rpm_limit)} RPM allows about "
            f"{_num(round(requests_per_s, 2))} requests per second, fewer than a burst of "
            f"{t.concurrency} concurrent requests; smooth bursts at the gateway or expect 429s"
        )

    tokens_per_s_figure = entry.token_output_tokens_per_s_per_request
    tokens_per_s = None if tokens_per_s_figure is None else tokens_per_s_figure.value
    ttft_ms = cat.ttft_p95_base_ms_token.value + (
        entry.prefill_ms_per_1k_input_tokens.value * t.avg_in / 1000.0
    )
    ttft_ms += _reasoning_ms(t, tokens_per_s)
    _note_estimate(estimates, "ttft_p95_base_ms_token", cat.ttft_p95_base_ms_token)
    _note_estimate(
        estimates, "prefill_ms_per_1k_input_tokens", entry.prefill_ms_per_1k_input_tokens
    )
    _note_estimate(estimates, "token_output_tokens_per_s_per_request", tokens_per_s_figure)
    _note_reasoning_default(estimates, entry, t)
    reasons.append(
        f"latency (estimate, no SLA for {dtype.name}): TTFT p95 ≈ "
        f"{_num(cat.ttft_p95_base_ms_token.value)} ms + "
        f"{_num(entry.prefill_ms_per_1k_input_tokens.value)} ms per 1k prompt tokens"
        + _reasoning_text(t, tokens_per_s)
        + f" = {_num(ttft_ms)} ms"
        + _token_speed_text(entry, tokens_per_s)
    )
    return _Sized(
        capacity,
        monthly_usd,
        per_million_out,
        ttft_ms,
        tokens_per_s,
        False,
        reasons,
        advisories,
        rejections,
        shortfall,
    )


def _token_speed_text(entry: AoaiModel, tokens_per_s: float | None) -> str:
    """The token-billed speed, said as what it is: a working figure (Microsoft publishes no
    speed for token-billed types), with the provisioned latency floor beside it where the
    model has one, so a reader sees when the two are the same number."""
    if tokens_per_s is None:
        return ""
    text = (
        f"; ≈ {_num(tokens_per_s)} output tokens/s per request (working figure, no published speed"
    )
    if entry.provisioned is not None:
        floor = entry.provisioned.latency_target_output_tokens_per_s.value
        same = ", the number used here" if floor == tokens_per_s else ""
        text += f"; the provisioned latency floor is {_num(floor)} tokens/s{same}"
    return text + ")"


def _size_ptu(
    cat: AoaiCatalog,
    entry: AoaiModel,
    dtype: AoaiDeploymentType,
    t: _Traffic,
    ptu_billing: PtuBilling,
    estimates: list[str],
) -> _Sized:
    rules = entry.provisioned
    assert rules is not None
    reasons: list[str] = []
    advisories: list[str] = []
    rejections: list[Rejection] = []

    weight = rules.output_token_weight
    per_ptu = rules.input_tpm_per_ptu
    minimum = int(rules.minimum_ptu(dtype.residency_scope).value)
    increment = int(rules.increment_ptu(dtype.residency_scope).value)
    effective = ptu_effective_input_tokens_per_minute(
        peak_requests_per_minute=t.peak_rpm,
        avg_input_tokens=t.avg_in,
        avg_output_tokens=t.avg_out,
        output_token_weight=weight.value,
        reasoning_tokens=t.reasoning,
    )
    capacity = provisioned_capacity_ptu(
        effective_input_tokens_per_minute=effective,
        input_tpm_per_ptu=per_ptu.value,
        minimum_ptu=minimum,
        increment_ptu=increment,
    )
    needed = effective / per_ptu.value
    reasons.append(
        f"peak {_num(t.peak_rpm)} req/min × ({_num(t.avg_in)} in + {_num(weight.value)} × "
        + (
            f"({_num(t.avg_out)} + {_num(t.reasoning)} reasoning)"
            if t.reasoning
            else _num(t.avg_out)
        )
        + f" out) = {_num(effective)} input-equivalent TPM ÷ "
        f"{_num(per_ptu.value)} TPM per PTU = {needed:,.2f} PTU → capacity {_num(capacity)} "
        f"(PTU; minimum {minimum}, increment {increment}) {per_ptu.describe()}"
    )
    _note_estimate(estimates, "output_token_weight", weight)
    if capacity > cat.max_ptu_per_deployment.value:
        limit = cat.max_ptu_per_deployment
        rejections.append(
            Rejection(
                "quota",
                f"needs {_num(capacity)} PTU but one deployment holds at most "
                f"{_num(limit.value)} PTU {limit.describe()}",
                (("needed_ptu", capacity), ("limit_ptu", limit.value)),
            )
        )
    if t.max_out > t.avg_out:
        advisories.append(
            f"admission counts prompt + max_tokens ({_num(t.max_out)}) until the request "
            f"finishes; with {_num(t.avg_out)} average output, bursts hit 429 earlier; keep "
            "max_tokens close to real output [ptu-concept]"
        )
    advisories.append(
        "PTU quota does not guarantee capacity: check the model-capacities API for the region "
        "before deploying [ptu-concept]"
    )

    prices = cat.provisioned_prices[dtype.name]
    month_price = prices.usd_per_ptu_month(ptu_billing=ptu_billing, hours_per_month=t.hours)
    monthly_usd = capacity * month_price.value
    if ptu_billing == "hourly":
        reasons.append(
            f"monthly: {_num(capacity)} PTU × ${prices.usd_per_ptu_hour.value:g}/PTU/hour × "
            f"{t.hours:g} h = ${_usd(monthly_usd)} {prices.usd_per_ptu_hour.describe()}"
        )
        _note_estimate(estimates, "usd_per_ptu_hour", prices.usd_per_ptu_hour)
    else:
        reasons.append(
            f"monthly: {_num(capacity)} PTU × ${month_price.value:g}/PTU/month "
            f"({ptu_billing.replace('_', ' ')}) = ${_usd(monthly_usd)} {month_price.describe()}"
        )
        _note_estimate(estimates, f"usd_per_ptu_month ({ptu_billing})", month_price)
    per_million_out = (
        None if t.avg_out == 0 else monthly_usd / t.hours / (t.peak_rpm * 60.0 * t.avg_out) * 1e6
    )

    target = rules.latency_target_output_tokens_per_s
    ttft_ms = cat.ttft_p95_base_ms_ptu.value + (
        entry.prefill_ms_per_1k_input_tokens.value * t.avg_in / 1000.0
    )
    ttft_ms += _reasoning_ms(t, target.value)
    _note_estimate(estimates, "ttft_p95_base_ms_ptu", cat.ttft_p95_base_ms_ptu)
    _note_estimate(
        estimates, "prefill_ms_per_1k_input_tokens", entry.prefill_ms_per_1k_input_tokens
    )
    _note_reasoning_default(estimates, entry, t)
    reasons.append(
        f"latency: floor {_num(target.value)} output tokens/s per request (Microsoft's "
        f"provisioned latency target: a minimum, not a typical speed) {target.describe()}; "
        f"TTFT p95 ≈ {_num(cat.ttft_p95_base_ms_ptu.value)} ms + "
        f"{_num(entry.prefill_ms_per_1k_input_tokens.value)} ms per 1k prompt tokens"
        + _reasoning_text(t, target.value)
        + f" = {_num(ttft_ms)} ms (estimate)"
    )
    return _Sized(
        capacity,
        monthly_usd,
        per_million_out,
        ttft_ms,
        target.value,
        True,
        reasons,
        advisories,
        rejections,
    )


def _break_even_note(
    cat: AoaiCatalog,
    entry: AoaiModel,
    dtype: AoaiDeploymentType,
    t: _Traffic,
    ptu_billing: PtuBilling,
) -> str:
    other = dtype.counterpart
    if other is None or entry.offer(other) is None or entry.offer(dtype.name) is None:
        return f"{entry.id} has no {other or 'counterpart'} offer; no break-even to compare"
    token_type, ptu_type = (dtype.name, other) if dtype.billing == "token" else (other, dtype.name)
    result = break_even_peak_requests_per_minute(
        model=entry.id,
        token_deployment_type=token_type,
        provisioned_deployment_type=ptu_type,
        avg_input_tokens=t.avg_in,
        avg_output_tokens=t.billed_out,
        average_to_peak_ratio=t.ratio,
        hours_per_month=t.hours,
        ptu_billing=ptu_billing,
        catalog=cat,
    )
    if result.peak_requests_per_minute is None:
        return result.explanation
    side = "above" if t.peak_rpm >= result.peak_requests_per_minute else "below"
    return f"{result.explanation}; this workload ({_num(t.peak_rpm)} req/min) is {side} it"


__all__ = [
    "DEFAULT_AVERAGE_TO_PEAK_RATIO",
    "DEFAULT_HOURS_PER_MONTH",
    "AoaiBreakEven",
    "AoaiCandidate",
    "AzureOpenAISizingError",
    "InvalidAzureOpenAITrafficError",
    "UnknownAzureOpenAIModelError",
    "UnknownAzureOpenAIRegionError",
    "best_candidate",
    "break_even_peak_requests_per_minute",
    "monthly_requests",
    "provisioned_capacity_ptu",
    "ptu_effective_input_tokens_per_minute",
    "rate_limit_tokens_per_minute",
    "residency_rejection",
    "size_azure_openai",
    "token_capacity_ktpm",
]
