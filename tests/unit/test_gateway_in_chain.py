"""The gateway is a link of the availability chain (issue 23, item 11).

A workload planned at 99.99% behind one StandardV2 gateway (99.95%, one region) is at most
99.95% end to end and does not survive the gateway's region: the plan must say so, and hold only
where the team accepted the lower figure.
"""

from __future__ import annotations

import dataclasses

import pytest

from sizing.catalog import default_catalog
from sizing.deploy.gateway_availability import gateway_link
from sizing.search.optimizer import plan_workload
from sizing.search.request import SizingRequest
from sizing.search.topology import AKS_LADDER, AZURE_OPENAI_LADDER, choose_topology
from tests.plan_builders import sizing_request

CAT = default_catalog()
US = ("eastus", "eastus2", "westus3", "northcentralus")


def request(**changes) -> SizingRequest:
    base = sizing_request(
        model="gpt-4o",
        deployment="azure-openai",
        peak_concurrency=40,
        availability=99.99,
        regions=US,
        gateway=gateway_link("StandardV2"),
    )
    return dataclasses.replace(base, **changes)


def test_one_region_gateway_states_its_sla() -> None:
    assert gateway_link("StandardV2").sla == 99.95
    assert not gateway_link("StandardV2").survives_region
    assert gateway_link("Premium", regions=2).sla == 99.99
    assert gateway_link("Premium", regions=2).survives_region
    assert gateway_link("Developer").sla is None


def test_only_premium_deploys_in_several_regions() -> None:
    with pytest.raises(ValueError, match="one region only"):
        gateway_link("StandardV2", regions=2)


def test_azure_openai_at_99_99_behind_one_gateway_is_infeasible_unless_accepted() -> None:
    p = plan_workload(request(), catalog=CAT)
    assert not p.feasible
    assert "gateway" in (p.infeasible_reason or "") + " ".join(p.nearest_relaxation or "")


def test_azure_openai_accepting_the_gateway_figure_plans_it_and_says_so() -> None:
    p = plan_workload(request(accept_availability=99.95), catalog=CAT)
    assert p.feasible
    assert p.availability.planned == 99.95
    assert p.availability.accepted == 99.95
    # Behind one gateway the region is not survived, whatever the backends.
    assert "region" not in p.availability.survives
    assert "StandardV2 gateway" in p.availability.topology
    assert any("caps the chain at 99.95%" in r for r in p.reasons)


def test_without_a_gateway_cap_the_ladder_is_unchanged() -> None:
    """No environment: no gateway known, so the backends' rung is the figure (as before)."""
    p = plan_workload(request(gateway=None), catalog=CAT)
    assert p.feasible and p.availability.planned >= 99.99
    assert "region" in p.availability.survives


def test_the_rung_is_chosen_for_what_the_chain_carries() -> None:
    """Required 99.99 behind a 99.95 gateway: the 99.95 rung, not the 99.99 one nobody gets."""
    choice = choose_topology(
        AZURE_OPENAI_LADDER,
        required=99.99,
        accepted=99.95,
        regions_available=3,
        zonal=False,
        gateway=gateway_link("StandardV2"),
    )
    assert choice is not None
    assert choice.topology.planned_availability == 99.95
    assert choice.planned == 99.95 and choice.acceptable and not choice.meets_required
    assert choice.gateway_caps


def test_a_multi_region_gateway_lets_the_highest_rung_count() -> None:
    choice = choose_topology(
        AKS_LADDER,
        required=99.99,
        accepted=None,
        regions_available=2,
        zonal=True,
        gateway=gateway_link("Premium", regions=2),
    )
    assert choice is not None
    assert choice.planned == 99.99 and choice.meets_required
    assert "region" in choice.survives


def test_aks_at_99_99_behind_one_gateway_is_capped() -> None:
    p = plan_workload(
        request(
            model="llama-3.1-8b",
            deployment="aks-vllm",
            regions=("eastus2", "westus3"),
            accept_availability=99.95,
        ),
        catalog=CAT,
    )
    assert p.feasible
    assert p.availability.planned == 99.95
    assert "region" not in p.availability.survives
    assert any("caps the chain" in r for r in p.reasons)
