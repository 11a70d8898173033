"""The weights store under Pulumi mocks: one storage account per environment that stages a
pinned checkpoint, closed to anonymous, shared-key and (in a private environment) public access,
reached through a blob private endpoint, read by the vLLM identities and written only by the
staging identity."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from components import kubernetes_manifests as km
from components import roles
from components.weights_manifests import ENTRA_ID_RANGES
from sizing.catalog import default_catalog
from sizing.deploy.container_images import WEIGHTS_COPY_IMAGE_ID, planned_image
from sizing.deploy.model_weights import weights_staging
from sizing.planner import plan_paths
from tests.conftest import ROOT, _stack_plan, capture_environment

SHA = "0e9e39f249a16976918f6564b8830bc894c89659"
ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE = "azure-native:privatedns:PrivateZone"
ROLE = "azure-native:authorization:RoleAssignment"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"


def staged(plan):
    """The plan with every self-hosted workload's checkpoint pinned (and so staged)."""

    def pin(w):
        if w.aks is None:
            return w
        weights = weights_staging(w.aks.hf_model, SHA)
        args = tuple(
            f"--model={weights.local_dir}" if a.startswith("--model=") else a
            for a in w.aks.vllm_args
        )
        aks = dataclasses.replace(w.aks, hf_revision=SHA, weights=weights, vllm_args=args)
        return dataclasses.replace(w, aks=aks)

    copy_image = planned_image(default_catalog(), WEIGHTS_COPY_IMAGE_ID)
    environments = tuple(
        dataclasses.replace(e, images=(*e.images, copy_image)) for e in plan.environments
    )
    return dataclasses.replace(
        plan, workloads=tuple(pin(w) for w in plan.workloads), environments=environments
    )


@pytest.fixture(scope="module")
def prod_staged():
    return capture_environment(staged(_stack_plan("prod")), "prod")


@pytest.fixture(scope="module")
def dev_staged():
    return capture_environment(staged(_stack_plan("dev")), "dev")


def test_a_private_environment_stores_weights_with_no_public_anonymous_or_key_access(prod_staged):
    [account] = prod_staged.of_type(ACCOUNT)
    inputs = account.inputs
    assert inputs["kind"] == "StorageV2"
    assert inputs["allowBlobPublicAccess"] is False
    assert inputs["allowSharedKeyAccess"] is False
    assert inputs["minimumTlsVersion"] == "TLS1_2"
    assert inputs["enableHttpsTrafficOnly"] is True
    assert inputs["publicNetworkAccess"] == "Disabled"
    assert inputs["networkRuleSet"]["defaultAction"] == "Deny"
    assert 3 <= len(inputs["accountName"]) <= 24 and inputs["accountName"].isalnum()
    [container] = prod_staged.of_type(CONTAINER)
    assert container.inputs["containerName"] == "models"
    assert container.inputs["publicAccess"] == "None"


def test_the_store_is_reached_through_a_blob_private_endpoint_in_the_one_blob_zone(prod_staged):
    [endpoint] = [
        e
        for e in prod_staged.of_type(ENDPOINT)
        if e.inputs["privateEndpointName"].endswith("-weights")
    ]
    [connection] = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["blob"]
    # Azure Monitor's endpoint registers in the same zone: it is created once, not twice.
    blob_zones = [
        z
        for z in prod_staged.of_type(ZONE)
        if z.inputs["privateZoneName"] == "privatelink.blob.core.windows.net"
    ]
    assert len(blob_zones) == 1


def test_vllm_identities_read_and_only_the_staging_identity_writes_the_container(prod_staged):
    assignments = [
        r
        for r in prod_staged.of_type(ROLE)
        if r.inputs["roleDefinitionId"].endswith(
            (roles.STORAGE_BLOB_DATA_READER, roles.STORAGE_BLOB_DATA_CONTRIBUTOR)
        )
    ]
    scopes = {r.inputs["scope"] for r in assignments}
    assert len(scopes) == 1 and next(iter(scopes)).endswith("/BlobContainer/weights-models")
    writers = [
        r
        for r in assignments
        if r.inputs["roleDefinitionId"].endswith(roles.STORAGE_BLOB_DATA_CONTRIBUTOR)
    ]
    readers = [r for r in assignments if r not in writers]
    assert len(writers) == 1
    clusters = {r.name for r in prod_staged.of_type(IDENTITY) if r.name.endswith("-vllm-identity")}
    assert len(readers) == len(clusters) >= 1
    staging = [r for r in prod_staged.of_type(IDENTITY) if r.name.endswith("-staging-identity")]
    assert len(staging) == 1


def test_a_public_environment_keeps_the_account_public_but_still_keyless(dev_staged):
    [account] = dev_staged.of_type(ACCOUNT)
    assert account.inputs["publicNetworkAccess"] == "Enabled"
    assert account.inputs["allowSharedKeyAccess"] is False
    assert not [e for e in dev_staged.of_type(ENDPOINT) if "weights" in e.name]


def test_no_store_where_nothing_is_staged(dev_capture):
    assert not dev_capture.of_type(ACCOUNT)


# --- the staging Job and the replicas' copy --------------------------------------------------

JOB = "kubernetes:batch/v1:Job"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
FEDERATION = "azure-native:managedidentity:FederatedIdentityCredential"
EXAMPLE = ROOT / "docs" / "examples" / "shared-nodes"  # faq-bot pins its revision
WIRING = km.ServiceWiring(
    image="acrtest.azurecr.io/vllm/vllm-openai:v0.32.0",
    gateway_cidrs=("10.29.16.0/24",),
    vllm_client_id="vllm-client-id",
    key_vault_name="kv-test",
    tenant_id="tenant-id",
    api_key_secret_name="vllm-api-key",
    weights_image="acrtest.azurecr.io/azure-cli:2.91.0",
    weights_account="sttestweights",
    endpoint_cidrs=("10.29.17.0/24",),
)


@pytest.fixture(scope="module")
def shared_plan():
    _, plan = plan_paths([EXAMPLE], catalog=default_catalog())
    return plan


def manifests(plan, name: str, wiring=WIRING) -> dict[str, dict]:
    workload = next(w for w in plan.workloads if w.name == name)
    objects = km.vllm_manifests(
        workload,
        region="swedencentral",
        environment=plan.environments[0],
        wiring=wiring,
        hf_secret_name="hf-token",
    )
    return {o["kind"]: o for o in objects}


def https_egress(policy: dict) -> list[dict]:
    [rule] = [r for r in policy["spec"]["egress"] if {"protocol": "TCP", "port": 443} in r["ports"]]
    return rule["to"]


def test_a_staged_replica_copies_its_revision_from_the_store_and_serves_it_offline(shared_plan):
    faq = next(w for w in shared_plan.workloads if w.name == "faq-bot")
    weights = faq.aks.weights
    assert weights is not None and weights.revision == faq.aks.hf_revision
    deployment = manifests(shared_plan, "faq-bot")["Deployment"]
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    [copy] = pod["spec"]["initContainers"]
    script = copy["command"][-1]
    assert copy["image"] == WIRING.weights_image
    assert "--federated-token" in script and "--auth-mode login" in script
    assert "--account-name sttestweights" in script
    assert f"-n {weights.blob_prefix}_STAGED " in script  # waits for a complete revision
    assert f"--pattern '{weights.blob_prefix}*'" in script and "-d /models" in script
    [vllm] = pod["spec"]["containers"]
    assert f"--model={weights.local_dir}" in vllm["args"]
    assert "--served-model-name=faq-bot" in vllm["args"]
    assert {"name": "HF_HUB_OFFLINE", "value": "1"} in vllm["env"]
    mounts = {m["name"]: m for m in vllm["volumeMounts"]}
    assert mounts["model-weights"] == {
        "name": "model-weights",
        "mountPath": "/models",
        "readOnly": True,
    }
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["model-weights"]["emptyDir"]["sizeLimit"]


def test_a_staged_replica_has_no_internet_egress(shared_plan):
    policy = manifests(shared_plan, "faq-bot")["NetworkPolicy"]
    targets = https_egress(policy)
    cidrs = [t["ipBlock"]["cidr"] for t in targets]
    assert "0.0.0.0/0" not in cidrs
    assert cidrs == ["10.29.17.0/24", *ENTRA_ID_RANGES]  # the store's endpoint, Entra ID
    for cidr in cidrs:
        assert ipaddress.ip_network(cidr).prefixlen >= 18
    dns = [r for r in policy["spec"]["egress"] if {"protocol": "UDP", "port": 53} in r["ports"]]
    assert len(dns) == 1 and len(policy["spec"]["egress"]) == 2


def test_an_unpinned_replica_keeps_its_hub_download_and_its_egress(shared_plan):
    objects = manifests(shared_plan, "doc-summary")
    pod = objects["Deployment"]["spec"]["template"]
    assert "initContainers" not in pod["spec"]
    assert any(
        a == "--model=meta-llama/Meta-Llama-3-8B-Instruct"
        for a in pod["spec"]["containers"][0]["args"]
    )
    [target] = https_egress(objects["NetworkPolicy"])
    assert target["ipBlock"]["cidr"] == "0.0.0.0/0"


def test_a_staged_replica_in_a_public_environment_reaches_the_store_publicly(shared_plan):
    policy = manifests(shared_plan, "faq-bot", dataclasses.replace(WIRING, endpoint_cidrs=()))[
        "NetworkPolicy"
    ]
    [target] = https_egress(policy)
    assert target["ipBlock"]["cidr"] == "0.0.0.0/0"


def test_staged_weights_without_a_store_are_refused(shared_plan):
    with pytest.raises(ValueError, match=r"faq-bot.*staged"):
        manifests(shared_plan, "faq-bot", dataclasses.replace(WIRING, weights_account=None))


def test_one_staging_job_per_revision_with_internet_only_in_its_namespace(prod_staged):
    plan = staged(_stack_plan("prod"))
    revisions = {w.aks.weights.job_name: w.aks.weights for w in plan.workloads if w.aks}
    jobs = prod_staged.of_type(JOB)
    # Two workloads serve the same checkpoint: one Job.
    assert sorted(j.inputs["metadata"]["name"] for j in jobs) == sorted(revisions)
    for job in jobs:
        weights = revisions[job.inputs["metadata"]["name"]]
        assert job.inputs["metadata"]["namespace"] == "weights-staging"
        # Pulumi waits for the Job (no skipAwait), and the replicas wait for it.
        assert "pulumi.com/skipAwait" not in job.inputs["metadata"]["annotations"]
        spec = job.inputs["spec"]["template"]["spec"]
        [download] = spec["initContainers"]
        assert download["command"][:3] == ["hf", "download", weights.repository]
        assert f"--revision={weights.revision}" in download["command"]
        [upload] = spec["containers"]
        assert "upload-batch" in upload["command"][-1]
        assert upload["command"][-1].rstrip().endswith("--overwrite --output none")
        assert "_STAGED" in upload["command"][-1]
        assert spec["serviceAccountName"] == "weights-staging"
        assert "nvidia.com/gpu" not in str(upload["resources"])  # no GPU for a copy
    [policy] = [
        p
        for p in prod_staged.of_type(POLICY)
        if p.inputs["metadata"]["namespace"] == "weights-staging"
    ]
    cidrs = [t["ipBlock"]["cidr"] for t in https_egress(policy.inputs)]
    assert "0.0.0.0/0" in cidrs
    served = {w.name for w in plan.workloads if w.aks}
    vllm_policies = [
        p for p in prod_staged.of_type(POLICY) if p.inputs["metadata"]["namespace"] in served
    ]
    assert len(vllm_policies) == len(served) >= 1
    for p in vllm_policies:
        assert "0.0.0.0/0" not in str(p.inputs["spec"]["egress"])


def test_the_staging_identity_federates_only_with_the_staging_account(prod_staged):
    subjects = [f.inputs["subject"] for f in prod_staged.of_type(FEDERATION) if "staging" in f.name]
    assert subjects and set(subjects) == {"system:serviceaccount:weights-staging:weights-staging"}


def test_replicas_wait_for_their_read_access_to_the_store(prod_staged):
    readers = {
        r.urn
        for r in prod_staged.of_type(ROLE)
        if r.inputs["roleDefinitionId"].endswith(roles.STORAGE_BLOB_DATA_READER)
    }
    jobs = {j.urn for j in prod_staged.of_type(JOB)}
    served = {w.name for w in _stack_plan("prod").workloads if w.aks}
    deployments = [
        d for d in prod_staged.of_type(DEPLOYMENT) if d.inputs["metadata"]["namespace"] in served
    ]
    assert len(deployments) == len(served)
    for deployment in deployments:
        assert readers & set(deployment.depends_on)
        assert jobs & set(deployment.depends_on)  # the first up stages, then starts replicas


def test_the_staging_job_is_neither_a_gpu_workload_nor_a_vllm_server(prod_staged):
    from inferplan.review.checks import views_from_capture
    from policies.rules import RULES_BY_NAME, run_rules
    from policies.view import context_from_plan

    views = views_from_capture(prod_staged)
    ctx = context_from_plan(staged(_stack_plan("prod")), "prod")
    rules = [RULES_BY_NAME["gpu-workload-requests-gpus"], RULES_BY_NAME["vllm-api-key"]]
    jobs = [v for v in views if v.type == JOB]
    assert jobs
    assert not [v for _, v in run_rules(jobs, ctx, rules)]
    # Another pod on a GPU pool without GPUs is still flagged, and the served vLLM too.
    other = [
        dataclasses.replace(
            v, inputs={**v.inputs, "metadata": {**v.inputs["metadata"], "labels": {}}}
        )
        for v in jobs
    ]
    assert [x for r, x in run_rules(other, ctx, rules) if r.name == "gpu-workload-requests-gpus"]


def test_staged_replicas_in_a_private_environment_pass_the_no_internet_rule(prod_staged):
    from inferplan.review.checks import views_from_capture
    from policies.rules import RULES_BY_NAME, rule_violations
    from policies.view import context_from_plan

    plan = staged(_stack_plan("prod"))
    ctx = context_from_plan(plan, "prod")
    assert all(w.weights_staged for w in ctx.workloads if w.hf_model)
    rule = RULES_BY_NAME["vllm-no-internet-egress"]
    assert rule_violations(rule, views_from_capture(prod_staged), ctx) == []
