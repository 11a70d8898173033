"""inferplan's guardrails as plain functions: residency, cost, identity and exposure, streaming,
GPU pools, approved templates.

Each ``Rule`` has a name, a description, a default enforcement level and a fix. A resource rule
looks at one ``ResourceView`` and yields messages; a stack rule looks at every resource (or only
at the context, for the Plan-level caps and templates) and yields ``Violation``s. ``run_rules``
applies them all; ``policies.pack`` adapts the same rules to pulumi_policy for the Pulumi CLI.

Enforcement levels: every rule has a default (``Rule.level``); an environment overrides it per
rule in ``PolicyContext.enforcement`` (``mandatory``, ``advisory`` or ``disabled``), which
``inferplan check`` reads from the stack's ``Pulumi.<stack>.yaml`` key
``inferplan:policyEnforcement`` and writes into the CLI pack's config (docs/policies.md).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policies.view import COMPUTED, SECRET, Level, PolicyContext, ResourceView

# --- facts the rules rely on ----------------------------------------------------------------

# Azure's load balancers (and API Management's outbound path through them) drop a TCP flow idle
# for longer than the default 4 minutes; a backend timeout past that can never be reached.
LB_IDLE_TIMEOUT_S = 240
# API Management tiers that cannot hold server-sent-event streams (apim-sse.md [sse]).
TIERS_WITHOUT_STREAMING = frozenset({"Consumption"})
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_POOL_LABEL = "inferplan.io/pool"  # nodeSelector of pods placed on an inferplan GPU pool
WORKLOAD_LABEL = "inferplan.io/workload"
WORKLOAD_NODE_LABEL_PREFIX = "workload.inferplan.io/"
INTERNAL_LB_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-internal"
# Locations that are not a region (no data is processed "there").
NON_REGIONAL = frozenset({"global"})
# Shared services that hold or carry a strict-residency workload's data: the gateway (prompts
# and completions pass through it), logs, request telemetry and metrics.
SHARED_DATA_TYPES = frozenset(
    {
        "azure-native:apimanagement:ApiManagementService",
        "azure-native:operationalinsights:Workspace",
        "azure-native:applicationinsights:Component",
        "azure-native:monitor:AzureMonitorWorkspace",
    }
)
POD_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}
)
# Input keys whose value is a credential: they must reach Pulumi as secrets.
SENSITIVE_KEY = re.compile(
    r"^(hf_?token|token|api_?key|access_?key|primary_?key|secondary_?key|password|"
    r"admin_?password|client_?secret|secret|connection_?string|kubeconfig|sas_?token)$",
    re.IGNORECASE,
)
# Container environment variables that hold a credential (a *_PATH/_FILE/_DIR points at one).
SENSITIVE_ENV = re.compile(r"(TOKEN|SECRET|PASSWORD|API_?KEY|ACCESS_?KEY|CONNECTION_?STRING)")
NOT_A_VALUE_ENV = re.compile(r"_(PATH|FILE|DIR)$")


@dataclass(frozen=True)
class Violation:
    rule: str
    resource: str  # ``type::name``, or ``environment:<name>`` / ``workload:<name>``
    message: str
    urn: str | None = None  # for the CLI pack's report; None: the stack itself


ResourceCheck = Callable[[ResourceView, PolicyContext], Iterable[str]]
StackCheck = Callable[[Sequence[ResourceView], PolicyContext], Iterable[Violation]]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    level: Level
    fix: str
    resource_check: ResourceCheck | None = None
    stack_check: StackCheck | None = None

    @property
    def kind(self) -> str:
        return "resource" if self.resource_check is not None else "stack"

    def level_in(self, ctx: PolicyContext) -> Level:
        """The level in this environment: its override, else the rule's default."""
        return ctx.enforcement.get(self.name, self.level)


# --- small helpers ------------------------------------------------------------------------------


def _location(view: ResourceView) -> str | None:
    location = view.inputs.get("location")
    if not isinstance(location, str) or location == COMPUTED:
        return None
    normalized = location.replace(" ", "").lower()
    return None if normalized in NON_REGIONAL else normalized


def _unwrap(value: Any) -> Any:
    if isinstance(value, Mapping) and set(value) == {SECRET}:
        return value[SECRET]
    return value


def _pod_spec(view: ResourceView) -> Mapping[str, Any] | None:
    """The pod spec of a Kubernetes workload resource, or None for anything else."""
    if not view.type.startswith("kubernetes:"):
        return None
    kind = view.inputs.get("kind") or view.type.rsplit(":", 1)[-1]
    if kind not in POD_KINDS:
        return None
    spec = view.inputs.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec") or {}


def _kind(view: ResourceView) -> str:
    return str(view.inputs.get("kind") or view.type.rsplit(":", 1)[-1])


def _containers(pod: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("initContainers", "containers"):
        yield from pod.get(key) or ()


def _is_vllm(container: Mapping[str, Any]) -> bool:
    """The vLLM server, by its image's repository (``vllm/vllm-openai`` or a mirror of it)."""
    return "vllm" in str(container.get("image", "")).split("@")[0].lower()


def _gpus(container: Mapping[str, Any], part: str) -> int | None:
    value = ((container.get("resources") or {}).get(part) or {}).get(GPU_RESOURCE)
    if value is None:
        return None
    try:
        return int(float(str(value)))
    except ValueError:
        return None


def image_is_pinned(image: str) -> bool:
    """A digest, or a tag that is not ``latest`` (an image without a tag means ``latest``)."""
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    return last.rsplit(":", 1)[1] not in ("", "latest")


def _workload_names(view: ResourceView) -> set[str]:
    """Workloads a resource names itself: Azure tag, Kubernetes label, GPU pool node labels."""
    names: set[str] = set()
    tags = view.inputs.get("tags")
    if isinstance(tags, Mapping) and isinstance(tags.get("workload"), str):
        names.add(tags["workload"])
    metadata = view.inputs.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    if isinstance(labels, Mapping) and isinstance(labels.get(WORKLOAD_LABEL), str):
        names.add(labels[WORKLOAD_LABEL])
    node_labels = view.inputs.get("nodeLabels")
    if isinstance(node_labels, Mapping):
        names.update(
            k[len(WORKLOAD_NODE_LABEL_PREFIX) :]
            for k in node_labels
            if k.startswith(WORKLOAD_NODE_LABEL_PREFIX)
        )
    return names


# Resources that carry no workload name of their own but serve the workloads their siblings
# (children of the same component) name: a cluster its GPU pools', an account its deployments'.
# Network plumbing beside them (private endpoints, peerings) sits where its consumer is and is
# left to the environment's allowed regions.
ATTRIBUTED_BY_SIBLINGS = frozenset(
    {
        "azure-native:containerservice:ManagedCluster",
        "azure-native:cognitiveservices:Account",
    }
)


def attributed_workloads(view: ResourceView, views: Sequence[ResourceView]) -> set[str]:
    """Workloads a resource serves: its own tags and labels, or, for an AKS cluster or an
    Azure OpenAI account, those its siblings under the same component name (the cluster's GPU
    pools, the account's deployments)."""
    own = _workload_names(view)
    if own or view.parent is None or view.type not in ATTRIBUTED_BY_SIBLINGS:
        return own
    siblings: set[str] = set()
    for other in views:
        if other.parent == view.parent and other is not view:
            siblings |= _workload_names(other)
    return siblings


def _streaming_names(ctx: PolicyContext) -> set[str] | None:
    """Streaming workloads by name; None when the context is unknown (treat all as streaming)."""
    if not ctx.known:
        return None
    return {w.name for w in ctx.workloads if w.streaming}


def _applies_to_streaming(view: ResourceView, ctx: PolicyContext) -> bool:
    streaming = _streaming_names(ctx)
    if streaming is None:
        return True
    api = view.inputs.get("apiId")
    return api in streaming if isinstance(api, str) else bool(streaming)


def _forward_requests(view: ResourceView) -> list[ET.Element] | None:
    """The ``forward-request`` elements of an API Management policy; None if not parseable."""
    xml = _unwrap(view.inputs.get("value"))
    if not isinstance(xml, str) or xml == COMPUTED:
        return None
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None
    return list(root.iter("forward-request"))


def _regions(names: Iterable[str]) -> str:
    return ", ".join(names) or "none"


# --- residency ---------------------------------------------------------------------------------


def check_residency_regions(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    allowed_env = set(ctx.allowed_regions)
    strict = [w for w in ctx.workloads if w.strict_residency and w.allowed_regions]
    for view in views:
        location = _location(view)
        if location is None:
            continue
        if allowed_env and location not in allowed_env:
            yield Violation(
                RESIDENCY_REGIONS,
                view.key,
                f"{view.key} is in {location}; environment {ctx.environment} allows only "
                f"{_regions(ctx.allowed_regions)}.",
                view.urn,
            )
        served = attributed_workloads(view, views)
        for name in sorted(served):
            w = ctx.workload(name)
            if w is not None and w.allowed_regions and location not in w.allowed_regions:
                yield Violation(
                    RESIDENCY_REGIONS,
                    view.key,
                    f"{view.key} serves workload {name} from {location}; its residency allows "
                    f"only {_regions(w.allowed_regions)}.",
                    view.urn,
                )
        if not served and view.type in SHARED_DATA_TYPES:
            for w in strict:
                if location not in w.allowed_regions:
                    yield Violation(
                        RESIDENCY_REGIONS,
                        view.key,
                        f"{view.key} (gateway, logs or metrics) is in {location}, but workload "
                        f"{w.name} has strict residency in {_regions(w.allowed_regions)}.",
                        view.urn,
                    )


def check_openai_deployment_type(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    """The deployment's type is one the Plan chose for the workload, and the residency scope
    the catalog states for that type (``AzureOpenAIPlan.residency_scope``) fits residency."""
    if view.type != "azure-native:cognitiveservices:Deployment":
        return
    sku = str(view.get("sku.name", ""))
    for name in sorted(_workload_names(view)):
        w = ctx.workload(name)
        if w is None or not w.openai_deployments:
            continue
        planned = {d.deployment_type: d.residency_scope for d in w.openai_deployments}
        if sku not in planned:
            yield (
                f"deployment type {sku} of workload {name} is not one its plan chose "
                f"({', '.join(sorted(planned))}); re-plan instead of editing the type."
            )
            continue
        scope = planned[sku]
        if scope == "region":
            continue
        if w.strict_residency:
            yield (
                f"deployment type {sku} of workload {name} is not region-bound ({scope}), but "
                "its residency is strict."
            )
        elif scope == "global" and w.geography:
            yield (
                f"deployment type {sku} of workload {name} may process data anywhere in the "
                f"world, but its residency requires geography {w.geography}."
            )


# --- cost --------------------------------------------------------------------------------------


def check_environment_cap(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    if ctx.max_monthly_usd is None or ctx.monthly_usd is None:
        return
    if ctx.monthly_usd > ctx.max_monthly_usd:
        yield Violation(
            COST_ENVIRONMENT_CAP,
            f"environment:{ctx.environment}",
            f"environment {ctx.environment} is planned at ${ctx.monthly_usd:,.0f}/month, over "
            f"its cap of ${ctx.max_monthly_usd:,.0f}.",
        )


def check_workload_caps(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    for w in ctx.workloads:
        if w.max_monthly_usd is None or w.monthly_usd is None:
            continue
        if w.monthly_usd > w.max_monthly_usd:
            yield Violation(
                COST_WORKLOAD_CAP,
                f"workload:{w.name}",
                f"workload {w.name} is planned at ${w.monthly_usd:,.0f}/month, over its cap of "
                f"${w.max_monthly_usd:,.0f}.",
            )


# --- identity and exposure -------------------------------------------------------------------


def check_openai_local_auth(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type != "azure-native:cognitiveservices:Account":
        return
    if view.get("properties.disableLocalAuth") is not True:
        yield f"{view.key} accepts API keys (properties.disableLocalAuth is not true)."


def check_openai_network_access(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if (
        view.type != "azure-native:cognitiveservices:Account"
        or ctx.public_network_access is not False
    ):
        return
    access = view.get("properties.publicNetworkAccess")
    if access != "Disabled":
        yield (
            f"{view.key} has publicNetworkAccess {access or 'unset (Enabled)'}; environment "
            f"{ctx.environment} allows no public network access."
        )


def check_aks_local_accounts(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if (
        view.type == "azure-native:containerservice:ManagedCluster"
        and view.get("disableLocalAccounts") is not True
    ):
        yield f"{view.key} keeps local accounts (disableLocalAccounts is not true)."


def check_aks_azure_rbac(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type != "azure-native:containerservice:ManagedCluster":
        return
    if (
        view.get("aadProfile.managed") is not True
        or view.get("aadProfile.enableAzureRBAC") is not True
    ):
        yield f"{view.key} does not authorize with Entra ID and Azure RBAC (aadProfile)."
    if view.get("enableRBAC") is False:
        yield f"{view.key} turns Kubernetes RBAC off (enableRBAC false)."


def check_aks_workload_identity(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type != "azure-native:containerservice:ManagedCluster":
        return
    if view.get("securityProfile.workloadIdentity.enabled") is not True:
        yield f"{view.key} has workload identity off (securityProfile.workloadIdentity)."
    if view.get("oidcIssuerProfile.enabled") is not True:
        yield f"{view.key} has no OIDC issuer, which workload identity needs."


def check_service_internal(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if _kind(view) != "Service" or not view.type.startswith("kubernetes:"):
        return
    spec = view.inputs.get("spec") or {}
    annotations = (view.inputs.get("metadata") or {}).get("annotations") or {}
    kind = spec.get("type", "ClusterIP")
    if kind == "LoadBalancer" and str(annotations.get(INTERNAL_LB_ANNOTATION)).lower() != "true":
        yield f'{view.key} is a public load balancer (no {INTERNAL_LB_ANNOTATION}: "true").'
    if spec.get("externalIPs"):
        yield f"{view.key} publishes external IPs {', '.join(spec['externalIPs'])}."


def _plain_secrets(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, Mapping):
        if set(value) == {SECRET}:
            return  # kept secret by Pulumi
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if (
                SENSITIVE_KEY.match(str(key))
                and isinstance(item, str)
                and item not in ("", COMPUTED)
            ):
                yield where
            else:
                yield from _plain_secrets(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _plain_secrets(item, f"{path}[{i}]")


def check_no_plain_secrets(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = _pod_spec(view)
    for container in _containers(pod or {}):
        for env in container.get("env") or ():
            name = str(env.get("name", ""))
            if (
                "value" in env
                and SENSITIVE_ENV.search(name)
                and not NOT_A_VALUE_ENV.search(name)
                and env["value"] not in ("", None)
            ):
                yield (
                    f"{view.key}: container {container.get('name')} sets {name} as a literal "
                    "environment value."
                )
    if not view.secrets_marked:
        return  # the CLI's analyzer unwraps secrets: only the structural checks above apply
    if view.type == "kubernetes:core/v1:Secret":
        for part in ("data", "stringData"):
            values = view.inputs.get(part) or {}
            if isinstance(values, Mapping) and set(values) == {SECRET}:
                continue  # the whole map is one Pulumi secret (Output.secret in a dict)
            for key, item in values.items():
                if not (isinstance(item, Mapping) and set(item) == {SECRET}):
                    yield f"{view.key}: Secret {part}.{key} is a plain input, not a Pulumi secret."
        return
    for where in _plain_secrets(view.inputs, ""):
        yield f"{view.key}: {where} is a plain input, not a Pulumi secret."


# --- streaming ---------------------------------------------------------------------------------

POLICY_TYPES = frozenset(
    {
        "azure-native:apimanagement:ApiPolicy",
        "azure-native:apimanagement:ApiOperationPolicy",
        "azure-native:apimanagement:Policy",
    }
)
DIAGNOSTIC_TYPES = frozenset(
    {"azure-native:apimanagement:ApiDiagnostic", "azure-native:apimanagement:Diagnostic"}
)


def check_streaming_tier(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type != "azure-native:apimanagement:ApiManagementService":
        return
    tier = view.get("sku.name")
    streaming = _streaming_names(ctx)
    if tier in TIERS_WITHOUT_STREAMING and (streaming is None or streaming):
        who = ", ".join(sorted(streaming)) if streaming else "streaming workloads"
        yield f"{view.key} is the {tier} tier, which cannot hold SSE streams for {who}."


def check_no_buffering(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type not in POLICY_TYPES or not _applies_to_streaming(view, ctx):
        return
    forwards = _forward_requests(view)
    if forwards is None:
        return
    for fwd in forwards:
        if fwd.get("buffer-response") != "false":
            yield f'{view.key}: forward-request without buffer-response="false" buffers SSE.'
    xml = str(_unwrap(view.inputs.get("value")))
    if "Response.Body" in xml:
        yield f"{view.key}: a policy reads the response body, which buffers the stream."


def check_no_body_logging(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type not in DIAGNOSTIC_TYPES or not _applies_to_streaming(view, ctx):
        return
    for side in ("frontend", "backend"):
        for message in ("request", "response"):
            body_bytes = view.get(f"{side}.{message}.body.bytes", 0)
            if body_bytes not in (0, None):
                yield f"{view.key} logs {body_bytes} bytes of {side} {message} bodies."


def check_backend_timeout(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type not in POLICY_TYPES:
        return
    for fwd in _forward_requests(view) or ():
        timeout = fwd.get("timeout")
        if timeout is None:
            yield (
                f"{view.key}: forward-request has no timeout (API Management's default is 300 s, "
                f"past Azure's {LB_IDLE_TIMEOUT_S} s idle limit)."
            )
        elif not timeout.isdigit() or int(timeout) > LB_IDLE_TIMEOUT_S:
            yield (
                f"{view.key}: backend timeout {timeout} s exceeds the {LB_IDLE_TIMEOUT_S} s "
                "Azure's load balancers keep an idle connection open."
            )


# --- GPU pools and GPU workloads ---------------------------------------------------------------


def _is_gpu_pool(view: ResourceView) -> bool:
    if view.type != "azure-native:containerservice:AgentPool":
        return False
    vm_size = str(view.inputs.get("vmSize", ""))
    return bool(view.inputs.get("gpuProfile")) or vm_size.lower().startswith("standard_n")


def check_gpu_pool_taint(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if not _is_gpu_pool(view):
        return
    taints = [str(t) for t in view.inputs.get("nodeTaints") or ()]
    if not any(t.startswith(GPU_TAINT_KEY) and t.endswith(":NoSchedule") for t in taints):
        yield f"{view.key} ({view.inputs.get('vmSize')}) has no {GPU_TAINT_KEY} NoSchedule taint."


def check_gpu_pool_autoscaling(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if not _is_gpu_pool(view):
        return
    i = view.inputs
    if i.get("enableAutoScaling") is not True:
        yield f"{view.key} is not autoscaled (enableAutoScaling)."
    low, count, high = i.get("minCount"), i.get("count"), i.get("maxCount")
    if not all(isinstance(v, int | float) for v in (low, count, high)):
        yield f"{view.key} needs minCount, count and maxCount (got {low}/{count}/{high})."
    elif not (0 <= low <= count <= high and high >= 1):
        yield f"{view.key}: need 0 <= minCount <= count <= maxCount, got {low}/{count}/{high}."
    if "count" not in (view.options.get("ignoreChanges") or ()):
        yield f"{view.key} does not ignore changes to count, so an update resets the autoscaler."


def check_gpu_pool_name(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    """The pool of a VM size carries the name the Plan gave it (``AksPlan.pool_name``)."""
    if not _is_gpu_pool(view):
        return
    vm_size = str(view.inputs.get("vmSize", ""))
    expected = next(
        (w.pool_name for w in ctx.workloads if w.vm_sku == vm_size and w.pool_name), None
    )
    actual = view.inputs.get("agentPoolName")
    if expected is not None and actual != expected:
        yield f"{view.key} is named {actual!r}; a pool of {vm_size} should be {expected!r}."


def check_gpu_toleration(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = _pod_spec(view)
    if pod is None:
        return
    wants_gpu = any(
        (_gpus(c, "limits") or 0) > 0 or (_gpus(c, "requests") or 0) > 0 for c in _containers(pod)
    )
    if not wants_gpu:
        return
    tolerated = any(
        t.get("key") == GPU_TAINT_KEY
        and t.get("effect") in (None, "", "NoSchedule")
        and (t.get("operator") == "Exists" or "value" in t)
        for t in pod.get("tolerations") or ()
    )
    if not tolerated:
        yield f"{view.key} requests GPUs but does not tolerate the {GPU_TAINT_KEY} taint."


def check_gpu_requests(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = _pod_spec(view)
    if pod is None:
        return
    containers = list(_containers(pod))
    on_gpu_pool = GPU_POOL_LABEL in (pod.get("nodeSelector") or {})
    uses_gpus = any((_gpus(c, "limits") or 0) > 0 for c in containers)
    if on_gpu_pool and _kind(view) != "DaemonSet" and not uses_gpus:
        yield f"{view.key} is placed on a GPU pool but requests no {GPU_RESOURCE}."
    names = _workload_names(view)
    planned = next((ctx.workload(n) for n in sorted(names) if ctx.workload(n)), None)
    for c in containers:
        if not _is_vllm(c):
            continue
        limits, requests = _gpus(c, "limits"), _gpus(c, "requests")
        if requests is not None and requests != limits:
            yield (
                f"{view.key}: container {c.get('name')} requests {requests} and limits {limits} "
                f"{GPU_RESOURCE}; GPUs cannot be overcommitted, requests must equal limits."
            )
        if planned is None or not planned.tensor_parallel:
            continue
        if limits != planned.tensor_parallel:
            yield (
                f"{view.key}: container {c.get('name')} has {GPU_RESOURCE} limits {limits}; "
                f"the plan for {planned.name} runs tensor parallel {planned.tensor_parallel}."
            )
        args = tuple(str(a) for a in c.get("args") or ())
        if planned.vllm_args and args != planned.vllm_args:
            yield (
                f"{view.key}: container {c.get('name')} runs flags other than the plan's for "
                f"{planned.name}; the plan's vLLM flags are copied as they are."
            )


def check_images_pinned(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = _pod_spec(view)
    for c in _containers(pod or {}):
        image = str(c.get("image", ""))
        if image and image != COMPUTED and not image_is_pinned(image):
            yield f"{view.key}: container {c.get('name')} runs unpinned image {image}."


# --- deployability: versions, quota, credentials, identities ---------------------------------

CLUSTER_TYPE = "azure-native:containerservice:ManagedCluster"
ROLE_ASSIGNMENT_TYPE = "azure-native:authorization:RoleAssignment"
AKS_RBAC_CLUSTER_ADMIN_ROLE = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"  # Azure built-in role id
HF_TOKEN_CONFIG = "inferplan:hfToken"
CREDENTIAL_CONFIG = {  # credential set -> the stack's Pulumi config keys that fill it
    "docker-io": ("inferplan:dockerHubUsername", "inferplan:dockerHubToken"),
}
# What a node meets pulling an upstream anonymously, when the registry cannot cache it without
# the credential set. Docker Hub: "Unauthenticated users: 10 [pulls per hour] per IPv4 address
# or IPv6 /64 subnet"; Personal (authenticated) 100 per hour (Docker Docs, "Docker Hub usage
# and limits", docs.docker.com/docker-hub/usage/, table as of 2025-04).
ANONYMOUS_PULL_LIMITS = {
    "docker-io": "Docker Hub allows unauthenticated pulls 10 per hour per IPv4 address (or IPv6 "
    "/64 subnet), and a cluster's nodes share its outbound IP addresses",
}
# Log columns and settings whose value means "reachable from public networks".
PUBLIC_NETWORK_ACCESS_KEYS = ("publicNetworkAccessForIngestion", "publicNetworkAccessForQuery")
AMA_METRICS_LABEL = "rsName"
PRIVATE_RANGES_REQUIRED = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")
NODE_RESOURCE_GROUP_MAX = 80


def check_kubernetes_version(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    """AKS creates clusters only on minors in community support (supported-kubernetes-versions:
    "Cluster creation: Not Supported" in platform support); judged on the catalog's date."""
    status = ctx.kubernetes_status
    if status is None or status == "supported":
        return
    minor, as_of, newest = ctx.kubernetes_version, ctx.kubernetes_as_of, ctx.kubernetes_newest_ga
    why = {
        "end-of-life": f"went out of AKS support on {ctx.kubernetes_end_of_life} "
        f"(LTS until {ctx.kubernetes_lts_end_of_life or 'never'})",
        "lts": f"is past community support since {ctx.kubernetes_end_of_life}; only long-term "
        f"support (until {ctx.kubernetes_lts_end_of_life}, Premium tier and the LTS support "
        "plan, which inferplan does not configure) covers it",
        "not-ga": "is not generally available in AKS yet",
        "unknown": "is not in the AKS versions catalog",
    }[status]
    yield Violation(
        KUBERNETES_VERSION,
        f"environment:{ctx.environment}",
        f"Kubernetes {minor} {why}, as of {as_of}; the newest generally available minor then "
        f"is {newest}.",
    )


def check_cluster_version(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    """The cluster runs the version the Plan judged, not one edited in after planning."""
    if view.type != CLUSTER_TYPE or ctx.kubernetes_version is None:
        return
    version = str(view.get("kubernetesVersion", ""))

    def minor(text: str) -> str:
        return ".".join(text.split(".")[:2])

    if version and version != COMPUTED and minor(version) != minor(ctx.kubernetes_version):
        yield (
            f"{view.key} runs Kubernetes {version}; the plan judged "
            f"{ctx.kubernetes_version} against AKS's calendar."
        )


def check_quota(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    for q in ctx.quota:
        default = f"{q.default:,} {q.unit}" if q.default is not None else "no documented default"
        yield Violation(
            QUOTA,
            f"environment:{ctx.environment}",
            f"{q.name} in {q.region} needs {q.needed:,} {q.unit} ({default}); {q.request}.",
        )


def check_gated_model_token(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    if ctx.configured is None or HF_TOKEN_CONFIG in ctx.configured:
        return
    for w in ctx.workloads:
        if w.hf_gated:
            yield Violation(
                GATED_MODEL_TOKEN,
                f"workload:{w.name}",
                f"workload {w.name} downloads a gated Hugging Face model and stack "
                f"{ctx.environment} sets no {HF_TOKEN_CONFIG}: its pods would fail to start.",
            )


def check_registry_credentials(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    if ctx.configured is None:
        return
    for credential in ctx.required_credentials:
        keys = CREDENTIAL_CONFIG.get(credential, (f"inferplan:{credential}",))
        missing = [k for k in keys if k not in ctx.configured]
        if missing:
            limit = ANONYMOUS_PULL_LIMITS.get(credential, "the upstream's anonymous limits apply")
            yield Violation(
                REGISTRY_CREDENTIALS,
                f"environment:{ctx.environment}",
                f"stack {ctx.environment} sets no {', '.join(missing)}, so the registry cannot "
                f"cache images from the upstream of credential set {credential} (artifact cache "
                "pulls from Docker Hub authenticated only): nodes pull them from the upstream "
                f"directly. {limit}: a scale-out or restarts past that fail with "
                "toomanyrequests until the hour passes.",
            )


def _siblings(view: ResourceView, views: Sequence[ResourceView], type_: str) -> list[ResourceView]:
    return [v for v in views if v.parent == view.parent and v.type == type_ and v is not view]


def check_cluster_admin(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    """Local accounts are off: without a data-plane role for whoever runs Pulumi, every
    Kubernetes resource after the cluster fails with 403."""
    for view in views:
        if view.type != CLUSTER_TYPE:
            continue
        granted = any(
            str(ra.inputs.get("roleDefinitionId", "")).lower().endswith(AKS_RBAC_CLUSTER_ADMIN_ROLE)
            for ra in _siblings(view, views, ROLE_ASSIGNMENT_TYPE)
        )
        if not granted:
            yield Violation(
                CLUSTER_ADMIN,
                view.key,
                f"{view.key} grants nobody Azure Kubernetes Service RBAC Cluster Admin, and its "
                "local accounts are off: Pulumi's Kubernetes resources would fail with 403.",
                view.urn,
            )


def check_keda_identity(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if _kind(view) != "TriggerAuthentication" or not view.type.startswith("kubernetes:"):
        return
    identity = (view.inputs.get("spec") or {}).get("podIdentity") or {}
    if identity.get("provider") == "azure-workload" and not identity.get("identityId"):
        yield (
            f"{view.key} uses workload identity without identityId: KEDA's operator has no "
            "federated identity of its own on AKS, so the trigger fails and KEDA stays on its "
            "fallback replicas."
        )


def check_vllm_network_policy(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if _kind(view) != "NetworkPolicy" or not _workload_names(view):
        return
    spec = view.inputs.get("spec") or {}
    for rule in spec.get("ingress") or ():
        if not rule.get("from"):
            yield f"{view.key} admits ingress from anywhere (an ingress rule without from)."
    if "Ingress" in (spec.get("policyTypes") or ()) and not spec.get("ingress"):
        return  # no ingress rule at all: denied
    for rule in spec.get("egress") or ():
        for peer in rule.get("to") or ():
            block = peer.get("ipBlock") or {}
            if block.get("cidr") == "0.0.0.0/0":
                kept = set(block.get("except") or ())
                open_ranges = [r for r in PRIVATE_RANGES_REQUIRED if r not in kept]
                if open_ranges:
                    yield (
                        f"{view.key} lets the model server reach private addresses "
                        f"({', '.join(open_ranges)}) through 0.0.0.0/0."
                    )
        if not rule.get("to") and any(p.get("port") not in (53,) for p in rule.get("ports") or ()):
            yield f"{view.key} allows egress to anywhere (an egress rule without to)."


def check_vllm_api_key(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = _pod_spec(view)
    for c in _containers(pod or {}):
        if not _is_vllm(c):
            continue
        args = [str(a) for a in c.get("args") or ()]
        from_env = any(
            e.get("name") == "VLLM_API_KEY" and "secretKeyRef" in (e.get("valueFrom") or {})
            for e in c.get("env") or ()
        )
        if not from_env and not any(a.startswith("--api-key") for a in args):
            yield (
                f"{view.key}: container {c.get('name')} serves without an API key "
                "(VLLM_API_KEY from a Secret): anything that reaches it may call it."
            )


def _backend_ids_in_pools(views: Sequence[ResourceView]) -> list[str]:
    ids = []
    for v in views:
        if v.type == BACKEND_TYPE and v.inputs.get("type") == "Pool":
            pool = v.inputs.get("pool") or {}
            ids += [str(s.get("id", "")) for s in pool.get("services") or ()]
    return ids


def check_circuit_breakers(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    """Breakers only where a pool has another member to fail over to, and never tripping on a
    single failure."""
    members = _backend_ids_in_pools(views)
    for view in views:
        if view.type != BACKEND_TYPE or view.inputs.get("type") == "Pool":
            continue
        rules = (view.inputs.get("circuitBreaker") or {}).get("rules") or ()
        if not rules:
            continue
        backend = str(view.inputs.get("backendId", ""))
        if not any(m.endswith(backend) for m in members if backend):
            yield Violation(
                CIRCUIT_BREAKERS,
                view.key,
                f"{view.key} has a circuit breaker but is in no pool: one tripped breaker takes "
                "the whole workload down for the trip duration.",
                view.urn,
            )
        for rule in rules:
            count = (rule.get("failureCondition") or {}).get("count")
            if isinstance(count, int | float) and count < 2:
                yield Violation(
                    CIRCUIT_BREAKERS,
                    view.key,
                    f"{view.key} trips after {count:g} failure: one 429 takes a region out.",
                    view.urn,
                )


def check_subscription_key_header(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    """An API that names a query parameter for subscription keys refuses it in its policy."""
    policies = {
        str(v.inputs.get("apiId")): str(_unwrap(v.inputs.get("value")) or "")
        for v in views
        if v.type == "azure-native:apimanagement:ApiPolicy"
    }
    for view in views:
        if view.type != "azure-native:apimanagement:Api":
            continue
        query = (view.inputs.get("subscriptionKeyParameterNames") or {}).get("query")
        if not query or query == COMPUTED:
            continue
        refusal = f"Url.Query.ContainsKey(&quot;{query}&quot;)"
        text = policies.get(str(view.inputs.get("apiId")), "")
        if refusal not in text and refusal.replace("&quot;", '"') not in text:
            yield Violation(
                SUBSCRIPTION_KEY_HEADER,
                view.key,
                f"{view.key} accepts subscription keys in the query string ({query}=...), which "
                "proxies and access logs keep.",
                view.urn,
            )


def check_gateway_portals(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type != "azure-native:apimanagement:ApiManagementService" or ctx.developer_portal:
        return
    if ctx.developer_portal is None and not ctx.known:
        return
    for key in ("developerPortalStatus", "legacyPortalStatus"):
        if view.inputs.get(key) != "Disabled":
            yield (
                f"{view.key} has {key} {view.inputs.get(key) or 'unset (Enabled)'}; environment "
                f"{ctx.environment} asks for no portal (gateway.developer_portal)."
            )


def _public_layers(view: ResourceView) -> list[str]:
    """Which of a resource's settings leave it reachable from public networks."""
    t, found = view.type, []
    if t == CLUSTER_TYPE:
        profile = view.inputs.get("apiServerAccessProfile") or {}
        if not profile.get("enablePrivateCluster") and not profile.get("authorizedIPRanges"):
            found.append("AKS API server open to any address (no authorized IP ranges)")
        addon = ((view.inputs.get("addonProfiles") or {}).get("omsagent") or {}).get("config")
        if addon and str(addon.get("useAADAuth", "false")).lower() != "true":
            found.append("Container Insights ingests with a workspace key (useAADAuth false)")
    elif t in (
        "azure-native:operationalinsights:Workspace",
        "azure-native:applicationinsights:Component",
    ):
        for key in PUBLIC_NETWORK_ACCESS_KEYS:
            if view.inputs.get(key) != "Disabled":
                found.append(f"{key} {view.inputs.get(key) or 'unset (Enabled)'}")
        local = (
            view.get("features.disableLocalAuth")
            if "operationalinsights" in t
            else view.get("disableLocalAuth")
        )
        if local is not True:
            found.append("local (key) authentication on")
    elif t == "azure-native:keyvault:Vault" and (
        view.get("properties.publicNetworkAccess") != "Disabled"
    ):
        found.append("Key Vault public network access on")
    elif t == "azure-native:containerregistry:Registry" and (
        view.inputs.get("publicNetworkAccess") != "Disabled"
    ):
        found.append("container registry public network access on")
    return found


def check_private_layers(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if ctx.public_network_access is not False:
        return
    for layer in _public_layers(view):
        yield (
            f"{view.key} is still public: {layer}; environment {ctx.environment} allows no "
            "public network access."
        )


def _docker_hub_credentials_set(ctx: PolicyContext) -> bool:
    keys = CREDENTIAL_CONFIG["docker-io"]
    return ctx.configured is not None and all(k in ctx.configured for k in keys)


def check_anonymous_docker_hub(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    """Nodes behind one egress address share Docker Hub's unauthenticated pull limit. A stack
    with Docker Hub credentials caches every Docker Hub image, so none may pull it directly;
    without them anonymous pulls are the only way, and ``registry-credentials`` says so."""
    if not _docker_hub_credentials_set(ctx):
        return
    pod = _pod_spec(view)
    for c in _containers(pod or {}):
        image = str(c.get("image", ""))
        if not image or image == COMPUTED:
            continue
        first = image.split("/", 1)[0]
        on_hub = (
            first in ("docker.io", "index.docker.io")
            or ("/" in image and "." not in first and ":" not in first and first != "localhost")
            or "/" not in image
        )
        if on_hub:
            yield (
                f"{view.key}: container {c.get('name')} pulls {image} from Docker Hub "
                "anonymously; pull it through the environment's registry cache."
            )


def check_node_disks(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if _is_gpu_pool(view) and not view.inputs.get("osDiskSizeGB"):
        yield (
            f"{view.key} leaves its OS disk at AKS's default size, which a large checkpoint "
            "(downloaded per replica into the node's disk) overflows."
        )
    if view.type == CLUSTER_TYPE:
        group = view.inputs.get("nodeResourceGroup")
        if not group:
            yield (
                f"{view.key} leaves its node resource group to AKS "
                "(MC_<group>_<cluster>_<region>), which passes "
                f"{NODE_RESOURCE_GROUP_MAX} characters for long environment names."
            )
        elif isinstance(group, str) and len(group) > NODE_RESOURCE_GROUP_MAX:
            yield f"{view.key}: node resource group {group} is over 80 characters."


def check_gateway_geography(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    """No workload's traffic crosses its residency geography at the gateway: each API is hosted
    by a gateway in the workload's geography."""
    if not ctx.region_geographies:
        return
    services = {
        v.parent: v for v in views if v.type == "azure-native:apimanagement:ApiManagementService"
    }
    for api in views:
        if api.type != "azure-native:apimanagement:Api":
            continue
        w = ctx.workload(str(api.inputs.get("apiId")))
        service = services.get(api.parent)
        if w is None or service is None:
            continue
        geography = w.geography or (ctx.region_geographies.get(w.regions[0]) if w.regions else None)
        where = _location(service)
        if geography is None or where is None:
            continue
        there = ctx.region_geographies.get(where)
        if there is not None and there != geography:
            yield Violation(
                GATEWAY_GEOGRAPHY,
                api.key,
                f"workload {w.name} ({geography}) is fronted by {service.key} in {where} "
                f"({there}): its prompts cross its residency geography at the gateway.",
                api.urn,
            )


# --- weak production settings (advisory by default; a production stack raises them) ---------


def _environment_setting(
    rule: str, failing: bool, message: str, ctx: PolicyContext
) -> Iterator[Violation]:
    if ctx.known and failing:
        yield Violation(rule, f"environment:{ctx.environment}", message)


def check_public_network(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    yield from _environment_setting(
        PUBLIC_NETWORK,
        ctx.public_network_access is True,
        f"environment {ctx.environment} allows public network access to its services "
        "(network.public_network_access: true).",
        ctx,
    )


def check_gateway_sla(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    yield from _environment_setting(
        GATEWAY_SLA,
        ctx.gateway_sla is False,
        f"environment {ctx.environment} runs its gateway on the {ctx.gateway_tier} tier, which "
        "has no SLA.",
        ctx,
    )


def check_protect(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    yield from _environment_setting(
        PROTECT,
        ctx.protect is False,
        f"environment {ctx.environment} does not protect its clusters, gateway, accounts and "
        "logs from deletion (protect: false).",
        ctx,
    )


def check_alert_email(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    yield from _environment_setting(
        ALERT_EMAIL,
        ctx.alert_email is False,
        f"environment {ctx.environment}'s SLO alerts reach nobody (observability.alert_email "
        "is not set).",
        ctx,
    )


def check_system_pool(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    count = ctx.system_node_count
    yield from _environment_setting(
        SYSTEM_POOL,
        count is not None and count < 3,
        f"environment {ctx.environment} runs {count} system node(s); AKS asks for at least two "
        "and recommends three, spread over zones (use-system-pools.md).",
        ctx,
    )


def check_soft_deleted_restore(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    yield from _environment_setting(
        SOFT_DELETED,
        ctx.soft_deleted == "restore",
        f"environment {ctx.environment} undeletes soft-deleted services on every up "
        "(soft_deleted: restore); set it back to purge once the restoring up has run.",
        ctx,
    )


BACKEND_TYPE = "azure-native:apimanagement:Backend"


# --- templates ---------------------------------------------------------------------------------


def check_templates(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    if not ctx.require_templates:
        return
    for w in ctx.workloads:
        if not w.template:
            yield Violation(
                TEMPLATES_REQUIRED,
                f"workload:{w.name}",
                f"workload {w.name} names no approved template, but environment "
                f"{ctx.environment} requires one.",
            )


# --- the rule list -----------------------------------------------------------------------------

RESIDENCY_REGIONS = "residency-regions"
RESIDENCY_OPENAI_TYPES = "residency-openai-deployment-type"
COST_ENVIRONMENT_CAP = "cost-environment-cap"
COST_WORKLOAD_CAP = "cost-workload-cap"
TEMPLATES_REQUIRED = "templates-required"
KUBERNETES_VERSION = "aks-version-supported"
QUOTA = "quota-requests"
GATED_MODEL_TOKEN = "gated-model-token"
REGISTRY_CREDENTIALS = "registry-credentials"
CLUSTER_ADMIN = "aks-cluster-admin"
CIRCUIT_BREAKERS = "gateway-circuit-breakers"
SUBSCRIPTION_KEY_HEADER = "gateway-subscription-key-header"
GATEWAY_GEOGRAPHY = "gateway-residency-geography"
PUBLIC_NETWORK = "environment-public-network-access"
GATEWAY_SLA = "gateway-tier-sla"
PROTECT = "environment-protect"
ALERT_EMAIL = "alerts-notify"
SYSTEM_POOL = "aks-system-pool-redundancy"
SOFT_DELETED = "soft-deleted-restore"

RULES: tuple[Rule, ...] = (
    Rule(
        RESIDENCY_REGIONS,
        "Every resource with a location is in a region its workloads and environment allow; "
        "the gateway, logs and metrics stay in the regions of strict-residency workloads.",
        "mandatory",
        "Place the resource in one of the allowed regions (the plan's), or widen the workload's "
        "spec.residency or the environment's limits.allowed_regions if that is truly allowed.",
        stack_check=check_residency_regions,
    ),
    Rule(
        RESIDENCY_OPENAI_TYPES,
        "Azure OpenAI deployment types agree with residency: no Global types where data must "
        "stay in a geography, no Data Zone or Global types where residency is strict.",
        "mandatory",
        "Use a regional type (Standard or ProvisionedManaged) for strict residency, or a "
        "DataZone type inside the geography; re-plan with `inferplan plan`.",
        resource_check=check_openai_deployment_type,
    ),
    Rule(
        COST_ENVIRONMENT_CAP,
        "The environment's planned monthly cost is within its cap.",
        "mandatory",
        "Lower the workloads' traffic or SLOs, allow cheaper targets, or raise "
        "spec.limits.max_monthly_usd with the budget owner's approval.",
        stack_check=check_environment_cap,
    ),
    Rule(
        COST_WORKLOAD_CAP,
        "Each workload's planned monthly cost is within its own cap.",
        "mandatory",
        "Relax the workload's SLO or traffic, allow other precisions or targets, or raise its "
        "spec.cost.max_monthly_usd.",
        stack_check=check_workload_caps,
    ),
    Rule(
        "openai-local-auth-disabled",
        "Azure OpenAI accounts accept Entra ID only: local (API key) auth is disabled.",
        "mandatory",
        "Set properties.disableLocalAuth=True on the account; callers use a managed identity "
        "with the Cognitive Services OpenAI User role.",
        resource_check=check_openai_local_auth,
    ),
    Rule(
        "openai-public-network-access",
        "Azure OpenAI public network access is disabled where the environment requires it.",
        "mandatory",
        'Set properties.publicNetworkAccess="Disabled" (and a default-deny network ACL), or '
        "set spec.network.public_network_access: true if the environment really allows it.",
        resource_check=check_openai_network_access,
    ),
    Rule(
        "aks-local-accounts-disabled",
        "AKS clusters have local accounts disabled.",
        "mandatory",
        "Set disableLocalAccounts=True on the ManagedCluster (Entra ID logins only).",
        resource_check=check_aks_local_accounts,
    ),
    Rule(
        "aks-azure-rbac",
        "AKS clusters authorize with Entra ID and Azure RBAC, and keep Kubernetes RBAC on.",
        "mandatory",
        "Set aadProfile={managed: True, enableAzureRBAC: True} and enableRBAC=True.",
        resource_check=check_aks_azure_rbac,
    ),
    Rule(
        "aks-workload-identity",
        "AKS clusters have the OIDC issuer and workload identity on.",
        "mandatory",
        "Set oidcIssuerProfile.enabled=True and securityProfile.workloadIdentity.enabled=True.",
        resource_check=check_aks_workload_identity,
    ),
    Rule(
        "vllm-service-internal",
        "No Kubernetes Service is reachable from the internet: load balancers are internal.",
        "mandatory",
        f'Annotate the Service with {INTERNAL_LB_ANNOTATION}: "true" (the gateway reaches it '
        "over the peered virtual network) and publish no externalIPs.",
        resource_check=check_service_internal,
    ),
    Rule(
        "no-plain-secrets",
        "No secret (Hugging Face token, keys, passwords, connection strings) is a plain input.",
        "mandatory",
        "Pass it as a Pulumi secret (pulumi config set --secret, pulumi.Output.secret) and into "
        "pods as a mounted Secret file, never as a literal environment value.",
        resource_check=check_no_plain_secrets,
    ),
    Rule(
        "gateway-streaming-tier",
        "No API Management tier without streaming support carries a streaming workload.",
        "mandatory",
        "Choose a classic or v2 tier (Developer, Basic/BasicV2, Standard/StandardV2, Premium) "
        "in the environment's spec.gateway.tier.",
        resource_check=check_streaming_tier,
    ),
    Rule(
        "gateway-no-buffering",
        "Streaming workloads' gateway policies never buffer the response.",
        "mandatory",
        'Use <forward-request buffer-response="false"> and do not read context.Response.Body '
        "in any policy of a streaming API.",
        resource_check=check_no_buffering,
    ),
    Rule(
        "gateway-no-body-logging",
        "Gateway diagnostics log no request or response bodies on streaming operations.",
        "mandatory",
        "Set body.bytes to 0 for frontend and backend request and response in the API's "
        "diagnostic; logging bodies buffers server-sent events.",
        resource_check=check_no_body_logging,
    ),
    Rule(
        "gateway-backend-timeout",
        f"Gateway backend timeouts stay within the {LB_IDLE_TIMEOUT_S} s Azure's load "
        "balancers keep an idle connection open.",
        "mandatory",
        f'Set <forward-request timeout="N"> with N <= {LB_IDLE_TIMEOUT_S}; long generations '
        "must stream so bytes keep flowing.",
        resource_check=check_backend_timeout,
    ),
    Rule(
        "gpu-pool-taint",
        "GPU node pools are tainted so only GPU workloads land on them.",
        "mandatory",
        f'Add nodeTaints=["{GPU_TAINT_KEY}=present:NoSchedule"] to the AgentPool.',
        resource_check=check_gpu_pool_taint,
    ),
    Rule(
        "gpu-pool-autoscaling",
        "GPU node pools autoscale within set bounds, and Pulumi ignores the count after creation.",
        "mandatory",
        "Set enableAutoScaling=True with minCount <= count <= maxCount, and "
        'ResourceOptions(ignore_changes=["count"]).',
        resource_check=check_gpu_pool_autoscaling,
    ),
    Rule(
        "gpu-pool-named-from-sku",
        "GPU node pools are named from their VM size, so a new size is a new pool (created "
        "before the old one is deleted) instead of an in-place change AKS rejects.",
        "advisory",
        "Name the pool as the plan does (AksPlan.pool_name, sizing.deploy.pool_names).",
        resource_check=check_gpu_pool_name,
    ),
    Rule(
        "gpu-workload-tolerates-taint",
        "Pods that request GPUs tolerate the GPU pools' taint.",
        "mandatory",
        f"Add a toleration {{key: {GPU_TAINT_KEY}, operator: Exists, effect: NoSchedule}}.",
        resource_check=check_gpu_toleration,
    ),
    Rule(
        "gpu-workload-requests-gpus",
        "GPU workloads request the GPUs they use: vLLM's nvidia.com/gpu requests = limits = "
        "--tensor-parallel-size = the plan's tensor parallel; pods on a GPU pool request GPUs.",
        "mandatory",
        "Set resources.requests and resources.limits nvidia.com/gpu to the tensor-parallel "
        "size the plan chose (AksPlan.tensor_parallel).",
        resource_check=check_gpu_requests,
    ),
    Rule(
        "image-pinned",
        "Container images are pinned to a version tag or digest, never latest.",
        "mandatory",
        "Use an explicit version tag (vllm/vllm-openai:v0.11.0) or a digest (@sha256:...).",
        resource_check=check_images_pinned,
    ),
    Rule(
        TEMPLATES_REQUIRED,
        "An environment that requires approved templates carries no workload without one.",
        "mandatory",
        "Instantiate an approved template in the workload (spec.template: name@version; see "
        "`inferplan templates`), or drop require_templates from the environment.",
        stack_check=check_templates,
    ),
    Rule(
        KUBERNETES_VERSION,
        "The environment's Kubernetes minor is in AKS community support on the versions "
        "catalog's date (AKS creates no cluster on an end-of-life or not-yet-GA minor).",
        "mandatory",
        "Drop spec.kubernetes.version (the newest GA minor) or set one the AKS versions catalog "
        "lists as supported; refresh sizing/catalog/data/aks_versions.yaml when AKS moves.",
        stack_check=check_kubernetes_version,
    ),
    Rule(
        "aks-version-planned",
        "AKS clusters run the Kubernetes minor the plan judged.",
        "mandatory",
        "Set the version in the environment (spec.kubernetes.version) and re-plan; never edit "
        "the cluster's kubernetesVersion alone.",
        resource_check=check_cluster_version,
    ),
    Rule(
        QUOTA,
        "Quota the environment needs beyond the documented defaults (Azure OpenAI capacity per "
        "model and deployment type, GPU VM family vCPUs) is listed with the request to file.",
        "advisory",
        "File each listed increase for the deploying subscription before pulumi up (docs/"
        "infrastructure.md, Quota), or lower the workload's traffic.",
        stack_check=check_quota,
    ),
    Rule(
        GATED_MODEL_TOKEN,
        "A workload whose checkpoint is gated on Hugging Face has a token configured.",
        "mandatory",
        "pulumi config set --secret inferplan:hfToken <token> (an account that accepted the "
        "model's terms), or pick a precision whose published checkpoint is not gated.",
        stack_check=check_gated_model_token,
    ),
    Rule(
        REGISTRY_CREDENTIALS,
        "The registry caches every image whose upstream artifact cache supports: Docker Hub "
        "images only with the stack's Docker Hub credentials (artifact cache pulls from Docker "
        "Hub authenticated only); without them nodes pull anonymously, within Docker Hub's "
        "limits.",
        "advisory",
        "pulumi config set inferplan:dockerHubUsername <user> and pulumi config set --secret "
        "inferplan:dockerHubToken <access token> (a Docker Hub personal access token, read-only "
        "public repositories is enough); the next pulumi up adds the credential set and the "
        "cache rule.",
        stack_check=check_registry_credentials,
    ),
    Rule(
        CLUSTER_ADMIN,
        "Every AKS cluster grants Azure Kubernetes Service RBAC Cluster Admin to whoever runs "
        "Pulumi (or the admin group): local accounts are off.",
        "mandatory",
        "Keep the cluster-admin role assignment GpuCluster creates; set "
        "spec.kubernetes.admin_group_object_id to grant a group instead.",
        stack_check=check_cluster_admin,
    ),
    Rule(
        "keda-workload-identity",
        "KEDA trigger authentications name the workload identity they use (identityId).",
        "mandatory",
        "Set spec.podIdentity.identityId to the client id of the cluster's KEDA identity "
        "(federated with kube-system:keda-operator, Monitoring Data Reader on the workspace).",
        resource_check=check_keda_identity,
    ),
    Rule(
        "vllm-network-policy",
        "vLLM admits ingress only from named sources (the gateway subnets, the metrics "
        "scraper) and reaches no private address.",
        "mandatory",
        "Give every ingress rule a from (ipBlock of the gateway subnet, the ama-metrics pods) "
        "and keep the private ranges in the egress ipBlock's except.",
        resource_check=check_vllm_network_policy,
    ),
    Rule(
        "vllm-api-key",
        "vLLM requires an API key, read from a Secret (VLLM_API_KEY).",
        "mandatory",
        "Keep the SecretProviderClass and the VLLM_API_KEY variable VllmService renders; the "
        "gateway sends the key from its Key Vault-backed named value.",
        resource_check=check_vllm_api_key,
    ),
    Rule(
        CIRCUIT_BREAKERS,
        "Backend circuit breakers only on pool members, tripping on a run of failures.",
        "mandatory",
        "Leave single backends without a breaker (the policy retries them) and keep the Plan's "
        "failure count (gateway_backends.circuit_breaker).",
        stack_check=check_circuit_breakers,
    ),
    Rule(
        SUBSCRIPTION_KEY_HEADER,
        "Subscription keys are accepted in the header only: APIs refuse them in the query.",
        "mandatory",
        "Keep the policy's query-string refusal (components/apim_xml/api-policy.xml.j2).",
        stack_check=check_subscription_key_header,
    ),
    Rule(
        "gateway-portals-off",
        "API Management's developer and legacy portals are off unless the environment asks.",
        "mandatory",
        'Set developerPortalStatus and legacyPortalStatus "Disabled", or '
        "gateway.developer_portal: true in the environment.",
        resource_check=check_gateway_portals,
    ),
    Rule(
        "network-private-layers",
        "Where the environment allows no public network access, no layer is still public: the "
        "AKS API server, Log Analytics, Application Insights, Container Insights auth, Key "
        "Vault, the registry.",
        "mandatory",
        "Set network.api_server_authorized_ip_ranges; keep the components' private settings "
        "(Azure Monitor Private Link Scope, local auth off, private endpoints).",
        resource_check=check_private_layers,
    ),
    Rule(
        "no-anonymous-docker-hub",
        "Where the stack sets Docker Hub credentials, no container pulls from Docker Hub "
        "directly: every Docker Hub image comes through the registry's cache (without "
        "credentials, `registry-credentials` reports the anonymous pulls).",
        "mandatory",
        "Reference the image from the environment's registry (the Plan's ContainerImage with "
        "cached: true, as the program pulls it once the credential set exists).",
        resource_check=check_anonymous_docker_hub,
    ),
    Rule(
        "node-disks-sized",
        "GPU pools size their OS disk for the checkpoints, and clusters name their node "
        "resource group within 80 characters.",
        "mandatory",
        "Set osDiskSizeGB from the Plan (AksPlan.os_disk_size_gb) and nodeResourceGroup "
        "(components.naming.node_resource_group_name).",
        resource_check=check_node_disks,
    ),
    Rule(
        GATEWAY_GEOGRAPHY,
        "No workload's traffic crosses its residency geography at the gateway.",
        "mandatory",
        "Serve the workload from the gateway of its geography (Plan.gateways).",
        stack_check=check_gateway_geography,
    ),
    Rule(
        PUBLIC_NETWORK,
        "The environment allows no public network access.",
        "advisory",
        "Set network.public_network_access: false (prod raises this rule to mandatory in "
        "Pulumi.prod.yaml).",
        stack_check=check_public_network,
    ),
    Rule(
        GATEWAY_SLA,
        "The gateway tier has an SLA (Developer has none).",
        "advisory",
        "Choose BasicV2, StandardV2, Standard, Premium or PremiumV2 in spec.gateway.tier.",
        stack_check=check_gateway_sla,
    ),
    Rule(
        PROTECT,
        "What holds state is protected from deletion by Pulumi.",
        "advisory",
        "Set protect: true.",
        stack_check=check_protect,
    ),
    Rule(
        ALERT_EMAIL,
        "SLO alerts reach someone.",
        "advisory",
        "Set observability.alert_email.",
        stack_check=check_alert_email,
    ),
    Rule(
        SYSTEM_POOL,
        "The AKS system pool has at least three nodes across zones.",
        "advisory",
        "Set kubernetes.system_node_count: 3.",
        stack_check=check_system_pool,
    ),
    Rule(
        SOFT_DELETED,
        "soft_deleted: restore is a one-off for the up after a destroy.",
        "advisory",
        "Set soft_deleted: purge once the restoring pulumi up has run.",
        stack_check=check_soft_deleted_restore,
    ),
)

RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}


def rule_violations(
    rule: Rule, views: Sequence[ResourceView], ctx: PolicyContext
) -> list[Violation]:
    """One rule over every view (a resource rule) or over all of them at once (a stack rule)."""
    if rule.resource_check is not None:
        return [
            Violation(rule.name, view.key, message, view.urn)
            for view in views
            for message in rule.resource_check(view, ctx)
        ]
    assert rule.stack_check is not None
    return list(rule.stack_check(views, ctx))


def run_rules(
    views: Sequence[ResourceView], ctx: PolicyContext, rules: Sequence[Rule] = RULES
) -> list[tuple[Rule, Violation]]:
    """Every violation of every rule not disabled in this environment, in rule order."""
    found: list[tuple[Rule, Violation]] = []
    for rule in rules:
        if rule.level_in(ctx) == "disabled":
            continue
        found += [(rule, v) for v in rule_violations(rule, views, ctx)]
    return found
