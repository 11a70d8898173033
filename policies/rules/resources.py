"""What the rules read from a planned resource: its pod spec and containers, its kind, the
workloads it names. Shared by the rule themes beside this module."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.view import ResourceView

POD_KINDS = frozenset(
    {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}
)

WORKLOAD_LABEL = "inferplan.io/workload"

WORKLOAD_NODE_LABEL_PREFIX = "workload.inferplan.io/"

CLUSTER_TYPE = "azure-native:containerservice:ManagedCluster"


def pod_spec(view: ResourceView) -> Mapping[str, Any] | None:
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


def kind_of(view: ResourceView) -> str:
    return str(view.inputs.get("kind") or view.type.rsplit(":", 1)[-1])


def containers_of(pod: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in ("initContainers", "containers"):
        yield from pod.get(key) or ()


def is_vllm(container: Mapping[str, Any]) -> bool:
    """The vLLM server, by its image's repository (``vllm/vllm-openai`` or a mirror of it),
    run as the image's own entrypoint (the API server): a container that sets ``command`` runs
    another program of the image (the weights staging Job's ``hf download``)."""
    image = str(container.get("image", "")).split("@")[0].lower()
    return "vllm" in image and not container.get("command")


def workload_names(view: ResourceView) -> set[str]:
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
