"""Which IPv4 ranges may admit callers to an AKS API server: public ones only.

AKS matches authorized IP ranges against the public source address of a caller (Learn "Secure
access to the API server using authorized IP address ranges in AKS": "you can't specify
private IP address ranges" where the cluster uses a Standard load balancer, and the runner's
egress is what arrives). A range no runner can be in makes every Kubernetes resource of
``pulumi up`` time out: documentation ranges (RFC 5737), private and shared ranges (RFC 1918,
RFC 6598), loopback, link-local, multicast and reserved space. ``0.0.0.0/0`` admits every
address, which is no limit at all.
"""

from __future__ import annotations

import ipaddress

DOCUMENTATION = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)


def range_problem(value: str) -> str | None:
    """Why ``value`` cannot admit a real caller to the API server; None when it can."""
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        return f"{value!r} is not a CIDR range such as 20.50.0.0/24: {error}"
    if network.version != 4:
        return f"{value!r}: AKS authorized IP ranges are IPv4"
    if network.prefixlen == 0:
        return f"{value!r} admits every address: list the egress ranges of your runners"
    if any(network.subnet_of(d) for d in DOCUMENTATION):
        return (
            f"{value!r} is a documentation range (RFC 5737) no runner can be in: put the egress "
            "ranges of your CI runners and operators here"
        )
    if network.is_private or network.is_loopback or network.is_link_local:
        return (
            f"{value!r} is a private or reserved range: AKS matches authorized ranges against "
            "public source addresses"
        )
    if network.is_multicast or network.is_reserved or network.is_unspecified:
        return f"{value!r} is not a unicast public range"
    if network.subnet_of(ipaddress.IPv4Network("100.64.0.0/10")):
        return f"{value!r} is shared address space (RFC 6598), not a public source address"
    return None
