"""One self-hosted workload served by vLLM in one region's GPU cluster.

``VllmService`` maps the manifests of ``components.kubernetes_manifests`` one to one onto typed
pulumi_kubernetes resources, so what ``pulumi preview`` shows, what ``inferplan render`` writes
and what checkov scans are the same objects. Every object has an explicit ``metadata.name``
(no Pulumi auto-naming), every resource goes through the cluster's Kubernetes provider, and the
Deployment waits for the workload's GPU pool, its Key Vault access and its token: without them
its pods would only pend or crash.

Values only Azure knows (the registry's login server, identities' client ids, the vault's name,
the Prometheus endpoint) are rendered as placeholders and put back as Pulumi outputs, so the
manifests stay pure functions of the Plan.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.kubernetes_manifests import (
    HF_TOKEN_KEY,
    SERVICE_PORT,
    ServiceWiring,
    vllm_manifests,
)
from sizing.deploy.packing import placed_workload
from sizing.plan import ContainerImage, EnvironmentPlan, WorkloadPlan

HF_SECRET_NAME = "hf-token"  # in the workload's namespace; key ``token``


@dataclass(frozen=True)
class VllmWiring:
    """What the environment's shared resources give a vLLM service (outputs welcome)."""

    registry_login_server: pulumi.Input[str]
    gateway_cidrs: tuple[str, ...]
    key_vault_name: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    api_key_secret_name: str
    prometheus_query_url: pulumi.Input[str] | None = None
    # The weights store where the workload's checkpoint is staged (components/weights_store.py):
    # its account, the Azure CLI image to copy with, the private endpoints' subnets (none in a
    # public environment) and the role assignments a replica waits for.
    weights_account_name: pulumi.Input[str] | None = None
    weights_image: ContainerImage | None = None
    endpoint_cidrs: tuple[str, ...] = ()
    weights_access: tuple[pulumi.Resource, ...] = ()


class VllmService(pulumi.ComponentResource):
    """Namespace, service account and its federated credential, Key Vault secret provider,
    Deployment, internal Service, disruption budget, network policy, KEDA autoscaling and a
    managed-Prometheus PodMonitor for one workload and region.

    ``cluster`` is the region's ``GpuCluster``: its ``provider`` deploys everything,
    ``pools[pool_name]`` place the pods, ``vllm_identity`` (a user-assigned identity allowed to
    read the API key) and ``keda_client_id`` authenticate, ``oidc_issuer_url`` federates.

    ``hf_token`` (a Pulumi secret) becomes a Secret ``hf-token`` in the namespace. Without it
    the pods still mount a Secret of that name, optionally: a public model downloads without one
    (``inferplan check`` fails a gated model with no token configured).
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
        wiring: VllmWiring,
        hf_token: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("inferplan:kubernetes:VllmService", name, None, opts)
        if workload.aks is None:
            raise ValueError(f"workload {workload.name!r} is not planned onto AKS")
        # On a shared pool where the environment packs it (sizing/deploy/packing.py).
        workload = placed_workload(workload, region=region, packing=environment.packing)
        aks = workload.aks
        assert aks is not None
        outputs: dict[str, pulumi.Input[str]] = {}

        def placeholder(key: str, value: pulumi.Input[str]) -> str:
            marker = f"<{key}:{name}>"
            outputs[marker] = value
            return marker

        login_server = pulumi.Output.from_input(wiring.registry_login_server)
        image = login_server.apply(aks.container_image.reference_in)
        staged = aks.weights is not None and wiring.weights_account_name is not None
        copy_image = wiring.weights_image
        weights = (
            {
                "weights_image": placeholder(
                    "weights-image", login_server.apply(copy_image.reference_in)
                ),
                "weights_account": placeholder("weights-account", wiring.weights_account_name),
                "endpoint_cidrs": wiring.endpoint_cidrs,
            }
            if staged and copy_image is not None and wiring.weights_account_name is not None
            else {}
        )
        manifests = vllm_manifests(
            workload,
            region=region,
            environment=environment,
            wiring=ServiceWiring(
                image=placeholder("image", image),
                gateway_cidrs=wiring.gateway_cidrs,
                vllm_client_id=placeholder("vllm-client-id", cluster.vllm_identity.client_id),
                key_vault_name=placeholder("key-vault", wiring.key_vault_name),
                tenant_id=placeholder("tenant", wiring.tenant_id),
                api_key_secret_name=wiring.api_key_secret_name,
                prometheus_query_url=None
                if wiring.prometheus_query_url is None
                else placeholder("prometheus", wiring.prometheus_query_url),
                keda_client_id=placeholder("keda-client-id", cluster.keda_client_id),
                **weights,
            ),
            hf_secret_name=HF_SECRET_NAME,
        )
        by_kind = {m["kind"]: _with_outputs(m, outputs) for m in manifests}
        autoscaled = "ScaledObject" in by_kind
        self.namespace = manifests[0]["metadata"]["name"]
        self.service_name = by_kind["Service"]["metadata"]["name"]
        self.deployment_name = by_kind["Deployment"]["metadata"]["name"]
        service_account = by_kind["ServiceAccount"]["metadata"]["name"]

        def child(*depends_on: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self, provider=cluster.provider, depends_on=list(depends_on), **kwargs
            )

        # The service account's tokens stand for the cluster's vLLM identity, which may read
        # the API key from Key Vault (granted once per cluster by GpuCluster).
        federation = cluster.vllm_federations.add(
            f"{name}-federation",
            credential_name=workload.name,
            subject=f"system:serviceaccount:{self.namespace}:{service_account}",
            parent=self,
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
        provider_class = by_kind["SecretProviderClass"]
        secret_provider = k8s.apiextensions.CustomResource(
            f"{name}-secretproviderclass",
            api_version=provider_class["apiVersion"],
            kind="SecretProviderClass",
            metadata=provider_class["metadata"],
            spec=provider_class["spec"],
            opts=child(namespace),
        )

        deployment = by_kind["Deployment"]
        # A cold replica may take the start-up budget; every replica of a rolling update may
        # (one at a time), so Pulumi's readiness wait is sized the same way.
        deadline_s = aks.startup.progress_deadline_s
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
                secret_provider,
                federation,
                *secrets,
                *cluster.vllm_access,
                *wiring.weights_access,
                cluster.pools[aks.pool_name],
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
            # KEDA's identity must hold its role and federation before the first query.
            extra = cluster.keda_access if kind == "ScaledObject" else []
            k8s.apiextensions.CustomResource(
                f"{name}-{suffix}",
                api_version=manifest["apiVersion"],
                kind=kind,
                metadata=manifest["metadata"],
                spec=manifest["spec"],
                opts=child(namespace, *extra),
            )

        self.url = service.status.apply(_service_url)
        self.register_outputs(
            {"namespace": self.namespace, "serviceName": self.service_name, "url": self.url}
        )


def _with_outputs(value: Any, outputs: dict[str, pulumi.Input[str]]) -> Any:
    """The manifest with every placeholder put back as its output: a whole string, or a part of
    one (a shell script naming the weights store's account)."""
    if isinstance(value, str):
        if value in outputs:
            return outputs[value]
        inner = [marker for marker in outputs if marker in value]
        if not inner:
            return value
        return pulumi.Output.all(*(outputs[m] for m in inner)).apply(
            lambda resolved, text=value, markers=inner: _filled(text, markers, resolved)
        )
    if isinstance(value, dict):
        return {k: _with_outputs(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_outputs(v, outputs) for v in value]
    return copy.copy(value)


def _filled(text: str, markers: list[str], values: list[Any]) -> str:
    for marker, resolved in zip(markers, values, strict=True):
        text = text.replace(marker, str(resolved))
    return text


def _service_url(status: Any) -> str:
    """``http://<internal load balancer IP>:80`` once Azure has assigned the address."""
    ingress = status.load_balancer.ingress if status and status.load_balancer else None
    if not ingress or not ingress[0].ip:
        raise ValueError("the internal load balancer has no IP address yet")
    return f"http://{ingress[0].ip}:{SERVICE_PORT}"
