"""The ``kind: Workload`` spec: one model served to one application, as its team describes it.

`WorkloadDocument` is the YAML as written (and the JSON Schema editors use); `Workload` is what
the loader hands to sizing after the catalog rules pass: the canonical model id, the catalog
facts about it, defaults filled in and where in which file it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from inputs.catalog_view import ModelFacts
from inputs.field_types import (
    LIST_TO_TUPLE,
    MAX_CONCURRENCY,
    MAX_MONTHLY_USD,
    MAX_REQUESTS_PER_MINUTE,
    MAX_TOKENS,
    MAX_TOKENS_PER_SECOND,
    MAX_TTFT_MS,
    ClockTime,
    DnsName,
    LowercaseStr,
    LowercaseStrTuple,
    NonEmptyStr,
    StrTuple,
    TemplateRef,
    choice,
)
from inputs.yaml_source import SourceRef

API_VERSION = "inferplan/v1"

# Planning defaults for average request sizes when the team does not know them yet: prompts
# average a quarter of their maximum, answers half of theirs (rounded up). Conservative enough
# for a first plan; measured averages should replace them.
AVG_INPUT_FRACTION_OF_MAX = 0.25
AVG_OUTPUT_FRACTION_OF_MAX = 0.5
MAX_STOP_SEQUENCES = 4  # OpenAI chat completions API limit

# 'azure-managed' names what 'azure-openai' always meant once Azure sells other publishers' models
# (Foundry Models sold by Azure, such as Llama-3.3-70B-Instruct) through the same deployments;
# the spec holds the one value the sizing knows, so plans and diffs do not change with the name.
MANAGED_ALIAS = "azure-managed"


def _managed_alias(value: str) -> str:
    return "azure-openai" if value == MANAGED_ALIAS else value


DeploymentTarget = Annotated[
    choice(Literal["auto", "azure-openai", "azure-managed", "aks-vllm"]),
    AfterValidator(_managed_alias),
]


class SpecModel(BaseModel):
    """Base of every spec section: unknown keys are errors, values are immutable and strict.

    Strict means YAML's own types are taken at face value: ``"64"`` (quoted) is not a number and
    ``yes`` is not a boolean. Numbers are finite (``.inf`` and ``.nan`` are refused) and every
    numeric field has an upper bound (`field_types.MAX_TOKENS` and its neighbours).
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, populate_by_name=True, allow_inf_nan=False
    )


class Metadata(SpecModel):
    """Who and what a spec is; the name becomes part of resource names."""

    name: Annotated[
        DnsName,
        Field(
            description=(
                "Unique name: lowercase letters, digits and '-', starting with a letter, at most "
                "40 characters. Used in Kubernetes and Azure resource names."
            )
        ),
    ]
    description: Annotated[str, Field(description="Free text shown in plans.")] = ""
    owner: Annotated[
        str | None, Field(description="Owning team or person, for routing alerts and reviews.")
    ] = None
    labels: Annotated[
        dict[str, str],
        Field(
            default_factory=dict,
            description="String key/value labels copied onto resources as tags.",
        ),
    ]


def _default_avg_input(data: dict[str, Any]) -> int:
    return math.ceil(data["max_input_tokens"] * AVG_INPUT_FRACTION_OF_MAX)


def _default_avg_output(data: dict[str, Any]) -> int:
    return math.ceil(data["max_output_tokens"] * AVG_OUTPUT_FRACTION_OF_MAX)


class ContextSpec(SpecModel):
    """Request sizes in tokens: the maxima bound memory, the averages drive throughput."""

    max_input_tokens: Annotated[
        int,
        Field(
            ge=1,
            le=MAX_TOKENS,
            description=(
                f"Largest prompt (system + history + user) in tokens, 1 to {MAX_TOKENS:,}."
            ),
        ),
    ]
    max_output_tokens: Annotated[
        int,
        Field(
            ge=0,
            le=MAX_TOKENS,
            description=(
                f"Largest completion in tokens, 0 to {MAX_TOKENS:,}. Chat models need at least "
                "1; embedding models produce no output tokens, so 0 (the default) is the only "
                "valid value for them. Input + output must fit the model's context window."
            ),
        ),
    ] = 0
    avg_input_tokens: Annotated[
        int,
        Field(
            default_factory=_default_avg_input,
            ge=1,
            le=MAX_TOKENS,
            description=(
                "Average prompt in tokens, at most max_input_tokens. "
                "Default: a quarter of max_input_tokens, rounded up."
            ),
        ),
    ]
    avg_output_tokens: Annotated[
        int,
        Field(
            default_factory=_default_avg_output,
            ge=0,
            le=MAX_TOKENS,
            description=(
                "Average completion in tokens, at most max_output_tokens (at least 1 for chat "
                "models). Default: half of max_output_tokens, rounded up."
            ),
        ),
    ]
    reasoning_tokens: Annotated[
        int | None,
        Field(
            ge=0,
            le=1_000_000,
            description=(
                "Azure OpenAI reasoning models (o-series, gpt-5) only: average hidden "
                "reasoning tokens per request. They are billed and generated as output and come "
                "before the first visible token, so TPM, PTU, cost and TTFT count them. "
                "Default: the catalog's figure for the model's default reasoning effort. "
                "Self-hosted reasoning models count their reasoning in the output tokens."
            ),
        ),
    ] = None


class BatchSpec(SpecModel):
    """Offline work: requests submitted once a day and done within a window (no interactive
    traffic). Planned on Azure OpenAI Batch where residency allows, on token deployments sized
    for the window, or on GPU pools that run only inside the window."""

    requests_per_day: Annotated[
        float,
        Field(gt=0, le=1e9, allow_inf_nan=False, description="Requests submitted each day."),
    ]
    completion_window_hours: Annotated[
        float,
        Field(
            gt=0,
            le=24,
            allow_inf_nan=False,
            description=(
                "Hours after submission by which the day's requests must be done, at most 24. "
                "Azure OpenAI Batch targets 24 hours, so shorter windows rule it out."
            ),
        ),
    ]
    start: Annotated[
        ClockTime,
        Field(
            description="When the day's work is submitted, HH:MM. Default 00:00.",
        ),
    ] = "00:00"
    timezone: Annotated[
        NonEmptyStr,
        Field(description="IANA time zone of start, e.g. Europe/Stockholm. Default UTC."),
    ] = "UTC"


class TrafficSpec(SpecModel):
    """The peak load the deployment must carry, or the offline work it must finish."""

    peak_concurrency: Annotated[
        int | None,
        Field(
            ge=1,
            le=MAX_CONCURRENCY,
            description=(
                f"Requests in flight at the busiest moment, 1 to {MAX_CONCURRENCY:,}. Required "
                "unless traffic.batch is given."
            ),
        ),
    ] = None
    batch: Annotated[
        BatchSpec | None,
        Field(
            description=(
                "Offline work instead of interactive traffic: requests per day and the window "
                "they must finish in. Leave out peak_concurrency and peak_requests_per_minute."
            )
        ),
    ] = None
    peak_requests_per_minute: Annotated[
        float | None,
        Field(
            gt=0,
            le=MAX_REQUESTS_PER_MINUTE,
            description=(
                f"Requests started per minute at peak, above 0 and at most "
                f"{MAX_REQUESTS_PER_MINUTE:,.0f}. Optional: when left out, sizing derives it "
                "from peak_concurrency and the estimated request duration."
            ),
        ),
    ] = None
    average_to_peak_ratio: Annotated[
        float,
        Field(
            gt=0,
            le=1,
            description=(
                "Average traffic over the month as a share of the peak, for usage-billed "
                "offers (Azure OpenAI tokens). Default 0.35: busy working hours, quiet nights. "
                "GPU pools and provisioned capacity are paid for the peak whatever this is."
            ),
        ),
    ] = 0.35
    steady_share: Annotated[
        float | None,
        Field(
            ge=0,
            lt=1,
            description=(
                "Share of the peak rate that never goes away while the service is busy (the "
                "load's floor), 0 to below 1. Sizes the provisioned part of a PTU + spillover "
                "option: at least this share on PTU, the bursts above it spill to a Standard "
                "deployment. Left out: the plan assumes the busy-hours load spreads evenly "
                "from 0 to the peak and picks the cheapest PTU level."
            ),
        ),
    ] = None


class PercentileTarget(SpecModel):
    """A latency at a percentile, e.g. ``{percentile: 99, ms: 2500}``."""

    percentile: Annotated[
        Literal[50, 95, 99],
        Field(description="The percentile the latency is promised at: 50, 95 or 99."),
    ]
    ms: Annotated[
        float,
        Field(
            gt=0,
            le=MAX_TTFT_MS,
            description=f"The latency in milliseconds, above 0 and at most {MAX_TTFT_MS:,.0f}.",
        ),
    ]


class SloSpec(SpecModel):
    """Service levels the plan must meet; every field has a default."""

    ttft_p95_ms: Annotated[
        float,
        Field(
            gt=0,
            le=MAX_TTFT_MS,
            description=(
                "95th-percentile time to first token in milliseconds, above 0 and at most "
                f"{MAX_TTFT_MS:,.0f} (ten minutes)."
            ),
        ),
    ] = 2000.0
    output_tokens_per_second_p50: Annotated[
        float,
        Field(
            gt=0,
            le=MAX_TOKENS_PER_SECOND,
            description=(
                "Median decode speed one request sees, in output tokens per second, above 0 and "
                f"at most {MAX_TOKENS_PER_SECOND:,.0f} (20 is faster than people read). Does "
                "not apply to embedding models."
            ),
        ),
    ] = 20.0
    ttft: Annotated[
        tuple[PercentileTarget, ...],
        LIST_TO_TUPLE,
        Field(
            description=(
                "Time to first token at further percentiles, each {percentile: 50|95|99, ms}; "
                "the plan meets and predicts each. A p95 entry stands for ttft_p95_ms (give "
                "one or the other)."
            ),
        ),
    ] = ()
    itl: Annotated[
        tuple[PercentileTarget, ...],
        LIST_TO_TUPLE,
        Field(
            description=(
                "Inter-token latency (the gap between streamed tokens) at percentiles, each "
                "{percentile: 50|95|99, ms}, beside output_tokens_per_second_p50; the plan "
                "meets and predicts each for self-hosted models. Azure OpenAI publishes no "
                "latency distribution: there a p95 or p99 entry is read as a speed of "
                "1000 / ms tokens/s that only a published latency target meets (provisioned "
                "or priority processing), so Standard types are rejected."
            ),
        ),
    ] = ()
    availability: Annotated[
        float,
        Field(
            ge=90,
            le=99.999,
            description="Monthly availability target in percent, 90 to 99.999.",
        ),
    ] = 99.9
    accept_availability: Annotated[
        float | None,
        Field(
            ge=90,
            le=99.999,
            description=(
                "A lower availability the team accepts when the allowed regions and sizes cannot "
                "reach slo.availability (the plan then says 'accepted X < Y'). Left out: a plan "
                "that cannot reach slo.availability is infeasible."
            ),
        ),
    ] = None


class ResidencySpec(SpecModel):
    """Where requests may be processed. Give regions, a geography, or both."""

    regions: Annotated[
        LowercaseStrTuple,
        Field(
            description=(
                "Azure region names (armRegionName, e.g. swedencentral; any case) the workload "
                "may run in, in order of preference. Empty: any region of the geography."
            )
        ),
    ] = ()
    geography: Annotated[
        LowercaseStr | None,
        Field(
            description=(
                "Geography every region must belong to (eu, us, ...; any case). Left out: "
                "regions alone decide."
            )
        ),
    ] = None
    strict: Annotated[
        bool,
        Field(
            description=(
                "true: data must never be processed outside these regions/geography, so no "
                "global deployment types and no failover elsewhere. false: regions are "
                "preferences."
            )
        ),
    ] = False


class GenerationSpec(SpecModel):
    """Default sampling parameters the gateway applies; unset ones keep the model's defaults."""

    temperature: Annotated[
        float | None, Field(ge=0, le=2, description="Sampling temperature, 0 to 2.")
    ] = None
    top_p: Annotated[
        float | None, Field(ge=0, le=1, description="Nucleus sampling mass, 0 to 1.")
    ] = None
    frequency_penalty: Annotated[
        float | None, Field(ge=-2, le=2, description="Frequency penalty, -2 to 2.")
    ] = None
    presence_penalty: Annotated[
        float | None, Field(ge=-2, le=2, description="Presence penalty, -2 to 2.")
    ] = None
    max_tokens: Annotated[
        int | None,
        Field(
            ge=1,
            le=MAX_TOKENS,
            description="Default completion limit; at most context.max_output_tokens.",
        ),
    ] = None
    stop: Annotated[
        StrTuple,
        Field(
            max_length=MAX_STOP_SEQUENCES,
            description="Stop sequences, at most 4 (the OpenAI API limit).",
        ),
    ] = ()


class HardwareSpec(SpecModel):
    """GPUs and VM sizes the optimizer may (not) use: Azure grants GPU quota per VM family and
    region, so teams steer plans onto what they hold quota for."""

    allow: Annotated[
        StrTuple,
        Field(
            description=(
                "GPU ids or aliases (h100-nvl), VM size names (Standard_NC40ads_H100_v5) or VM "
                "families (NCadsH100v5) the workload may run on. Empty: any not excluded."
            )
        ),
    ] = ()
    exclude: Annotated[
        StrTuple,
        Field(description="GPU ids or aliases, VM size names or families never to use."),
    ] = ()
    share_nodes: Annotated[
        bool | None,
        Field(
            description=(
                "Replicas may share GPU nodes with other workloads of the environment, on one "
                "shared pool, where that is cheaper than a pool each and every workload still "
                "meets its availability (each replica keeps whole GPUs of its own). false on a "
                "workload keeps it on its own pool; false on the environment turns sharing off. "
                "Left out: true."
            )
        ),
    ] = None


class CostSpec(SpecModel):
    """Budget the plan must stay under, and how capacity may be bought."""

    max_monthly_usd: Annotated[
        float | None,
        Field(
            gt=0,
            le=MAX_MONTHLY_USD,
            description=(
                "Monthly cost ceiling in US dollars (730 hours), above 0 and at most "
                f"{MAX_MONTHLY_USD:,.0f}. Left out: none."
            ),
        ),
    ] = None
    reservation: Annotated[
        choice(Literal["none", "monthly", "yearly"]),
        Field(
            description=(
                "Commitment allowed for Azure OpenAI provisioned throughput (PTU): 'none' pays "
                "PTUs by the hour, 'monthly' or 'yearly' prices them at the reservation rate. "
                "Default none."
            )
        ),
    ] = "none"


def _precision_to_tuple(value: Any) -> Any:
    if isinstance(value, str):
        return (value.lower(),)
    if isinstance(value, list):
        return tuple(item.lower() if isinstance(item, str) else item for item in value)
    return value


def _precision_is_coherent(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("list at least one precision, or write 'auto'")
    if "auto" in value and len(value) > 1:
        raise ValueError("'auto' already allows every precision; do not list it with others")
    if len(set(value)) != len(value):
        raise ValueError("a precision is listed twice")
    return value


PrecisionChoice = Annotated[
    tuple[str, ...],
    BeforeValidator(_precision_to_tuple),
    AfterValidator(_precision_is_coherent),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}, "minItems": 1},
            ]
        }
    ),
]


class WorkloadSpec(SpecModel):
    """What to serve, how much, how fast and where."""

    model: Annotated[
        NonEmptyStr,
        Field(description="Catalog model id or alias, e.g. llama-3.1-70b-instruct or gpt-4o."),
    ]
    precision: Annotated[
        PrecisionChoice,
        Field(
            description=(
                "Weight precision: one catalog precision (fp16, bf16, fp8, int8, int4), a list "
                "of allowed ones for the optimizer to choose from, or 'auto' (any). Managed "
                "(Azure OpenAI) models only accept 'auto'. Loaded as a tuple of ids."
            )
        ),
    ] = ("auto",)
    deployment: Annotated[
        DeploymentTarget,
        Field(
            description=(
                "Where to serve: 'azure-managed' (a model Azure sells: Azure OpenAI or another "
                "Foundry Model sold by Azure; 'azure-openai' is the same, its older name), "
                "'aks-vllm' (self-hosted vLLM on AKS) or 'auto' (the cheapest feasible one the "
                "model allows)."
            )
        ),
    ] = "auto"
    context: Annotated[ContextSpec, Field(description="Request sizes in tokens.")]
    traffic: Annotated[TrafficSpec, Field(description="Peak load.")]
    slo: Annotated[SloSpec, Field(description="Latency, speed and availability targets.")] = (
        SloSpec()
    )
    residency: Annotated[
        ResidencySpec | None,
        Field(description="Data residency. Left out: any region the environment allows."),
    ] = None
    streaming: Annotated[
        bool,
        Field(
            description=(
                "Responses stream as server-sent events. Default true; embedding models never "
                "stream, so it is false for them."
            )
        ),
    ] = True
    generation: Annotated[
        GenerationSpec | None,
        Field(description="Default sampling parameters; not allowed for embedding models."),
    ] = None
    cost: Annotated[CostSpec | None, Field(description="Budget; left out: no cap.")] = None
    hardware: Annotated[
        HardwareSpec | None,
        Field(
            description=(
                "GPUs and VM sizes the optimizer may use (self-hosted only); adds to the "
                "environment's hardware choice."
            )
        ),
    ] = None
    template: Annotated[
        TemplateRef | None,
        Field(
            description=(
                "Approved template this workload instantiates, as name@version (e.g. "
                "chat-eu@2). The template's fixed values and defaults fill the spec; the "
                "workload may set only the fields the template lets it, within their bounds."
            )
        ),
    ] = None


class WorkloadDocument(SpecModel):
    """A workload file (or one ``---`` document of it), exactly as written."""

    model_config = ConfigDict(
        title="inferplan Workload",
        json_schema_extra={"description": "One LLM workload: model, request sizes, traffic, SLO."},
    )

    api_version: Annotated[
        Literal["inferplan/v1"],
        Field(alias="apiVersion", description="Spec format version: inferplan/v1."),
    ]
    kind: Annotated[Literal["Workload"], Field(description="Document type: Workload.")]
    metadata: Annotated[Metadata, Field(description="Name, owner and labels.")]
    spec: Annotated[WorkloadSpec, Field(description="The workload itself.")]


@dataclass(frozen=True)
class Workload:
    """A validated workload, ready for sizing.

    ``spec.model`` is the canonical catalog id (``model_as_written`` keeps the alias the team
    used), ``spec.precision`` is a tuple of allowed ids or ``("auto",)``, defaults are filled in,
    and ``spec.streaming`` is false for embedding models. A workload that names a template holds
    the merged result; ``template`` says which one (``chat-eu@2``), for policies to check.
    """

    metadata: Metadata
    spec: WorkloadSpec
    model: ModelFacts
    model_as_written: str
    source: SourceRef
    template: str | None = None  # the template it was resolved from, as name@version

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def model_id(self) -> str:
        return self.model.id

    @property
    def precisions(self) -> tuple[str, ...]:
        return self.spec.precision
