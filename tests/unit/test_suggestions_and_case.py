"""What a user types and what inferplan makes of it: did-you-mean for regions and models, and
one case rule for every value (accepted in any case, written in the canonical form)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from inferplan.cli.main import main

SMALL = (ROOT / "examples" / "small-open-model.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def catalog_view():
    from sizing.catalog import default_catalog
    from sizing.catalog.input_facts import CatalogFacts

    return CatalogFacts(default_catalog())


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        pytest.param("frankfurt", ["germanywestcentral"], id="city"),
        pytest.param("Frankfurt", ["germanywestcentral"], id="city-capitalised"),
        pytest.param("westgermany", ["germanywestcentral"], id="country-and-side"),
        pytest.param("eu-central-1", ["germanywestcentral"], id="aws-frankfurt"),
        pytest.param("europe-west3", ["germanywestcentral"], id="gcp-frankfurt"),
        pytest.param("eu-west-1", ["northeurope"], id="aws-ireland"),
        pytest.param("amsterdam", ["westeurope"], id="west-europe-city"),
        pytest.param("us-east-1", ["eastus"], id="aws-virginia"),
        pytest.param("Hong Kong", ["eastasia"], id="city-with-a-space"),
        pytest.param("swedencentrl", ["swedencentral"], id="a-plain-typo"),
    ],
)
def test_region_suggestions_use_cities_and_other_clouds_names(
    catalog_view, typed: str, meant: list[str]
) -> None:
    from inputs.did_you_mean import closest_meant, region_hint

    regions = catalog_view.region_geographies()
    aliases = catalog_view.region_aliases()
    spellings = {name: name for name in regions} | aliases
    assert closest_meant(typed.lower(), spellings) == meant
    assert region_hint(typed.lower(), regions, aliases) == f"; did you mean '{meant[0]}'?"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        pytest.param("us-west-3", "westus3", id="parts-in-another-order"),
        pytest.param("useast2", "eastus2", id="parts-run-together"),
        pytest.param("europe-north", "northeurope", id="two-parts-swapped"),
    ],
)
def test_a_region_written_in_another_order_suggests_the_region(
    catalog_view, typed: str, meant: str
) -> None:
    """Other clouds' order (us-west-3) found AWS's us-west-1 (westus) and eu-west-3 first."""
    from inputs.did_you_mean import region_hint

    regions = catalog_view.region_geographies()
    hint = region_hint(typed, regions, catalog_view.region_aliases())
    assert hint == f"; did you mean '{meant}'?"


def test_every_region_alias_names_a_known_region_once(catalog_view) -> None:
    regions = catalog_view.region_geographies()
    aliases = catalog_view.region_aliases()
    assert len(aliases) > 100
    assert set(aliases.values()) <= set(regions)
    assert not set(aliases) & set(regions)


def test_an_unknown_region_in_a_workload_suggests_the_region_of_the_city(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "w.yaml"
    path.write_text(SMALL.replace("regions: [westeurope]", "regions: [frankfurt]"), "utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert (
        "spec.residency.regions[0]: unknown Azure region 'frankfurt'; did you mean "
        "'germanywestcentral'?"
    ) in result.stderr


def test_an_unknown_model_offers_several_close_ids(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "w.yaml"
    path.write_text(SMALL.replace("model: llama-3.1-8b-instruct", "model: llama3-70b"), "utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    [line] = [line for line in result.stderr.splitlines() if "spec.model" in line]
    for offered in ("llama-3-70b", "llama-3.1-70b", "llama-3.3-70b"):
        assert f"'{offered}'" in line.lower()
    assert "llama-2-70b" not in line.lower()


# --- one case rule --------------------------------------------------------------------------

ENVIRONMENT = """\
apiVersion: inferplan/v1
kind: environment
metadata: {name: dev}
spec:
  location: SwedenCentral
  workloads: [w.yaml]
  gateway: {tier: standardv2, publisher_email: a@example.com, publisher_name: A}
  limits: {allowed_regions: [SwedenCentral, WestEurope]}
  kubernetes:
    working_hours: {days: Mon-Fri}
"""


def test_every_choice_and_name_is_read_in_any_case_and_held_canonical(tmp_path: Path) -> None:
    from inputs.loader import load_environment, load_environment_workloads
    from sizing.catalog import default_catalog
    from sizing.catalog.input_facts import CatalogFacts

    (tmp_path / "Pulumi.yaml").write_text("name: p\n", encoding="utf-8")
    workload = (
        SMALL.replace("kind: Workload", "kind: WORKLOAD")
        .replace("model: llama-3.1-8b-instruct", "model: Llama-3.1-8B-Instruct")
        .replace("precision: auto", "precision: [BF16]")
        .replace("deployment: aks-vllm", "deployment: AKS-vLLM")
        .replace("regions: [westeurope]", "regions: [WestEurope]\n    geography: EU")
    )
    (tmp_path / "w.yaml").write_text(workload, encoding="utf-8")
    (tmp_path / "env.yaml").write_text(ENVIRONMENT, encoding="utf-8")
    view = CatalogFacts(default_catalog())
    environment = load_environment(tmp_path / "env.yaml", view)
    assert environment.spec.location == "swedencentral"
    assert environment.spec.gateway.tier == "StandardV2"
    assert environment.spec.limits.allowed_regions == ("swedencentral", "westeurope")
    assert environment.spec.kubernetes.working_hours.days == "mon-fri"
    [loaded] = load_environment_workloads(environment, view)
    assert loaded.spec.model == "llama-3.1-8b"  # the catalog id of the alias
    assert loaded.spec.precision == ("bf16",)
    assert loaded.spec.deployment == "aks-vllm"
    assert loaded.spec.residency.regions == ("westeurope",)
    assert loaded.spec.residency.geography == "eu"


def test_a_choice_that_is_not_one_in_any_case_is_still_refused(tmp_path: Path) -> None:
    from inputs import SpecValidationError
    from inputs.loader import load_text
    from sizing.catalog import default_catalog
    from sizing.catalog.input_facts import CatalogFacts

    text = SMALL.replace("deployment: aks-vllm", "deployment: aks")
    with pytest.raises(SpecValidationError) as raised:
        load_text(text, CatalogFacts(default_catalog()), file="w.yaml")
    [problem] = raised.value.problems
    assert problem.field == "spec.deployment"
    assert (
        "must be one of 'auto', 'azure-openai', 'azure-managed' or 'aks-vllm', got string 'aks'"
        in problem.message
    )


def _working_hours(tmp_path: Path, hours: str):
    tmp_path = tmp_path / str(len(list(tmp_path.iterdir())))
    text = (ROOT / "stacks" / "dev.yaml").read_text(encoding="utf-8")
    old = 'working_hours: {timezone: Europe/Stockholm, days: mon-fri, start: "07:00", end: "19:00"}'
    assert old in text
    (tmp_path / "stacks").mkdir(parents=True)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n", encoding="utf-8")
    path = tmp_path / "stacks" / "dev.yaml"
    path.write_text(text.replace(old, f"working_hours: {hours}"), encoding="utf-8")
    return CliRunner().invoke(main, ["validate", str(path)])


def test_weekdays_suggests_mon_fri(tmp_path: Path) -> None:
    result = _working_hours(tmp_path, "{days: weekdays}")
    assert result.exit_code == 2
    assert "got string 'weekdays'; did you mean 'mon-fri'?" in result.stderr


def test_a_one_digit_hour_is_a_time_and_others_say_how_to_write_one(tmp_path: Path) -> None:
    from inputs.environment import WorkingHoursSpec

    assert WorkingHoursSpec.model_validate({"start": "7:00", "end": "9:30"}).start == "07:00"
    assert _working_hours(tmp_path, "{start: '7:00', end: '19:00'}").exit_code == 0
    result = _working_hours(tmp_path, "{start: '7:00', end: 7pm}")
    assert result.exit_code == 2
    assert "end: must be a 24-hour time HH:MM, e.g. 07:00 or 19:30, got string '7pm'" in (
        result.stderr
    )
