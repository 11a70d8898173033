"""Lifecycle of Azure OpenAI model versions as a decision, judged at the catalog's date.

Undeployable versions (deprecated: no new deployments; retired: every call fails) are rejected
with their own kinds and a deployable replacement; Legacy versions and near retirements plan
with a dated warning; a version-less model gets the newest deployable version.
"""

from __future__ import annotations

import pytest

from sizing.azure_openai.lifecycle import (
    NEAR_RETIREMENT_DAYS,
    default_version,
    lifecycle_rejection,
    model_verdict,
    replacement,
    retirement_warning,
    version_life,
)
from sizing.catalog import default_catalog
from sizing.catalog.azure_openai import AoaiRetirement
from sizing.search.decisions import KIND_ORDER
from sizing.search.optimizer import plan_workload
from sizing.search.request import SizingRequest

CATALOG = default_catalog()
AOAI = CATALOG.azure_openai


def warn(model: str, version: str, date: str) -> str | None:
    found = retirement_warning(model=AOAI.models[model], version=version, reference_date=date)
    assert found is None or found.kind == "retirement"
    return found.message if found else None


def with_life(model: str, lives: dict[str, AoaiRetirement], versions: list[str]):
    entry = AOAI.models[model]
    return entry.model_copy(
        update={"retirements": lives, "versions": tuple(versions), "default_version": versions[0]}
    )


def life(status: str, **dates: str) -> AoaiRetirement:
    return AoaiRetirement(status=status, source="retirement-schedule", date="2026-09-02", **dates)


@pytest.mark.parametrize(
    ("model", "version", "date", "expected"),
    [
        # Learn, Model retirement schedule (ms.date 2026-09-02): gpt-4o 2024-11-20 Legacy
        pytest.param(
            "gpt-4o",
            "2024-11-20",
            "2026-12-07",
            "gpt-4o 2024-11-20 is Legacy and retires on 2027-04-14 [retirement-schedule, "
            "2026-09-02]: newer models exist and it will be deprecated (no new deployments) "
            "before then; plan the move; Microsoft names gpt-5.1 as its replacement.",
            id="legacy",
        ),
        # gpt-5-mini 2025-08-07 retires 2027-02-09: 64 days after 2026-12-07
        pytest.param(
            "gpt-5-mini",
            "2025-08-07",
            "2026-12-07",
            "gpt-5-mini 2025-08-07 retires on 2027-02-09, 64 days after this catalog's date "
            "2026-12-07 [retirement-schedule, 2026-09-02]; plan the move before deploying.",
            id="near",
        ),
        # 2027-02-09 is 184 days after 2026-08-09: one day beyond the threshold
        pytest.param("gpt-5-mini", "2025-08-07", "2026-08-09", None, id="six-months-ahead"),
        # text-embedding-3-large retires 2028-02-09 (was 2027-04-15 in the older copy)
        pytest.param("text-embedding-3-large", "1", "2026-12-07", None, id="embeddings-far"),
        # undeployable versions are rejected, not warned about
        pytest.param("gpt-4o-mini", "2024-07-18", "2026-12-07", None, id="deprecated"),
        pytest.param("o3", "2025-04-16", "2026-12-07", None, id="retired"),
    ],
)
def test_retirement_warning(model, version, date, expected) -> None:
    assert warn(model, version, date) == expected


def test_the_warning_names_the_catalog_successor_when_microsoft_names_none() -> None:
    found = retirement_warning(
        model=AOAI.models["gpt-4.1-mini"],
        version="2025-04-14",
        reference_date="2026-12-07",
        instead="gpt-5.4-mini",
    )
    assert found is not None
    assert found.message.endswith(
        "plan the move; the catalog's deployable successor is gpt-5.4-mini."
    )


def test_the_near_threshold_is_six_months() -> None:
    assert NEAR_RETIREMENT_DAYS == 183


@pytest.mark.parametrize(
    ("status", "dates", "date", "stage"),
    [
        pytest.param("ga", {"retirement": "2027-01-01"}, "2026-12-31", "ga", id="ga"),
        pytest.param("ga", {"retirement": "2027-01-01"}, "2027-01-01", "retired", id="date-passed"),
        pytest.param(
            "ga", {"deprecation": "2026-06-01"}, "2026-06-01", "deprecated", id="dep-date"
        ),
        pytest.param("deprecated", {}, "2020-01-01", "deprecated", id="deprecated-stage"),
        pytest.param("legacy", {"retirement": "2027-04-14"}, "2026-12-07", "legacy", id="legacy"),
        pytest.param(
            "ga",
            {"retirement": "2026-01-01", "retirement_not_before": True},
            "2026-12-07",
            "ga",
            id="no-earlier-than-is-not-a-retirement",
        ),
    ],
)
def test_the_stage_moves_on_with_the_dates(status, dates, date, stage) -> None:
    model = with_life("gpt-4.1", {"v": life(status, **dates)}, ["v"])
    found = version_life(model, "v", date)
    assert found.stage == stage
    assert found.deployable == (stage not in ("deprecated", "retired"))


def test_a_version_less_model_gets_the_newest_deployable_version() -> None:
    model = with_life(
        "gpt-4.1",
        {
            "2026-01-01": life("deprecated"),
            "2025-06-01": life("legacy"),
            "2025-01-01": life("ga"),
            "2026-02-01": life("preview"),
        },
        ["2026-01-01", "2025-06-01", "2025-01-01", "2026-02-01"],
    )
    # the deprecated 2026-01-01 is newest but undeployable; preview comes after GA and Legacy
    assert default_version(model, "2026-12-07") == "2025-06-01"


def test_with_no_deployable_version_the_default_stays_and_is_rejected() -> None:
    entry = AOAI.models["gpt-4o-mini"]
    assert default_version(entry, AOAI.compiled) == "2024-07-18"
    rejection = lifecycle_rejection(AOAI, entry, "2024-07-18")
    assert rejection is not None
    assert rejection.kind == "deprecated"
    assert rejection.message == (
        "gpt-4o-mini 2024-07-18 is deprecated, retiring 2027-04-14 [retirement-schedule, "
        "2026-09-02]: a subscription that has never deployed it cannot create a deployment; "
        "use gpt-5.4-mini"
    )


def test_a_retired_version_is_rejected_as_retired_with_a_deployable_replacement() -> None:
    entry = AOAI.models["o3"]
    rejection = lifecycle_rejection(AOAI, entry, "2025-04-16")
    assert rejection is not None and rejection.kind == "retired"
    # Microsoft names gpt-5.6-sol, which the catalog does not hold: the successor is named
    assert entry.retirements["2025-04-16"].replacement == "gpt-5.6-sol"
    assert rejection.message.endswith("every call to a retired version fails; use gpt-5.1")


def test_a_replacement_is_named_only_when_it_is_deployable() -> None:
    entry = AOAI.models["gpt-4o-mini"]
    # the successor (gpt-5.4-mini) retired: no name unless its own successor chain finds one
    gone = AOAI.models["gpt-5.4-mini"].model_copy(
        update={"retirements": {"2026-03-17": life("retired")}}
    )
    catalog = AOAI.model_copy(update={"models": {**AOAI.models, "gpt-5.4-mini": gone}})
    assert replacement(catalog, entry, "2024-07-18") is None
    rejection = lifecycle_rejection(catalog, entry, "2024-07-18")
    assert rejection is not None
    assert rejection.message.endswith("the catalog has no deployable replacement")


def test_lifecycle_kinds_name_a_candidate_before_every_other_kind() -> None:
    assert KIND_ORDER[:2] == ("retired", "deprecated")


def test_the_verdict_maps_workload_models_to_their_deployable_replacement() -> None:
    verdict = model_verdict(CATALOG, "gpt-4o-mini")
    assert verdict is not None
    assert (verdict.version, verdict.stage, verdict.use) == (
        "2024-07-18",
        "deprecated",
        "gpt-5.4-mini",
    )
    assert model_verdict(CATALOG, "gpt-5.4-mini").deployable
    assert model_verdict(CATALOG, "llama-3.1-8b") is None  # not on Azure OpenAI


def request(model: str, **extra) -> SizingRequest:
    fields = {
        "name": "assistant",
        "model": model,
        "precisions": (),
        "deployment": "azure-openai",
        "max_input_tokens": 4000,
        "max_output_tokens": 500,
        "avg_input_tokens": 1000,
        "avg_output_tokens": 200,
        "peak_concurrency": 10,
        "peak_requests_per_minute": 60,
        "ttft_p95_ms": 3000,
        "output_tokens_per_second_p50": 20,
        "availability": 99.9,
        "regions": ("swedencentral",),
        "geography": "eu",
        "strict_residency": False,
    }
    return SizingRequest(**(fields | extra))


def test_a_workload_on_a_deprecated_model_is_infeasible_with_the_current_model_named() -> None:
    plan = plan_workload(request("gpt-4o-mini"), catalog=CATALOG)
    assert not plan.feasible
    assert plan.infeasible_reason is not None
    assert plan.infeasible_reason.startswith("gpt-4o-mini 2024-07-18 is deprecated")
    assert plan.nearest_relaxation == (
        "set spec.model: gpt-5.4-mini (the current deployable model of the same tier)"
    )
    assert {a.kind for a in plan.alternatives} == {"deprecated"}


def test_a_workload_on_a_retired_model_is_infeasible_too() -> None:
    plan = plan_workload(request("o4-mini"), catalog=CATALOG)
    assert not plan.feasible
    assert "o4-mini 2025-04-16 was retired on 2026-10-16" in (plan.infeasible_reason or "")
    assert plan.nearest_relaxation is not None and "gpt-5.4-mini" in plan.nearest_relaxation


def test_the_replacement_plans_without_a_retirement_warning() -> None:
    plan = plan_workload(request("gpt-5.4-mini"), catalog=CATALOG)
    assert plan.feasible and plan.azure_openai is not None
    assert plan.azure_openai.model_version == "2026-03-17"
    assert [w.kind for w in plan.warnings if w.kind == "retirement"] == []


def test_a_legacy_version_plans_with_its_dated_warning() -> None:
    plan = plan_workload(request("gpt-4.1-mini"), catalog=CATALOG)
    assert plan.feasible
    (warning,) = [w for w in plan.warnings if w.kind == "retirement"]
    assert "is Legacy and retires on 2027-04-14" in warning.message
    assert "the catalog's deployable successor is gpt-5.4-mini" in warning.message


def test_token_deployments_upgrade_at_retirement_and_provisioned_stay_pinned_with_a_date() -> None:
    """Upgrade policy as a plan decision: a Standard-family deployment gets
    OnceCurrentVersionExpired (a retirement upgrades it instead of breaking it); a provisioned
    one keeps NoAutoUpgrade and the plan warns with the retirement date."""
    token = plan_workload(request("gpt-5.4-mini"), catalog=CATALOG)
    assert token.azure_openai is not None
    assert token.azure_openai.version_upgrade == "OnceCurrentVersionExpired"
    assert not [w for w in token.warnings if "pins" in w.message]

    steady = request(
        "gpt-5.1",
        regions=("eastus",),
        geography=None,
        peak_requests_per_minute=600,
        peak_concurrency=100,
        average_to_peak_ratio=0.9,
        ttft_p95_ms=900,
        reservation="yearly",
    )
    ptu = plan_workload(steady, catalog=CATALOG)
    assert ptu.azure_openai is not None
    assert ptu.azure_openai.capacity_unit == "ptu"
    assert ptu.azure_openai.version_upgrade == "NoAutoUpgrade"
    (pinned,) = [w for w in ptu.warnings if "pins" in w.message]
    assert pinned.kind == "retirement"
    assert pinned.message == (
        "the provisioned deployment pins gpt-5.1 2025-11-13 (NoAutoUpgrade: Azure upgrades "
        "Standard deployment types only), which retires on 2027-05-15 [retirement-schedule, "
        "2026-09-02]; move it to a newer version before then, or it stops working."
    )
