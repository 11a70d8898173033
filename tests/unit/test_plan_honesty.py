"""A plan that says ok is a promise: the availability, the failure domains, the bill it names.

Each case is one of the ways a plan used to break that promise, written as a user would meet it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main
from sizing.catalog import default_catalog
from sizing.search.optimizer import plan_workload, search_workload
from sizing.search.request import BatchTraffic, HardwareChoice, Schedule, SizingRequest
from sizing.search.topology import AKS_LADDER, AZURE_OPENAI_LADDER, spread_for
from sizing.units import HOURS_PER_MONTH
from tests.plan_builders import sizing_request

ROOT = Path(__file__).resolve().parents[2]
CAT = default_catalog()


def request(**changes) -> SizingRequest:
    base = sizing_request(deployment="aks-vllm", peak_concurrency=40)
    return dataclasses.replace(base, **changes)


# --- 1. availability is a constraint, not a label ------------------------------------------


def test_a_feasible_plan_never_plans_below_the_required_availability() -> None:
    """gpt-4o in the US at 99.99%: three regions with token-billed failover reach it."""
    us = ("eastus", "eastus2", "westus3", "northcentralus")
    p = plan_workload(
        request(model="gpt-4o", deployment="azure-openai", availability=99.99, regions=us),
        catalog=CAT,
    )
    assert p.feasible
    assert p.availability.planned >= 99.99
    assert len(p.regions) == 3 and len(p.azure_openai.failover) == 2


def test_unreachable_availability_is_infeasible_with_the_reachable_figure_and_its_price() -> None:
    p = plan_workload(
        request(
            model="gpt-4o",
            deployment="azure-openai",
            availability=99.99,
            regions=("eastus", "eastus2"),
        ),
        catalog=CAT,
    )
    assert not p.feasible
    assert p.infeasible_reason.startswith("availability 99.99% is not reachable for gpt-4o")
    assert p.nearest_relaxation.startswith("99.95% is reachable at $")
    assert "slo.accept_availability: 99.95" in p.nearest_relaxation


def test_an_accepted_lower_availability_is_planned_and_said() -> None:
    p = plan_workload(
        request(
            model="gpt-4o",
            deployment="azure-openai",
            availability=99.99,
            accept_availability=99.95,
            regions=("eastus", "eastus2"),
        ),
        catalog=CAT,
    )
    assert p.feasible
    assert (p.availability.required, p.availability.planned) == (99.99, 99.95)
    assert p.availability.accepted == 99.95
    assert "Accepted availability 99.95% < required 99.99% (slo.accept_availability)." in p.reasons


def test_self_hosted_availability_above_the_ladder_is_infeasible() -> None:
    p = plan_workload(request(availability=99.999), catalog=CAT)
    assert not p.feasible
    assert "99.99% is reachable" in p.nearest_relaxation


# --- 2. cost caps judge the bill -----------------------------------------------------------


def test_a_cap_the_working_hours_bill_meets_is_met() -> None:
    """The environment bills 60 of 168 hours a week: the cap is checked on that bill."""
    always_on = plan_workload(request(model="llama-3.1-70b"), catalog=CAT)
    hours = 60 * HOURS_PER_MONTH / 168
    billed = always_on.cost.monthly_usd * hours / HOURS_PER_MONTH
    cap = (billed + always_on.cost.monthly_usd) / 2  # above the bill, below the 24x7 cost
    working = Schedule(scale_to_zero=True, billed_hours_per_month=hours)
    p = plan_workload(
        request(model="llama-3.1-70b", max_monthly_usd=cap, schedule=working), catalog=CAT
    )
    assert p.feasible
    assert p.cost.monthly_usd == pytest.approx(billed)
    assert p.cost.hours_per_month == pytest.approx(hours)
    assert p.aks.min_nodes_per_region == 0


def test_the_24x7_cost_over_the_same_cap_is_rejected() -> None:
    always_on = plan_workload(request(model="llama-3.1-70b"), catalog=CAT)
    capped = plan_workload(
        request(model="llama-3.1-70b", max_monthly_usd=always_on.cost.monthly_usd * 0.9),
        catalog=CAT,
    )
    assert not capped.feasible or capped.cost.monthly_usd <= always_on.cost.monthly_usd * 0.9


# --- 3. spare capacity in failure-domain units ---------------------------------------------


def test_losing_a_node_at_peak_leaves_the_peak_served() -> None:
    """Llama 3.1 8B for 40 users at 99.5%: the spare is a whole node's replicas."""
    p = plan_workload(request(), catalog=CAT)
    assert p.feasible and p.availability.survives == ("node",)
    per_replica = p.predicted.concurrency_per_replica
    assert p.aks.replicas_after_loss == (p.aks.nodes_per_region - 1) * p.aks.replicas_per_node
    assert p.aks.replicas_after_loss * per_replica >= 40


@pytest.mark.parametrize(
    ("spare", "per_node", "peak", "headroom", "nodes", "after"),
    [
        # 2 per node, 3 replicas for the peak: ceil(3/2)+1 = 3 nodes; losing one leaves 4 >= 3
        pytest.param("node", 2, 3, 4, 3, 4, id="node-spare"),
        # zones: per zone max(ceil(4/(1*3)), ceil(3/(1*2))) = 2 -> 6 nodes; a zone lost leaves 4
        pytest.param("zone", 1, 3, 4, 6, 4, id="zone-spare"),
        pytest.param("none", 1, 3, 4, 4, 0, id="no-spare"),
    ],
)
def test_spread_arithmetic(spare, per_node, peak, headroom, nodes, after) -> None:
    s = spread_for(
        spare=spare,
        replicas_per_node=per_node,
        replicas_for_peak=peak,
        replicas_for_headroom=headroom,
    )
    assert (s.nodes, s.replicas_after_loss) == (nodes, after)
    assert s.replicas == nodes * per_node


def test_three_nines_survives_a_zone_at_peak() -> None:
    """64 users at 99.9% on a zonal T4 size: 5 nodes in each of 3 zones, a zone's worth spare."""
    p = plan_workload(request(availability=99.9, peak_concurrency=64), catalog=CAT)
    assert p.availability.survives == ("zone",)
    assert p.aks.zones == ("1", "2", "3")
    assert p.aks.nodes_per_region == 3 * p.aks.nodes_per_zone
    lost_zone = p.aks.nodes_per_zone * p.aks.replicas_per_node
    assert p.aks.replicas_after_loss == p.aks.replicas_per_region - lost_zone
    assert p.aks.replicas_after_loss * p.predicted.concurrency_per_replica >= 64


def test_every_rung_names_what_it_survives() -> None:
    assert [t.survives for t in AKS_LADDER] == [
        (),
        ("node",),
        ("zone",),
        ("region", "node"),
        ("region", "zone"),
    ]
    assert [t.regions for t in AZURE_OPENAI_LADDER] == [1, 2, 3]


# --- 4. absurd plans warn ---------------------------------------------------------------


def test_an_extreme_plan_says_so() -> None:
    """Llama 3.1 70B for 16 users at TTFT p95 230 ms on 8-GPU H100 VMs: $287k a month."""
    p = plan_workload(
        request(
            model="llama-3.1-70b",
            peak_concurrency=16,
            ttft_p95_ms=230,
            availability=99.9,
            regions=("eastus", "westus3"),
            hardware=HardwareChoice(allow=("Standard_ND96isr_H100_v5",)),
        ),
        catalog=CAT,
    )
    assert p.feasible
    (warning,) = [w for w in p.warnings if w.kind == "cost-per-user"]
    assert warning.message.startswith(f"${p.cost.monthly_usd / 16:,.0f}/month per concurrent user")


def test_a_replica_serving_one_or_two_requests_is_flagged() -> None:
    p = plan_workload(request(model="llama-3.1-8b", peak_concurrency=4), catalog=CAT)
    small = p.predicted.concurrency_per_replica <= 2
    assert small == any(w.kind == "small-replica" for w in p.warnings)


def test_the_cost_per_user_threshold_is_the_requests() -> None:
    cheap = plan_workload(request(warn_monthly_usd_per_user=1.0), catalog=CAT)
    assert "cost-per-user" in {w.kind for w in cheap.warnings}
    generous = plan_workload(request(warn_monthly_usd_per_user=1e9), catalog=CAT)
    assert "cost-per-user" not in {w.kind for w in generous.warnings}


# --- 5. --catalog is honoured for Azure OpenAI offers ---------------------------------------


def test_an_azure_openai_price_in_a_user_catalog_changes_the_plan(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    text = (ROOT / "sizing" / "catalog" / "data" / "azure_openai.yaml").read_text()
    expensive = text.replace(
        "usd_per_million_input_tokens: {value: ", "usd_per_million_input_tokens: {value: 999"
    ).replace(
        "usd_per_million_output_tokens: {value: ", "usd_per_million_output_tokens: {value: 999"
    )
    (tmp_path / "azure_openai.yaml").write_text(expensive)
    args = ["plan", "examples/eu-chat-managed.yaml", "--format", "json"]
    before = json.loads(CliRunner().invoke(main, args).output)["totals"]["monthly_usd"]
    after_run = CliRunner().invoke(main, ["--catalog", str(tmp_path), *args])
    after = json.loads(after_run.output)["totals"]["monthly_usd"]
    assert after > 10 * before


# --- 6. batch work has a home ----------------------------------------------------------------


def batch(**changes) -> SizingRequest:
    work = BatchTraffic(requests_per_day=40_000, completion_window_hours=24)
    return request(
        # Legacy, still deployable, with both batch types (gpt-4o-mini is deprecated)
        model="gpt-4.1",
        deployment="azure-openai",
        max_input_tokens=6000,
        max_output_tokens=400,
        avg_input_tokens=2500,
        avg_output_tokens=200,
        peak_concurrency=1,
        peak_requests_per_minute=work.requests_per_day / (24 * 60),
        average_to_peak_ratio=1.0,
        ttft_p95_ms=60_000,
        output_tokens_per_second_p50=1,
        availability=99.0,
        regions=("swedencentral",),
        geography="eu",
        batch=work,
        **changes,
    )


def _types(search) -> dict[str, str | None]:
    return {
        o.summary.split()[0]: (o.rejection.kind if o.rejection else None) for o in search.candidates
    }


def test_eu_batch_work_goes_to_the_data_zone_batch_type() -> None:
    s = search_workload(batch(), catalog=CAT)
    assert s.plan.azure_openai.deployment_type == "DataZoneBatch"
    types = _types(s)
    assert types["GlobalBatch"] == "residency"  # global processing breaks the EU geography
    # half the Data Zone Standard price for the same tokens
    standard = next(o for o in s.candidates if o.summary.startswith("DataZoneStandard"))
    assert s.plan.cost.monthly_usd == pytest.approx(standard.monthly_usd / 2, rel=0.01)


def test_strict_residency_rules_out_both_batch_types() -> None:
    s = search_workload(batch(strict_residency=True), catalog=CAT)
    types = _types(s)
    assert types["GlobalBatch"] == types["DataZoneBatch"] == "residency"
    assert s.plan.azure_openai.deployment_type in ("Standard", "ProvisionedManaged")


def test_a_window_shorter_than_a_day_rules_out_azure_openai_batch() -> None:
    short = BatchTraffic(requests_per_day=40_000, completion_window_hours=6)
    s = search_workload(
        dataclasses.replace(
            batch(), batch=short, peak_requests_per_minute=40_000 / 360, average_to_peak_ratio=0.25
        ),
        catalog=CAT,
    )
    batch_option = next(o for o in s.candidates if o.summary.startswith("DataZoneBatch"))
    assert batch_option.rejection.kind == "slo"
    assert "targets completion within 24 hours" in batch_option.rejection.message


def test_the_nightly_reindex_example_plans_for_its_window(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["plan", "examples/nightly-reindex.yaml", "--format", "json"])
    assert result.exit_code == 0, result.output
    (w,) = json.loads(result.output)["workloads"]
    # 1.5M requests in 6 hours = 4,166.67 per minute, billed per token over the whole month
    assert w["azure_openai"]["deployment_type"] == "Standard"
    assert w["cost"]["monthly_usd"] == pytest.approx(
        1_500_000 * 730 / 24 * 500 * 0.13 / 1e6, abs=0.01
    )


def test_self_hosted_batch_nodes_bill_only_the_window() -> None:
    work = BatchTraffic(requests_per_day=100_000, completion_window_hours=6, start="01:00")
    from sizing.deploy.working_hours import batch_schedule

    p = plan_workload(
        request(
            batch=work,
            peak_concurrency=1,
            peak_requests_per_minute=100_000 / 360,
            ttft_p95_ms=60_000,
            output_tokens_per_second_p50=1,
            availability=99.0,
            schedule=batch_schedule(work),
        ),
        catalog=CAT,
    )
    assert p.feasible
    assert p.cost.hours_per_month == pytest.approx(6 * 730 / 24)
    assert (p.aks.window.start_cron, p.aks.window.end_cron) == ("0 1 * * *", "0 7 * * *")


# --- 7. steering and the whole search -----------------------------------------------------------


def test_excluded_hardware_is_never_chosen_and_is_listed_as_such() -> None:
    free = plan_workload(request(), catalog=CAT)
    steered = search_workload(
        request(hardware=HardwareChoice(exclude=(free.aks.gpu,))), catalog=CAT
    )
    assert steered.plan.aks.gpu != free.aks.gpu
    excluded = [o for o in steered.candidates if o.rejection and o.rejection.kind == "hardware"]
    assert excluded and all(f"({free.aks.gpu})" in o.rejection.message for o in excluded)


def test_allowing_one_vm_family_keeps_the_search_inside_it() -> None:
    p = plan_workload(request(hardware=HardwareChoice(allow=("NCasT4_v3",))), catalog=CAT)
    assert p.aks is None or CAT.vm_sku(p.aks.vm_sku).family == "NCasT4_v3"


def test_plan_candidates_lists_every_candidate_with_its_kind(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        main, ["plan", "examples/small-open-model.yaml", "--candidates", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["candidates"]
    assert sum(r["chosen"] for r in rows) == 1
    assert rows[0]["chosen"] and rows[0]["rejection_kind"] is None
    kinds = {r["rejection_kind"] for r in rows}
    assert {"unsupported", "memory"} <= kinds or "slo" in kinds
    costs = [r["monthly_usd"] for r in rows if r["monthly_usd"] is not None]
    assert costs == sorted(costs)
    assert all(math.isfinite(c) for c in costs)


def test_plan_candidates_as_csv_keeps_its_columns(monkeypatch) -> None:
    from sizing.search.candidate_rows import CANDIDATE_COLUMNS

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        main, ["plan", "examples/small-open-model.yaml", "--candidates", "--format", "csv"]
    )
    header, first = result.output.splitlines()[:2]
    assert header == ",".join(CANDIDATE_COLUMNS)
    assert ",true," in first


@pytest.mark.parametrize("kind", ["gpus", "vm-sizes", "models", "regions", "deployment-types"])
def test_catalog_list_shows_each_kind(kind: str) -> None:
    result = CliRunner().invoke(main, ["catalog", "list", kind, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)[kind]
    assert rows
    first = rows[0]
    assert ("id" in first) or ("name" in first)


def test_a_batch_window_is_sized_with_stated_headroom(monkeypatch) -> None:
    """Issue 23 item 14: a 6-hour window is a deadline, sized to finish early enough for 429
    back-off, retries and ramp-up, and the plan says so; the gateway admits no more tokens a
    minute than the deployment it fronts accepts."""
    from sizing.search.request import BATCH_WINDOW_HEADROOM

    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["plan", "examples/nightly-reindex.yaml", "--format", "json"])
    (w,) = json.loads(result.output)["workloads"]
    sized_hours = 6 * (1 - BATCH_WINDOW_HEADROOM)
    assert any(f"finish in {sized_hours:g} h" in r for r in w["reasons"])
    rpm = 1_500_000 / (sized_hours * 60)
    capacity = w["azure_openai"]["capacity"]
    # The deployment carries the headroom rate: its kTPM cover the sized rate's requests.
    assert capacity * 1000 >= rpm * 1  # at least a token per request at the sized rate
    assert w["gateway"]["tokens_per_minute"] <= capacity * 1000


def test_the_gateway_limit_never_exceeds_the_azure_openai_deployment() -> None:
    p = plan_workload(
        request(model="gpt-4o", deployment="azure-openai", regions=("eastus2",)), catalog=CAT
    )
    assert p.azure_openai.capacity_unit == "ktpm"
    assert p.gateway.tokens_per_minute <= p.azure_openai.capacity * 1000


def test_scale_to_zero_wakes_a_start_up_budget_early_and_says_within_working_hours() -> None:
    """Issue 23 item 6: GPUs take minutes to serve; the cron trigger starts them early by the
    start-up budget, and the availability holds within the working hours only."""
    from sizing.deploy.working_hours import wake_hours
    from sizing.search.request import Schedule

    schedule = Schedule(
        scale_to_zero=True,
        billed_hours_per_month=260,
        description="mon-fri 07:00-19:00 Europe/Stockholm",
        start_minute=7 * 60,
        cron_days="1-5",
        end_cron="0 19 * * 1-5",
        timezone="Europe/Stockholm",
    )
    assert wake_hours(schedule, startup_s=12 * 60 + 1).start_cron == "45 6 * * 1-5"
    assert wake_hours(schedule, startup_s=18 * 60).start_cron == "40 6 * * 1-5"
    early = dataclasses.replace(schedule, start_minute=5)
    assert wake_hours(early, startup_s=900).start_cron == "0 0 * * 1-5"  # clamped at midnight

    p = plan_workload(request(schedule=schedule), catalog=CAT)
    assert p.aks.autoscaling.wake_hours == wake_hours(schedule, startup_s=p.aks.startup.budget_s)
    assert "within working hours only" in p.availability.topology
