"""Kubernetes manifests for one self-hosted workload in one region: Plan in, plain dicts out.

Pure functions, no Pulumi: ``VllmService`` turns these dicts into typed resources, and
``inferplan render`` can write them to YAML for review and for checkov. Everything sized here
comes from the Plan (``WorkloadPlan.aks``, its gateway limits and alert thresholds); where the
Plan does not carry a figure a manifest needs, the rule that stands in for it is a named
constant below with its reasoning, so it can be replaced by a Plan field without a hunt.

Sources cited by key: [vllm-k8s], [vllm-docker], [ps-values], [ps-keda], [aks-keda],
[kaito-mon] as listed in the reference notes ``vllm-serving.md`` and ``aks-gpu.md``.

What is rendered, in this order (``vllm_manifests``):

1. ``Namespace`` named after the workload, Pod Security admission ``restricted`` (enforced,
   audited and warned), pinned to the environment's Kubernetes minor version: the pod below
   meets the restricted profile (non-root, no privilege escalation, every capability dropped,
   RuntimeDefault seccomp, only emptyDir and secret volumes).
2. ``ServiceAccount`` that mounts no API token: vLLM never talks to the Kubernetes API.
3. ``Deployment`` running the Plan's pinned image with the Plan's vLLM flags, as is.
4. ``Service``: an *internal* Azure load balancer. API Management reaches vLLM over the
   peered virtual network; the annotation keeps the frontend on a private address, so the
   model server is never published to the internet.
5. ``PodDisruptionBudget``: at most one replica down at a time through voluntary disruptions.
6. ``NetworkPolicy``: ingress only to the serving port, egress only to DNS and HTTPS (the
   Hugging Face hub), never to the instance metadata endpoint.
7. ``TriggerAuthentication`` and ``ScaledObject`` (KEDA) scaling on vLLM's queue depth read from
   the Azure Monitor workspace, when its query endpoint is known (see ``vllm_manifests``).
8. ``PodMonitor`` (Azure managed Prometheus's own CRD group) scraping ``/metrics``.
"""

from __future__ import annotations

import math
from typing import Any

from inferplan.components.naming import kubernetes_name
from inferplan.sizing.plan import AksPlan, EnvironmentPlan, WorkingHours, WorkloadPlan
from inferplan.sizing.vllm_args import flag_value

GIB = 1024**3
MIB = 1024**2

# --- ports --------------------------------------------------------------------------------
VLLM_DEFAULT_PORT = 8000  # vLLM's --port default [vllm-k8s]; the Plan's flags set it explicitly
SERVICE_PORT = 80  # what the internal load balancer listens on, as in the vLLM docs' Service
PORT_NAME = "http"

# --- identity -------------------------------------------------------------------------------
# Checkov's CKV_K8S_40 asks for a UID of 10000 or more so a container user never coincides with
# a host account; 1000 is the first regular user on most distributions, 10001 is not.
RUN_AS_ID = 10001

# --- resources per GPU ------------------------------------------------------------------------
# The Plan names the VM size but not its vCPUs or memory, so CPU and memory follow the GPU
# count with a rule that fits the smallest GPU VM in the catalog, Standard_NC4as_T4_v3
# (4 vCPU, 28 GiB for 1 GPU; about 22 GiB allocatable once AKS reserves memory for kubelet,
# eviction and system DaemonSets). vLLM needs about one busy core per GPU worker plus the API
# server and the engine core (tokenisation, detokenisation, scheduling); memory holds the
# Python processes, pinned transfer buffers and the memory-backed /dev/shm below.
CPU_REQUEST_PER_GPU = 2  # cores: schedulable on every catalog GPU VM
CPU_LIMIT_PER_GPU = 4  # cores: headroom for bursts of tokenisation; throttling hurts ITL
MEMORY_BYTES_PER_GPU = 16 * GIB  # request = limit: no memory overcommit on a GPU node
SHM_BYTES_PER_GPU = 2 * GIB  # /dev/shm, counted inside the memory limit [vllm-k8s][vllm-docker]
TMP_BYTES = 10 * GIB  # /tmp and $HOME: torch.compile, Triton and FlashInfer JIT caches

# --- model cache and start-up ------------------------------------------------------------------
# The Plan does not carry the checkpoint's download size. Until it does, the cache is bounded
# per GPU: the largest checkpoint share per GPU in the example plans is Llama-3.3-70B in bf16
# (about 141 GB) quantised to fp8 on load onto one 94 GB H100 NVL; 200 GiB per GPU covers a bf16
# checkpoint served at fp8 on any catalog GPU up to 100 GiB of memory. ``sizeLimit`` is an
# eviction ceiling, not a reservation, so a generous bound costs nothing.
CHECKPOINT_BOUND_BYTES_PER_GPU = 200 * GIB
# Start-up budget = image pull + weight download + load into GPU memory + compile and CUDA-graph
# capture [vllm-serving.md §4: "startupProbe budget = image pull + weight download/stream + load +
# CUDA-graph capture"; 70B+ models "commonly need 15–30 min on first pull"].
IMAGE_PULL_S = 300  # the vllm-openai image is several GB compressed
DOWNLOAD_BYTES_PER_S = 200 * MIB  # Hugging Face hub to an Azure VM, conservative
LOAD_BYTES_PER_S = 1 * GIB  # local disk to GPU memory, safetensors
COMPILE_AND_CAPTURE_S = 300  # torch.compile plus CUDA-graph capture on first start
STARTUP_PERIOD_S = 10  # [ps-values] startupProbe periodSeconds
PRE_STOP_SLEEP_S = 15  # Azure LB probes every 5 s, 2 failures to mark down; plus endpoint sync

# --- autoscaling -------------------------------------------------------------------------------
QUEUE_ALERT = "queue-depth"  # the WorkloadPlan alert whose threshold is the scaling target
KEDA_POLLING_INTERVAL_S = 15  # [ps-keda]
KEDA_COOLDOWN_S = 360  # [ps-keda]: only used when scaling to zero
SCALE_DOWN_STABILIZATION_S = 600  # scale in slowly: a new GPU node + weight load takes minutes
PROMETHEUS_INTERVAL = "30s"  # [kaito-mon]
REGION_LABEL = "region"  # added at scrape: one Azure Monitor workspace serves every region

HF_TOKEN_KEY = "token"
HF_TOKEN_DIR = "/var/run/secrets/huggingface"
CACHE_DIR = "/cache"
TMP_DIR = "/tmp"

GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT_KEY = "nvidia.com/gpu"  # pool taint nvidia.com/gpu=present:NoSchedule
POOL_LABEL = "inferplan.io/pool"
WORKLOAD_LABEL = "inferplan.io/workload"
INTERNAL_LB = "service.beta.kubernetes.io/azure-load-balancer-internal"
LB_IDLE_TIMEOUT = "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout"
IMDS_CIDR = "169.254.169.254/32"


def vllm_manifests(
    workload: WorkloadPlan,
    *,
    region: str,
    pool_name: str,
    environment: EnvironmentPlan,
    hf_secret_name: str,
    prometheus_query_url: str | None = None,
) -> list[dict[str, Any]]:
    """Every Kubernetes object that serves ``workload`` in ``region``, in a fixed order.

    ``pool_name`` is the AKS agent pool of the workload's VM size (nodes labelled
    ``inferplan.io/pool``); ``hf_secret_name`` the Secret whose ``token`` key holds a Hugging
    Face token (optional: without it public models still download).

    ``prometheus_query_url`` is the Azure Monitor workspace's Prometheus query endpoint, which
    is an output of the observability resources and not part of the Plan. When it is None the
    KEDA objects are left out rather than rendered with a placeholder: a ScaledObject that
    cannot reach its server only logs errors, while the Deployment's own ``replicas`` (the
    Plan's size) is a correct, if static, deployment.
    """
    _aks(workload)  # fail early, with the workload's name, for a plan that is not on AKS
    names = ManifestNames.of(workload, hf_secret_name=hf_secret_name)
    objects = [
        namespace_manifest(workload, environment=environment),
        service_account_manifest(workload, names=names),
        deployment_manifest(workload, region=region, pool_name=pool_name, names=names),
        service_manifest(workload, names=names),
        pod_disruption_budget_manifest(workload, names=names),
        network_policy_manifest(workload, names=names),
    ]
    if prometheus_query_url is not None:
        objects += [
            trigger_authentication_manifest(workload, names=names),
            scaled_object_manifest(
                workload,
                region=region,
                names=names,
                prometheus_query_url=prometheus_query_url,
                working_hours=environment.kubernetes.working_hours
                if environment.kubernetes
                else None,
            ),
        ]
    objects.append(pod_monitor_manifest(workload, region=region, names=names))
    return objects


# --- names and labels ----------------------------------------------------------------------------


class ManifestNames:
    """Object names inside the workload's namespace: everything is named after the workload."""

    def __init__(self, namespace: str, app: str, hf_secret: str) -> None:
        self.namespace = namespace
        self.app = app  # Deployment, Service, ServiceAccount, PDB, policies, monitors
        self.hf_secret = hf_secret
        self.trigger_auth = f"{app}-azure-monitor"

    @classmethod
    def of(cls, workload: WorkloadPlan, *, hf_secret_name: str) -> ManifestNames:
        name = kubernetes_name(workload.name)
        return cls(namespace=name, app=name, hf_secret=hf_secret_name)


def selector_labels(workload: WorkloadPlan) -> dict[str, str]:
    """The Deployment's selector: immutable once created, so only what never changes."""
    return {
        "app.kubernetes.io/name": "vllm",
        "app.kubernetes.io/instance": kubernetes_name(workload.name),
    }


def common_labels(workload: WorkloadPlan) -> dict[str, str]:
    return {
        **selector_labels(workload),
        "app.kubernetes.io/component": "model-server",
        "app.kubernetes.io/managed-by": "inferplan",
        WORKLOAD_LABEL: kubernetes_name(workload.name),
    }


def _metadata(
    workload: WorkloadPlan,
    name: str,
    namespace: str | None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = common_labels(workload)
    if annotations:
        metadata["annotations"] = annotations
    return metadata


def _checkov_skips(reasons: dict[str, str]) -> dict[str, str]:
    """checkov's in-manifest suppression: ``checkov.io/skipN: CHECK_ID=reason``."""
    return {
        f"checkov.io/skip{i}": f"{check}={why}" for i, (check, why) in enumerate(reasons.items(), 1)
    }


# --- figures derived from the Plan ----------------------------------------------------------------


def _aks(workload: WorkloadPlan) -> AksPlan:
    if workload.aks is None:
        raise ValueError(f"workload {workload.name!r} is not planned onto AKS")
    return workload.aks


def container_port(aks: AksPlan) -> int:
    """The port vLLM listens on: the Plan's ``--port``, else vLLM's default 8000."""
    port = flag_value(aks.vllm_args, "--port")
    return int(port) if port else VLLM_DEFAULT_PORT


def checkpoint_bound_bytes(aks: AksPlan) -> int:
    """The model download with 10% to spare (tokenizer, config, partial files), from the Plan's
    checkpoint size; plans without one fall back to a per-GPU bound."""
    if aks.checkpoint_bytes > 0:
        return math.ceil(aks.checkpoint_bytes * 1.1)
    return aks.tensor_parallel * CHECKPOINT_BOUND_BYTES_PER_GPU


def startup_budget_s(aks: AksPlan) -> int:
    """Seconds a cold replica may take to serve: pull + download + load + compile.

    ``IMAGE_PULL_S + bytes / DOWNLOAD_BYTES_PER_S + bytes / LOAD_BYTES_PER_S +
    COMPILE_AND_CAPTURE_S`` with ``bytes = checkpoint_bound_bytes`` (about 20 min for an 8B
    model, 35 min for a 70B one).
    """
    size = checkpoint_bound_bytes(aks)
    seconds = (
        IMAGE_PULL_S + size / DOWNLOAD_BYTES_PER_S + size / LOAD_BYTES_PER_S + COMPILE_AND_CAPTURE_S
    )
    return math.ceil(seconds)


NODE_SHARE_FOR_PODS = 0.75  # leave a quarter of the node to kubelet, daemons and eviction margin


def replica_cpu_memory(aks: AksPlan) -> tuple[int, int, int]:
    """CPU request, CPU limit and memory (request = limit) of one replica: its GPUs' share of
    the node, less what AKS reserves; plans without VM figures fall back to per-GPU constants."""
    gpus = aks.tensor_parallel
    if aks.vm_gpus and aks.vm_vcpus and aks.vm_memory_bytes:
        share = gpus / aks.vm_gpus * NODE_SHARE_FOR_PODS
        cpu = max(1, math.floor(aks.vm_vcpus * share))
        memory = math.floor(aks.vm_memory_bytes * share / GIB) * GIB
        return cpu, cpu, max(memory, gpus * SHM_BYTES_PER_GPU + 4 * GIB)
    return gpus * CPU_REQUEST_PER_GPU, gpus * CPU_LIMIT_PER_GPU, gpus * MEMORY_BYTES_PER_GPU


def startup_failure_threshold(aks: AksPlan) -> int:
    """``failureThreshold = ceil(budget_s / periodSeconds)`` [vllm-serving.md §4]."""
    return math.ceil(startup_budget_s(aks) / STARTUP_PERIOD_S)


def termination_grace_s(workload: WorkloadPlan) -> int:
    """Long enough to finish the longest request the gateway still waits for: the gateway's
    backend timeout, after the pre-stop pause that takes the pod out of the load balancer."""
    return PRE_STOP_SLEEP_S + workload.gateway.timeout_s


def lb_idle_timeout_minutes(workload: WorkloadPlan) -> int:
    """Azure LB TCP idle timeout (4–100 min, default 4) at least the gateway's backend timeout,
    so a slow non-streaming response is not cut by the load balancer first."""
    return min(100, max(4, math.ceil(workload.gateway.timeout_s / 60)))


def queue_depth_threshold(workload: WorkloadPlan) -> float:
    """The Plan's queue-depth alert threshold: waiting requests per replica worth a new one."""
    for alert in workload.alerts:
        if alert.name == QUEUE_ALERT:
            return alert.threshold
    raise ValueError(f"workload {workload.name!r} has no {QUEUE_ALERT!r} alert in its plan")


def min_replicas(aks: AksPlan) -> int:
    """The Plan's replicas, or zero where the environment lets the GPU pool scale to zero."""
    return 0 if aks.min_nodes_per_region == 0 else aks.replicas_per_region


def max_replicas(aks: AksPlan) -> int:
    """As many replicas as the pool's autoscaler ceiling can hold."""
    return max(aks.max_nodes_per_region * aks.replicas_per_node, aks.replicas_per_region, 1)


def _quantity_gi(n_bytes: int) -> str:
    gib = n_bytes / GIB
    return f"{gib:g}Gi" if gib == int(gib) else f"{math.ceil(n_bytes / MIB)}Mi"


def _pod_security_version(environment: EnvironmentPlan) -> str:
    if environment.kubernetes is None:
        return "latest"
    major_minor = ".".join(environment.kubernetes.version.split(".")[:2])
    return f"v{major_minor}"


# --- the objects ---------------------------------------------------------------------------------


def namespace_manifest(workload: WorkloadPlan, *, environment: EnvironmentPlan) -> dict[str, Any]:
    version = _pod_security_version(environment)
    metadata = _metadata(workload, kubernetes_name(workload.name), None)
    for mode in ("enforce", "audit", "warn"):
        metadata["labels"][f"pod-security.kubernetes.io/{mode}"] = "restricted"
        metadata["labels"][f"pod-security.kubernetes.io/{mode}-version"] = version
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def service_account_manifest(workload: WorkloadPlan, *, names: ManifestNames) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(workload, names.app, names.namespace),
        "automountServiceAccountToken": False,
    }


def deployment_manifest(
    workload: WorkloadPlan, *, region: str, pool_name: str, names: ManifestNames
) -> dict[str, Any]:
    """The vLLM Deployment.

    * Image: the Plan's pinned tag with ``imagePullPolicy: IfNotPresent``. The image is several
      GB; ``Always`` would add a registry round trip to every start and make restarts depend on
      Docker Hub. A pinned tag cannot drift, so nothing is lost (checkov CKV_K8S_15 skipped with
      that reason; CKV_K8S_43 too while the Plan pins a tag rather than a digest).
    * Resources: ``nvidia.com/gpu`` requests = limits = tensor parallel (GPUs cannot be
      overcommitted); CPU and memory per GPU, see the constants.
    * Volumes: memory-backed ``/dev/shm`` (NCCL and vLLM's inter-process queues; the 64 MB
      container default breaks tensor parallelism [vllm-docker]), the model cache and ``/tmp``
      as emptyDirs (the root filesystem is read-only), the HF token as a file from an optional
      Secret (``HF_TOKEN_PATH``; not an environment variable, checkov CKV_K8S_35).
    * Probes on ``/health``: a start-up probe with ``startup_failure_threshold``; liveness is
      lenient (one minute of failures) so a long prefill never gets the pod killed; readiness
      takes the pod out of the load balancer within 15 s.
    * Placement: the workload's GPU pool by label, the pool's taint tolerated, replicas spread
      over the Plan's zones (hard: the Plan's availability counts on it) and over nodes (soft:
      packing several replicas per node is sometimes the plan).
    """
    aks = _aks(workload)
    port = container_port(aks)
    gpus = aks.tensor_parallel
    skips = {
        "CKV_K8S_15": (
            "multi-GB pinned image; IfNotPresent avoids a registry round trip per start and "
            "keeps restarts independent of the registry"
        ),
    }
    if "@sha256:" not in aks.image:
        skips["CKV_K8S_43"] = (
            "the Plan pins the image by version tag; digest pinning belongs in the sizing catalog"
        )

    cpu_request, cpu_limit, memory_bytes = replica_cpu_memory(aks)
    memory = _quantity_gi(memory_bytes)
    container: dict[str, Any] = {
        "name": "vllm",
        "image": aks.image,
        "imagePullPolicy": "IfNotPresent",
        "args": list(aks.vllm_args),
        "ports": [{"name": PORT_NAME, "containerPort": port, "protocol": "TCP"}],
        "env": _environment_variables(),
        "resources": {
            "requests": {
                "cpu": str(cpu_request),
                "memory": memory,
                GPU_RESOURCE: str(gpus),
            },
            "limits": {
                "cpu": str(cpu_limit),
                "memory": memory,
                GPU_RESOURCE: str(gpus),
            },
        },
        "volumeMounts": [
            {"name": "dshm", "mountPath": "/dev/shm"},
            {"name": "model-cache", "mountPath": CACHE_DIR},
            {"name": "tmp", "mountPath": TMP_DIR},
            {"name": "hf-token", "mountPath": HF_TOKEN_DIR, "readOnly": True},
        ],
        "startupProbe": _probe(period_s=STARTUP_PERIOD_S, timeout_s=5)
        | {"failureThreshold": startup_failure_threshold(aks)},
        "livenessProbe": _probe(period_s=10, timeout_s=10) | {"failureThreshold": 6},
        "readinessProbe": _probe(period_s=5, timeout_s=5) | {"failureThreshold": 3},
        "lifecycle": {"preStop": {"sleep": {"seconds": PRE_STOP_SLEEP_S}}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_ID,
            "runAsGroup": RUN_AS_ID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector_labels(workload)},
        }
    ]
    if aks.zones:
        spread.insert(
            0,
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": selector_labels(workload)},
            },
        )
    pod_spec: dict[str, Any] = {
        "serviceAccountName": names.app,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_ID,
            "runAsGroup": RUN_AS_ID,
            "fsGroup": RUN_AS_ID,
            "fsGroupChangePolicy": "OnRootMismatch",
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "nodeSelector": {POOL_LABEL: pool_name},
        "tolerations": [
            {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"},
        ],
        "topologySpreadConstraints": spread,
        "terminationGracePeriodSeconds": termination_grace_s(workload),
        "containers": [container],
        "volumes": [
            {
                "name": "dshm",
                "emptyDir": {
                    "medium": "Memory",
                    "sizeLimit": _quantity_gi(gpus * SHM_BYTES_PER_GPU),
                },
            },
            {
                "name": "model-cache",
                "emptyDir": {"sizeLimit": _quantity_gi(checkpoint_bound_bytes(aks))},
            },
            {"name": "tmp", "emptyDir": {"sizeLimit": _quantity_gi(TMP_BYTES)}},
            {
                "name": "hf-token",
                "secret": {
                    "secretName": names.hf_secret,
                    "optional": True,
                    "defaultMode": 0o440,
                    "items": [{"key": HF_TOKEN_KEY, "path": HF_TOKEN_KEY}],
                },
            },
        ],
    }
    progress_deadline = startup_budget_s(aks) + 600
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(workload, names.app, names.namespace, _checkov_skips(skips)),
        "spec": {
            "replicas": aks.replicas_per_region,
            "revisionHistoryLimit": 3,
            "progressDeadlineSeconds": progress_deadline,
            "selector": {"matchLabels": selector_labels(workload)},
            # One new replica at a time and none taken away first: GPU capacity is scarce and
            # the Plan's replica count is what the SLO was sized on.
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                # checkov reads the skips from the Deployment's metadata; kept off the pod
                # template so rewording a reason never rolls the GPU pods.
                "metadata": {"labels": common_labels(workload) | {"inferplan.io/region": region}},
                "spec": pod_spec,
            },
        },
    }


def _environment_variables() -> list[dict[str, str]]:
    """Point every cache at a writable mount: the root filesystem is read-only and the user
    (10001) has no home directory or passwd entry in the image."""
    return [
        {"name": "HOME", "value": TMP_DIR},
        {"name": "USER", "value": "vllm"},  # getpass.getuser() (torch.compile) needs a name
        {"name": "HF_HOME", "value": f"{CACHE_DIR}/huggingface"},
        {"name": "HF_TOKEN_PATH", "value": f"{HF_TOKEN_DIR}/{HF_TOKEN_KEY}"},
        {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
        {"name": "VLLM_CACHE_ROOT", "value": f"{CACHE_DIR}/vllm"},
        {"name": "VLLM_NO_USAGE_STATS", "value": "1"},
        {"name": "DO_NOT_TRACK", "value": "1"},
        {"name": "TRITON_CACHE_DIR", "value": f"{CACHE_DIR}/triton"},
        {"name": "TORCHINDUCTOR_CACHE_DIR", "value": f"{CACHE_DIR}/torchinductor"},
        {"name": "XDG_CACHE_HOME", "value": CACHE_DIR},
    ]


def _probe(*, period_s: int, timeout_s: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": "/health", "port": PORT_NAME, "scheme": "HTTP"},
        "periodSeconds": period_s,
        "timeoutSeconds": timeout_s,
        "successThreshold": 1,
    }


def service_manifest(workload: WorkloadPlan, *, names: ManifestNames) -> dict[str, Any]:
    """An internal Azure load balancer in front of the replicas.

    API Management reaches vLLM over the peered virtual network, so the frontend takes a
    private address from the cluster's subnet (``azure-load-balancer-internal: "true"``); there
    is no public frontend. ``externalTrafficPolicy: Local`` keeps the client address and sends
    traffic only to nodes with a ready replica, with no second hop between nodes.
    """
    annotations = {
        INTERNAL_LB: "true",
        LB_IDLE_TIMEOUT: str(lb_idle_timeout_minutes(workload)),
    }
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(workload, names.app, names.namespace, annotations),
        "spec": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "sessionAffinity": "None",
            "selector": selector_labels(workload),
            "ports": [
                {
                    "name": PORT_NAME,
                    "port": SERVICE_PORT,
                    "targetPort": PORT_NAME,
                    "protocol": "TCP",
                }
            ],
        },
    }


def pod_disruption_budget_manifest(
    workload: WorkloadPlan, *, names: ManifestNames
) -> dict[str, Any]:
    """``maxUnavailable: 1`` rather than ``minAvailable``: it stays right as KEDA changes the
    replica count. ``AlwaysAllow`` lets a drain evict a replica still downloading weights."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _metadata(workload, names.app, names.namespace),
        "spec": {
            "maxUnavailable": 1,
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
            "selector": {"matchLabels": selector_labels(workload)},
        },
    }


def network_policy_manifest(workload: WorkloadPlan, *, names: ManifestNames) -> dict[str, Any]:
    """Ingress: the serving port only (API Management through the load balancer, managed
    Prometheus scraping /metrics). Egress: DNS, and HTTPS for the Hugging Face hub; the instance
    metadata endpoint is excluded so a compromised server cannot borrow the node's identity."""
    port = container_port(_aks(workload))
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(workload, names.app, names.namespace),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(workload)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": port}]}],
            "egress": [
                {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [IMDS_CIDR]}}],
                    "ports": [{"protocol": "TCP", "port": 443}],
                },
            ],
        },
    }


def trigger_authentication_manifest(
    workload: WorkloadPlan, *, names: ManifestNames
) -> dict[str, Any]:
    """KEDA authenticates to the Azure Monitor workspace with workload identity. No
    ``identityId``: KEDA uses the identity federated with its own operator [aks-keda], which
    needs Monitoring Data Reader on the workspace."""
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": _metadata(workload, names.trigger_auth, names.namespace),
        "spec": {"podIdentity": {"provider": "azure-workload"}},
    }


def queue_depth_query(workload: WorkloadPlan, *, region: str) -> str:
    """Requests waiting across the workload's replicas in one region. The workspace is shared by
    every region's cluster, hence the region label the PodMonitor adds."""
    namespace = kubernetes_name(workload.name)
    return f'sum(vllm:num_requests_waiting{{namespace="{namespace}",{REGION_LABEL}="{region}"}})'


def scaled_object_manifest(
    workload: WorkloadPlan,
    *,
    region: str,
    names: ManifestNames,
    prometheus_query_url: str,
    working_hours: WorkingHours | None = None,
) -> dict[str, Any]:
    """KEDA scales the Deployment on vLLM's queue depth [ps-keda][aks-keda].

    The trigger's ``threshold`` is a per-replica average (HPA ``AverageValue``): desired
    replicas = ceil(sum of waiting requests / threshold), so the queue per replica is held at
    the Plan's queue-depth alert threshold. Bounds: the Plan's replicas (0 in scale-to-zero
    environments) up to what the pool's autoscaler ceiling holds. If the query fails KEDA falls
    back to the Plan's replica count. Scale-out is immediate, scale-in one replica per five
    minutes after ten quiet minutes: a replica takes many minutes to come back.

    With zero replicas there is no queue metric to wake a workload, so scale-to-zero
    environments add a cron trigger that holds the Plan's replicas during working hours.
    """
    aks = _aks(workload)
    threshold = queue_depth_threshold(workload)
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": _metadata(workload, names.app, names.namespace),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": names.app},
            "minReplicaCount": min_replicas(aks),
            "maxReplicaCount": max_replicas(aks),
            "pollingInterval": KEDA_POLLING_INTERVAL_S,
            "cooldownPeriod": KEDA_COOLDOWN_S,
            "fallback": {"failureThreshold": 3, "replicas": aks.replicas_per_region},
            "advanced": {
                "horizontalPodAutoscalerConfig": {
                    "name": names.app,
                    "behavior": {
                        "scaleUp": {
                            "stabilizationWindowSeconds": 0,
                            "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}],
                        },
                        "scaleDown": {
                            "stabilizationWindowSeconds": SCALE_DOWN_STABILIZATION_S,
                            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}],
                        },
                    },
                }
            },
            "triggers": [
                {
                    "type": "prometheus",
                    "name": QUEUE_ALERT,
                    "metricType": "AverageValue",
                    "metadata": {
                        "serverAddress": prometheus_query_url,
                        "query": queue_depth_query(workload, region=region),
                        "threshold": f"{threshold:g}",
                    },
                    "authenticationRef": {"name": names.trigger_auth},
                },
                *_working_hours_trigger(aks, working_hours),
            ],
        },
    }


def _working_hours_trigger(aks: AksPlan, hours: WorkingHours | None) -> list[dict[str, Any]]:
    if hours is None or min_replicas(aks) > 0:
        return []
    return [
        {
            "type": "cron",
            "name": "working-hours",
            "metadata": {
                "timezone": hours.timezone,
                "start": hours.start_cron,
                "end": hours.end_cron,
                "desiredReplicas": str(aks.replicas_per_region),
            },
        }
    ]


def pod_monitor_manifest(
    workload: WorkloadPlan, *, region: str, names: ManifestNames
) -> dict[str, Any]:
    """Managed Prometheus scrapes ``/metrics`` on the serving port every 30 s [kaito-mon]
    (``azmonitoring.coreos.com``, not ``monitoring.coreos.com``), adding the region label the
    autoscaling query and the alert rules filter on."""
    return {
        "apiVersion": "azmonitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": _metadata(workload, names.app, names.namespace),
        "spec": {
            "selector": {"matchLabels": selector_labels(workload)},
            "podMetricsEndpoints": [
                {
                    "port": PORT_NAME,
                    "path": "/metrics",
                    "interval": PROMETHEUS_INTERVAL,
                    "relabelings": [
                        {"action": "replace", "targetLabel": REGION_LABEL, "replacement": region}
                    ],
                }
            ],
        },
    }
