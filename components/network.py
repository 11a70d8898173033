"""Private network between the LLM gateway and the GPU clusters: one virtual network per region.

API Management reaches vLLM over private addresses (an internal load balancer in each cluster's
node subnet), so every region that hosts a GPU cluster gets a virtual network with an ``aks``
subnet, the environment's location gets a ``gateway`` subnet for API Management, and the gateway's
virtual network is peered both ways with every other one (hub and spoke; spokes are not peered
with each other because only the gateway talks to the clusters).

Address plan (``vnet_address_space``): each region owns ``10.<octet>.0.0/16`` with the second
octet read from a fixed, append-only table (``VNET_SECOND_OCTET``). The octet depends on the
region alone, never on which other regions a stack uses or in which order, so adding a region
never renumbers an existing virtual network (a changed address space would mean re-creating
subnets, clusters and peerings). Inside a region: the ``aks`` subnet is the first /20 (nodes
and internal load balancers; pods take overlay addresses, see ``POD_CIDR``) and the ``gateway``
subnet the /24 after it (API Management v2 recommends /24 to leave room for scale-out units
[inject-vnet-v2]). Kubernetes service and pod ranges live outside 10.0.0.0/8, so they overlap
no virtual network and can be the same in every cluster.

Sources: [inject-vnet-v2] and [integrate-vnet-outbound] are Learn "Inject an Azure API Management
instance in a private virtual network - Premium v2 tier" and "Integrate ... with a private virtual
network for outbound connections" (MicrosoftDocs/azure-docs, 2025); [vnet-ref] is "Virtual network
configuration reference: API Management" (classic tiers, 06/2025). See also
shared/reference/apim-sse.md section 3.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
from inferplan.components.naming import region_code, resource_name, stable_hash
from inferplan.sizing.plan import EnvironmentPlan
from pulumi_azure_native import network, privatedns

# Second octet of each region's 10.x.0.0/16. Append only: never change or reuse a value, or an
# existing virtual network would be renumbered. 0 is left out (it is AKS's default service
# range) and so is 244 (AKS's default overlay pod range).
VNET_SECOND_OCTET: dict[str, int] = {
    "australiaeast": 10,
    "brazilsouth": 11,
    "canadacentral": 12,
    "centralindia": 13,
    "centralus": 14,
    "eastus": 15,
    "eastus2": 16,
    "francecentral": 17,
    "germanywestcentral": 18,
    "italynorth": 19,
    "japaneast": 20,
    "koreacentral": 21,
    "northcentralus": 22,
    "northeurope": 23,
    "norwayeast": 24,
    "polandcentral": 25,
    "southcentralus": 26,
    "southeastasia": 27,
    "spaincentral": 28,
    "swedencentral": 29,
    "switzerlandnorth": 30,
    "uksouth": 31,
    "westeurope": 32,
    "westus": 33,
    "westus2": 34,
    "westus3": 35,
}
# Regions missing from the table fall back to a hash of their name into this range, far from
# the table; Network refuses a stack where two fallbacks collide (add the region to the table).
_FALLBACK_OCTETS = range(128, 240)

# Kubernetes ranges shared by every cluster (Azure CNI overlay): pod addresses are private to
# a cluster and never routed in the virtual network; the service range must only stay clear of
# every virtual network the cluster can reach, which 10.0.0.0/8 above guarantees.
POD_CIDR = "192.168.0.0/16"
SERVICE_CIDR = "172.16.0.0/16"
DNS_SERVICE_IP = "172.16.0.10"


def vnet_address_space(region: str) -> str:
    """``10.<octet>.0.0/16`` for ``region``; a function of the region alone (see module doc)."""
    octet = VNET_SECOND_OCTET.get(region)
    if octet is None:
        octet = _FALLBACK_OCTETS[int(stable_hash(region), 16) % len(_FALLBACK_OCTETS)]
    return f"10.{octet}.0.0/16"


def aks_subnet_prefix(region: str) -> str:
    """The first /20 of the region's space: 4,091 node and internal load balancer addresses."""
    space = ipaddress.ip_network(vnet_address_space(region))
    return str(next(space.subnets(new_prefix=20)))


def gateway_subnet_prefix(region: str) -> str:
    """The /24 right after the ``aks`` subnet: the size API Management v2 recommends."""
    space = ipaddress.ip_network(vnet_address_space(region))
    return str(list(space.subnets(new_prefix=24))[16])


def endpoint_subnet_prefix(region: str) -> str:
    """The /24 after the gateway's: private endpoints of Azure OpenAI accounts."""
    space = ipaddress.ip_network(vnet_address_space(region))
    return str(list(space.subnets(new_prefix=24))[17])


OPENAI_PRIVATE_DNS_ZONE = "privatelink.openai.azure.com"  # Azure OpenAI private endpoints


@dataclass(frozen=True)
class NsgRule:
    """One network security group rule, written with service tags as the docs give them."""

    name: str
    priority: int
    direction: str  # Inbound | Outbound
    source: str
    destination: str
    ports: tuple[str, ...]
    protocol: str = "Tcp"


@dataclass(frozen=True)
class GatewayNetworkMode:
    """How API Management joins the gateway subnet, which follows from its tier and from the
    environment's public network access. ``LlmGateway`` sets ``virtual_network_type`` on the
    service; ``Network`` delegates and guards the subnet to match."""

    virtual_network_type: str  # API Management virtualNetworkType: None | External | Internal
    delegation: str | None  # service the subnet is delegated to; None: no delegation
    rules: tuple[NsgRule, ...]
    source: str


_CLASSIC_RULES = (  # [vnet-ref] required ports (bold rows), External and Internal
    NsgRule("AllowApimManagement", 100, "Inbound", "ApiManagement", "VirtualNetwork", ("3443",)),
    NsgRule("AllowLoadBalancer", 110, "Inbound", "AzureLoadBalancer", "VirtualNetwork", ("6390",)),
    NsgRule("AllowStorageOutbound", 100, "Outbound", "VirtualNetwork", "Storage", ("443",)),
    NsgRule("AllowSqlOutbound", 110, "Outbound", "VirtualNetwork", "Sql", ("1433",)),
    NsgRule("AllowKeyVaultOutbound", 120, "Outbound", "VirtualNetwork", "AzureKeyVault", ("443",)),
    NsgRule(
        "AllowMonitorOutbound", 130, "Outbound", "VirtualNetwork", "AzureMonitor", ("1886", "443")
    ),
)
_CLASSIC_EXTERNAL_RULES = (  # [vnet-ref] client communication, External only
    NsgRule("AllowClientsHttps", 120, "Inbound", "Internet", "VirtualNetwork", ("443",)),
)


def gateway_network_mode(environment: EnvironmentPlan) -> GatewayNetworkMode:
    """The API Management networking of the plan's gateway tier.

    The gateway stays public in every tier and reaches the clusters through the virtual
    network (``LlmGateway`` sets ``virtualNetworkType`` External; it should read it from here):

    * Standard v2 and Premium v2: outbound VNet integration, the subnet delegated to
      ``Microsoft.Web/serverFarms`` with an NSG that needs no specific rules
      [integrate-vnet-outbound].
    * Developer and Premium (classic): External injection, no delegation, and the NSG rules
      [vnet-ref] marks required plus clients' HTTPS.
    * Other tiers cannot reach a virtual network: the subnet is made but stays unused.

    A private gateway (Premium v2 injection, virtualNetworkType Internal) would instead need
    ``Microsoft.Web/hostingEnvironments`` and outbound Storage and Key Vault rules
    [inject-vnet-v2], and can only be chosen when the service is created; integration and
    injection cannot be switched later.
    """
    tier = environment.gateway.tier if environment.gateway else None
    if tier in ("StandardV2", "PremiumV2"):
        return GatewayNetworkMode(
            "External", "Microsoft.Web/serverFarms", (), "integrate-vnet-outbound"
        )
    if tier in ("Developer", "Premium"):
        rules = _CLASSIC_RULES + _CLASSIC_EXTERNAL_RULES
        return GatewayNetworkMode("External", None, rules, "vnet-ref")
    return GatewayNetworkMode("None", None, (), "no virtual network support in this tier")


def _security_rule(rule: NsgRule) -> network.SecurityRuleArgs:
    ports = {"destination_port_range": rule.ports[0]}
    if len(rule.ports) > 1:
        ports = {"destination_port_ranges": list(rule.ports)}
    return network.SecurityRuleArgs(
        name=rule.name,
        priority=rule.priority,
        direction=rule.direction,
        access="Allow",
        protocol=rule.protocol,
        source_address_prefix=rule.source,
        source_port_range="*",
        destination_address_prefix=rule.destination,
        **ports,
    )


class Network(pulumi.ComponentResource):
    """Virtual networks, subnets and hub-and-spoke peerings for one environment.

    ``regions`` are the regions with GPU clusters. With none, nothing is created: the gateway
    then only talks to public endpoints (Azure OpenAI) and ``gateway_subnet_id`` is None.

    Subnets and peerings are separate resources (the virtual network lists neither, and
    azure-native keeps separately managed subnets on a VNet update, pulumi-azure-native#611).
    Azure runs one change at a time on a virtual network, so every subnet and peering waits for
    the previous change to each virtual network it touches (which also orders it after the
    virtual network itself: children name their VNet by its fixed name, not its output).
    """

    aks_subnet_ids: dict[str, pulumi.Output[str]]
    gateway_subnet_id: pulumi.Output[str] | None
    vnet_ids: dict[str, pulumi.Output[str]]
    gateway_mode: GatewayNetworkMode

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        resource_group_name: pulumi.Input[str],
        regions: tuple[str, ...],
        private_endpoints: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("inferplan:azure:Network", name, None, opts)
        env = environment
        self.aks_subnet_ids = {}
        self.gateway_subnet_id = None
        self.endpoint_subnet_id = None
        self.openai_dns_zone_id = None
        self.vnet_ids = {}
        self.gateway_mode = gateway_network_mode(env)
        if not regions and not private_endpoints:
            self.register_outputs({})
            return

        hub = env.location
        all_regions = [hub, *sorted(set(regions) - {hub})]
        _check_address_plan(all_regions)
        child = pulumi.ResourceOptions(parent=self)
        vnets: dict[str, network.VirtualNetwork] = {}
        vnet_names = {r: resource_name("vnet", env.name, r) for r in all_regions}
        last_change: dict[str, pulumi.Resource] = {}  # per region: the VNet's latest change

        def after(*regions_touched: str) -> pulumi.ResourceOptions:
            deps = [last_change[r] for r in regions_touched if r in last_change]
            return pulumi.ResourceOptions(parent=self, depends_on=deps)

        for region in all_regions:
            code = region_code(region)
            vnet = network.VirtualNetwork(
                f"{name}-vnet-{code}",
                virtual_network_name=vnet_names[region],
                resource_group_name=resource_group_name,
                location=region,
                address_space=network.AddressSpaceArgs(
                    address_prefixes=[vnet_address_space(region)]
                ),
                tags=env.tags,
                opts=child,
            )
            vnets[region] = vnet
            last_change[region] = vnet
            self.vnet_ids[region] = vnet.id
            if region in regions:
                subnet = network.Subnet(
                    f"{name}-snet-aks-{code}",
                    subnet_name=resource_name("snet", env.name, region, "aks"),
                    virtual_network_name=vnet_names[region],
                    resource_group_name=resource_group_name,
                    address_prefix=aks_subnet_prefix(region),
                    opts=after(region),
                )
                last_change[region] = subnet
                self.aks_subnet_ids[region] = subnet.id

        mode = self.gateway_mode
        nsg = network.NetworkSecurityGroup(
            f"{name}-nsg-gateway",
            network_security_group_name=resource_name("nsg", env.name, hub, "gateway"),
            resource_group_name=resource_group_name,
            location=hub,
            security_rules=[_security_rule(r) for r in mode.rules],
            tags=env.tags,
            opts=child,
        )
        gateway_subnet = network.Subnet(
            f"{name}-snet-gateway-{region_code(hub)}",
            subnet_name=resource_name("snet", env.name, hub, "gateway"),
            virtual_network_name=vnet_names[hub],
            resource_group_name=resource_group_name,
            address_prefix=gateway_subnet_prefix(hub),
            network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
            delegations=(
                [network.DelegationArgs(name="apim", service_name=mode.delegation)]
                if mode.delegation
                else None
            ),
            opts=after(hub),
        )
        last_change[hub] = gateway_subnet
        self.gateway_subnet_id = gateway_subnet.id

        if private_endpoints:
            # Azure OpenAI without public access is reached through private endpoints in the
            # gateway's network, resolved by a private DNS zone linked to it.
            endpoints = network.Subnet(
                f"{name}-snet-endpoints-{region_code(hub)}",
                subnet_name=resource_name("snet", env.name, hub, "endpoints"),
                virtual_network_name=vnet_names[hub],
                resource_group_name=resource_group_name,
                address_prefix=endpoint_subnet_prefix(hub),
                private_endpoint_network_policies="Enabled",
                opts=after(hub),
            )
            last_change[hub] = endpoints
            self.endpoint_subnet_id = endpoints.id
            zone = privatedns.PrivateZone(
                f"{name}-dns-openai",
                private_zone_name=OPENAI_PRIVATE_DNS_ZONE,
                resource_group_name=resource_group_name,
                location="Global",
                tags=env.tags,
                opts=child,
            )
            privatedns.VirtualNetworkLink(
                f"{name}-dns-openai-link-{region_code(hub)}",
                private_zone_name=OPENAI_PRIVATE_DNS_ZONE,
                virtual_network_link_name=resource_name("vnl", env.name, hub, "openai"),
                resource_group_name=resource_group_name,
                location="Global",
                registration_enabled=False,
                virtual_network=network.SubResourceArgs(id=vnets[hub].id),
                tags=env.tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[zone]),
            )
            self.openai_dns_zone_id = zone.id

        for spoke in all_regions[1:]:
            for local, remote in ((hub, spoke), (spoke, hub)):
                peering = network.VirtualNetworkPeering(
                    f"{name}-peer-{region_code(local)}-{region_code(remote)}",
                    virtual_network_peering_name=resource_name(
                        "peer", env.name, local, "to", region_code(remote)
                    ),
                    virtual_network_name=vnet_names[local],
                    resource_group_name=resource_group_name,
                    remote_virtual_network=network.SubResourceArgs(id=vnets[remote].id),
                    allow_virtual_network_access=True,
                    allow_forwarded_traffic=False,
                    allow_gateway_transit=False,
                    use_remote_gateways=False,
                    opts=after(local, remote),
                )
                last_change[local] = last_change[remote] = peering

        self.register_outputs(
            {
                "aksSubnetIds": self.aks_subnet_ids,
                "gatewaySubnetId": self.gateway_subnet_id,
                "endpointSubnetId": self.endpoint_subnet_id,
                "vnetIds": self.vnet_ids,
            }
        )


def _check_address_plan(regions: list[str]) -> None:
    spaces = {r: ipaddress.ip_network(vnet_address_space(r)) for r in regions}
    for i, a in enumerate(regions):
        for b in regions[i + 1 :]:
            if spaces[a].overlaps(spaces[b]):
                raise ValueError(
                    f"virtual networks of {a} and {b} would share {spaces[a]}: "
                    "add the regions to components.network.VNET_SECOND_OCTET"
                )
