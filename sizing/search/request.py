"""Everything the optimizer needs to know about one workload, as plain values.

``sizing.search.from_spec`` turns a validated ``Workload`` (and its ``Environment``) into a
``SizingRequest``; keeping this type inside sizing lets the engine be called from tests,
notebooks and the CLI with plain numbers. Every fact a decision depends on is here before the
decision is made: the hours the environment bills, its limits, the cost cap, the hardware the
team allows, the availability it will accept. ``plan_workload`` turns a request into a finished
``WorkloadPlan`` with nothing left for later layers to adjust.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sizing.search.topology import GatewayLink
from sizing.units import HOURS_PER_MONTH

Deployment = Literal["auto", "azure-openai", "aks-vllm"]
Reservation = Literal["none", "monthly", "yearly"]
# The price basis an environment pays its GPU VMs on (spec.pricing): pay-as-you-go, or a
# commitment that bills every hour of the month (sizing.search.price_basis).
Pricing = Literal["on-demand", "reserved-1y", "reserved-3y", "savings-plan"]

# Cost per concurrent user above which a plan warns by default (USD per month): about a whole
# 1x H100 NVL VM (Standard_NC40ads_H100_v5, ~$7/h x 730 h) per user, far above what shared
# serving should cost. Environments set their own (limits.warn_monthly_usd_per_user).
DEFAULT_WARN_MONTHLY_USD_PER_USER = 5000.0


@dataclass(frozen=True)
class Sampling:
    """Default sampling parameters the gateway sets when a request leaves them out."""

    temperature: float | None = None
    top_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    stop: tuple[str, ...] = ()


# A batch window is a hard deadline: the day's work is sized to finish in this share of it less,
# leaving room for 429 back-off and retries, the ramp-up of the first replicas and a slow tail.
BATCH_WINDOW_HEADROOM = 0.2


@dataclass(frozen=True)
class SpotChoice:
    """The environment's spot opt-in (spec.spot): whether spot pools may be planned, and the
    lowest availability a workload on them may be planned for (None: its own figure)."""

    allowed: bool = False
    min_availability: float | None = None


@dataclass(frozen=True)
class BatchTraffic:
    """Offline work: a number of requests a day, each done within a window after submission."""

    requests_per_day: float
    completion_window_hours: float
    start: str = "00:00"  # when the day's work is submitted, HH:MM in ``timezone``
    timezone: str = "UTC"

    @property
    def sized_hours(self) -> float:
        """The hours the day's work is sized to finish in: the window less its headroom."""
        return self.completion_window_hours * (1.0 - BATCH_WINDOW_HEADROOM)

    def headroom_reason(self) -> str:
        return (
            f"The {self.completion_window_hours:g} h window is a deadline: the day's "
            f"{self.requests_per_day:,.0f} requests are sized to finish in "
            f"{self.sized_hours:g} h, leaving {BATCH_WINDOW_HEADROOM:.0%} for 429 back-off, "
            "retries and ramp-up."
        )


@dataclass(frozen=True)
class Schedule:
    """When the environment runs its self-hosted GPU workloads, and what that bills.

    ``billed_hours_per_month`` is 730 for always-on environments; an environment that scales
    GPU pools to zero outside working hours bills only those hours
    (``sizing.deploy.working_hours``).
    """

    scale_to_zero: bool = False
    billed_hours_per_month: float = HOURS_PER_MONTH
    description: str = ""  # "Mon-Fri 07:00-19:00 Europe/Stockholm", for the reasons
    # Scale-to-zero: the working hours' start (minutes after midnight), cron days, end cron and
    # time zone, from which each workload's wake-up trigger is started early.
    start_minute: int = 0
    cron_days: str = "*"
    end_cron: str = ""
    timezone: str = "UTC"
    # The working hours' length and the ISO weekdays they start on (the gateway's off-hours
    # answer, sizing.deploy.working_hours.off_hours_answer).
    span_minutes: int = 0
    weekdays: tuple[int, ...] = ()
    hours: str = ""  # "mon-fri 07:00-19:00 Europe/Stockholm"


@dataclass(frozen=True)
class HardwareChoice:
    """GPU ids, GPU aliases, VM size names or VM families the workload may (not) run on.

    An empty ``allow`` allows everything not excluded; names compare case-insensitively.
    """

    allow: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    share_nodes: bool = True  # replicas may share GPU nodes with other workloads (packing)


@dataclass(frozen=True)
class SizingRequest:
    name: str
    model: str  # catalog id or alias
    precisions: tuple[str, ...]  # allowed precision ids; empty means any the catalog offers
    deployment: Deployment
    max_input_tokens: int
    max_output_tokens: int
    avg_input_tokens: int
    avg_output_tokens: int
    peak_concurrency: int
    peak_requests_per_minute: float | None  # None: derived from concurrency and latency
    ttft_p95_ms: float
    output_tokens_per_second_p50: float
    availability: float  # percent, e.g. 99.9
    regions: tuple[str, ...]  # allowed, in preference order
    geography: str | None
    strict_residency: bool
    streaming: bool = True
    max_tokens: int | None = None  # generation.max_tokens; defaults to max_output_tokens
    max_monthly_usd: float | None = None  # the workload's cost cap, on the billed cost
    average_to_peak_ratio: float = 0.35  # for usage-billed offers
    # traffic.steady_share: the busy-hours load's floor as a share of the peak (None: unstated),
    # for the PTU + spillover option (sizing/azure_openai/spillover.py).
    steady_share: float | None = None
    reservation: Reservation = "none"  # PTU commitment allowed
    # Availability the team accepts when the required figure cannot be reached (slo.accept_...).
    accept_availability: float | None = None
    batch: BatchTraffic | None = None  # offline work instead of interactive traffic
    hardware: HardwareChoice = field(default_factory=HardwareChoice)
    schedule: Schedule = field(default_factory=Schedule)
    pricing: Pricing = "on-demand"  # the environment's price basis for GPU VMs
    spot: SpotChoice = field(default_factory=SpotChoice)  # the environment's spot opt-in
    warn_monthly_usd_per_user: float = DEFAULT_WARN_MONTHLY_USD_PER_USER
    # What the Plan carries for later layers, decided with the workload rather than by them.
    source: str = ""  # the workload file, for messages
    environment: str | None = None
    tags: tuple[tuple[str, str], ...] = ()  # workload, owner and labels, sorted
    sampling: Sampling = field(default_factory=Sampling)
    template: str | None = None  # name@version of the approved template, if any
    residency_constrained: bool = False  # the workload or environment limits its regions
    precision_auto: bool = False  # the workload wrote precision: auto
    # Hidden reasoning tokens per request (Azure OpenAI reasoning models); None: the catalog's
    # figure for the model's default reasoning effort.
    reasoning_tokens: int | None = None
    # Percentile SLOs beyond TTFT p95 and tokens/s p50: ``(percentile, ms)``, TTFT at 50 or 99
    # and inter-token latency at 50 or 99 (slo.ttft, slo.itl).
    ttft_targets: tuple[tuple[int, float], ...] = ()
    itl_targets: tuple[tuple[int, float], ...] = ()
    # The environment's gateway, a link of the availability chain; None: no environment.
    gateway: GatewayLink | None = None

    @property
    def max_tokens_cap(self) -> int:
        return self.max_tokens if self.max_tokens is not None else self.max_output_tokens

    @property
    def max_model_len(self) -> int:
        return self.max_input_tokens + self.max_output_tokens
