"""Spot pools: priced at the spot share, evictions counted in availability and batch work."""

from __future__ import annotations

import dataclasses
import math

import pytest

from sizing.catalog import default_catalog
from sizing.deploy.node_pools import node_pools
from sizing.deploy.pool_names import agent_pool_name
from sizing.search.optimizer import plan_workload
from sizing.search.price_basis import price_terms
from sizing.search.request import BatchTraffic, HardwareChoice, SizingRequest, SpotChoice
from sizing.search.self_hosted import aks_candidates
from sizing.search.spot import spot_terms
from tests.plan_builders import sizing_request

CAT = default_catalog()
T4 = "Standard_NC4as_T4_v3"


def light(**changes) -> SizingRequest:
    return dataclasses.replace(
        sizing_request(
            name="triage",
            precisions=("int8",),
            deployment="aks-vllm",
            max_input_tokens=3000,
            max_output_tokens=200,
            avg_input_tokens=800,
            avg_output_tokens=60,
            peak_concurrency=4,
            availability=95.0,
            regions=("eastus2",),
            hardware=HardwareChoice(allow=(T4,)),
            spot=SpotChoice(allowed=True),
        ),
        **changes,
    )


def by_spot(req: SizingRequest):
    return {
        c.spot is not None: c
        for c in aks_candidates(catalog=CAT, req=req)
        if c.vm_sku == T4 and c.precision == "int8" and c.tp == 1
    }


def test_the_eviction_arithmetic_is_the_catalogs_figures() -> None:
    eviction = price_terms(CAT).spot_eviction
    assert eviction is not None and eviction.kind == "estimate"
    terms = spot_terms(CAT, T4, startup_s=1200)
    hours = (eviction.node_replacement_s + 1200) / 3600
    assert terms.lost_share == pytest.approx(eviction.evictions_per_node_hour * hours)
    assert terms.availability_cap == pytest.approx(100 * (1 - terms.lost_share), abs=1e-3)
    assert terms.price == price_terms(CAT).term(T4, "spot")


def test_no_spot_candidates_unless_the_environment_allows_them() -> None:
    assert set(by_spot(light(spot=SpotChoice()))) == {False}
    assert set(by_spot(light())) == {False, True}


def test_a_spot_candidate_costs_the_spot_share_of_the_same_nodes() -> None:
    both = by_spot(light())
    regular, spot = both[False], both[True]
    assert spot.feasible and spot.nodes == regular.nodes
    ratio = price_terms(CAT).term(T4, "spot").ratio
    assert spot.monthly_usd == pytest.approx(regular.monthly_usd * ratio)
    assert spot.choice.planned == min(regular.choice.planned, spot.spot.availability_cap)


def test_spot_is_never_planned_above_what_evictions_leave() -> None:
    spot = by_spot(light(availability=99.5))[True]
    assert spot.rejection_kind == "availability"
    assert "needs regular (not spot) nodes" in spot.rejected_reason
    assert f"at most {spot.spot.availability_cap:g}%" in spot.rejected_reason


def test_the_environments_floor_rules_spot_out_below_it() -> None:
    floor = by_spot(light(spot=SpotChoice(allowed=True, min_availability=99.0)))[True]
    assert floor.rejection_kind == "availability"
    assert "below the environment's spot.min_availability 99%" in floor.rejected_reason


def test_a_spot_plan_names_its_pool_taint_and_eviction_reason() -> None:
    p = plan_workload(light(), catalog=CAT)
    assert p.feasible and p.aks.spot
    assert p.aks.pool_name == agent_pool_name(T4, spot=True) != agent_pool_name(T4)
    assert p.availability.planned <= spot_terms(CAT, T4, startup_s=0).availability_cap
    assert "on spot nodes, evictions cap it at" in p.availability.topology
    assert any(r.startswith("Spot nodes (environment") for r in p.reasons)
    (pool,) = node_pools([p])
    assert pool.spot and pool.name == p.aks.pool_name


def test_batch_work_on_spot_is_sized_on_the_hours_evictions_leave() -> None:
    batch = BatchTraffic(requests_per_day=400_000, completion_window_hours=8)
    per_replica = by_spot(light())[False].capacity.requests_per_minute
    # a day's rate that just fits 19 regular replicas with headroom: evictions need one more
    rpm = per_replica * 18.9 / 1.15
    req = light(batch=batch, peak_requests_per_minute=rpm, peak_concurrency=1)
    both = by_spot(req)
    regular, spot = both[False], both[True]
    assert regular.capacity.requests_per_minute == per_replica
    assert regular.replicas_per_region == 19
    kept = 1 - spot.spot.lost_share
    assert spot.replicas_per_region == math.ceil(rpm / kept * 1.15 / per_replica) == 20
    p = plan_workload(req, catalog=CAT)
    assert p.aks.spot  # still cheaper at the spot share
    assert any("evictions leave" in r for r in p.reasons)


def test_spot_pools_need_the_regional_spot_quota() -> None:
    from sizing.deploy.quota import environment_quota
    from sizing.plan import QuotaKey

    p = plan_workload(light(), catalog=CAT)
    (pool,) = node_pools([p])
    (requirement,) = environment_quota([pool], [], catalog=CAT)
    assert requirement.key == QuotaKey("spot-vcpus", "eastus2")
    assert requirement.needed == pool.max_count * pool.vcpus_per_node
    assert "lowPriorityCores" in requirement.request
    regular = dataclasses.replace(pool, spot=False)
    (family,) = environment_quota([regular], [], catalog=CAT)
    assert family.key.kind == "vm-family-vcpus"


def test_the_plan_table_says_spot_and_the_mig_instance() -> None:
    from inferplan.cli.plan_render import configuration

    p = plan_workload(light(), catalog=CAT)
    assert configuration(p).endswith(f"on {p.aks.nodes}x {T4} (spot)")
    mig = dataclasses.replace(p.aks, spot=False, mig_instance="1g.10gb")
    assert f"(1x {p.aks.gpu} MIG 1g.10gb int8) on" in mig.configuration()
