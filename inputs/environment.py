"""The ``kind: Environment`` spec: one Pulumi stack and the workloads it carries.

`EnvironmentDocument` is the YAML as written; `Environment` adds where it came from and the
workload files its globs resolved to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from inferplan.inputs.field_types import (
    MAX_MONTHLY_USD,
    Email,
    LowercaseStr,
    LowercaseStrTuple,
    NonEmptyStr,
    StrTuple,
    choice,
)
from inferplan.inputs.workload import HardwareSpec, Metadata, SpecModel
from inferplan.inputs.yaml_source import SourceRef
from pydantic import ConfigDict, Field, StringConstraints

GatewayTier = choice(
    Literal[
        "Developer",
        "Basic",
        "BasicV2",
        "Standard",
        "StandardV2",
        "Premium",
        "PremiumV2",
        "Consumption",
    ]
)

# Log Analytics interactive retention accepts 30 to 730 days (pay-as-you-go workspaces).
MIN_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 730


class GatewaySpec(SpecModel):
    """The API Management instance in front of every workload of the environment."""

    tier: Annotated[
        GatewayTier,
        Field(
            description=(
                "API Management tier. Developer has no SLA (non-production only); the v2 tiers "
                "deploy in minutes."
            )
        ),
    ]
    publisher_email: Annotated[
        Email, Field(description="API Management publisher e-mail (receives service notices).")
    ]
    publisher_name: Annotated[
        NonEmptyStr, Field(description="API Management publisher (organisation) name.")
    ]


class ObservabilitySpec(SpecModel):
    """Logs, metrics and alerts."""

    retention_days: Annotated[
        int,
        Field(
            ge=MIN_RETENTION_DAYS,
            le=MAX_RETENTION_DAYS,
            description="Log Analytics retention in days, 30 to 730.",
        ),
    ] = MIN_RETENTION_DAYS
    alert_email: Annotated[
        Email | None,
        Field(description="Where SLO alerts are sent. Left out: alerts fire without e-mail."),
    ] = None


class LimitsSpec(SpecModel):
    """Environment-wide guardrails, checked by policies."""

    max_monthly_usd: Annotated[
        float | None,
        Field(
            gt=0,
            le=MAX_MONTHLY_USD,
            description=(
                "Monthly cost ceiling for all workloads together, in US dollars, above 0 and at "
                f"most {MAX_MONTHLY_USD:,.0f}."
            ),
        ),
    ] = None
    allowed_regions: Annotated[
        LowercaseStrTuple | None,
        Field(
            min_length=1,
            description="Azure regions workloads may use (any case). Left out: any region.",
        ),
    ] = None
    warn_monthly_usd_per_user: Annotated[
        float | None,
        Field(
            gt=0,
            le=1e9,
            allow_inf_nan=False,
            description=(
                "Plans costing more than this per concurrent user and month get a cost-per-user "
                "warning. Left out: 5000."
            ),
        ),
    ] = None


class WorkingHoursSpec(SpecModel):
    """When GPU workloads of a scale-to-zero environment run; outside these hours they scale to
    zero replicas and their GPU nodes follow."""

    timezone: Annotated[
        NonEmptyStr, Field(description="IANA time zone, e.g. Europe/Stockholm. Default UTC.")
    ] = "UTC"
    days: Annotated[
        choice(Literal["mon-fri", "mon-sat", "every-day"]),
        Field(description="Days the workloads run: mon-fri (default), mon-sat or every-day."),
    ] = "mon-fri"
    start: Annotated[
        str,
        Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="Start, HH:MM (07:00)."),
    ] = "07:00"
    end: Annotated[
        str,
        Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="End, HH:MM (19:00)."),
    ] = "19:00"


class KubernetesSpec(SpecModel):
    """The AKS cluster that carries self-hosted workloads."""

    version: Annotated[
        str,
        Field(
            pattern=r"^[0-9]{1,3}\.[0-9]{1,3}(\.[0-9]{1,3})?$",
            description="Kubernetes version (e.g. 1.31); AKS picks the latest patch.",
        ),
    ] = "1.31"
    system_vm_size: Annotated[
        NonEmptyStr,
        Field(description="VM size of the small system pool that runs cluster add-ons."),
    ] = "Standard_D4ds_v5"
    system_node_count: Annotated[
        int, Field(ge=1, le=10, description="Nodes in the system pool (3 spreads over zones).")
    ] = 2
    gpu_scale_to_zero: Annotated[
        bool,
        Field(
            description=(
                "GPU pools may scale down to zero nodes when idle (cheap dev environments; the "
                "first request after idle waits for a node and a model load)."
            )
        ),
    ] = False
    working_hours: Annotated[
        WorkingHoursSpec,
        Field(
            description=(
                "With gpu_scale_to_zero: when the self-hosted workloads run (a KEDA cron "
                "trigger keeps the planned replicas up); outside these hours they scale to zero. "
                "Default Mon-Fri 07:00-19:00 UTC."
            )
        ),
    ] = WorkingHoursSpec()


class NetworkSpec(SpecModel):
    """How the environment's services are reached."""

    public_network_access: Annotated[
        bool,
        Field(
            description=(
                "Azure OpenAI accounts accept traffic from public networks (still behind "
                "Entra ID auth). false: only private endpoints and trusted services."
            )
        ),
    ] = False


class EnvironmentSpec(SpecModel):
    """The stack's location, workloads, gateway, monitoring and limits."""

    location: Annotated[
        Annotated[LowercaseStr, StringConstraints(min_length=1)],
        Field(description="Primary Azure region (armRegionName, any case) for shared resources."),
    ]
    workloads: Annotated[
        StrTuple,
        Field(
            min_length=1,
            description=(
                "Workload files as paths or globs (*, **, ?) relative to this file, e.g. "
                "../examples/*.yaml. Every entry must match at least one file."
            ),
        ),
    ]
    gateway: Annotated[GatewaySpec, Field(description="API Management settings.")]
    observability: Annotated[
        ObservabilitySpec, Field(description="Log retention and where alerts go.")
    ] = ObservabilitySpec()
    limits: Annotated[LimitsSpec, Field(description="Environment-wide guardrails.")] = LimitsSpec()
    require_templates: Annotated[
        bool,
        Field(description="Every workload must instantiate an approved template (spec.template)."),
    ] = False
    tags: Annotated[
        dict[str, str],
        Field(default_factory=dict, description="Azure tags put on every resource of the stack."),
    ]
    kubernetes: Annotated[
        KubernetesSpec, Field(description="AKS settings for self-hosted workloads.")
    ] = KubernetesSpec()
    network: Annotated[NetworkSpec, Field(description="Network exposure.")] = NetworkSpec()
    hardware: Annotated[
        HardwareSpec,
        Field(
            description=(
                "GPUs and VM sizes every self-hosted workload of the environment may use; a "
                "workload's own hardware.allow replaces allow, its exclude adds to exclude."
            )
        ),
    ] = HardwareSpec()
    protect: Annotated[
        bool,
        Field(
            description=(
                "Protect what holds state or is slow to rebuild (clusters, API Management, "
                "Azure OpenAI accounts, logs) from deletion by Pulumi. Use true in production."
            )
        ),
    ] = False


class EnvironmentDocument(SpecModel):
    """An environment file, exactly as written."""

    model_config = ConfigDict(
        title="inferplan Environment",
        json_schema_extra={"description": "One deployment environment (a Pulumi stack)."},
    )

    api_version: Annotated[
        Literal["inferplan/v1"],
        Field(alias="apiVersion", description="Spec format version: inferplan/v1."),
    ]
    kind: Annotated[Literal["Environment"], Field(description="Document type: Environment.")]
    metadata: Annotated[Metadata, Field(description="Name (the stack name), owner and labels.")]
    spec: Annotated[EnvironmentSpec, Field(description="The environment itself.")]


@dataclass(frozen=True)
class Environment:
    """A validated environment. ``workload_files`` are its globs resolved, sorted, deduplicated."""

    metadata: Metadata
    spec: EnvironmentSpec
    workload_files: tuple[Path, ...]
    source: SourceRef

    @property
    def name(self) -> str:
        return self.metadata.name
