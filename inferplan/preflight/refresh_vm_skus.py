"""Refresh ``vm_skus.yaml`` from Azure: prices (Retail Prices API), regions and zones (Resource
SKUs API). Text in, text out: pure apart from `fetch_vm_prices`, and comments survive.

Prices. For every size in the file, the public Retail Prices API's pay-as-you-go
("Consumption") items in every region, Spot, Low Priority and Windows meters dropped:

* a region the API priced becomes ``kind: observed, source: azure-retail-prices, date: <date>``;
* an ``estimate`` whose ``basis`` region was just observed is recomputed as
  ``basis price x estimate_multipliers[region] / estimate_multipliers[basis]`` with the new date;
* every other line (third-party figures the API did not confirm, guesses) is left as it is.

Regions and zones (only when Resource SKUs answers are given, which needs a subscription):

* ``regions`` becomes the regions the API lists the size in, among those ``regions.yaml``
  knows: listed regions it still lists keep their order, new ones are appended sorted, and a
  region it no longer lists is dropped with its price line. A new region needs a price (observed
  now, or an estimate from an observed region by the multipliers); without one it is reported,
  not added. ``regions_source`` becomes ``azure-resource-skus`` with the date.
* ``zonal: true`` only when every kept region that has availability zones offers the size in
  all of zones 1, 2 and 3, because the planner spreads a zonal pool over those three zones;
  the regions that fall short are reported. (A per-region zone list would say more; the file
  format has one flag per size.)
* Subscription restrictions are not catalog facts (they differ per subscription):
  ``inferplan preflight`` checks them.

Sizes the API does not list at all are left as they are, and reported. The output depends only
on the file and the answers (sizes in file order, fixed number format), so two runs on the same
day give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from inferplan.preflight.apis import VmSizeOffer
from inferplan.preflight.client import AzureClient

PRICES_SOURCE = "azure-retail-prices"
REGIONS_SOURCE = "azure-resource-skus"
REGIONS_CITATION = (
    "Azure Resource SKUs API, GET /subscriptions/{id}/providers/Microsoft.Compute/skus "
    "(api-version 2021-07-01; specification/compute/resource-manager/Microsoft.Compute/Skus): "
    "locations and zones per VM size, restrictions left out"
)
ZONES = ("1", "2", "3")

_SKU_LINE = re.compile(r"^\s*- name: (Standard_\w+)\s*$")
_PRICE_LINE = re.compile(
    r"^(?P<indent>\s+)(?P<region>[a-z0-9]+): \{usd_per_hour: (?P<usd>[0-9.]+), "
    r"kind: (?P<kind>[a-z-]+), source: (?P<source>[\w-]+), date: (?P<date>[0-9-]+)"
    r"(?P<rest>.*)\}\s*$"
)
_FIELD_LINE = re.compile(r"^(?P<indent>\s+)(?P<key>zonal|regions|regions_source|regions_date): ")
_BASIS = re.compile(r"basis: ([a-z0-9]+)")


# --- prices -------------------------------------------------------------------------------------


def price_filter(sku_name: str) -> str:
    """The OData filter for one size's pay-as-you-go prices in every region."""
    return (
        "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' "
        f"and armSkuName eq '{sku_name}'"
    )


def is_linux_on_demand(item: Mapping[str, Any]) -> bool:
    """True for the Linux pay-as-you-go meter of a size: not Spot, Low Priority or Windows."""
    names = f"{item.get('skuName', '')} {item.get('meterName', '')}"
    return (
        item.get("type", "Consumption") == "Consumption"
        and item.get("unitOfMeasure", "1 Hour") == "1 Hour"
        and "Spot" not in names
        and "Low Priority" not in names
        and "Windows" not in item.get("productName", "")
    )


def hourly_prices(items: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], float]:
    """``(armSkuName, armRegionName) -> USD/hour`` from API items.

    Where several meters remain for one size and region, the newest ``effectiveStartDate``
    wins and, among those, the lowest price, so the choice does not depend on item order.
    """
    candidates: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for item in items:
        if not is_linux_on_demand(item) or item.get("currencyCode", "USD") != "USD":
            continue
        key = (item["armSkuName"], item["armRegionName"])
        start = str(item.get("effectiveStartDate", ""))
        candidates.setdefault(key, []).append((start, float(item["retailPrice"])))
    return {
        key: max(found, key=lambda start_price: (start_price[0], -start_price[1]))[1]
        for key, found in sorted(candidates.items())
    }


def fetch_vm_prices(client: AzureClient, sku_names: Iterable[str]) -> dict[tuple[str, str], float]:
    """Observed prices of every size in every region the API prices it (effectful: network)."""
    observed: dict[tuple[str, str], float] = {}
    for name in sku_names:
        observed.update(hourly_prices(client.retail_prices(price_filter(name))))
    return dict(sorted(observed.items()))


def format_usd(value: float) -> str:
    """Up to 4 decimals, no trailing zeros, always a YAML float (``3.0`` not ``3``)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if "." in text else text + ".0"


def _observed_line(indent: str, region: str, usd: float, date: str) -> str:
    return (
        f"{indent}{region}: {{usd_per_hour: {format_usd(usd)}, kind: observed, "
        f"source: {PRICES_SOURCE}, date: {date}}}\n"
    )


def _estimate_line(indent: str, region: str, usd: float, source: str, date: str, basis: str) -> str:
    return (
        f"{indent}{region}: {{usd_per_hour: {format_usd(round(usd, 3))}, kind: estimate, "
        f"source: {source}, date: {date}, basis: {basis}}}\n"
    )


def rewrite_prices(
    text: str,
    observed: Mapping[tuple[str, str], float],
    *,
    date: str,
    multipliers: Mapping[str, float],
) -> str:
    """``text`` with price lines replaced as the module docstring says; comments kept."""
    out = []
    sku = None
    for line in text.splitlines(keepends=True):
        sku_match = _SKU_LINE.match(line)
        if sku_match:
            sku = sku_match.group(1)
        price = _PRICE_LINE.match(line)
        if sku is None or price is None:
            out.append(line)
            continue
        region, indent = price["region"], price["indent"]
        if (sku, region) in observed:
            line = _observed_line(indent, region, observed[(sku, region)], date)
        elif price["kind"] == "estimate":
            basis = _BASIS.search(price["rest"])
            if basis and basis.group(1) != region and (sku, basis.group(1)) in observed:
                base = basis.group(1)
                usd = observed[(sku, base)] * multipliers[region] / multipliers[base]
                line = _estimate_line(indent, region, usd, price["source"], date, base)
        out.append(line)
    return "".join(out)


# --- regions and zones --------------------------------------------------------------------------


def _new_regions(
    sku: Mapping[str, Any],
    offers: Mapping[tuple[str, str], VmSizeOffer],
    *,
    observed: Mapping[tuple[str, str], float],
    known_regions: Mapping[str, bool],
    multipliers: Mapping[str, float],
    date: str,
    notes: list[str],
) -> tuple[list[str], dict[str, str], bool] | None:
    """(regions, price line per added region, zonal) for one size, or None to leave it."""
    name = sku["name"]
    listed_by_api = {location for size, location in offers if size == name}
    if not listed_by_api:
        notes.append(f"{name}: the Resource SKUs API lists it nowhere; left as it is")
        return None
    unknown = sorted(listed_by_api - set(known_regions))
    if unknown:
        notes.append(f"{name}: offered in {', '.join(unknown)}, which regions.yaml does not know")
    old = list(sku["regions"])
    kept = [r for r in old if r in listed_by_api]
    added_lines: dict[str, str] = {}
    indent = " " * 6
    for region in sorted((listed_by_api & set(known_regions)) - set(old)):
        if (name, region) in observed:
            added_lines[region] = _observed_line(indent, region, observed[(name, region)], date)
            continue
        basis = next(
            (
                r
                for r in kept
                if (name, r) in observed and r in multipliers and region in multipliers
            ),
            None,
        )
        if basis is None:
            notes.append(f"{name}: offered in {region}, not added: no price to give it")
            continue
        usd = observed[(name, basis)] * multipliers[region] / multipliers[basis]
        added_lines[region] = _estimate_line(indent, region, usd, "multiplier", date, basis)
    regions = kept + sorted(added_lines)
    dropped = [r for r in old if r not in listed_by_api]
    if dropped:
        notes.append(f"{name}: no longer offered in {', '.join(dropped)}; dropped")
    zoned = [r for r in regions if known_regions.get(r)]
    short = [r for r in zoned if not set(ZONES) <= set(offers[(name, r)].zones)]
    if short:
        notes.append(f"{name}: not in all of zones 1-3 in {', '.join(short)}, so zonal is false")
    return regions, added_lines, bool(zoned) and not short


def _with_source(text: str, key: str, citation: str) -> str:
    """``text`` with ``key`` in its top-level ``sources:`` map (appended when missing)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "sources:"), None)
    if start is None or any(line.startswith(f"  {key}:") for line in lines):
        return text
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    lines.insert(end, f'  {key}: "{citation}"\n')
    return "".join(lines)


def rewrite_regions(
    text: str, changes: Mapping[str, tuple[list[str], dict[str, str], bool]], *, date: str
) -> str:
    """Rewrite ``zonal``, ``regions``, ``regions_source``, ``regions_date`` and the price lines
    of each changed size (dropped regions lose theirs, added ones get theirs after the last);
    every other line stays."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _SKU_LINE.match(line)]
    out = lines[: starts[0]] if starts else list(lines)
    for n, start in enumerate(starts):
        block = lines[start : starts[n + 1] if n + 1 < len(starts) else len(lines)]
        match = _SKU_LINE.match(block[0])
        change = changes.get(match.group(1)) if match else None
        out += block if change is None else _rewrite_block(block, change, date=date)
    return "".join(out)


def _rewrite_block(
    block: list[str], change: tuple[list[str], dict[str, str], bool], *, date: str
) -> list[str]:
    regions, added, zonal = change
    values = {
        "zonal": "true" if zonal else "false",
        "regions": f"[{', '.join(regions)}]",
        "regions_source": REGIONS_SOURCE,
        "regions_date": date,
    }
    out: list[str] = []
    insert_at: int | None = None
    for line in block:
        field = _FIELD_LINE.match(line)
        price = _PRICE_LINE.match(line)
        if field:
            out.append(f"{field['indent']}{field['key']}: {values[field['key']]}\n")
        elif price:
            if price["region"] in regions:
                out.append(line)
                insert_at = len(out)
        else:
            out.append(line)
            if line.strip().startswith("prices:") and insert_at is None:
                insert_at = len(out)
    if added:
        if insert_at is None:
            raise ValueError(f"{block[0].strip()}: no `prices:` to add price lines to")
        out[insert_at:insert_at] = [added[r] for r in sorted(added)]
    return out


def refresh_vm_skus(
    text: str,
    *,
    observed: Mapping[tuple[str, str], float],
    offers: Mapping[tuple[str, str], VmSizeOffer] | None,
    known_regions: Mapping[str, bool],
    date: str,
) -> tuple[str, list[str]]:
    """The refreshed file and notes for a person: prices always, regions and zones when
    ``offers`` (Resource SKUs answers for every location) are given."""
    data = yaml.safe_load(text)
    multipliers = data.get("estimate_multipliers", {})
    notes: list[str] = []
    listed = {sku["name"]: set(sku["regions"]) for sku in data["vm_skus"]}
    if offers is not None:
        changes = {}
        for sku in data["vm_skus"]:
            change = _new_regions(
                sku,
                offers,
                observed=observed,
                known_regions=known_regions,
                multipliers=multipliers,
                date=date,
                notes=notes,
            )
            if change is not None:
                changes[sku["name"]] = change
                listed[sku["name"]] = set(change[0])
        text = _with_source(text, REGIONS_SOURCE, REGIONS_CITATION)
        text = rewrite_regions(text, changes, date=date)
    for (sku_name, region), usd in sorted(observed.items()):
        if sku_name in listed and region not in listed[sku_name]:
            notes.append(f"{sku_name}: priced in {region} ({usd} USD/h), not in its region list")
    in_file = {k: v for k, v in observed.items() if k[0] in listed and k[1] in listed[k[0]]}
    return rewrite_prices(text, in_file, date=date, multipliers=multipliers), notes
