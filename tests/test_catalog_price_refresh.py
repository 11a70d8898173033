"""scripts/refresh_vm_prices.py against recorded-style API answers (no network)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from inferplan.sizing.catalog import load_catalog
from inferplan.sizing.catalog.loader import BUILTIN_DATA_DIR

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests/fixtures/retail_prices_nc24ads_a100_v4.json"
DATE = "2026-09-02"


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "refresh_vm_prices", ROOT / "scripts/refresh_vm_prices.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


refresh_vm_prices = _load_script()


@pytest.fixture
def fake_api():
    """``get_json`` serving the recorded pages; every other size gets an empty answer."""
    pages = json.loads(FIXTURE.read_text())["pages"]
    requested: list[str] = []

    def get_json(url: str):
        requested.append(url)
        return pages.get(url, {"Items": [], "NextPageLink": None})

    get_json.requested = requested
    return get_json


@pytest.fixture(scope="module")
def builtin_text() -> str:
    return (BUILTIN_DATA_DIR / "vm_skus.yaml").read_text()


def _price_line(text: str, sku: str, region: str) -> str:
    in_sku = False
    for line in text.splitlines():
        if line.strip().startswith("- name:"):
            in_sku = line.strip() == f"- name: {sku}"
        elif in_sku and line.strip().startswith(f"{region}: {{"):
            return line.strip()
    raise AssertionError(f"no {region} price line for {sku}")


def test_only_linux_pay_as_you_go_meters_count():
    items = json.loads(FIXTURE.read_text())["pages"].values()
    prices = refresh_vm_prices.hourly_prices(item for page in items for item in page["Items"])
    # Spot 0.7345, Low Priority 0.9 and Windows 3.857 are dropped; of two Linux meters the one
    # with the newer effectiveStartDate (3.673, not the 2022 3.5) wins.
    assert prices[("Standard_NC24ads_A100_v4", "eastus")] == 3.673
    assert prices[("Standard_NC24ads_A100_v4", "westeurope")] == 3.672


def test_pages_are_followed(fake_api):
    items = refresh_vm_prices.fetch_items("Standard_NC24ads_A100_v4", fake_api)
    assert len(items) == 8
    assert fake_api.requested[1].endswith("&$skip=100")


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        (
            "eastus",
            "eastus: {usd_per_hour: 3.673, kind: observed, source: azure-retail-prices, "
            f"date: {DATE}}}",
        ),
        (
            "westeurope",
            "westeurope: {usd_per_hour: 3.672, kind: observed, "
            f"source: azure-retail-prices, date: {DATE}}}",
        ),
        (
            "swedencentral",
            "swedencentral: {usd_per_hour: 3.9, kind: observed, "
            f"source: azure-retail-prices, date: {DATE}}}",
        ),
        # Estimates based on eastus are recomputed from the new eastus price x multiplier.
        (
            "uksouth",
            "uksouth: {usd_per_hour: 4.224, kind: estimate, source: multiplier, "
            f"date: {DATE}, basis: eastus}}",
        ),
        (
            "eastus2",
            "eastus2: {usd_per_hour: 3.673, kind: estimate, source: multiplier, "
            f"date: {DATE}, basis: eastus}}",
        ),
    ],
    ids=["eastus", "westeurope", "swedencentral", "uksouth-estimate", "eastus2-estimate"],
)
def test_refresh_rewrites_price_lines(fake_api, builtin_text, region, expected):
    new_text, _ = refresh_vm_prices.refresh(builtin_text, fake_api, date=DATE)
    assert _price_line(new_text, "Standard_NC24ads_A100_v4", region) == expected


def test_refresh_touches_nothing_else_and_is_repeatable(fake_api, builtin_text):
    new_text, notes = refresh_vm_prices.refresh(builtin_text, fake_api, date=DATE)
    old_lines, new_lines = builtin_text.splitlines(), new_text.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [new for old, new in zip(old_lines, new_lines, strict=True) if old != new]
    assert changed and all(DATE in line for line in changed)
    assert notes == [
        "Standard_NC24ads_A100_v4: priced in brazilsouth (5.5 USD/h), not in its region list"
    ]
    again, _ = refresh_vm_prices.refresh(new_text, fake_api, date=DATE)
    assert again == new_text


def test_refreshed_file_loads_with_observed_prices(fake_api, builtin_text, tmp_path):
    new_text, _ = refresh_vm_prices.refresh(builtin_text, fake_api, date=DATE)
    (tmp_path / "vm_skus.yaml").write_text(new_text)
    price = load_catalog(extra_dirs=[tmp_path]).vm_sku("Standard_NC24ads_A100_v4").prices["eastus"]
    assert (price.kind, price.usd_per_hour, price.provenance.date) == ("observed", 3.673, DATE)
    assert "Retail Prices API" in price.provenance.source
