"""An AKS cluster for one region: a small system pool plus one GPU pool per VM size.

Why the cluster has this shape (sources are keys of shared/reference/aks-gpu.md unless named):

* **GPU pools are separate ``AgentPool`` resources named after their VM size.** A pool's VM
  size, zones, taints, GPU driver mode and max pods are fixed at creation [use-gpu][az], so a
  new size cannot be an update. Because the pool name is the Plan's ``AksPlan.pool_name``
  (derived from the VM size in sizing/deploy/pool_names.py), a new size is a *new* resource: Pulumi
  creates it first and deletes the old pool afterwards (its default create-before-delete), so
  serving capacity never drops to zero. Do not set
  ``delete_before_replace`` and do not protect the pools: a protected pool could not be
  deleted after its replacement exists (pulumi-practice.md section 0.6).
* **Only the system pool is inline** on the ``ManagedCluster``: it is small and stable, and
  keeping GPU pools out of the cluster's own properties means a pool change never rewrites the
  cluster. It carries ``CriticalAddonsOnly=true:NoSchedule`` [sys-pool].
* **The autoscaler owns node counts**: GPU pools set an initial ``count`` (AKS requires one)
  and ``ignore_changes=["count"]``, so ``pulumi up`` never resets what the autoscaler chose.
  ``min_count`` may be 0 on user pools ("scale down to zero ... setting min-count to 0 at
  node pool creation time" [keda-gpu]); the initial count is the plan's node count.
* **GPU workloads only on GPU nodes**: taint ``nvidia.com/gpu=present:NoSchedule`` [bp-gpu]
  (the form an observed live pool uses, aks-gpu.md section 9) and labels naming the VM size,
  the pool and the workloads the plan put there; the driver mode is stated, ``Install`` (the
  AKS-managed driver, the default for NVIDIA sizes [use-gpu] section 1). That mode installs
  the driver only, so the cluster also runs the NVIDIA device plugin on its GPU pools; without
  it no node advertises ``nvidia.com/gpu`` and vLLM pods would never schedule.
* **Identity**: Entra ID with Azure RBAC and no local accounts, OIDC issuer and workload
  identity on. With local accounts off, Azure RBAC is the only way in, so the cluster grants
  "Azure Kubernetes Service RBAC Cluster Admin" to the environment's admin group, or to the
  identity running ``pulumi up`` (``get_client_config``), and the Kubernetes provider waits for
  that assignment: without it the first run creates the cluster and every Kubernetes resource
  then fails with 403. The cluster's own identity gets "Network Contributor" on its subnet
  (internal load balancers); the kubelet identity gets "AcrPull" on the environment's registry.
* **Workload identities**: KEDA's (federated with ``kube-system:keda-operator``, Monitoring Data
  Reader on the Azure Monitor workspace [keda-gpu]) and vLLM's (federated per workload
  namespace by ``VllmService``, Key Vault Secrets User on the API key secret only), each a
  user-assigned identity per cluster.
* **Monitoring**: managed Prometheus metrics with the cluster associated to the Observability
  data collection rule, KEDA for queue-depth autoscaling of vLLM, Container Insights to Log
  Analytics with managed-identity ingestion (``useAADAuth``) through its own data collection
  rule (and, where the environment is private, a data collection endpoint in the Azure Monitor
  Private Link Scope). Upgrades: patch channel for Kubernetes, node image channel for the OS,
  since GPU drivers ship in the node image [bp-gpu].
* **Exposure**: the API server accepts only the environment's authorized IP ranges when it
  names any (Learn, api-server-authorized-ip-ranges.md); the node resource group is named
  explicitly within Azure's 80 characters; the Key Vault secrets provider add-on mounts the
  vLLM API key.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import containerservice, managedidentity, monitor

from components import roles
from components.federation import TOKEN_EXCHANGE_AUDIENCE, FederationChain
from components.kube_credentials import AZURE_CLI_LOGIN, KubeloginLogin, convert_kubeconfig
from components.naming import node_resource_group_name, resource_name
from components.network import DNS_SERVICE_IP, POD_CIDR, SERVICE_CIDR
from sizing.deploy.gpu_platform import (
    MIG_STRATEGY,
    SPOT_MAX_PRICE,
    SPOT_TAINT,
    SPOT_TAINT_KEY,
    platform_of,
)
from sizing.deploy.node_pools import SYSTEM_POOL_NAME, system_pool_zones
from sizing.plan import ContainerImage, EnvironmentPlan, NodePool

GPU_TAINT = "nvidia.com/gpu=present:NoSchedule"
SYSTEM_TAINT = "CriticalAddonsOnly=true:NoSchedule"
# Fixed at pool creation (changing it needs a new pool), so stated rather than left to the
# API's default, which has changed between network plugins: the upstream Kubernetes default.
MAX_PODS_PER_NODE = 110
LABEL_VM_SKU = "inferplan.io/vm-sku"
LABEL_POOL = "inferplan.io/pool"
LABEL_SHARED = "inferplan.io/shared"  # a packed pool: its nodes hold several workloads
LABEL_WORKLOAD_PREFIX = "workload.inferplan.io/"  # one label per workload: <prefix><name>=true
# With the driver-only GPU profile AKS installs no device plugin: "No nvidia.com/gpu resource is
# advertised until you deploy a device plugin" [use-gpu]. Its image is the Plan's (images
# catalog); shape from the same page.
KEDA_SERVICE_ACCOUNT = "system:serviceaccount:kube-system:keda-operator"
# Container Insights through its own data collection rule (the shape `az aks enable-addons
# --enable-msi-auth-for-monitoring` creates as MSCI-<region>-<cluster>): managed-identity
# ingestion needs it once useAADAuth is on.
CONTAINER_INSIGHTS_STREAM = "Microsoft-ContainerInsights-Group-Default"
CONTAINER_INSIGHTS_DESTINATION = "ciworkspace"
# The Key Vault provider for Secrets Store CSI; rotation re-reads the key every two minutes.
SECRETS_PROVIDER_ADDON = "azureKeyvaultSecretsProvider"


def pool_key(pool: NodePool) -> str:
    """The pool's key in the ``poolNames`` output: its VM size, with its MIG profile and spot
    priority where it has them, and "(shared)" for a packed pool (one size can have several
    pools)."""
    parts = [pool.vm_sku, *([pool.gpu_instance_profile] if pool.gpu_instance_profile else [])]
    key = "/".join([*parts, *(["spot"] if pool.spot else [])])
    return f"{key} (shared)" if pool.shared else key


def pool_node_labels(pool: NodePool) -> dict[str, str]:
    """Labels naming the pool's VM size, the pool and each workload the plan put there; a
    shared pool (sizing/deploy/packing.py) says so."""
    labels = {LABEL_VM_SKU: pool.vm_sku, LABEL_POOL: pool.name}
    if pool.shared:
        labels[LABEL_SHARED] = "true"
    labels.update({f"{LABEL_WORKLOAD_PREFIX}{w}": "true" for w in sorted(pool.workloads)})
    return labels


def kubeconfig_for_azure_cli(kubeconfig: str) -> str:
    """The kubeconfig signing in with the Azure CLI's login (``kubelogin convert-kubeconfig -l
    azurecli``); ``components.kube_credentials`` holds the other modes."""
    return convert_kubeconfig(kubeconfig, AZURE_CLI_LOGIN)


DEVICE_PLUGIN_NAME = "nvidia-device-plugin"
DEVICE_PLUGIN_LABELS = {"app.kubernetes.io/name": DEVICE_PLUGIN_NAME}
# checkov checks the device plugin cannot meet, each with the reason a reviewer can weigh. The
# rest of checkov's Kubernetes checks pass (see device_plugin_spec).
DEVICE_PLUGIN_CHECKOV_SKIPS = {
    "CKV_K8S_8": (
        "no liveness endpoint: the plugin talks to kubelet over a unix socket and exits when "
        "kubelet restarts, and the DaemonSet restarts it; upstream manifests set no probes"
    ),
    "CKV_K8S_9": (
        "no readiness endpoint: the plugin serves no traffic, readiness is kubelet's "
        "registration of nvidia.com/gpu on the node"
    ),
    "CKV_K8S_23": (
        "runs as root to create its socket in the root-owned host directory "
        "/var/lib/kubelet/device-plugins; privilege escalation off and every capability dropped"
    ),
    "CKV_K8S_40": "runs as root (UID 0) for the kubelet socket directory, see CKV_K8S_23",
    "CKV_K8S_43": (
        "pinned by version tag until the images catalog records the digest read from the "
        "registry; check's image-digest rule reports it (mandatory in production)"
    ),
    "CKV_K8S_15": (
        "pinned version tag from the environment's registry; IfNotPresent keeps a new GPU "
        "node's start independent of a registry round trip"
    ),
}


SPOT_TOLERATION = {
    "key": SPOT_TAINT_KEY,
    "operator": "Equal",
    "value": "spot",
    "effect": "NoSchedule",
}


def device_plugin_spec(image: str = "", *, mig: bool = False, spot: bool = False) -> dict[str, Any]:
    """The NVIDIA device plugin DaemonSet spec, on inferplan GPU pools only (they carry the
    pool label), tolerating their taint; the shape of the AKS docs' example [use-gpu]. With
    ``mig`` (a MIG pool in the cluster) it runs the single MIG strategy, which advertises each
    MIG instance as one ``nvidia.com/gpu`` and whole GPUs on the other pools
    (sizing/deploy/gpu_platform.py). It tolerates spot pools' taint too.

    Hardened for checkov: no service-account token (the plugin never calls the Kubernetes API),
    RuntimeDefault seccomp, read-only root filesystem (it writes only its socket on the host
    path), CPU and memory bounded. It still runs as root, see ``DEVICE_PLUGIN_CHECKOV_SKIPS``.
    """
    return {
        "selector": {"matchLabels": DEVICE_PLUGIN_LABELS},
        "updateStrategy": {"type": "RollingUpdate"},
        "template": {
            "metadata": {"labels": DEVICE_PLUGIN_LABELS},
            "spec": {
                "priorityClassName": "system-node-critical",
                "automountServiceAccountToken": False,
                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [{"key": LABEL_POOL, "operator": "Exists"}]}
                            ]
                        }
                    }
                },
                "tolerations": [
                    {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                    *([SPOT_TOLERATION] if spot else []),
                ],
                "containers": [
                    {
                        "name": DEVICE_PLUGIN_NAME,
                        "image": image,
                        "imagePullPolicy": "IfNotPresent",
                        "env": [
                            {"name": "FAIL_ON_INIT_ERROR", "value": "false"},
                            *([{"name": "MIG_STRATEGY", "value": MIG_STRATEGY}] if mig else []),
                        ],
                        "resources": {
                            "requests": {"cpu": "50m", "memory": "64Mi"},
                            "limits": {"cpu": "200m", "memory": "256Mi"},
                        },
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]},
                            "readOnlyRootFilesystem": True,
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                        "volumeMounts": [
                            {
                                "name": "device-plugin",
                                "mountPath": "/var/lib/kubelet/device-plugins",
                            }
                        ],
                    }
                ],
                "volumes": [
                    {
                        "name": "device-plugin",
                        "hostPath": {"path": "/var/lib/kubelet/device-plugins"},
                    }
                ],
            },
        },
    }


def device_plugin_network_policy_spec() -> dict[str, Any]:
    """Deny all traffic to and from the device plugin: it needs no network at all (kubelet is
    reached over a unix socket on the host path, the GPUs through the driver)."""
    return {
        "podSelector": {"matchLabels": DEVICE_PLUGIN_LABELS},
        "policyTypes": ["Ingress", "Egress"],
    }


def _first_kubeconfig(kubeconfigs: list[Any], login: KubeloginLogin) -> str:
    first = kubeconfigs[0]
    value = first["value"] if isinstance(first, dict) else first.value
    return convert_kubeconfig(base64.b64decode(value).decode(), login)


@dataclass(frozen=True)
class ClusterContext:
    """What the environment's shared resources give a cluster (outputs welcome).

    ``admin_principal_id``/``admin_principal_type``: who gets cluster admin (the environment's
    group, or the identity running Pulumi, ``roles.deployer_principal_type``). ``ampls_id``: the
    Azure Monitor Private Link Scope of a private environment, None for a public one, and
    ``ampls_name`` its name.
    """

    subscription_id: pulumi.Input[str]
    admin_principal_id: pulumi.Input[str]
    admin_principal_type: pulumi.Input[str]
    log_analytics_workspace_id: pulumi.Input[str]
    prometheus_data_collection_rule_id: pulumi.Input[str]
    monitor_workspace_id: pulumi.Input[str]
    registry_id: pulumi.Input[str]
    api_key_secret_id: pulumi.Input[str]
    device_plugin_image: ContainerImage
    registry_login_server: pulumi.Input[str]
    ampls_id: pulumi.Input[str] | None = None
    ampls_name: str | None = None
    # How the Kubernetes provider signs in (kubelogin mode), decided from Pulumi's credentials.
    kube_login: KubeloginLogin = AZURE_CLI_LOGIN


class GpuCluster(pulumi.ComponentResource):
    """AKS in one region with one autoscaled GPU pool per VM size (see the module docstring).

    ``provider`` is the explicit Kubernetes provider for this cluster; it depends on every GPU
    pool and on the cluster-admin role assignment, so workloads that use it are created after
    their nodes can exist and Pulumi may talk to the API server. Its kubeconfig (a secret)
    authenticates through kubelogin in the mode of ``context.kube_login`` (the Azure CLI login,
    OIDC workload identity, a service principal or a managed identity, as Pulumi's azure-native
    provider signs in), so running the program needs ``kubelogin`` on ``PATH``; ``pulumi``
    never writes the kubeconfig to disk, and it holds no secret.

    ``vllm_identity`` and ``vllm_access`` (its role assignment) are what ``VllmService`` federates
    and waits for; ``keda_client_id`` and ``keda_access`` likewise for KEDA.
    """

    cluster_id: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider
    device_plugin: k8s.apps.v1.DaemonSet
    pool_names: dict[str, str]  # pool_key (VM size[/MIG][/spot][ (shared)]) -> pool name
    pools: dict[str, containerservice.AgentPool]  # by pool name
    vllm_identity: managedidentity.UserAssignedIdentity
    vllm_access: list[pulumi.Resource]
    keda_client_id: pulumi.Output[str]
    keda_access: list[pulumi.Resource]
    resource_group_name: pulumi.Input[str]

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        region: str,
        resource_group_name: pulumi.Input[str],
        subnet_id: pulumi.Input[str],
        pools: tuple[NodePool, ...] | list[NodePool],
        context: ClusterContext,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("inferplan:azure:GpuCluster", name, None, opts)
        env = environment
        kube = env.kubernetes
        if kube is None:
            raise ValueError(f"environment {env.name}: the plan has no Kubernetes settings")
        keys = [pool_key(p) for p in pools]
        if len(set(keys)) != len(keys):
            raise ValueError(
                f"GPU cluster {name}: one pool per VM size, MIG profile and priority, got {keys}"
            )
        child = pulumi.ResourceOptions(parent=self)
        cluster_name = resource_name("aks", env.name, region)
        self.resource_group_name = resource_group_name
        subscription = context.subscription_id
        ranges = list(kube.api_server_authorized_ip_ranges)

        cluster = containerservice.ManagedCluster(
            name,
            resource_name_=cluster_name,
            resource_group_name=resource_group_name,
            location=region,
            dns_prefix=cluster_name,
            kubernetes_version=kube.version,
            node_resource_group=node_resource_group_name(env.name, region),
            sku=containerservice.ManagedClusterSKUArgs(name="Base", tier=kube.sku_tier),
            identity=containerservice.ManagedClusterIdentityArgs(type="SystemAssigned"),
            agent_pool_profiles=[
                containerservice.ManagedClusterAgentPoolProfileArgs(
                    name=SYSTEM_POOL_NAME,
                    mode="System",
                    type="VirtualMachineScaleSets",
                    os_type="Linux",
                    os_sku="Ubuntu",
                    vm_size=kube.system_vm_size,
                    count=kube.system_node_count,
                    enable_auto_scaling=False,
                    availability_zones=list(system_pool_zones(kube.system_node_count)) or None,
                    node_taints=[SYSTEM_TAINT],
                    max_pods=MAX_PODS_PER_NODE,
                    vnet_subnet_id=subnet_id,
                    tags=env.tags,
                )
            ],
            api_server_access_profile=containerservice.ManagedClusterAPIServerAccessProfileArgs(
                authorized_ip_ranges=ranges
            )
            if ranges
            else None,
            enable_rbac=True,
            aad_profile=containerservice.ManagedClusterAADProfileArgs(
                managed=True, enable_azure_rbac=True
            ),
            disable_local_accounts=True,
            oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=containerservice.ManagedClusterSecurityProfileArgs(
                workload_identity=containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(
                    enabled=True
                )
            ),
            azure_monitor_profile=containerservice.ManagedClusterAzureMonitorProfileArgs(
                metrics=containerservice.ManagedClusterAzureMonitorProfileMetricsArgs(enabled=True)
            ),
            workload_auto_scaler_profile=containerservice.ManagedClusterWorkloadAutoScalerProfileArgs(
                keda=containerservice.ManagedClusterWorkloadAutoScalerProfileKedaArgs(enabled=True)
            ),
            addon_profiles={
                # Container Insights with managed-identity ingestion; the data collection rule
                # below says what it sends where.
                "omsagent": containerservice.ManagedClusterAddonProfileArgs(
                    enabled=True,
                    config={
                        "logAnalyticsWorkspaceResourceID": context.log_analytics_workspace_id,
                        "useAADAuth": "true",
                    },
                ),
                SECRETS_PROVIDER_ADDON: containerservice.ManagedClusterAddonProfileArgs(
                    enabled=True,
                    config={"enableSecretRotation": "true", "rotationPollInterval": "2m"},
                ),
            },
            network_profile=containerservice.ContainerServiceNetworkProfileArgs(
                network_plugin="azure",
                network_plugin_mode="overlay",
                # Azure CNI powered by Cilium enforces the NetworkPolicies the services ship
                # (without an engine they would be accepted and ignored) [aks-gpu.md §3].
                network_dataplane="cilium",
                network_policy="cilium",
                pod_cidr=POD_CIDR,
                service_cidr=SERVICE_CIDR,
                dns_service_ip=DNS_SERVICE_IP,
                load_balancer_sku="standard",
            ),
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel="patch", node_os_upgrade_channel="NodeImage"
            ),
            tags=env.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=env.protect),
        )

        principal_id = cluster.identity.apply(lambda i: i.principal_id if i else None)
        subnet_access = roles.assign_role(
            f"{name}-subnet-access",
            role=roles.NETWORK_CONTRIBUTOR,
            scope=subnet_id,
            principal_id=principal_id,
            subscription_id=subscription,
            principal_type="ServicePrincipal",
            description=f"{cluster_name} places internal load balancers in its subnet",
            opts=child,
        )
        kubelet_id = cluster.identity_profile.apply(_kubelet_object_id)
        roles.assign_role(
            f"{name}-acr-pull",
            role=roles.ACR_PULL,
            scope=context.registry_id,
            principal_id=kubelet_id,
            subscription_id=subscription,
            principal_type="ServicePrincipal",
            description=f"nodes of {cluster_name} pull images from the environment's registry",
            opts=child,
        )
        admin_access = roles.assign_role(
            f"{name}-cluster-admin",
            role=roles.AKS_RBAC_CLUSTER_ADMIN,
            scope=cluster.id,
            principal_id=context.admin_principal_id,
            subscription_id=subscription,
            principal_type=context.admin_principal_type,
            description=f"Pulumi (or the admin group) manages {cluster_name}'s Kubernetes objects",
            opts=child,
        )

        self.pools = {}
        self.pool_names = {}
        previous: list[pulumi.Resource] = []
        for pool in sorted(pools, key=pool_key):
            platform = platform_of(pool.gpu_vendor)
            spot = (
                {
                    "scale_set_priority": "Spot",
                    "scale_set_eviction_policy": "Delete",
                    "spot_max_price": SPOT_MAX_PRICE,
                }
                if pool.spot
                else {}
            )
            agent_pool = containerservice.AgentPool(
                f"{name}-{pool.name}",
                agent_pool_name=pool.name,
                resource_name_=cluster.name,
                resource_group_name=resource_group_name,
                mode="User",
                type="VirtualMachineScaleSets",
                os_type="Linux",
                os_sku="Ubuntu",
                vm_size=pool.vm_sku,
                gpu_profile=containerservice.GPUProfileArgs(driver=platform.driver),
                gpu_instance_profile=pool.gpu_instance_profile,
                enable_auto_scaling=True,
                count=pool.node_count,
                min_count=pool.min_count,
                max_count=pool.max_count,
                # Weights, caches and the vLLM image live on the node's disk; AKS would pick
                # ephemeral when the VM's cache disk holds this size, managed otherwise.
                os_disk_size_gb=pool.os_disk_size_gb,
                availability_zones=list(pool.zones) or None,
                # AKS adds the spot taint itself; stated so the desired state matches it
                node_taints=[platform.taint, *([SPOT_TAINT] if pool.spot else [])],
                **spot,
                node_labels=pool_node_labels(pool),
                max_pods=MAX_PODS_PER_NODE,
                vnet_subnet_id=subnet_id,
                tags=env.tags,
                # One node-pool operation at a time per cluster: AKS rejects overlapping ones.
                opts=pulumi.ResourceOptions(
                    parent=self, ignore_changes=["count"], depends_on=previous
                ),
            )
            previous = [agent_pool]
            self.pools[pool.name] = agent_pool  # by name: a shared pool may share a size
            self.pool_names[pool_key(pool)] = pool.name

        monitor.DataCollectionRuleAssociation(
            f"{name}-prometheus",
            association_name=resource_name("dcra", env.name, region, "prometheus"),
            resource_uri=cluster.id,
            data_collection_rule_id=context.prometheus_data_collection_rule_id,
            description="Managed Prometheus metrics of this cluster to the Azure Monitor workspace",
            opts=child,
        )
        self._container_insights(name, env, region, cluster, resource_group_name, context)

        issuer = cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url if p else None)
        self.oidc_issuer_url = issuer
        keda = managedidentity.UserAssignedIdentity(
            f"{name}-keda-identity",
            resource_name_=resource_name("id", env.name, region, "keda"),
            resource_group_name=resource_group_name,
            location=region,
            tags=env.tags,
            opts=child,
        )
        keda_federation = managedidentity.FederatedIdentityCredential(
            f"{name}-keda-federation",
            federated_identity_credential_resource_name="keda-operator",
            resource_name_=keda.name,
            resource_group_name=resource_group_name,
            issuer=issuer,
            subject=KEDA_SERVICE_ACCOUNT,
            audiences=[TOKEN_EXCHANGE_AUDIENCE],
            opts=child,
        )
        keda_reader = roles.assign_role(
            f"{name}-keda-reader",
            role=roles.MONITORING_DATA_READER,
            scope=context.monitor_workspace_id,
            principal_id=keda.principal_id,
            subscription_id=subscription,
            principal_type="ServicePrincipal",
            description=f"KEDA in {cluster_name} reads vLLM's queue depth",
            opts=child,
        )
        self.keda_client_id = keda.client_id
        self.keda_access = [keda_federation, keda_reader]

        self.vllm_identity = managedidentity.UserAssignedIdentity(
            f"{name}-vllm-identity",
            resource_name_=resource_name("id", env.name, region, "vllm"),
            resource_group_name=resource_group_name,
            location=region,
            tags=env.tags,
            opts=child,
        )
        self.vllm_access = [
            roles.assign_role(
                f"{name}-vllm-key-reader",
                role=roles.KEY_VAULT_SECRETS_USER,
                scope=context.api_key_secret_id,
                principal_id=self.vllm_identity.principal_id,
                subscription_id=subscription,
                principal_type="ServicePrincipal",
                description=f"vLLM in {cluster_name} reads its API key (that secret only)",
                opts=child,
            )
        ]
        # Every vLLM workload's credential on that identity, one after another.
        self.vllm_federations = FederationChain(
            self.vllm_identity, resource_group_name=resource_group_name, issuer=issuer
        )

        # KUBECONFIG equivalent for humans: `az aks get-credentials -g <rg> -n <cluster>` then
        # `kubelogin convert-kubeconfig -l <mode>`; the program does the same in memory, for the
        # mode that signs in as Pulumi's own Azure identity (components/kube_credentials.py).
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=resource_group_name, resource_name=cluster.name, format="exec"
        )
        login = context.kube_login
        if login.gap:
            pulumi.log.warn(f"{cluster_name}: kubelogin {login.mode}: {login.gap}", self)
        self.kubeconfig = pulumi.Output.secret(
            credentials.kubeconfigs.apply(lambda k: _first_kubeconfig(k, login))
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*self.pools.values(), subnet_access, admin_access]
            ),
        )
        plugin_image = pulumi.Output.from_input(context.registry_login_server).apply(
            context.device_plugin_image.reference_in
        )
        plugin_spec = device_plugin_spec(
            "<device-plugin-image>",
            mig=any(p.gpu_instance_profile for p in pools),
            spot=any(p.spot for p in pools),
        )
        plugin_spec["template"]["spec"]["containers"][0]["image"] = plugin_image
        skips = dict(DEVICE_PLUGIN_CHECKOV_SKIPS)
        if context.device_plugin_image.digest is not None:
            skips.pop("CKV_K8S_43")
        self.device_plugin = k8s.apps.v1.DaemonSet(
            f"{name}-nvidia-device-plugin",
            metadata={
                "name": DEVICE_PLUGIN_NAME,
                "namespace": "kube-system",
                "labels": DEVICE_PLUGIN_LABELS,
                "annotations": {
                    f"checkov.io/skip{i}": f"{check}={why}"
                    for i, (check, why) in enumerate(skips.items(), 1)
                },
            },
            spec=plugin_spec,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-nvidia-device-plugin-deny-all",
            metadata={
                "name": f"{DEVICE_PLUGIN_NAME}-deny-all",
                "namespace": "kube-system",
                "labels": DEVICE_PLUGIN_LABELS,
            },
            spec=device_plugin_network_policy_spec(),
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )
        self.cluster_id = cluster.id
        self.cluster_name = cluster.name
        self.register_outputs(
            {
                "clusterId": self.cluster_id,
                "clusterName": self.cluster_name,
                "oidcIssuerUrl": self.oidc_issuer_url,
                "poolNames": self.pool_names,
                "kedaClientId": self.keda_client_id,
            }
        )

    def _container_insights(
        self,
        name: str,
        env: EnvironmentPlan,
        region: str,
        cluster: containerservice.ManagedCluster,
        resource_group_name: pulumi.Input[str],
        context: ClusterContext,
    ) -> None:
        """Container Insights' data collection rule and its association with the cluster; in a
        private environment also a data collection endpoint in the Private Link Scope, which the
        agent reads its configuration from ("configurationAccessEndpoint")."""
        child = pulumi.ResourceOptions(parent=self)
        endpoint_id: pulumi.Input[str] | None = None
        if context.ampls_id is not None and context.ampls_name is not None:
            endpoint = monitor.DataCollectionEndpoint(
                f"{name}-ci-endpoint",
                data_collection_endpoint_name=resource_name("dce", env.name, region, "ci"),
                resource_group_name=resource_group_name,
                location=region,
                kind="Linux",
                network_acls=monitor.DataCollectionEndpointNetworkAclsArgs(
                    public_network_access="Disabled"
                ),
                tags=env.tags,
                opts=child,
            )
            endpoint_id = endpoint.id
            monitor.PrivateLinkScopedResource(
                f"{name}-ci-endpoint-scope",
                name=resource_name("plsr", env.name, region, "ci"),
                scope_name=context.ampls_name,
                resource_group_name=resource_group_name,
                linked_resource_id=endpoint.id,
                opts=child,
            )
            monitor.DataCollectionRuleAssociation(
                f"{name}-ci-endpoint-association",
                association_name="configurationAccessEndpoint",
                resource_uri=cluster.id,
                data_collection_endpoint_id=endpoint.id,
                opts=child,
            )
        rule = monitor.DataCollectionRule(
            f"{name}-container-insights",
            data_collection_rule_name=resource_name("dcr", env.name, region, "ci"),
            resource_group_name=resource_group_name,
            location=region,
            kind="Linux",
            data_collection_endpoint_id=endpoint_id,
            data_sources=monitor.DataCollectionRuleDataSourcesArgs(
                extensions=[
                    monitor.ExtensionDataSourceArgs(
                        name="ContainerInsightsExtension",
                        extension_name="ContainerInsights",
                        streams=[CONTAINER_INSIGHTS_STREAM],
                        extension_settings={
                            "dataCollectionSettings": {
                                "interval": "1m",
                                "namespaceFilteringMode": "Off",
                                "enableContainerLogV2": True,
                            }
                        },
                    )
                ]
            ),
            destinations=monitor.DataCollectionRuleDestinationsArgs(
                log_analytics=[
                    monitor.LogAnalyticsDestinationArgs(
                        name=CONTAINER_INSIGHTS_DESTINATION,
                        workspace_resource_id=context.log_analytics_workspace_id,
                    )
                ]
            ),
            data_flows=[
                monitor.DataFlowArgs(
                    streams=[CONTAINER_INSIGHTS_STREAM],
                    destinations=[CONTAINER_INSIGHTS_DESTINATION],
                )
            ],
            tags=env.tags,
            opts=child,
        )
        monitor.DataCollectionRuleAssociation(
            f"{name}-container-insights-association",
            association_name="ContainerInsightsExtension",
            resource_uri=cluster.id,
            data_collection_rule_id=rule.id,
            description="Container Insights of this cluster to Log Analytics (managed identity)",
            opts=child,
        )


def _kubelet_object_id(profile: Any) -> str | None:
    """The kubelet identity's object id from ``identityProfile.kubeletidentity`` (typed
    outputs, or their plain-dict form)."""
    kubelet = profile.get("kubeletidentity") if isinstance(profile, dict) else None
    if kubelet is None:
        return None
    value = getattr(kubelet, "object_id", None)
    if value is None and isinstance(kubelet, dict):
        value = dict.get(kubelet, "objectId")
    return value
