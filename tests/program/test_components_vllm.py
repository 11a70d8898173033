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

from components import kubernetes_manifests as km
from inferplan.offline.capture import MOCK_KUBECONFIG, SECRET, capture
from sizing.plan import (
    Alert,
    EnvironmentPlan,
    Gateway,
    KubernetesSettings,
    WorkingHours,
    WorkloadPlan,
)
from tests.plan_builders import aks_plan, backends_for

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "manifests"
UPDATE = os.environ.get("INFERPLAN_UPDATE_GOLDEN") == "1"

KUBERNETES_VERSION = "1.36"
QUERY_URL = "https://amw-test.swedencentral.prometheus.monitor.azure.com"
GATEWAY_CIDR = "10.29.16.0/24"
WIRING = km.ServiceWiring(
    image="acrtest.azurecr.io/vllm/vllm-openai:v0.32.0",
    gateway_cidrs=(GATEWAY_CIDR,),
    vllm_client_id="vllm-client-id",
    key_vault_name="kv-test",
    tenant_id="tenant-id",
    api_key_secret_name="vllm-api-key",
    prometheus_query_url=QUERY_URL,
    keda_client_id="keda-client-id",
    weights_image="acrtest.azurecr.io/azure-cli:2.91.0",
    weights_account="sttestweights",
    endpoint_cidrs=("10.29.17.0/24",),
)
CRD_KINDS = {"ScaledObject", "TriggerAuthentication", "PodMonitor", "SecretProviderClass"}
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
            working_hours=WorkingHours("Europe/Stockholm", "0 7 * * 1-5", "0 19 * * 1-5")
            if scale_to_zero
            else None,
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
    concurrency: int,
    timeout_s: int,
    checkpoint_gib: int,
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
                "prometheus",
                "vllm:time_to_first_token_seconds",
                "percentile",
                1.0,
                300,
                quantile=0.95,
            ),
        ),
        availability=None,
        aks=aks_plan(
            vm_sku=vm_sku,
            tp=tp,
            replicas=replicas,
            zones=zones,
            min_nodes=min_nodes,
            max_nodes=max_nodes,
            concurrency=concurrency,
            checkpoint_bytes=checkpoint_gib * 1024**3,
            hf_model=model,
            vllm_args=(
                f"--model={model}",
                f"--served-model-name={name}",
                f"--tensor-parallel-size={tp}",
                "--max-model-len=8192",
                f"--max-num-seqs={concurrency}",
                "--gpu-memory-utilization=0.9",
                "--host=0.0.0.0",
                "--port=8000",
            ),
        ),
        environment="test",
        gateway_backends=backends_for(("swedencentral",)),
    )


TP2 = _workload(
    "support-chat",
    vm_sku="Standard_NC80adis_H100_v5",
    tp=2,
    replicas=3,
    zones=("1", "2", "3"),
    min_nodes=3,
    max_nodes=6,
    concurrency=16,
    timeout_s=55,
    checkpoint_gib=66,
)
TP1 = _workload(
    "ticket-triage",
    vm_sku="Standard_NC40ads_H100_v5",
    tp=1,
    replicas=2,
    zones=(),
    min_nodes=0,
    max_nodes=4,
    concurrency=6,
    timeout_s=300,
    checkpoint_gib=15,
)
PROD = _environment("prod", scale_to_zero=False)
DEV = _environment("dev", scale_to_zero=True)
CASES = {"tp2-zonal": (TP2, PROD), "tp1-scale-to-zero": (TP1, DEV)}


def render(workload: WorkloadPlan, environment: EnvironmentPlan, **wiring: Any) -> list[dict]:
    return km.vllm_manifests(
        workload,
        region=workload.regions[0],
        environment=environment,
        wiring=dataclasses.replace(WIRING, **wiring),
        hf_secret_name="hf-token",
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
        "Namespace",
        "ServiceAccount",
        "SecretProviderClass",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
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
def test_cpu_memory_and_scratch_are_the_plans(workload, environment):
    objects = render(workload, environment)
    resources = container(objects)["resources"]
    plan = workload.aks.resources
    assert resources["requests"]["cpu"] == str(plan.cpu_request_cores)
    assert resources["limits"]["cpu"] == str(plan.cpu_limit_cores)
    assert resources["requests"]["memory"] == resources["limits"]["memory"]
    assert quantity_bytes(resources["limits"]["memory"]) == plan.memory_bytes
    volumes = {v["name"]: v for v in pod_spec(objects)["volumes"]}
    assert quantity_bytes(volumes["model-cache"]["emptyDir"]["sizeLimit"]) >= (
        workload.aks.checkpoint_bytes
    )
    # the replica's share of the node: gpus / vm_gpus x 0.75 of its vCPUs
    aks = workload.aks
    assert plan.cpu_request_cores == math.floor(
        aks.vm_vcpus * aks.tensor_parallel / aks.vm_gpus * 0.75
    )


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
def test_the_port_is_the_plans_everywhere(workload, environment):
    objects = render(workload, environment)
    port = workload.aks.port
    assert container(objects)["ports"] == [
        {"name": "http", "containerPort": port, "protocol": "TCP"}
    ]
    (ingress,) = by_kind(objects)["NetworkPolicy"]["spec"]["ingress"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": port}]


@case
def test_image_comes_from_the_environments_registry(workload, environment):
    objects = render(workload, environment)
    image = container(objects)["image"]
    assert image == WIRING.image
    assert image.endswith(f"/{workload.aks.container_image.repository}:v0.32.0")
    assert not image.startswith("docker.io/")
    assert container(objects)["imagePullPolicy"] == "IfNotPresent"
    skips = by_kind(objects)["Deployment"]["metadata"]["annotations"]
    assert skips["checkov.io/skip1"].startswith("CKV_K8S_15=")  # the pull-policy decision
    assert skips["checkov.io/skip2"].startswith("CKV_K8S_35=")  # vLLM reads its key from env
    assert skips["checkov.io/skip3"].startswith("CKV_K8S_43=")  # tag, not digest


def test_a_digest_pinned_image_needs_no_digest_skip():
    image = dataclasses.replace(TP2.aks.container_image, digest="sha256:" + "a" * 64)
    aks = dataclasses.replace(TP2.aks, container_image=image)
    deployment = by_kind(render(dataclasses.replace(TP2, aks=aks), PROD))["Deployment"]
    assert "CKV_K8S_43" not in str(deployment["metadata"]["annotations"])


@case
def test_probes_use_health_and_the_plans_startup_budget(workload, environment):
    objects = render(workload, environment)
    c = container(objects)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"] == {"path": "/health", "port": "http", "scheme": "HTTP"}
    startup, budget = c["startupProbe"], workload.aks.startup
    assert startup["periodSeconds"] == budget.probe_period_s
    assert startup["failureThreshold"] == budget.failure_threshold
    assert startup["failureThreshold"] * startup["periodSeconds"] >= budget.budget_s
    assert by_kind(objects)["Deployment"]["spec"]["progressDeadlineSeconds"] == (
        budget.progress_deadline_s
    )
    liveness = c["livenessProbe"]
    assert liveness["failureThreshold"] * liveness["periodSeconds"] >= 60  # survives a long prefill


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
    # volume types the restricted profile allows
    assert {next(iter(set(v) - {"name"})) for v in pod["volumes"]} <= {"emptyDir", "secret", "csi"}


@case
def test_every_cache_and_home_points_at_a_writable_mount(workload, environment):
    c = container(render(workload, environment))
    writable = {m["mountPath"] for m in c["volumeMounts"] if not m.get("readOnly")}
    env = {e["name"]: e for e in c["env"]}
    for var in ("HOME", "HF_HOME", "VLLM_CACHE_ROOT", "TRITON_CACHE_DIR", "XDG_CACHE_HOME"):
        value = env[var]["value"]
        assert any(value == p or value.startswith(p + "/") for p in writable), var
    # The HF token is a file from the optional Secret, never an environment variable.
    assert env["HF_TOKEN_PATH"]["value"] == "/var/run/secrets/huggingface/token"
    (token,) = [v for v in pod_spec(render(workload, environment))["volumes"] if "secret" in v]
    assert token["secret"]["secretName"] == "hf-token" and token["secret"]["optional"] is True


@case
def test_the_api_key_comes_from_key_vault_through_the_csi_driver(workload, environment):
    objects = render(workload, environment)
    c = container(objects)
    from_secrets = [e for e in c["env"] if "valueFrom" in e]
    assert from_secrets == [
        {
            "name": "VLLM_API_KEY",
            "valueFrom": {"secretKeyRef": {"name": "vllm-api-key", "key": "api-key"}},
        }
    ]
    provider = by_kind(objects)["SecretProviderClass"]
    params = provider["spec"]["parameters"]
    assert params["clientID"] == WIRING.vllm_client_id
    assert params["keyvaultName"] == WIRING.key_vault_name
    assert params["tenantId"] == WIRING.tenant_id
    assert "objectName: vllm-api-key" in params["objects"]
    (synced,) = provider["spec"]["secretObjects"]
    assert synced["secretName"] == "vllm-api-key"
    (csi,) = [v["csi"] for v in pod_spec(objects)["volumes"] if "csi" in v]
    assert csi["volumeAttributes"]["secretProviderClass"] == provider["metadata"]["name"]
    account = by_kind(objects)["ServiceAccount"]
    annotations = account["metadata"]["annotations"]
    assert annotations["azure.workload.identity/client-id"] == WIRING.vllm_client_id


@case
def test_pods_land_on_the_workloads_gpu_pool(workload, environment):
    objects = render(workload, environment)
    pod = pod_spec(objects)
    assert pod["nodeSelector"] == {"inferplan.io/pool": workload.aks.pool_name}
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
def test_network_policy_admits_the_gateway_and_the_scraper_only(workload, environment):
    spec = by_kind(render(workload, environment))["NetworkPolicy"]["spec"]
    (ingress,) = spec["ingress"]
    sources = ingress["from"]
    assert {"ipBlock": {"cidr": GATEWAY_CIDR}} in sources
    scraper = [s for s in sources if "podSelector" in s]
    assert scraper == [km.SCRAPER_SELECTOR]
    dns, https = spec["egress"]
    assert dns["to"] == [km.DNS_SELECTOR]
    (block,) = https["to"]
    assert block["ipBlock"]["cidr"] == "0.0.0.0/0"
    for private in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"):
        assert private in block["ipBlock"]["except"]
    assert https["ports"] == [{"protocol": "TCP", "port": 443}]


def test_a_workload_no_gateway_may_call_is_refused():
    with pytest.raises(ValueError, match="no gateway subnet"):
        render(TP2, PROD, gateway_cidrs=())


@case
def test_disruption_budget_allows_one_replica_down(workload, environment):
    pdb = by_kind(render(workload, environment))["PodDisruptionBudget"]
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == km.selector_labels(workload)


@case
def test_scaled_object_takes_its_bounds_and_target_from_the_plan(workload, environment):
    objects = render(workload, environment)
    scaled = by_kind(objects)["ScaledObject"]["spec"]
    plan = workload.aks.autoscaling
    assert scaled["minReplicaCount"] == plan.min_replicas
    assert scaled["maxReplicaCount"] == plan.max_replicas
    assert (
        scaled["fallback"]["replicas"] == plan.fallback_replicas == workload.aks.replicas_per_region
    )
    assert scaled["scaleTargetRef"]["name"] == by_kind(objects)["Deployment"]["metadata"]["name"]
    queue, *cron = scaled["triggers"]
    assert queue["metadata"]["threshold"] == f"{plan.queue_depth_target:g}"
    assert queue["metadata"]["serverAddress"] == QUERY_URL
    assert queue["metadata"]["query"] == (
        f'sum(vllm:num_requests_waiting{{namespace="{workload.name}",region="swedencentral"}})'
    )
    auth = by_kind(objects)["TriggerAuthentication"]
    assert queue["authenticationRef"]["name"] == auth["metadata"]["name"]
    assert auth["spec"]["podIdentity"] == {
        "provider": "azure-workload",
        "identityId": WIRING.keda_client_id,
    }
    if plan.min_replicas == 0:  # scale to zero: working hours hold the planned replicas
        (hours,) = cron
        assert hours["metadata"]["desiredReplicas"] == str(plan.working_hours_replicas)
    else:
        assert cron == []


def test_without_a_query_endpoint_there_is_no_autoscaling():
    kinds = {o["kind"] for o in render(TP2, PROD, prometheus_query_url=None)}
    assert kinds == {*BUILT_IN_KINDS, "SecretProviderClass", "PodMonitor"}


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


def test_a_workload_not_on_aks_is_rejected():
    with pytest.raises(ValueError, match="not planned onto AKS"):
        km.vllm_manifests(
            dataclasses.replace(TP2, aks=None, target="azure-openai"),
            region="swedencentral",
            environment=PROD,
            wiring=WIRING,
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
                environment=environment,
                wiring=WIRING,
                hf_secret_name="hf-token",
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
    from pulumi_azure_native import containerservice, managedidentity

    from components.federation import FederationChain
    from components.vllm_service import VllmService, VllmWiring

    def program() -> None:
        sku = workload.aks.vm_sku
        pool = containerservice.AgentPool(
            "gpu-pool",
            resource_group_name="rg-test",
            resource_name_="aks-test",
            agent_pool_name=workload.aks.pool_name,
            vm_size=sku,
        )
        identity = managedidentity.UserAssignedIdentity(
            "vllm-identity", resource_name_="id-test-vllm", resource_group_name="rg-test"
        )
        # Stands in for GpuCluster: the attributes VllmService reads.
        cluster = SimpleNamespace(
            provider=k8s.Provider("k8s", kubeconfig=pulumi.Output.secret(MOCK_KUBECONFIG)),
            pools={workload.aks.pool_name: pool},  # GpuCluster keys its pools by name
            cluster_name="aks-test",
            resource_group_name="rg-test",
            oidc_issuer_url="https://oidc.test/aks-test/",
            vllm_identity=identity,
            vllm_federations=FederationChain(
                identity, resource_group_name="rg-test", issuer="https://oidc.test/aks-test/"
            ),
            vllm_access=[],
            keda_client_id=pulumi.Output.from_input("keda-client-id"),
            keda_access=[],
        )
        service = VllmService(
            "vllm-test",
            environment=PROD,
            workload=workload,
            region="swedencentral",
            cluster=cluster,
            wiring=VllmWiring(
                registry_login_server="acrtest.azurecr.io",
                gateway_cidrs=(GATEWAY_CIDR,),
                key_vault_name="kv-test",
                tenant_id="tenant-id",
                api_key_secret_name="vllm-api-key",
                prometheus_query_url=query_url,
            ),
            hf_token=None if hf_token is None else pulumi.Output.secret(hf_token),
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
    assert sorted(children) == sorted(
        [*BUILT_IN_KINDS, "Secret", *CRD_KINDS, "FederatedIdentityCredential"]
    )
    for r in captured.resources:
        if r.type.startswith("kubernetes:"):
            assert r.parent == component.urn
            assert r.inputs["metadata"]["name"]  # explicit names: no auto-naming


def test_every_kubernetes_resource_uses_the_clusters_provider(captured):
    provider = captured.get("pulumi:providers:kubernetes", "k8s")
    for r in captured.resources:
        if r.type.startswith("kubernetes:"):
            assert captured.key_of(r.provider) == provider.key


def test_the_service_account_is_federated_with_the_clusters_vllm_identity(captured):
    federation = captured.get(
        "azure-native:managedidentity:FederatedIdentityCredential", "vllm-test-federation"
    )
    assert federation.inputs["subject"] == f"system:serviceaccount:{TP2.name}:{TP2.name}"
    assert federation.inputs["issuer"] == "https://oidc.test/aks-test/"
    assert federation.inputs["audiences"] == ["api://AzureADTokenExchange"]
    assert federation.inputs["resourceName"] == "id-test-vllm"
    account = captured.get("kubernetes:core/v1:ServiceAccount", "vllm-test-serviceaccount")
    annotations = account.inputs["metadata"]["annotations"]
    assert annotations["azure.workload.identity/client-id"] == "id-test-vllm-client-id"


def test_deployment_waits_for_the_gpu_pool_the_token_and_its_key(captured):
    deployment = captured.get("kubernetes:apps/v1:Deployment", "vllm-test-deployment")
    waits_for = {captured.key_of(u) for u in deployment.depends_on}
    assert "azure-native:containerservice:AgentPool::gpu-pool" in waits_for
    assert "kubernetes:core/v1:Secret::vllm-test-hf-token" in waits_for
    assert (
        "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass::"
        "vllm-test-secretproviderclass"
    ) in waits_for
    assert (
        "azure-native:managedidentity:FederatedIdentityCredential::vllm-test-federation"
    ) in waits_for
    assert deployment.ignore_changes == ("spec.replicas",)  # KEDA owns it


def test_deployment_inputs_are_the_rendered_manifest_with_the_outputs_put_back(captured):
    deployment = captured.get("kubernetes:apps/v1:Deployment", "vllm-test-deployment")
    expected = by_kind(render(TP2, PROD))["Deployment"]
    expected["spec"]["template"]["spec"]["containers"][0]["image"] = (
        "acrtest.azurecr.io/vllm/vllm-openai:v0.32.0"
    )
    assert deployment.inputs == yaml.safe_load(yaml.safe_dump(expected))


def test_hf_token_is_stored_as_a_pulumi_secret(captured):
    secret = captured.get("kubernetes:core/v1:Secret", "vllm-test-hf-token")
    assert secret.inputs["stringData"] == {SECRET: {"token": "hf_test_token"}}
    assert secret.inputs["metadata"] == {
        "name": "hf-token",
        "namespace": TP2.name,
        "labels": km.common_labels(TP2),
    }


def test_scaled_object_points_at_the_query_endpoint_as_kedas_identity(captured):
    scaled = captured.get("kubernetes:keda.sh/v1alpha1:ScaledObject", "vllm-test-scaledobject")
    assert scaled.inputs["spec"]["triggers"][0]["metadata"]["serverAddress"] == QUERY_URL
    auth = captured.get(
        "kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "vllm-test-triggerauth"
    )
    assert auth.inputs["spec"]["podIdentity"]["identityId"] == "keda-client-id"


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


# --- MIG, spot and AMD pools: what the pods ask for and tolerate -------------------------------


def _on(workload: WorkloadPlan, **aks: Any) -> WorkloadPlan:
    return dataclasses.replace(workload, aks=dataclasses.replace(workload.aks, **aks))


def test_a_mig_replica_requests_one_nvidia_gpu_the_single_strategy_instance():
    mig = _on(TP1, tensor_parallel=1, gpus_per_replica=1, gpu_instance_profile="MIG1g",
              mig_instance="1g.10gb")  # fmt: skip
    c = container(render(mig, PROD))
    assert c["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert c["resources"]["requests"]["nvidia.com/gpu"] == "1"
    assert not any(k.startswith("nvidia.com/mig-") for k in c["resources"]["limits"])


def test_a_spot_replica_tolerates_the_taint_aks_puts_on_spot_pools():
    spot = pod_spec(render(_on(TP1, spot=True), PROD))
    assert {
        "key": "kubernetes.azure.com/scalesetpriority",
        "operator": "Equal",
        "value": "spot",
        "effect": "NoSchedule",
    } in spot["tolerations"]
    regular = pod_spec(render(TP1, PROD))
    assert all(t["key"] != "kubernetes.azure.com/scalesetpriority" for t in regular["tolerations"])
    assert spot["nodeSelector"] == {"inferplan.io/pool": TP1.aks.pool_name}


def test_an_amd_replica_requests_amd_gpus_and_tolerates_the_amd_taint():
    amd = _on(TP2, gpu_vendor="amd")
    objects = render(amd, PROD)
    limits = container(objects)["resources"]["limits"]
    assert limits["amd.com/gpu"] == str(TP2.aks.tensor_parallel)
    assert "nvidia.com/gpu" not in limits
    tolerations = pod_spec(objects)["tolerations"]
    assert {"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in tolerations
    assert all(t["key"] != "nvidia.com/gpu" for t in tolerations)


@pytest.mark.parametrize(
    "aks", [{"spot": True}, {"gpu_vendor": "amd"}, {"gpu_instance_profile": "MIG2g"}]
)
def test_mig_spot_and_amd_deployments_validate_against_the_kubernetes_schema(aks):
    for o in render(_on(TP2, **aks), PROD):
        if o["kind"] in CRD_KINDS:
            continue
        kubernetes_validate.validate(o, KUBERNETES_VERSION, strict=True)
