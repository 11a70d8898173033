"""What a self-hosted pool costs on the price basis its environment pays, and what its
always-on capacity would cost committed.

Pay-as-you-go bills the hours a node runs; a reservation or savings plan bills every hour of
the month at a share of the pay-as-you-go price (``price_terms.yaml``). Committing pays off when
the nodes would run at least that share of the month: the break-even utilisation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sizing.catalog import Catalog
from sizing.catalog.entries import PriceTerms, TermRatio
from sizing.catalog.price_terms import KIND
from sizing.units import HOURS_PER_MONTH

COMMITTED_TERMS: tuple[str, ...] = ("reserved-1y", "reserved-3y", "savings-plan")


def price_terms(catalog: Catalog) -> PriceTerms:
    return catalog.document(KIND)


def committed_term(catalog: Catalog, vm_sku: str, pricing: str) -> TermRatio | None:
    """The term ``pricing`` commits ``vm_sku`` to; None for on-demand (pay-as-you-go)."""
    if pricing == "on-demand":
        return None
    if pricing not in COMMITTED_TERMS:
        raise ValueError(f"unknown price basis {pricing!r}")
    return price_terms(catalog).term(vm_sku, pricing)


@dataclass(frozen=True)
class CommittedPrice:
    """The always-on capacity of a pool under one commitment term."""

    term: str
    ratio: float  # share of the pay-as-you-go price
    kind: str  # the least certain of the term's and the pay-as-you-go price's kinds
    monthly_usd: float  # every hour of the month, committed
    break_even_utilisation: float  # share of the month the nodes must run to make it pay


def committed_prices(
    *, catalog: Catalog, vm_sku: str, hourly_on_demand_usd: float, price_kind: str
) -> tuple[CommittedPrice, ...]:
    """Every commitment term for nodes that cost ``hourly_on_demand_usd`` pay-as-you-go."""
    certainty = ("observed", "observed-third-party", "estimate")
    out = []
    for term in COMMITTED_TERMS:
        terms = price_terms(catalog).term(vm_sku, term)
        kind = max((price_kind, terms.kind), key=certainty.index)
        monthly = hourly_on_demand_usd * terms.ratio * HOURS_PER_MONTH
        out.append(CommittedPrice(term, terms.ratio, kind, monthly, terms.ratio))
    return tuple(out)


def commitment_reason(
    *,
    catalog: Catalog,
    vm_sku: str,
    nodes: int,
    hourly_usd: float,
    billed_hours: float,
    price_kind: str,
    pricing: str,
) -> str:
    """``--explain``'s sentence: the pool's always-on capacity under every commitment term and
    the utilisation above which each pays off, against the hours this plan bills."""
    committed = committed_term(catalog, vm_sku, pricing)
    on_demand_hourly = hourly_usd / committed.ratio if committed else hourly_usd
    prices = committed_prices(
        catalog=catalog,
        vm_sku=vm_sku,
        hourly_on_demand_usd=on_demand_hourly,
        price_kind=price_kind,
    )
    terms = ", ".join(
        f"{p.term} ${p.monthly_usd:,.0f}/month (break-even {p.break_even_utilisation:.0%})"
        for p in prices
    )
    kinds = sorted({p.kind for p in prices})
    basis = f"priced {pricing} (spec.pricing)" if committed else "priced on-demand"
    used = billed_hours / HOURS_PER_MONTH
    return (
        f"Committed for every hour, the {nodes} planned node(s) would cost: {terms} "
        f"({', '.join(kinds)} "
        f"prices); a term pays off when the nodes run more of the month than its break-even. "
        f"This plan is {basis} and bills {used:.0%} of the month."
    )
