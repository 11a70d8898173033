"""Network under Pulumi mocks: a VNet per region, hub-and-spoke peerings, a stable address plan."""

from __future__ import annotations

import dataclasses
import ipaddress

import pulumi
import pytest

from components import network as network_module
from components.network import (
    DNS_SERVICE_IP,
    POD_CIDR,
    SERVICE_CIDR,
    VNET_SECOND_OCTET,
    Network,
    aks_subnet_prefix,
    gateway_network_mode,
    gateway_subnet_prefix,
    vnet_address_space,
)
from inferplan.offline.capture import Capture, capture

VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
PEERING = "azure-native:network:VirtualNetworkPeering"
NSG = "azure-native:network:NetworkSecurityGroup"


@pytest.fixture(scope="module")
def prod_env(prod_plan):
    return prod_plan.environment("prod")  # location swedencentral, PremiumV2, private


def build(env, regions: tuple[str, ...], *, preview: bool = True) -> Capture:
    def program() -> None:
        net = Network("network", environment=env, resource_group_name="rg-test", regions=regions)
        pulumi.export("aksSubnetIds", net.aks_subnet_ids)
        pulumi.export("gatewaySubnetId", net.gateway_subnet_id)

    return capture(program, stack=env.name, preview=preview)


def azure_names(result: Capture, type_: str, key: str) -> set[str]:
    return {r.inputs[key] for r in result.of_type(type_)}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_one_vnet_per_region_with_aks_subnets_gateway_subnet_and_peerings(prod_env, preview):
    result = build(prod_env, ("eastus2", "westeurope"), preview=preview)

    assert azure_names(result, VNET, "virtualNetworkName") == {
        "vnet-prod-swc",  # the environment's location hosts the gateway
        "vnet-prod-eus2",
        "vnet-prod-weu",
    }
    subnets = {r.inputs["subnetName"]: r for r in result.of_type(SUBNET)}
    assert set(subnets) == {"snet-prod-eus2-aks", "snet-prod-weu-aks", "snet-prod-swc-gateway"}
    assert subnets["snet-prod-eus2-aks"].inputs["virtualNetworkName"] == "vnet-prod-eus2"
    assert subnets["snet-prod-swc-gateway"].inputs["virtualNetworkName"] == "vnet-prod-swc"
    # Hub and spoke, both directions: the gateway's VNet with each cluster VNet.
    assert azure_names(result, PEERING, "virtualNetworkPeeringName") == {
        "peer-prod-swc-to-eus2",
        "peer-prod-eus2-to-swc",
        "peer-prod-swc-to-weu",
        "peer-prod-weu-to-swc",
    }
    for peering in result.of_type(PEERING):
        assert peering.inputs["allowVirtualNetworkAccess"] is True
        assert peering.inputs["useRemoteGateways"] is False
    component = result.get("inferplan:azure:Network", "network")
    assert all(r.parent == component.urn for r in result.resources if r is not component)
    assert all(r.inputs["tags"] == prod_env.tags for r in result.of_type(VNET))
    if not preview:
        assert set(result.exports["aksSubnetIds"]) == {"eastus2", "westeurope"}
        assert result.exports["gatewaySubnetId"].endswith("/network-snet-gateway-swc")


def test_gpu_region_equal_to_the_location_shares_the_gateway_vnet(prod_env):
    result = build(prod_env, ("swedencentral",))

    assert azure_names(result, VNET, "virtualNetworkName") == {"vnet-prod-swc"}
    assert azure_names(result, SUBNET, "subnetName") == {
        "snet-prod-swc-aks",
        "snet-prod-swc-gateway",
    }
    assert result.of_type(PEERING) == []


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_no_gpu_regions_creates_nothing(prod_env, preview):
    result = build(prod_env, (), preview=preview)

    assert [r.type for r in result.resources] == ["inferplan:azure:Network"]
    if not preview:
        assert result.exports["aksSubnetIds"] == {}
        assert result.exports["gatewaySubnetId"] is None


def test_address_spaces_of_every_known_region_are_disjoint_and_clear_of_kubernetes_ranges():
    spaces = [ipaddress.ip_network(vnet_address_space(r)) for r in VNET_SECOND_OCTET]
    kubernetes = [ipaddress.ip_network(POD_CIDR), ipaddress.ip_network(SERVICE_CIDR)]
    for i, a in enumerate(spaces):
        assert all(not a.overlaps(b) for b in spaces[i + 1 :] + kubernetes), a
    assert ipaddress.ip_address(DNS_SERVICE_IP) in kubernetes[1]
    assert len(set(VNET_SECOND_OCTET.values())) == len(VNET_SECOND_OCTET)


@pytest.mark.parametrize("region", ["eastus2", "swedencentral", "westeurope", "newregion1"])
def test_subnets_lie_inside_their_vnet_and_apart(region):
    space = ipaddress.ip_network(vnet_address_space(region))
    aks = ipaddress.ip_network(aks_subnet_prefix(region))
    gateway = ipaddress.ip_network(gateway_subnet_prefix(region))

    assert aks.subnet_of(space) and gateway.subnet_of(space)
    assert not aks.overlaps(gateway)
    assert gateway.prefixlen == 24  # API Management v2 recommends /24 [inject-vnet-v2]


def test_unknown_region_falls_back_outside_the_table():
    octet = int(vnet_address_space("newregion1").split(".")[1])
    assert 128 <= octet < 240
    assert octet not in VNET_SECOND_OCTET.values()


def test_two_regions_on_one_address_space_are_refused(prod_env, monkeypatch):
    monkeypatch.setattr(network_module, "VNET_SECOND_OCTET", {"swedencentral": 29, "eastus2": 29})
    with pytest.raises(Exception, match=r"share 10\.29\.0\.0/16"):
        build(prod_env, ("eastus2",))


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_adding_a_region_renumbers_and_renames_nothing(prod_env, preview):
    before = build(prod_env, ("eastus2",), preview=preview)
    after = build(prod_env, ("eastus2", "westeurope"), preview=preview)

    def address_plan(result: Capture) -> dict[str, object]:
        plan = {r.key: r.inputs["addressSpace"] for r in result.of_type(VNET)}
        plan |= {r.key: r.inputs["addressPrefix"] for r in result.of_type(SUBNET)}
        return plan

    old, new = address_plan(before), address_plan(after)
    assert {k: new[k] for k in old} == old  # every existing network keeps its numbers
    assert {r.key for r in before.resources} < {r.key for r in after.resources}
    added = {r.key for r in after.resources} - {r.key for r in before.resources}
    assert added == {
        f"{VNET}::network-vnet-weu",
        f"{SUBNET}::network-snet-aks-weu",
        f"{PEERING}::network-peer-swc-weu",
        f"{PEERING}::network-peer-weu-swc",
    }


def test_changes_to_one_vnet_are_serialised(prod_env):
    """Azure answers a second concurrent change to a VNet with AnotherOperationInProgress: each
    subnet or peering must (transitively) wait for every earlier one on the same VNet."""
    result = build(prod_env, ("eastus2", "westeurope", "swedencentral"))
    index = result.by_urn()

    def ancestors(urn: str) -> set[str]:
        seen: set[str] = set()
        todo = list(index[urn].depends_on)
        while todo:
            u = todo.pop()
            if u not in seen:
                seen.add(u)
                todo.extend(index[u].depends_on)
        return seen

    changes = result.of_type(SUBNET) + result.of_type(PEERING)
    for vnet in azure_names(result, VNET, "virtualNetworkName"):
        on_vnet = [r for r in changes if r.inputs["virtualNetworkName"] == vnet]
        for i, a in enumerate(on_vnet):
            for b in on_vnet[i + 1 :]:
                assert a.urn in ancestors(b.urn) or b.urn in ancestors(a.urn), (a.name, b.name)


@pytest.mark.parametrize(
    ("tier", "network_type", "delegation"),
    [
        ("StandardV2", "External", "Microsoft.Web/serverFarms"),
        ("PremiumV2", "External", "Microsoft.Web/serverFarms"),
        ("Developer", "External", None),
        ("Premium", "External", None),
        ("BasicV2", "None", None),
    ],
    ids=["standardv2", "premiumv2", "developer", "premium", "basicv2"],
)
def test_gateway_subnet_follows_the_gateway_tier(prod_env, tier, network_type, delegation):
    env = dataclasses.replace(prod_env, gateway=dataclasses.replace(prod_env.gateway, tier=tier))
    mode = gateway_network_mode(env)
    assert (mode.virtual_network_type, mode.delegation) == (network_type, delegation)

    result = build(env, ("eastus2",))
    subnet = next(r for r in result.of_type(SUBNET) if r.inputs["subnetName"].endswith("gateway"))
    delegations = [d["serviceName"] for d in subnet.inputs.get("delegations", [])]
    assert delegations == ([delegation] if delegation else [])
    # Every mode gets an NSG: v2 requires one, classic injection needs its inbound rules.
    nsg = result.get(NSG, "network-nsg-gateway")
    assert subnet.inputs["networkSecurityGroup"]["id"].endswith("/network-nsg-gateway")
    rules = {
        (r["direction"], r["sourceAddressPrefix"], r["destinationAddressPrefix"])
        for r in nsg.inputs.get("securityRules", [])
    }
    if tier in ("Developer", "Premium"):
        assert ("Inbound", "ApiManagement", "VirtualNetwork") in rules  # port 3443 [vnet-ref]
        assert ("Inbound", "AzureLoadBalancer", "VirtualNetwork") in rules  # port 6390
    else:
        assert rules == set()  # "No specific rules are required" [integrate-vnet-outbound]
