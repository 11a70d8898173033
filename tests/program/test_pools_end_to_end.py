"""MIG, spot and fractional pools through the whole program under Pulumi's mocks: planned from
YAML, registered as AgentPools and Deployments, and clean under the policy rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from inferplan.review.checks import views_from_capture
from inputs.template_library import TemplateFolders
from policies.rules import run_rules
from policies.view import context_from_plan
from sizing.catalog import load_catalog
from sizing.planner import plan_paths
from tests.conftest import capture_environment

ROOT = Path(__file__).resolve().parents[2]
POOL = "azure-native:containerservice:AgentPool"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
DAEMONSET = "kubernetes:apps/v1:DaemonSet"

ENVIRONMENT = """\
apiVersion: inferplan/v1
kind: Environment
metadata: {name: pools}
spec:
  location: eastus2
  workloads: ["*.workload.yaml"]
  gateway: {tier: StandardV2, publisher_email: platform@example.com, publisher_name: Platform}
  limits: {allowed_regions: [eastus2]}
  spot: {allowed: true, min_availability: 95}
"""

WORKLOAD = """\
apiVersion: inferplan/v1
kind: Workload
metadata: {{name: {name}}}
spec:
  model: llama-3.1-8b-instruct
  precision: {precision}
  deployment: aks-vllm
  context: {{max_input_tokens: 3000, max_output_tokens: 200, avg_input_tokens: 800,
            avg_output_tokens: 60}}
  traffic: {{peak_concurrency: 4}}
  slo: {{ttft_p95_ms: 1500, output_tokens_per_second_p50: 20, availability: {availability}}}
  hardware: {{allow: [{allow}]}}
  residency: {{regions: [eastus2]}}
"""


# ND MI300X v5 with a test price (the built-in catalog sources none), so that it can be planned.
PRICED_MI300X = """\
kind: vm_skus
schema_version: 1
sources:
  test-price: "test figure: an hourly price so that the size can be planned"
vm_skus:
  - name: Standard_ND96isr_MI300X_v5
    family: ND_MI300X_v5
    gpu: mi300x
    gpus: 8
    gpu_driver: amd-gpu-operator
    vcpus: 96
    memory_bytes: 1986422374400
    aks_supported: true
    zonal: false
    regions: [eastus2]
    regions_source: test-price
    regions_date: 2026-12
    source: [test-price]
    date: 2026-12
    prices:
      eastus2: {usd_per_hour: 40.0, kind: estimate, source: test-price, date: 2026-12,
                basis: eastus2}
"""


@pytest.fixture(scope="module")
def pools_stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pools")
    (folder / "pools.yaml").write_text(ENVIRONMENT, encoding="utf-8")
    overlay = tmp_path_factory.mktemp("catalog")
    (overlay / "mi300x.yaml").write_text(PRICED_MI300X, encoding="utf-8")
    workloads = {
        # a whole MI300X: AMD pool, ROCm image, amd.com/gpu
        "amd": ("bf16", 99.5, "Standard_ND96isr_MI300X_v5"),
        # a MIG slice of an A100 (regular priority: 99.5% is above what spot is planned for)
        "sliced": ("int4", 99.5, "1g.10gb"),
        # a quarter RTX PRO 6000 (fractional vGPU size) on spot: 95% holds with evictions
        "quarter": ("int4", 95, "Standard_NC36ds_xl_RTXPRO6000BSE_v6"),
    }
    for name, (precision, availability, allow) in workloads.items():
        text = WORKLOAD.format(
            name=name, precision=precision, availability=availability, allow=allow
        )
        (folder / f"{name}.workload.yaml").write_text(text, encoding="utf-8")
    templates = TemplateFolders.default((ROOT / "templates",))
    _, plan = plan_paths(
        [folder / "pools.yaml"], catalog=load_catalog([overlay]), templates=templates
    )
    return plan


def test_the_plan_puts_one_workload_on_a_mig_pool_and_one_on_a_spot_pool(pools_stack):
    by_name = {w.name: w for w in pools_stack.workloads}
    sliced, quarter = by_name["sliced"], by_name["quarter"]
    assert sliced.feasible and sliced.aks.gpu_instance_profile == "MIG1g"
    assert not sliced.aks.spot  # its 99.5% is above the spot cap
    assert quarter.feasible and quarter.aks.spot
    assert quarter.aks.vm_sku == "Standard_NC36ds_xl_RTXPRO6000BSE_v6"
    amd = by_name["amd"]
    assert amd.feasible and amd.aks.gpu_vendor == "amd"
    assert amd.aks.container_image.repository == "vllm/vllm-openai-rocm"


def test_the_program_registers_them_and_the_policy_rules_pass(pools_stack):
    capture = capture_environment(pools_stack, "pools")
    pools = {r.inputs["agentPoolName"]: r.inputs for r in capture.of_type(POOL)}
    by_name = {w.name: w.aks for w in pools_stack.workloads}
    mig = pools[by_name["sliced"].pool_name]
    spot = pools[by_name["quarter"].pool_name]
    assert mig["gpuInstanceProfile"] == "MIG1g" and "scaleSetPriority" not in mig
    assert (spot["scaleSetPriority"], spot["scaleSetEvictionPolicy"]) == ("Spot", "Delete")
    assert "kubernetes.azure.com/scalesetpriority=spot:NoSchedule" in spot["nodeTaints"]
    amd = pools[by_name["amd"].pool_name]
    assert amd["gpuProfile"] == {"driver": "None"}
    assert amd["nodeTaints"] == ["amd.com/gpu=present:NoSchedule"]
    plugin = capture.of_type(DAEMONSET)
    env = [
        e
        for d in plugin
        if d.inputs["metadata"]["name"] == "nvidia-device-plugin"
        for e in d.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    ]
    assert {"name": "MIG_STRATEGY", "value": "single"} in env
    deployments = {
        d.inputs["metadata"]["namespace"]: d.inputs["spec"]["template"]["spec"]
        for d in capture.of_type(DEPLOYMENT)
    }
    quarter = next(s for ns, s in deployments.items() if "quarter" in ns)
    on_amd = next(s for ns, s in deployments.items() if ns.endswith("amd") or "-amd" in ns)
    assert on_amd["containers"][0]["resources"]["limits"]["amd.com/gpu"] == str(
        by_name["amd"].tensor_parallel
    )
    assert "vllm-openai-rocm" in str(on_amd["containers"][0]["image"])
    assert any(t["key"] == "kubernetes.azure.com/scalesetpriority" for t in quarter["tolerations"])
    ctx = context_from_plan(pools_stack, "pools")
    fired = {
        rule.name
        for rule, _ in run_rules(views_from_capture(capture), ctx)
        if rule.level == "mandatory"
    }
    assert not fired & {
        "gpu-pool-taint",
        "gpu-pool-named-from-sku",
        "gpu-workload-tolerates-taint",
        "gpu-workload-requests-gpus",
        "spot-pool-settings",
        "gpu-pool-mig-profile",
    }
