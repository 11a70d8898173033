"""vLLM checks checkov's built-in Kubernetes checks do not know.

* CKV_LLM_1: vLLM with tensor parallel > 1 mounts a memory-backed ``/dev/shm`` (NCCL and vLLM's
  worker queues use shared memory; the container runtime's 64 MB default breaks them).
* CKV_LLM_2: the container's ``nvidia.com/gpu`` limits equal its requests and the
  ``--tensor-parallel-size`` it runs with (one GPU per tensor-parallel rank, none idle).
* CKV_LLM_3: ``--max-model-len`` is set (else vLLM sizes the KV cache for the model's full
  context and may not start, or admits requests the plan never sized for).
* CKV_LLM_4: the vLLM image is pinned to a version tag or a digest, never ``latest``.

A container is vLLM when its image repository names vllm. Self-contained on purpose: checkov
runs in its own environment without inferplan installed, and it sees only the rendered manifest,
so these checks read the flags the container runs with (``manifest_flag``, the last one wins, as
in vLLM's own parser). inferplan's own components and policies never parse flags: they read the
Plan's typed fields.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check

KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")
GPU = "nvidia.com/gpu"


def pod_spec(conf: dict[str, Any]) -> dict[str, Any]:
    spec = conf.get("spec") or {}
    if conf.get("kind") == "Pod":
        return spec
    if conf.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec") or {}


def vllm_containers(conf: dict[str, Any]) -> list[dict[str, Any]]:
    containers = pod_spec(conf).get("containers") or []
    return [
        c
        for c in containers
        if isinstance(c, dict) and "vllm" in str(c.get("image", "")).split("@")[0].lower()
    ]


def manifest_flag(args: list[str], flag: str) -> str | None:
    found = None
    for i, arg in enumerate(args):
        if arg.startswith(flag + "="):
            found = arg.split("=", 1)[1]
        elif arg == flag and i + 1 < len(args):
            found = args[i + 1]
    return found


def vllm_args(container: dict[str, Any]) -> list[str]:
    return [str(a) for a in (container.get("command") or []) + (container.get("args") or [])]


def tensor_parallel(container: dict[str, Any]) -> int | None:
    args = vllm_args(container)
    text = manifest_flag(args, "--tensor-parallel-size") or manifest_flag(args, "-tp") or "1"
    return int(text) if text.isdigit() else None


def gpus(container: dict[str, Any], part: str) -> int | None:
    value = ((container.get("resources") or {}).get(part) or {}).get(GPU)
    try:
        return None if value is None else int(float(str(value)))
    except ValueError:
        return None


class VllmCheck(BaseK8Check):
    def __init__(self, name: str, id: str) -> None:
        super().__init__(
            name=name, id=id, categories=(CheckCategories.KUBERNETES,), supported_entities=KINDS
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        containers = vllm_containers(conf)
        if not containers:
            return CheckResult.UNKNOWN  # not a vLLM workload: not applicable
        ok = all(self.container_ok(conf, c) for c in containers)
        return CheckResult.PASSED if ok else CheckResult.FAILED

    def container_ok(self, conf: dict[str, Any], container: dict[str, Any]) -> bool:
        raise NotImplementedError


class SharedMemoryForTensorParallel(VllmCheck):
    def __init__(self) -> None:
        super().__init__(
            "vLLM with tensor parallel > 1 mounts a memory-backed /dev/shm", "CKV_LLM_1"
        )

    def container_ok(self, conf: dict[str, Any], container: dict[str, Any]) -> bool:
        tp = tensor_parallel(container)
        if tp is not None and tp <= 1:
            return True
        memory_volumes = {
            v.get("name")
            for v in pod_spec(conf).get("volumes") or []
            if isinstance(v, dict) and (v.get("emptyDir") or {}).get("medium") == "Memory"
        }
        return any(
            m.get("mountPath") == "/dev/shm" and m.get("name") in memory_volumes
            for m in container.get("volumeMounts") or []
            if isinstance(m, dict)
        )


class GpusMatchTensorParallel(VllmCheck):
    def __init__(self) -> None:
        super().__init__(
            "vLLM GPU limits equal requests and the --tensor-parallel-size", "CKV_LLM_2"
        )

    def container_ok(self, conf: dict[str, Any], container: dict[str, Any]) -> bool:
        tp = tensor_parallel(container)
        limits, requests = gpus(container, "limits"), gpus(container, "requests")
        return tp is not None and limits == tp and requests in (None, limits)


class MaxModelLenSet(VllmCheck):
    def __init__(self) -> None:
        super().__init__("vLLM sets --max-model-len", "CKV_LLM_3")

    def container_ok(self, conf: dict[str, Any], container: dict[str, Any]) -> bool:
        value = manifest_flag(vllm_args(container), "--max-model-len")
        return value is not None and value.strip() != ""


class VllmImagePinned(VllmCheck):
    def __init__(self) -> None:
        super().__init__("vLLM image is pinned to a version tag or digest", "CKV_LLM_4")

    def container_ok(self, conf: dict[str, Any], container: dict[str, Any]) -> bool:
        image = str(container.get("image", ""))
        if "@sha256:" in image:
            return True
        last = image.rsplit("/", 1)[-1]
        return ":" in last and last.rsplit(":", 1)[1] not in ("", "latest")


shared_memory_check = SharedMemoryForTensorParallel()
gpus_check = GpusMatchTensorParallel()
max_model_len_check = MaxModelLenSet()
image_check = VllmImagePinned()
