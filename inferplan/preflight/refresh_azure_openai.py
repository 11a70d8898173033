"""Refresh the region lists of ``azure_openai.yaml`` from the Azure OpenAI models API.

For every region the file names (``region_geographies``), the models API says which model
versions the subscription can deploy there, and as which deployment types. An offer
(``models.<model>.offers.<type>``) is offered in a region when one of the model's listed
``versions`` appears there with that type. Its ``regions`` line becomes::

    regions: {value: [<sorted>], source: azure-models-api, date: "<date>", basis: observed}

Left as they are, and reported: offers the API shows in no region (a figure needs at least
one), every offer when a region's answer could not be read (a partial list would drop regions
silently), and what the file does not describe (a type the API offers that the file has no
offer for).

Token prices come from the Retail Prices API, but only for the meters named in
``azure_openai_meters.yaml``: the API names Azure OpenAI meters in free text with no documented
pattern, so each meter is looked up by its exact name and an offer without one keeps its figure.
A found meter's price per 1M tokens (``retailPrice`` x 1,000 for ``1K`` meters) becomes::

    usd_per_million_input_tokens: {value: <price>, unit: usd_per_million_tokens,
                                   source: azure-retail-prices, date: "<date>", basis: observed}

the price most regions list when they differ (the note says how many regions and the range).
PTU prices and quotas keep their figures and sources.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from inferplan.preflight.apis import ModelOffer
from inferplan.preflight.client import AzureClient

MODELS_SOURCE = "azure-models-api"
MODELS_CITATION = (
    "Azure OpenAI models API, GET /subscriptions/{id}/providers/Microsoft.CognitiveServices/"
    "locations/{location}/models (api-version 2024-10-01; specification/cognitiveservices/"
    "resource-manager/Microsoft.CognitiveServices/stable/2024-10-01/cognitiveservices.json): the "
    "model versions and deployment types a subscription can deploy per region"
)

PRICES_SOURCE = "azure-retail-prices"
PRICES_CITATION = (
    "Azure Retail Prices API, https://prices.azure.com/api/retail/prices (priceType "
    "'Consumption', meterName as listed in inferplan/preflight/azure_openai_meters.yaml; USD per "
    "1M tokens, 1K-token meters x 1000)"
)
METERS_PATH = Path(__file__).with_name("azure_openai_meters.yaml")
TOKENS_PER_UNIT = {"1K": 1_000, "1M": 1_000_000}  # unitOfMeasure of token meters

_PRICE_LINE = re.compile(
    r"^(?P<indent>        )usd_per_million_(?P<direction>input|output)_tokens: \{.*\}\s*$"
)
_MODEL_LINE = re.compile(r"^  (?P<model>[A-Za-z0-9][\w.-]*):\s*$")
_OFFER_LINE = re.compile(r"^      (?P<offer>[A-Za-z]+):\s*$")
_REGIONS_LINE = re.compile(r"^(?P<indent>        )regions: \{value: \[[^\]]*\].*\}\s*$")


@dataclass(frozen=True)
class TokenMeters:
    """The Retail Prices meters of one offer's input and output tokens."""

    model: str
    deployment_type: str
    input: str
    output: str


def load_meters(path: Path = METERS_PATH) -> tuple[TokenMeters, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        TokenMeters(model, kind, entry["input"], entry["output"])
        for model, kinds in sorted(data["meters"].items())
        for kind, entry in sorted(kinds.items())
    )


def meter_filter(meter_name: str) -> str:
    return f"priceType eq 'Consumption' and meterName eq '{meter_name}'"


@dataclass(frozen=True)
class TokenPrice:
    """One meter's price per 1M tokens: the value most regions list, and the spread."""

    usd_per_million_tokens: float
    regions: int
    low: float
    high: float


def token_price(items: Iterable[Mapping[str, Any]]) -> TokenPrice | None:
    """The price per 1M tokens of a meter's items (USD, pay-as-you-go, per region), or None."""
    prices = [
        round(float(i["retailPrice"]) * 1_000_000 / TOKENS_PER_UNIT[i["unitOfMeasure"]], 6)
        for i in items
        if i.get("unitOfMeasure") in TOKENS_PER_UNIT
        and i.get("currencyCode", "USD") == "USD"
        and i.get("type", "Consumption") == "Consumption"
    ]
    if not prices:
        return None
    counts = Counter(prices)
    most = max(counts.values())
    value = min(p for p, n in counts.items() if n == most)
    return TokenPrice(value, len(prices), min(prices), max(prices))


def fetch_token_prices(
    client: AzureClient, meters: Iterable[TokenMeters]
) -> dict[tuple[str, str, str], TokenPrice | None]:
    """``(model, deployment type, input|output) -> price`` (None: no such meter); effectful."""
    out: dict[tuple[str, str, str], TokenPrice | None] = {}
    for m in meters:
        for direction, name in (("input", m.input), ("output", m.output)):
            out[(m.model, m.deployment_type, direction)] = token_price(
                client.retail_prices(meter_filter(name))
            )
    return out


def _price_figure(indent: str, direction: str, price: TokenPrice, date: str) -> str:
    value = f"{price.usd_per_million_tokens:.6f}".rstrip("0").rstrip(".")
    value = value if "." in value else value + ".0"
    note = ""
    if price.low != price.high:
        note = f', note: "most of {price.regions} regions; range {price.low:g}-{price.high:g}"'
    return (
        f"{indent}usd_per_million_{direction}_tokens: {{value: {value}, unit: "
        f'usd_per_million_tokens, source: {PRICES_SOURCE}, date: "{date}", basis: observed'
        f"{note}}}\n"
    )


def offered_regions(
    offers_by_region: Mapping[str, tuple[ModelOffer, ...]], *, model: str, versions: list[str]
) -> dict[str, list[str]]:
    """``deployment type -> sorted regions`` where any of ``versions`` of ``model`` is offered."""
    found: dict[str, set[str]] = {}
    for region, offers in offers_by_region.items():
        for offer in offers:
            if offer.model == model and offer.version in versions:
                found.setdefault(offer.deployment_type, set()).add(region)
    return {kind: sorted(regions) for kind, regions in sorted(found.items())}


def _with_source(text: str, key: str, citation: str, date: str) -> str:
    """``text`` with ``key`` among its ``sources:`` (appended when missing)."""
    if re.search(rf"^  {re.escape(key)}:", text, flags=re.MULTILINE):
        return text
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.rstrip() == "sources:")
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    lines[end:end] = [f"  {key}:\n", f'    citation: "{citation}"\n', f'    date: "{date}"\n']
    return "".join(lines)


def _wanted_regions(
    data: Mapping[str, Any],
    offers_by_region: Mapping[str, tuple[ModelOffer, ...]],
    notes: list[str],
) -> dict[tuple[str, str], list[str]]:
    missing = sorted(set(data["region_geographies"]["regions"]) - set(offers_by_region))
    if missing:
        notes.append(f"azure_openai: regions not asked: {', '.join(missing)}")
    wanted: dict[tuple[str, str], list[str]] = {}
    for model, entry in data["models"].items():
        found = offered_regions(offers_by_region, model=model, versions=entry["versions"])
        for kind in entry["offers"]:
            if kind in found:
                wanted[(model, kind)] = found[kind]
            else:
                notes.append(f"{model} {kind}: offered in none of the regions asked; left as is")
        for kind in sorted(set(found) - set(entry["offers"])):
            if kind in data["deployment_types"]:
                notes.append(
                    f"{model}: offered as {kind} in {', '.join(found[kind])}, which the file has "
                    "no offer for"
                )
    return wanted


def refresh_azure_openai(
    text: str,
    *,
    offers_by_region: Mapping[str, tuple[ModelOffer, ...]] | None = None,
    failed_regions: tuple[str, ...] = (),
    token_prices: Mapping[tuple[str, str, str], TokenPrice | None] | None = None,
    date: str,
) -> tuple[str, list[str]]:
    """The refreshed file and notes for a person (see the module docstring). Region lists
    change only with ``offers_by_region`` and no ``failed_regions``; token prices only with
    ``token_prices``."""
    data = yaml.safe_load(text)
    notes: list[str] = []
    wanted: dict[tuple[str, str], list[str]] = {}
    if failed_regions:
        failed = ", ".join(failed_regions)
        notes.append(f"azure_openai: no answer for {failed}; region lists left as they are")
    elif offers_by_region is not None:
        wanted = _wanted_regions(data, offers_by_region, notes)
    prices = {k: v for k, v in (token_prices or {}).items() if v is not None}
    for (model, kind, direction), price in sorted((token_prices or {}).items()):
        if price is None:
            notes.append(f"{model} {kind}: no Retail Prices meter for {direction} tokens; kept")
    out = []
    model = offer = None
    in_models = False
    changed_regions = changed_prices = False
    for line in text.splitlines(keepends=True):
        if line[:1] not in (" ", "#", "\n", ""):
            in_models, model, offer = line.rstrip() == "models:", None, None
        if not in_models:  # sources, deployment types, limits: nothing to rewrite
            out.append(line)
            continue
        if m := _MODEL_LINE.match(line):
            model, offer = m["model"], None
        elif m := _OFFER_LINE.match(line):
            offer = m["offer"]
        elif (m := _REGIONS_LINE.match(line)) and (model, offer) in wanted:
            regions = ", ".join(wanted[(model, offer)])
            line = (
                f"{m['indent']}regions: {{value: [{regions}], source: {MODELS_SOURCE}, "
                f'date: "{date}", basis: observed}}\n'
            )
            changed_regions = True
        elif (m := _PRICE_LINE.match(line)) and (model, offer, m["direction"]) in prices:
            price = prices[(str(model), str(offer), m["direction"])]
            line = _price_figure(m["indent"], m["direction"], price, date)
            changed_prices = True
        out.append(line)
    new_text = "".join(out)
    if changed_regions:
        new_text = _with_source(new_text, MODELS_SOURCE, MODELS_CITATION, date)
    if changed_prices:
        new_text = _with_source(new_text, PRICES_SOURCE, PRICES_CITATION, date)
    return new_text, notes
