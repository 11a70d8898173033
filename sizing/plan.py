"""The Plan: the contract between sizing and infrastructure.

Plain, versioned data. Everything a component needs (SKU, GPU count, tensor-parallel size,
replicas, vLLM flags, gateway limits, alert thresholds) is decided here, so components map a
Plan onto resources and decide nothing. ``plan_to_data`` gives JSON-ready dicts whose key order
and float rounding are fixed: the same inputs give byte-identical output.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

from sizing.search.decisions import MayBeRejected, Rejection

PLAN_API_VERSION = "inferplan/v1"


@dataclass(frozen=True)
class Simulated:
    """One replica at its planned concurrency, simulated request by request (plan --simulate);
    latencies in milliseconds."""

    requests: int
    seed: int
    ttft_p95_ms: float
    ttft_p99_ms: float
    itl_p95_ms: float
    itl_p99_ms: float
    tps_per_request_p50: float
    busy_share: float  # share of the time the replica runs steps
    budget_share: float  # tokens per step / max_num_batched_tokens
    peak_kv_share: float  # most KV cache in use / capacity
    preemptions: int


CorrectionStatus = Literal[
    "applied",  # measured at this very layout (model x VM size x precision x engine x TP)
    "applied-untested-layout",  # measured at another TP; meeting the SLO or not is unchanged
    "withheld-flips-feasibility",  # measured at another TP and would flip meeting the SLO
]


@dataclass(frozen=True)
class CorrectionUse:
    """A measured correction (``kind: measured_corrections``, written by ``inferplan
    calibrate``) whose scope covers a candidate, and what sizing did with it."""

    id: str
    status: CorrectionStatus
    step_time_ratio: float  # multiplies the fitted vLLM step time
    measured_tensor_parallel: int
    measurements: tuple[str, ...]  # the measurement files it was fitted on
    concurrency_uncorrected: int  # per replica, inside the SLO, without the correction
    concurrency_corrected: int  # the same with it

    @property
    def applied(self) -> bool:
        return self.status != "withheld-flips-feasibility"


@dataclass(frozen=True)
class PercentilePrediction:
    """One percentile target the workload states (slo.ttft, slo.itl) and its prediction."""

    metric: Literal["ttft", "itl"]
    percentile: int
    predicted_ms: float
    target_ms: float


TpsBasis = Literal["modelled", "ptu-latency-floor", "priority-latency-target", "working-figure"]


@dataclass(frozen=True)
class Predicted:
    ttft_p95_ms: float | None  # None for offline (batch) work: nobody waits for a first token
    tps_per_request: float
    max_concurrency: int  # concurrent requests the whole deployment serves inside the SLO
    itl_ms: float | None = None
    concurrency_per_replica: int | None = None
    source: str = "estimator"  # "estimator" (roofline model) or "azure-openai-reference"
    # What stops one replica from serving one more request inside the SLO: ttft, itl,
    # kv-memory or max-num-seqs (self-hosted plans only).
    binding_constraint: str | None = None
    arrival: str | None = None  # the arrival process the prediction assumes (poisson)
    length_mix: str | None = None  # the request lengths it assumes
    # How the figures were obtained: "estimate" (the fast load model), "simulated" (sized on
    # the planning-time simulation, which was worse), "bound" or "measured".
    provenance: str = "estimate"
    percentiles: tuple[PercentilePrediction, ...] = ()  # slo.ttft and slo.itl, predicted
    simulated: Simulated | None = None  # plan --simulate only
    correction: CorrectionUse | None = None  # a measured correction in scope (plan --catalog)
    # What tps_per_request is: "modelled" (the self-hosted performance model),
    # "ptu-latency-floor" (Microsoft's latency target for provisioned deployments: a minimum,
    # not a typical speed), "priority-latency-target" (priority processing's "99% above"
    # target, also a minimum) or "working-figure" (token-billed types: no published speed; the
    # catalog's figure, often that same floor). See docs/azure-openai-sizing.md.
    tps_basis: TpsBasis = "modelled"
    # The model's provisioned (PTU) latency floor, shown beside a token-billed working figure.
    ptu_latency_floor_tps: float | None = None


@dataclass(frozen=True)
class Cost:
    monthly_usd: float
    per_million_output_tokens_usd: float
    price_kind: str  # observed, observed-third-party, estimate (lowest confidence wins)
    hours_per_month: float = 730.0


# How an image reaches the environment's registry: an artifact cache rule, or a one-off import.
ImageSupply = Literal["cache-rule", "import"]


@dataclass(frozen=True)
class ContainerImage:
    """A container image the environment runs, as the images catalog pins it.

    Nodes pull every image from the environment's container registry, never from its upstream:
    ``cached``: an artifact cache rule mirrors it (its upstream is one Azure Container
    Registry's artifact cache supports, with the credential set it needs); otherwise it is
    imported once per version (``az acr import``, an Azure Resource Manager operation that
    no Pulumi resource performs) before the first pull, ``import_command``.
    ``credential``: the upstream needs a credential set (Docker Hub accepts authenticated
    cache pulls only), named after the upstream.
    ``digest``: the manifest digest read from the registry; None while the catalog has none,
    and ``check`` gates that in production (rule ``image-digest``).
    """

    id: str  # catalog id: vllm-openai, nvidia-device-plugin
    upstream_registry: str  # docker.io, nvcr.io
    repository: str  # vllm/vllm-openai
    tag: str  # v0.11.0
    digest: str | None  # sha256:... when the catalog records one
    cached: bool
    credential: str | None  # credential set name for the upstream, None: anonymous

    @property
    def upstream_reference(self) -> str:
        pin = f"@{self.digest}" if self.digest else ""
        return f"{self.upstream_registry}/{self.repository}:{self.tag}{pin}"

    @property
    def supply(self) -> ImageSupply:
        """How the image reaches the environment's registry."""
        return "cache-rule" if self.cached else "import"

    def reference_in(self, login_server: str) -> str:
        """The reference a node pulls: always the environment's registry, by digest when known."""
        pin = f"@{self.digest}" if self.digest else ""
        return f"{login_server}/{self.repository}:{self.tag}{pin}"

    def import_command(self, registry_name: str) -> str:
        """The one-off ``az acr import`` that copies the image into the registry (every
        architecture of a multi-architecture tag); by digest when the catalog pins one."""
        pin = f"@{self.digest}" if self.digest else f":{self.tag}"
        return (
            f"az acr import --name {registry_name} "
            f"--source {self.upstream_registry}/{self.repository}{pin} "
            f"--image {self.repository}:{self.tag}"
        )


@dataclass(frozen=True)
class ReplicaResources:
    """CPU, memory and scratch space of one vLLM replica (sizing/deploy/serving_resources.py)."""

    cpu_request_cores: int
    cpu_limit_cores: int
    memory_bytes: int  # request = limit: no memory overcommit on a GPU node
    shm_bytes: int  # memory-backed /dev/shm, inside the memory limit
    tmp_bytes: int  # /tmp and $HOME: compile and JIT caches
    model_cache_bytes: int  # the downloaded checkpoint with room to spare


@dataclass(frozen=True)
class StartupBudget:
    """How long a cold replica may take to serve, and the probe that waits for it."""

    image_pull_s: int
    download_s: int
    load_s: int
    compile_s: int
    budget_s: int  # the sum: pull + download + load + compile
    probe_period_s: int
    failure_threshold: int  # ceil(budget_s / probe_period_s)
    progress_deadline_s: int  # the Deployment's progressDeadlineSeconds


@dataclass(frozen=True)
class WeightsStaging:
    """Where a pinned checkpoint is staged once and where replicas copy it from
    (sizing/deploy/model_weights.py): the environment's ``models`` container, under
    ``blob_prefix``, by the Job ``job_name`` (new per repository and revision), into
    ``local_dir``, which vLLM's ``--model`` names."""

    repository: str
    revision: str
    blob_prefix: str  # <repository>/<revision>/ inside the models container
    local_dir: str  # the pod's copy, what --model points at
    job_name: str  # stage-<hash of repository and revision>


@dataclass(frozen=True)
class OffHoursAnswer:
    """What the gateway answers while a scale-to-zero workload has no replica, instead of
    waiting out its backend timeout: 503 with Retry-After. Outside the working hours the
    Retry-After is the time until they start (the replicas were started a start-up budget
    earlier); inside them, when no replica answers, the start-up budget of a cold replica."""

    timezone: str  # IANA
    weekdays: tuple[int, ...]  # the days the working hours start on, 1 Monday ... 7 Sunday
    start_minute: int  # the working hours' start, minutes after local midnight
    span_minutes: int  # how long they last (an end before the start wraps past midnight)
    startup_s: int  # a cold replica's start-up budget (StartupBudget.budget_s)
    description: str  # "mon-fri 07:00-19:00 Europe/Stockholm", for the gateway's messages


@dataclass(frozen=True)
class Autoscaling:
    """KEDA's bounds and target for one workload in one region (sizing/deploy/autoscaling.py)."""

    min_replicas: int  # 0 where the environment scales GPU pools to zero
    max_replicas: int  # what the node pool's autoscaler ceiling holds
    fallback_replicas: int  # what KEDA keeps when its query fails: the planned replicas
    queue_depth_target: float  # waiting requests per replica worth one more replica
    working_hours_replicas: int | None  # held by a cron trigger when min_replicas is 0
    # That trigger's hours: the environment's, started early by the start-up budget.
    wake_hours: WorkingHours | None = None
    # The gateway's answer while there is no replica (scale-to-zero with working hours).
    off_hours: OffHoursAnswer | None = None


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
    replicas_per_region: int
    nodes_per_region: int
    min_nodes_per_region: int  # autoscaler floor (dev environments may lower it)
    max_nodes_per_region: int  # autoscaler ceiling
    hf_model: str
    max_model_len: int
    max_num_seqs: int
    gpu_memory_utilization: float
    image: str  # pinned vLLM OpenAI-compatible server image, upstream reference
    checkpoint_bytes: int  # what each replica downloads (pre-quantized where published)
    vm_vcpus: int  # the node's vCPUs, memory and GPUs: a replica's share of them
    vm_memory_bytes: int
    vm_gpus: int
    port: int  # vLLM's --port
    pool_name: str  # the AKS agent pool of vm_sku (sizing/deploy/pool_names.py)
    container_image: ContainerImage
    resources: ReplicaResources
    startup: StartupBudget
    autoscaling: Autoscaling
    os_disk_size_gb: int  # node OS disk: the image, every replica's checkpoint and scratch
    hf_gated: bool | None  # the Hugging Face repository is gated (None: not known either way)
    nodes_per_zone: int | None = None  # per region, when spread over zones
    # Offline work: replicas (and their nodes) run only inside this daily window.
    window: WorkingHours | None = None
    replicas_after_loss: int | None = None  # per region, after losing the spared node or zone
    expert_parallel: bool = False  # vLLM --enable-expert-parallel: experts whole on each GPU
    # The commit of hf_model replicas load (vllm --revision); None: the catalog pins none yet.
    hf_revision: str | None = None
    # Staged in the environment's weights store (only where a revision is pinned); None: each
    # replica downloads from Hugging Face.
    weights: WeightsStaging | None = None
    # Per region: replicas the peak needs, and the peak with its headroom (before whole nodes
    # and spares round them up); packing re-spreads from these (sizing/deploy/packing.py).
    replicas_for_peak: int = 0
    replicas_for_headroom: int = 0
    # MIG: the pool's gpuInstanceProfile (MIG1g ...) and NVIDIA's name of one instance
    # (1g.10gb); each replica holds one instance, advertised as nvidia.com/gpu (single strategy)
    gpu_instance_profile: str | None = None
    mig_instance: str | None = None
    gpu_vendor: str = "nvidia"  # sizing/deploy/gpu_platform.py: nvidia or amd
    spot: bool = False  # on an Azure Spot pool (evictable; the environment's spot opt-in)

    def configuration(self) -> str:
        """What runs, in one line: ``2x (1x h100-nvl fp8) on 2x Standard_NC40ads_H100_v5``, with
        the MIG instance of a MIG pool and ``spot`` for a spot pool."""
        slot = f"{self.tensor_parallel}x {self.gpu}"
        if self.mig_instance is not None:
            slot = f"{slot} MIG {self.mig_instance}"
        where = f"{self.nodes}x {self.vm_sku}" + (" (spot)" if self.spot else "")
        return f"{self.replicas}x ({slot} {self.precision}) on {where}"


@dataclass(frozen=True)
class AzureOpenAIFailover:
    """A secondary Azure OpenAI deployment, in failover order."""

    region: str
    deployment_type: str
    capacity: int
    capacity_unit: str  # ktpm | ptu
    residency_scope: str  # region | datazone | global, from the catalog's deployment type


ServiceTier = Literal["default", "priority"]


@dataclass(frozen=True)
class AzureOpenAISpillover:
    """The Standard deployment a provisioned one spills to (``spilloverDeploymentName``), in
    the same account and of the same data processing level, and what the plan assumed."""

    deployment_type: str  # GlobalStandard for GlobalProvisionedManaged, DataZoneStandard ...
    capacity: int  # kTPM, for the peak of what spills
    capacity_unit: str  # ktpm
    steady_share: float  # the load's floor as a share of the peak (stated or assumed)
    steady_share_stated: bool  # traffic.steady_share was given
    provisioned_share: float  # share of the peak rate the PTUs carry
    spill_token_share: float  # expected share of the month's tokens served by the spillover


# A deployment's versionUpgradeOption (Microsoft.CognitiveServices deployments): Learn, "Working
# with Azure OpenAI models": OnceCurrentVersionExpired upgrades the deployment to the default
# version when its version is retired; NoAutoUpgrade stops working at retirement; automatic
# updates exist for Standard (token-billed) deployment types only.
VersionUpgrade = Literal[
    "OnceNewDefaultVersionAvailable", "OnceCurrentVersionExpired", "NoAutoUpgrade"
]


@dataclass(frozen=True)
class AzureOpenAIPlan:
    model: str
    model_version: str
    deployment_type: str
    capacity: int
    capacity_unit: str  # ktpm | ptu
    failover: tuple[AzureOpenAIFailover, ...]  # secondary deployments, in failover order
    residency_scope: str  # region | datazone | global: where the type processes data (catalog)
    latency_metrics: bool  # Azure Monitor publishes TimeToResponse for this deployment type
    # The primary deployment's upgrade policy (`lifecycle.upgrade_policy`); failover deployments
    # are token-billed and get OnceCurrentVersionExpired.
    version_upgrade: VersionUpgrade = "OnceCurrentVersionExpired"
    # The deployment's properties.model.format: OpenAI, or the publisher of another Foundry Model
    # sold by Azure (Meta, DeepSeek, ...), which only a Foundry (kind AIServices) account serves.
    model_format: str = "OpenAI"
    # Priority processing: the gateway sends service_tier "priority" with every request.
    service_tier: ServiceTier = "default"
    spillover: AzureOpenAISpillover | None = None  # PTU + spillover: the overflow deployment
    # The data-plane api-version the gateway pins when the default one lacks a setting the plan
    # needs (service_tier: the catalog's priority_processing.request_api_version).
    request_api_version: str | None = None

    def configuration(self) -> str:
        """One line: type and capacity, the priority tier or the spillover, model version."""
        text = f"{self.deployment_type} {self.capacity} {self.capacity_unit}"
        if self.service_tier != "default":
            text += f" {self.service_tier} processing"
        if self.spillover is not None:
            s = self.spillover
            text += f" + {s.deployment_type} {s.capacity} {s.capacity_unit} spillover"
        return f"{text} ({self.model} {self.model_version})"


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
class CircuitBreaker:
    """A pool member's breaker: it trips only on a run of failures, not on one 429."""

    failure_count: int  # failures within interval_s that trip it
    interval_s: int
    trip_duration_s: int  # how long the member is out (or the backend's Retry-After)
    status_code_ranges: tuple[tuple[int, int], ...]
    accept_retry_after: bool


@dataclass(frozen=True)
class BackendRetry:
    """What the gateway retries before the first byte streams
    (sizing/deploy/gateway_resilience.py)."""

    count: int
    status_codes: tuple[int, ...]
    max_retry_after_s: int  # waits out a Retry-After up to this many seconds, else answers
    failover: bool  # retries go to the pool's next member (a tripped breaker moves them)


@dataclass(frozen=True)
class GatewayBackends:
    """How the gateway treats one workload's backends: breakers only where a pool has another
    member to fail over to; a single backend gets retries that honour Retry-After instead."""

    circuit_breaker: CircuitBreaker | None
    retry: BackendRetry


AlertSource = Literal[
    "prometheus",  # vLLM's own series in the Azure Monitor workspace (PromQL rule group)
    "azure-monitor-metric",  # an Azure OpenAI account's platform metric (metric alert)
    "log-query",  # the gateway's ApiManagementGatewayLogs (log search alert)
]
AlertStatistic = Literal[
    "percentile",  # the ``quantile`` of a histogram or log column over the window
    "maximum",  # the largest value of a gauge across the workload's replicas
    "average",  # the platform metric's average over the window
    "share",  # the share of the requests that match ``requests``
]
AlertOperator = Literal[
    "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual", "Equals"
]


@dataclass(frozen=True)
class StatusFilter:
    """The requests a ``share`` alert counts: status codes ``first_code``..``last_code``, named
    as the API Management metric dimension that carries them (``GatewayResponseCode`` 429,
    ``GatewayResponseCodeCategory`` 5xx, written in ``value`` as that dimension writes it)."""

    dimension: Literal[
        "GatewayResponseCode",
        "GatewayResponseCodeCategory",
        "BackendResponseCode",
        "BackendResponseCodeCategory",
    ]
    value: str  # 429, 5xx
    first_code: int
    last_code: int


@dataclass(frozen=True)
class Alert:
    """One SLO alert: which signal, which statistic of it over ``window_s``, against which
    threshold. Components map each source onto its Azure Monitor resource without parsing."""

    name: str
    source: AlertSource
    metric: str  # vllm:time_to_first_token_seconds, TimeToResponse, Requests, BackendTime
    statistic: AlertStatistic
    threshold: float
    window_s: int  # the window the statistic covers, and how long it must be broken
    quantile: float | None = None  # statistic "percentile": 0.95 for the p95
    requests: StatusFilter | None = None  # statistic "share": the requests it counts
    operator: AlertOperator = "GreaterThan"
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
    "simulation",  # the planning-time simulation missed the SLO: sized on it instead
    "percentile-slo",  # percentile targets the chosen offer cannot predict (Azure OpenAI)
    "correction-withheld",  # a measured correction would flip an untested layout's feasibility
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
class CandidateFigures:
    """What a candidate is predicted to deliver, for ``plan --candidates``, ``report`` and
    relaxations."""

    ttft_p95_ms: float | None = None  # at the planned load (a lone request when none fits)
    itl_ms: float | None = None
    tps_per_request: float | None = None
    concurrency_per_replica: int | None = None
    replicas: int | None = None
    nodes: int | None = None
    gpus: int | None = None
    capacity: int | None = None  # Azure OpenAI kTPM or PTU
    capacity_unit: str | None = None
    regions: tuple[str, ...] = ()
    planned_availability: float | None = None


@dataclass(frozen=True)
class Candidate(MayBeRejected):
    """One configuration the search considered, where its one ranking put it.

    The search ranks every candidate once (``sizing.search.optimizer``) and the plan keeps them
    all, so ``plan --candidates``, ``report`` and ``diff`` read them from the plan instead of
    searching again.
    """

    rank: int  # 1 = ranked first: cheapest, then region preference, data scope, name
    chosen: bool  # the first feasible one; none is chosen when nothing is feasible
    target: str
    summary: str
    monthly_usd: float  # inf: no finite cost (did not fit, not placeable)
    rejections: tuple[Rejection, ...]
    figures: CandidateFigures = CandidateFigures()


# Fields the plan holds for the commands that read the plan in process, but that its JSON leaves
# out: every candidate of the examples would make the plan JSON about six times longer, and
# ``plan --candidates --format json|csv`` already writes them.
NOT_IN_DATA = {"data": False}


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
    gateway_backends: GatewayBackends | None = None  # None when infeasible
    # Every candidate the search considered, best-ranked first (not in the plan's JSON).
    candidates: tuple[Candidate, ...] = field(default=(), metadata=NOT_IN_DATA)


@dataclass(frozen=True)
class GatewaySettings:
    tier: str  # API Management SKU name
    publisher_email: str
    publisher_name: str
    developer_portal: bool = False  # developer and legacy portals on (gateway.developer_portal)
    sla: bool = True  # the tier has an SLA (Developer has none)


@dataclass(frozen=True)
class WorkingHours:
    """When scale-to-zero workloads run, as cron expressions in a time zone."""

    timezone: str
    start_cron: str  # e.g. "0 7 * * 1-5"
    end_cron: str


@dataclass(frozen=True)
class KubernetesVersionSupport:
    """Where the cluster's Kubernetes minor stands in AKS's calendar on the catalog's date
    (sizing/deploy/kubernetes_versions.py). ``status``: supported (community support), lts (past
    community support, inside long-term support, which needs the Premium tier), end-of-life,
    not-ga (not generally available yet) or unknown (not in the catalog)."""

    minor: str
    status: Literal["supported", "lts", "end-of-life", "not-ga", "unknown"]
    as_of: str  # the catalog's date the status is judged on
    end_of_life: str | None
    lts_end_of_life: str | None
    newest_ga: str  # the newest generally available minor on that date
    source: str


@dataclass(frozen=True)
class KubernetesSettings:
    version: str
    system_vm_size: str
    system_node_count: int
    gpu_scale_to_zero: bool
    sku_tier: str = "Standard"  # AKS control plane: Standard (uptime SLA) or Free (dev)
    working_hours: WorkingHours | None = None  # set when GPU pools scale to zero
    version_support: KubernetesVersionSupport | None = None  # None: no catalog consulted
    api_server_authorized_ip_ranges: tuple[str, ...] = ()  # empty: the API server is open
    admin_group_object_id: str | None = None  # cluster admin; None: whoever runs Pulumi


@dataclass(frozen=True)
class ObservabilitySettings:
    retention_days: int
    alert_email: str | None


@dataclass(frozen=True, order=True)
class QuotaKey:
    """What one quota counts over in a subscription: Azure OpenAI capacity per region x model x
    deployment type (in kTPM or PTUs), or the vCPUs of a GPU VM family per region. Fields that do
    not apply to the kind are None; requirements are ordered by their key."""

    kind: Literal["azure-openai", "vm-family-vcpus", "spot-vcpus"]
    region: str
    model: str | None = None
    deployment_type: str | None = None
    unit: str = "vcpus"  # ktpm | ptu | vcpus
    vm_family: str | None = None


@dataclass(frozen=True)
class QuotaRequirement:
    """Quota the environment needs in one subscription x region before ``pulumi up`` succeeds
    (sizing/deploy/quota.py), counted over ``key``. ``default`` is the documented default
    quota, None where none is documented."""

    key: QuotaKey
    name: str  # for people: "gpt-4o-mini Standard", "NCasT4_v3 family vCPUs"
    needed: int
    default: int | None
    exceeds_default: bool  # needed > default, or no documented default for a GPU family
    workloads: tuple[str, ...]
    source: str  # where the default comes from
    request: str  # the increase to request, with where to file it

    @property
    def kind(self) -> str:
        return self.key.kind

    @property
    def region(self) -> str:
        return self.key.region

    @property
    def unit(self) -> str:
        return self.key.unit


@dataclass(frozen=True)
class GatewayPlacement:
    """One API Management instance: the geography it serves, where it runs, and which
    workloads it fronts (sizing/deploy/gateway_placement.py)."""

    geography: str
    location: str
    workloads: tuple[str, ...]
    primary: bool  # the environment's own location: names keep their pre-split form


FixedCostItem = Literal[
    "gateway",
    "aks-control-plane",
    "system-pool",
    "container-registry",
    "private-endpoints",
    "log-analytics",
    "managed-prometheus",
    "key-vault",
]


@dataclass(frozen=True)
class FixedCost:
    """One line of an environment's bill beside its workloads (sizing/deploy/fixed_costs.py).

    ``monthly_usd`` None: billed by use (``usage_price`` says at what), so not in the total."""

    item: FixedCostItem
    description: str
    monthly_usd: float | None
    price_kind: str  # observed, observed-third-party, estimate
    source: str
    usage_price: str | None = None


@dataclass(frozen=True)
class NodePool:
    """One GPU node pool of a region's cluster (sizing/deploy/node_pools.py): the workloads that
    share its VM size there, their nodes summed. ``min_count`` 0 lets the pool scale to zero
    (dev); ``os_disk_size_gb`` is the largest its workloads need (checkpoints live on the
    node's disk)."""

    region: str
    name: str  # the AKS agent pool, named after the VM size (sizing/deploy/pool_names.py)
    vm_sku: str
    node_count: int
    min_count: int
    max_count: int
    zones: tuple[str, ...]
    workloads: tuple[str, ...]
    os_disk_size_gb: int
    vcpus_per_node: int
    shared: bool = False  # a packed pool: its nodes hold replicas of several workloads
    gpu_instance_profile: str | None = None  # MIG pools: MIG1g ... (fixed at creation)
    gpu_vendor: str = "nvidia"  # sizing/deploy/gpu_platform.py: driver, device plugin, taint
    spot: bool = False  # Azure Spot priority (fixed at creation)

    def __post_init__(self) -> None:
        if not 0 <= self.min_count <= self.node_count <= self.max_count or self.max_count < 1:
            raise ValueError(
                f"GPU pool {self.vm_sku}: need 0 <= min_count <= node_count <= max_count and "
                f"max_count >= 1, got {self.min_count}/{self.node_count}/{self.max_count}"
            )


SpareKind = Literal["none", "node", "zone"]
PackingDeclinedKind = Literal[
    "opted-out",  # hardware.share_nodes: false on the workload (or the environment)
    "whole-node",  # a fractional VM: less than one GPU per node, nothing to share
    "mig-slice",  # a MIG pool: its gpuInstanceProfile is its own, fixed at creation
    "spot",  # a spot pool: evictable, never shared with on-demand replicas
    "gpu-vendor",  # not an NVIDIA GPU: shared pools are built with NVIDIA's device plugin
    "not-cheaper",  # no shared pool costs less than the workloads' own pools
    "availability",  # no shared pool keeps every workload's replicas after a node (zone) loss
]


@dataclass(frozen=True)
class PackedWorkload:
    """One workload's replicas in one region on a shared pool (sizing/deploy/packing.py).

    A replica keeps its GPUs and per-replica figures (it runs on the same GPU type, so it
    serves the same load); ``replicas`` is re-spread from the load: at least the replicas for
    the peak with headroom, and enough that after losing the worst node (or, for a zone spare,
    zone) of the shared pool, with the replicas spread evenly (at most one apart per node and
    zone), ``replicas_after_loss`` still covers ``replicas_needed_after_loss``, the peak (0:
    its rung spares nothing). ``resources`` is a replica's share of the shared VM size."""

    workload: str
    own_vm_sku: str
    own_nodes: int  # nodes of its own pool in this region, before packing
    own_replicas: int
    own_monthly_usd: float  # those nodes at the environment's price basis
    replicas: int
    gpus_per_replica: int
    spare: SpareKind
    replicas_needed_after_loss: int
    replicas_after_loss: int
    resources: ReplicaResources
    max_replicas: int = 0  # KEDA's ceiling on the shared pool: twice the replicas


@dataclass(frozen=True)
class PackedPool:
    """Several workloads of one environment and region on one shared GPU pool, because that is
    cheaper than a pool each and every one still meets its availability (sizing/deploy/
    packing.py). ``placement`` is one even placement the check proves exists: per node, the
    replicas of each workload (in ``members`` order)."""

    region: str
    name: str  # the shared AKS agent pool (sizing/deploy/packing.py: shared_pool_name)
    vm_sku: str
    gpus_per_node: int
    zones: tuple[str, ...]
    nodes_before: int  # the members' own pools together
    nodes: int
    monthly_usd_before: float
    monthly_usd: float
    members: tuple[PackedWorkload, ...]
    placement: tuple[tuple[int, ...], ...]
    min_count: int
    max_count: int
    os_disk_size_gb: int
    vcpus_per_node: int
    price_basis: str  # the environment's pricing: on-demand, reserved-1y, ...

    @property
    def saving_monthly_usd(self) -> float:
        return self.monthly_usd_before - self.monthly_usd

    @property
    def gpus_requested(self) -> int:
        return sum(m.replicas * m.gpus_per_replica for m in self.members)

    def member(self, workload: str) -> PackedWorkload | None:
        return next((m for m in self.members if m.workload == workload), None)


@dataclass(frozen=True)
class PackingDeclined:
    """A self-hosted workload in one region left on its own pool, and why (typed)."""

    workload: str
    region: str
    kind: PackingDeclinedKind
    detail: str  # for people


@dataclass(frozen=True)
class OpenAIDeployment:
    """One deployment on a region's Azure OpenAI account, named after its workload."""

    workload: str
    role: Literal["primary", "failover", "spillover"]
    model: str
    model_version: str
    deployment_type: str  # the deployment's sku name: Standard, DataZoneProvisionedManaged, ...
    capacity: int  # 1K-TPM units for token types, PTUs for *ProvisionedManaged
    capacity_unit: str  # ktpm | ptu
    tags: dict[str, str] = field(default_factory=dict)
    # The workload's upgrade policy on its primary; failovers are token-billed, so they upgrade
    # when their version is retired.
    version_upgrade: VersionUpgrade = "OnceCurrentVersionExpired"
    model_format: str = "OpenAI"  # properties.model.format (AzureOpenAIPlan.model_format)
    # The deployment's name when it is not the workload's (a PTU's spillover: <workload>-spill).
    name: str = ""
    # A provisioned primary's spilloverDeploymentName: the Standard deployment taking overflow.
    spillover_deployment: str | None = None

    @property
    def deployment_name(self) -> str:
        return self.name or self.workload


@dataclass(frozen=True)
class OpenAIAccount:
    """The Azure OpenAI account of one region and the deployments it holds, in creation order
    (sizing/deploy/openai_accounts.py)."""

    region: str
    deployments: tuple[OpenAIDeployment, ...]


ViolationKind = Literal[
    "cost-cap",  # the environment's workloads together cost more than its cap
    "gateway-streaming",  # the gateway tier cannot carry the streaming workloads
    "pool-nodes",  # a shared GPU pool may grow past AKS's nodes per pool
    "cluster-pools",  # a region's cluster needs more node pools than AKS allows
    "cluster-nodes",  # a region's cluster may grow past AKS's nodes per cluster
]


@dataclass(frozen=True)
class EnvironmentViolation:
    """Why an environment cannot be deployed as planned (exit 1). ``kind`` and the figures
    (what is planned against the limit, where) are what code reads; ``message`` is for people."""

    kind: ViolationKind
    message: str
    planned: float | None = None  # dollars a month, nodes or pools
    limit: float | None = None
    region: str | None = None
    vm_sku: str | None = None


@dataclass(frozen=True)
class EnvironmentPlan:
    """One environment (Pulumi stack): shared infrastructure settings and its cost against the
    cap. ``violations`` make the plan fail (exit 1)."""

    name: str
    location: str
    monthly_usd: float
    max_monthly_usd: float | None
    workloads: tuple[str, ...]
    violations: tuple[EnvironmentViolation, ...] = ()
    gateway: GatewaySettings | None = None
    kubernetes: KubernetesSettings | None = None
    observability: ObservabilitySettings | None = None
    public_network_access: bool = False
    protect: bool = False
    require_templates: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    allowed_regions: tuple[str, ...] = ()  # limits.allowed_regions; empty: any region
    images: tuple[ContainerImage, ...] = ()  # cluster-wide images (device plugin), pinned
    quota: tuple[QuotaRequirement, ...] = ()
    soft_deleted: Literal["purge", "restore"] = "purge"  # spec.soft_deleted
    gateways: tuple[GatewayPlacement, ...] = ()  # one per geography the workloads use
    region_geographies: dict[str, str] = field(default_factory=dict)  # of the regions used
    # The bill: monthly_usd = workloads_monthly_usd + the fixed lines with a monthly figure
    # - packing_saving_monthly_usd (workloads are priced on their own pools).
    workloads_monthly_usd: float = 0.0
    fixed_costs: tuple[FixedCost, ...] = ()

    @property
    def fixed_monthly_usd(self) -> float:
        return sum(c.monthly_usd for c in self.fixed_costs if c.monthly_usd is not None)

    node_pools: tuple[NodePool, ...] = ()  # GPU pools, by region then VM size
    openai_accounts: tuple[OpenAIAccount, ...] = ()  # by region
    # Workloads packed onto shared GPU pools (their node_pools entries are those pools), and
    # the self-hosted workloads left on their own pools with why.
    packing: tuple[PackedPool, ...] = ()
    packing_declined: tuple[PackingDeclined, ...] = ()

    @property
    def packing_saving_monthly_usd(self) -> float:
        """What the shared pools save against a pool each; already out of ``monthly_usd``."""
        return sum(p.saving_monthly_usd for p in self.packing)

    def packed_pool(self, workload: str, region: str) -> PackedPool | None:
        """The shared pool carrying ``workload`` in ``region``; None: its own pool."""
        return next(
            (p for p in self.packing if p.region == region and p.member(workload) is not None),
            None,
        )

    @property
    def cluster_regions(self) -> tuple[str, ...]:
        """Regions with a GPU cluster: those with a GPU pool."""
        return tuple(sorted({p.region for p in self.node_pools}))

    def pools_in(self, region: str) -> tuple[NodePool, ...]:
        return tuple(p for p in self.node_pools if p.region == region)


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
        """The bill: every workload, and every environment's fixed infrastructure, less what
        shared GPU pools save."""
        workloads = sum(w.cost.monthly_usd for w in self.workloads if w.cost)
        return workloads + sum(
            e.fixed_monthly_usd - e.packing_saving_monthly_usd for e in self.environments
        )

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
    """Dataclasses to dicts (field order kept, fields marked `NOT_IN_DATA` left out), tuples to
    lists, floats rounded (but for fields marked `EXACT`, such as percentages)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: getattr(obj, f.name)
            if f.metadata.get("exact")
            else to_data(getattr(obj, f.name))
            for f in fields(obj)
            if f.metadata.get("data", True)
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
