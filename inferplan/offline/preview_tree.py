"""The resource tree of a captured program, as people read it.

Each line: type, logical name, options in brackets, and the inputs that matter for review
(SKUs, counts, regions, deployment types, policy sizes). Children are indented under their
parent component; order is fixed so two previews can be compared line by line.
"""

from __future__ import annotations

from typing import Any

from inferplan.offline.registrations import Capture, Registration

# Input paths worth showing per resource type (dotted; the first that exists wins per entry).
KEY_INPUTS: dict[str, tuple[str, ...]] = {
    "azure-native:resources:ResourceGroup": ("location",),
    "azure-native:containerservice:ManagedCluster": (
        "location",
        "kubernetesVersion",
        "sku.tier",
        "agentPoolProfiles.0.vmSize",
        "agentPoolProfiles.0.count",
    ),
    "azure-native:containerservice:AgentPool": (
        "agentPoolName",
        "vmSize",
        "count",
        "minCount",
        "maxCount",
        "availabilityZones",
    ),
    "azure-native:cognitiveservices:Account": (
        "location",
        "kind",
        "sku.name",
        "publicNetworkAccess",
    ),
    "azure-native:cognitiveservices:Deployment": (
        "deploymentName",
        "sku.name",
        "sku.capacity",
        "properties.model.name",
        "properties.model.version",
        "properties.spilloverDeploymentName",
    ),
    "azure-native:apimanagement:ApiManagementService": ("location", "sku.name", "sku.capacity"),
    "azure-native:apimanagement:Api": ("path",),
    "azure-native:apimanagement:Backend": ("url",),
    "azure-native:network:VirtualNetwork": ("location", "addressSpace.addressPrefixes"),
    "azure-native:network:Subnet": ("addressPrefix",),
    "kubernetes:apps/v1:Deployment": (
        "metadata.namespace",
        "spec.replicas",
        "spec.template.spec.containers.0.image",
        "spec.template.spec.containers.0.resources.limits.nvidia.com/gpu",
    ),
    "kubernetes:core/v1:Service": ("metadata.namespace", "spec.type"),
}
DEFAULT_KEYS = ("location", "sku.name")


def lookup(data: Any, path: str) -> Any:
    """Follow a dotted path; list indices are numbers; a key may itself contain dots at the end
    (``limits.nvidia.com/gpu``)."""
    parts = path.split(".")
    current = data
    i = 0
    while i < len(parts):
        if isinstance(current, list):
            index = int(parts[i]) if parts[i].isdigit() else -1
            if not 0 <= index < len(current):
                return None
            current = current[index]
            i += 1
            continue
        if not isinstance(current, dict):
            return None
        for j in range(len(parts), i, -1):  # longest key first
            key = ".".join(parts[i:j])
            if key in current:
                current = current[key]
                i = j
                break
        else:
            return None
    return current


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{...}"
    return str(value)


SHORTER = (
    ("spec.template.spec.containers.0.resources.limits.", ""),
    ("spec.template.spec.containers.0.", ""),
    ("agentPoolProfiles.0.", "system."),
    ("addressSpace.addressPrefixes", "addressPrefixes"),
    ("properties.model.", "model."),
    ("properties.spilloverDeploymentName", "spillover"),
    ("metadata.", ""),
    ("spec.", ""),
)


def label(key: str) -> str:
    """A short, unambiguous label for an input path (``sku.name``, ``model.version``)."""
    for prefix, replacement in SHORTER:
        if key.startswith(prefix):
            return replacement + key[len(prefix) :]
    return key


def describe(r: Registration) -> str:
    keys = KEY_INPUTS.get(r.type, DEFAULT_KEYS)
    shown = []
    for key in keys:
        value = lookup(r.inputs, key)
        if value is not None:
            shown.append(f"{label(key)}={_fmt(value)}")
    opts = r.options()
    flags = []
    if opts.get("protect"):
        flags.append("protect")
    if opts.get("ignoreChanges"):
        flags.append("ignore=" + ",".join(opts["ignoreChanges"]))
    if opts.get("deleteBeforeReplace"):
        flags.append("deleteBeforeReplace")
    if opts.get("dependsOn"):
        flags.append(f"dependsOn={len(opts['dependsOn'])}")
    text = f"{r.type}  {r.name}"
    if flags:
        text += f"  [{'; '.join(flags)}]"
    if shown:
        text += "  " + " ".join(shown)
    return text


def tree(result: Capture) -> str:
    """Indented tree: components first-level, their children below, each level sorted."""
    children: dict[str | None, list[Registration]] = {}
    known = {r.urn for r in result.resources}
    for r in result.resources:
        parent = r.parent if r.parent in known else None
        children.setdefault(parent, []).append(r)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda x: (x.type, x.name)):
            lines.append("  " * depth + "+ " + describe(r))
            walk(r.urn, depth + 1)

    walk(None, 0)
    return "\n".join(lines) + "\n"
