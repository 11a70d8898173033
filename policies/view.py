"""What a policy rule sees: one resource as a small view, and a context derived from the Plan.

Rules are plain functions over these two types, so the same rule runs in-process over an offline
capture (``inferplan check``, ``inferplan.review.checks.evaluate``) and inside the Pulumi CLI's
policy pack (``pulumi preview --policy-pack policies``), where ``policies.pack`` builds the views
from pulumi_policy's arguments and the context from the pack's config.

The context is plain JSON-ready data (``context_to_data`` / ``context_from_data``): that is how
it travels to the CLI pack, written by ``inferplan check STACK --policy-config FILE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from sizing.plan import Plan, WorkloadPlan

Level = Literal["mandatory", "advisory", "disabled"]
LEVELS: tuple[Level, ...] = ("mandatory", "advisory", "disabled")

COMPUTED = "<computed>"  # a value only the cloud knows (same marker as inferplan.capture)
SECRET = "<secret>"  # {SECRET: value}: an input Pulumi keeps secret (same as inferplan.capture)


@dataclass(frozen=True)
class ResourceView:
    """One resource as the program registered it: type token, logical name, inputs with wire
    (camelCase) names, options (``ignoreChanges``, ``protect``, ...) and the parent's URN.

    ``secrets_marked`` says whether secret inputs still carry their ``{SECRET: value}`` wrapper
    (true for an offline capture; false in the Pulumi CLI, whose analyzer unwraps them).
    """

    type: str
    name: str
    inputs: Mapping[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    parent: str | None = None
    urn: str = ""
    secrets_marked: bool = True

    @property
    def key(self) -> str:
        """``type::name``: how findings name a resource (as ``inferplan preview`` does)."""
        return f"{self.type}::{self.name}"

    def get(self, path: str, default: Any = None) -> Any:
        """The input at a dotted path (``properties.disableLocalAuth``), or ``default``."""
        value: Any = self.inputs
        for part in path.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return default
            value = value[part]
        return value


@dataclass(frozen=True)
class PlannedDeployment:
    """One Azure OpenAI deployment the Plan makes for a workload, with the residency scope the
    catalog states for its deployment type."""

    region: str
    deployment_type: str
    residency_scope: str  # region | datazone | global


@dataclass(frozen=True)
class QuotaContext:
    """A quota the environment needs above (or without) a documented default."""

    kind: str
    region: str
    name: str
    needed: int
    unit: str
    default: int | None
    request: str


@dataclass(frozen=True)
class WorkloadContext:
    """What the rules need to know about one workload of the environment, from its Plan."""

    name: str
    target: str | None = None  # azure-openai | aks-vllm
    regions: tuple[str, ...] = ()  # where the plan put it
    allowed_regions: tuple[str, ...] = ()  # residency; empty: any region
    geography: str | None = None
    strict_residency: bool = False
    streaming: bool = True
    monthly_usd: float | None = None
    max_monthly_usd: float | None = None
    template: str | None = None
    tensor_parallel: int | None = None  # GPUs per vLLM replica
    timeout_s: int | None = None  # the gateway's backend timeout
    vllm_args: tuple[str, ...] = ()  # the Plan's vLLM flags, as the container must run them
    vm_sku: str | None = None  # the GPU pool's VM size
    pool_name: str | None = None  # the GPU pool's name (sizing.deploy.pool_names)
    gpu_instance_profile: str | None = None  # the pool's MIG profile (MIG1g ...), None: whole GPUs
    spot: bool = False  # the pool is an Azure Spot pool
    gpu_vendor: str = "nvidia"  # nvidia | amd (sizing.deploy.gpu_platform)
    hf_gated: bool | None = None  # its checkpoint needs a Hugging Face token
    hf_model: str | None = None  # the Hugging Face repository its replicas load
    hf_revision: str | None = None  # the commit they load; None: the catalog pins none
    weights_staged: bool = False  # copied from the environment's weights store (AksPlan.weights)
    openai_deployments: tuple[PlannedDeployment, ...] = ()
    gateway_location: str | None = None  # the region of the gateway that fronts it


@dataclass(frozen=True)
class PolicyContext:
    """The environment's guardrail settings and its workloads. An empty context (the CLI pack run
    without config) makes context-dependent checks skip instead of guessing."""

    environment: str = ""
    allowed_regions: tuple[str, ...] = ()  # limits.allowed_regions; empty: any region
    public_network_access: bool | None = None  # None: unknown, not checked
    monthly_usd: float | None = None
    max_monthly_usd: float | None = None
    require_templates: bool = False
    workloads: tuple[WorkloadContext, ...] = ()
    enforcement: Mapping[str, Level] = field(default_factory=dict)  # rule name -> level
    # Kubernetes version against AKS's calendar (sizing.deploy.kubernetes_versions), None: unknown.
    kubernetes_version: str | None = None
    kubernetes_status: str | None = None
    kubernetes_end_of_life: str | None = None
    kubernetes_lts_end_of_life: str | None = None
    kubernetes_newest_ga: str | None = None
    kubernetes_as_of: str | None = None
    system_node_count: int | None = None
    gateway_tier: str | None = None
    gateway_sla: bool | None = None
    developer_portal: bool | None = None
    protect: bool | None = None
    alert_email: bool | None = None  # alerts reach someone by e-mail
    soft_deleted: str | None = None
    quota: tuple[QuotaContext, ...] = ()
    region_geographies: Mapping[str, str] = field(default_factory=dict)
    # Credential sets the environment's registry needs for its cached images.
    required_credentials: tuple[str, ...] = ()
    # Pulumi config keys the stack sets (Pulumi.<stack>.yaml); None: not known (not checked).
    configured: tuple[str, ...] | None = None
    # Quota the stack records as granted (inferplan:quotaGranted): "<region>/<quota>" -> amount.
    quota_granted: Mapping[str, int] = field(default_factory=dict)
    # Shared GPU pools (packing): "<region>/<pool name>" -> GPUs per node.
    shared_pool_gpus: Mapping[str, int] = field(default_factory=dict)

    def workload(self, name: str | None) -> WorkloadContext | None:
        return next((w for w in self.workloads if w.name == name), None)

    @property
    def known(self) -> bool:
        """True when the context came from a Plan (not the empty default)."""
        return bool(self.environment)


def context_from_plan(
    plan: Plan,
    environment: str,
    *,
    enforcement: Mapping[str, Level] | None = None,
    configured: Iterable[str] | None = None,
) -> PolicyContext:
    """The context of ``environment``: its limits and every feasible workload it carries.
    ``configured``: the Pulumi config keys the stack sets, where known."""
    env = plan.environment(environment)
    gateway_of = {name: g.location for g in env.gateways for name in g.workloads}
    workloads = tuple(
        WorkloadContext(
            name=w.name,
            target=w.target,
            regions=tuple(w.regions),
            allowed_regions=tuple(w.residency.allowed_regions),
            geography=w.residency.geography,
            strict_residency=w.residency.strict,
            streaming=w.gateway.streaming,
            monthly_usd=w.cost.monthly_usd if w.cost else None,
            max_monthly_usd=w.max_monthly_usd,
            template=w.template,
            tensor_parallel=w.aks.tensor_parallel if w.aks else None,
            timeout_s=w.gateway.timeout_s,
            vllm_args=tuple(w.aks.vllm_args) if w.aks else (),
            vm_sku=w.aks.vm_sku if w.aks else None,
            pool_name=w.aks.pool_name if w.aks else None,
            gpu_instance_profile=w.aks.gpu_instance_profile if w.aks else None,
            spot=w.aks.spot if w.aks else False,
            gpu_vendor=w.aks.gpu_vendor if w.aks else "nvidia",
            hf_gated=w.aks.hf_gated if w.aks else None,
            hf_model=w.aks.hf_model if w.aks else None,
            hf_revision=w.aks.hf_revision if w.aks else None,
            weights_staged=w.aks is not None and w.aks.weights is not None,
            openai_deployments=_deployments(w),
            gateway_location=gateway_of.get(w.name),
        )
        for w in plan.workloads_of(environment)
    )
    kube = env.kubernetes
    support = kube.version_support if kube else None
    return PolicyContext(
        environment=env.name,
        allowed_regions=tuple(env.allowed_regions),
        public_network_access=env.public_network_access,
        monthly_usd=env.monthly_usd,
        max_monthly_usd=env.max_monthly_usd,
        require_templates=env.require_templates,
        workloads=workloads,
        enforcement=dict(enforcement or {}),
        kubernetes_version=kube.version if kube else None,
        kubernetes_status=support.status if support else None,
        kubernetes_end_of_life=support.end_of_life if support else None,
        kubernetes_lts_end_of_life=support.lts_end_of_life if support else None,
        kubernetes_newest_ga=support.newest_ga if support else None,
        kubernetes_as_of=support.as_of if support else None,
        system_node_count=kube.system_node_count if kube else None,
        gateway_tier=env.gateway.tier if env.gateway else None,
        gateway_sla=env.gateway.sla if env.gateway else None,
        developer_portal=env.gateway.developer_portal if env.gateway else None,
        protect=env.protect,
        alert_email=bool(env.observability and env.observability.alert_email),
        soft_deleted=env.soft_deleted,
        quota=tuple(
            QuotaContext(q.kind, q.region, q.name, q.needed, q.unit, q.default, q.request)
            for q in env.quota
            if q.exceeds_default
        ),
        region_geographies=dict(env.region_geographies),
        required_credentials=_credentials(plan, environment),
        configured=None if configured is None else tuple(sorted(configured)),
        shared_pool_gpus={f"{p.region}/{p.name}": p.gpus_per_node for p in env.packing},
    )


def _deployments(w: WorkloadPlan) -> tuple[PlannedDeployment, ...]:
    plan = w.azure_openai
    if plan is None or not w.regions:
        return ()
    primary = PlannedDeployment(w.regions[0], plan.deployment_type, plan.residency_scope)
    # A PTU's spillover deployment has the provisioned one's data processing level [spillover].
    spill = plan.spillover
    spillover = (
        (PlannedDeployment(w.regions[0], spill.deployment_type, plan.residency_scope),)
        if spill is not None
        else ()
    )
    return (
        primary,
        *spillover,
        *(PlannedDeployment(f.region, f.deployment_type, f.residency_scope) for f in plan.failover),
    )


def _credentials(plan: Plan, environment: str) -> tuple[str, ...]:
    env = plan.environment(environment)
    images = [w.aks.container_image for w in plan.workloads_of(environment) if w.aks]
    images += list(env.images) if images else []
    return tuple(sorted({i.credential for i in images if i.cached and i.credential}))


def context_to_data(ctx: PolicyContext) -> dict[str, Any]:
    """JSON-ready dict (tuples as lists); ``context_from_data`` reads it back."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, Mapping):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, WorkloadContext | PlannedDeployment | QuotaContext):
            return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
        return value

    return {f.name: plain(getattr(ctx, f.name)) for f in fields(ctx)}


def context_from_data(data: Mapping[str, Any] | None) -> PolicyContext:
    """The context from the pack config; unknown keys are ignored, missing ones default."""
    if not data:
        return PolicyContext()

    def tuples(value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    def workload(raw: Mapping[str, Any]) -> WorkloadContext:
        known = {f.name for f in fields(WorkloadContext)}
        values = {k: tuples(v) for k, v in dict(raw).items() if k in known}
        values["openai_deployments"] = tuple(
            PlannedDeployment(**d) for d in raw.get("openai_deployments") or ()
        )
        return WorkloadContext(**values)

    scalars = {
        f.name: tuples(data[f.name])
        for f in fields(PolicyContext)
        if f.name in data and f.name not in ("workloads", "quota", "enforcement")
    }
    if "configured" in data and data["configured"] is not None:
        scalars["configured"] = tuple(data["configured"])
    scalars["environment"] = str(data.get("environment") or "")
    scalars["require_templates"] = bool(data.get("require_templates", False))
    scalars["region_geographies"] = dict(data.get("region_geographies") or {})
    scalars["shared_pool_gpus"] = dict(data.get("shared_pool_gpus") or {})
    return PolicyContext(
        **scalars,
        workloads=tuple(workload(w) for w in data.get("workloads") or ()),
        quota=tuple(QuotaContext(**q) for q in data.get("quota") or ()),
        enforcement=dict(data.get("enforcement") or {}),
    )
