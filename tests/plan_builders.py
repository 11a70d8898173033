"""Hand-built Plan pieces for component tests, their derived fields computed by sizing itself.

Component tests build small plans by hand so they do not move with every sizing change; the
fields sizing derives (resources, start-up budget, autoscaling, pool name, image, disk) come
from the same sizing functions the optimizer calls, so a hand-built plan is one sizing could
have made.
"""

from __future__ import annotations

import dataclasses

from sizing.catalog import default_catalog
from sizing.deploy.autoscaling import autoscaling, scaled_to_zero
from sizing.deploy.container_images import VLLM_IMAGE_ID, planned_image
from sizing.deploy.gateway_resilience import gateway_backends
from sizing.deploy.pool_names import agent_pool_name
from sizing.deploy.serving_resources import node_os_disk_gb, replica_resources, startup_budget
from sizing.deploy.vllm_args import VLLM_PORT
from sizing.plan import AksPlan, AzureOpenAIFailover, AzureOpenAIPlan, GatewayBackends
from sizing.search.request import SizingRequest

GIB = 1024**3


def sizing_request(**changes) -> SizingRequest:
    """A sizing request as the spec would make it: a Llama 3.1 8B chat in two US regions,
    16 in flight, TTFT p95 1.5 s and 20 tokens/s, with ``changes`` applied."""
    base = SizingRequest(
        name="chat",
        model="llama-3.1-8b",
        precisions=(),
        deployment="auto",
        max_input_tokens=4000,
        max_output_tokens=500,
        avg_input_tokens=1000,
        avg_output_tokens=200,
        peak_concurrency=16,
        peak_requests_per_minute=None,
        ttft_p95_ms=1500,
        output_tokens_per_second_p50=20,
        availability=99.5,
        regions=("eastus2", "westus3"),
        geography="us",
        strict_residency=False,
    )
    return dataclasses.replace(base, **changes)


def open_70b_request(**changes) -> SizingRequest:
    """A light open 70B chat (Llama 3.3) in one EU region, residency not strict: the workload
    where Azure's managed offer of the same weights competes with self-hosting."""
    base = sizing_request(
        name="open-chat",
        model="llama-3.3-70b",
        max_output_tokens=600,
        avg_output_tokens=250,
        peak_concurrency=12,
        ttft_p95_ms=2500,
        output_tokens_per_second_p50=15,
        regions=("swedencentral",),
        geography=None,
    )
    return dataclasses.replace(base, **changes)


def aks_plan(
    *,
    vm_sku: str,
    tp: int,
    replicas: int,
    vllm_args: tuple[str, ...],
    hf_model: str,
    zones: tuple[str, ...] = (),
    replicas_per_node: int = 1,
    min_nodes: int | None = None,
    max_nodes: int | None = None,
    gpu: str = "h100-nvl",
    precision: str = "fp8",
    checkpoint_bytes: int = 16 * GIB,
    concurrency: int = 16,
    max_model_len: int = 8192,
    scale_to_zero: bool = False,
    hf_gated: bool | None = False,
) -> AksPlan:
    """One region's worth of replicas (``replicas`` per region), derived fields from sizing."""
    vm = default_catalog().vm_sku(vm_sku)
    nodes = -(-replicas // replicas_per_node)
    resources = replica_resources(
        gpus=tp,
        vm_gpus=vm.gpus,
        vm_vcpus=vm.vcpus,
        vm_memory_bytes=vm.memory_bytes,
        checkpoint_bytes=checkpoint_bytes,
    )
    ceiling = max_nodes if max_nodes is not None else nodes * 2
    plan = AksPlan(
        vm_sku=vm_sku,
        gpu=gpu,
        gpus_per_replica=tp,
        tensor_parallel=tp,
        precision=precision,
        replicas=replicas,
        replicas_per_node=replicas_per_node,
        nodes=nodes,
        zones=zones,
        vllm_args=vllm_args,
        replicas_per_region=replicas,
        nodes_per_region=nodes,
        min_nodes_per_region=nodes if min_nodes is None else min_nodes,
        max_nodes_per_region=ceiling,
        hf_model=hf_model,
        max_model_len=max_model_len,
        max_num_seqs=concurrency,
        gpu_memory_utilization=0.9,
        image=planned_image(default_catalog(), VLLM_IMAGE_ID).upstream_reference,
        checkpoint_bytes=checkpoint_bytes,
        vm_vcpus=vm.vcpus,
        vm_memory_bytes=vm.memory_bytes,
        vm_gpus=vm.gpus,
        port=VLLM_PORT,
        pool_name=agent_pool_name(vm_sku),
        container_image=planned_image(default_catalog(), VLLM_IMAGE_ID),
        resources=resources,
        startup=startup_budget(checkpoint_bytes=checkpoint_bytes),
        autoscaling=autoscaling(
            replicas_per_region=replicas,
            replicas_per_node=replicas_per_node,
            max_nodes_per_region=ceiling,
            concurrency_per_replica=concurrency,
        ),
        os_disk_size_gb=node_os_disk_gb(replicas_per_node=replicas_per_node, resources=resources),
        hf_gated=hf_gated,
    )
    return scaled_to_zero(plan) if scale_to_zero or min_nodes == 0 else plan


def aoai_plan(
    *,
    regions: tuple[str, ...],
    model: str = "gpt-4o-mini",
    model_version: str = "2024-07-18",
    deployment_type: str = "DataZoneStandard",
    capacity: int = 100,
    failover_capacity: int = 50,
    residency_scope: str = "datazone",
) -> AzureOpenAIPlan:
    return AzureOpenAIPlan(
        model=model,
        model_version=model_version,
        deployment_type=deployment_type,
        capacity=capacity,
        capacity_unit="ktpm",
        failover=tuple(
            AzureOpenAIFailover(r, deployment_type, failover_capacity, "ktpm", residency_scope)
            for r in regions[1:]
        ),
        residency_scope=residency_scope,
        latency_metrics=deployment_type.endswith("ProvisionedManaged"),
    )


def backends_for(
    regions: tuple[str, ...], *, peak_requests_per_minute: float = 600
) -> GatewayBackends:
    return gateway_backends(
        backends=len(regions), peak_requests_per_minute=peak_requests_per_minute
    )
