"""A shared GPU pool under Pulumi mocks (issue 26): one AKS agent pool carries several workloads;
each Deployment selects it, requests its own GPUs and spreads its replicas over its nodes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from components import kubernetes_manifests as km
from components.gpu_cluster import LABEL_POOL, LABEL_SHARED, LABEL_WORKLOAD_PREFIX
from sizing.catalog import default_catalog
from sizing.planner import plan_paths
from tests.program.test_components_cluster import AGENT_POOL, build

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "shared-nodes"
WIRING = km.ServiceWiring(
    image="acrtest.azurecr.io/vllm/vllm-openai:v0.32.0",
    gateway_cidrs=("10.29.16.0/24",),
    vllm_client_id="vllm-client-id",
    key_vault_name="kv-test",
    tenant_id="tenant-id",
    api_key_secret_name="vllm-api-key",
    prometheus_query_url="https://amw-test.swedencentral.prometheus.monitor.azure.com",
    keda_client_id="keda-client-id",
    weights_image="acrtest.azurecr.io/azure-cli:2.91.0",
    weights_account="sttestweights",
    endpoint_cidrs=("10.29.17.0/24",),
)


@pytest.fixture(scope="module")
def plan():
    _, plan = plan_paths([EXAMPLE], catalog=default_catalog())
    return plan


@pytest.fixture(scope="module")
def env(plan):
    return plan.environments[0]


def _deployment(plan, env, name: str) -> dict:
    workload = next(w for w in plan.workloads if w.name == name)
    objects = km.vllm_manifests(
        workload,
        region="swedencentral",
        environment=env,
        wiring=WIRING,
        hf_secret_name="hf-token",
    )
    return next(o for o in objects if o["kind"] == "Deployment")


def test_the_shared_pool_is_one_agent_pool_labelled_with_its_workloads(env):
    [pool] = env.packing
    result = build(env, list(env.node_pools), region="swedencentral")
    [agent_pool] = result.of_type(AGENT_POOL)
    inputs = agent_pool.inputs
    assert inputs["agentPoolName"] == pool.name
    assert inputs["vmSize"] == pool.vm_sku
    assert (inputs["count"], inputs["minCount"], inputs["maxCount"]) == (
        pool.nodes,
        pool.min_count,
        pool.max_count,
    )
    labels = inputs["nodeLabels"]
    assert labels[LABEL_POOL] == pool.name and labels[LABEL_SHARED] == "true"
    assert {k for k in labels if k.startswith(LABEL_WORKLOAD_PREFIX)} == {
        f"{LABEL_WORKLOAD_PREFIX}{m.workload}" for m in pool.members
    }


def test_each_deployment_selects_the_shared_pool_and_requests_its_own_gpus(plan, env):
    [pool] = env.packing
    for member in pool.members:
        deployment = _deployment(plan, env, member.workload)
        spec = deployment["spec"]["template"]["spec"]
        assert spec["nodeSelector"] == {km.POOL_LABEL: pool.name}
        assert deployment["spec"]["replicas"] == member.replicas
        [container] = spec["containers"]
        requests = container["resources"]["requests"]
        assert requests[km.GPU_RESOURCE] == str(member.gpus_per_replica)
        assert requests["cpu"] == str(member.resources.cpu_request_cores)
        # The replicas of one workload land on different nodes: a hard spread over hostnames,
        # which the availability check of packing assumes.
        [spread] = [
            c
            for c in spec["topologySpreadConstraints"]
            if c["topologyKey"] == "kubernetes.io/hostname"
        ]
        assert spread["whenUnsatisfiable"] == "DoNotSchedule" and spread["maxSkew"] == 1


def test_requests_of_the_packed_workloads_fit_the_shared_nodes(plan, env):
    """What the Deployments ask for, summed over the pool, fits its nodes' GPUs, CPU and memory
    the way packing placed them."""
    [pool] = env.packing
    sku = default_catalog().vm_sku(pool.vm_sku)
    gpus = cpu = 0
    for member in pool.members:
        deployment = _deployment(plan, env, member.workload)
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        requests = container["resources"]["requests"]
        gpus += deployment["spec"]["replicas"] * int(requests[km.GPU_RESOURCE])
        cpu += deployment["spec"]["replicas"] * int(requests["cpu"])
    assert gpus <= pool.nodes * sku.gpus
    assert cpu <= pool.nodes * sku.vcpus


def test_an_unpacked_workload_keeps_its_own_pool_and_a_soft_node_spread(plan, env):
    alone = dataclasses.replace(env, packing=())
    deployment = _deployment(plan, alone, "faq-bot")
    spec = deployment["spec"]["template"]["spec"]
    workload = next(w for w in plan.workloads if w.name == "faq-bot")
    assert spec["nodeSelector"] == {km.POOL_LABEL: workload.aks.pool_name}
    assert deployment["spec"]["replicas"] == workload.aks.replicas_per_region
    [spread] = [
        c for c in spec["topologySpreadConstraints"] if c["topologyKey"] == "kubernetes.io/hostname"
    ]
    assert spread["whenUnsatisfiable"] == "ScheduleAnyway"
