"""What the program would apply, as files: Kubernetes manifests, API Management policies, alerts.

Rendered from the offline capture, not recomputed, so the files are exactly the inputs the
program registers. Layout under the output folder:

* ``kubernetes/<component>.yaml``: every Kubernetes object of one vLLM service (multi-document);
* ``apim/<policy>.xml``: each API Management policy document;
* ``alerts/<rule>.json``: Prometheus rule groups, metric alerts and log alerts.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from inferplan.offline.registrations import Capture, Registration, mask_secrets

KIND_ORDER = (
    "Namespace",
    "ServiceAccount",
    "Secret",
    "Deployment",
    "Service",
    "PodDisruptionBudget",
    "TriggerAuthentication",
    "ScaledObject",
    "PodMonitor",
)
POLICY_TYPES = (
    "azure-native:apimanagement:ApiPolicy",
    "azure-native:apimanagement:Policy",
    "azure-native:apimanagement:ApiOperationPolicy",
)
ALERT_TYPES = (
    "azure-native:alertsmanagement:PrometheusRuleGroup",
    "azure-native:monitor:MetricAlert",
    "azure-native:monitor:ScheduledQueryRule",
    "azure-native:insights:MetricAlert",
    "azure-native:insights:ScheduledQueryRule",
)


def _kubernetes_object(r: Registration) -> dict[str, Any]:
    obj = {k: v for k, v in mask_secrets(r.inputs).items() if not k.startswith("__")}
    return obj


def _kind_rank(obj: dict[str, Any]) -> tuple[int, str]:
    kind = obj.get("kind", "")
    rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    return rank, str(obj.get("metadata", {}).get("name", ""))


def render_files(result: Capture) -> dict[str, str]:
    """Relative path -> file text, for every renderable resource of the capture."""
    by_urn = result.by_urn()
    files: dict[str, str] = {}
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in result.resources:
        if r.type.startswith("kubernetes:") and not r.type.startswith("pulumi:providers"):
            owner = by_urn.get(r.parent or "")
            group = owner.name if owner is not None else "cluster"
            groups.setdefault(group, []).append(_kubernetes_object(r))
        elif r.type in POLICY_TYPES:
            xml = r.inputs.get("value", "")
            files[f"apim/{r.name}.xml"] = xml if xml.endswith("\n") else xml + "\n"
        elif r.type in ALERT_TYPES:
            body = json.dumps(mask_secrets(r.inputs), indent=2, sort_keys=True, ensure_ascii=False)
            files[f"alerts/{r.name}.json"] = body + "\n"
    for group, objects in groups.items():
        docs = sorted(objects, key=_kind_rank)
        files[f"kubernetes/{group}.yaml"] = yaml.safe_dump_all(
            docs, sort_keys=True, default_flow_style=False, explicit_start=True
        )
    return dict(sorted(files.items()))
