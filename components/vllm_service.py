"""One self-hosted workload served by vLLM in one region's GPU cluster.

``VllmService`` maps the manifests of ``components.kubernetes_manifests`` one to one onto typed
pulumi_kubernetes resources, so what ``pulumi preview`` shows, what ``inferplan render`` writes
and what checkov scans are the same objects. Every object has an explicit ``metadata.name``
(no Pulumi auto-naming), every resource goes through the cluster's Kubernetes provider, and the
Deployment waits for the workload's GPU pool: without the pool its pods would only pend.
"""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from inferplan.components.kubernetes_manifests import (
    HF_TOKEN_KEY,
    SERVICE_PORT,
    vllm_manifests,
)
from inferplan.sizing.plan import EnvironmentPlan, WorkloadPlan

HF_SECRET_NAME = "hf-token"  # in the workload's namespace; key ``token``

# Stands in for the Prometheus query endpoint while the manifests are rendered; replaced by the
# real Input before any resource sees it.
_QUERY_URL_PLACEHOLDER = "https://prometheus-query-endpoint.invalid"


class VllmService(pulumi.ComponentResource):
    """Namespace, service account, Deployment, internal Service, disruption budget, network
    policy, KEDA autoscaling and a managed-Prometheus PodMonitor for one workload and region.

    ``cluster`` is the region's ``GpuCluster``: its ``provider`` deploys everything and
    ``pools[vm_sku]`` / ``pool_names[vm_sku]`` place the pods.

    ``hf_token`` (a Pulumi secret) becomes a Secret ``hf-token`` in the namespace. Without it
    the pods still mount a Secret of that name, optionally: an operator may create it out of
    band (for example from Key Vault), and a public model downloads without one.

    ``prometheus_query_url`` is the Azure Monitor workspace's Prometheus query endpoint. With
    it, KEDA scales the Deployment on vLLM's queue depth and Pulumi stops managing
    ``spec.replicas`` after creation; without it the Deployment keeps the Plan's replica count.
    """

    namespace: str
    service_name: str
    deployment_name: str
    url: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        workload: WorkloadPlan,
        region: str,
        cluster: Any,
        hf_token: pulumi.Input[str] | None = None,
        prometheus_query_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("inferplan:kubernetes:VllmService", name, None, opts)
        if workload.aks is None:
            raise ValueError(f"workload {workload.name!r} is not planned onto AKS")
        aks = workload.aks
        manifests = vllm_manifests(
            workload,
            region=region,
            pool_name=cluster.pool_names[aks.vm_sku],
            environment=environment,
            hf_secret_name=HF_SECRET_NAME,
            prometheus_query_url=None if prometheus_query_url is None else _QUERY_URL_PLACEHOLDER,
        )
        by_kind = {m["kind"]: m for m in manifests}
        autoscaled = "ScaledObject" in by_kind
        self.namespace = by_kind["Namespace"]["metadata"]["name"]
        self.service_name = by_kind["Service"]["metadata"]["name"]
        self.deployment_name = by_kind["Deployment"]["metadata"]["name"]

        def child(*depends_on: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=list(depends_on), **kwargs
            )

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata=by_kind["Namespace"]["metadata"], opts=child()
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-serviceaccount",
            metadata=by_kind["ServiceAccount"]["metadata"],
            automount_service_account_token=False,
            opts=child(namespace),
        )
        secrets: list[pulumi.Resource] = []
        if hf_token is not None:
            labels = by_kind["ServiceAccount"]["metadata"]["labels"]
            secrets.append(
                k8s.core.v1.Secret(
                    f"{name}-hf-token",
                    metadata={
                        "name": HF_SECRET_NAME,
                        "namespace": self.namespace,
                        "labels": labels,
                    },
                    type="Opaque",
                    string_data={HF_TOKEN_KEY: pulumi.Output.secret(hf_token)},
                    opts=child(namespace),
                )
            )

        deployment = by_kind["Deployment"]
        # A cold replica may take the start-up budget; every replica of a rolling update may
        # (one at a time), so Pulumi's readiness wait is sized the same way.
        deadline_s = deployment["spec"]["progressDeadlineSeconds"]
        timeouts = pulumi.CustomTimeouts(
            create=f"{deadline_s}s",
            update=f"{deadline_s * max(aks.replicas_per_region, 1)}s",
        )
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=deployment["metadata"],
            spec=deployment["spec"],
            opts=child(
                namespace,
                account,
                *secrets,
                cluster.pools[aks.vm_sku],
                custom_timeouts=timeouts,
                # KEDA owns the replica count once the Deployment exists.
                ignore_changes=["spec.replicas"] if autoscaled else None,
            ),
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=by_kind["Service"]["metadata"],
            spec=by_kind["Service"]["spec"],
            opts=child(namespace),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=by_kind["PodDisruptionBudget"]["metadata"],
            spec=by_kind["PodDisruptionBudget"]["spec"],
            opts=child(namespace),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-networkpolicy",
            metadata=by_kind["NetworkPolicy"]["metadata"],
            spec=by_kind["NetworkPolicy"]["spec"],
            opts=child(namespace),
        )
        for kind, suffix in (
            ("TriggerAuthentication", "triggerauth"),
            ("ScaledObject", "scaledobject"),
            ("PodMonitor", "podmonitor"),
        ):
            if kind not in by_kind:
                continue
            manifest = by_kind[kind]
            spec: Any = manifest["spec"]
            if kind == "ScaledObject":
                spec = _with_server_address(spec, prometheus_query_url)
            k8s.apiextensions.CustomResource(
                f"{name}-{suffix}",
                api_version=manifest["apiVersion"],
                kind=kind,
                metadata=manifest["metadata"],
                spec=spec,
                opts=child(namespace),
            )

        self.url = service.status.apply(_service_url)
        self.register_outputs(
            {"namespace": self.namespace, "serviceName": self.service_name, "url": self.url}
        )


def _with_server_address(spec: dict[str, Any], url: pulumi.Input[str] | None) -> dict[str, Any]:
    """The ScaledObject's spec with the query endpoint put back in place of the placeholder."""
    spec = copy.deepcopy(spec)
    for trigger in spec["triggers"]:
        if trigger["metadata"].get("serverAddress") == _QUERY_URL_PLACEHOLDER:
            trigger["metadata"]["serverAddress"] = url
    return spec


def _service_url(status: Any) -> str:
    """``http://<internal load balancer IP>:80`` once Azure has assigned the address."""
    ingress = status.load_balancer.ingress if status and status.load_balancer else None
    if not ingress or not ingress[0].ip:
        raise ValueError("the internal load balancer has no IP address yet")
    return f"http://{ingress[0].ip}:{SERVICE_PORT}"
