"""Foundry Models sold by Azure (Llama-3.3-70B-Instruct): their catalog facts, as Learn gives
them, and how they compete with self-hosting the same open weights under one SLO."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sizing.catalog import default_catalog
from sizing.catalog.azure_openai import azure_openai_entries
from sizing.catalog.file_schema import EntryProblem
from sizing.plan import to_data
from sizing.search.optimizer import search_workload
from tests.plan_builders import open_70b_request

CAT = default_catalog()
LLAMA = "Llama-3.3-70B-Instruct"
CATALOG_FILE = Path(__file__).parents[2] / "sizing" / "catalog" / "data" / "azure_openai.yaml"


request = open_70b_request


def by_target(search, target: str):
    return [o for o in search.candidates if o.target == target]


# --- the catalog entry, from its sources -------------------------------------------------------


def test_llama_is_sold_by_azure_with_format_meta_and_learns_ptu_rules() -> None:
    entry = CAT.azure_openai.models[LLAMA]
    assert entry.format == "Meta" and entry.sold_by_azure
    rules = entry.provisioned
    assert rules is not None
    # Learn, "Determine PTU sizing for a workload" (ms.date 05/21/2026): minimum 100, increment
    # 100, Global and Data Zone only; 8,450 input TPM per PTU; one output token counts as 4.
    assert rules.global_datazone_minimum_ptu.value == 100
    assert rules.global_datazone_increment_ptu.value == 100
    assert rules.input_tpm_per_ptu.value == 8450
    assert rules.output_token_weight.value == 4
    assert rules.latency_target_output_tokens_per_s.value == 50
    assert rules.regional_minimum_ptu is None and rules.regional_increment_ptu is None
    for figure in (rules.global_datazone_minimum_ptu, rules.input_tpm_per_ptu):
        assert (figure.source, figure.basis) == ("ptu-sizing-2026", "documented")
    # Global provisioned is the only provisioned type Learn lists for it; no regional offer.
    assert set(entry.offers) == {"GlobalStandard", "GlobalProvisionedManaged"}
    # No published price was read: the token price says it is an estimate.
    assert entry.offers["GlobalStandard"].usd_per_million_input_tokens.is_estimate


def test_openai_models_keep_the_openai_format() -> None:
    assert CAT.azure_openai.models["gpt-4o"].format == "OpenAI"
    assert not CAT.azure_openai.models["gpt-4o"].sold_by_azure


def test_the_open_model_and_the_managed_offer_are_the_same_weights() -> None:
    model = CAT.model("llama-3.3-70b")
    assert model.hosting == "both"
    assert model.azure_openai_name == LLAMA
    assert CAT.model("meta-llama/Llama-3.3-70B-Instruct").id == "llama-3.3-70b"


def _catalog_data() -> dict:
    return yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))


def test_a_regional_provisioned_offer_without_regional_rules_is_a_catalog_error() -> None:
    data = _catalog_data()
    llama = data["models"][LLAMA]
    llama["offers"]["ProvisionedManaged"] = {
        "regions": llama["offers"]["GlobalStandard"]["regions"]
    }
    with pytest.raises(EntryProblem, match="regional PTU rules"):
        azure_openai_entries(data, "azure_openai.yaml")


def test_another_publishers_format_needs_its_source() -> None:
    data = _catalog_data()
    del data["models"][LLAMA]["format_source"]
    with pytest.raises(EntryProblem, match="format_source"):
        azure_openai_entries(data, "azure_openai.yaml")


# --- candidates: the managed offer beside self-hosting ----------------------------------------


def test_auto_weighs_the_managed_offer_beside_self_hosting_and_a_light_load_goes_managed() -> None:
    search = search_workload(request(), catalog=CAT)
    managed, hosted = by_target(search, "azure-openai"), by_target(search, "aks-vllm")
    assert any(o.feasible for o in managed) and any(o.feasible for o in hosted)
    plan = search.plan
    assert plan.target == "azure-openai"
    assert plan.azure_openai.model == LLAMA
    assert plan.azure_openai.model_format == "Meta"
    assert plan.azure_openai.deployment_type == "GlobalStandard"
    assert to_data(plan)["azure_openai"]["model_format"] == "Meta"
    cheapest_hosted = min(o.monthly_usd for o in hosted if o.feasible)
    assert plan.cost.monthly_usd < cheapest_hosted
    # Types the model is not sold as are listed with their own kind, not silently dropped.
    offer = [o for o in managed if o.rejection is not None and o.rejection.kind == "offer"]
    assert {o.summary.split()[0] for o in offer} >= {"Standard", "DataZoneStandard"}


def test_the_provisioned_offer_is_sized_in_steps_of_100_ptu_from_100() -> None:
    search = search_workload(request(peak_concurrency=300), catalog=CAT)
    ptu = [o for o in by_target(search, "azure-openai") if "ProvisionedManaged" in o.summary]
    sized = [o for o in ptu if o.figures.capacity]
    assert sized and all(o.figures.capacity_unit == "ptu" for o in sized)
    assert all(o.figures.capacity >= 100 and o.figures.capacity % 100 == 0 for o in sized)


def test_strict_residency_rules_out_the_global_only_managed_offer() -> None:
    search = search_workload(
        request(regions=("swedencentral",), geography="eu", strict_residency=True), catalog=CAT
    )
    managed = by_target(search, "azure-openai")
    sold = [o for o in managed if o.rejection is None or o.rejection.kind != "offer"]
    assert sold and all(o.rejection is not None for o in sold)
    assert {o.rejection.kind for o in sold} == {"residency"}
    assert search.plan.feasible and search.plan.target == "aks-vllm"


def test_a_per_request_speed_above_the_managed_working_figure_goes_self_hosted() -> None:
    # 60 tokens/s per request is above the 50 tokens/s Learn targets for the provisioned offer
    # (and the working figure of the token-billed one): only GPUs of our own reach it.
    search = search_workload(request(output_tokens_per_second_p50=60), catalog=CAT)
    kinds = {o.rejection.kind for o in by_target(search, "azure-openai") if o.rejection}
    assert "slo" in kinds
    assert not any(o.feasible for o in by_target(search, "azure-openai"))
    assert search.plan.target == "aks-vllm"


def test_pinning_either_target_keeps_the_other_out() -> None:
    managed = search_workload(request(deployment="azure-openai"), catalog=CAT)
    assert {o.target for o in managed.candidates} == {"azure-openai"}
    hosted = search_workload(request(deployment="aks-vllm"), catalog=CAT)
    assert {o.target for o in hosted.candidates} == {"aks-vllm"}


def test_catalog_list_names_each_models_deployment_format() -> None:
    import json

    from click.testing import CliRunner

    from inferplan.cli.main import main

    result = CliRunner().invoke(main, ["catalog", "list", "azure-openai", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["model"]: r for r in json.loads(result.output)["azure-openai"]}
    assert rows[LLAMA]["format"] == "Meta"
    assert rows[LLAMA]["offers"] == ["GlobalStandard", "GlobalProvisionedManaged"]
    assert rows["gpt-4o"]["format"] == "OpenAI"


# --- lifecycle: Azure retired DeepSeek-R1, the open weights stay ---------------------------


def test_a_retired_managed_offer_is_rejected_as_retired_and_self_hosting_serves() -> None:
    entry = CAT.azure_openai.models["DeepSeek-R1"]
    life = entry.retirements["1"]
    # Learn, Model retirement schedule (ms.date 2026-09-02): retired 2026-08-13, use V4-Pro.
    assert (life.status, life.retirement, life.replacement) == (
        "retired",
        "2026-08-13",
        "DeepSeek-V4-Pro",
    )
    search = search_workload(
        request(model="deepseek-r1", peak_concurrency=8, ttft_p95_ms=3000), catalog=CAT
    )
    managed = by_target(search, "azure-openai")
    assert managed and {o.rejection.kind for o in managed} == {"retired"}
    assert "Microsoft names DeepSeek-V4-Pro, which the catalog does not list" in (
        managed[0].rejection.message
    )
    assert search.plan.feasible and search.plan.target == "aks-vllm"


def test_a_retired_managed_offer_does_not_mark_the_open_model_undeployable() -> None:
    from sizing.azure_openai.lifecycle import model_verdict

    assert model_verdict(CAT, "deepseek-r1") is None  # self-hosting it still works
    verdict = model_verdict(CAT, "gpt-4o-mini")  # managed only: deprecated, so flagged
    assert verdict is not None and not verdict.deployable
