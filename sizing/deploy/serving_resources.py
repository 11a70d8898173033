"""CPU, memory, scratch space, start-up budget and node disk of a vLLM replica.

Decided here, from the chosen VM and checkpoint, so the Kubernetes manifests copy numbers and
derive none. Sources cited by key are in the reference notes vllm-serving.md and aks-gpu.md.

* Resources: a replica gets its GPUs' share of the node, ``share = gpus / vm_gpus x 0.75``,
  cores ``floor(vm_vcpus x share)`` (at least 1) and memory ``floor(vm_memory x share)`` in
  whole GiB, requests = limits (no overcommit on a GPU node). The quarter left over is what AKS
  reserves for kubelet, eviction and system DaemonSets, with margin.
* Start-up budget = image pull + weight download + load into GPU memory + compile and
  CUDA-graph capture [vllm-serving.md section 4: "startupProbe budget = image pull + weight
  download/stream + load + CUDA-graph capture"; 70B+ models "commonly need 15-30 min on first
  pull"]; the startup probe's ``failureThreshold = ceil(budget / period)``.
* Node OS disk: the node image, the vLLM image and, per replica on the node, the checkpoint
  cache and /tmp, all of which live on the kubelet's disk (emptyDir). AKS's default OS disk
  (128 GiB on most sizes) cannot hold a 70B bf16 checkpoint; the size is set explicitly.
"""

from __future__ import annotations

import math

from sizing.plan import ReplicaResources, StartupBudget

GIB = 1024**3
MIB = 1024**2

NODE_SHARE_FOR_PODS = 0.75  # leave a quarter of the node to kubelet, daemons and eviction margin
SHM_BYTES_PER_GPU = 2 * GIB  # /dev/shm for NCCL between tensor-parallel workers [vllm-k8s]
MIN_HEADROOM_BYTES = 4 * GIB  # memory beyond /dev/shm: Python processes, pinned buffers
TMP_BYTES = 10 * GIB  # /tmp and $HOME: torch.compile, Triton and FlashInfer JIT caches
MODEL_CACHE_SPARE = 1.1  # tokenizer, config and partial files next to the weights

IMAGE_PULL_S = 300  # the vllm-openai image is several GB compressed
DOWNLOAD_BYTES_PER_S = 200 * MIB  # Hugging Face hub to an Azure VM, conservative
# Weights staged in the environment's blob store, copied through its private endpoint: an
# ESTIMATE, not a measurement. Bounds read 2026-12-08: a standard StorageV2 account's default
# egress target is 50-200 Gbps by region, a single blob up to the account's limits (Learn,
# "Scalability and performance targets for standard storage accounts"); GPU VM sizes list
# tens of Gbps of network bandwidth. 500 MiB/s (4 Gbps) per replica leaves room for several
# replicas of a node copying at once and for the copy tool's overhead; measure and replace.
BLOB_COPY_BYTES_PER_S = 500 * MIB
LOAD_BYTES_PER_S = 1 * GIB  # local disk to GPU memory, safetensors
COMPILE_AND_CAPTURE_S = 300  # torch.compile plus CUDA-graph capture on first start
STARTUP_PERIOD_S = 10  # [ps-values] startupProbe periodSeconds
PROGRESS_MARGIN_S = 600  # Deployment progress deadline beyond one cold start

NODE_IMAGE_BYTES = 64 * GIB  # Ubuntu node image, container runtime state, system pod images
VLLM_IMAGE_BYTES = 30 * GIB  # vllm-openai unpacked in containerd's store (estimate, ~10 GB packed)
OS_DISK_MIN_GB = 128  # AKS's usual default; never smaller than what AKS would give anyway
OS_DISK_MAX_GB = 2048  # AgentPool.osDiskSizeGB upper bound (pulumi-azure-native AgentPool)
OS_DISK_STEP_GB = 64


def model_cache_bytes(checkpoint_bytes: int) -> int:
    """The checkpoint plus its spare, in whole bytes (rounded, so 100 GiB gives exactly 110)."""
    return round(checkpoint_bytes * MODEL_CACHE_SPARE)


def replica_resources(
    *, gpus: int, vm_gpus: int, vm_vcpus: int, vm_memory_bytes: int, checkpoint_bytes: int
) -> ReplicaResources:
    share = gpus / vm_gpus * NODE_SHARE_FOR_PODS
    cores = max(1, math.floor(vm_vcpus * share))
    memory = math.floor(vm_memory_bytes * share / GIB) * GIB
    shm = gpus * SHM_BYTES_PER_GPU
    return ReplicaResources(
        cpu_request_cores=cores,
        cpu_limit_cores=cores,
        memory_bytes=max(memory, shm + MIN_HEADROOM_BYTES),
        shm_bytes=shm,
        tmp_bytes=TMP_BYTES,
        model_cache_bytes=model_cache_bytes(checkpoint_bytes),
    )


def startup_budget(*, checkpoint_bytes: int, staged: bool = False) -> StartupBudget:
    """``pull + bytes / 200 MiB/s + bytes / 1 GiB/s + compile``: about 20 min for an 8B bf16
    checkpoint, 25 min for 70B at fp8 and 40 min for 70B at bf16. Where the weights are
    ``staged`` in the environment's store the download is the copy from blob (500 MiB/s,
    estimated) instead of the Hugging Face download."""
    size = model_cache_bytes(checkpoint_bytes)
    rate = BLOB_COPY_BYTES_PER_S if staged else DOWNLOAD_BYTES_PER_S
    download = math.ceil(size / rate)
    load = math.ceil(size / LOAD_BYTES_PER_S)
    budget = IMAGE_PULL_S + download + load + COMPILE_AND_CAPTURE_S
    return StartupBudget(
        image_pull_s=IMAGE_PULL_S,
        download_s=download,
        load_s=load,
        compile_s=COMPILE_AND_CAPTURE_S,
        budget_s=budget,
        probe_period_s=STARTUP_PERIOD_S,
        failure_threshold=math.ceil(budget / STARTUP_PERIOD_S),
        progress_deadline_s=budget + PROGRESS_MARGIN_S,
    )


def node_os_disk_gb(*, replicas_per_node: int, resources: ReplicaResources) -> int:
    """``node image + vLLM image + replicas x (model cache + /tmp)``, rounded up to 64 GiB steps,
    between 128 and 2,048 GiB (the catalog's largest download, 405B at bf16 with its caches,
    needs about 1,000 GiB; tests check every model fits)."""
    per_replica = resources.model_cache_bytes + resources.tmp_bytes
    needed = NODE_IMAGE_BYTES + VLLM_IMAGE_BYTES + replicas_per_node * per_replica
    gb = math.ceil(needed / GIB / OS_DISK_STEP_GB) * OS_DISK_STEP_GB
    return min(max(gb, OS_DISK_MIN_GB), OS_DISK_MAX_GB)


STAGING_MARGIN_S = 900  # the Job's scheduling, a GPU node's start where its pool is at zero


def staging_time_s(*, checkpoint_bytes: int) -> int:
    """How long the staging Job may take, once per revision: the image pull, the Hugging Face
    download (200 MiB/s) and the upload to blob (500 MiB/s, estimated), plus a margin. The
    first `pulumi up` waits this long for the Job before it creates the replicas."""
    size = model_cache_bytes(checkpoint_bytes)
    download = math.ceil(size / DOWNLOAD_BYTES_PER_S)
    upload = math.ceil(size / BLOB_COPY_BYTES_PER_S)
    return IMAGE_PULL_S + download + upload + STAGING_MARGIN_S


def startup_reason(startup: StartupBudget, *, staged: bool) -> str:
    """The scale-out lead time in the plan's words: how long a new replica takes to serve, and
    where its weights come from."""
    source = (
        "copied from the environment's weights store at 500 MiB/s (estimated)"
        if staged
        else "downloaded from Hugging Face at 200 MiB/s"
    )
    return (
        f"Scale-out lead time: a new replica serves after about {math.ceil(startup.budget_s / 60)} "
        f"min (image pull {startup.image_pull_s} s, weights {startup.download_s} s {source}, "
        f"load {startup.load_s} s, compile {startup.compile_s} s), plus a new node's start "
        "where the pool must grow."
    )
