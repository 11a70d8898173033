"""The Pulumi program end to end, offline: preview, render, stability and determinism."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, capture_environment

from components.program import (
    InfeasiblePlanError,
    StackConfigError,
    authorized_ranges,
    deployable,
    run_stack,
    stack_plan,
)
from inferplan.cli.main import main
from inferplan.offline.capture import capture
from inferplan.offline.render import render_files
from sizing.deploy.pool_names import agent_pool_name

# Custom resources: no schema offline.
CRD_KINDS = {"ScaledObject", "TriggerAuthentication", "PodMonitor", "SecretProviderClass"}
# What a stack's Pulumi config gives the program (fixed stand-ins, never real credentials).
DOCKER_HUB = {"inferplan:dockerHubUsername": "test-user", "inferplan:dockerHubToken": "test-token"}


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)


def keys(result) -> set[str]:
    return {r.key for r in result.resources}


def test_the_program_entry_point_builds_the_dev_stack() -> None:
    """What ``pulumi up`` runs: stacks/dev.yaml -> plan -> components, under mocks."""
    result = capture(
        lambda: run_stack("dev"),
        stack="dev",
        config=DOCKER_HUB,
        secret_keys=["inferplan:dockerHubToken"],
    )
    types = {r.type for r in result.resources}
    for expected in (
        "azure-native:containerservice:ManagedCluster",
        "azure-native:containerservice:AgentPool",
        "azure-native:cognitiveservices:Account",
        "azure-native:cognitiveservices:Deployment",
        "azure-native:apimanagement:ApiManagementService",
        "azure-native:monitor:ActionGroup",
        "kubernetes:apps/v1:Deployment",
    ):
        assert expected in types
    assert set(result.exports) >= {"gatewayUrl", "endpoints", "monthlyCostUsd"}


CREDENTIAL_SET = "azure-native:containerregistry:CredentialSet"
CACHE_RULE = "azure-native:containerregistry:CacheRule"


@pytest.mark.parametrize(
    ("config", "credential_sets", "imported"),
    [
        # Artifact cache pulls from Docker Hub authenticated only [acr-cache]: no credentials,
        # no cache rule for it; vLLM is imported once (az acr import) like the device plugin.
        pytest.param(
            {},
            0,
            ["nvidia/k8s-device-plugin:v0.18.0", "vllm/vllm-openai:v0.32.0"],
            id="no-credentials-import",
        ),
        pytest.param(DOCKER_HUB, 1, ["nvidia/k8s-device-plugin:v0.18.0"], id="credentials-cache"),
    ],
)
def test_docker_hub_credentials_decide_whether_the_registry_caches_or_imports_vllm(
    config, credential_sets, imported
) -> None:
    secret = [k for k in config if k.endswith("Token")]
    result = capture(lambda: run_stack("dev"), stack="dev", config=config, secret_keys=secret)

    assert len(result.of_type(CREDENTIAL_SET)) == credential_sets
    rules = result.of_type(CACHE_RULE)
    assert len(rules) == credential_sets  # the one Docker Hub image: vllm/vllm-openai
    if rules:
        [rule] = rules
        assert rule.inputs["sourceRepository"] == "docker.io/vllm/vllm-openai"
        assert rule.inputs["credentialSetResourceId"]
    # Either way the nodes pull from the environment's registry, never from the upstream.
    [deployment] = result.of_type("kubernetes:apps/v1:Deployment")
    [container] = deployment.inputs["spec"]["template"]["spec"]["containers"]
    assert ".azurecr.io/vllm/vllm-openai:v0.32.0" in str(container["image"])
    [plugin] = result.of_type("kubernetes:apps/v1:DaemonSet")
    [plugin_container] = plugin.inputs["spec"]["template"]["spec"]["containers"]
    assert ".azurecr.io/nvidia/k8s-device-plugin:v0.18.0" in str(plugin_container["image"])
    # What is not cached is imported once, by the commands the stack exports.
    commands = result.exports["imageImportCommands"]
    assert [c.rsplit("--image ", 1)[1] for c in commands] == imported
    assert all(c.startswith("az acr import --name acr") for c in commands)


def test_an_infeasible_plan_is_never_deployed(prod_plan) -> None:
    broken = dataclasses.replace(
        prod_plan,
        workloads=tuple(
            dataclasses.replace(w, feasible=False, infeasible_reason="TTFT unreachable")
            if w.name == "support-chat"
            else w
            for w in prod_plan.workloads
        ),
    )
    with pytest.raises(InfeasiblePlanError, match="support-chat: TTFT unreachable"):
        deployable(broken, "prod")


def test_preview_prints_the_plan_and_the_resource_tree() -> None:
    result = invoke("preview", "dev")
    assert result.exit_code == 0, result.output
    assert "inferplan plan" in result.output
    assert "Stack dev:" in result.output
    assert "azure-native:containerservice:AgentPool" in result.output
    assert "vmSize=Standard_NC4as_T4_v3" in result.output
    assert "ignore=count" in result.output


def test_preview_json_is_byte_identical_across_runs_and_hash_seeds() -> None:
    first = invoke("preview", "dev", "--format", "json").output
    assert first == invoke("preview", "dev", "--format", "json").output
    env = dict(os.environ, PYTHONHASHSEED="4242")
    other = subprocess.run(
        [sys.executable, "-m", "inferplan.cli", "preview", "dev", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    ).stdout
    assert other == first


def test_preview_of_an_unknown_stack_is_bad_input() -> None:
    result = invoke("preview", "nope")
    assert result.exit_code == 2
    assert "stacks/nope.yaml" in result.output


def test_render_writes_valid_manifests_policies_and_alerts(tmp_path: Path, prod_plan) -> None:
    result = invoke("render", "prod", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    manifests = sorted((tmp_path / "kubernetes").glob("*.yaml"))
    assert manifests
    version = prod_plan.environment("prod").kubernetes.version
    for path in manifests:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc["kind"] in CRD_KINDS:
                continue
            kubernetes_validate.validate(doc, version, strict=True)
    policies = sorted((tmp_path / "apim").glob("*.xml"))
    assert policies
    for path in policies:
        ET.fromstring(path.read_text())
    support = (tmp_path / "apim" / "gateway-support-chat-policy.xml").read_text()
    timeout = next(w for w in prod_plan.workloads if w.name == "support-chat").gateway.timeout_s
    assert f'timeout="{timeout}"' in support
    assert 'buffer-response="false"' in support
    assert sorted((tmp_path / "alerts").glob("*.json"))


def test_render_is_deterministic_and_replaces_only_what_it_wrote(tmp_path: Path) -> None:
    invoke("render", "dev", "--out", str(tmp_path))
    first = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    (tmp_path / "kubernetes" / "mine.yaml").write_text("kind: Mine\n")
    (tmp_path / "notes.txt").write_text("mine\n")
    invoke("render", "dev", "--out", str(tmp_path))
    second = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    # Files render did not write are kept, even inside its folders; the rest byte-identical.
    assert second.pop(Path("notes.txt")) == b"mine\n"
    assert second.pop(Path("kubernetes/mine.yaml")) == b"kind: Mine\n"
    assert second == first


def test_a_stack_that_cannot_be_deployed_renders_nothing(tmp_path: Path) -> None:
    stack = ROOT / "tests" / "fixtures" / "plan" / "capped-stack" / "env.yaml"
    result = invoke("render", str(stack), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "exceeds the environment cap" in result.output
    assert not (tmp_path / "out").exists()


def test_a_public_stack_of_managed_workloads_only_previews(tmp_path: Path) -> None:
    """No GPU cluster and no private endpoint: the network makes no VNet, and the Azure OpenAI
    account is built without a private DNS zone instead of failing on the missing one."""
    stack = tmp_path / "env.yaml"
    (tmp_path / "chat.yaml").write_bytes((ROOT / "examples" / "eu-chat-managed.yaml").read_bytes())
    stack.write_text(
        "apiVersion: inferplan/v1\nkind: Environment\nmetadata: {name: managed-only}\n"
        "spec:\n  location: swedencentral\n"
        "  workloads: [chat.yaml]\n"
        "  gateway: {tier: Developer, publisher_email: p@example.com, publisher_name: P}\n"
        "  network: {public_network_access: true}\n"
    )
    result = invoke("preview", str(stack))
    assert result.exit_code == 0, result.output
    assert "azure-native:cognitiveservices:Deployment" in result.output
    assert "privateEndpoint" not in result.output


def _with_aks(plan, name: str, **changes):
    """The plan with one workload's AKS decisions changed and its environment's GPU pools
    planned again from them, as sizing would."""
    from sizing.deploy.node_pools import node_pools

    workloads = tuple(
        dataclasses.replace(w, aks=dataclasses.replace(w.aks, **changes)) if w.name == name else w
        for w in plan.workloads
    )
    changed = dataclasses.replace(plan, workloads=workloads)
    environments = tuple(
        dataclasses.replace(e, node_pools=node_pools(changed.workloads_of(e.name)))
        for e in plan.environments
    )
    return dataclasses.replace(changed, environments=environments)


def test_more_replicas_rename_or_replace_nothing(dev_plan, dev_capture) -> None:
    before = dev_capture
    grown = _with_aks(
        dev_plan,
        "ticket-triage",
        replicas=12,
        replicas_per_region=12,
        nodes=12,
        nodes_per_region=12,
        min_nodes_per_region=12,
        max_nodes_per_region=24,
    )
    after = capture_environment(grown, "dev")
    assert keys(before) == keys(after)
    changed = {
        r.key
        for r in after.resources
        if r.inputs != next(b for b in before.resources if b.key == r.key).inputs
    }
    assert changed  # the counts did change ...
    assert all(  # ... but only on the pool, the Deployment and its autoscaler
        k.split("::")[0]
        in {
            "azure-native:containerservice:AgentPool",
            "kubernetes:apps/v1:Deployment",
            "kubernetes:keda.sh/v1alpha1:ScaledObject",
        }
        for k in changed
    ), changed


def test_a_new_vm_size_adds_one_pool_and_removes_one(dev_plan, dev_capture) -> None:
    moved = _with_aks(
        dev_plan,
        "ticket-triage",
        vm_sku="Standard_NC8as_T4_v3",
        pool_name=agent_pool_name("Standard_NC8as_T4_v3"),  # as sizing names a new size's pool
    )
    after = capture_environment(moved, "dev")
    added, removed = keys(after) - keys(dev_capture), keys(dev_capture) - keys(after)
    assert len(added) == 1 and len(removed) == 1
    assert next(iter(added)).startswith("azure-native:containerservice:AgentPool::")
    assert next(iter(removed)).startswith("azure-native:containerservice:AgentPool::")


def test_rendered_paths_are_relative(dev_capture) -> None:
    """Byte-identical renders across processes and hash seeds are tested below; here: no file
    lands outside the output folder."""
    assert all(
        not Path(p).is_absolute() and ".." not in Path(p).parts for p in render_files(dev_capture)
    )


def test_scale_to_zero_workloads_wake_up_for_working_hours(tmp_path: Path) -> None:
    """With zero replicas there is no queue metric; a cron trigger brings the planned replicas
    back during the dev stack's working hours, and prod (never at zero) has none."""
    invoke("render", "dev", "--out", str(tmp_path / "dev"))
    docs = list(
        yaml.safe_load_all(
            (tmp_path / "dev" / "kubernetes" / "vllm-ticket-triage-weu.yaml").read_text()
        )
    )
    scaled = next(d for d in docs if d["kind"] == "ScaledObject")
    assert scaled["spec"]["minReplicaCount"] == 0
    cron = next(t for t in scaled["spec"]["triggers"] if t["type"] == "cron")
    # Issue 23 item 6: the replicas start a start-up budget (rounded up to 5 minutes) before
    # 07:00, so they serve when the working hours begin.
    budget = next(
        w for w in stack_plan("dev").workloads if w.name == "ticket-triage"
    ).aks.startup.budget_s
    lead = -(-budget // 300) * 5
    start = 7 * 60 - lead
    assert cron["metadata"] == {
        "timezone": "Europe/Stockholm",
        "start": f"{start % 60} {start // 60} * * 1-5",
        "end": "0 19 * * 1-5",
        "desiredReplicas": str(
            next(d for d in docs if d["kind"] == "Deployment")["spec"]["replicas"]
        ),
    }
    invoke("render", "prod", "--out", str(tmp_path / "prod"))
    for path in (tmp_path / "prod" / "kubernetes").glob("*.yaml"):
        assert "type: cron" not in path.read_text()


RANGES_KEY = "inferplan:apiServerAuthorizedIpRanges"
CLUSTER_TYPE = "azure-native:containerservice:ManagedCluster"


def test_the_stack_config_gives_the_api_server_its_ranges() -> None:
    """The runners' egress is the deploying stack's, so its Pulumi config names the ranges and
    they replace the environment file's (issue 23, item 1)."""
    config = {RANGES_KEY: '["20.50.0.0/24", "52.160.0.0/24"]'}
    result = capture(lambda: run_stack("prod"), stack="prod", config=config)
    for cluster in result.of_type(CLUSTER_TYPE):
        assert cluster.inputs["apiServerAccessProfile"] == {
            "authorizedIPRanges": ["20.50.0.0/24", "52.160.0.0/24"]
        }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('["203.0.113.0/24"]', "documentation range"),
        ('["10.0.0.0/8"]', "private or reserved"),
        ('["0.0.0.0/0"]', "admits every address"),
        ('"20.50.0.0/24"', "a non-empty list"),
    ],
)
def test_ranges_no_runner_can_be_in_are_refused(value: str, message: str) -> None:
    with pytest.raises(StackConfigError, match=message):
        authorized_ranges(json.loads(value))
