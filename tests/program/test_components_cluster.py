"""GpuCluster under Pulumi mocks: what AKS is asked for, and which plan changes rename what."""

from __future__ import annotations

import dataclasses

import pulumi
import pytest
import yaml

from components.gpu_cluster import (
    GPU_TAINT,
    MAX_PODS_PER_NODE,
    ClusterContext,
    GpuCluster,
)
from components.gpu_cluster import kubeconfig_for_azure_cli as for_azure_cli
from components.naming import agent_pool_name, node_resource_group_name
from components.roles import (
    ACR_PULL,
    AKS_RBAC_CLUSTER_ADMIN,
    AZURE_CLI_CLIENT_ID,
    KEY_VAULT_SECRETS_USER,
    MONITORING_DATA_READER,
    deployer_principal_type,
)
from inferplan.offline.capture import MOCK_KUBECONFIG, SECRET, Capture, capture
from sizing.catalog import default_catalog
from sizing.deploy.container_images import DEVICE_PLUGIN_IMAGE_ID, planned_image
from sizing.plan import NodePool

CLUSTER = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"
PROVIDER = "pulumi:providers:kubernetes"
DCRA = "azure-native:monitor:DataCollectionRuleAssociation"
ROLE = "azure-native:authorization:RoleAssignment"
DAEMONSET = "kubernetes:apps/v1:DaemonSet"
COMPONENT = "inferplan:azure:GpuCluster"

SUBNET_ID = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/aks"
)
WORKSPACE_ID = (
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"
)
DCR_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/dataCollectionRules/prom"
AMW_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Monitor/accounts/amw"
ACR_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr"
SECRET_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets/k"
AMPLS_ID = "/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/privateLinkScopes/pl"
ADMIN_GROUP = "8f6b2b3e-0d5c-4a9f-9a39-2f6e0d1c7b11"
UAMI = "azure-native:managedidentity:UserAssignedIdentity"
FEDERATION = "azure-native:managedidentity:FederatedIdentityCredential"
DCR = "azure-native:monitor:DataCollectionRule"
DCE = "azure-native:monitor:DataCollectionEndpoint"
SCOPED = "azure-native:monitor:PrivateLinkScopedResource"

CHECKOUT_SKU = "Standard_NC144ds_xl_RTXPRO6000BSE_v6"  # checkout-assistant in the showcase
H100_X2 = "Standard_NC80adis_H100_v5"


def pool_of(plan, workload: str) -> NodePool:
    """The Plan's pool for a workload that has its VM size to itself, in its first region:
    the workload's own figures."""
    w = next(w for w in plan.workloads if w.name == workload)
    [pool] = [
        p
        for p in plan.environment(w.environment).pools_in(w.regions[0])
        if p.vm_sku == w.aks.vm_sku
    ]
    assert pool == NodePool(
        region=w.regions[0],
        name=w.aks.pool_name,
        vm_sku=w.aks.vm_sku,
        node_count=w.aks.nodes_per_region,
        min_count=w.aks.min_nodes_per_region,
        max_count=w.aks.max_nodes_per_region,
        zones=w.aks.zones,
        workloads=(workload,),
        os_disk_size_gb=w.aks.os_disk_size_gb,
        vcpus_per_node=w.aks.vm_vcpus,
    )
    return pool


@pytest.fixture(scope="module")
def prod_env(prod_plan):
    return prod_plan.environment("prod")  # Standard tier, 3 system nodes, protected


@pytest.fixture(scope="module")
def prod_pools(prod_plan):
    """eastus2 in prod: two workloads on two VM sizes (RTX PRO 6000, H100)."""
    return [pool_of(prod_plan, "checkout-assistant"), pool_of(prod_plan, "contract-review")]


def context(**changes) -> ClusterContext:
    return dataclasses.replace(
        ClusterContext(
            subscription_id="00000000-0000-0000-0000-000000000000",
            admin_principal_id="deployer-object-id",
            admin_principal_type="ServicePrincipal",
            log_analytics_workspace_id=WORKSPACE_ID,
            prometheus_data_collection_rule_id=DCR_ID,
            monitor_workspace_id=AMW_ID,
            registry_id=ACR_ID,
            api_key_secret_id=SECRET_ID,
            device_plugin_image=planned_image(default_catalog(), DEVICE_PLUGIN_IMAGE_ID),
            registry_login_server="acrtest.azurecr.io",
        ),
        **changes,
    )


def build(
    env,
    pools: list[NodePool],
    *,
    preview: bool = True,
    region: str = "eastus2",
    ctx: ClusterContext | None = None,
) -> Capture:
    def program() -> None:
        cluster = GpuCluster(
            "aks-eus2",
            environment=env,
            region=region,
            resource_group_name="rg-test",
            subnet_id=SUBNET_ID,
            pools=pools,
            context=ctx or context(),
        )
        pulumi.export("clusterName", cluster.cluster_name)
        pulumi.export("poolNames", cluster.pool_names)
        pulumi.export("pools", {name: p.name for name, p in cluster.pools.items()})
        pulumi.export("kubeconfig", cluster.kubeconfig)

    return capture(program, stack=env.name, preview=preview)


def pools_by_sku(result: Capture) -> dict[str, dict]:
    return {r.inputs["vmSize"]: r for r in result.of_type(AGENT_POOL)}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_resource_set_and_parents(prod_env, prod_pools, preview):
    result = build(prod_env, prod_pools, preview=preview)

    component = result.get(COMPONENT, "aks-eus2")
    assert sorted(r.key for r in result.resources if r is not component) == sorted(
        [
            f"{CLUSTER}::aks-eus2",
            f"{AGENT_POOL}::aks-eus2-{agent_pool_name(CHECKOUT_SKU)}",
            f"{AGENT_POOL}::aks-eus2-{agent_pool_name(H100_X2)}",
            f"{ROLE}::aks-eus2-subnet-access",
            f"{ROLE}::aks-eus2-acr-pull",
            f"{ROLE}::aks-eus2-cluster-admin",
            f"{ROLE}::aks-eus2-keda-reader",
            f"{ROLE}::aks-eus2-vllm-key-reader",
            f"{UAMI}::aks-eus2-keda-identity",
            f"{UAMI}::aks-eus2-vllm-identity",
            f"{FEDERATION}::aks-eus2-keda-federation",
            f"{DCR}::aks-eus2-container-insights",
            f"{DCRA}::aks-eus2-container-insights-association",
            f"{DCRA}::aks-eus2-prometheus",
            f"{PROVIDER}::aks-eus2-k8s",
            f"{DAEMONSET}::aks-eus2-nvidia-device-plugin",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy::aks-eus2-nvidia-device-plugin-deny-all",
        ]
    )
    assert all(r.parent == component.urn for r in result.resources if r is not component)


@pytest.mark.parametrize("protect", [True, False], ids=["protected", "unprotected"])
def test_protect_follows_the_environment_but_never_the_gpu_pools(prod_env, prod_pools, protect):
    """A protected pool could not be deleted once its replacement (new VM size) exists."""
    result = build(dataclasses.replace(prod_env, protect=protect), prod_pools)

    assert result.get(CLUSTER, "aks-eus2").protect is protect
    for pool in result.of_type(AGENT_POOL):
        assert pool.protect is False
        assert pool.delete_before_replace is False  # create the new pool before deleting


def test_cluster_identity_security_and_add_ons(prod_env, prod_pools):
    inputs = build(prod_env, prod_pools).get(CLUSTER, "aks-eus2").inputs

    assert inputs["resourceName"] == "aks-prod-eus2"
    assert inputs["location"] == "eastus2"
    assert inputs["kubernetesVersion"] == prod_env.kubernetes.version
    assert inputs["sku"] == {"name": "Base", "tier": prod_env.kubernetes.sku_tier}
    assert inputs["identity"] == {"type": "SystemAssigned"}
    assert inputs["aadProfile"] == {"managed": True, "enableAzureRBAC": True}
    assert inputs["disableLocalAccounts"] is True
    assert inputs["oidcIssuerProfile"] == {"enabled": True}
    assert inputs["securityProfile"] == {"workloadIdentity": {"enabled": True}}
    assert inputs["azureMonitorProfile"] == {"metrics": {"enabled": True}}
    assert inputs["workloadAutoScalerProfile"] == {"keda": {"enabled": True}}
    oms = inputs["addonProfiles"]["omsagent"]
    assert oms["enabled"] is True
    assert oms["config"]["logAnalyticsWorkspaceResourceID"] == WORKSPACE_ID
    assert oms["config"]["useAADAuth"] == "true"  # managed-identity ingestion, no workspace key
    secrets = inputs["addonProfiles"]["azureKeyvaultSecretsProvider"]
    assert secrets == {
        "enabled": True,
        "config": {"enableSecretRotation": "true", "rotationPollInterval": "2m"},
    }
    assert inputs["nodeResourceGroup"] == node_resource_group_name("prod", "eastus2")
    assert inputs["apiServerAccessProfile"] == {
        "authorizedIPRanges": ["20.50.0.0/24", "52.160.0.0/24"]  # the environment's
    }
    network = inputs["networkProfile"]
    assert (network["networkPlugin"], network["networkPluginMode"]) == ("azure", "overlay")
    # NetworkPolicies (vLLM ingress, device plugin deny-all) need an engine to mean anything
    assert (network["networkDataplane"], network["networkPolicy"]) == ("cilium", "cilium")
    assert inputs["autoUpgradeProfile"] == {
        "upgradeChannel": "patch",
        "nodeOSUpgradeChannel": "NodeImage",
    }
    assert inputs["tags"] == prod_env.tags


@pytest.mark.parametrize(
    ("nodes", "zones"), [(3, ["1", "2", "3"]), (1, None)], ids=["three-zones", "one-node"]
)
def test_system_pool_is_inline_and_sized_by_the_plan(prod_env, prod_pools, nodes, zones):
    kube = dataclasses.replace(prod_env.kubernetes, system_node_count=nodes)
    result = build(dataclasses.replace(prod_env, kubernetes=kube), prod_pools)

    (system,) = result.get(CLUSTER, "aks-eus2").inputs["agentPoolProfiles"]
    assert system["name"] == "system"
    assert system["mode"] == "System"
    assert system["vmSize"] == kube.system_vm_size
    assert system["count"] == nodes
    assert system["vnetSubnetID"] == SUBNET_ID
    assert system["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert system.get("availabilityZones") == zones


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_one_gpu_pool_per_vm_size(prod_env, prod_pools, preview):
    pools = pools_by_sku(build(prod_env, prod_pools, preview=preview))

    assert set(pools) == {CHECKOUT_SKU, H100_X2}
    for plan_pool in prod_pools:
        pool = pools[plan_pool.vm_sku]
        inputs = pool.inputs
        assert inputs["agentPoolName"] == agent_pool_name(plan_pool.vm_sku)
        assert inputs["mode"] == "User"
        assert (inputs["osType"], inputs["osSKU"]) == ("Linux", "Ubuntu")
        assert inputs["gpuProfile"] == {"driver": "Install"}  # AKS-managed driver, stated
        assert inputs["enableAutoScaling"] is True
        assert inputs["count"] == plan_pool.node_count
        assert (inputs["minCount"], inputs["maxCount"]) == (
            plan_pool.min_count,
            plan_pool.max_count,
        )
        assert pool.ignore_changes == ("count",)  # the autoscaler owns the count
        assert inputs["availabilityZones"] == list(plan_pool.zones)
        assert inputs["nodeTaints"] == [GPU_TAINT]
        assert inputs["nodeLabels"] == {
            "inferplan.io/vm-sku": plan_pool.vm_sku,
            "inferplan.io/pool": agent_pool_name(plan_pool.vm_sku),
            **{f"workload.inferplan.io/{w}": "true" for w in plan_pool.workloads},
        }
        assert inputs["maxPods"] == MAX_PODS_PER_NODE
        assert inputs["osDiskSizeGB"] == plan_pool.os_disk_size_gb
        assert inputs["vnetSubnetID"] == SUBNET_ID
        assert inputs["resourceName"] == "aks-prod-eus2"  # the cluster's name output


def test_gpu_pools_are_created_one_after_another(prod_env, prod_pools):
    result = build(prod_env, prod_pools)
    first, second = (pools_by_sku(result)[sku] for sku in sorted([CHECKOUT_SKU, H100_X2]))

    assert first.depends_on == ()
    assert second.depends_on == (first.urn,)


def test_without_authorized_ranges_the_api_server_profile_is_left_out(prod_env, prod_pools):
    kube = dataclasses.replace(prod_env.kubernetes, api_server_authorized_ip_ranges=())
    result = build(dataclasses.replace(prod_env, kubernetes=kube), prod_pools)
    assert "apiServerAccessProfile" not in result.get(CLUSTER, "aks-eus2").inputs


def test_dev_pool_scales_to_zero(dev_plan):
    env = dev_plan.environment("dev")
    pool = pool_of(dev_plan, "ticket-triage")
    assert pool.min_count == 0  # gpu_scale_to_zero

    result = build(env, [pool], region="westeurope")
    inputs = result.of_type(AGENT_POOL)[0].inputs
    # User pools may have zero nodes; AKS still wants a count, which the autoscaler then owns.
    assert (inputs["minCount"], inputs["count"]) == (0, pool.node_count)
    assert result.get(CLUSTER, "aks-eus2").protect is False
    assert result.get(CLUSTER, "aks-eus2").inputs["sku"]["tier"] == "Free"


def test_cluster_may_reach_its_subnet_and_reports_to_managed_prometheus(prod_env, prod_pools):
    result = build(prod_env, prod_pools, preview=False)

    role = result.get(ROLE, "aks-eus2-subnet-access").inputs
    assert role["scope"] == SUBNET_ID
    assert role["roleDefinitionId"].endswith("/4d97b98b-1d4f-4787-a291-c67834d212e7")
    assert role["principalType"] == "ServicePrincipal"
    association = result.get(DCRA, "aks-eus2-prometheus").inputs
    assert association["dataCollectionRuleId"] == DCR_ID
    assert association["resourceUri"].endswith("/ManagedCluster/aks-eus2")


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_kubernetes_provider_has_a_secret_kubeconfig_and_waits_for_the_pools(
    prod_env, prod_pools, preview
):
    result = build(prod_env, prod_pools, preview=preview)
    provider = result.get(PROVIDER, "aks-eus2-k8s")

    assert provider.inputs["kubeconfig"] == {SECRET: MOCK_KUBECONFIG}
    assert {r.urn for r in result.of_type(AGENT_POOL)} <= set(provider.depends_on)
    # Local accounts are off: Pulumi may only talk to the API server once it is cluster admin.
    assert result.get(ROLE, "aks-eus2-cluster-admin").urn in provider.depends_on
    assert result.exports["kubeconfig"] == {SECRET: MOCK_KUBECONFIG}
    if not preview:
        assert result.exports["poolNames"] == {
            s: agent_pool_name(s) for s in (CHECKOUT_SKU, H100_X2)
        }
        names = [agent_pool_name(s) for s in (CHECKOUT_SKU, H100_X2)]
        assert result.exports["pools"] == {n: n for n in names}  # keyed by pool name
        assert result.exports["clusterName"] == "aks-prod-eus2"


def test_device_plugin_runs_on_the_gpu_pools_through_the_cluster_provider(prod_env, prod_pools):
    """The driver-only GPU profile installs no device plugin; without one no node advertises
    nvidia.com/gpu [use-gpu]."""
    result = build(prod_env, prod_pools)
    plugin = result.get(DAEMONSET, "aks-eus2-nvidia-device-plugin")
    pod = plugin.inputs["spec"]["template"]["spec"]

    assert result.key_of(plugin.provider) == f"{PROVIDER}::aks-eus2-k8s"
    assert plugin.inputs["metadata"]["namespace"] == "kube-system"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"] == [
        {"matchExpressions": [{"key": "inferplan.io/pool", "operator": "Exists"}]}
    ]


def test_entra_kubeconfig_logs_in_with_the_azure_cli():
    entra = {
        "apiVersion": "v1",
        "kind": "Config",
        "users": [
            {
                "name": "clusterUser_rg_aks",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "kubelogin",
                        "args": [
                            "get-token",
                            "--environment",
                            "AzurePublicCloud",
                            "--server-id",
                            "6dae42f8-4368-4678-94ff-3960e28e3630",
                            "--client-id",
                            "80faf920-1908-4b52-b5ef-a8e7bedfc67a",
                            "--tenant-id",
                            "11111111-1111-1111-1111-111111111111",
                            "--login",
                            "devicecode",
                        ],
                    }
                },
            }
        ],
    }
    converted = yaml.safe_load(for_azure_cli(yaml.safe_dump(entra)))

    assert converted["users"][0]["user"]["exec"]["args"] == [
        "get-token",
        "--login",
        "azurecli",
        "--server-id",
        "6dae42f8-4368-4678-94ff-3960e28e3630",
    ]
    assert for_azure_cli(MOCK_KUBECONFIG) == MOCK_KUBECONFIG  # no kubelogin user: untouched


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_more_nodes_rename_nothing(prod_env, prod_pools, preview):
    bigger = [
        dataclasses.replace(p, node_count=p.max_count, max_count=p.max_count * 2)
        for p in prod_pools
    ]
    before = build(prod_env, prod_pools, preview=preview)
    after = build(prod_env, bigger, preview=preview)

    assert [r.key for r in after.resources] == [r.key for r in before.resources]
    assert agent_pool_names(after) == agent_pool_names(before)
    changed = {
        (r.key, k)
        for r, s in zip(before.resources, after.resources, strict=True)
        for k in set(r.inputs) | set(s.inputs)
        if r.inputs.get(k) != s.inputs.get(k)
    }
    assert {k for _, k in changed} == {"count", "maxCount"}  # and count is ignored on update


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_new_vm_size_adds_a_pool_and_retires_the_old_one(prod_env, prod_pools, preview):
    """Create-before-delete: the new size is a new resource, the old pool goes afterwards."""
    a100 = "Standard_NC24ads_A100_v4"
    moved = [
        dataclasses.replace(prod_pools[0], vm_sku=a100, name=agent_pool_name(a100)),
        prod_pools[1],
    ]
    before = build(prod_env, prod_pools, preview=preview)
    after = build(prod_env, moved, preview=preview)

    old_keys, new_keys = {r.key for r in before.resources}, {r.key for r in after.resources}
    assert old_keys - new_keys == {f"{AGENT_POOL}::aks-eus2-{agent_pool_name(CHECKOUT_SKU)}"}
    assert new_keys - old_keys == {f"{AGENT_POOL}::aks-eus2-{agent_pool_name(a100)}"}
    assert agent_pool_names(after) == agent_pool_names(before) - {agent_pool_name(CHECKOUT_SKU)} | {
        agent_pool_name(a100)
    }
    untouched = old_keys & new_keys - {r.key for r in after.of_type(AGENT_POOL)}
    assert untouched == old_keys - {r.key for r in before.of_type(AGENT_POOL)}


def agent_pool_names(result: Capture) -> set[str]:
    return {r.inputs["agentPoolName"] for r in result.of_type(AGENT_POOL)}


@pytest.mark.parametrize(
    ("node_count", "min_count", "max_count"),
    [(5, 0, 4), (1, 2, 4), (0, 0, 0)],
    ids=["above-max", "below-min", "no-nodes-ever"],
)
def test_pool_bounds_are_checked(node_count, min_count, max_count):
    with pytest.raises(ValueError, match="min_count <= node_count <= max_count"):
        NodePool(
            "eastus2",
            agent_pool_name(CHECKOUT_SKU),
            CHECKOUT_SKU,
            node_count,
            min_count,
            max_count,
            (),
            ("w",),
            128,
            40,
        )


def test_one_pool_per_vm_size(prod_env, prod_pools):
    with pytest.raises(Exception, match="one pool per VM size"):
        build(prod_env, [prod_pools[0], prod_pools[0]])


def role(result: Capture, name: str) -> dict:
    return result.get(ROLE, name).inputs


@pytest.mark.parametrize(
    ("group", "principal", "principal_type"),
    [(None, "deployer-object-id", "ServicePrincipal"), (ADMIN_GROUP, ADMIN_GROUP, "Group")],
    ids=["deployer", "admin-group"],
)
def test_cluster_admin_goes_to_the_deployer_or_the_admin_group(
    prod_env, prod_pools, group, principal, principal_type
):
    ctx = context(admin_principal_id=principal, admin_principal_type=principal_type)
    result = build(prod_env, prod_pools, preview=False, ctx=ctx)
    admin = role(result, "aks-eus2-cluster-admin")
    assert admin["roleDefinitionId"].endswith(f"/roleDefinitions/{AKS_RBAC_CLUSTER_ADMIN}")
    assert admin["scope"].endswith("/ManagedCluster/aks-eus2")
    assert admin["principalId"] == principal
    assert admin["principalType"] == principal_type


@pytest.mark.parametrize(
    ("client_id", "principal_type"),
    [(AZURE_CLI_CLIENT_ID, "User"), ("3f1e6c57-9a1b-4c2d-8e7f-0a1b2c3d4e5f", "ServicePrincipal")],
    ids=["az-login", "service-principal"],
)
def test_the_deployers_principal_type_follows_how_pulumi_signed_in(client_id, principal_type):
    def program() -> None:
        pulumi.export("type", deployer_principal_type(client_id))

    assert capture(program).exports["type"] == principal_type


def test_keda_authenticates_as_a_federated_identity_that_reads_the_workspace(prod_env, prod_pools):
    result = build(prod_env, prod_pools, preview=False)
    federation = result.get(FEDERATION, "aks-eus2-keda-federation").inputs
    assert federation["subject"] == "system:serviceaccount:kube-system:keda-operator"
    assert federation["audiences"] == ["api://AzureADTokenExchange"]
    assert federation["issuer"] == "https://oidc.mock/aks-prod-eus2/"  # the cluster's issuer
    assert federation["resourceName"] == "id-prod-eus2-keda"
    reader = role(result, "aks-eus2-keda-reader")
    assert reader["roleDefinitionId"].endswith(f"/roleDefinitions/{MONITORING_DATA_READER}")
    assert reader["scope"] == AMW_ID
    assert reader["principalId"] == "id-prod-eus2-keda-principal"
    assert reader["principalType"] == "ServicePrincipal"


def test_nodes_pull_from_the_registry_and_vllm_reads_only_its_key(prod_env, prod_pools):
    result = build(prod_env, prod_pools, preview=False)
    pull = role(result, "aks-eus2-acr-pull")
    assert pull["roleDefinitionId"].endswith(f"/roleDefinitions/{ACR_PULL}")
    assert (pull["scope"], pull["principalId"]) == (ACR_ID, "kubelet-object-id")
    key = role(result, "aks-eus2-vllm-key-reader")
    assert key["roleDefinitionId"].endswith(f"/roleDefinitions/{KEY_VAULT_SECRETS_USER}")
    assert key["scope"] == SECRET_ID  # the one secret, not the vault
    assert key["principalId"] == "id-prod-eus2-vllm-principal"


def test_role_assignment_names_follow_scope_principal_and_role(prod_env, prod_pools):
    first = build(prod_env, prod_pools, preview=False)
    again = build(prod_env, prod_pools, preview=False)
    other = build(prod_env, prod_pools, preview=False, ctx=context(registry_id=ACR_ID + "2"))
    names = {r.name: r.inputs["roleAssignmentName"] for r in first.of_type(ROLE)}
    assert names == {r.name: r.inputs["roleAssignmentName"] for r in again.of_type(ROLE)}
    assert len(set(names.values())) == len(names)  # distinct per assignment
    moved = {r.name: r.inputs["roleAssignmentName"] for r in other.of_type(ROLE)}
    assert moved["aks-eus2-acr-pull"] != names["aks-eus2-acr-pull"]  # another scope
    assert moved["aks-eus2-subnet-access"] == names["aks-eus2-subnet-access"]


def test_container_insights_ingests_through_its_own_rule(prod_env, prod_pools):
    result = build(prod_env, prod_pools, preview=False)
    rule = result.get(DCR, "aks-eus2-container-insights").inputs
    (extension,) = rule["dataSources"]["extensions"]
    assert extension["streams"] == ["Microsoft-ContainerInsights-Group-Default"]
    assert rule["destinations"]["logAnalytics"][0]["workspaceResourceId"] == WORKSPACE_ID
    association = result.get(DCRA, "aks-eus2-container-insights-association").inputs
    assert association["associationName"] == "ContainerInsightsExtension"
    assert not result.of_type(DCE)  # public environment: no endpoint in a private link scope


def test_a_private_environment_reads_agent_settings_through_the_link_scope(prod_env, prod_pools):
    result = build(
        prod_env, prod_pools, preview=False, ctx=context(ampls_id=AMPLS_ID, ampls_name="pl")
    )
    (endpoint,) = result.of_type(DCE)
    assert endpoint.inputs["networkAcls"] == {"publicNetworkAccess": "Disabled"}
    scoped = result.get(SCOPED, "aks-eus2-ci-endpoint-scope").inputs
    assert scoped["scopeName"] == "pl"
    access = result.get(DCRA, "aks-eus2-ci-endpoint-association").inputs
    assert access["associationName"] == "configurationAccessEndpoint"
    assert result.get(DCR, "aks-eus2-container-insights").inputs["dataCollectionEndpointId"]


def test_the_device_plugin_image_is_the_plans(prod_env, prod_pools):
    image = planned_image(default_catalog(), DEVICE_PLUGIN_IMAGE_ID)
    result = build(prod_env, prod_pools, preview=False)
    plugin = result.get(DAEMONSET, "aks-eus2-nvidia-device-plugin")
    (container,) = plugin.inputs["spec"]["template"]["spec"]["containers"]
    # nvcr.io is not an upstream artifact cache supports: imported, and pulled from the registry
    assert container["image"] == image.reference_in("acrtest.azurecr.io")
    assert container["image"] == "acrtest.azurecr.io/nvidia/k8s-device-plugin:v0.18.0"


def test_federated_credentials_on_one_identity_are_written_one_at_a_time():
    """Issue 23 item 2: Entra answers 409 to concurrent federated-credential writes under one
    user-assigned identity; each credential waits for the one before it, per identity."""
    import pulumi
    from pulumi_azure_native import managedidentity

    from components.federation import FederationChain
    from inferplan.offline.capture import capture

    def program() -> None:
        chains = {
            name: FederationChain(
                managedidentity.UserAssignedIdentity(
                    f"id-{name}", resource_name_=f"id-{name}", resource_group_name="rg"
                ),
                resource_group_name="rg",
                issuer="https://oidc.test/",
            )
            for name in ("a", "b")
        }
        parent = pulumi.ComponentResource("test:index:Parent", "parent")
        for name, chain in chains.items():
            for workload in ("one", "two", "three"):
                chain.add(
                    f"{name}-{workload}",
                    credential_name=workload,
                    subject=f"system:serviceaccount:{workload}:{workload}",
                    parent=parent,
                )

    result = capture(program)
    for name in ("a", "b"):
        one, two, three = (result.get(FEDERATION, f"{name}-{w}") for w in ("one", "two", "three"))
        assert one.depends_on == ()
        assert two.depends_on == (one.urn,)
        assert three.depends_on == (two.urn,)


# --- MIG, spot and AMD pools --------------------------------------------------------------------

A100 = "Standard_NC24ads_A100_v4"
MI300X = "Standard_ND96isr_MI300X_v5"


def _pool(vm_sku: str, **changes) -> NodePool:
    base = NodePool(
        region="eastus2",
        name=agent_pool_name(
            vm_sku, changes.get("gpu_instance_profile"), spot=changes.get("spot", False)
        ),
        vm_sku=vm_sku,
        node_count=2,
        min_count=2,
        max_count=4,
        zones=(),
        workloads=("triage",),
        os_disk_size_gb=128,
        vcpus_per_node=24,
    )
    return dataclasses.replace(base, **changes)


def test_a_mig_pool_sets_its_instance_profile_and_the_plugin_runs_the_single_strategy(prod_env):
    whole, mig = _pool(A100), _pool(A100, gpu_instance_profile="MIG1g")
    assert whole.name != mig.name
    result = build(prod_env, [whole, mig], preview=False)
    pools = {r.inputs["agentPoolName"]: r.inputs for r in result.of_type(AGENT_POOL)}
    assert pools[mig.name]["gpuInstanceProfile"] == "MIG1g"
    assert "gpuInstanceProfile" not in pools[whole.name]
    assert pools[mig.name]["nodeTaints"] == [GPU_TAINT]
    env = result.get(DAEMONSET, "aks-eus2-nvidia-device-plugin").inputs["spec"]["template"]["spec"][
        "containers"
    ][0]["env"]
    assert {"name": "MIG_STRATEGY", "value": "single"} in env
    assert result.exports["poolNames"] == {A100: whole.name, f"{A100}/MIG1g": mig.name}
    # Without a MIG pool the plugin keeps its default strategy (none).
    plain = build(prod_env, [whole]).get(DAEMONSET, "aks-eus2-nvidia-device-plugin")
    assert all(
        e["name"] != "MIG_STRATEGY"
        for e in plain.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    )


def test_a_spot_pool_is_spot_priority_deleted_on_eviction_at_up_to_on_demand_price(prod_env):
    spot = _pool(A100, spot=True)
    result = build(prod_env, [spot])
    (inputs,) = [r.inputs for r in result.of_type(AGENT_POOL)]
    assert (inputs["scaleSetPriority"], inputs["scaleSetEvictionPolicy"]) == ("Spot", "Delete")
    assert inputs["spotMaxPrice"] == -1
    assert inputs["nodeTaints"] == [
        GPU_TAINT,
        "kubernetes.azure.com/scalesetpriority=spot:NoSchedule",
    ]
    plugin = result.get(DAEMONSET, "aks-eus2-nvidia-device-plugin").inputs["spec"]["template"][
        "spec"
    ]
    assert {"key": "kubernetes.azure.com/scalesetpriority", "operator": "Equal", "value": "spot",
            "effect": "NoSchedule"} in plugin["tolerations"]  # fmt: skip
    regular = build(prod_env, [_pool(A100)]).of_type(AGENT_POOL)[0].inputs
    assert "scaleSetPriority" not in regular and "spotMaxPrice" not in regular


def test_an_amd_pool_skips_the_aks_driver_and_is_tainted_for_amd_gpus(prod_env):
    amd = _pool(MI300X, gpu_vendor="amd", vcpus_per_node=96)
    (inputs,) = [r.inputs for r in build(prod_env, [amd]).of_type(AGENT_POOL)]
    assert inputs["gpuProfile"] == {"driver": "None"}  # Learn: --gpu-driver none
    assert inputs["nodeTaints"] == ["amd.com/gpu=present:NoSchedule"]
