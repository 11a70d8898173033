"""The ``kind: Environment`` spec: one Pulumi stack and the workloads it carries.

`EnvironmentDocument` is the YAML as written; `Environment` adds where it came from and the
workload files its globs resolved to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from inputs.field_types import (
    LIST_TO_TUPLE,
    MAX_MONTHLY_USD,
    ClockTime,
    Email,
    LowercaseStr,
    LowercaseStrTuple,
    NonEmptyStr,
    StrTuple,
    choice,
)
from inputs.network_ranges import range_problem
from inputs.workload import HardwareSpec, Metadata, SpecModel
from inputs.yaml_source import SourceRef

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

# Azure tags (Learn, "Use tags to organize your Azure resources", limitations): names up to 512
# characters, values up to 256, and names without < > % & \ ? /. Tags go on every resource, so
# one bad name fails the first resource Azure creates; validated here instead.
TAG_NAME_MAX = 512
TAG_VALUE_MAX = 256
TAG_NAME_FORBIDDEN = set("<>%&\\?/")
# AKS API server authorized IP ranges: at most 200 (Learn, api-server-authorized-ip-ranges.md).
MAX_AUTHORIZED_RANGES = 200
ENTRA_OBJECT_ID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _tags(value: dict[str, str]) -> dict[str, str]:
    for name, tag in value.items():
        if not name.strip():
            raise ValueError("a tag name must not be empty")
        if len(name) > TAG_NAME_MAX:
            raise ValueError(f"tag name {name[:20]!r}... is longer than {TAG_NAME_MAX} characters")
        bad = sorted(set(name) & TAG_NAME_FORBIDDEN)
        if bad:
            raise ValueError(
                f"tag name {name!r} contains {' '.join(bad)}; Azure tag names cannot contain "
                "< > % & \\ ? /"
            )
        if len(tag) > TAG_VALUE_MAX:
            raise ValueError(f"tag {name!r}: the value is longer than {TAG_VALUE_MAX} characters")
    return value


def _cidr(value: str) -> str:
    problem = range_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


AzureTags = Annotated[dict[str, str], AfterValidator(_tags)]
Cidr = Annotated[str, AfterValidator(_cidr)]
EntraObjectId = Annotated[str, StringConstraints(pattern=ENTRA_OBJECT_ID)]


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
    developer_portal: Annotated[
        bool,
        Field(
            description=(
                "Keep API Management's developer and legacy portals on (they publish the APIs' "
                "documentation and sign-up pages). Default off: the gateway serves API calls only."
            )
        ),
    ] = False


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


class SpotSpec(SpecModel):
    """Azure Spot GPU pools: evictable capacity at a discount, for dev and offline batch."""

    allowed: Annotated[
        bool,
        Field(
            description=(
                "Let the optimizer put self-hosted workloads on Azure Spot node pools when that "
                "is cheaper and their availability still holds with evictions counted."
            )
        ),
    ] = False
    min_availability: Annotated[
        float | None,
        Field(
            ge=90,
            le=99.999,
            description=(
                "The lowest availability in percent (90 to 99.999) a workload on spot may be "
                "planned for, whatever its own slo.availability; needs allowed: true. Left out: "
                "the workload's own figure."
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
        ClockTime,
        Field(description="Start, HH:MM (07:00)."),
    ] = "07:00"
    end: Annotated[
        ClockTime,
        Field(description="End, HH:MM (19:00)."),
    ] = "19:00"


class KubernetesSpec(SpecModel):
    """The AKS cluster that carries self-hosted workloads."""

    version: Annotated[
        str | None,
        Field(
            pattern=r"^[0-9]{1,3}\.[0-9]{1,3}(\.[0-9]{1,3})?$",
            description=(
                "Kubernetes version (e.g. 1.35); AKS picks the latest patch. Left out: the newest "
                "generally available minor in the AKS versions catalog on its date. `check` "
                "fails a version past AKS end of life or not yet generally available."
            ),
        ),
    ] = None
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
    admin_group_object_id: Annotated[
        EntraObjectId | None,
        Field(
            description=(
                "Object id of the Entra ID group granted 'Azure Kubernetes Service RBAC Cluster "
                "Admin' on every cluster (local accounts are off, so this role is the way in). "
                "Left out: the identity that runs pulumi up gets it."
            )
        ),
    ] = None
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
                "Services accept traffic from public networks (still behind Entra ID auth). "
                "false: Azure OpenAI, Key Vault, the container registry, Log Analytics and "
                "Application Insights only through private endpoints (Azure Monitor Private Link "
                "Scope), local auth off, and the AKS API server only from "
                "api_server_authorized_ip_ranges."
            )
        ),
    ] = False
    api_server_authorized_ip_ranges: Annotated[
        Annotated[tuple[Cidr, ...], LIST_TO_TUPLE] | None,
        Field(
            min_length=1,
            max_length=MAX_AUTHORIZED_RANGES,
            description=(
                "Public IPv4 ranges (CIDR) allowed to reach the AKS API servers: the egress of "
                "whatever runs pulumi up (CI runners, operators). At most 200. Documentation, "
                "private, reserved and 0.0.0.0/0 ranges are refused. The stack's Pulumi config "
                "inferplan:apiServerAuthorizedIpRanges (a list) takes precedence. Left out of "
                "both: any address, which `check` fails where public_network_access is false."
            ),
        ),
    ] = None


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
        AzureTags,
        Field(
            default_factory=dict,
            description=(
                "Azure tags put on every resource of the stack: names up to 512 characters "
                "without < > % & \\ ? /, values up to 256."
            ),
        ),
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
    spot: Annotated[
        SpotSpec,
        Field(
            description=(
                "Azure Spot GPU pools (off by default): evictions count against availability and "
                "batch deadlines, at the catalog's spot share of the pay-as-you-go price."
            )
        ),
    ] = SpotSpec()
    pricing: Annotated[
        Literal["on-demand", "reserved-1y", "reserved-3y", "savings-plan"],
        Field(
            description=(
                "What the environment pays for its GPU VMs: on-demand (pay-as-you-go, "
                "default), reserved-1y or reserved-3y (Azure Reserved VM Instances) or "
                "savings-plan (savings plan for compute). A commitment bills every hour of the "
                "month at the catalog's share of the pay-as-you-go price, so cost caps and the "
                "comparison with Azure OpenAI use it."
            )
        ),
    ] = "on-demand"
    protect: Annotated[
        bool,
        Field(
            description=(
                "Protect what holds state or is slow to rebuild (clusters, API Management, "
                "Azure OpenAI accounts, logs) from deletion by Pulumi. Use true in production."
            )
        ),
    ] = False
    soft_deleted: Annotated[
        Literal["purge", "restore"],
        Field(
            description=(
                "API Management services and Azure OpenAI accounts stay soft-deleted for 48 "
                "hours after a delete and keep their globally unique names. purge (default): "
                "before the next pulumi up, run the purge commands the stack exports as "
                "softDeletePurgeCommands (docs/infrastructure.md). restore: the next pulumi up "
                "undeletes them instead; set it back to purge once that up has run."
            )
        ),
    ] = "purge"


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
