"""scripts/refresh_catalog.py against recorded API answers (no network): prices, regions and
zones of vm_skus.yaml, and Azure OpenAI region lists, shown as the diff they make."""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest

from inferplan.preflight.apis import ModelOffer, VmSizeOffer
from inferplan.preflight.client import AzureClient
from inferplan.preflight.recorded import RecordedTransport
from inferplan.preflight.refresh_azure_openai import refresh_azure_openai
from inferplan.preflight.refresh_vm_skus import (
    fetch_vm_prices,
    hourly_prices,
    refresh_vm_skus,
)
from sizing.catalog import load_catalog
from sizing.catalog.loader import BUILTIN_DATA_DIR

ROOT = Path(__file__).resolve().parents[2]
RETAIL = ROOT / "tests/fixtures/retail_prices_nc24ads_a100_v4.json"
RECORDING = ROOT / "tests/fixtures/preflight/catalog-refresh.json"
GOLDEN = ROOT / "tests/golden/catalog-refresh.diff"
UPDATE = os.environ.get("INFERPLAN_UPDATE_GOLDEN") == "1"
DATE = "2026-09-02"
SUB = "00000000-0000-0000-0000-000000000000"
A100 = "Standard_NC24ads_A100_v4"


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "refresh_catalog", ROOT / "scripts/refresh_catalog.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


refresh_catalog = _load_script()


@pytest.fixture
def client() -> AzureClient:
    return AzureClient(RecordedTransport.from_file(RECORDING), sleep=lambda s: None)


@pytest.fixture(scope="module")
def builtin_text() -> str:
    return (BUILTIN_DATA_DIR / "vm_skus.yaml").read_text()


@pytest.fixture(scope="module")
def known_regions() -> dict[str, bool]:
    return refresh_catalog.known_regions(BUILTIN_DATA_DIR)


def _price_line(text: str, sku: str, region: str) -> str:
    in_sku = False
    for line in text.splitlines():
        if line.strip().startswith("- name:"):
            in_sku = line.strip() == f"- name: {sku}"
        elif in_sku and line.strip().startswith(f"{region}: {{"):
            return line.strip()
    raise AssertionError(f"no {region} price line for {sku}")


def _field(text: str, sku: str, field: str) -> str:
    in_sku = False
    for line in text.splitlines():
        if line.strip().startswith("- name:"):
            in_sku = line.strip() == f"- name: {sku}"
        elif in_sku and line.strip().startswith(f"{field}:"):
            return line.strip().removeprefix(f"{field}:").strip()
    raise AssertionError(f"no {field} for {sku}")


# --- prices (Retail Prices API, public) ----------------------------------------------------------


def test_only_linux_pay_as_you_go_meters_count():
    items = json.loads(RETAIL.read_text())["pages"].values()
    prices = hourly_prices(item for page in items for item in page["Items"])
    # Spot 0.7345, Low Priority 0.9 and Windows 3.857 are dropped; of two Linux meters the one
    # with the newer effectiveStartDate (3.673, not the 2022 3.5) wins.
    assert prices[(A100, "eastus")] == 3.673
    assert prices[(A100, "westeurope")] == 3.672


def test_price_pages_are_followed(client):
    observed = fetch_vm_prices(client, [A100])
    assert sorted(region for _, region in observed) == [
        "brazilsouth",  # on the second page
        "eastus",
        "swedencentral",
        "westeurope",
    ]


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        (
            "eastus",
            "eastus: {usd_per_hour: 3.673, kind: observed, source: azure-retail-prices, "
            f"date: {DATE}}}",
        ),
        (
            "swedencentral",
            "swedencentral: {usd_per_hour: 3.9, kind: observed, "
            f"source: azure-retail-prices, date: {DATE}}}",
        ),
        # Estimates based on eastus are recomputed from the new eastus price x multiplier:
        # 3.673 x 1.15 / 1.00 = 4.224 (uksouth), x 1.00 (eastus2).
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
    ids=["eastus", "swedencentral", "uksouth-estimate", "eastus2-estimate"],
)
def test_prices_only_rewrites_price_lines(client, builtin_text, known_regions, region, expected):
    observed = fetch_vm_prices(client, [A100])
    new_text, notes = refresh_vm_skus(
        builtin_text, observed=observed, offers=None, known_regions=known_regions, date=DATE
    )
    assert _price_line(new_text, A100, region) == expected
    assert notes == [f"{A100}: priced in brazilsouth (5.5 USD/h), not in its region list"]


def test_prices_only_touches_nothing_else_and_is_repeatable(client, builtin_text, known_regions):
    observed = fetch_vm_prices(client, [A100])
    kwargs = {"observed": observed, "offers": None, "known_regions": known_regions, "date": DATE}
    new_text, _ = refresh_vm_skus(builtin_text, **kwargs)
    old_lines, new_lines = builtin_text.splitlines(), new_text.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [new for old, new in zip(old_lines, new_lines, strict=True) if old != new]
    assert changed and all(DATE in line for line in changed)
    assert refresh_vm_skus(new_text, **kwargs)[0] == new_text


# --- regions and zones (Resource SKUs API) -----------------------------------------------------


def _offer(location: str, zones: str) -> VmSizeOffer:
    return VmSizeOffer(A100, location, "standardNCADSA100v4Family", 24, tuple(zones))


@pytest.mark.parametrize(
    ("locations", "regions", "zonal"),
    [
        ({"eastus": "123", "westeurope": "123"}, "[eastus, westeurope]", "true"),
        ({"eastus": "123", "swedencentral": "12"}, "[eastus, swedencentral]", "false"),
        # northcentralus has no availability zones (regions.yaml): it does not make zonal false
        ({"eastus": "123", "northcentralus": ""}, "[eastus, northcentralus]", "true"),
        ({"northcentralus": ""}, "[northcentralus]", "false"),
    ],
    ids=["zonal-everywhere", "two-zones-somewhere", "region-without-zones", "no-zonal-region"],
)
def test_zonal_means_zones_1_to_3_in_every_zoned_region(
    builtin_text, known_regions, locations, regions, zonal
):
    offers = {(A100, loc): _offer(loc, zones) for loc, zones in locations.items()}
    observed = {(A100, loc): 4.0 for loc in locations}
    new_text, _ = refresh_vm_skus(
        builtin_text, observed=observed, offers=offers, known_regions=known_regions, date=DATE
    )
    assert (_field(new_text, A100, "regions"), _field(new_text, A100, "zonal")) == (
        regions,
        zonal,
    )


def test_a_new_region_without_any_price_is_not_added(builtin_text, known_regions):
    offers = {(A100, loc): _offer(loc, "123") for loc in ("eastus", "koreacentral")}
    # no observed price at all: koreacentral could only be estimated from an observed basis
    new_text, notes = refresh_vm_skus(
        builtin_text, observed={}, offers=offers, known_regions=known_regions, date=DATE
    )
    assert _field(new_text, A100, "regions") == "[eastus]"
    assert f"{A100}: offered in koreacentral, not added: no price to give it" in notes


# --- Azure OpenAI region lists (models API) ----------------------------------------------------


def test_an_offer_counts_only_the_catalogs_version():
    text = (BUILTIN_DATA_DIR / "azure_openai.yaml").read_text()
    other_version = ModelOffer(
        "eastus", "gpt-4o-mini", "2024-05-13", "Standard", "", None, "", None
    )
    listed = ModelOffer("westus", "gpt-4o-mini", "2024-07-18", "Standard", "", None, "", None)
    new_text, _ = refresh_azure_openai(
        text, offers_by_region={"eastus": (other_version,), "westus": (listed,)}, date=DATE
    )
    assert (
        "regions: {value: [westus], source: azure-models-api, "
        f'date: "{DATE}", basis: observed}}' in new_text
    )


def test_a_region_without_an_answer_leaves_every_list():
    text = (BUILTIN_DATA_DIR / "azure_openai.yaml").read_text()
    new_text, notes = refresh_azure_openai(
        text, offers_by_region={}, failed_regions=("westeurope",), date=DATE
    )
    assert new_text == text
    assert notes == ["azure_openai: no answer for westeurope; region lists left as they are"]


# --- the whole refresh, as a diff ----------------------------------------------------------------


def _refreshed(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(BUILTIN_DATA_DIR, data)
    code = refresh_catalog.main(
        [
            "--data-dir",
            str(data),
            "--subscription",
            SUB,
            "--recorded",
            str(RECORDING),
            "--date",
            DATE,
        ]
    )
    assert code == 0
    return data


def test_the_refresh_diff(tmp_path, capsys):
    """What a refresh from the recorded answers changes in the built-in files. Regenerate
    deliberately with INFERPLAN_UPDATE_GOLDEN=1 and review the diff."""
    data = _refreshed(tmp_path)
    diff = "".join(
        line
        for name in ("azure_openai.yaml", "vm_skus.yaml")
        for line in difflib.unified_diff(
            (BUILTIN_DATA_DIR / name).read_text().splitlines(keepends=True),
            (data / name).read_text().splitlines(keepends=True),
            f"a/sizing/catalog/data/{name}",
            f"b/sizing/catalog/data/{name}",
        )
    )
    if UPDATE:
        GOLDEN.write_text(diff)
    assert diff == GOLDEN.read_text()
    err = capsys.readouterr().err
    assert f"{A100}: not in all of zones 1-3 in swedencentral, so zonal is false" in err
    assert f"{A100}: offered in newzealandnorth, which regions.yaml does not know" in err


def test_the_refreshed_files_load_and_a_second_run_changes_nothing(tmp_path):
    data = _refreshed(tmp_path)
    catalog = load_catalog(extra_dirs=[data])
    sku = catalog.vm_sku(A100)
    assert sku.prices["brazilsouth"].kind == "observed"
    assert "Resource SKUs API" in sku.regions_provenance.source
    aoai = catalog.document("azure_openai")
    regions = aoai.models["gpt-4o-mini"].offers["Standard"].regions
    assert (regions.regions, regions.basis, regions.date) == (
        ("eastus", "swedencentral"),
        "observed",
        DATE,
    )
    before = {p.name: p.read_text() for p in data.iterdir()}
    refresh_catalog.main(
        [
            "--data-dir",
            str(data),
            "--subscription",
            SUB,
            "--recorded",
            str(RECORDING),
            "--date",
            DATE,
        ]
    )
    assert {p.name: p.read_text() for p in data.iterdir()} == before


# --- Azure OpenAI token prices (Retail Prices, named meters only) -------------------------------


def _meter_item(price: float, unit: str, region: str = "eastus") -> dict:
    return {
        "retailPrice": price,
        "unitOfMeasure": unit,
        "armRegionName": region,
        "currencyCode": "USD",
        "type": "Consumption",
    }


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([_meter_item(0.00015, "1K")], (0.15, 1, 0.15, 0.15)),  # 1K-token meter x 1,000
        ([_meter_item(0.4, "1M")], (0.4, 1, 0.4, 0.4)),
        (
            [_meter_item(0.4, "1M"), _meter_item(0.4, "1M", "b"), _meter_item(0.44, "1M", "c")],
            (0.4, 3, 0.4, 0.44),  # what most regions list
        ),
        ([_meter_item(0.5, "1M"), _meter_item(0.4, "1M", "b")], (0.4, 2, 0.4, 0.5)),  # tie: lower
        ([_meter_item(1.0, "1 Hour")], None),  # not a token meter
        ([], None),
    ],
    ids=["per-1k", "per-1m", "mode", "tie-lowest", "other-unit", "no-meter"],
)
def test_token_price_per_million(items, expected):
    from inferplan.preflight.refresh_azure_openai import token_price

    price = token_price(items)
    got = (
        None
        if price is None
        else (price.usd_per_million_tokens, price.regions, price.low, price.high)
    )
    assert got == expected


def test_prices_only_needs_no_subscription(tmp_path, capsys):
    """Without --subscription only the public Retail Prices API is asked: no ARM call, region
    lists untouched, prices of the named meters and the VM sizes rewritten."""
    data = tmp_path / "data"
    shutil.copytree(BUILTIN_DATA_DIR, data)
    args = ["--data-dir", str(data), "--prices-only", "--recorded", str(RECORDING), "--date", DATE]
    assert refresh_catalog.main(args) == 0
    text = (data / "azure_openai.yaml").read_text()
    assert "azure-models-api" not in text and "source: azure-retail-prices" in text
    err = capsys.readouterr().err
    assert "gpt-4.1-mini Standard: no Retail Prices meter for input tokens; kept" in err


# --- inferplan catalog refresh prices|models ----------------------------------------------------


def _catalog_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(BUILTIN_DATA_DIR, folder)
    return folder


def _invoke(*args: str):
    from click.testing import CliRunner

    from inferplan.cli.main import main

    return CliRunner().invoke(main, ["catalog", "refresh", *args])


def _lifecycle_recording(tmp_path: Path) -> Path:
    """The refresh recording with gpt-4o-mini 2024-07-18 reported Deprecated in one region,
    inference ending 2027-04-14 (the models API's documented lifecycleStatus and
    deprecation.inference fields)."""
    data = json.loads(RECORDING.read_text())
    for exchange in data["exchanges"]:
        if "/locations/westeurope/models" in exchange["url"]:
            for item in exchange["responses"][0]["body"]["value"]:
                if item["model"]["name"] == "gpt-4o-mini":
                    item["model"]["lifecycleStatus"] = "Deprecated"
                    item["model"]["deprecation"] = {"inference": "2027-04-14T00:00:00Z"}
    path = tmp_path / "recording.json"
    path.write_text(json.dumps(data))
    return path


def test_refresh_models_rewrites_lifecycle_regions_and_checked_dates(tmp_path: Path) -> None:
    folder = _catalog_copy(tmp_path)
    before = (folder / "azure_openai.yaml").read_text()
    result = _invoke(
        "models",
        "--data-dir",
        str(folder),
        "--recorded",
        str(_lifecycle_recording(tmp_path)),
        "--subscription",
        SUB,
        "--date",
        "2026-12-08",
    )
    assert result.exit_code == 0, result.output
    after = (folder / "azure_openai.yaml").read_text()
    assert after != before
    # the diff summary: removed and added lines of the file, and a count per file
    assert '-      "2024-07-18": {status: deprecated, retirement: "2027-04-14", source: ' in (
        result.stdout
    )
    assert (
        '+      "2024-07-18": {status: deprecated, retirement: "2027-04-14", source: '
        'azure-models-api, date: "2026-12-08"}' in result.stdout
    )
    assert f"{folder / 'azure_openai.yaml'}: " in result.stdout
    # text-embedding-3-large is GenerallyAvailable with no date: the stage stays, the source moves
    assert (
        '      "1": {status: ga, retirement: "2028-02-09", source: azure-models-api, '
        'date: "2026-12-08"}' in after
    )
    # versions the API does not report are kept and named
    assert "gpt-5.4-mini 2026-03-17: not in the models API's answer; kept" in result.stderr
    assert '  lifecycle: "2026-12-08"' in after and '  regions: "2026-12-08"' in after
    assert '  prices: "2026-11-28"' in after  # prices are the other command's
    catalog = load_catalog([folder]).azure_openai  # the rewritten file still loads
    assert catalog.checked.lifecycle == "2026-12-08"
    assert catalog.sources["azure-models-api"].date == "2026-12-08"


def test_refresh_models_reads_the_most_severe_stage_any_region_reports() -> None:
    from inferplan.preflight.catalog_refresh import observed_lifecycle

    def offer(region: str, status: str, date: str | None) -> ModelOffer:
        return ModelOffer(region, "m", "1", "Standard", "u", None, status, date)

    seen = observed_lifecycle(
        {
            "a": (offer("a", "GenerallyAvailable", None),),
            "b": (offer("b", "Deprecated", "2027-05-01T00:00:00Z"),),
            "c": (offer("c", "Deprecating", "2027-04-01"),),
        }
    )
    assert seen == {("m", "1"): ("deprecated", "2027-04-01")}


def test_refresh_prices_needs_no_credentials_and_moves_the_prices_date(tmp_path: Path) -> None:
    folder = _catalog_copy(tmp_path)
    result = _invoke(
        "prices", "--data-dir", str(folder), "--recorded", str(RECORDING), "--date", "2026-12-08"
    )
    assert result.exit_code == 0, result.output
    after = (folder / "azure_openai.yaml").read_text()
    assert '  prices: "2026-12-08"' in after and '  lifecycle: "2026-12-07"' in after
    assert 'source: azure-retail-prices, date: "2026-12-08", basis: observed' in after
    assert f"{folder / 'vm_skus.yaml'}: " in result.stdout
    load_catalog([folder])


def test_a_second_refresh_on_the_same_answers_changes_nothing(tmp_path: Path) -> None:
    folder = _catalog_copy(tmp_path)
    args = ["prices", "--data-dir", str(folder), "--recorded", str(RECORDING), "--date", DATE]
    assert _invoke(*args).exit_code == 0
    again = _invoke(*args)
    assert again.exit_code == 0 and again.stdout == "catalog unchanged\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["models", "--subscription", "not-a-guid"], "must be a subscription id"),
        (["prices", "--date", "yesterday"], "--date 'yesterday' is not a date"),
    ],
)
def test_refresh_bad_input_exits_2(tmp_path: Path, args: list[str], message: str) -> None:
    folder = _catalog_copy(tmp_path)
    result = _invoke(*args, "--data-dir", str(folder), "--recorded", str(RECORDING))
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_an_answer_the_recording_lacks_exits_2(tmp_path: Path) -> None:
    folder = _catalog_copy(tmp_path)
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"exchanges": []}))
    result = _invoke("prices", "--data-dir", str(folder), "--recorded", str(empty))
    assert result.exit_code == 2 and result.stderr.startswith("error: ")
