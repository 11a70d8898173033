"""The total is the bill (issue 23, item 13): an environment's plan carries its shared
infrastructure as lines of its own, the cap compares with the total, and the table says what
the total includes and what it leaves out."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main
from sizing.catalog import default_catalog
from sizing.planner import plan_paths
from sizing.search.from_spec import environment_plan
from sizing.units import HOURS_PER_MONTH

ROOT = Path(__file__).resolve().parents[2]
CAT = default_catalog()


@pytest.fixture(scope="module")
def prod():
    return plan_paths([ROOT / "stacks" / "prod.yaml"], catalog=CAT)


def test_the_environment_total_is_workloads_plus_its_shared_infrastructure(prod):
    _, plan = prod
    env = plan.environment("prod")
    workloads = sum(w.cost.monthly_usd for w in plan.workloads_of("prod") if w.cost)
    assert env.workloads_monthly_usd == pytest.approx(workloads)
    assert env.fixed_monthly_usd > 0
    assert env.monthly_usd == pytest.approx(workloads + env.fixed_monthly_usd)
    assert plan.monthly_usd == pytest.approx(env.monthly_usd)  # one environment: the same bill


def test_each_line_is_priced_from_the_catalog_with_its_source(prod):
    _, plan = prod
    env = plan.environment("prod")
    prices = CAT.document("platform_prices")
    by_item = {c.item: c for c in env.fixed_costs}
    # prod: one StandardV2 gateway, one Standard-tier cluster with 3 system nodes, private.
    assert by_item["gateway"].monthly_usd == prices.gateway_tiers["StandardV2"].usd_per_month
    assert by_item["aks-control-plane"].monthly_usd == pytest.approx(
        prices.aks_control_plane["Standard"].usd_per_hour * HOURS_PER_MONTH
    )
    system = prices.system_vm_sizes["Standard_D4ds_v5"].usd_per_hour
    assert by_item["system-pool"].monthly_usd == pytest.approx(system * HOURS_PER_MONTH * 3)
    assert by_item["container-registry"].description.endswith("Premium")  # private
    assert by_item["private-endpoints"].monthly_usd > 0
    assert all(c.source and c.price_kind for c in env.fixed_costs)
    # Billed by use: named with the unit price, never a made-up figure in the total.
    for item in ("log-analytics", "managed-prometheus", "key-vault"):
        assert by_item[item].monthly_usd is None and by_item[item].usage_price


def test_the_cap_compares_with_the_total_not_the_workloads_alone(prod):
    inputs, plan = prod
    [env] = inputs.environments
    before = plan.environment("prod")
    # A cap between the workloads' figure and the bill: workloads alone would pass it.
    cap = before.workloads_monthly_usd + before.fixed_monthly_usd / 2
    limits = env.spec.limits.model_copy(update={"max_monthly_usd": cap})
    capped = dataclasses.replace(env, spec=env.spec.model_copy(update={"limits": limits}))
    after = environment_plan(capped, plan.workloads, catalog=CAT)
    (cap,) = [v for v in after.violations if v.kind == "cost-cap"]
    assert "shared infrastructure" in cap.message and cap.planned > cap.limit


def test_the_table_says_what_the_total_includes():
    result = CliRunner().invoke(main, ["plan", str(ROOT / "stacks" / "dev.yaml")])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "workloads: $" in out
    assert "API Management Developer gateway(s)" in out
    assert "not in the total, billed by use: Log Analytics" in out


def test_plan_json_carries_the_lines():
    result = CliRunner().invoke(
        main, ["plan", str(ROOT / "stacks" / "dev.yaml"), "--format", "json"]
    )
    data = json.loads(result.output)
    [env] = data["environments"]
    items = [c["item"] for c in env["fixed_costs"]]
    assert items[0] == "gateway" and "log-analytics" in items
    assert env["monthly_usd"] > env["workloads_monthly_usd"]
