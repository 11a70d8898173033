"""The verify load as a Kubernetes Job, for endpoints only reachable from inside the VNet.

GuideLLM's own image (``ghcr.io/vllm-project/guidellm``, the images catalog's ``guidellm``
entry, pulled through the environment's registry when ``--registry`` names it: its artifact
cache serves ghcr.io) runs the same scenario verify runs, at a fixed ladder of rates (the planned
load, then x1.5 per step: a Job cannot decide its next step from the last one's verdict). The
endpoint's key comes from the Secret `KEY_SECRET` (key ``api-key``) through
``GUIDELLM__SPEC__BACKEND__API_KEY``, the variable GuideLLM's Kubernetes example uses; the report
is printed after a marker line, so ``kubectl logs`` collects it without a volume, and
``inferplan verify --from-results`` reads it like a local run's. The pod follows the restricted
Pod Security Standard, as GuideLLM's example does (vllm-project/guidellm
docs/en/examples/kubernetes-openshift-job.md).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from inferplan.verify.loadgen import StepRequest, scenario
from inferplan.verify.targets import STEP_FACTOR, VerifyTarget
from sizing.catalog import Catalog
from sizing.deploy.container_images import planned_image

GUIDELLM_IMAGE_ID = "guidellm"
KEY_SECRET = "inferplan-verify-key"
REPORT_MARKER = "==inferplan-verify-report=="
REPORT_PATH = "/tmp/verify.json"  # inside the Job's container, on its emptyDir volume "tmp"
RUN_AS_USER = 1001  # the image's user (GuideLLM's Kubernetes example)


def job_manifests(
    target: VerifyTarget,
    *,
    stack: str,
    target_url: str,
    key_secret: str | None,
    duration_s: float,
    steps: int,
    registry: str | None,
    catalog: Catalog,
) -> list[dict[str, Any]]:
    """A ConfigMap with GuideLLM's scenario and the Job that runs it, in that order."""
    name = f"inferplan-verify-{target.workload}"[:63]
    rates = [round(target.planned_rate_per_s * STEP_FACTOR**k, 6) for k in range(steps)]
    step = StepRequest(
        target=target_url,
        model=target.served_model,
        tokenizer=target.tokenizer,
        input_tokens=target.input_tokens,
        output_tokens=target.output_tokens,
        rate_per_s=rates[0],
        duration_s=duration_s,
        slo_ttft_ms=target.ttft_p95_ms,
        slo_itl_ms=1000.0 / target.tps_per_request if target.tps_per_request > 0 else None,
    )
    spec = scenario(step, results=REPORT_PATH, api_key=None)  # type: ignore[arg-type]
    spec["spec"]["profile"]["rate"] = rates
    image = planned_image(catalog, GUIDELLM_IMAGE_ID)
    reference = image.reference_in(registry) if registry else image.upstream_reference
    labels = {
        "app.kubernetes.io/name": "guidellm",
        "app.kubernetes.io/part-of": "inferplan-verify",
        "inferplan/stack": stack,
        "inferplan/workload": target.workload,
    }
    env: list[dict[str, Any]] = [{"name": "HOME", "value": "/tmp"}]
    if key_secret:
        env.append(
            {
                "name": "GUIDELLM__SPEC__BACKEND__API_KEY",
                "valueFrom": {"secretKeyRef": {"name": KEY_SECRET, "key": "api-key"}},
            }
        )
    script = (
        "guidellm run --scenario /config/scenario.json --disable-console-interactive >&2 && "
        f"echo {REPORT_MARKER} && cat {REPORT_PATH}"
    )
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": dict(labels)},
        "data": {"scenario.json": json.dumps(spec, sort_keys=True, separators=(",", ":"))},
    }
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {
            "backoffLimit": 0,  # a retried benchmark gives misleading numbers
            "activeDeadlineSeconds": int(steps * (duration_s + 300) + 600),
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": RUN_AS_USER,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": "guidellm",
                            "image": reference,
                            "command": ["sh", "-c", script],
                            "env": env,
                            "resources": {
                                "requests": {"cpu": "2", "memory": "4Gi"},
                                "limits": {"cpu": "2", "memory": "4Gi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [
                                {"name": "scenario", "mountPath": "/config", "readOnly": True},
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "scenario", "configMap": {"name": name}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}},
                    ],
                },
            },
        },
    }
    return [config_map, job]


def manifests_yaml(objects: list[dict[str, Any]]) -> str:
    return "---\n".join(yaml.safe_dump(o, sort_keys=False, width=100) for o in objects)
