#!/usr/bin/env python3
"""Refresh the prices in sizing/catalog/data/vm_skus.yaml from the Azure Retail Prices API.

    ./dev python scripts/refresh_vm_prices.py                 # rewrite the built-in file
    ./dev python scripts/refresh_vm_prices.py --catalog my-catalog/vm_skus.yaml --date 2026-09-02

For every VM size in the file it asks the public, unauthenticated API for pay-as-you-go
("Consumption") prices in every region, follows ``NextPageLink`` pages, and drops Spot,
Low Priority and Windows meters. Then it rewrites price lines in place, keeping every comment:

* a region the API priced becomes ``kind: observed, source: azure-retail-prices, date: <date>``;
* an ``estimate`` whose ``basis`` region was just observed is recomputed as
  ``basis price x estimate_multipliers[region] / estimate_multipliers[basis]`` with the new date;
* every other line (third-party figures the API did not confirm, guesses) is left as it is.

The output depends only on the file and the API answers (sizes in file order, fixed number
format), so two runs on the same day give the same file. Regions the API prices but the file
does not list are reported, not added: the region lists are reviewed by hand.

Only `fetch_items` and `main` touch the network or the disk; the rest are pure functions that
the tests call with recorded answers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

ENDPOINT = "https://prices.azure.com/api/retail/prices"
SOURCE_KEY = "azure-retail-prices"
DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "sizing/catalog/data/vm_skus.yaml"

_SKU_LINE = re.compile(r"^\s*- name: (Standard_\w+)\s*$")
_PRICE_LINE = re.compile(
    r"^(?P<indent>\s+)(?P<region>[a-z0-9]+): \{usd_per_hour: (?P<usd>[0-9.]+), "
    r"kind: (?P<kind>[a-z-]+), source: (?P<source>[\w-]+), date: (?P<date>[0-9-]+)"
    r"(?P<rest>.*)\}\s*$"
)
_BASIS = re.compile(r"basis: ([a-z0-9]+)")

GetJson = Callable[[str], Mapping[str, Any]]


def price_filter(sku_name: str) -> str:
    """The OData filter for one size's pay-as-you-go prices in every region."""
    return (
        "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' "
        f"and armSkuName eq '{sku_name}'"
    )


def first_page_url(sku_name: str) -> str:
    return f"{ENDPOINT}?{urllib.parse.urlencode({'$filter': price_filter(sku_name)})}"


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


def fetch_items(sku_name: str, get_json: GetJson) -> list[Mapping[str, Any]]:
    """Every item the API returns for one size, following ``NextPageLink`` (effectful)."""
    items: list[Mapping[str, Any]] = []
    url: str | None = first_page_url(sku_name)
    while url:
        page = get_json(url)
        items.extend(page.get("Items", []))
        url = page.get("NextPageLink")
    return items


def format_usd(value: float) -> str:
    """Up to 4 decimals, no trailing zeros, always a YAML float (``3.0`` not ``3``)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if "." in text else text + ".0"


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
            usd = format_usd(observed[(sku, region)])
            line = (
                f"{indent}{region}: {{usd_per_hour: {usd}, kind: observed, "
                f"source: {SOURCE_KEY}, date: {date}}}\n"
            )
        elif price["kind"] == "estimate":
            basis = _BASIS.search(price["rest"])
            if basis and basis.group(1) != region and (sku, basis.group(1)) in observed:
                base = basis.group(1)
                usd_value = observed[(sku, base)] * multipliers[region] / multipliers[base]
                line = (
                    f"{indent}{region}: {{usd_per_hour: {format_usd(round(usd_value, 3))}, "
                    f"kind: estimate, source: {price['source']}, date: {date}, basis: {base}}}\n"
                )
        out.append(line)
    return "".join(out)


def refresh(text: str, get_json: GetJson, *, date: str) -> tuple[str, list[str]]:
    """The refreshed file text and notes about prices for regions the file does not list."""
    data = yaml.safe_load(text)
    listed = {sku["name"]: set(sku["regions"]) for sku in data["vm_skus"]}
    observed: dict[tuple[str, str], float] = {}
    notes = []
    for sku_name in listed:
        for (sku, region), usd in hourly_prices(fetch_items(sku_name, get_json)).items():
            if region in listed[sku]:
                observed[(sku, region)] = usd
            else:
                notes.append(f"{sku}: priced in {region} ({usd} USD/h), not in its region list")
    new_text = rewrite_prices(
        text, observed, date=date, multipliers=data.get("estimate_multipliers", {})
    )
    return new_text, notes


def _get_json(url: str) -> Mapping[str, Any]:  # effectful: network
    with urllib.request.urlopen(url, timeout=60) as response:  # only ever the fixed https ENDPOINT
        return json.load(response)


def main(argv: list[str] | None = None) -> int:  # effectful: network and disk
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    parser.add_argument("--date", default=dt.date.today().isoformat())
    args = parser.parse_args(argv)
    text = args.catalog.read_text(encoding="utf-8")
    new_text, notes = refresh(text, _get_json, date=args.date)
    for note in notes:
        print(note, file=sys.stderr)
    if new_text != text:
        args.catalog.write_text(new_text, encoding="utf-8")
    print(f"{args.catalog}: {'updated' if new_text != text else 'unchanged'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
