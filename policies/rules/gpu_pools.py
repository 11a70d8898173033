"""GPU pools and the pods on them: tainted, autoscaled and named as planned pools, pods that
tolerate the taint and request the GPUs the plan gives them, node disks and resource group
names that fit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.rules.registry import Violation, resource_rule, stack_rule
from policies.rules.resources import (
    CLUSTER_TYPE,
    containers_of,
    is_vllm,
    kind_of,
    pod_spec,
    workload_names,
)
from policies.view import PolicyContext, ResourceView
from sizing.deploy.gpu_platform import AMD, NVIDIA, SPOT_TAINT, SPOT_TAINT_KEY
from sizing.deploy.packing import shared_pool_name

GPU_TAINT_KEY = "nvidia.com/gpu"

GPU_RESOURCE = "nvidia.com/gpu"

# Every vendor's taint key and extended resource (sizing.deploy.gpu_platform): AMD MI300X pools
# carry amd.com/gpu instead of nvidia.com/gpu.
GPU_TAINT_KEYS = (NVIDIA.taint_key, AMD.taint_key)
GPU_RESOURCES = (NVIDIA.resource, AMD.resource)

GPU_POOL_LABEL = "inferplan.io/pool"  # nodeSelector of pods placed on an inferplan GPU pool
SHARED_POOL_LABEL = "inferplan.io/shared"  # node label of a shared (packed) pool
SHARED_POOL_FITS = "shared-pool-gpus-fit"

NODE_RESOURCE_GROUP_MAX = 80


def _gpus(container: Mapping[str, Any], part: str) -> int | None:
    asked = (container.get("resources") or {}).get(part) or {}
    value = next((asked[r] for r in GPU_RESOURCES if r in asked), None)
    if value is None:
        return None
    try:
        return int(float(str(value)))
    except ValueError:
        return None


def _is_gpu_pool(view: ResourceView) -> bool:
    if view.type != "azure-native:containerservice:AgentPool":
        return False
    vm_size = str(view.inputs.get("vmSize", ""))
    return bool(view.inputs.get("gpuProfile")) or vm_size.lower().startswith("standard_n")


@resource_rule(
    "gpu-pool-taint",
    description="GPU node pools are tainted so only GPU workloads land on them.",
    level="mandatory",
    fix=f'Add nodeTaints=["{GPU_TAINT_KEY}=present:NoSchedule"] to the AgentPool.',
)
def check_gpu_pool_taint(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if not _is_gpu_pool(view):
        return
    taints = [str(t) for t in view.inputs.get("nodeTaints") or ()]
    if not any(
        t.startswith(key) and t.endswith(":NoSchedule") for t in taints for key in GPU_TAINT_KEYS
    ):
        yield f"{view.key} ({view.inputs.get('vmSize')}) has no {GPU_TAINT_KEY} NoSchedule taint."


@resource_rule(
    "gpu-pool-autoscaling",
    description=(
        "GPU node pools autoscale within set bounds, and Pulumi ignores the count after creation."
    ),
    level="mandatory",
    fix=(
        "Set enableAutoScaling=True with minCount <= count <= maxCount, and "
        'ResourceOptions(ignore_changes=["count"]).'
    ),
)
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


@resource_rule(
    "gpu-pool-named-from-sku",
    description=(
        "GPU node pools are named from their VM size, so a new size is a new pool (created "
        "before the old one is deleted) instead of an in-place change AKS rejects."
    ),
    level="advisory",
    fix="Name the pool as the plan does (AksPlan.pool_name, sizing.deploy.pool_names).",
)
def check_gpu_pool_name(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    """The pool of a VM size carries the name the Plan gave it (``AksPlan.pool_name``)."""
    if not _is_gpu_pool(view):
        return
    vm_size = str(view.inputs.get("vmSize", ""))
    profile = view.inputs.get("gpuInstanceProfile")
    spot = view.inputs.get("scaleSetPriority") == "Spot"
    expected = next(
        (
            w.pool_name
            for w in ctx.workloads
            if w.vm_sku == vm_size
            and w.gpu_instance_profile == profile
            and w.spot == spot
            and w.pool_name
        ),
        None,
    )
    actual = view.inputs.get("agentPoolName")
    if actual == shared_pool_name(vm_size):  # a shared pool (packing) has a name of its own
        return
    if expected is not None and actual != expected:
        yield f"{view.key} is named {actual!r}; a pool of {vm_size} should be {expected!r}."


@resource_rule(
    "gpu-workload-tolerates-taint",
    description="Pods that request GPUs tolerate the GPU pools' taint.",
    level="mandatory",
    fix=f"Add a toleration {{key: {GPU_TAINT_KEY}, operator: Exists, effect: NoSchedule}}.",
)
def check_gpu_toleration(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = pod_spec(view)
    if pod is None:
        return
    wants_gpu = any(
        (_gpus(c, "limits") or 0) > 0 or (_gpus(c, "requests") or 0) > 0 for c in containers_of(pod)
    )
    if not wants_gpu:
        return
    tolerated = any(
        t.get("key") in GPU_TAINT_KEYS
        and t.get("effect") in (None, "", "NoSchedule")
        and (t.get("operator") == "Exists" or "value" in t)
        for t in pod.get("tolerations") or ()
    )
    if not tolerated:
        yield f"{view.key} requests GPUs but does not tolerate the {GPU_TAINT_KEY} taint."


APP_NAME_LABEL = "app.kubernetes.io/name"
STAGING_APP = "weights-staging"  # components/weights_manifests.py


def _labels(view: ResourceView) -> Mapping[str, Any]:
    metadata = view.inputs.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    return labels if isinstance(labels, Mapping) else {}


@resource_rule(
    "gpu-workload-requests-gpus",
    description=(
        "GPU workloads request the GPUs they use: vLLM's nvidia.com/gpu requests = limits = "
        "--tensor-parallel-size = the plan's tensor parallel; pods on a GPU pool request GPUs."
    ),
    level="mandatory",
    fix=(
        "Set resources.requests and resources.limits nvidia.com/gpu to the tensor-parallel "
        "size the plan chose (AksPlan.tensor_parallel)."
    ),
)
def check_gpu_requests(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = pod_spec(view)
    if pod is None:
        return
    containers = list(containers_of(pod))
    on_gpu_pool = GPU_POOL_LABEL in (pod.get("nodeSelector") or {})
    uses_gpus = any((_gpus(c, "limits") or 0) > 0 for c in containers)
    # The weights staging Job runs on the pool of a workload it stages for: that pool's disk is
    # sized for the checkpoint, the system pool's is not; it runs once per revision.
    staging = kind_of(view) == "Job" and _labels(view).get(APP_NAME_LABEL) == STAGING_APP
    if on_gpu_pool and kind_of(view) != "DaemonSet" and not uses_gpus and not staging:
        yield f"{view.key} is placed on a GPU pool but requests no {GPU_RESOURCE}."
    names = workload_names(view)
    planned = next((ctx.workload(n) for n in sorted(names) if ctx.workload(n)), None)
    for c in containers:
        if not is_vllm(c):
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


@resource_rule(
    "gpu-pool-mig-profile",
    description=(
        "A pool the plan sized as MIG slices sets that gpuInstanceProfile (fixed at creation; "
        "without it every replica would get a whole GPU's worth of nodes less than planned), "
        "and the NVIDIA device plugin runs the single MIG strategy so that each instance is "
        "advertised as one nvidia.com/gpu."
    ),
    level="mandatory",
    fix=(
        "Set gpuInstanceProfile on the AgentPool from the Plan (AksPlan.gpu_instance_profile) "
        "and MIG_STRATEGY=single on the nvidia-device-plugin DaemonSet."
    ),
)
def check_gpu_pool_mig_profile(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    mig = {w.pool_name: w.gpu_instance_profile for w in ctx.workloads if w.gpu_instance_profile}
    if not mig:
        return
    if _is_gpu_pool(view):
        name = view.inputs.get("agentPoolName")
        wanted = mig.get(str(name))
        actual = view.inputs.get("gpuInstanceProfile")
        if wanted is not None and actual != wanted:
            yield (
                f"{view.key} ({name}) has gpuInstanceProfile {actual!r}; the plan sized it as "
                f"{wanted} slices."
            )
        return
    pod = pod_spec(view)
    if pod is None or kind_of(view) != "DaemonSet":
        return
    for c in containers_of(pod):
        if "k8s-device-plugin" not in str(c.get("image", "")) and c.get("name") != (
            "nvidia-device-plugin"
        ):
            continue
        env = {e.get("name"): e.get("value") for e in c.get("env") or ()}
        if env.get("MIG_STRATEGY") != "single":
            yield (
                f"{view.key} runs the device plugin without MIG_STRATEGY=single, so the MIG "
                "instances of the plan's MIG pools are not advertised as nvidia.com/gpu."
            )


@resource_rule(
    "spot-pool-settings",
    description=(
        "Spot GPU pools are what the plan priced: evicted nodes deleted (a deallocated node "
        "keeps its disk and blocks the scale set's quota), paying up to the on-demand price "
        "(-1, evicted for capacity only), with the taint AKS adds so that only pods that "
        "accept eviction land there; pods on them tolerate it."
    ),
    level="mandatory",
    fix=(
        f"Set scaleSetEvictionPolicy=Delete, spotMaxPrice=-1 and nodeTaints including "
        f"{SPOT_TAINT} on the pool; tolerate {SPOT_TAINT_KEY}=spot:NoSchedule in its pods."
    ),
)
def check_spot_pool(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if _is_gpu_pool(view) and view.inputs.get("scaleSetPriority") == "Spot":
        i = view.inputs
        if i.get("scaleSetEvictionPolicy") != "Delete":
            yield f"{view.key} is a spot pool whose evicted nodes are not deleted."
        if i.get("spotMaxPrice") != -1:
            yield f"{view.key} caps its spot price at {i.get('spotMaxPrice')}, not -1."
        if SPOT_TAINT not in [str(t) for t in i.get("nodeTaints") or ()]:
            yield f"{view.key} is a spot pool without the {SPOT_TAINT} taint."
    pod = pod_spec(view)
    if pod is None:
        return
    planned = [ctx.workload(n) for n in sorted(workload_names(view))]
    if not any(w is not None and w.spot for w in planned) or kind_of(view) == "DaemonSet":
        return
    if not any(t.get("key") == SPOT_TAINT_KEY for t in pod.get("tolerations") or ()):
        yield f"{view.key} runs on a spot pool but does not tolerate {SPOT_TAINT_KEY}."


@resource_rule(
    "node-disks-sized",
    description=(
        "GPU pools size their OS disk for the checkpoints, and clusters name their node "
        "resource group within 80 characters."
    ),
    level="mandatory",
    fix=(
        "Set osDiskSizeGB from the Plan (AksPlan.os_disk_size_gb) and nodeResourceGroup "
        "(components.naming.node_resource_group_name)."
    ),
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


@stack_rule(
    SHARED_POOL_FITS,
    description=(
        "A shared GPU pool (several workloads packed on its nodes) has GPUs for what its "
        "Deployments request: replicas x nvidia.com/gpu summed over the pool, within its "
        "nodes' GPUs, and no pod asks for more GPUs than one node has."
    ),
    level="mandatory",
    fix=(
        "Re-plan (inferplan plan) so the pool's node count and the Deployments' replicas come "
        "from the same packing decision, or move a workload off the pool "
        "(hardware.share_nodes: false)."
    ),
)
def check_shared_pool_fits(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    """Per shared pool: the GPUs its Deployments request at their planned replicas against the
    planned nodes' GPUs (``count`` x GPUs per node, from the plan's packing)."""
    pools = {}
    for view in views:
        labels = view.inputs.get("nodeLabels") if _is_gpu_pool(view) else None
        if isinstance(labels, Mapping) and labels.get(SHARED_POOL_LABEL) == "true":
            pools[str(view.inputs.get("agentPoolName"))] = view
    requested: dict[str, list[tuple[str, int, int]]] = {name: [] for name in pools}
    for view in views:
        pod = pod_spec(view)
        if pod is None or kind_of(view) == "DaemonSet":
            continue
        pool = (pod.get("nodeSelector") or {}).get(GPU_POOL_LABEL)
        if pool not in requested:
            continue
        per_pod = sum(_gpus(c, "requests") or 0 for c in containers_of(pod))
        replicas = int((view.inputs.get("spec") or {}).get("replicas") or 1)
        requested[pool].append((view.key, replicas, per_pod))
    for name, view in sorted(pools.items()):
        region = str(view.inputs.get("location") or "")
        per_node = ctx.shared_pool_gpus.get(f"{region}/{name}") or next(
            (g for k, g in sorted(ctx.shared_pool_gpus.items()) if k.endswith(f"/{name}")), None
        )
        if per_node is None:
            continue  # no plan context: the node's GPUs are not known here
        nodes = int(view.inputs.get("count") or 0)
        total = sum(replicas * gpus for _, replicas, gpus in requested[name])
        if total > nodes * per_node:
            yield Violation(
                SHARED_POOL_FITS,
                view.key,
                f"shared pool {name}: its Deployments request {total} GPUs at their planned "
                f"replicas, more than its {nodes} node(s) x {per_node} GPUs hold.",
                view.urn,
            )
        for key, _, gpus in requested[name]:
            if gpus > per_node:
                yield Violation(
                    SHARED_POOL_FITS,
                    key,
                    f"{key} asks {gpus} GPUs per pod on shared pool {name}, whose nodes have "
                    f"{per_node}.",
                    view.urn,
                )
