"""vLLM on AKS: the manifests a Plan renders to, and the VllmService that deploys them.

Two hand-built plans keep these tests independent of sizing changes: a zonal tensor-parallel-2
deployment (prod-like, autoscaler floor above zero) and a single-GPU one in an environment whose
GPU pools scale to zero. The example stacks' plans are rendered too, for schema validity.
"""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from inferplan.components import kubernetes_manifests as km
from inferplan.components.naming import agent_pool_name
from inferplan.sizing.plan import (
    AksPlan,
    Alert,
    EnvironmentPlan,
    Gateway,
    KubernetesSettings,
    WorkloadPlan,
)

from inferplan.offline.capture import MOCK_KUBECONFIG, SECRET, capture

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "manifests"
UPDATE = os.environ.get("INFERPLAN_UPDATE_GOLDEN") == "1"

KUBERNETES_VERSION = "1.31"
QUERY_URL = "https://amw-test.swedencentral.prometheus.monitor.azure.com"
CRD_KINDS = {"ScaledObject", "TriggerAuthentication", "PodMonitor"}  # no schema offline
BUILT_IN_KINDS = [
    "Namespace",
    "ServiceAccount",
    "Deployment",
    "Service",
    "PodDisruptionBudget",
    "NetworkPolicy",
]


def _environment(name: str, *, scale_to_zero: bool) -> EnvironmentPlan:
    return EnvironmentPlan(
        name=name,
        location="swedencentral",
        monthly_usd=0.0,
        max_monthly_usd=None,
        workloads=(),
        kubernetes=KubernetesSettings(
            version=KUBERNETES_VERSION,
            system_vm_size="Standard_D4ds_v5",
            system_node_count=3,
            gpu_scale_to_zero=scale_to_zero,
        ),
    )


def _workload(
    name: str,
    *,
    vm_sku: str,
    tp: int,
    replicas: int,
    zones: tuple[str, ...],
    min_nodes: int,
    max_nodes: int,
    queue_threshold: float,
    timeout_s: int,
) -> WorkloadPlan:
    model = "meta-llama/Llama-3.1-70B-Instruct" if tp > 1 else "meta-llama/Llama-3.1-8B-Instruct"
    return WorkloadPlan(
        name=name,
        feasible=True,
        target="aks-vllm",
        model="llama",
        regions=("swedencentral",),
        predicted=None,
        cost=None,
        reasons=(),
        alternatives=(),
        gateway=Gateway(
            max_tokens=800, tokens_per_minute=100000, timeout_s=timeout_s, streaming=True
        ),
        alerts=(
            Alert(
                "ttft-p95",
                "histogram_quantile(0.95, vllm:time_to_first_token_seconds)",
                1.0,
                "PT5M",
            ),
            Alert("queue-depth", "max(vllm:num_requests_waiting)", queue_threshold, "PT5M"),
        ),
        availability=None,
        aks=AksPlan(
            vm_sku=vm_sku,
            gpu="h100-nvl",
            gpus_per_replica=tp,
            tensor_parallel=tp,
            precision="fp8",
            replicas=replicas,
            replicas_per_node=1,
            nodes=replicas,
            zones=zones,
            vllm_args=(
                f"--model={model}",
                f"--served-model-name={name}",
                f"--tensor-parallel-size={tp}",
                "--max-model-len=8192",
                "--max-num-seqs=16",
                "--gpu-memory-utilization=0.9",
                "--host=0.0.0.0",
                "--port=8000",
            ),
            replicas_per_region=replicas,
            nodes_per_region=replicas,
            min_nodes_per_region=min_nodes,
            max_nodes_per_region=max_nodes,
            hf_model=model,
            max_model_len=8192,
            max_num_seqs=16,
            image="docker.io/vllm/vllm-openai:v0.11.0",
        ),
        environment="test",
    )


TP2 = _workload(
    "support-chat",
    vm_sku="Standard_NC80adis_H100_v5",
    tp=2,
    replicas=3,
    zones=("1", "2", "3"),
    min_nodes=3,
    max_nodes=6,
    queue_threshold=4.0,
    timeout_s=55,
)
TP1 = _workload(
    "ticket-triage",
    vm_sku="Standard_NC40ads_H100_v5",
    tp=1,
    replicas=2,
    zones=(),
    min_nodes=0,
    max_nodes=4,
    queue_threshold=1.5,
    timeout_s=300,
)
PROD = _environment("prod", scale_to_zero=False)
DEV = _environment("dev", scale_to_zero=True)
CASES = {"tp2-zonal": (TP2, PROD), "tp1-scale-to-zero": (TP1, DEV)}


def render(workload: WorkloadPlan, environment: EnvironmentPlan, **kwargs: Any) -> list[dict]:
    kwargs.setdefault("prometheus_query_url", QUERY_URL)
    return km.vllm_manifests(
        workload,
        region=workload.regions[0],
        pool_name=agent_pool_name(workload.aks.vm_sku),
        environment=environment,
        hf_secret_name="hf-token",
        **kwargs,
    )


def by_kind(objects: list[dict]) -> dict[str, dict]:
    kinds = [o["kind"] for o in objects]
    assert len(kinds) == len(set(kinds)), kinds
    return {o["kind"]: o for o in objects}


def container(objects: list[dict]) -> dict:
    (only,) = by_kind(objects)["Deployment"]["spec"]["template"]["spec"]["containers"]
    return only


def pod_spec(objects: list[dict]) -> dict:
    return by_kind(objects)["Deployment"]["spec"]["template"]["spec"]


def to_yaml(objects: list[dict]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=True)


def quantity_bytes(quantity: str) -> int:
    units = {"Gi": 1024**3, "Mi": 1024**2}
    return int(quantity[:-2]) * units[quantity[-2:]]


case = pytest.mark.parametrize(("workload", "environment"), CASES.values(), ids=CASES.keys())


# --- the manifests -----------------------------------------------------------------------------


@case
def test_objects_come_in_a_fixed_order_all_in_the_workload_namespace(workload, environment):
    objects = render(workload, environment)
    assert [o["kind"] for o in objects] == [
        *BUILT_IN_KINDS,
        "TriggerAuthentication",
        "ScaledObject",
        "PodMonitor",
    ]
    assert all(o["metadata"]["name"] for o in objects)
    assert {o["metadata"].get("namespace") for o in objects[1:]} == {workload.name}
    for o in objects:
        assert o["metadata"]["labels"]["inferplan.io/workload"] == workload.name
        assert o["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "inferplan"


@case
def test_gpu_requests_equal_limits_equal_tensor_parallel(workload, environment):
    resources = container(render(workload, environment))["resources"]
    tp = str(workload.aks.tensor_parallel)
    assert resources["requests"]["nvidia.com/gpu"] == resources["limits"]["nvidia.com/gpu"] == tp


@case
def test_cpu_and_memory_follow_the_per_gpu_rule(workload, environment):
    resources = container(render(workload, environment))["resources"]
    gpus = workload.aks.tensor_parallel
    assert resources["requests"]["cpu"] == str(gpus * km.CPU_REQUEST_PER_GPU)
    assert resources["limits"]["cpu"] == str(gpus * km.CPU_LIMIT_PER_GPU)
    assert resources["requests"]["memory"] == resources["limits"]["memory"]
    assert quantity_bytes(resources["limits"]["memory"]) == gpus * km.MEMORY_BYTES_PER_GPU
    # The rule must schedule on the smallest catalog GPU VM: NC4as_T4_v3, 4 vCPU, 28 GiB per GPU.
    assert km.CPU_REQUEST_PER_GPU <= 4 and km.MEMORY_BYTES_PER_GPU <= 22 * 1024**3


@case
def test_dev_shm_is_memory_backed_and_fits_inside_the_memory_limit(workload, environment):
    objects = render(workload, environment)
    volumes = {v["name"]: v for v in pod_spec(objects)["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container(objects)["volumeMounts"]}
    shm = volumes[mounts["/dev/shm"]]["emptyDir"]
    assert shm["medium"] == "Memory"
    limit = quantity_bytes(container(objects)["resources"]["limits"]["memory"])
    assert 0 < quantity_bytes(shm["sizeLimit"]) < limit


@case
def test_plan_flags_are_copied_as_is(workload, environment):
    args = container(render(workload, environment))["args"]
    assert args == list(workload.aks.vllm_args)
    assert f"--tensor-parallel-size={workload.aks.tensor_parallel}" in args
    assert any(a.startswith("--max-model-len=") for a in args)


@case
def test_image_is_the_plans_pinned_version(workload, environment):
    objects = render(workload, environment)
    image = container(objects)["image"]
    assert image == workload.aks.image
    repository, tag = image.rsplit(":", 1)
    assert tag != "latest" and tag[0] == "v" and "/" in repository
    assert container(objects)["imagePullPolicy"] == "IfNotPresent"
    skips = by_kind(objects)["Deployment"]["metadata"]["annotations"]
    assert skips["checkov.io/skip1"].startswith("CKV_K8S_15=")  # the pull-policy decision
    assert skips["checkov.io/skip2"].startswith("CKV_K8S_43=")  # tag, not digest


def test_a_digest_pinned_image_needs_no_digest_skip():
    aks = dataclasses.replace(TP2.aks, image="docker.io/vllm/vllm-openai@sha256:" + "a" * 64)
    deployment = by_kind(render(dataclasses.replace(TP2, aks=aks), PROD))["Deployment"]
    assert "CKV_K8S_43" not in str(deployment["metadata"]["annotations"])


@case
def test_probes_use_health_and_the_startup_budget(workload, environment):
    c = container(render(workload, environment))
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"] == {"path": "/health", "port": "http", "scheme": "HTTP"}
    startup = c["startupProbe"]
    # budget = pull + download + load + compile, for TP x the per-GPU checkpoint bound
    size = workload.aks.tensor_parallel * km.CHECKPOINT_BOUND_BYTES_PER_GPU
    budget = (
        km.IMAGE_PULL_S
        + size / km.DOWNLOAD_BYTES_PER_S
        + size / km.LOAD_BYTES_PER_S
        + km.COMPILE_AND_CAPTURE_S
    )
    assert startup["failureThreshold"] == math.ceil(math.ceil(budget) / startup["periodSeconds"])
    assert startup["failureThreshold"] * startup["periodSeconds"] >= 15 * 60  # [vllm-serving §4]
    liveness = c["livenessProbe"]
    assert liveness["failureThreshold"] * liveness["periodSeconds"] >= 60  # survives a long prefill


def test_a_bigger_tensor_parallel_size_gets_a_longer_startup_budget():
    assert km.startup_budget_s(TP2.aks) > km.startup_budget_s(TP1.aks)


@case
def test_pod_meets_the_restricted_pod_security_profile(workload, environment):
    objects = render(workload, environment)
    namespace = by_kind(objects)["Namespace"]["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "restricted"
    assert namespace["pod-security.kubernetes.io/enforce-version"] == f"v{KUBERNETES_VERSION}"
    pod = pod_spec(objects)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert by_kind(objects)["ServiceAccount"]["automountServiceAccountToken"] is False
    sc = container(objects)["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["runAsUser"] >= 10000  # checkov CKV_K8S_40
    assert {next(iter(set(v) - {"name"})) for v in pod["volumes"]} <= {"emptyDir", "secret"}


@case
def test_every_cache_and_home_points_at_a_writable_mount(workload, environment):
    c = container(render(workload, environment))
    writable = {m["mountPath"] for m in c["volumeMounts"] if not m.get("readOnly")}
    env = {e["name"]: e["value"] for e in c["env"]}
    for var in ("HOME", "HF_HOME", "VLLM_CACHE_ROOT", "TRITON_CACHE_DIR", "XDG_CACHE_HOME"):
        assert any(env[var] == p or env[var].startswith(p + "/") for p in writable), var
    # The token is a file from the optional Secret, never an environment variable (CKV_K8S_35).
    assert env["HF_TOKEN_PATH"] == "/var/run/secrets/huggingface/token"
    assert not any("valueFrom" in e for e in c["env"])
    (token,) = [v for v in pod_spec(render(workload, environment))["volumes"] if "secret" in v]
    assert token["secret"]["secretName"] == "hf-token" and token["secret"]["optional"] is True


@case
def test_pods_land_on_the_workloads_gpu_pool(workload, environment):
    objects = render(workload, environment)
    pod = pod_spec(objects)
    assert pod["nodeSelector"] == {"inferplan.io/pool": agent_pool_name(workload.aks.vm_sku)}
    # GpuCluster taints its pools nvidia.com/gpu=present:NoSchedule
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    keys = [c["topologyKey"] for c in pod["topologySpreadConstraints"]]
    zonal = "topology.kubernetes.io/zone" in keys
    assert zonal == bool(workload.aks.zones)
    assert "kubernetes.io/hostname" in keys
    assert pod["terminationGracePeriodSeconds"] == km.PRE_STOP_SLEEP_S + workload.gateway.timeout_s


@case
def test_service_is_an_internal_load_balancer_only(workload, environment):
    service = by_kind(render(workload, environment))["Service"]
    assert service["spec"]["type"] == "LoadBalancer"
    annotations = service["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"
    idle = int(annotations["service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout"])
    assert 4 <= idle <= 100 and idle * 60 >= workload.gateway.timeout_s
    (port,) = service["spec"]["ports"]
    assert port == {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    assert "loadBalancerSourceRanges" not in service["spec"]


@case
def test_disruption_budget_allows_one_replica_down(workload, environment):
    pdb = by_kind(render(workload, environment))["PodDisruptionBudget"]
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == km.selector_labels(workload)


@case
def test_scaled_object_takes_its_bounds_and_threshold_from_the_plan(workload, environment):
    objects = render(workload, environment)
    scaled = by_kind(objects)["ScaledObject"]["spec"]
    aks = workload.aks
    floor = 0 if aks.min_nodes_per_region == 0 else aks.replicas_per_region
    assert scaled["minReplicaCount"] == floor
    assert scaled["maxReplicaCount"] == aks.max_nodes_per_region * aks.replicas_per_node
    assert scaled["fallback"]["replicas"] == aks.replicas_per_region
    assert scaled["scaleTargetRef"]["name"] == by_kind(objects)["Deployment"]["metadata"]["name"]
    (trigger,) = scaled["triggers"]
    queue_alert = next(a for a in workload.alerts if a.name == "queue-depth")
    assert trigger["metadata"]["threshold"] == f"{queue_alert.threshold:g}"
    assert trigger["metadata"]["serverAddress"] == QUERY_URL
    assert trigger["metadata"]["query"] == (
        f'sum(vllm:num_requests_waiting{{namespace="{workload.name}",region="swedencentral"}})'
    )
    auth = by_kind(objects)["TriggerAuthentication"]
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    assert auth["spec"]["podIdentity"] == {"provider": "azure-workload"}


def test_without_a_query_endpoint_there_is_no_autoscaling():
    kinds = {o["kind"] for o in render(TP2, PROD, prometheus_query_url=None)}
    assert kinds == {*BUILT_IN_KINDS, "PodMonitor"}


@case
def test_pod_monitor_scrapes_metrics_and_labels_the_region(workload, environment):
    objects = render(workload, environment)
    monitor = by_kind(objects)["PodMonitor"]
    assert monitor["apiVersion"] == "azmonitoring.coreos.com/v1"
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"], endpoint["interval"]) == ("http", "/metrics", "30s")
    assert endpoint["relabelings"][0]["replacement"] == workload.regions[0]
    template_labels = by_kind(objects)["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= template_labels.items()


def test_a_plan_without_a_queue_depth_alert_is_rejected():
    workload = dataclasses.replace(TP2, alerts=())
    with pytest.raises(ValueError, match="queue-depth"):
        render(workload, PROD)
    assert {o["kind"] for o in render(workload, PROD, prometheus_query_url=None)}  # no KEDA: fine


def test_a_workload_not_on_aks_is_rejected():
    with pytest.raises(ValueError, match="not planned onto AKS"):
        km.vllm_manifests(
            dataclasses.replace(TP2, aks=None, target="azure-openai"),
            region="swedencentral",
            pool_name="x",
            environment=PROD,
            hf_secret_name="hf-token",
        )


# --- validity, determinism and golden files ------------------------------------------------------


def _validate(objects: list[dict]) -> set[str]:
    """Validate the built-in kinds against Kubernetes' own schema; return the kinds skipped."""
    skipped = set()
    for o in objects:
        if o["kind"] in CRD_KINDS:  # kubernetes_validate ships no KEDA or Azure Monitor schema
            skipped.add(o["kind"])
            continue
        kubernetes_validate.validate(o, KUBERNETES_VERSION, strict=True)
    return skipped


@case
def test_every_built_in_object_validates_against_the_kubernetes_schema(workload, environment):
    assert _validate(render(workload, environment)) == CRD_KINDS


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_example_workload_renders_valid_manifests(stack, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    environment = plan.environment(stack)
    rendered = 0
    for workload in plan.workloads_of(stack):
        if workload.aks is None or not workload.feasible:
            continue
        for region in workload.regions:
            objects = km.vllm_manifests(
                workload,
                region=region,
                pool_name=agent_pool_name(workload.aks.vm_sku),
                environment=environment,
                hf_secret_name="hf-token",
                prometheus_query_url=QUERY_URL,
            )
            assert _validate(objects) == CRD_KINDS
            rendered += 1
    assert rendered


@case
def test_the_same_plan_renders_identical_yaml(workload, environment):
    assert to_yaml(render(workload, environment)) == to_yaml(render(workload, environment))


@pytest.mark.parametrize("name", CASES.keys())
def test_manifests_match_the_reviewed_golden_files(name):
    """Regenerate deliberately with INFERPLAN_UPDATE_GOLDEN=1 and review the diff."""
    path = GOLDEN / f"{name}.yaml"
    text = to_yaml(render(*CASES[name]))
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


def test_checkov_passes_every_built_in_kubernetes_check(tmp_path):
    """Run the isolated checkov that ./dev sets up (.venv-checkov) over both golden cases."""
    from inferplan.review.checks import find_checkov

    checkov = find_checkov()
    assert checkov is not None, "checkov missing: run the tests through ./dev test"
    for name, (workload, environment) in CASES.items():
        (tmp_path / f"{name}.yaml").write_text(to_yaml(render(workload, environment)))
    result = subprocess.run(
        [
            str(checkov),
            "-d",
            str(tmp_path),
            "--framework",
            "kubernetes",
            "--skip-download",
            "--compact",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


# --- VllmService under capture --------------------------------------------------------------------


def _program(workload: WorkloadPlan, *, hf_token: str | None, query_url: str | None):
    from inferplan.components.vllm_service import VllmService
    from pulumi_azure_native import containerservice

    def program() -> None:
        sku = workload.aks.vm_sku
        pool = containerservice.AgentPool(
            "gpu-pool",
            resource_group_name="rg-test",
            resource_name_="aks-test",
            agent_pool_name=agent_pool_name(sku),
            vm_size=sku,
        )
        # Stands in for GpuCluster: the attributes VllmService reads.
        cluster = SimpleNamespace(
            provider=k8s.Provider("k8s", kubeconfig=pulumi.Output.secret(MOCK_KUBECONFIG)),
            pool_names={sku: agent_pool_name(sku)},
            pools={sku: pool},
            cluster_name="aks-test",
        )
        service = VllmService(
            "vllm-test",
            environment=PROD,
            workload=workload,
            region="swedencentral",
            cluster=cluster,
            hf_token=None if hf_token is None else pulumi.Output.secret(hf_token),
            prometheus_query_url=query_url,
        )
        pulumi.export("url", service.url)
        pulumi.export("namespace", service.namespace)
        pulumi.export("serviceName", service.service_name)

    return program


@pytest.fixture(scope="module")
def captured():
    return capture(_program(TP2, hf_token="hf_test_token", query_url=QUERY_URL), preview=False)


def test_service_registers_every_manifest_as_a_typed_resource(captured):
    component = captured.get("inferplan:kubernetes:VllmService", "vllm-test")
    children = [r.type.rsplit(":", 1)[-1] for r in captured.resources if r.parent == component.urn]
    assert sorted(children) == sorted([*BUILT_IN_KINDS, "Secret", *CRD_KINDS])
    for r in captured.resources:
        if r.type.startswith("kubernetes:"):
            assert r.parent == component.urn
            assert r.inputs["metadata"]["name"]  # explicit names: no auto-naming


def test_every_kubernetes_resource_uses_the_clusters_provider(captured):
    provider = captured.get("pulumi:providers:kubernetes", "k8s")
    for r in captured.resources:
        if r.type.startswith("kubernetes:"):
            assert captured.key_of(r.provider) == provider.key


def test_deployment_waits_for_the_gpu_pool_and_the_token(captured):
    deployment = captured.get("kubernetes:apps/v1:Deployment", "vllm-test-deployment")
    waits_for = {captured.key_of(u) for u in deployment.depends_on}
    assert "azure-native:containerservice:AgentPool::gpu-pool" in waits_for
    assert "kubernetes:core/v1:Secret::vllm-test-hf-token" in waits_for
    assert deployment.ignore_changes == ("spec.replicas",)  # KEDA owns it


def test_deployment_inputs_are_the_rendered_manifest(captured):
    deployment = captured.get("kubernetes:apps/v1:Deployment", "vllm-test-deployment")
    expected = by_kind(render(TP2, PROD))["Deployment"]
    assert deployment.inputs == yaml.safe_load(yaml.safe_dump(expected))


def test_hf_token_is_stored_as_a_pulumi_secret(captured):
    secret = captured.get("kubernetes:core/v1:Secret", "vllm-test-hf-token")
    assert secret.inputs["stringData"] == {SECRET: {"token": "hf_test_token"}}
    assert secret.inputs["metadata"] == {
        "name": "hf-token",
        "namespace": TP2.name,
        "labels": km.common_labels(TP2),
    }


def test_scaled_object_points_at_the_query_endpoint(captured):
    scaled = captured.get("kubernetes:keda.sh/v1alpha1:ScaledObject", "vllm-test-scaledobject")
    assert scaled.inputs["spec"]["triggers"][0]["metadata"]["serverAddress"] == QUERY_URL


def test_url_is_the_internal_load_balancer_address(captured):
    url = captured.exports["url"]
    assert url.startswith("http://10.") and url.endswith(":80")
    assert captured.exports["namespace"] == TP2.name
    assert captured.exports["serviceName"] == TP2.name


def test_without_a_token_or_query_endpoint_the_service_still_deploys():
    result = capture(_program(TP1, hf_token=None, query_url=None), preview=True)
    types = {r.type for r in result.resources}
    assert "kubernetes:core/v1:Secret" not in types
    assert not any("keda.sh" in t for t in types)
    deployment = result.get("kubernetes:apps/v1:Deployment", "vllm-test-deployment")
    assert deployment.ignore_changes == ()  # Pulumi keeps the Plan's replica count
    volumes = deployment.inputs["spec"]["template"]["spec"]["volumes"]
    assert {"secretName": "hf-token", "optional": True}.items() <= next(
        v["secret"] for v in volumes if "secret" in v
    ).items()
