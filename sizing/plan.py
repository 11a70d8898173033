"""The Plan: the contract between sizing and infrastructure.

Plain, versioned data. Everything a component needs (SKU, GPU count, tensor-parallel size,
replicas, vLLM flags, gateway limits, alert thresholds) is decided here, so components map a
Plan onto resources and decide nothing. ``plan_to_data`` gives JSON-ready dicts whose key order
and float rounding are fixed: the same inputs give byte-identical output.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

PLAN_API_VERSION = "inferplan/v1"


@dataclass(frozen=True)
class Predicted:
    ttft_p95_ms: float | None  # None for offline (batch) work: nobody waits for a first token
    tps_per_request: float
    max_concurrency: int  # concurrent requests the whole deployment serves inside the SLO
    itl_ms: float | None = None
    concurrency_per_replica: int | None = None
    source: str = "estimator"  # "estimator" (roofline model) or "azure-openai-reference"


@dataclass(frozen=True)
class Cost:
    monthly_usd: float
    per_million_output_tokens_usd: float
    price_kind: str  # observed, observed-third-party, estimate (lowest confidence wins)
    hours_per_month: float = 730.0


@dataclass(frozen=True)
class AksPlan:
    vm_sku: str
    gpu: str
    gpus_per_replica: int
    tensor_parallel: int
    precision: str
    replicas: int  # across all regions
    replicas_per_node: int
    nodes: int  # across all regions
    zones: tuple[str, ...]  # availability zones the nodes of each region spread over
    vllm_args: tuple[str, ...]
    replicas_per_region: int = 0
    nodes_per_region: int = 0
    min_nodes_per_region: int = 0  # autoscaler floor (dev environments may lower it)
    max_nodes_per_region: int = 0  # autoscaler ceiling
    hf_model: str = ""
    max_model_len: int = 0
    max_num_seqs: int = 0
    gpu_memory_utilization: float = 0.9
    image: str = ""  # pinned vLLM OpenAI-compatible server image
    checkpoint_bytes: int = 0  # what each replica downloads (16-bit unless pre-quantized)
    vm_vcpus: int = 0  # the node's vCPUs, memory and GPUs: a replica's share of them
    vm_memory_bytes: int = 0
    vm_gpus: int = 0
    nodes_per_zone: int | None = None  # per region, when spread over zones
    # Offline work: replicas (and their nodes) run only inside this daily window.
    window: WorkingHours | None = None
    replicas_after_loss: int | None = None  # per region, after losing the spared node or zone
    expert_parallel: bool = False  # vLLM --enable-expert-parallel: experts whole on each GPU


@dataclass(frozen=True)
class AzureOpenAIPlan:
    model: str
    model_version: str
    deployment_type: str
    capacity: int
    capacity_unit: str  # ktpm | ptu
    failover: tuple[dict[str, Any], ...] = ()  # secondary deployments, in failover order


@dataclass(frozen=True)
class Gateway:
    max_tokens: int  # cap on a request's max_tokens (0 for embeddings: nothing to cap)
    tokens_per_minute: int  # per-subscription token limit at the gateway
    timeout_s: int  # backend timeout (forward-request)
    streaming: bool
    # Sampling defaults the gateway sets when a request leaves them out (None: model default).
    temperature: float | None = None
    top_p: float | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Alert:
    name: str
    metric: str
    threshold: float
    window: str  # ISO 8601 duration
    operator: str = "GreaterThan"
    severity: int = 2
    description: str = ""


@dataclass(frozen=True)
class Alternative:
    target: str
    summary: str
    monthly_usd: float | None
    reason: str
    kind: str = "runner-up"  # "runner-up" (meets everything, costs more) or a rejection kind


WarningKind = Literal[
    "cost-per-user",  # cost per concurrent user far above the other candidates or a threshold
    "small-replica",  # a replica that serves one or two requests
    "quota",  # quota needed above the catalog's documented default quota
    "gated-model",  # a gated model and no token configured
    "low-utilization",  # planned utilisation below a fifth of a node
    "retirement",  # a model version past or near its retirement date
    "streaming-timeout",  # a non-streaming response may outlast the idle-connection timeout
    "traffic",  # the stated rate and concurrency disagree
    "quantized",  # auto precision chose quantized weights
]


@dataclass(frozen=True)
class PlanWarning:
    """Something true about a feasible plan that a reviewer should see before deploying.

    ``kind`` is decided where the warning is raised; ``message`` is for people only.
    """

    kind: WarningKind
    message: str


# Fields JSON keeps as written: an availability of 99.999 % must not read as 100.
EXACT = {"exact": True}


@dataclass(frozen=True)
class Availability:
    """The availability asked for, the one the topology is planned for, and what it survives.

    ``planned`` below ``required`` only happens when the team accepted less
    (``slo.accept_availability``, kept in ``accepted``); otherwise the plan is infeasible.
    Percentages are written exactly (``EXACT``): 99.999 is not 100.
    """

    required: float = field(metadata=EXACT)  # percent
    planned: float = field(metadata=EXACT)  # percent
    topology: str = ""
    # Failure domains lost at peak without missing the SLO: region, zone, node.
    survives: tuple[str, ...] = ()
    accepted: float | None = field(default=None, metadata=EXACT)


@dataclass(frozen=True)
class Residency:
    """Where a workload's data may be processed, as the spec and the environment allow.

    ``allowed_regions`` is the list sizing chose from (the stated regions, or the geography's,
    narrowed by the environment's allowed regions); empty when nothing constrains the workload.
    Policies check every resource that serves the workload against it.
    """

    allowed_regions: tuple[str, ...] = ()
    geography: str | None = None
    strict: bool = False  # no Global or Data Zone types, and shared services in allowed regions


@dataclass(frozen=True)
class WorkloadPlan:
    name: str
    feasible: bool
    target: str | None  # azure-openai | aks-vllm; None when infeasible
    model: str
    regions: tuple[str, ...]
    predicted: Predicted | None
    cost: Cost | None
    reasons: tuple[str, ...]
    alternatives: tuple[Alternative, ...]
    gateway: Gateway
    alerts: tuple[Alert, ...]
    availability: Availability | None
    aks: AksPlan | None = None
    azure_openai: AzureOpenAIPlan | None = None
    infeasible_reason: str | None = None
    nearest_relaxation: str | None = None
    source: str = ""  # the workload file, for messages
    environment: str | None = None  # the environment (stack) planning it, if any
    task: str = "chat"  # chat | embedding: which API operations the gateway exposes
    tags: dict[str, str] = field(default_factory=dict)  # workload, owner and labels
    residency: Residency = field(default_factory=Residency)
    max_monthly_usd: float | None = None  # the workload's own cost cap (spec.cost)
    template: str | None = None  # the approved template it instantiates, as name@version
    warnings: tuple[PlanWarning, ...] = ()


@dataclass(frozen=True)
class GatewaySettings:
    tier: str  # API Management SKU name
    publisher_email: str
    publisher_name: str


@dataclass(frozen=True)
class WorkingHours:
    """When scale-to-zero workloads run, as cron expressions in a time zone."""

    timezone: str
    start_cron: str  # e.g. "0 7 * * 1-5"
    end_cron: str


@dataclass(frozen=True)
class KubernetesSettings:
    version: str
    system_vm_size: str
    system_node_count: int
    gpu_scale_to_zero: bool
    sku_tier: str = "Standard"  # AKS control plane: Standard (uptime SLA) or Free (dev)
    working_hours: WorkingHours | None = None  # set when GPU pools scale to zero


@dataclass(frozen=True)
class ObservabilitySettings:
    retention_days: int
    alert_email: str | None


@dataclass(frozen=True)
class EnvironmentPlan:
    """One environment (Pulumi stack): shared infrastructure settings and its cost against the
    cap. ``violations`` make the plan fail (exit 1)."""

    name: str
    location: str
    monthly_usd: float
    max_monthly_usd: float | None
    workloads: tuple[str, ...]
    violations: tuple[str, ...] = ()
    gateway: GatewaySettings | None = None
    kubernetes: KubernetesSettings | None = None
    observability: ObservabilitySettings | None = None
    public_network_access: bool = False
    protect: bool = False
    require_templates: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    allowed_regions: tuple[str, ...] = ()  # limits.allowed_regions; empty: any region


@dataclass(frozen=True)
class Plan:
    workloads: tuple[WorkloadPlan, ...]
    environments: tuple[EnvironmentPlan, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def feasible(self) -> bool:
        return all(w.feasible for w in self.workloads) and not any(
            e.violations for e in self.environments
        )

    @property
    def monthly_usd(self) -> float:
        return sum(w.cost.monthly_usd for w in self.workloads if w.cost)

    def environment(self, name: str) -> EnvironmentPlan:
        return next(e for e in self.environments if e.name == name)

    def workloads_of(self, environment: str) -> tuple[WorkloadPlan, ...]:
        return tuple(w for w in self.workloads if w.environment == environment)


def _round(value: float) -> float | int | None:
    if value != value or value in (float("inf"), float("-inf")):
        return None
    if value == int(value) and abs(value) < 1e15:
        return int(value)
    return round(value, 2 if abs(value) >= 1 else 4)


def to_data(obj: Any) -> Any:
    """Dataclasses to dicts (field order kept), tuples to lists, floats rounded (but for
    fields marked `EXACT`, such as percentages)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: getattr(obj, f.name)
            if f.metadata.get("exact")
            else to_data(getattr(obj, f.name))
            for f in fields(obj)
        }
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_data(v) for v in obj]
    if isinstance(obj, float):
        return _round(obj)
    return obj


def plan_to_data(plan: Plan) -> dict[str, Any]:
    return {
        "apiVersion": PLAN_API_VERSION,
        "kind": "Plan",
        "feasible": plan.feasible,
        "totals": {
            "monthly_usd": _round(plan.monthly_usd),
            "workloads": len(plan.workloads),
            "infeasible": sum(1 for w in plan.workloads if not w.feasible),
        },
        "environments": [to_data(e) for e in plan.environments],
        "workloads": [to_data(w) for w in plan.workloads],
    }
