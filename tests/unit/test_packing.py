"""Packing (issue 26): small self-hosted workloads of one environment on a shared GPU pool where
that is cheaper, each still meeting its availability with a node holding several workloads."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main
from sizing.catalog import default_catalog
from sizing.deploy.packing import after_loss, pack, placed_workload, shared_pool_name
from sizing.deploy.pool_names import agent_pool_name
from sizing.plan import Availability, plan_to_data
from sizing.planner import plan_paths
from sizing.search.request import HardwareChoice

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "shared-nodes"
CAT = default_catalog()
SKU = "Standard_ND96isr_H100_v5"


@pytest.fixture(scope="module")
def packed():
    _, plan = plan_paths([EXAMPLE], catalog=CAT)
    return plan


def _copy(tmp_path: Path) -> Path:
    """The example in a project of its own, to edit."""
    shutil.copytree(EXAMPLE, tmp_path / "shared-nodes")
    (tmp_path / "Pulumi.yaml").write_text("name: t\nruntime: python\n")
    return tmp_path / "shared-nodes"


def test_six_small_workloads_share_two_nodes_instead_of_twelve(packed) -> None:
    [env] = packed.environments
    [pool] = env.packing
    assert pool.vm_sku == SKU and pool.nodes_before == 12 and pool.nodes == 2
    assert [m.workload for m in pool.members] == sorted(env.workloads)
    hourly = CAT.vm_sku(SKU).prices["swedencentral"].usd_per_hour
    assert pool.monthly_usd == pytest.approx(2 * hourly * 730)
    assert pool.monthly_usd_before == pytest.approx(
        sum(w.cost.monthly_usd for w in packed.workloads_of(env.name))
    )
    # The saving is out of the environment's total, and of the plan's.
    assert env.monthly_usd == pytest.approx(
        env.workloads_monthly_usd - pool.saving_monthly_usd + env.fixed_monthly_usd
    )
    assert packed.monthly_usd == pytest.approx(env.monthly_usd)
    # One GPU pool: the shared one; no workload keeps a pool of its own.
    [node_pool] = env.node_pools
    assert node_pool.shared and node_pool.name == pool.name and node_pool.node_count == 2
    assert node_pool.workloads == tuple(sorted(env.workloads))
    assert env.packing_declined == ()


def test_each_workload_keeps_its_peak_after_losing_a_shared_node(packed) -> None:
    [pool] = packed.environments[0].packing
    for j, member in enumerate(pool.members):
        plan = next(w for w in packed.workloads if w.name == member.workload)
        assert plan.aks is not None
        assert member.spare == "node"
        assert member.replicas >= plan.aks.replicas_for_headroom
        assert member.replicas_needed_after_loss == plan.aks.replicas_for_peak
        column = [row[j] for row in pool.placement]
        assert column == [1, 1]  # one replica per node: a node loss takes out one of each
        assert member.replicas_after_loss == after_loss(pool.placement, j, spare="node", zones=0)
        assert member.replicas_after_loss >= member.replicas_needed_after_loss
    # GPUs per node are never overcommitted.
    for row in pool.placement:
        used = sum(n * m.gpus_per_replica for n, m in zip(row, pool.members, strict=True))
        assert used <= pool.gpus_per_node


def test_after_loss_counts_the_worst_node_and_the_worst_zone() -> None:
    placement = ((2, 1), (1, 1), (1, 0))
    assert after_loss(placement, 0, spare="node", zones=0) == 2
    # zones: node i in zone i % 3, so each zone holds one node here
    assert after_loss(placement, 0, spare="zone", zones=3) == 2
    assert after_loss(placement, 1, spare="node", zones=0) == 1


def test_a_zone_spare_workload_is_not_packed_on_a_size_without_zones(packed) -> None:
    mine = list(packed.workloads)
    zoned = dataclasses.replace(mine[0], availability=Availability(99.9, 99.9, "", ("zone",), None))
    result = pack([zoned, mine[1]], catalog=CAT, hardware={w.name: HardwareChoice() for w in mine})
    assert result.pools == ()
    assert {d.kind for d in result.declined} == {"availability"}


def test_a_workload_that_opts_out_keeps_its_own_pool(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "workloads" / "faq-bot.yaml"
    path.write_text(
        path.read_text().replace(
            "  deployment: aks-vllm\n",
            "  deployment: aks-vllm\n  hardware:\n    share_nodes: false\n",
        )
    )
    _, plan = plan_paths([folder / "environment.yaml"], catalog=CAT)
    [env] = plan.environments
    [pool] = env.packing
    assert "faq-bot" not in {m.workload for m in pool.members} and len(pool.members) == 5
    [declined] = env.packing_declined
    assert (declined.workload, declined.kind) == ("faq-bot", "opted-out")
    own = [p for p in env.node_pools if not p.shared]
    assert [(p.name, p.workloads) for p in own] == [(agent_pool_name(SKU), ("faq-bot",))]
    assert pool.name == shared_pool_name(SKU) != agent_pool_name(SKU)


def test_the_environment_can_turn_packing_off(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    env_file = folder / "environment.yaml"
    env_file.write_text(
        env_file.read_text().replace("  hardware:\n", "  hardware:\n    share_nodes: false\n")
    )
    _, plan = plan_paths([env_file], catalog=CAT)
    [env] = plan.environments
    assert env.packing == () and env.packing_saving_monthly_usd == 0
    assert [p.node_count for p in env.node_pools] == [12]  # one pool of the size, nodes summed
    assert env.monthly_usd == pytest.approx(env.workloads_monthly_usd + env.fixed_monthly_usd)


def test_packing_is_deterministic(packed, tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _, again = plan_paths([folder / "environment.yaml"], catalog=CAT)
    first = plan_to_data(packed)["environments"][0]
    second = plan_to_data(again)["environments"][0]
    assert json.dumps(first["packing"]) == json.dumps(second["packing"])
    assert first["node_pools"] == second["node_pools"]


def test_a_packed_workload_runs_on_the_shared_pool_with_its_share_of_the_node(packed) -> None:
    [env] = packed.environments
    [pool] = env.packing
    w = next(w for w in packed.workloads if w.name == "faq-bot")
    placed = placed_workload(w, region="swedencentral", packing=env.packing)
    assert placed.aks is not None and w.aks is not None
    assert placed.aks.pool_name == pool.name and placed.aks.replicas_per_region == 2
    assert placed.aks.autoscaling.fallback_replicas == 2
    # KEDA may double the replicas, and the pool's ceiling holds every workload doubled.
    assert placed.aks.autoscaling.max_replicas == 4 and pool.max_count == 4
    [quota] = [q for q in env.quota if q.kind == "vm-family-vcpus"]
    assert quota.needed == pool.max_count * CAT.vm_sku(SKU).vcpus
    assert placed.aks.resources == pool.member("faq-bot").resources
    # elsewhere (another region) the plan is unchanged
    assert placed_workload(w, region="westeurope", packing=env.packing) is w


def test_plan_prints_the_shared_pool_and_its_saving() -> None:
    result = CliRunner().invoke(main, ["plan", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "shared GPU pool" in text and "on 2 node(s) instead of 12" in text
    assert "-$789,510/month (on-demand)" in text
    explained = CliRunner().invoke(main, ["plan", str(EXAMPLE), "--explain"])
    words = " ".join(explained.output.split())
    assert "Packed in swedencentral with code-review-hints, doc-summary," in words
    assert "2 replicas of 1 GPU(s) instead of 16" in words
    assert "after losing the worst node it keeps 1 (its peak needs 1)" in words
    # each packed workload's row says what it runs on the shared pool
    assert text.count(f"packed: 2x on shared pool {shared_pool_name(SKU)}") == 6


def test_share_nodes_must_be_a_boolean(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "workloads" / "faq-bot.yaml"
    path.write_text(
        path.read_text().replace(
            "  deployment: aks-vllm\n",
            "  deployment: aks-vllm\n  hardware:\n    share_nodes: sometimes\n",
        )
    )
    result = CliRunner().invoke(main, ["plan", str(folder / "environment.yaml")])
    assert result.exit_code == 2
    assert "faq-bot.yaml:12:18: spec.hardware.share_nodes" in result.output
    assert "Traceback" not in result.output


def test_a_node_loss_is_counted_where_the_gpus_alone_would_fit_one_node(packed) -> None:
    """Two workloads' replicas fit one 8-GPU node; sparing a node each, they get two nodes
    (one replica of each per node), and only without a spare do they share one."""
    a, b = list(packed.workloads)[:2]
    hardware = {w.name: HardwareChoice() for w in (a, b)}
    [spared] = pack([a, b], catalog=CAT, hardware=hardware).pools
    assert (spared.nodes_before, spared.nodes) == (4, 2)
    assert [m.replicas_after_loss for m in spared.members] == [1, 1]
    bare = [
        dataclasses.replace(w, availability=Availability(99.0, 99.0, "", (), None)) for w in (a, b)
    ]
    [alone] = pack(bare, catalog=CAT, hardware=hardware).pools
    assert alone.nodes == 1 and [m.replicas for m in alone.members] == [1, 1]
    assert [m.replicas_needed_after_loss for m in alone.members] == [0, 0]


def test_a_fractional_vm_has_nothing_to_share(packed) -> None:
    a, b = list(packed.workloads)[:2]
    fractional = "Standard_NV18ads_A10_v5"  # half an A10
    assert CAT.vm_sku(fractional).gpu_fraction < 1
    half = [
        dataclasses.replace(
            w, regions=("swedencentral",), aks=dataclasses.replace(w.aks, vm_sku=fractional)
        )
        for w in (a, b)
    ]
    result = pack(half, catalog=CAT, hardware={w.name: HardwareChoice() for w in half})
    assert result.pools == ()
    assert [(d.workload, d.kind) for d in result.declined] == [
        (a.name, "whole-node"),
        (b.name, "whole-node"),
    ]


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"gpu_instance_profile": "MIG1g", "mig_instance": "1g.10gb"}, "mig-slice"),
        ({"spot": True}, "spot"),
        ({"gpu_vendor": "amd"}, "gpu-vendor"),
    ],
)
def test_a_replica_with_its_own_pool_settings_keeps_its_own_pool(packed, change, kind) -> None:
    """A shared pool is an on-demand, whole-GPU NVIDIA pool: a MIG profile, spot priority or
    another vendor's GPU is a setting of the pool itself, so that workload is not packed and the
    plan says why."""
    a, b = list(packed.workloads)[:2]
    hardware = {w.name: HardwareChoice() for w in (a, b)}
    own = dataclasses.replace(a, aks=dataclasses.replace(a.aks, **change))
    result = pack([own, b], catalog=CAT, hardware=hardware)
    assert result.pools == ()
    assert (a.name, kind) in [(d.workload, d.kind) for d in result.declined]
