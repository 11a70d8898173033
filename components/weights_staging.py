"""The staging Jobs of one cluster: each pinned checkpoint the environment serves, downloaded from
Hugging Face once and uploaded to the weights store (components/weights_manifests.py).

The namespace, its service account (federated with the store's staging identity, the only
writer), its network policy (the one namespace with internet egress) and one Job per repository
and revision. Pulumi waits for a Job to complete (``staging_time_s``: the download, the upload
and a margin) and the replicas of its revision wait for the Job, so the first `pulumi up` takes
as long as the staging and no replica's start-up budget has to cover it (each replica's init
container also waits for the revision's marker, should a Job be re-run). A completed Job is not
run again; an unchanged revision keeps its Job's name, so later `pulumi up` runs leave it
alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.federation import FederationChain
from components.kubernetes_manifests import POOL_LABEL, _pod_security_version
from components.vllm_service import _with_outputs
from components.weights_manifests import (
    STAGING_ACCOUNT,
    STAGING_NAMESPACE,
    StagingPlacement,
    StagingWiring,
    staging_job_manifest,
    staging_namespace_manifest,
    staging_network_policy_manifest,
    staging_service_account_manifest,
)
from sizing.deploy.gpu_platform import platform_of
from sizing.deploy.serving_resources import staging_time_s
from sizing.plan import EnvironmentPlan, WeightsStaging, WorkloadPlan

HF_SECRET_NAME = "hf-token"


@dataclass(frozen=True)
class StagingRun:
    """One Job: the revision and the workload whose pool it runs on (its disk fits the
    checkpoint)."""

    weights: WeightsStaging
    workload: WorkloadPlan


def staging_runs(workloads: tuple[WorkloadPlan, ...]) -> tuple[StagingRun, ...]:
    """One run per staged revision, on the first workload (by name) that serves it."""
    runs: dict[str, StagingRun] = {}
    for w in sorted(workloads, key=lambda w: w.name):
        if w.aks is not None and w.aks.weights is not None:
            runs.setdefault(w.aks.weights.job_name, StagingRun(w.aks.weights, w))
    return tuple(runs[name] for name in sorted(runs))


def placement_of(workload: WorkloadPlan) -> StagingPlacement:
    aks = workload.aks
    assert aks is not None
    return StagingPlacement(
        pool_label=POOL_LABEL,
        pool_name=aks.pool_name,
        taint_keys=(platform_of(aks.gpu_vendor).taint_key,),
        scratch_bytes=aks.resources.model_cache_bytes,
        spot=aks.spot,
    )


class StagingJobs(pulumi.ComponentResource):
    """The staging namespace and Jobs in one cluster (``cluster``: a ``GpuCluster``)."""

    jobs: dict[str, pulumi.Resource]

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        runs: tuple[StagingRun, ...],
        cluster: Any,
        federations: FederationChain,
        account_name: pulumi.Input[str],
        download_image: pulumi.Input[str],
        copy_image: pulumi.Input[str],
        staging_client_id: pulumi.Input[str],
        endpoint_cidrs: tuple[str, ...],
        access: list[pulumi.Resource],
        hf_token: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("inferplan:kubernetes:StagingJobs", name, None, opts)

        outputs: dict[str, pulumi.Input[str]] = {}

        def placeholder(key: str, value: pulumi.Input[str]) -> str:
            marker = f"<{key}:{name}>"
            outputs[marker] = value
            return marker

        wiring = StagingWiring(
            download_image=placeholder("download-image", download_image),
            copy_image=placeholder("copy-image", copy_image),
            account_name=placeholder("weights-account", account_name),
            staging_client_id=placeholder("staging-client-id", staging_client_id),
            endpoint_cidrs=endpoint_cidrs,
        )

        def child(*depends_on: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=list(depends_on)
            )

        ns = staging_namespace_manifest(_pod_security_version(environment))
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata=ns["metadata"], opts=child()
        )
        sa = _with_outputs(staging_service_account_manifest(wiring), outputs)
        account = k8s.core.v1.ServiceAccount(
            f"{name}-serviceaccount",
            metadata=sa["metadata"],
            automount_service_account_token=False,
            opts=child(namespace),
        )
        federation = federations.add(
            f"{name}-federation",
            credential_name=f"{STAGING_NAMESPACE}-{cluster_credential(name)}",
            subject=f"system:serviceaccount:{STAGING_NAMESPACE}:{STAGING_ACCOUNT}",
            parent=self,
            issuer=cluster.oidc_issuer_url,
        )
        policy = staging_network_policy_manifest(wiring)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-networkpolicy",
            metadata=policy["metadata"],
            spec=policy["spec"],
            opts=child(namespace),
        )
        secrets: list[pulumi.Resource] = []
        if hf_token is not None:
            secrets.append(
                k8s.core.v1.Secret(
                    f"{name}-hf-token",
                    metadata={"name": HF_SECRET_NAME, "namespace": STAGING_NAMESPACE},
                    type="Opaque",
                    string_data={"token": pulumi.Output.secret(hf_token)},
                    opts=child(namespace),
                )
            )
        self.jobs = {}
        for run in runs:
            manifest = _with_outputs(
                staging_job_manifest(
                    run.weights,
                    wiring=wiring,
                    placement=placement_of(run.workload),
                    hf_secret_name=HF_SECRET_NAME,
                ),
                outputs,
            )
            aks = run.workload.aks
            assert aks is not None
            deadline = staging_time_s(checkpoint_bytes=aks.checkpoint_bytes)
            pool = run.workload.aks.pool_name if run.workload.aks else None
            self.jobs[run.weights.job_name] = k8s.batch.v1.Job(
                f"{name}-{run.weights.job_name}",
                metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=_with_timeout(
                    deadline,
                    child(
                        namespace,
                        account,
                        federation,
                        *secrets,
                        *access,
                        *([cluster.pools[pool]] if pool in cluster.pools else []),
                    ),
                ),
            )
        self.register_outputs({"jobs": sorted(self.jobs)})


def _with_timeout(seconds: int, opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=f"{seconds}s"))
    )


def cluster_credential(name: str) -> str:
    """The federated credential's name suffix: the component's name (one per cluster)."""
    return name.removeprefix("staging-")
