"""Priority processing and PTU + spillover, read as examples of use.

Expected numbers are worked out by hand from the formulas in sizing/azure_openai/priority.py and
sizing/azure_openai/spillover.py and the catalog figures they name: gpt-5.1's priority target of
50 tokens/s and price multiple 2 [priority-latency, priority-price]; gpt-4.1's 80 tokens/s,
multiple 1.75 and 128k long-context threshold; gpt-5.1's 4,750 input TPM per PTU, output weight
8, Global minimum 15 and increment 5 PTU [ptu-costs-new].
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main
from sizing.azure_openai.offers import AoaiCandidate, size_azure_openai
from sizing.azure_openai.priority import priority_candidates
from sizing.azure_openai.spillover import (
    SpillTraffic,
    load_floor,
    spill_token_share,
    spillover_candidates,
)
from sizing.catalog import default_catalog
from sizing.catalog.azure_openai import AoaiCatalog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def aoai() -> AoaiCatalog:
    return default_catalog().azure_openai


SHAPE = {
    "peak_requests_per_minute": 1200,
    "avg_input_tokens": 2000,
    "avg_output_tokens": 400,
    "max_output_tokens": 800,
    "peak_concurrency": 200,
    "reasoning_tokens": 0,
}


def standard(model: str = "gpt-5.1", regions=("eastus2",), **overrides) -> tuple:
    arguments = {
        "model": model,
        "regions": list(regions),
        "residency_geography": None,
        "strict_residency": False,
        **SHAPE,
        "catalog": aoai(),
    }
    arguments.update(overrides)
    return size_azure_openai(**arguments)


def priority(cands, *, slo_tps=None, avg_in=2000, max_in=4000, ratio=0.35):
    return priority_candidates(
        cands,
        catalog=aoai(),
        avg_input_tokens=avg_in,
        max_input_tokens=max_in,
        slo_ttft_p95_ms=None,
        slo_min_output_tokens_per_s=slo_tps,
        average_to_peak_ratio=ratio,
    )


def one(cands, deployment_type: str, region: str = "eastus2") -> AoaiCandidate:
    (c,) = [c for c in cands if c.deployment_type == deployment_type and c.region == region]
    return c


# --- priority processing -------------------------------------------------------------------------


def test_priority_costs_the_multiple_of_standard_and_promises_its_latency_target() -> None:
    cands = standard()
    base = one(cands, "GlobalStandard")
    p = one(priority(cands), "GlobalStandard")
    assert p.service_tier == "priority" and base.service_tier == "default"
    # the same deployment (capacity is the deployment's quota), tokens at 2x the price
    assert p.capacity == base.capacity
    assert p.monthly_usd == pytest.approx(base.monthly_usd * 2.0)
    assert p.output_tokens_per_s_per_request == 50 and p.latency_guaranteed
    assert p.request_api_version == "2025-12-01"
    assert p.feasible
    assert any("99% of requests above 50 output tokens/s" in r for r in p.reasons)


def test_priority_is_offered_on_global_and_us_data_zone_standard_only() -> None:
    cands = standard(regions=("eastus2", "swedencentral"))
    tiers = priority(cands)
    assert {(c.deployment_type, c.region) for c in tiers} == {
        ("GlobalStandard", "eastus2"),
        ("DataZoneStandard", "eastus2"),
        ("GlobalStandard", "swedencentral"),
        ("DataZoneStandard", "swedencentral"),
    }
    assert one(tiers, "DataZoneStandard").feasible
    eu = one(tiers, "DataZoneStandard", "swedencentral")
    assert [r.kind for r in eu.rejections] == ["offer"]
    assert "us data zone only" in eu.rejections[0].message


def test_a_model_without_a_priority_tier_gets_no_priority_candidate() -> None:
    assert priority(standard(model="gpt-5-mini")) == ()


def test_an_slo_faster_than_the_target_rejects_priority_with_the_figures() -> None:
    p = one(priority(standard(), slo_tps=60), "GlobalStandard")
    (r,) = p.rejections
    assert r.kind == "slo" and dict(r.figures) == {"tps": 50, "slo_tps": 60}
    assert one(priority(standard(), slo_tps=50), "GlobalStandard").feasible


def test_long_prompts_fall_back_to_standard_priority_on_models_that_say_so() -> None:
    cands = standard(model="gpt-4.1")
    # a longest prompt above 128k: an advisory; an average above it: no latency target left
    some = one(priority(cands, max_in=200_000), "GlobalStandard")
    assert some.feasible and any("above 128,000 tokens" in a for a in some.advisories)
    most = one(priority(cands, avg_in=130_000, max_in=200_000), "GlobalStandard")
    assert [r.kind for r in most.rejections] == ["slo"]
    # gpt-5.1 lists no long-context downgrade
    assert not any("128,000" in a for a in one(priority(standard()), "GlobalStandard").advisories)


def test_a_steep_ramp_is_said_to_meet_the_ramp_limit() -> None:
    steep = one(priority(standard(), ratio=0.35), "GlobalStandard")
    flat = one(priority(standard(), ratio=0.9), "GlobalStandard")
    assert any("ramps steeply" in a for a in steep.advisories)
    assert not any("ramps steeply" in a for a in flat.advisories)


# --- PTU + spillover -----------------------------------------------------------------------------


def spill(cands, *, steady=None, ratio=0.6, slo_tps=None, slo_ttft=None):
    return spillover_candidates(
        cands,
        catalog=aoai(),
        traffic=SpillTraffic(
            peak_rpm=1200,
            avg_in=2000,
            avg_out=400,
            max_out=800,
            steady_share=steady,
            average_to_peak_ratio=ratio,
            slo_ttft_p95_ms=slo_ttft,
            slo_min_output_tokens_per_s=slo_tps,
        ),
    )


@pytest.mark.parametrize(
    ("covered", "floor", "share"),
    [
        (0.0, 0.0, 1.0),  # no PTU: everything spills
        (1.0, 0.0, 0.0),  # PTU for the peak: nothing spills
        (0.5, 0.0, 0.25),  # (1 - 0.5)^2 / (1 x 1)
        (0.4, 0.4, 0.6 / 1.4),  # at the floor: (1 - f) / (1 + f)
        (0.2, 0.4, 1 - 0.4 / 1.4),  # below the floor: 1 - 2c / (1 + f)
    ],
)
def test_spill_share_of_a_straight_load_duration_curve(covered, floor, share) -> None:
    assert spill_token_share(covered, floor) == pytest.approx(share)


def test_the_floor_rises_to_what_the_average_needs() -> None:
    assert load_floor(None, 0.35) == 0.0
    assert load_floor(0.4, 0.35) == 0.4
    assert load_floor(None, 0.9) == pytest.approx(0.8)  # (1 + f) / 2 = 0.9


def test_a_stated_steady_share_sits_on_ptu_and_the_rest_spills_at_the_standard_price() -> None:
    cands = standard(ptu_billing="yearly_reservation")
    full = one(cands, "GlobalProvisionedManaged")
    tokens = one(cands, "GlobalStandard")
    c = one(spill(cands, steady=0.4), "GlobalProvisionedManaged")
    # 1,200 x (2,000 + 8 x 400) = 6,240,000 TPM; 40% / 4,750 = 525.5 -> 530 PTU (increment 5)
    assert c.capacity == 530
    s = c.spillover
    assert s is not None and s.steady_share_stated and s.steady_share == 0.4
    assert s.deployment_type == "GlobalStandard"
    assert s.provisioned_share == pytest.approx(530 * 4750 / 6_240_000)
    assert s.spill_token_share == pytest.approx(spill_token_share(s.provisioned_share, 0.4))
    per_ptu = full.monthly_usd / full.capacity
    assert c.monthly_usd == pytest.approx(530 * per_ptu + s.spill_token_share * tokens.monthly_usd)
    # cheaper than PTUs for the whole peak; the spill deployment holds the spill's peak
    assert c.monthly_usd < full.monthly_usd
    spill_rpm = (1 - s.provisioned_share) * 1200
    assert s.capacity == pytest.approx(spill_rpm * (2000 + 800) / 1000, abs=1)
    assert any("load shape assumed" in r for r in c.reasons)


def test_unstated_the_ptu_count_is_the_cheapest_below_the_full_peak() -> None:
    cands = standard(ptu_billing="yearly_reservation")
    full = one(cands, "GlobalProvisionedManaged")
    tokens = one(cands, "GlobalStandard")
    c = one(spill(cands, steady=None, ratio=0.6), "GlobalProvisionedManaged")
    assert c.spillover is not None and not c.spillover.steady_share_stated
    per_ptu = full.monthly_usd / full.capacity
    floor = 2 * 0.6 - 1

    def cost(n: int) -> float:
        share = min(1.0, n * 4750 / 6_240_000)
        return n * per_ptu + spill_token_share(share, floor) * tokens.monthly_usd

    best = min(range(15, full.capacity, 5), key=cost)
    assert c.capacity == best and c.monthly_usd == pytest.approx(cost(best))


def test_regional_provisioned_takes_no_spillover_and_scopes_pair_alike() -> None:
    cands = standard(model="gpt-4.1", regions=("swedencentral",))
    pairs = {(c.deployment_type, c.spillover.deployment_type) for c in spill(cands)}
    assert ("ProvisionedManaged", "Standard") not in pairs
    assert pairs <= {
        ("GlobalProvisionedManaged", "GlobalStandard"),
        ("DataZoneProvisionedManaged", "DataZoneStandard"),
    }


def test_when_the_minimum_ptu_carries_the_peak_nothing_would_spill() -> None:
    cands = standard(peak_requests_per_minute=5, peak_concurrency=2)
    c = one(spill(cands), "GlobalProvisionedManaged")
    assert not c.feasible and c.rejections[-1].kind == "offer"
    assert "nothing would spill" in c.rejections[-1].message


def test_the_spill_has_standards_speed_and_the_slo_judges_it() -> None:
    c = one(spill(standard(), steady=0.4, slo_tps=60), "GlobalProvisionedManaged")
    assert [r.kind for r in c.rejections] == ["slo"]
    assert not c.latency_guaranteed


# --- through the CLI -----------------------------------------------------------------------------


def candidates(path: Path) -> list[dict]:
    result = CliRunner().invoke(
        main, ["plan", str(path), "--candidates", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["candidates"]


def test_the_spillover_example_chooses_ptu_with_spillover() -> None:
    rows = candidates(EXAMPLES / "ptu-spillover.yaml")
    chosen = next(r for r in rows if r["chosen"])
    assert "spillover" in chosen["configuration"]
    others = {r["configuration"]: r["monthly_usd"] for r in rows if r["rejection"] is None}
    full = next(v for k, v in others.items() if k.startswith("GlobalProvisionedManaged 1315"))
    tokens = next(v for k, v in others.items() if k.startswith("GlobalStandard 3360 ktpm in"))
    assert chosen["monthly_usd"] < tokens < full


def test_a_tight_tokens_per_second_slo_lists_priority_processing(tmp_path: Path) -> None:
    spec = tmp_path / "fast.yaml"
    spec.write_text(
        (EXAMPLES / "ptu-spillover.yaml")
        .read_text()
        .replace("model: gpt-5.1", "model: gpt-5.4-mini")
        .replace("output_tokens_per_second_p50: 40", "output_tokens_per_second_p50: 95")
    )
    rows = candidates(spec)
    tiers = [r for r in rows if "priority processing" in r["configuration"]]
    assert tiers and all(r["tps_per_request"] == 100 for r in tiers)
    assert any(r["rejection"] is None for r in tiers)


@pytest.mark.parametrize("value", ["1.0", "-0.1", "lots"])
def test_a_bad_steady_share_is_a_located_error(tmp_path: Path, value: str) -> None:
    spec = tmp_path / "bad.yaml"
    text = (EXAMPLES / "ptu-spillover.yaml").read_text()
    spec.write_text(text.replace("steady_share: 0.4", f"steady_share: {value}"))
    result = CliRunner().invoke(main, ["plan", str(spec)])
    assert result.exit_code == 2
    line = text.splitlines().index("    steady_share: 0.4") + 1
    assert f"{spec}:{line}:" in result.output and "steady_share" in result.output
    assert "Traceback" not in result.output


# --- the plan a chosen option becomes ------------------------------------------------------------


def options_for(model: str, **changes):
    from sizing.azure_openai.options import azure_openai_options
    from sizing.search.request import SizingRequest

    catalog = default_catalog()
    fields = {
        "name": "fast-chat",
        "model": model,
        "precisions": (),
        "deployment": "azure-openai",
        "max_input_tokens": 4000,
        "max_output_tokens": 800,
        "avg_input_tokens": 2000,
        "avg_output_tokens": 400,
        "peak_concurrency": 200,
        "peak_requests_per_minute": 1200,
        "ttft_p95_ms": 3000,
        "output_tokens_per_second_p50": 40,
        "availability": 99.9,
        "regions": ("eastus2",),
        "geography": None,
        "strict_residency": False,
    }
    req = SizingRequest(**{**fields, **changes})
    return azure_openai_options(req=req, model=catalog.model(model), catalog=catalog)


def test_a_chosen_priority_option_plans_the_tier_the_gateway_asks_for() -> None:
    from sizing.deploy.openai_accounts import openai_accounts

    (option,) = [
        o
        for o in options_for("gpt-5.4-mini")
        if o.summary.startswith("GlobalStandard") and "priority processing" in o.summary
    ]
    plan = option.build()
    aoai = plan.azure_openai
    assert aoai.service_tier == "priority" and aoai.request_api_version == "2025-12-01"
    assert aoai.spillover is None
    assert plan.predicted.tps_basis == "priority-latency-target"
    assert plan.predicted.tps_per_request == 100
    assert plan.cost.monthly_usd == pytest.approx(option.monthly_usd)
    assert "priority processing" in aoai.configuration()
    (account,) = openai_accounts((plan,))
    assert [(d.deployment_name, d.deployment_type) for d in account.deployments] == [
        ("fast-chat", "GlobalStandard")
    ]


def test_a_chosen_spillover_option_plans_both_deployments() -> None:
    from sizing.deploy.openai_accounts import openai_accounts

    (option,) = [
        o
        for o in options_for(
            "gpt-5.1", steady_share=0.4, average_to_peak_ratio=0.6, reservation="yearly"
        )
        if "spillover" in o.summary and o.summary.startswith("GlobalProvisionedManaged")
    ]
    plan = option.build()
    aoai = plan.azure_openai
    assert aoai.spillover is not None and aoai.service_tier == "default"
    assert (aoai.deployment_type, aoai.capacity) == ("GlobalProvisionedManaged", 530)
    assert plan.predicted.tps_basis == "working-figure"  # the spill has no published speed
    # the gateway admits the whole peak: PTUs and spillover together carry it, so neither
    # deployment's size caps the gateway's token limit (prompt + max_tokens per request)
    assert plan.gateway.tokens_per_minute >= 1200 * (2000 + 800)
    assert plan.gateway.tokens_per_minute > aoai.spillover.capacity * 1000
    assert aoai.latency_metrics  # the PTU deployment publishes latency metrics
    (account,) = openai_accounts((plan,))
    assert [
        (d.deployment_name, d.role, d.deployment_type, d.capacity, d.spillover_deployment)
        for d in account.deployments
    ] == [
        ("fast-chat-spill", "spillover", "GlobalStandard", aoai.spillover.capacity, None),
        ("fast-chat", "primary", "GlobalProvisionedManaged", 530, "fast-chat-spill"),
    ]


def test_a_priority_primary_fails_over_only_where_priority_is_offered() -> None:
    """The gateway asks every backend for priority: EU Data Zone and regional Standard
    deployments cannot serve it [priority-how], so they are no failover for a priority plan."""
    options = options_for("gpt-4.1", regions=("eastus2", "swedencentral"), availability=99.95)
    (option,) = [
        o
        for o in options
        if o.summary.startswith("GlobalStandard")
        and o.summary.endswith("priority processing in eastus2")
    ]
    plan = option.build()
    failover = plan.azure_openai.failover
    assert [(f.region, f.deployment_type) for f in failover] == [
        ("swedencentral", "GlobalStandard")
    ]
