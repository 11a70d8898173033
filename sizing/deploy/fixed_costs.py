"""An environment's bill beside its workloads: the shared infrastructure the program builds.

Mirrors what components/environment.py registers for a plan: one API Management gateway (one
unit) per placement; per region with self-hosted workloads an AKS cluster (control plane tier,
system pool nodes); a container registry (Premium where private, Standard otherwise) and a Key
Vault where any workload is self-hosted; where the environment is private, a private endpoint
per Azure OpenAI account, for the Key Vault and the registry, and one for the Azure Monitor
Private Link Scope. Log Analytics, managed Prometheus and Key Vault operations are billed by
use: their lines carry the unit price and stay out of the total, which the plan says.
Prices: the platform_prices catalog, each line with its kind and source.
"""

from __future__ import annotations

from collections.abc import Sequence

from sizing.catalog import Catalog
from sizing.catalog.entries import PlatformPrices, SourcedEntry
from sizing.plan import FixedCost, FixedCostItem, GatewayPlacement, WorkloadPlan
from sizing.units import HOURS_PER_MONTH

KIND = "platform_prices"
USAGE_ITEMS: tuple[tuple[FixedCostItem, str], ...] = (
    ("log-analytics", "Log Analytics: gateway, cluster and workload logs"),
    ("managed-prometheus", "Azure Monitor managed Prometheus: vLLM and node metrics"),
    ("key-vault", "Key Vault operations: secret reads by the CSI driver and the registry"),
)


def _source(entry: SourcedEntry) -> str:
    return entry.provenance.source


def environment_fixed_costs(
    *,
    workloads: Sequence[WorkloadPlan],
    gateways: Sequence[GatewayPlacement],
    gateway_tier: str,
    aks_tier: str,
    system_vm_size: str,
    system_node_count: int,
    private: bool,
    catalog: Catalog,
) -> tuple[FixedCost, ...]:
    prices: PlatformPrices = catalog.document(KIND)
    feasible = [w for w in workloads if w.feasible]
    aks_regions = sorted({r for w in feasible if w.aks for r in w.regions})
    openai_regions = sorted({r for w in feasible if w.azure_openai for r in w.regions})
    self_hosted = bool(aks_regions)
    lines: list[FixedCost] = []

    tier = prices.gateway_tiers.get(gateway_tier)
    if tier is not None:
        count = max(len(gateways), 1)
        lines.append(
            FixedCost(
                "gateway",
                f"{count} API Management {gateway_tier} gateway(s), one unit each",
                tier.usd_per_month * count,
                tier.kind,
                _source(tier),
            )
        )
    if self_hosted:
        plane = prices.aks_control_plane.get(aks_tier)
        if plane is not None:
            lines.append(
                FixedCost(
                    "aks-control-plane",
                    f"{len(aks_regions)} AKS cluster(s), {aks_tier} tier",
                    plane.usd_per_hour * HOURS_PER_MONTH * len(aks_regions),
                    plane.kind,
                    _source(plane),
                )
            )
        vm = prices.system_vm_sizes.get(system_vm_size)
        if vm is not None:
            nodes = system_node_count * len(aks_regions)
            lines.append(
                FixedCost(
                    "system-pool",
                    f"{nodes} system node(s) of {system_vm_size} ({system_node_count} per cluster)",
                    vm.usd_per_hour * HOURS_PER_MONTH * nodes,
                    vm.kind,
                    _source(vm),
                )
            )
        registry_tier = "Premium" if private else "Standard"
        registry = prices.registry_tiers[registry_tier]
        lines.append(
            FixedCost(
                "container-registry",
                f"Container registry, {registry_tier}",
                registry.usd_per_day * HOURS_PER_MONTH / 24,
                registry.kind,
                _source(registry),
            )
        )
    if private:
        endpoints = len(openai_regions) + 1 + (2 if self_hosted else 0)
        pe = prices.private_endpoint
        lines.append(
            FixedCost(
                "private-endpoints",
                f"{endpoints} private endpoint(s): Azure OpenAI accounts, monitoring"
                + (", Key Vault, registry" if self_hosted else ""),
                pe.usd_per_hour * HOURS_PER_MONTH * endpoints,
                pe.kind,
                _source(pe),
            )
        )
    for item, description in USAGE_ITEMS:
        if item == "key-vault" and not self_hosted:
            continue
        usage = prices.usage[item]
        lines.append(
            FixedCost(
                item,
                description,
                None,
                usage.kind,
                _source(usage),
                usage_price=f"${usage.usd_per_unit:g} per {usage.unit}",
            )
        )
    return tuple(lines)
