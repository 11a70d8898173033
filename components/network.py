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
from pulumi_azure_native import network, privatedns

from components.naming import region_code, resource_name, stable_hash
from sizing.plan import EnvironmentPlan

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
BLOB_PRIVATE_DNS_ZONE = "privatelink.blob.core.windows.net"
# Private DNS zones per private-endpoint target, as Learn "Azure Private Endpoint private DNS
# zone values" lists them; every zone is linked to every virtual network of the environment so
# clusters and gateways resolve the private addresses through the peerings.
PRIVATE_DNS_ZONES: dict[str, tuple[str, ...]] = {
    "openai": (OPENAI_PRIVATE_DNS_ZONE,),
    "vault": ("privatelink.vaultcore.azure.net",),
    "registry": ("privatelink.azurecr.io",),
    # Azure Monitor Private Link Scope (Learn, "Configure your private link", DNS zones).
    "azuremonitor": (
        "privatelink.monitor.azure.com",
        "privatelink.oms.opinsights.azure.com",
        "privatelink.ods.opinsights.azure.com",
        "privatelink.agentsvc.azure-automation.net",
        BLOB_PRIVATE_DNS_ZONE,
    ),
    # The weights store's blob endpoint (Learn, "Azure Private Endpoint private DNS zone
    # values", Storage account blob: privatelink.blob.core.windows.net, read 2026-12-08). The
    # zone is the one Azure Monitor's endpoint registers in too: created once, shared.
    "blob": (BLOB_PRIVATE_DNS_ZONE,),
}
# The Azure Monitor workspace's query endpoint (managed Prometheus, what KEDA reads): its own
# private endpoint, sub-resource prometheusMetrics, in a zone named after the workspace's region
# (Learn, "Use private endpoints for Managed Prometheus and Azure Monitor workspace", DNS zone
# table; MicrosoftDocs/azure-docs azure-monitor-workspace-private-endpoint.md, read 2026-12-08).
PROMETHEUS_GROUP_ID = "prometheusMetrics"


def prometheus_private_dns_zone(region: str) -> str:
    """``privatelink.<region>.prometheus.monitor.azure.com``: the workspace's query endpoint
    ``<name>-<key>.<region>.prometheus.monitor.azure.com`` resolves through it."""
    return f"privatelink.{region}.prometheus.monitor.azure.com"


def private_dns_zones(location: str) -> dict[str, tuple[str, ...]]:
    """Every private DNS zone of an environment whose shared services live in ``location``."""
    return {**PRIVATE_DNS_ZONES, "prometheus": (prometheus_private_dns_zone(location),)}


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
    """Virtual networks, subnets, peerings and private DNS for one environment.

    ``cluster_regions`` are the regions with GPU clusters; ``gateway_locations`` the regions of
    the environment's gateways (one per geography, the environment's location first: the
    primary hub, which also holds the private endpoints). Every other virtual network is peered
    with the primary hub; a cluster region is also peered with the hub of each gateway that
    fronts workloads there (``gateway_spokes``). With neither clusters nor private endpoints
    nothing is created: the gateway then only talks to public endpoints.

    Subnets and peerings are separate resources (the virtual network lists neither, and
    azure-native keeps separately managed subnets on a VNet update, pulumi-azure-native#611).
    Azure runs one change at a time on a virtual network, so every subnet and peering waits for
    the previous change to each virtual network it touches.
    """

    aks_subnet_ids: dict[str, pulumi.Output[str]]
    gateway_subnet_ids: dict[str, pulumi.Output[str]]
    vnet_ids: dict[str, pulumi.Output[str]]
    dns_zone_ids: dict[str, list[pulumi.Output[str]]]
    gateway_mode: GatewayNetworkMode

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        resource_group_name: pulumi.Input[str],
        regions: tuple[str, ...],
        gateway_locations: tuple[str, ...] = (),
        gateway_spokes: dict[str, tuple[str, ...]] | None = None,
        private_endpoints: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("inferplan:azure:Network", name, None, opts)
        env = environment
        self.aks_subnet_ids = {}
        self.gateway_subnet_ids = {}
        self.endpoint_subnet_id: pulumi.Output[str] | None = None  # the primary hub's
        self.endpoint_subnet_ids: dict[str, pulumi.Output[str]] = {}
        self.dns_zone_ids = {}
        self.openai_dns_zone_id: pulumi.Output[str] | None = None
        self.vnet_ids = {}
        self.gateway_mode = gateway_network_mode(env)
        if not regions and not private_endpoints:
            self.register_outputs({})
            return

        hub = env.location
        hubs = [hub, *[g for g in gateway_locations if g != hub]]
        all_regions = [*hubs, *sorted(set(regions) - set(hubs))]
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
        for location in hubs:
            # The primary hub keeps its pre-split resource names, so existing stacks see no
            # change; further gateways' subnets carry their region code.
            code = region_code(location)
            nsg = network.NetworkSecurityGroup(
                f"{name}-nsg-gateway" if location == hub else f"{name}-nsg-gateway-{code}",
                network_security_group_name=resource_name("nsg", env.name, location, "gateway"),
                resource_group_name=resource_group_name,
                location=location,
                security_rules=[_security_rule(r) for r in mode.rules],
                tags=env.tags,
                opts=child,
            )
            gateway_subnet = network.Subnet(
                f"{name}-snet-gateway-{code}",
                subnet_name=resource_name("snet", env.name, location, "gateway"),
                virtual_network_name=vnet_names[location],
                resource_group_name=resource_group_name,
                address_prefix=gateway_subnet_prefix(location),
                network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
                delegations=(
                    [network.DelegationArgs(name="apim", service_name=mode.delegation)]
                    if mode.delegation
                    else None
                ),
                opts=after(location),
            )
            last_change[location] = gateway_subnet
            self.gateway_subnet_ids[location] = gateway_subnet.id

        if private_endpoints:
            # Services without public access are reached through private endpoints: the
            # environment's shared ones (Key Vault, the registry, Azure Monitor and the Azure
            # Monitor workspace's Prometheus query endpoint) in the primary
            # hub, an Azure OpenAI account in the hub of the gateway that calls it, so prompts
            # stay in the gateway's geography; private DNS zones linked to every virtual
            # network resolve them.
            for location in hubs:
                endpoints = network.Subnet(
                    f"{name}-snet-endpoints-{region_code(location)}",
                    subnet_name=resource_name("snet", env.name, location, "endpoints"),
                    virtual_network_name=vnet_names[location],
                    resource_group_name=resource_group_name,
                    address_prefix=endpoint_subnet_prefix(location),
                    private_endpoint_network_policies="Enabled",
                    opts=after(location),
                )
                last_change[location] = endpoints
                self.endpoint_subnet_ids[location] = endpoints.id
            self.endpoint_subnet_id = self.endpoint_subnet_ids[hub]
            zone_ids: dict[str, pulumi.Output[str]] = {}  # one zone per name, shared by targets
            for target, zones in private_dns_zones(hub).items():
                ids = []
                for zone_name in zones:
                    if zone_name in zone_ids:
                        ids.append(zone_ids[zone_name])
                        continue
                    key = "openai" if zone_name == OPENAI_PRIVATE_DNS_ZONE else zone_name
                    zone = privatedns.PrivateZone(
                        f"{name}-dns-{key}",
                        private_zone_name=zone_name,
                        resource_group_name=resource_group_name,
                        location="Global",
                        tags=env.tags,
                        opts=child,
                    )
                    ids.append(zone.id)
                    zone_ids[zone_name] = zone.id
                    for region in all_regions:
                        suffix = "" if key == "openai" else f"{stable_hash(zone_name, length=4)}-"
                        privatedns.VirtualNetworkLink(
                            f"{name}-dns-{key}-link-{region_code(region)}",
                            private_zone_name=zone_name,
                            virtual_network_link_name=resource_name(
                                "vnl", env.name, region, f"{suffix}{target}"
                            ),
                            resource_group_name=resource_group_name,
                            location="Global",
                            registration_enabled=False,
                            virtual_network=network.SubResourceArgs(id=vnets[region].id),
                            tags=env.tags,
                            opts=pulumi.ResourceOptions(parent=self, depends_on=[zone]),
                        )
                self.dns_zone_ids[target] = ids
        self.openai_dns_zone_id = (self.dns_zone_ids.get("openai") or [None])[0]

        pairs: list[tuple[str, str]] = [(hub, other) for other in all_regions[1:]]
        for location, spokes in sorted((gateway_spokes or {}).items()):
            if location == hub:
                continue
            pairs += [(location, spoke) for spoke in sorted(spokes) if spoke != location]
        for near, far in pairs:
            for local, remote in ((near, far), (far, near)):
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
                "gatewaySubnetIds": self.gateway_subnet_ids,
                "endpointSubnetId": self.endpoint_subnet_id,
                "vnetIds": self.vnet_ids,
            }
        )

    @property
    def gateway_subnet_id(self) -> pulumi.Output[str] | None:
        """The primary gateway's subnet (the environment's location), None without one."""
        return next(iter(self.gateway_subnet_ids.values()), None)


def private_endpoint(
    name: str,
    *,
    environment: EnvironmentPlan,
    resource_group_name: pulumi.Input[str],
    subnet_id: pulumi.Input[str],
    target_id: pulumi.Input[str],
    group_id: str,
    dns_zone_ids: list[pulumi.Output[str]],
    endpoint_name: str,
    parent: pulumi.Resource,
    location: str | None = None,
) -> network.PrivateEndpoint:
    """A private endpoint for ``target_id`` (sub-resource ``group_id``) in a hub's endpoint
    subnet (``location``, the primary hub by default), registered in its private DNS zones."""
    endpoint = network.PrivateEndpoint(
        f"{name}-pep",
        private_endpoint_name=endpoint_name,
        resource_group_name=resource_group_name,
        location=location or environment.location,  # the endpoint lives in its hub's network
        subnet=network.SubnetArgs(id=subnet_id),
        private_link_service_connections=[
            network.PrivateLinkServiceConnectionArgs(
                name=endpoint_name, private_link_service_id=target_id, group_ids=[group_id]
            )
        ],
        tags=environment.tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    network.PrivateDnsZoneGroup(
        f"{name}-pep-dns",
        private_dns_zone_group_name=group_id,
        private_endpoint_name=endpoint_name,
        resource_group_name=resource_group_name,
        private_dns_zone_configs=[
            network.PrivateDnsZoneConfigArgs(name=f"{group_id}-{i}", private_dns_zone_id=zone)
            for i, zone in enumerate(dns_zone_ids, 1)
        ],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[endpoint]),
    )
    return endpoint


def _check_address_plan(regions: list[str]) -> None:
    spaces = {r: ipaddress.ip_network(vnet_address_space(r)) for r in regions}
    for i, a in enumerate(regions):
        for b in regions[i + 1 :]:
            if spaces[a].overlaps(spaces[b]):
                raise ValueError(
                    f"virtual networks of {a} and {b} would share {spaces[a]}: "
                    "add the regions to components.network.VNET_SECOND_OCTET"
                )
