"""Turn a validated spec ``Workload`` (and its ``Environment``) into a ``SizingRequest``.

This is where the spec's defaults meet the environment's limits: regions left open become the
geography's regions (or every catalog region), then the environment's allowed regions narrow
them; the environment's location (eastus without an environment, the region with the widest
GPU and model offer) leads when the workload states no preference.
"""

from __future__ import annotations

from collections.abc import Mapping

from inputs.environment import Environment
from inputs.workload import BatchSpec, Workload
from sizing.catalog import Catalog
from sizing.deploy.azure_limits import environment_limits
from sizing.deploy.container_images import (
    DEVICE_PLUGIN_IMAGE_ID,
    WEIGHTS_COPY_IMAGE_ID,
    planned_image,
)
from sizing.deploy.fixed_costs import environment_fixed_costs
from sizing.deploy.gateway_availability import gateway_link
from sizing.deploy.gateway_placement import gateway_placements
from sizing.deploy.kubernetes_versions import default_version, version_support
from sizing.deploy.node_pools import node_pools
from sizing.deploy.openai_accounts import openai_accounts
from sizing.deploy.packing import pack
from sizing.deploy.quota import environment_quota
from sizing.deploy.working_hours import batch_schedule, schedule_of, working_hours
from sizing.plan import (
    EnvironmentPlan,
    EnvironmentViolation,
    GatewaySettings,
    KubernetesSettings,
    ObservabilitySettings,
    WorkloadPlan,
)
from sizing.search.request import (
    DEFAULT_WARN_MONTHLY_USD_PER_USER,
    BatchTraffic,
    HardwareChoice,
    Sampling,
    SizingRequest,
    SpotChoice,
)

DEFAULT_LEAD_REGION = "eastus"  # leads an open region list when no environment says otherwise
# Offline work without an slo of its own: no person waits for a first token, and a failed
# window is retried the next day, so latency barely binds and one region suffices.
BATCH_TTFT_P95_MS = 60_000.0
BATCH_TOKENS_PER_S = 1.0
BATCH_AVAILABILITY = 99.0


def _batch(spec: BatchSpec | None) -> BatchTraffic | None:
    if spec is None:
        return None
    return BatchTraffic(
        spec.requests_per_day, spec.completion_window_hours, spec.start, spec.timezone
    )


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
    """Every fact the optimizer needs about ``workload`` in ``environment``, before it decides:
    the spec's figures, the regions it may use, the hours its environment bills, the cost cap,
    the tags and sampling defaults the plan carries."""
    spec = workload.spec
    residency = spec.residency
    generation = spec.generation
    env = environment.spec if environment else None
    precisions = () if spec.precision == ("auto",) else tuple(spec.precision)
    tags = {"workload": workload.name}
    if workload.metadata.owner:
        tags["owner"] = workload.metadata.owner
    tags.update(workload.metadata.labels)
    scale_to_zero = bool(env and env.kubernetes.gpu_scale_to_zero)
    schedule = schedule_of(env.kubernetes.working_hours if scale_to_zero else None)
    traffic, slo = spec.traffic, spec.slo
    batch = _batch(spec.traffic.batch)
    peak_concurrency = traffic.peak_concurrency or 1
    peak_rpm = traffic.peak_requests_per_minute
    ratio = traffic.average_to_peak_ratio
    ttft, tps, availability = slo.ttft_p95_ms, slo.output_tokens_per_second_p50, slo.availability
    ttft = next((t.ms for t in slo.ttft if t.percentile == 95), ttft)
    ttft_targets = tuple((t.percentile, t.ms) for t in slo.ttft if t.percentile != 95)
    itl_targets = tuple((t.percentile, t.ms) for t in slo.itl)
    if batch is not None:
        # Offline work as the interactive load that finishes it inside the window with its
        # headroom: the day's requests spread evenly over the sized hours.
        peak_rpm = batch.requests_per_day / (batch.sized_hours * 60.0)
        ratio = batch.sized_hours / 24.0  # the day's tokens are the day's work, no more
        schedule = batch_schedule(batch)
        if not workload.source.source_map.written(("spec", "slo")):
            ttft, tps, availability = BATCH_TTFT_P95_MS, BATCH_TOKENS_PER_S, BATCH_AVAILABILITY
    hardware = HardwareChoice(
        allow=(spec.hardware.allow if spec.hardware and spec.hardware.allow else ())
        or (env.hardware.allow if env else ()),
        exclude=tuple(
            dict.fromkeys(
                [
                    *(env.hardware.exclude if env else ()),
                    *(spec.hardware.exclude if spec.hardware else ()),
                ]
            )
        ),
        share_nodes=not (
            (env is not None and env.hardware.share_nodes is False)
            or (spec.hardware is not None and spec.hardware.share_nodes is False)
        ),
    )
    return SizingRequest(
        name=workload.name,
        model=workload.model_id,
        precisions=precisions,
        deployment=spec.deployment,
        max_input_tokens=spec.context.max_input_tokens,
        max_output_tokens=spec.context.max_output_tokens,
        avg_input_tokens=spec.context.avg_input_tokens,
        avg_output_tokens=spec.context.avg_output_tokens,
        peak_concurrency=peak_concurrency,
        peak_requests_per_minute=peak_rpm,
        ttft_p95_ms=ttft,
        output_tokens_per_second_p50=tps,
        ttft_targets=ttft_targets,
        itl_targets=itl_targets,
        availability=availability,
        regions=candidate_regions(workload, catalog=catalog, environment=environment),
        geography=residency.geography if residency else None,
        strict_residency=residency.strict if residency else False,
        streaming=spec.streaming,
        max_tokens=generation.max_tokens if generation else None,
        max_monthly_usd=spec.cost.max_monthly_usd if spec.cost else None,
        average_to_peak_ratio=ratio,
        steady_share=traffic.steady_share,
        reservation=spec.cost.reservation if spec.cost else "none",
        reasoning_tokens=spec.context.reasoning_tokens,
        accept_availability=slo.accept_availability,
        batch=batch,
        hardware=hardware,
        schedule=schedule,
        pricing=env.pricing if env else "on-demand",
        spot=SpotChoice(env.spot.allowed, env.spot.min_availability) if env else SpotChoice(),
        warn_monthly_usd_per_user=(env.limits.warn_monthly_usd_per_user if env else None)
        or DEFAULT_WARN_MONTHLY_USD_PER_USER,
        source=workload.source.file,
        environment=environment.name if environment else None,
        tags=tuple(sorted(tags.items())),
        sampling=Sampling(
            temperature=generation.temperature,
            top_p=generation.top_p,
            frequency_penalty=generation.frequency_penalty,
            presence_penalty=generation.presence_penalty,
            stop=tuple(generation.stop),
        )
        if generation
        else Sampling(),
        template=workload.template,
        residency_constrained=bool(residency and (residency.regions or residency.geography))
        or bool(env and env.limits.allowed_regions),
        precision_auto=spec.precision == ("auto",),
        gateway=gateway_link(env.gateway.tier) if env else None,
    )


TIERS_WITHOUT_SLA = ("Developer",)  # "doesn't offer SLA" [apim-sse.md section 3]


def environment_plan(
    environment: Environment,
    workloads: tuple[WorkloadPlan, ...],
    *,
    catalog: Catalog,
    hardware: Mapping[str, HardwareChoice] | None = None,
) -> EnvironmentPlan:
    """The environment's shared settings, its shared GPU pools (``hardware``: each workload's
    hardware choice, by name; None packs nothing) and its planned cost against its cap."""
    spec = environment.spec
    kubernetes_version = spec.kubernetes.version or default_version(catalog)
    mine = [w for w in workloads if w.environment == environment.name]
    geographies = {name: region.geography for name, region in catalog.regions.items()}
    gateways = gateway_placements(mine, location=spec.location, region_geographies=geographies)
    fixed = environment_fixed_costs(
        workloads=mine,
        gateways=gateways,
        gateway_tier=spec.gateway.tier,
        aks_tier="Free" if spec.kubernetes.gpu_scale_to_zero else "Standard",
        system_vm_size=spec.kubernetes.system_vm_size,
        system_node_count=spec.kubernetes.system_node_count,
        private=not spec.network.public_network_access,
        catalog=catalog,
    )
    workloads_total = sum(w.cost.monthly_usd for w in mine if w.cost)
    fixed_total = sum(c.monthly_usd for c in fixed if c.monthly_usd is not None)
    packing = pack(
        mine,
        catalog=catalog,
        hardware=hardware or {},
        pricing=spec.pricing,
        enabled=hardware is not None and spec.hardware.share_nodes is not False,
    )
    saving = sum(p.saving_monthly_usd for p in packing.pools)
    total = workloads_total - saving + fixed_total
    cap = spec.limits.max_monthly_usd
    violations: list[EnvironmentViolation] = []
    if cap is not None and total > cap:
        violations.append(
            EnvironmentViolation(
                "cost-cap",
                f"planned ${total:,.0f}/month (workloads ${workloads_total:,.0f}"
                + (f" - shared GPU pools ${saving:,.0f}" if saving else "")
                + f" + shared infrastructure ${fixed_total:,.0f}) exceeds the environment cap "
                f"of ${cap:,.0f}",
                planned=total,
                limit=cap,
            )
        )
    if spec.gateway.tier == "Consumption" and any(w.gateway.streaming for w in mine):
        violations.append(
            EnvironmentViolation(
                "gateway-streaming",
                "API Management Consumption tier cannot carry streaming (SSE) workloads "
                "reliably; choose Developer, Basic/BasicV2, Standard/StandardV2 or Premium",
            )
        )
    pools = node_pools(mine, packing.pools)
    accounts = openai_accounts(mine)
    violations += environment_limits(pools)  # shared GPU pools within AKS's limits
    tags = {"environment": environment.name, "managed-by": "inferplan", **spec.tags}
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
        images=(
            (planned_image(catalog, DEVICE_PLUGIN_IMAGE_ID),)
            if any(w.aks is not None for w in mine)
            else ()
        )
        # Staged weights are copied with the Azure CLI image, from the registry too.
        + (
            (planned_image(catalog, WEIGHTS_COPY_IMAGE_ID),)
            if any(w.aks is not None and w.aks.weights is not None for w in mine)
            else ()
        ),
        quota=environment_quota(pools, accounts, catalog=catalog),
        soft_deleted=spec.soft_deleted,
        gateways=gateways,
        region_geographies={r: geographies[r] for r in sorted(used) if r in geographies},
        workloads_monthly_usd=workloads_total,
        fixed_costs=fixed,
        node_pools=pools,
        openai_accounts=accounts,
        packing=packing.pools,
        packing_declined=packing.declined,
    )
