"""Azure OpenAI sizing, read as examples of use.

Expected numbers are worked out by hand from the formulas in sizing/azure_openai/offers.py and
the figures in sizing/catalog/data/azure_openai.yaml (catalog compiled 2026-11-28); the
arithmetic is written next to each case.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sizing.azure_openai.offers import (
    AoaiCandidate,
    AzureOpenAISizingError,
    InvalidAzureOpenAITrafficError,
    UnknownAzureOpenAIModelError,
    UnknownAzureOpenAIRegionError,
    best_candidate,
    break_even_peak_requests_per_minute,
    provisioned_capacity_ptu,
    rate_limit_tokens_per_minute,
    residency_rejection,
    size_azure_openai,
    token_capacity_ktpm,
)
from sizing.catalog import CatalogError, default_catalog, load_catalog
from sizing.catalog.azure_openai import AoaiCatalog, AoaiFigure


def default_azure_openai_catalog() -> AoaiCatalog:
    """The built-in Azure OpenAI document, read through the one catalog path."""
    return default_catalog().azure_openai


# A chat workload used across tests: 600 req/min at peak, 1,500 prompt tokens, 500 output
# tokens on average, max_tokens 800.
CHAT = {
    "peak_requests_per_minute": 600,
    "avg_input_tokens": 1500,
    "avg_output_tokens": 500,
    "max_output_tokens": 800,
    "peak_concurrency": 50,
}


def size(**overrides: object) -> tuple[AoaiCandidate, ...]:
    arguments: dict[str, object] = {
        "model": "gpt-4o",
        "regions": ["swedencentral"],
        "residency_geography": None,
        "strict_residency": False,
        **CHAT,
        "catalog": default_azure_openai_catalog(),
    }
    arguments.update(overrides)
    return size_azure_openai(**arguments)  # type: ignore[arg-type]


def pick(candidates: tuple[AoaiCandidate, ...], deployment_type: str, region: str) -> AoaiCandidate:
    (found,) = [
        c for c in candidates if c.deployment_type == deployment_type and c.region == region
    ]
    return found


# --------------------------------------------------------------------------------------------
# Catalog
# --------------------------------------------------------------------------------------------


def test_packaged_catalog_validates_and_every_figure_has_a_known_source_and_a_date() -> None:
    catalog = default_azure_openai_catalog()
    assert catalog.schema_version == 1
    figures = catalog.figures()
    assert len(figures) > 100
    for path, figure in figures:
        assert figure.source in catalog.sources, path
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", figure.date), path
        if figure.basis == "derived":
            assert figure.note, f"{path}: a derived figure says how it was derived"
    for source in catalog.sources.values():
        assert source.citation and re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", source.date)


@pytest.mark.parametrize(
    ("model", "figure", "expected"),
    [
        # [ptu-costs-new]: input TPM per PTU and PTU minimums/increments
        pytest.param("gpt-4o", "input_tpm_per_ptu", 2500, id="gpt-4o-tpm-per-ptu"),
        pytest.param("gpt-4.1", "input_tpm_per_ptu", 3000, id="gpt-4.1-tpm-per-ptu"),
        pytest.param("gpt-4o-mini", "regional_minimum_ptu", 25, id="gpt-4o-mini-regional-min"),
        pytest.param("gpt-4.1", "output_token_weight", 4, id="gpt-4.1-output-weight"),
        # [ptu-concept-2024]: 2,500 / 833 = 3.0
        pytest.param("gpt-4o", "output_token_weight", 3, id="gpt-4o-output-weight-derived"),
    ],
)
def test_catalog_ptu_figures_match_the_reference(model: str, figure: str, expected: int) -> None:
    rules = default_azure_openai_catalog().models[model].provisioned
    assert rules is not None
    value: AoaiFigure = getattr(rules, figure)
    assert value.value == expected


def test_embedding_models_have_no_provisioned_offer() -> None:
    catalog = default_azure_openai_catalog()
    for model_id in ("text-embedding-3-large", "text-embedding-3-small"):
        model = catalog.models[model_id]
        assert model.task == "embedding" and model.provisioned is None
        assert all(catalog.deployment_types[t].billing == "token" for t in model.offers)


def test_batch_types_are_listed_but_never_candidates() -> None:
    catalog = default_azure_openai_catalog()
    assert catalog.deployment_types["GlobalBatch"].interactive is False
    assert {c.deployment_type for c in size()} == {
        "Standard",
        "ProvisionedManaged",
        "DataZoneStandard",
        "DataZoneProvisionedManaged",
        "GlobalStandard",
        "GlobalProvisionedManaged",
    }


def test_unknown_key_in_catalog_file_is_reported_with_file_and_line(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "sizing/catalog/data/azure_openai.yaml").read_text()
    broken = text.replace("    task: chat\n", "    task: chat\n    tsak: typo\n", 1)
    line = broken.splitlines().index("    tsak: typo") + 1
    path = tmp_path / "aoai.yaml"
    path.write_text(broken)
    with pytest.raises(CatalogError) as error:
        load_catalog([tmp_path])
    assert f"aoai.yaml:{line}:5: models.gpt-4o.tsak: unknown field 'tsak'" in str(error.value)


def test_unknown_source_key_is_reported(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "sizing/catalog/data/azure_openai.yaml").read_text()
    path = tmp_path / "aoai.yaml"
    path.write_text(text.replace("source: price-redress,", "source: price-nowhere,", 1))
    with pytest.raises(CatalogError, match="unknown source key 'price-nowhere'"):
        load_catalog([tmp_path])


def test_a_user_azure_openai_file_replaces_the_built_in_one(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "sizing/catalog/data/azure_openai.yaml").read_text()
    (tmp_path / "platform.yaml").write_text(
        text.replace('compiled: "2026-12-07"', 'compiled: "2026-12-01"')
    )
    catalog = load_catalog([tmp_path]).azure_openai
    assert catalog.origin == str(tmp_path / "platform.yaml")
    assert catalog.compiled == "2026-12-01"
    assert set(catalog.models) == set(default_azure_openai_catalog().models)


# --------------------------------------------------------------------------------------------
# Residency
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("geography", "strict", "region", "deployment_type", "expected"),
    [
        pytest.param(None, True, "swedencentral", "Standard", None, id="strict-standard-ok"),
        pytest.param(
            None, True, "swedencentral", "ProvisionedManaged", None, id="strict-provisioned-ok"
        ),
        pytest.param(
            None,
            True,
            "swedencentral",
            "DataZoneStandard",
            "DataZone types are not region-bound; residency is strict",
            id="strict-excludes-datazone",
        ),
        pytest.param(
            "eu",
            True,
            "swedencentral",
            "GlobalProvisionedManaged",
            "Global deployment types process data anywhere in the world; residency is strict",
            id="strict-excludes-global",
        ),
        pytest.param("eu", False, "swedencentral", "DataZoneStandard", None, id="eu-dz-in-eu"),
        pytest.param(
            "eu",
            False,
            "eastus2",
            "DataZoneStandard",
            "region eastus2 is in geography us; residency requires geography eu",
            id="eu-dz-in-us-region",
        ),
        pytest.param(
            "ch",
            False,
            "switzerlandnorth",
            "DataZoneProvisionedManaged",
            "DataZone types exist only for the eu, us data zones; "
            "switzerlandnorth is in geography ch",
            id="no-data-zone-for-switzerland",
        ),
        pytest.param("ch", False, "switzerlandnorth", "Standard", None, id="ch-regional-ok"),
        pytest.param(
            "eu",
            False,
            "swedencentral",
            "GlobalStandard",
            "Global deployment types process data anywhere in the world; "
            "residency requires geography eu",
            id="eu-excludes-global",
        ),
        pytest.param(None, False, "eastus2", "GlobalStandard", None, id="no-residency-global-ok"),
        pytest.param(
            None, False, "uksouth", "DataZoneStandard", "DataZone types exist only", id="uk-no-dz"
        ),
    ],
)
def test_residency_rules(
    geography: str | None, strict: bool, region: str, deployment_type: str, expected: str | None
) -> None:
    catalog = default_azure_openai_catalog()
    reason = residency_rejection(
        residency_scope=catalog.deployment_types[deployment_type].residency_scope,
        region=region,
        region_geography=catalog.region_geographies[region],
        residency_geography=geography,
        strict_residency=strict,
        data_zone_geographies=catalog.data_zone_geographies,
    )
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith(expected)


def test_strict_residency_leaves_only_region_bound_types_feasible() -> None:
    candidates = size(regions=["swedencentral"], residency_geography="eu", strict_residency=True)
    assert [c.deployment_type for c in candidates if c.feasible] == [
        "Standard",
        "ProvisionedManaged",
    ]


def test_eu_geography_allows_data_zone_only_in_eu_regions() -> None:
    # switzerlandnorth is in Europe but not in the EU data zone; eastus2 is in the US zone.
    candidates = size(
        regions=["swedencentral", "switzerlandnorth", "eastus2"], residency_geography="eu"
    )
    feasible = [(c.region, c.deployment_type) for c in candidates if c.feasible]
    assert feasible == [
        ("swedencentral", "Standard"),
        ("swedencentral", "ProvisionedManaged"),
        ("swedencentral", "DataZoneStandard"),
        ("swedencentral", "DataZoneProvisionedManaged"),
    ]


def test_no_residency_allows_global_types() -> None:
    candidates = size(regions=["eastus2"])
    assert pick(candidates, "GlobalStandard", "eastus2").feasible
    assert pick(candidates, "GlobalProvisionedManaged", "eastus2").feasible


def test_model_not_offered_in_region_is_rejected_with_the_matrix_source() -> None:
    # gpt-4o 2024-11-20 is absent from francecentral in the regional provisioned matrix.
    candidate = pick(size(regions=["francecentral"]), "ProvisionedManaged", "francecentral")
    assert candidate.rejected_reason == (
        "gpt-4o 2024-11-20 is not offered as ProvisionedManaged in francecentral "
        "[matrix-provisioned]"
    )
    assert candidate.capacity == 750  # still sized, so the plan can show what it would cost


# --------------------------------------------------------------------------------------------
# Capacity
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peak_rpm", "avg_in", "max_out", "rpm_per_ktpm", "expected_ktpm"),
    [
        # 600 x (1,500 + 800) = 1,380,000 TPM -> 1,380 kTPM; RPM 6 x 1,380 = 8,280 >= 600
        pytest.param(600, 1500, 800, 6, 1380, id="tokens-bind-max-tokens-counted"),
        # same traffic without counting max_tokens would be 600 x 2,000 = 1,200 kTPM
        pytest.param(600, 1500, 500, 6, 1200, id="smaller-max-tokens-smaller-capacity"),
        # 600 x (200 + 100) = 180,000 TPM -> 180 kTPM, but 600 RPM / 1 RPM per kTPM = 600
        pytest.param(600, 200, 100, 1, 600, id="requests-bind-gpt-4.1-ratio"),
        # 1 x (10 + 10) = 20 TPM -> ceil(0.02) = 1 kTPM
        pytest.param(1, 10, 10, 6, 1, id="at-least-one-unit"),
    ],
)
def test_token_capacity_counts_max_tokens(
    peak_rpm: int, avg_in: int, max_out: int, rpm_per_ktpm: int, expected_ktpm: int
) -> None:
    tpm = rate_limit_tokens_per_minute(
        peak_requests_per_minute=peak_rpm, avg_input_tokens=avg_in, max_output_tokens=max_out
    )
    capacity = token_capacity_ktpm(
        rate_limit_tokens_per_minute=tpm,
        peak_requests_per_minute=peak_rpm,
        rpm_per_ktpm=rpm_per_ktpm,
    )
    assert capacity == expected_ktpm


def test_token_candidate_explains_its_arithmetic() -> None:
    candidate = pick(size(), "Standard", "swedencentral")
    assert candidate.capacity == 1380 and candidate.capacity_unit == "ktpm"
    assert candidate.reasons[0].startswith(
        "peak 600 req/min × (1,500 in + 800 max_tokens) = 1,380,000 TPM → capacity 1,380 (kTPM)"
    )


@pytest.mark.parametrize(
    ("effective_tpm", "tpm_per_ptu", "minimum", "increment", "expected_ptu"),
    [
        # 10 x 1,500 = 15,000 / 2,500 = 6 PTU -> below the Global minimum of 15
        pytest.param(15_000, 2500, 15, 5, 15, id="global-minimum"),
        # 43,250 / 2,500 = 17.3 PTU -> next multiple of 5 = 20
        pytest.param(43_250, 2500, 15, 5, 20, id="global-increment"),
        # 1,800,000 / 2,500 = 720 PTU exactly -> 720
        pytest.param(1_800_000, 2500, 15, 5, 720, id="exact-multiple"),
        # 720 PTU, regional increment 50 -> 750
        pytest.param(1_800_000, 2500, 50, 50, 750, id="regional-increment"),
        # 45,000 / 3,000 = 15 PTU exactly, no binary-noise round-up to 20
        pytest.param(45_000, 3000, 15, 5, 15, id="no-float-noise"),
    ],
)
def test_ptu_rounds_to_minimum_and_increment(
    effective_tpm: float, tpm_per_ptu: float, minimum: int, increment: int, expected_ptu: int
) -> None:
    capacity = provisioned_capacity_ptu(
        effective_input_tokens_per_minute=effective_tpm,
        input_tpm_per_ptu=tpm_per_ptu,
        minimum_ptu=minimum,
        increment_ptu=increment,
    )
    assert capacity == expected_ptu


@pytest.mark.parametrize(
    ("deployment_type", "expected_ptu"),
    [
        # 100 x (1,000 in + 4 x 200 out) = 180,000 TPM / 3,000 per PTU = 60 PTU
        pytest.param("GlobalProvisionedManaged", 60, id="global-60"),
        pytest.param("DataZoneProvisionedManaged", 60, id="datazone-60"),
        # 60 PTU rounded to the regional increment of 50 -> 100
        pytest.param("ProvisionedManaged", 100, id="regional-100"),
    ],
)
def test_gpt41_ptu_uses_output_weight_four(deployment_type: str, expected_ptu: int) -> None:
    candidates = size(
        model="gpt-4.1",
        regions=["eastus2"],
        peak_requests_per_minute=100,
        avg_input_tokens=1000,
        avg_output_tokens=200,
        max_output_tokens=200,
    )
    assert pick(candidates, deployment_type, "eastus2").capacity == expected_ptu


def test_ptu_beyond_one_deployment_is_rejected() -> None:
    # 60,000 x (3,000 + 3 x 1,000) = 360,000,000 / 2,500 = 144,000 PTU > 100,000 [limits]
    candidates = size(
        regions=["eastus2"],
        peak_requests_per_minute=60_000,
        avg_input_tokens=3000,
        avg_output_tokens=1000,
        max_output_tokens=1000,
    )
    candidate = pick(candidates, "GlobalProvisionedManaged", "eastus2")
    assert candidate.capacity == 144_000
    assert "one deployment holds at most 100,000 PTU" in (candidate.rejected_reason or "")


def test_default_quota_is_advisory_unless_enforced() -> None:
    advisory = pick(size(), "Standard", "swedencentral")
    assert advisory.feasible
    assert advisory.advisories[0].startswith(
        "needs 1,380 kTPM but default quota is 150 kTPM per region"
    )
    enforced = pick(size(enforce_default_quota=True), "Standard", "swedencentral")
    assert (enforced.rejected_reason or "").startswith(
        "needs 1,380 kTPM but default quota is 150 kTPM per region"
    )


def test_context_limit_of_provisioned_gpt41_is_128k() -> None:
    candidates = size(model="gpt-4.1", regions=["eastus2"], max_input_tokens=200_000)
    assert pick(candidates, "GlobalStandard", "eastus2").feasible
    reason = pick(candidates, "GlobalProvisionedManaged", "eastus2").rejected_reason
    assert reason is not None and "exceeds the 128,000-token limit" in reason


def test_embedding_model_sizes_on_input_tokens_only() -> None:
    # 1,200 x 500 = 600,000 TPM -> 600 kTPM; 6 RPM per kTPM x 600 = 3,600 >= 1,200
    candidates = size(
        model="text-embedding-3-large",
        regions=["swedencentral"],
        residency_geography="eu",
        peak_requests_per_minute=1200,
        avg_input_tokens=500,
        avg_output_tokens=0,
        max_output_tokens=0,
    )
    standard = pick(candidates, "Standard", "swedencentral")
    assert standard.feasible and standard.capacity == 600
    assert standard.usd_per_million_output_tokens_at_peak is None
    assert pick(candidates, "ProvisionedManaged", "swedencentral").capacity is None
    # The data-zone embedding matrix lists US regions only.
    assert "not offered as DataZoneStandard in swedencentral" in (
        pick(candidates, "DataZoneStandard", "swedencentral").rejected_reason or ""
    )


# --------------------------------------------------------------------------------------------
# Cost and break-even
# --------------------------------------------------------------------------------------------


def test_monthly_cost_token_and_ptu() -> None:
    candidates = size(regions=["eastus2"])
    token = pick(candidates, "GlobalStandard", "eastus2")
    # 600 x 0.35 x 60 x 730 = 9,198,000 requests x (1,500 x $2.50 + 500 x $10) / 1M
    #   = 9,198,000 x $0.00875 = $80,482.50
    assert token.monthly_usd == pytest.approx(80_482.50)
    # per 1M output tokens: (1,500 x 2.50 + 500 x 10) / 500 = $17.50
    assert token.usd_per_million_output_tokens_at_peak == pytest.approx(17.50)
    ptu = pick(candidates, "GlobalProvisionedManaged", "eastus2")
    # 600 x (1,500 + 3 x 500) / 2,500 = 720 PTU x $1/h x 730 h = $525,600
    assert ptu.capacity == 720
    assert ptu.monthly_usd == pytest.approx(525_600.0)
    # $720/h / (600 x 60 x 500 = 18,000,000 output tokens/h) x 1M = $40
    assert ptu.usd_per_million_output_tokens_at_peak == pytest.approx(40.0)


# Steady, prompt-heavy traffic on monthly reservations: the case provisioned is made for.
# gpt-4o, DataZone in the EU, 3,000 in / 300 out, average = peak.
#   tokens per peak req/min: 1.0 x 60 x 730 x (3,000 x 2.75 + 300 x 11) / 1M = $505.89/month
#   fully used PTUs per peak req/min: $260 x (3,000 + 3 x 300) / 2,500 = $405.60/month
#   break-even: 15 PTU x $260 / 505.89 = 7.709 req/min
STEADY = {
    "avg_input_tokens": 3000,
    "avg_output_tokens": 300,
    "max_output_tokens": 500,
    "average_to_peak_ratio": 1.0,
    "ptu_billing": "monthly_reservation",
}


def test_break_even_with_reservations_and_steady_traffic() -> None:
    result = break_even_peak_requests_per_minute(
        catalog=default_azure_openai_catalog(),
        model="gpt-4o",
        token_deployment_type="DataZoneStandard",
        provisioned_deployment_type="DataZoneProvisionedManaged",
        avg_input_tokens=3000,
        avg_output_tokens=300,
        average_to_peak_ratio=1.0,
        ptu_billing="monthly_reservation",
    )
    assert result.token_usd_per_month_per_peak_rpm == pytest.approx(505.89)
    assert result.provisioned_full_usd_per_month_per_peak_rpm == pytest.approx(405.60)
    assert result.minimum_ptu == 15
    assert result.peak_requests_per_minute == pytest.approx(3900 / 505.89)


@pytest.mark.parametrize(
    ("peak_rpm", "expected_type", "expected_usd"),
    [
        # 5 req/min: tokens 5 x 505.89 = $2,529.45;
        #   PTU 5 x 3,900 / 2,500 = 7.8 -> minimum 15 x 260 = $3,900.
        # Standard and DataZoneStandard cost the same; the type name breaks the tie.
        pytest.param(5, "DataZoneStandard", 2529.45, id="low-volume-standard-wins"),
        # 600 req/min: tokens $303,534; PTU 600 x 3,900 / 2,500 = 936 -> 940 x 260 = $244,400
        # (regional 936 -> 950 PTU = $247,000)
        pytest.param(600, "DataZoneProvisionedManaged", 244_400.0, id="high-volume-ptu-wins"),
    ],
)
def test_provisioned_wins_at_high_volume_standard_at_low(
    peak_rpm: int, expected_type: str, expected_usd: float
) -> None:
    candidates = size(
        regions=["swedencentral"],
        residency_geography="eu",
        peak_requests_per_minute=peak_rpm,
        **STEADY,
    )
    best = best_candidate(candidates)
    assert best is not None
    assert (best.deployment_type, best.monthly_usd) == (
        expected_type,
        pytest.approx(expected_usd),
    )
    side = "above" if peak_rpm > 7.709 else "below"
    assert best.break_even_note.endswith(f"this workload ({peak_rpm} req/min) is {side} it")


def test_hourly_ptu_at_office_hours_load_never_beats_tokens() -> None:
    # tokens: 0.35 x 60 x 730 x (1,500 x 2.50 + 500 x 10) / 1M = $134.14 per peak req/min
    # hourly Global PTU fully used: $730 x (1,500 + 3 x 500) / 2,500 = $876 per peak req/min
    result = break_even_peak_requests_per_minute(
        catalog=default_azure_openai_catalog(),
        model="gpt-4o",
        token_deployment_type="GlobalStandard",
        provisioned_deployment_type="GlobalProvisionedManaged",
        avg_input_tokens=1500,
        avg_output_tokens=500,
    )
    assert result.peak_requests_per_minute is None
    assert result.token_usd_per_month_per_peak_rpm == pytest.approx(134.1375)
    assert result.provisioned_full_usd_per_month_per_peak_rpm == pytest.approx(876.0)
    assert result.explanation.startswith("GlobalProvisionedManaged is never cheaper")


def test_break_even_needs_one_token_and_one_ptu_type() -> None:
    with pytest.raises(AzureOpenAISizingError, match="token-billed type with a PTU-billed type"):
        break_even_peak_requests_per_minute(
            catalog=default_azure_openai_catalog(),
            model="gpt-4o",
            token_deployment_type="Standard",
            provisioned_deployment_type="GlobalStandard",
            avg_input_tokens=1000,
            avg_output_tokens=100,
        )


# --------------------------------------------------------------------------------------------
# Ordering and choice
# --------------------------------------------------------------------------------------------


def test_candidates_follow_region_preference_then_catalog_type_order() -> None:
    first = size(regions=["westeurope", "swedencentral"], residency_geography="eu")
    assert first == size(regions=["westeurope", "swedencentral"], residency_geography="eu")
    assert [(c.region_rank, c.region) for c in first[::6]] == [
        (0, "westeurope"),
        (1, "swedencentral"),
    ]
    assert [c.deployment_type for c in first[:6]] == list(
        t for t, d in default_azure_openai_catalog().deployment_types.items() if d.interactive
    )


@pytest.mark.parametrize(
    ("regions", "expected_region"),
    [
        pytest.param(["swedencentral", "francecentral"], "swedencentral", id="sweden-first"),
        pytest.param(["francecentral", "swedencentral"], "francecentral", id="france-first"),
    ],
)
def test_best_candidate_breaks_price_ties_by_region_preference(
    regions: list[str], expected_region: str
) -> None:
    # Standard and DataZoneStandard cost the same in both regions; the preferred region wins,
    # then the type name ("DataZoneStandard" < "Standard").
    best = best_candidate(size(regions=regions, residency_geography="eu"))
    assert best is not None
    assert (best.region, best.deployment_type) == (expected_region, "DataZoneStandard")


def test_best_candidate_is_none_when_nothing_is_feasible() -> None:
    assert best_candidate(size(slo_min_output_tokens_per_s=1000)) is None


# --------------------------------------------------------------------------------------------
# Latency
# --------------------------------------------------------------------------------------------


def test_latency_figures_per_candidate() -> None:
    candidates = size(regions=["eastus2"])
    token = pick(candidates, "GlobalStandard", "eastus2")
    ptu = pick(candidates, "GlobalProvisionedManaged", "eastus2")
    # estimates: 1,000 ms + 60 ms x 1.5k prompt = 1,090 ms; 500 + 90 = 590 ms
    assert (token.ttft_p95_ms, ptu.ttft_p95_ms) == (1090.0, 590.0)
    # gpt-4o provisioned target 25 tok/s [ptu-costs-new]; token types use it as an estimate
    assert (token.output_tokens_per_s_per_request, token.latency_guaranteed) == (25.0, False)
    assert (ptu.output_tokens_per_s_per_request, ptu.latency_guaranteed) == (25.0, True)
    assert any("ttft_p95_base_ms_token" in e for e in token.estimated_figures)


def test_slo_stricter_than_the_managed_offer_rejects_every_candidate() -> None:
    candidates = size(regions=["eastus2"], slo_min_output_tokens_per_s=50)
    assert not any(c.feasible for c in candidates)
    reason = pick(candidates, "GlobalProvisionedManaged", "eastus2").rejected_reason
    assert reason == (
        "SLO needs >= 50 output tokens/s per request; gpt-4o as GlobalProvisionedManaged gives "
        "25 tokens/s (provisioned latency target)"
    )


def test_ttft_slo_and_guarantee_leave_provisioned_types() -> None:
    by_ttft = size(regions=["eastus2"], slo_ttft_p95_ms=800)
    assert {c.billing for c in by_ttft if c.feasible} == {"ptu"}
    by_guarantee = size(regions=["eastus2"], latency_guarantee_required=True)
    assert {c.billing for c in by_guarantee if c.feasible} == {"ptu"}
    assert "has no latency SLA" in (pick(by_guarantee, "Standard", "eastus2").rejected_reason or "")


# --------------------------------------------------------------------------------------------
# Input errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        pytest.param(
            {"model": "gpt-5o"},
            UnknownAzureOpenAIModelError,
            "model 'gpt-5o' is not in the Azure OpenAI catalog",
            id="unknown-model",
        ),
        pytest.param(
            {"model_version": "2024-05-13"},
            UnknownAzureOpenAIModelError,
            "gpt-4o version '2024-05-13' is not in the Azure OpenAI catalog (known: 2024-11-20)",
            id="unknown-version",
        ),
        pytest.param(
            {"regions": ["swedencentral", "mars-north"]},
            UnknownAzureOpenAIRegionError,
            "region(s) mars-north unknown to the Azure OpenAI catalog",
            id="unknown-region",
        ),
        pytest.param(
            {"residency_geography": "europe"},
            UnknownAzureOpenAIRegionError,
            "residency geography 'europe' is unknown",
            id="unknown-geography",
        ),
        pytest.param(
            {"max_output_tokens": 100},
            InvalidAzureOpenAITrafficError,
            "max_output_tokens (100) is below avg_output_tokens (500)",
            id="max-tokens-below-average",
        ),
        pytest.param(
            {"average_to_peak_ratio": 1.5},
            InvalidAzureOpenAITrafficError,
            "average_to_peak_ratio must be in (0, 1]",
            id="ratio-out-of-range",
        ),
    ],
)
def test_bad_input_raises_a_readable_value_error(
    overrides: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as raised:
        size(**overrides)
    assert isinstance(raised.value, ValueError)
    assert message in str(raised.value)


# --------------------------------------------------------------------------------------------
# Reasoning models: hidden reasoning tokens count as output
# --------------------------------------------------------------------------------------------

# 120 req/min, 4,000 prompt tokens, 500 visible output (max_tokens 1,500), 1,500 reasoning
REASONING = {
    "model": "gpt-5-mini",
    "regions": ["swedencentral"],
    "peak_requests_per_minute": 120,
    "avg_input_tokens": 4000,
    "avg_output_tokens": 500,
    "max_output_tokens": 1500,
    "peak_concurrency": 30,
}


def test_reasoning_tokens_count_against_the_rate_limit() -> None:
    # 120 x (4,000 + 1,500 max_tokens + 1,500 reasoning) = 840,000 TPM -> 840 kTPM
    assert rate_limit_tokens_per_minute(
        peak_requests_per_minute=120,
        avg_input_tokens=4000,
        max_output_tokens=1500,
        reasoning_tokens=1500,
    ) == pytest.approx(840_000)
    c = pick(size(**REASONING, reasoning_tokens=1500), "DataZoneStandard", "swedencentral")
    assert c.capacity == 840
    assert c.reasoning_tokens == 1500


def test_reasoning_tokens_are_billed_as_output() -> None:
    c = pick(size(**REASONING, reasoning_tokens=1500), "DataZoneStandard", "swedencentral")
    # 120 x 0.35 x 60 x 730 = 1,839,600 requests x (4,000 x $0.275 + 2,000 x $2.20) / 1M
    assert c.monthly_usd == pytest.approx(1_839_600 * (4000 * 0.275 + 2000 * 2.2) / 1e6)
    without = pick(size(**REASONING, reasoning_tokens=0), "DataZoneStandard", "swedencentral")
    assert without.monthly_usd == pytest.approx(1_839_600 * (4000 * 0.275 + 500 * 2.2) / 1e6)


def test_reasoning_tokens_weigh_as_output_in_ptu() -> None:
    c = pick(size(**REASONING, reasoning_tokens=1500), "GlobalProvisionedManaged", "swedencentral")
    # 120 x (4,000 + 8 x (500 + 1,500)) = 2,400,000 input-equivalent TPM / 23,750 per PTU
    # = 101.05 PTU -> 105 (increments of 5 above the minimum of 15)
    assert c.capacity == 105


def test_reasoning_comes_before_the_first_visible_token() -> None:
    c = pick(size(**REASONING, reasoning_tokens=1500), "DataZoneStandard", "swedencentral")
    # 1,000 ms + 30 ms x 4 + 1,500 reasoning tokens / 80 tokens/s = 1,120 + 18,750 ms
    assert c.ttft_p95_ms == pytest.approx(1000 + 30 * 4 + 1500 / 80 * 1000)
    assert any("reasoning tokens ÷ 80 tokens/s" in reason for reason in c.reasons)


def test_reasoning_defaults_to_the_catalogs_medium_effort_figure_and_says_it_is_an_estimate() -> (
    None
):
    c = pick(size(**REASONING), "DataZoneStandard", "swedencentral")
    assert c.reasoning_tokens == 2000  # tokens_per_request.medium in azure_openai.yaml
    assert any(text.startswith("reasoning tokens (medium effort)") for text in c.estimated_figures)
    stated = pick(size(**REASONING, reasoning_tokens=2000), "DataZoneStandard", "swedencentral")
    assert not any(text.startswith("reasoning tokens") for text in stated.estimated_figures)


def test_reasoning_and_output_must_fit_the_output_limit() -> None:
    # gpt-5-mini's output limit is 128,000 tokens, hidden reasoning included
    c = pick(
        size(**{**REASONING, "max_output_tokens": 100_000}, reasoning_tokens=30_000),
        "DataZoneStandard",
        "swedencentral",
    )
    assert c.rejected_reason is not None
    assert "max_tokens 100,000 + 30,000 reasoning exceeds the 128,000 output-token limit" in (
        c.rejected_reason
    )


def test_a_model_that_does_not_reason_takes_no_reasoning_tokens() -> None:
    with pytest.raises(InvalidAzureOpenAITrafficError, match="gpt-4o is not a reasoning model"):
        size(reasoning_tokens=100)
    assert all(c.reasoning_tokens == 0 for c in size())


def test_limited_access_models_say_so() -> None:
    c = pick(size(**{**REASONING, "model": "gpt-5"}), "DataZoneStandard", "swedencentral")
    assert any("limited-access model" in advisory for advisory in c.advisories)


def test_managed_speed_says_whether_it_is_the_ptu_floor_or_a_working_figure() -> None:
    """A model's provisioned latency target (gpt-5.1's, in the examples) is Microsoft's floor
    for provisioned deployments; token-billed types use it as a working figure. The plan says
    which each figure is, and shows the floor beside it."""
    import json

    from click.testing import CliRunner

    from inferplan.cli.main import main

    paths = ["examples/steady-provisioned.yaml", "examples/managed-assistant.yaml"]
    result = CliRunner().invoke(main, ["plan", *paths, "--format", "json"])
    assert result.exit_code == 0, result.output
    by_name = {w["name"]: w for w in json.loads(result.stdout)["workloads"]}
    ptu = by_name["claims-extraction"]["predicted"]
    assert ptu["tps_basis"] == "ptu-latency-floor" and ptu["ptu_latency_floor_tps"] is None
    token = by_name["internal-assistant"]["predicted"]
    floor = token["tps_per_request"]
    assert token["tps_basis"] == "working-figure"
    assert token["ptu_latency_floor_tps"] == floor == ptu["tps_per_request"]
    reasons = " ".join(by_name["internal-assistant"]["reasons"])
    assert "working figure" in reasons
    assert f"provisioned latency floor is {floor:g} tokens/s" in reasons
    table = CliRunner().invoke(main, ["plan", *paths, "--format", "markdown"]).stdout
    assert f"| ≥{floor:.1f} |" in table and f"| ~{floor:.1f} |" in table
