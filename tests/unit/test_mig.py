"""MIG slices: the catalog's profiles, the slice a replica sees, candidates and their pools."""

from __future__ import annotations

import dataclasses

import pytest
from pulumi_azure_native.containerservice import GPUInstanceProfile

from sizing.catalog import default_catalog
from sizing.catalog.entries import GpuSpec
from sizing.deploy.node_pools import node_pools
from sizing.deploy.pool_names import agent_pool_name
from sizing.performance.gpu_share import mig_slice, vm_gpu
from sizing.search.optimizer import plan_workload
from sizing.search.request import HardwareChoice, SizingRequest
from sizing.search.self_hosted import aks_candidates
from tests.plan_builders import sizing_request

CAT = default_catalog()
MIG_GPUS = ("a100-40gb-sxm", "a100-80gb-pcie", "a100-80gb-sxm", "h100-nvl", "h100-sxm", "h200-sxm")


def light_8b(**changes) -> SizingRequest:
    """A light Llama 3.1 8B tool: a few users, short prompts."""
    return dataclasses.replace(
        sizing_request(
            name="triage",
            deployment="aks-vllm",
            max_input_tokens=3000,
            max_output_tokens=200,
            avg_input_tokens=800,
            avg_output_tokens=60,
            peak_concurrency=4,
        ),
        **changes,
    )


@pytest.mark.parametrize("gpu_id", MIG_GPUS)
def test_mig_gpus_list_the_aks_profiles_with_nvidias_shares(gpu_id: str) -> None:
    gpu = CAT.gpu(gpu_id)
    profiles = {p.profile: p for p in gpu.mig_profiles}
    # Every profile is a value the installed SDK's AgentPool.gpu_instance_profile accepts.
    assert set(profiles) == {e.value for e in GPUInstanceProfile}
    # NVIDIA MIG user guide: memory in eighths, SMs in sevenths, 7/3/2/1/1 instances.
    shares = {k: (p.memory_fraction, round(p.compute_fraction * 7), p.instances_per_gpu)
              for k, p in profiles.items()}  # fmt: skip
    assert shares == {
        "MIG1g": (1 / 8, 1, 7),
        "MIG2g": (2 / 8, 2, 3),
        "MIG3g": (4 / 8, 3, 2),
        "MIG4g": (4 / 8, 4, 1),
        "MIG7g": (1.0, 7, 1),
    }
    # NVIDIA's instance name carries the memory: 1g.10gb on 80 GB parts, 1g.18gb on H200.
    gib = gpu.memory_bytes / 2**30
    assert int(profiles["MIG1g"].name.split(".")[1].removesuffix("gb")) == pytest.approx(
        gib / 8, abs=1.6
    )


def test_gpus_without_mig_list_no_profiles() -> None:
    for gpu_id in ("t4", "a10", "mi300x", "rtx-pro-6000-bse"):
        assert CAT.gpu(gpu_id).mig_profiles == ()


def test_a_profile_listed_twice_is_refused() -> None:
    data = CAT.gpu("h100-sxm").model_dump()
    data["mig_profiles"] = [data["mig_profiles"][0], data["mig_profiles"][0]]
    with pytest.raises(ValueError, match="MIG profile is listed twice"):
        GpuSpec.model_validate(data)


def test_a_mig_slice_has_its_memory_share_and_its_sm_share() -> None:
    h100 = CAT.gpu("h100-sxm")
    one = mig_slice(h100, h100.mig_profile("MIG1g"))
    assert one.memory_bytes == h100.memory_bytes // 8
    assert one.hbm_bandwidth_bytes_per_s == pytest.approx(h100.hbm_bandwidth_bytes_per_s / 8)
    assert one.dense_flops_per_s["fp8"] == pytest.approx(h100.dense_flops_per_s["fp8"] / 7, 1e-4)
    assert vm_gpu(CAT, "Standard_ND96isr_H100_v5", "MIG1g") == one
    with pytest.raises(KeyError):
        h100.mig_profile("MIG5g")


def test_a_light_8b_workload_lists_mig_candidates_one_slice_per_replica() -> None:
    mig = [c for c in aks_candidates(catalog=CAT, req=light_8b()) if c.mig_profile]
    feasible = [c for c in mig if c.feasible]
    assert {c.mig_profile for c in feasible} >= {"MIG1g", "MIG2g", "MIG3g"}
    assert {c.tp for c in mig} == {1}  # no tensor parallel across slices
    # Profiles with one instance per GPU are no better than the whole GPU: not candidates.
    assert not {c.mig_profile for c in mig} & {"MIG4g", "MIG7g"}
    for c in feasible:
        sku, gpu = CAT.vm_sku(c.vm_sku), CAT.gpu(c.gpu)
        assert c.replicas_per_node == sku.gpus * gpu.mig_profile(c.mig_profile).instances_per_gpu


def test_an_8b_model_at_bf16_does_not_fit_a_1g_slice_of_an_80gb_gpu() -> None:
    kinds = {
        c.precision: c.rejection_kind
        for c in aks_candidates(catalog=CAT, req=light_8b())
        if c.vm_sku == "Standard_NC24ads_A100_v4" and c.mig_profile == "MIG1g"
    }
    assert kinds["bf16"] == "memory"  # 16 GB of weights > 10 GB
    assert not kinds["int4"]  # about 5 GB of weights fit


def test_a_mig_slice_serves_less_than_the_whole_gpu() -> None:
    req = light_8b(precisions=("int4",))
    caps = {
        c.mig_profile: c.capacity
        for c in aks_candidates(catalog=CAT, req=req)
        if c.vm_sku == "Standard_NC24ads_A100_v4"
    }
    whole, one_g = caps[None], caps["MIG1g"]
    assert one_g.at_one.tps_per_request < 0.2 * whole.at_one.tps_per_request  # 1/8 bandwidth
    assert one_g.concurrency <= whole.concurrency


def test_hardware_allow_and_exclude_name_mig_profiles() -> None:
    on_slices = light_8b(hardware=HardwareChoice(allow=("MIG2g",)))
    feasible = [c for c in aks_candidates(catalog=CAT, req=on_slices) if c.feasible]
    assert feasible and {c.mig_profile for c in feasible} == {"MIG2g"}
    by_name = light_8b(hardware=HardwareChoice(allow=("1g.10gb",)))
    assert {c.mig_profile for c in aks_candidates(catalog=CAT, req=by_name) if c.feasible} == {
        "MIG1g"
    }  # the 80 GB parts' 1g instance
    off = light_8b(hardware=HardwareChoice(exclude=("MIG1g", "MIG2g", "MIG3g")))
    rejected = [c for c in aks_candidates(catalog=CAT, req=off) if c.mig_profile]
    assert rejected and all(c.rejection_kind == "hardware" for c in rejected)
    assert "Standard_NC24ads_A100_v4 MIG1g is excluded by hardware.exclude" in next(
        c.rejected_reason for c in rejected if c.vm_sku == "Standard_NC24ads_A100_v4"
    )


def test_a_mig_plan_names_its_profile_pool_and_share_of_the_node() -> None:
    hardware = HardwareChoice(allow=("MIG1g",), exclude=("h100-nvl", "h100-sxm", "h200-sxm"))
    req = light_8b(hardware=hardware, precisions=("int4",))
    p = plan_workload(req, catalog=CAT)
    assert p.feasible and p.aks.gpu_instance_profile == "MIG1g"
    profile = CAT.gpu(p.aks.gpu).mig_profile(p.aks.gpu_instance_profile)
    assert p.aks.mig_instance == profile.name
    assert p.aks.tensor_parallel == 1
    assert p.aks.pool_name == agent_pool_name(p.aks.vm_sku, p.aks.gpu_instance_profile)
    assert p.aks.pool_name != agent_pool_name(p.aks.vm_sku)
    assert any(f"one MIG {profile.name} instance each" in r for r in p.reasons)
    # The replica's CPU and memory are its share of the node: one of its instances.
    vm = CAT.vm_sku(p.aks.vm_sku)
    assert p.aks.replicas_per_node == vm.gpus * 7
    assert p.aks.resources.cpu_request_cores <= vm.vcpus // p.aks.replicas_per_node
    pools = node_pools([p])
    assert [pool.gpu_instance_profile for pool in pools] == [p.aks.gpu_instance_profile]
    assert pools[0].name == p.aks.pool_name


def test_whole_gpu_and_mig_workloads_of_one_size_get_separate_pools() -> None:
    size = "Standard_NC24ads_A100_v4"
    mig = plan_workload(
        light_8b(
            hardware=HardwareChoice(allow=("MIG3g",), exclude=("h100-nvl", "h100-sxm", "h200-sxm"))
        ),
        catalog=CAT,
    )
    whole = plan_workload(
        light_8b(
            name="whole",
            hardware=HardwareChoice(allow=(size,), exclude=("MIG1g", "MIG2g", "MIG3g")),
        ),
        catalog=CAT,
    )
    assert (mig.aks.vm_sku, whole.aks.vm_sku) == (size, size)
    pools = node_pools([mig, whole])
    assert len(pools) == 2 and len({p.name for p in pools}) == 2
    assert {p.gpu_instance_profile: p.workloads for p in pools} == {
        "MIG3g": ("triage",),
        None: ("whole",),
    }


def test_at_equal_cost_the_whole_gpu_ranks_before_its_mig_slice() -> None:
    """Same nodes, same price: the whole GPU keeps more headroom, so it is chosen."""
    req = light_8b(hardware=HardwareChoice(allow=("Standard_NC24ads_A100_v4",)))
    p = plan_workload(req, catalog=CAT)
    slices = [c for c in p.candidates if "slice" in c.summary and c.rejection is None]
    assert slices and p.aks.gpu_instance_profile is None
    same = [c for c in slices if round(c.monthly_usd, 2) == round(p.cost.monthly_usd, 2)]
    assert same  # a slice costs the same here, and still ranks after the whole GPU
    chosen = next(c for c in p.candidates if c.chosen)
    assert all(chosen.rank < c.rank for c in same)


def test_simulate_runs_a_mig_replica_on_its_instance() -> None:
    """``plan --simulate`` sizes the replica it simulates as the plan did: on the MIG slice."""
    from sizing.performance.simulation_report import simulate_plan
    from sizing.plan import Plan

    hardware = HardwareChoice(allow=("MIG1g",), exclude=("h100-nvl", "h100-sxm", "h200-sxm"))
    req = light_8b(hardware=hardware, precisions=("int4",))
    p = plan_workload(req, catalog=CAT)
    assert p.aks.gpu_instance_profile == "MIG1g"
    whole = dataclasses.replace(
        p, aks=dataclasses.replace(p.aks, gpu_instance_profile=None, mig_instance=None)
    )
    key = {(p.environment, p.name): req}
    (sliced,) = simulate_plan(Plan((p,)), requests_by_workload=key, catalog=CAT).workloads
    (on_whole,) = simulate_plan(Plan((whole,)), requests_by_workload=key, catalog=CAT).workloads
    # an eighth of the bandwidth and a seventh of the SMs: every step is slower on the slice
    assert sliced.predicted.simulated.itl_p95_ms > 3 * on_whole.predicted.simulated.itl_p95_ms


def test_catalog_list_gpus_shows_the_mig_profiles() -> None:
    import json

    from click.testing import CliRunner

    from inferplan.cli.main import main

    result = CliRunner().invoke(main, ["catalog", "list", "gpus", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    rows = rows if isinstance(rows, list) else next(iter(rows.values()))
    mig = {r["id"]: r["mig"] for r in rows}
    assert mig["h200-sxm"][0] == "MIG1g=1g.18gb x7"
    assert mig["t4"] == []
