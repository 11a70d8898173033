"""Kubernetes manifests for one self-hosted workload in one region: Plan in, plain dicts out.

Pure functions, no Pulumi: ``VllmService`` turns these dicts into typed resources, and
``inferplan render`` can write them to YAML for review and for checkov. Every figure comes from
the Plan (``WorkloadPlan.aks``: port, resources, start-up budget, autoscaling, image, pool);
what only the deployed environment knows (the registry, identities, the Key Vault, the
gateway's subnets, the Prometheus endpoint) arrives as ``ServiceWiring``. Nothing here parses
flags or looks an alert up by name.

Sources cited by key: [vllm-k8s], [vllm-docker], [ps-values], [ps-keda], [aks-keda],
[kaito-mon] as listed in the reference notes ``vllm-serving.md`` and ``aks-gpu.md``; [csi-kv] is
Learn "Use the Azure Key Vault provider for Secrets Store CSI Driver" and "... with Microsoft
Entra Workload ID" (MicrosoftDocs/azure-aks-docs csi-secrets-store-driver.md,
csi-secrets-store-identity-access.md).

What is rendered, in this order (``vllm_manifests``):

1. ``Namespace`` named after the workload, Pod Security admission ``restricted`` (enforced,
   audited and warned), pinned to the environment's Kubernetes minor version.
2. ``ServiceAccount`` that mounts no API token, annotated with the client id of the workload
   identity the Key Vault CSI driver authenticates as [csi-kv].
3. ``SecretProviderClass``: vLLM's API key from the environment's Key Vault, synced into the
   Secret ``vllm-api-key`` while a pod mounts it [csi-kv].
4. ``Deployment`` running the Plan's pinned image from the environment's registry with the
   Plan's vLLM flags, the API key in ``VLLM_API_KEY``.
5. ``Service``: an *internal* Azure load balancer.
6. ``PodDisruptionBudget``: at most one replica down at a time through voluntary disruptions.
7. ``NetworkPolicy``: ingress only from the gateway's subnets and managed Prometheus' scraper;
   egress only to cluster DNS and HTTPS: to the weights store's private endpoint and Entra ID
   where the weights are staged, else outside the private address ranges (the model hub).
8. ``TriggerAuthentication`` and ``ScaledObject`` (KEDA) scaling on vLLM's queue depth read from
   the Azure Monitor workspace as KEDA's own workload identity, when the endpoint is known.
9. ``PodMonitor`` (Azure managed Prometheus's own CRD group) scraping ``/metrics``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from components.naming import kubernetes_name
from components.weights_manifests import (
    ENTRA_ID_RANGES,
    WORKLOAD_IDENTITY_USE,
    weights_init_container,
)
from sizing.catalog.engines import pinned_engine
from sizing.deploy.gpu_platform import SPOT_TAINT_KEY, platform_of
from sizing.deploy.model_weights import LOCAL_WEIGHTS_ROOT
from sizing.deploy.packing import placed_workload
from sizing.plan import AksPlan, EnvironmentPlan, WorkingHours, WorkloadPlan

GIB = 1024**3
MIB = 1024**2

SERVICE_PORT = 80  # what the internal load balancer listens on, as in the vLLM docs' Service
PORT_NAME = "http"

# Checkov's CKV_K8S_40 asks for a UID of 10000 or more so a container user never coincides with
# a host account; 1000 is the first regular user on most distributions, 10001 is not.
RUN_AS_ID = 10001

PRE_STOP_SLEEP_S = 15  # Azure LB probes every 5 s, 2 failures to mark down; plus endpoint sync
LIVENESS_PERIOD_S = 10
LIVENESS_FAILURES = 6  # a minute: a long prefill never gets the pod killed
READINESS_PERIOD_S = 5
READINESS_FAILURES = 3

KEDA_POLLING_INTERVAL_S = 15  # [ps-keda]
KEDA_COOLDOWN_S = 360  # [ps-keda]: only used when scaling to zero
KEDA_FALLBACK_FAILURES = 3
SCALE_DOWN_STABILIZATION_S = 600  # scale in slowly: a new GPU node + weight load takes minutes
PROMETHEUS_INTERVAL = "30s"  # [kaito-mon]
REGION_LABEL = "region"  # added at scrape: one Azure Monitor workspace serves every region
QUEUE_TRIGGER = "queue-depth"

HF_TOKEN_KEY = "token"
WEIGHTS_VOLUME = "model-weights"  # the staged revision's copy, at /models
HF_TOKEN_DIR = "/var/run/secrets/huggingface"
CACHE_DIR = "/cache"
TMP_DIR = "/tmp"
API_KEY_SECRET = "vllm-api-key"  # the Kubernetes Secret the CSI driver syncs
API_KEY_KEY = "api-key"
API_KEY_ENV = "VLLM_API_KEY"  # vLLM reads it when --api-key is not given (vllm/envs.py)
SECRETS_DIR = "/mnt/secrets-store"
CSI_DRIVER = "secrets-store.csi.k8s.io"
WORKLOAD_IDENTITY_CLIENT_ID = "azure.workload.identity/client-id"

GPU_RESOURCE = "nvidia.com/gpu"
GPU_TAINT_KEY = "nvidia.com/gpu"  # pool taint nvidia.com/gpu=present:NoSchedule
POOL_LABEL = "inferplan.io/pool"
WORKLOAD_LABEL = "inferplan.io/workload"
INTERNAL_LB = "service.beta.kubernetes.io/azure-load-balancer-internal"
LB_IDLE_TIMEOUT = "service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout"
# Addresses vLLM never needs to reach: the virtual networks and peerings (RFC 1918), AKS's
# overlay and carrier-grade ranges, link-local (the instance metadata endpoint, whose token
# would let a compromised server act as the node).
PRIVATE_RANGES = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
)
# Managed Prometheus scrapes PodMonitor targets from its ama-metrics ReplicaSet in kube-system.
SCRAPER_SELECTOR = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"rsName": "ama-metrics"}},
}
DNS_SELECTOR = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}


@dataclass(frozen=True)
class ServiceWiring:
    """What the deployed environment gives one workload's manifests (or placeholders for it).

    ``image``: the reference nodes pull, always from the environment's registry.
    ``gateway_cidrs``: the subnets of the gateways that front the workload, the only callers.
    ``vllm_client_id`` / ``key_vault_name`` / ``tenant_id``: the identity and vault the CSI
    driver reads the API key with. ``prometheus_query_url`` and ``keda_client_id``: KEDA's
    endpoint and identity; without the endpoint the KEDA objects are left out, and the
    Deployment keeps the Plan's replicas.
    """

    image: str
    gateway_cidrs: tuple[str, ...]
    vllm_client_id: str
    key_vault_name: str
    tenant_id: str
    api_key_secret_name: str
    prometheus_query_url: str | None = None
    keda_client_id: str | None = None
    # Staged weights (the Plan's ``aks.weights``): the Azure CLI image the init container
    # copies with, the store's account, and the private endpoints' subnets it is reached in
    # (none in a public environment: the store's public endpoint, so HTTPS stays open).
    weights_image: str | None = None
    weights_account: str | None = None
    endpoint_cidrs: tuple[str, ...] = ()


def vllm_manifests(
    workload: WorkloadPlan,
    *,
    region: str,
    environment: EnvironmentPlan,
    wiring: ServiceWiring,
    hf_secret_name: str,
) -> list[dict[str, Any]]:
    """Every Kubernetes object that serves ``workload`` in ``region``, in a fixed order.

    ``hf_secret_name`` names the Secret whose ``token`` key holds a Hugging Face token
    (optional: public models download without one).
    """
    _aks(workload)  # fail early, with the workload's name, for a plan not on AKS
    # Where the environment packs it, the workload runs on the shared pool (its VM size, name,
    # zones, replicas and share of a node: sizing/deploy/packing.py).
    shared = environment.packed_pool(workload.name, region) is not None
    workload = placed_workload(workload, region=region, packing=environment.packing)
    if not wiring.gateway_cidrs:
        raise ValueError(f"workload {workload.name!r}: no gateway subnet may call it")
    if _aks(workload).weights is not None and (
        wiring.weights_image is None or wiring.weights_account is None
    ):
        raise ValueError(
            f"workload {workload.name!r}: its weights are staged, but no weights store or copy "
            "image is wired"
        )
    names = ManifestNames.of(workload, hf_secret_name=hf_secret_name)
    objects = [
        namespace_manifest(workload, environment=environment),
        service_account_manifest(workload, names=names, wiring=wiring),
        secret_provider_class_manifest(workload, names=names, wiring=wiring),
        deployment_manifest(
            workload, region=region, names=names, wiring=wiring, shared_nodes=shared
        ),
        service_manifest(workload, names=names),
        pod_disruption_budget_manifest(workload, names=names),
        network_policy_manifest(workload, names=names, wiring=wiring),
    ]
    if wiring.prometheus_query_url is not None:
        if wiring.keda_client_id is None:
            raise ValueError(f"workload {workload.name!r}: KEDA needs its identity's client id")
        objects += [
            trigger_authentication_manifest(
                workload, names=names, keda_client_id=wiring.keda_client_id
            ),
            scaled_object_manifest(
                workload,
                region=region,
                names=names,
                prometheus_query_url=wiring.prometheus_query_url,
                # Offline work runs in its own daily window; else the environment's hours,
                # started early by the start-up budget (the Plan's wake_hours).
                working_hours=_aks(workload).window
                or _aks(workload).autoscaling.wake_hours
                or (environment.kubernetes.working_hours if environment.kubernetes else None),
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
        self.secret_provider = f"{app}-key-vault"

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


def termination_grace_s(workload: WorkloadPlan) -> int:
    """Long enough to finish the longest request the gateway still waits for: the gateway's
    backend timeout, after the pre-stop pause that takes the pod out of the load balancer."""
    return PRE_STOP_SLEEP_S + workload.gateway.timeout_s


def lb_idle_timeout_minutes(workload: WorkloadPlan) -> int:
    """Azure LB TCP idle timeout (4–100 min, default 4) at least the gateway's backend timeout,
    so a slow non-streaming response is not cut by the load balancer first."""
    return min(100, max(4, math.ceil(workload.gateway.timeout_s / 60)))


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


def service_account_manifest(
    workload: WorkloadPlan, *, names: ManifestNames, wiring: ServiceWiring
) -> dict[str, Any]:
    """No API token in the pod; the client-id annotation tells the CSI driver which identity
    the service account's federated token stands for [csi-kv]."""
    annotations = {WORKLOAD_IDENTITY_CLIENT_ID: wiring.vllm_client_id}
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _metadata(workload, names.app, names.namespace, annotations),
        "automountServiceAccountToken": False,
    }


def secret_provider_class_manifest(
    workload: WorkloadPlan, *, names: ManifestNames, wiring: ServiceWiring
) -> dict[str, Any]:
    """The API key from Key Vault as the workload identity of the pod's service account, and
    a Kubernetes Secret synced from it for the environment variable vLLM reads [csi-kv]."""
    objects = (
        f"array:\n  - |\n    objectName: {wiring.api_key_secret_name}\n    objectType: secret\n"
    )
    return {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": _metadata(workload, names.secret_provider, names.namespace),
        "spec": {
            "provider": "azure",
            "parameters": {
                "usePodIdentity": "false",
                "clientID": wiring.vllm_client_id,
                "keyvaultName": wiring.key_vault_name,
                "tenantId": wiring.tenant_id,
                "objects": objects,
            },
            "secretObjects": [
                {
                    "secretName": API_KEY_SECRET,
                    "type": "Opaque",
                    "data": [{"objectName": wiring.api_key_secret_name, "key": API_KEY_KEY}],
                }
            ],
        },
    }


def deployment_manifest(
    workload: WorkloadPlan,
    *,
    region: str,
    names: ManifestNames,
    wiring: ServiceWiring,
    shared_nodes: bool = False,
) -> dict[str, Any]:
    """The vLLM Deployment.

    * Image: the Plan's pinned image, pulled from the environment's registry (cache rule or
      import), with ``imagePullPolicy: IfNotPresent``: the image is several GB, and a pinned
      tag cannot drift (checkov CKV_K8S_15 skipped with that reason; CKV_K8S_43 too while the
      Plan pins a tag rather than a digest).
    * Resources: the vendor's GPU resource (``nvidia.com/gpu``, ``amd.com/gpu``) requests =
      limits = tensor parallel (one MIG instance on a MIG pool); CPU, memory and scratch sizes
      are the Plan's ``resources`` (sizing/deploy/serving_resources.py).
    * Volumes: memory-backed ``/dev/shm`` (NCCL; the 64 MB container default breaks tensor
      parallelism [vllm-docker]), the model cache and ``/tmp`` as emptyDirs (the root filesystem
      is read-only), the HF token as a file from an optional Secret, and the Key Vault CSI
      volume whose mount syncs the API key Secret.
    * API key: ``VLLM_API_KEY`` from that Secret. vLLM takes the key only from ``--api-key`` or
      this variable, so checkov's CKV_K8S_35 (secrets as files) is skipped with that reason;
      the value never appears in a manifest or the Plan.
    * Probes on ``/health`` (outside ``/v1``, so not behind the key): the Plan's start-up
      budget; liveness is lenient so a long prefill never gets the pod killed; readiness takes
      the pod out of the load balancer within 15 s.
    * Placement: the Plan's GPU pool by label, the pool's taints tolerated (the vendor's GPU
      taint, and AKS's spot taint on a spot pool), replicas spread over the Plan's zones (hard)
      and over nodes (soft). On a shared pool (``shared_nodes``) the spread over nodes is hard
      too: packing counted each workload's replicas after a node loss with them spread at most
      one apart per node (sizing/deploy/packing.py).
    """
    aks = _aks(workload)
    gpus = aks.tensor_parallel
    platform = platform_of(aks.gpu_vendor)
    resources = aks.resources
    startup = aks.startup
    skips = {
        "CKV_K8S_15": (
            "multi-GB pinned image; IfNotPresent avoids a registry round trip per start and "
            "keeps restarts independent of the registry"
        ),
        "CKV_K8S_35": (
            "vLLM reads its API key only from --api-key or VLLM_API_KEY; the variable comes "
            "from a Secret the Key Vault CSI driver syncs, never a literal"
        ),
    }
    if aks.container_image.digest is None:
        skips["CKV_K8S_43"] = (
            "the images catalog pins this image by version tag; add its digest there to pull "
            "by digest"
        )

    memory = _quantity_gi(resources.memory_bytes)
    container: dict[str, Any] = {
        "name": "vllm",
        "image": wiring.image,
        "imagePullPolicy": "IfNotPresent",
        "args": list(aks.vllm_args),
        "ports": [{"name": PORT_NAME, "containerPort": aks.port, "protocol": "TCP"}],
        "env": _environment_variables(offline=aks.weights is not None),
        "resources": {
            "requests": {
                "cpu": str(resources.cpu_request_cores),
                "memory": memory,
                platform.resource: str(gpus),
            },
            "limits": {
                "cpu": str(resources.cpu_limit_cores),
                "memory": memory,
                platform.resource: str(gpus),
            },
        },
        "volumeMounts": [
            {"name": "dshm", "mountPath": "/dev/shm"},
            {"name": "model-cache", "mountPath": CACHE_DIR},
            {"name": "tmp", "mountPath": TMP_DIR},
            {"name": "hf-token", "mountPath": HF_TOKEN_DIR, "readOnly": True},
            {"name": "key-vault", "mountPath": SECRETS_DIR, "readOnly": True},
            *(
                [{"name": WEIGHTS_VOLUME, "mountPath": LOCAL_WEIGHTS_ROOT, "readOnly": True}]
                if aks.weights is not None
                else []
            ),
        ],
        "startupProbe": _probe(period_s=startup.probe_period_s, timeout_s=5)
        | {"failureThreshold": startup.failure_threshold},
        "livenessProbe": _probe(period_s=LIVENESS_PERIOD_S, timeout_s=10)
        | {"failureThreshold": LIVENESS_FAILURES},
        "readinessProbe": _probe(period_s=READINESS_PERIOD_S, timeout_s=5)
        | {"failureThreshold": READINESS_FAILURES},
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
            "whenUnsatisfiable": "DoNotSchedule" if shared_nodes else "ScheduleAnyway",
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
        "nodeSelector": {POOL_LABEL: aks.pool_name},
        "tolerations": [
            {"key": platform.taint_key, "operator": "Exists", "effect": "NoSchedule"},
            *(
                [
                    {
                        "key": SPOT_TAINT_KEY,
                        "operator": "Equal",
                        "value": "spot",
                        "effect": "NoSchedule",
                    }
                ]
                if aks.spot
                else []
            ),
        ],
        "topologySpreadConstraints": spread,
        "terminationGracePeriodSeconds": termination_grace_s(workload),
        "containers": [container],
        "volumes": [
            *(
                [
                    {
                        "name": WEIGHTS_VOLUME,
                        "emptyDir": {"sizeLimit": _quantity_gi(resources.model_cache_bytes)},
                    }
                ]
                if aks.weights is not None
                else []
            ),
            {
                "name": "dshm",
                "emptyDir": {"medium": "Memory", "sizeLimit": _quantity_gi(resources.shm_bytes)},
            },
            {
                "name": "model-cache",
                "emptyDir": {"sizeLimit": _quantity_gi(resources.model_cache_bytes)},
            },
            {"name": "tmp", "emptyDir": {"sizeLimit": _quantity_gi(resources.tmp_bytes)}},
            {
                "name": "hf-token",
                "secret": {
                    "secretName": names.hf_secret,
                    "optional": True,
                    "defaultMode": 0o440,
                    "items": [{"key": HF_TOKEN_KEY, "path": HF_TOKEN_KEY}],
                },
            },
            {
                "name": "key-vault",
                "csi": {
                    "driver": CSI_DRIVER,
                    "readOnly": True,
                    "volumeAttributes": {"secretProviderClass": names.secret_provider},
                },
            },
        ],
    }
    pod_labels = common_labels(workload) | {"inferplan.io/region": region}
    if aks.weights is not None:
        assert wiring.weights_image is not None and wiring.weights_account is not None
        # Before vLLM starts, the staged revision is copied from the store as the workload
        # identity the webhook projects for pods with this label.
        pod_spec["initContainers"] = [
            weights_init_container(
                aks.weights,
                image=wiring.weights_image,
                account_name=wiring.weights_account,
                volume=WEIGHTS_VOLUME,
            )
        ]
        pod_labels[WORKLOAD_IDENTITY_USE] = "true"
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(workload, names.app, names.namespace, _checkov_skips(skips)),
        "spec": {
            "replicas": aks.replicas_per_region,
            "revisionHistoryLimit": 3,
            "progressDeadlineSeconds": startup.progress_deadline_s,
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
                "metadata": {"labels": pod_labels},
                "spec": pod_spec,
            },
        },
    }


def _environment_variables(*, offline: bool = False) -> list[dict[str, Any]]:
    """Point every cache at a writable mount: the root filesystem is read-only and the user
    (10001) has no home directory or passwd entry in the image. ``offline`` (staged weights):
    the hub is never called (``HF_HUB_OFFLINE``), so nothing waits on an egress the network
    policy denies."""
    hub = [{"name": "HF_HUB_OFFLINE", "value": "1"}] if offline else []
    return [
        *hub,
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
        {
            "name": API_KEY_ENV,
            "valueFrom": {"secretKeyRef": {"name": API_KEY_SECRET, "key": API_KEY_KEY}},
        },
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
    is no public frontend. ``externalTrafficPolicy: Local`` keeps the client (gateway) address,
    which the network policy admits, and sends traffic only to nodes with a ready replica.
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


def network_policy_manifest(
    workload: WorkloadPlan, *, names: ManifestNames, wiring: ServiceWiring
) -> dict[str, Any]:
    """Ingress: the serving port, from the gateway subnets (the internal load balancer keeps
    their addresses) and from managed Prometheus' scraper; nothing else in the virtual network.
    Egress: cluster DNS, and HTTPS. Where the weights are staged (a pinned revision), HTTPS only
    to the private endpoints' subnets (the weights store) and Entra ID's sign-in ranges (the
    init container's token exchange): no internet. Otherwise HTTPS to public addresses only, for
    the model hub while weights download; the private ranges (virtual networks, the overlay, the
    metadata endpoint) are excluded. A plain NetworkPolicy cannot name the hub's host names; see
    docs/infrastructure.md.
    """
    port = _aks(workload).port
    gateways = [{"ipBlock": {"cidr": cidr}} for cidr in sorted(wiring.gateway_cidrs)]
    if _aks(workload).weights is not None and wiring.endpoint_cidrs:
        # Staged weights behind the store's private endpoint: no internet. HTTPS to the private
        # endpoints' subnets (the weights store) and to Entra ID's sign-in ranges (the init
        # container's workload identity token exchange; Entra ID has no private endpoint);
        # vLLM itself runs offline.
        https = [
            *({"ipBlock": {"cidr": c}} for c in sorted(wiring.endpoint_cidrs)),
            *({"ipBlock": {"cidr": c}} for c in ENTRA_ID_RANGES),
        ]
    else:
        https = [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(workload, names.app, names.namespace),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(workload)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [*gateways, SCRAPER_SELECTOR],
                    "ports": [{"protocol": "TCP", "port": port}],
                }
            ],
            "egress": [
                {
                    "to": [DNS_SELECTOR],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                },
                {"to": https, "ports": [{"protocol": "TCP", "port": 443}]},
            ],
        },
    }


def trigger_authentication_manifest(
    workload: WorkloadPlan, *, names: ManifestNames, keda_client_id: str
) -> dict[str, Any]:
    """KEDA authenticates to the Azure Monitor workspace as the cluster's KEDA identity
    (``identityId``), federated with the ``kube-system:keda-operator`` service account and holding
    Monitoring Data Reader on the workspace [aks-keda]."""
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": _metadata(workload, names.trigger_auth, names.namespace),
        "spec": {"podIdentity": {"provider": "azure-workload", "identityId": keda_client_id}},
    }


def queue_depth_query(workload: WorkloadPlan, *, region: str) -> str:
    """Requests waiting across the workload's replicas in one region. The workspace is shared by
    every region's cluster, hence the region label the PodMonitor adds."""
    namespace = kubernetes_name(workload.name)
    waiting = pinned_engine().metrics.requests_waiting  # the pinned release's name
    return f'sum({waiting}{{namespace="{namespace}",{REGION_LABEL}="{region}"}})'


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
    replicas = ceil(sum of waiting requests / threshold). Bounds, target and fallback are the
    Plan's ``autoscaling``. Scale-out is immediate, scale-in one replica per five minutes after
    ten quiet minutes: a replica takes many minutes to come back. Where the Plan scales to zero
    a cron trigger holds its working-hours replicas (no pods, no queue metric to wake them).
    """
    scaling = _aks(workload).autoscaling
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": _metadata(workload, names.app, names.namespace),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": names.app},
            "minReplicaCount": scaling.min_replicas,
            "maxReplicaCount": scaling.max_replicas,
            "pollingInterval": KEDA_POLLING_INTERVAL_S,
            "cooldownPeriod": KEDA_COOLDOWN_S,
            "fallback": {
                "failureThreshold": KEDA_FALLBACK_FAILURES,
                "replicas": scaling.fallback_replicas,
            },
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
                    "name": QUEUE_TRIGGER,
                    "metricType": "AverageValue",
                    "metadata": {
                        "serverAddress": prometheus_query_url,
                        "query": queue_depth_query(workload, region=region),
                        "threshold": f"{scaling.queue_depth_target:g}",
                    },
                    "authenticationRef": {"name": names.trigger_auth},
                },
                *_working_hours_trigger(scaling.working_hours_replicas, working_hours),
            ],
        },
    }


def _working_hours_trigger(
    replicas: int | None, hours: WorkingHours | None
) -> list[dict[str, Any]]:
    if hours is None or replicas is None:
        return []
    return [
        {
            "type": "cron",
            "name": "working-hours",
            "metadata": {
                "timezone": hours.timezone,
                "start": hours.start_cron,
                "end": hours.end_cron,
                "desiredReplicas": str(replicas),
            },
        }
    ]


def pod_monitor_manifest(
    workload: WorkloadPlan, *, region: str, names: ManifestNames
) -> dict[str, Any]:
    """Managed Prometheus scrapes ``/metrics`` on the serving port every 30 s [kaito-mon]
    (``azmonitoring.coreos.com``, not ``monitoring.coreos.com``), adding the region label the
    autoscaling query and the alert rules filter on. ``/metrics`` is outside ``/v1``: vLLM's
    API key does not cover it, and the network policy admits only the scraper."""
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
