"""Turn a validated spec ``Workload`` (and its ``Environment``) into a ``SizingRequest``.

This is where the spec's defaults meet the environment's limits: regions left open become the
geography's regions (or every catalog region), then the environment's allowed regions narrow
them; the environment's location (eastus without an environment, the region with the widest
GPU and model offer) leads when the workload states no preference.
"""

from __future__ import annotations

from dataclasses import replace

from inferplan.inputs.environment import Environment, WorkingHoursSpec
from inferplan.inputs.workload import Workload
from inferplan.sizing.autoscaling import scaled_to_zero
from inferplan.sizing.catalog import Catalog
from inferplan.sizing.container_images import DEVICE_PLUGIN_IMAGE_ID, planned_image
from inferplan.sizing.gateway_placement import gateway_placements
from inferplan.sizing.kubernetes_versions import default_version, version_support
from inferplan.sizing.plan import (
    EnvironmentPlan,
    GatewaySettings,
    KubernetesSettings,
    ObservabilitySettings,
    Residency,
    WorkingHours,
    WorkloadPlan,
)
from inferplan.sizing.quota import environment_quota
from inferplan.sizing.request import SizingRequest

DEFAULT_LEAD_REGION = "eastus"  # leads an open region list when no environment says otherwise


def candidate_regions(
    workload: Workload, *, catalog: Catalog, environment: Environment | None = None
) -> tuple[str, ...]:
    residency = workload.spec.residency
    stated = tuple(residency.regions) if residency else ()
    geography = residency.geography if residency else None
    if stated:
        regions = stated
    else:
        pool = sorted(r.name for r in catalog.regions.values() if geography in (None, r.geography))
        lead = environment.spec.location if environment else DEFAULT_LEAD_REGION
        regions = tuple(([lead] if lead in pool else []) + [r for r in pool if r != lead])
    allowed = environment.spec.limits.allowed_regions if environment else None
    if allowed:
        regions = tuple(r for r in regions if r in allowed)
    return regions


def request_from_workload(
    workload: Workload, *, catalog: Catalog, environment: Environment | None = None
) -> SizingRequest:
    spec = workload.spec
    residency = spec.residency
    precisions = () if spec.precision == ("auto",) else tuple(spec.precision)
    return SizingRequest(
        name=workload.name,
        model=workload.model_id,
        precisions=precisions,
        deployment=spec.deployment,
        max_input_tokens=spec.context.max_input_tokens,
        max_output_tokens=spec.context.max_output_tokens,
        avg_input_tokens=spec.context.avg_input_tokens,
        avg_output_tokens=spec.context.avg_output_tokens,
        peak_concurrency=spec.traffic.peak_concurrency,
        peak_requests_per_minute=spec.traffic.peak_requests_per_minute,
        ttft_p95_ms=spec.slo.ttft_p95_ms,
        output_tokens_per_second_p50=spec.slo.output_tokens_per_second_p50,
        availability=spec.slo.availability,
        regions=candidate_regions(workload, catalog=catalog, environment=environment),
        geography=residency.geography if residency else None,
        strict_residency=residency.strict if residency else False,
        streaming=spec.streaming,
        max_tokens=spec.generation.max_tokens if spec.generation else None,
        max_monthly_usd=spec.cost.max_monthly_usd if spec.cost else None,
        average_to_peak_ratio=spec.traffic.average_to_peak_ratio,
        reservation=spec.cost.reservation if spec.cost else "none",
    )


def residency_of(
    workload: Workload, *, allowed_regions: tuple[str, ...], environment: Environment | None
) -> Residency:
    """The residency policies enforce: ``allowed_regions`` (what ``candidate_regions`` gave
    sizing) only when the workload or the environment constrains regions, else empty (any)."""
    residency = workload.spec.residency
    constrained = bool(residency and (residency.regions or residency.geography)) or bool(
        environment and environment.spec.limits.allowed_regions
    )
    return Residency(
        allowed_regions=tuple(allowed_regions) if constrained else (),
        geography=residency.geography if residency else None,
        strict=residency.strict if residency else False,
    )


def finish_workload_plan(
    plan: WorkloadPlan,
    workload: Workload,
    *,
    environment: Environment | None = None,
    allowed_regions: tuple[str, ...] = (),
) -> WorkloadPlan:
    """Add what the spec says beyond sizing: tags, task, the gateway's sampling defaults, the
    environment's scale-to-zero floor for GPU pools, and what policies check (residency with
    the ``allowed_regions`` sizing chose from, the cost cap, the template)."""
    spec = workload.spec
    generation = spec.generation
    gateway = plan.gateway
    if generation is not None:
        gateway = replace(
            gateway,
            temperature=generation.temperature,
            top_p=generation.top_p,
            frequency_penalty=generation.frequency_penalty,
            presence_penalty=generation.presence_penalty,
            stop=tuple(generation.stop),
        )
    tags = {"workload": workload.name}
    if workload.metadata.owner:
        tags["owner"] = workload.metadata.owner
    tags.update(workload.metadata.labels)
    aks = plan.aks
    reasons = plan.reasons
    cost = plan.cost
    if (
        aks is not None
        and environment is not None
        and environment.spec.kubernetes.gpu_scale_to_zero
        and cost is not None
    ):
        hours = environment.spec.kubernetes.working_hours
        share = weekly_hours(hours) / HOURS_PER_WEEK
        aks = scaled_to_zero(aks)
        cost = replace(
            cost,
            monthly_usd=cost.monthly_usd * share,
            hours_per_month=round(cost.hours_per_month * share, 1),
        )
        reasons = (
            *reasons,
            f"Environment {environment.name} runs self-hosted workloads {weekly_hours(hours):g} "
            f"h a week ({hours.days} {hours.start}-{hours.end} {hours.timezone}) and scales "
            f"them and their GPU nodes to zero outside: billed {cost.hours_per_month:g} of 730 "
            f"hours, ${cost.monthly_usd:,.0f}/month.",
        )
    chose_quantized = aks is not None and aks.precision in QUANTIZED
    if chose_quantized and workload.spec.precision == ("auto",):
        reasons = (
            *reasons,
            f"precision: auto chose {aks.precision} weights, the cheapest that meets the SLO; "
            "quantized weights can lose accuracy, so pin precision (e.g. [bf16, fp8]) where "
            "answer quality matters.",
        )
    return replace(
        plan,
        gateway=gateway,
        aks=aks,
        cost=cost,
        reasons=reasons,
        task=workload.model.task,
        tags=dict(sorted(tags.items())),
        residency=residency_of(workload, allowed_regions=allowed_regions, environment=environment),
        max_monthly_usd=spec.cost.max_monthly_usd if spec.cost else None,
        template=getattr(workload, "template", None),
    )


CRON_DAYS = {"mon-fri": "1-5", "mon-sat": "1-6", "every-day": "*"}
DAYS_PER_WEEK = {"mon-fri": 5, "mon-sat": 6, "every-day": 7}
HOURS_PER_WEEK = 168.0
QUANTIZED = ("int8", "int4")  # weight formats that trade accuracy for memory and cost


def weekly_hours(hours: WorkingHoursSpec) -> float:
    """Hours a week inside the working hours (an end before the start wraps past midnight)."""

    def minutes(hhmm: str) -> int:
        hour, minute = hhmm.split(":")
        return int(hour) * 60 + int(minute)

    span = (minutes(hours.end) - minutes(hours.start)) % (24 * 60) or 24 * 60
    return DAYS_PER_WEEK[hours.days] * span / 60.0


def working_hours(hours: WorkingHoursSpec) -> WorkingHours:
    """``07:00``-``19:00`` Mon-Fri -> ``0 7 * * 1-5`` and ``0 19 * * 1-5`` in the time zone."""

    def cron(hhmm: str) -> str:
        hour, minute = hhmm.split(":")
        return f"{int(minute)} {int(hour)} * * {CRON_DAYS[hours.days]}"

    return WorkingHours(hours.timezone, cron(hours.start), cron(hours.end))


TIERS_WITHOUT_SLA = ("Developer",)  # "doesn't offer SLA" [apim-sse.md section 3]


def environment_plan(
    environment: Environment, workloads: tuple[WorkloadPlan, ...], *, catalog: Catalog
) -> EnvironmentPlan:
    """The environment's shared settings and its planned cost against its cap."""
    spec = environment.spec
    kubernetes_version = spec.kubernetes.version or default_version(catalog)
    mine = [w for w in workloads if w.environment == environment.name]
    total = sum(w.cost.monthly_usd for w in mine if w.cost)
    cap = spec.limits.max_monthly_usd
    violations = []
    if cap is not None and total > cap:
        violations.append(f"planned ${total:,.0f}/month exceeds the environment cap of ${cap:,.0f}")
    if spec.gateway.tier == "Consumption" and any(w.gateway.streaming for w in mine):
        violations.append(
            "API Management Consumption tier cannot carry streaming (SSE) workloads reliably; "
            "choose Developer, Basic/BasicV2, Standard/StandardV2 or Premium"
        )
    tags = {"environment": environment.name, "managed-by": "inferplan", **spec.tags}
    geographies = {name: region.geography for name, region in catalog.regions.items()}
    used = {spec.location, *(r for w in mine for r in w.regions)}
    return EnvironmentPlan(
        name=environment.name,
        location=spec.location,
        monthly_usd=total,
        max_monthly_usd=cap,
        workloads=tuple(w.name for w in mine),
        violations=tuple(violations),
        gateway=GatewaySettings(
            tier=spec.gateway.tier,
            publisher_email=spec.gateway.publisher_email,
            publisher_name=spec.gateway.publisher_name,
            developer_portal=spec.gateway.developer_portal,
            sla=spec.gateway.tier not in TIERS_WITHOUT_SLA,
        ),
        kubernetes=KubernetesSettings(
            version=kubernetes_version,
            system_vm_size=spec.kubernetes.system_vm_size,
            system_node_count=spec.kubernetes.system_node_count,
            gpu_scale_to_zero=spec.kubernetes.gpu_scale_to_zero,
            sku_tier="Free" if spec.kubernetes.gpu_scale_to_zero else "Standard",
            working_hours=working_hours(spec.kubernetes.working_hours)
            if spec.kubernetes.gpu_scale_to_zero
            else None,
            version_support=version_support(version=kubernetes_version, catalog=catalog),
            api_server_authorized_ip_ranges=tuple(
                spec.network.api_server_authorized_ip_ranges or ()
            ),
            admin_group_object_id=spec.kubernetes.admin_group_object_id,
        ),
        observability=ObservabilitySettings(
            retention_days=spec.observability.retention_days,
            alert_email=spec.observability.alert_email,
        ),
        public_network_access=spec.network.public_network_access,
        protect=spec.protect,
        require_templates=spec.require_templates,
        tags=dict(sorted(tags.items())),
        allowed_regions=tuple(spec.limits.allowed_regions or ()),
        images=(planned_image(catalog, DEVICE_PLUGIN_IMAGE_ID),)
        if any(w.aks is not None for w in mine)
        else (),
        quota=environment_quota(mine, catalog=catalog),
        soft_deleted=spec.soft_deleted,
        gateways=gateway_placements(mine, location=spec.location, region_geographies=geographies),
        region_geographies={r: geographies[r] for r in sorted(used) if r in geographies},
    )
