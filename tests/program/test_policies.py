"""Every policy rule passes on the real program's capture and fires, with its message, on a
fixture broken in exactly the way the rule guards against.

The passing fixture is the dev stack as the program registers it (captured offline); each
failing fixture is that capture (or the Plan context) with one input changed. A rule without a
failing case here is a defect (``test_every_rule_has_a_failing_case``).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from inferplan.review.checks import evaluate, views_from_capture
from policies.rules import (
    RULES,
    RULES_BY_NAME,
    image_is_pinned,
    rule_violations,
    run_rules,
)
from policies.rules.resources import containers_of, pod_spec
from policies.view import (
    SECRET,
    PlannedDeployment,
    PolicyContext,
    ResourceView,
    context_from_data,
    context_from_plan,
    context_to_data,
)
from sizing.catalog import default_catalog
from sizing.deploy.kubernetes_versions import version_support
from tests.conftest import TEST_AUTHORIZED_RANGES, capture_environment

Views = list[ResourceView]
Mutation = Callable[[Views, PolicyContext], tuple[Views, PolicyContext]]

ACCOUNT = "azure-native:cognitiveservices:Account"
OAI_DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
APIM = "azure-native:apimanagement:ApiManagementService"
API_POLICY = "azure-native:apimanagement:ApiPolicy"
DIAGNOSTIC = "azure-native:apimanagement:ApiDiagnostic"
LOGGER = "azure-native:apimanagement:Logger"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
TRIGGER_AUTH = "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"
BACKEND = "azure-native:apimanagement:Backend"
ROLE = "azure-native:authorization:RoleAssignment"
WORKSPACE = "azure-native:operationalinsights:Workspace"
MONITOR_WORKSPACE = "azure-native:monitor:AzureMonitorWorkspace"
# Every key the program reads from a stack's config, as a stack that sets them all has them.
ALL_CONFIG = (
    "inferplan:dockerHubToken",
    "inferplan:dockerHubUsername",
    "inferplan:hfToken",
)
# Settings dev is weak in on purpose (no SLA, unprotected, one system node, public, no e-mail):
# the rules that say so are advisory by default, and production stacks raise them.
DEV_IS_WEAK = {
    "environment-public-network-access",
    "gateway-tier-sla",
    "environment-protect",
    "alerts-notify",
    "aks-system-pool-redundancy",
    "quota-requests",
}


# The images catalog records no digest it has not read from a registry, and none has been read
# yet: the shipped stacks break image-digest (advisory, mandatory in Pulumi.prod.yaml) until
# one is. The captures below give every image a digest so one mutation breaks one rule;
# test_the_missing_digest_gates_prod checks the gap itself.
A_DIGEST = "sha256:" + "0" * 64  # a placeholder of the right shape, for these tests only


def with_digests(views: Views) -> Views:
    """Every container image of the capture pinned by a (placeholder) digest."""
    out = []
    for v in views:
        inputs = copy.deepcopy(dict(v.inputs))
        probe = dataclasses.replace(v, inputs=inputs)
        pod_ = pod_spec(probe)
        if pod_ is not None:
            for c in containers_of(pod_):
                if "@" not in c.get("image", "@"):
                    c["image"] = f"{c['image']}@{A_DIGEST}"  # type: ignore[index]
        out.append(probe)
    return out


A_REVISION = "0" * 40  # a placeholder commit, for the same reason: none pinned for these repos


def with_revisions(ctx: PolicyContext) -> PolicyContext:
    """Every self-hosted workload's repository pinned at a (placeholder) commit."""
    workloads = tuple(
        dataclasses.replace(w, hf_revision=A_REVISION) if w.hf_model else w for w in ctx.workloads
    )
    return dataclasses.replace(ctx, workloads=workloads)


def neutral(ctx: PolicyContext) -> PolicyContext:
    """The context with dev's deliberate weaknesses set aside, so one mutation breaks one rule."""
    return dataclasses.replace(
        ctx,
        public_network_access=None,
        gateway_sla=True,
        protect=True,
        alert_email=True,
        system_node_count=3,
        quota=(),
    )


@pytest.fixture(scope="module")
def dev_views(dev_capture) -> Views:
    return with_digests(views_from_capture(dev_capture))


@pytest.fixture(scope="module")
def dev_context(dev_plan) -> PolicyContext:
    return with_revisions(neutral(context_from_plan(dev_plan, "dev", configured=ALL_CONFIG)))


@pytest.fixture(scope="module")
def prod_views(shipped_prod_plan) -> Views:
    return with_digests(
        views_from_capture(
            capture_environment(shipped_prod_plan, "prod", authorized_ranges=TEST_AUTHORIZED_RANGES)
        )
    )


@pytest.fixture(scope="module")
def prod_context(shipped_prod_plan) -> PolicyContext:
    """The shipped prod stack: private, protected, with an SLA; only its quota set aside."""
    ctx = context_from_plan(shipped_prod_plan, "prod", configured=ALL_CONFIG)
    return with_revisions(dataclasses.replace(ctx, quota=()))


@pytest.fixture(scope="module")
def packed_plan():
    from pathlib import Path

    from sizing.planner import plan_paths

    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "shared-nodes"
    return plan_paths([example], catalog=default_catalog())[1]


@pytest.fixture(scope="module")
def packed_views(packed_plan) -> Views:
    """Six workloads packed on one shared GPU pool (docs/examples/shared-nodes)."""
    return with_digests(views_from_capture(capture_environment(packed_plan, "small-models")))


@pytest.fixture(scope="module")
def packed_context(packed_plan) -> PolicyContext:
    return with_revisions(
        neutral(context_from_plan(packed_plan, "small-models", configured=ALL_CONFIG))
    )


def test_every_rule_passes_on_the_packed_stack(packed_views, packed_context):
    assert [(r.name, v.message) for r, v in run_rules(packed_views, packed_context)] == []


# --- fixture builders: one change to the captured stack or its context --------------------------


def edit(type_: str, change: Callable[[dict[str, Any]], None], *, name: str = "") -> Mutation:
    """Change the inputs of the first resource of ``type_`` whose name contains ``name``."""

    def mutate(views: Views, ctx: PolicyContext) -> tuple[Views, PolicyContext]:
        out, done = [], False
        for v in views:
            if not done and v.type == type_ and name in v.name:
                inputs = copy.deepcopy(dict(v.inputs))
                change(inputs)
                v = dataclasses.replace(v, inputs=inputs)
                done = True
            out.append(v)
        assert done, f"no {type_} named *{name}* in the dev capture"
        return out, ctx

    return mutate


def drop(type_: str, name: str) -> Mutation:
    """Take the resources of ``type_`` whose name contains ``name`` out of the capture."""

    def mutate(views: Views, ctx: PolicyContext) -> tuple[Views, PolicyContext]:
        kept = [v for v in views if not (v.type == type_ and name in v.name)]
        assert len(kept) < len(views), f"no {type_} named *{name}*"
        return kept, ctx

    return mutate


def add(type_: str, name: str, inputs: dict[str, Any]) -> Mutation:
    """A resource the program does not register, added to the capture."""
    return lambda views, ctx: ([*views, ResourceView(type_, name, inputs)], ctx)


def edit_options(type_: str, options: dict[str, Any]) -> Mutation:
    def mutate(views: Views, ctx: PolicyContext) -> tuple[Views, PolicyContext]:
        return [
            dataclasses.replace(v, options=options) if v.type == type_ else v for v in views
        ], ctx

    return mutate


def context(**changes: Any) -> Mutation:
    return lambda views, ctx: (views, dataclasses.replace(ctx, **changes))


def workload(name: str, **changes: Any) -> Mutation:
    def mutate(views: Views, ctx: PolicyContext) -> tuple[Views, PolicyContext]:
        workloads = tuple(
            dataclasses.replace(w, **changes) if w.name == name else w for w in ctx.workloads
        )
        return views, dataclasses.replace(ctx, workloads=workloads)

    return mutate


def both(*mutations: Mutation) -> Mutation:
    def mutate(views: Views, ctx: PolicyContext) -> tuple[Views, PolicyContext]:
        for m in mutations:
            views, ctx = m(views, ctx)
        return views, ctx

    return mutate


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = inputs
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value

    return change


def pod(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda inputs: change(inputs["spec"]["template"]["spec"])


def vllm_container(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return pod(lambda spec: change(spec["containers"][0]))


def policy_text(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        assert old in inputs["value"]
        inputs["value"] = inputs["value"].replace(old, new)

    return change


# --- the cases ------------------------------------------------------------------------------------


def _kubernetes(version: str) -> dict[str, Any]:
    support = version_support(version=version, catalog=default_catalog())
    return {
        "kubernetes_version": version,
        "kubernetes_status": support.status,
        "kubernetes_end_of_life": support.end_of_life,
        "kubernetes_lts_end_of_life": support.lts_end_of_life,
        "kubernetes_newest_ga": support.newest_ga,
        "kubernetes_as_of": support.as_of,
    }


KUBERNETES_1_29 = _kubernetes("1.29")
KUBERNETES_1_31 = _kubernetes("1.31")
KUBERNETES_1_37 = _kubernetes("1.37")


def context_from_plan_quota(ctx: PolicyContext) -> PolicyContext:
    """The dev context with its plan's quota requirements back in (``neutral`` takes them out)."""
    from tests.conftest import _stack_plan

    real = context_from_plan(_stack_plan("dev"), "dev")
    return dataclasses.replace(ctx, quota=real.quota[:1])


ONE_FAILURE_BREAKER = {
    "rules": [
        {
            "name": "trip",
            "failureCondition": {
                "count": 1,
                "interval": "PT1M",
                "statusCodeRanges": [{"min": 429, "max": 429}],
            },
            "tripDuration": "PT1M",
        }
    ]
}


# (rule, case, mutation, expected message[, base stack: "dev" unless given])
FAILING: list[tuple[Any, ...]] = [
    (
        "shared-pool-gpus-fit",
        "more-replicas-than-gpus",
        edit(DEPLOYMENT, setter("spec.replicas", 9), name="faq-bot"),
        "request 19 GPUs at their planned replicas, more than its 2 node(s) x 8 GPUs",
        "packed",
    ),
    (
        "shared-pool-gpus-fit",
        "pod-larger-than-a-node",
        both(
            edit(
                DEPLOYMENT,
                vllm_container(
                    setter(
                        "resources",
                        {"requests": {"nvidia.com/gpu": "9"}, "limits": {"nvidia.com/gpu": "9"}},
                    )
                ),
                name="faq-bot",
            ),
            workload("faq-bot", tensor_parallel=9),
        ),
        "asks 9 GPUs per pod on shared pool",
        "packed",
    ),
    (
        "residency-regions",
        "outside-environment-regions",
        edit(CLUSTER, setter("location", "eastus")),
        "is in eastus; environment dev allows only swedencentral, westeurope, francecentral",
    ),
    (
        "residency-regions",
        "outside-workload-regions",
        edit(CLUSTER, setter("location", "swedencentral")),
        "serves workload ticket-triage from swedencentral; its residency allows only westeurope",
    ),
    (
        "residency-regions",
        "gateway-outside-strict-residency",
        both(
            # a strict workload on a region-bound deployment, so only the gateway breaks it
            workload(
                "hr-policy-chat",
                strict_residency=True,
                openai_deployments=(PlannedDeployment("swedencentral", "Standard", "region"),),
            ),
            edit(OAI_DEPLOYMENT, setter("sku.name", "Standard"), name="hr-policy-chat"),
            edit(APIM, setter("location", "westeurope")),
        ),
        "is in westeurope, but workload hr-policy-chat has strict residency in swedencentral, "
        "francecentral",
    ),
    (
        "residency-openai-deployment-type",
        "type-the-plan-did-not-choose",
        edit(OAI_DEPLOYMENT, setter("sku.name", "GlobalStandard"), name="hr-policy-chat"),
        "deployment type GlobalStandard of workload hr-policy-chat is not one its plan chose "
        "(DataZoneStandard)",
    ),
    (
        "residency-openai-deployment-type",
        "global-type-strict",
        both(
            workload(
                "hr-policy-chat",
                strict_residency=True,
                openai_deployments=(
                    PlannedDeployment("swedencentral", "GlobalStandard", "global"),
                ),
            ),
            edit(OAI_DEPLOYMENT, setter("sku.name", "GlobalStandard"), name="hr-policy-chat"),
        ),
        "deployment type GlobalStandard of workload hr-policy-chat is not region-bound (global), "
        "but its residency is strict",
    ),
    (
        "residency-openai-deployment-type",
        "datazone-type-strict",
        both(
            workload(
                "hr-policy-chat",
                strict_residency=True,
                openai_deployments=(
                    PlannedDeployment("swedencentral", "DataZoneStandard", "datazone"),
                ),
            ),
            edit(OAI_DEPLOYMENT, setter("sku.name", "DataZoneStandard"), name="hr-policy-chat"),
        ),
        "is not region-bound (datazone), but its residency is strict",
    ),
    (
        "residency-openai-deployment-type",
        "global-type-in-geography",
        both(
            workload(
                "search-embeddings",
                geography="eu",
                openai_deployments=(
                    PlannedDeployment("swedencentral", "GlobalStandard", "global"),
                ),
            ),
            edit(OAI_DEPLOYMENT, setter("sku.name", "GlobalStandard"), name="search-embeddings"),
        ),
        "may process data anywhere in the world, but its residency requires geography eu",
    ),
    (
        "cost-environment-cap",
        "over-cap",
        context(monthly_usd=25_001.0),
        "environment dev is planned at $25,001/month, over its cap of $25,000",
    ),
    (
        "cost-workload-cap",
        "over-cap",
        workload("ticket-triage", max_monthly_usd=250.0),
        "workload ticket-triage is planned at $302/month, over its cap of $250",
    ),
    (
        "openai-local-auth-disabled",
        "keys-on",
        edit(ACCOUNT, setter("properties.disableLocalAuth", False)),
        "accepts API keys",
    ),
    (
        "public-network-access",
        "openai-public",
        edit(ACCOUNT, setter("properties.publicNetworkAccess", "Enabled"), name="oai"),
        "is reachable from public networks: properties.publicNetworkAccess Enabled; "
        "environment prod allows no public network access",
        "prod",
    ),
    (
        "public-network-access",
        "monitor-workspace-unset",
        edit(MONITOR_WORKSPACE, lambda i: i.pop("publicNetworkAccess")),
        "azure-native:monitor:AzureMonitorWorkspace::amw-prod-swc is reachable from public "
        "networks: publicNetworkAccess unset (Enabled)",
        "prod",
    ),
    (
        "public-network-access",
        "log-query-public",
        edit(WORKSPACE, setter("publicNetworkAccessForQuery", "Enabled")),
        "is reachable from public networks: publicNetworkAccessForQuery Enabled",
        "prod",
    ),
    (
        "public-network-access",
        "vault-public",
        edit("azure-native:keyvault:Vault", setter("properties.publicNetworkAccess", "Enabled")),
        "is reachable from public networks: properties.publicNetworkAccess Enabled",
        "prod",
    ),
    (
        "public-network-access",
        "registry-public",
        edit("azure-native:containerregistry:Registry", setter("publicNetworkAccess", "Enabled")),
        "is reachable from public networks: publicNetworkAccess Enabled",
        "prod",
    ),
    (
        "public-network-access",
        "collection-endpoint-public",
        edit(
            "azure-native:monitor:DataCollectionEndpoint",
            setter("networkAcls.publicNetworkAccess", "Enabled"),
        ),
        "is reachable from public networks: networkAcls.publicNetworkAccess Enabled",
        "prod",
    ),
    (
        "public-network-access",
        "type-missing-from-the-table",
        add(
            "azure-native:search:Service",
            "srch-prod-swc",
            {"location": "swedencentral", "publicNetworkAccess": "Disabled"},
        ),
        "azure-native:search:Service::srch-prod-swc sets publicNetworkAccess Disabled, but "
        "azure-native:search:Service is not in the public network access table",
        "prod",
    ),
    (
        "aks-local-accounts-disabled",
        "local-accounts",
        edit(CLUSTER, setter("disableLocalAccounts", False)),
        "keeps local accounts",
    ),
    (
        "aks-azure-rbac",
        "no-azure-rbac",
        edit(CLUSTER, setter("aadProfile.enableAzureRBAC", False)),
        "does not authorize with Entra ID and Azure RBAC",
    ),
    (
        "aks-workload-identity",
        "no-workload-identity",
        edit(CLUSTER, setter("securityProfile.workloadIdentity.enabled", False)),
        "has workload identity off",
    ),
    (
        "vllm-service-internal",
        "public-load-balancer",
        edit(
            SERVICE,
            lambda i: i["metadata"]["annotations"].pop(
                "service.beta.kubernetes.io/azure-load-balancer-internal"
            ),
        ),
        "is a public load balancer",
    ),
    (
        "no-plain-secrets",
        "token-in-env",
        edit(
            DEPLOYMENT,
            vllm_container(lambda c: c["env"].append({"name": "HF_TOKEN", "value": "hf_abc"})),
        ),
        "container vllm sets HF_TOKEN as a literal environment value",
    ),
    (
        "no-plain-secrets",
        "plain-connection-string",
        edit(LOGGER, lambda i: i.update(credentials=i["credentials"][SECRET])),
        "credentials.connectionString is a plain input, not a Pulumi secret",
    ),
    (
        "gateway-streaming-tier",
        "consumption",
        edit(APIM, setter("sku.name", "Consumption")),
        "is the Consumption tier, which cannot hold SSE streams for hr-policy-chat, ticket-triage",
    ),
    (
        "gateway-no-buffering",
        "buffered",
        edit(
            API_POLICY,
            policy_text('buffer-response="false"', 'buffer-response="true"'),
            name="ticket-triage",
        ),
        'forward-request without buffer-response="false" buffers SSE',
    ),
    (
        "gateway-no-buffering",
        "reads-response-body",
        edit(
            API_POLICY,
            policy_text(
                "<outbound>\n    <base />",
                "<outbound>\n    <base />\n"
                "    <set-body>@(context.Response.Body.As&lt;string&gt;())</set-body>",
            ),
            name="hr-policy-chat",
        ),
        "a policy reads the response body",
    ),
    (
        "gateway-no-body-logging",
        "response-bodies",
        edit(DIAGNOSTIC, setter("frontend.response.body.bytes", 8192), name="hr-policy-chat"),
        "logs 8192 bytes of frontend response bodies",
    ),
    (
        "gateway-backend-timeout",
        "past-240s",
        edit(API_POLICY, policy_text('timeout="30"', 'timeout="300"'), name="ticket-triage"),
        "backend timeout 300 s exceeds the 240 s",
    ),
    (
        "gateway-backend-timeout",
        "no-timeout",
        edit(API_POLICY, policy_text('timeout="30" ', ""), name="ticket-triage"),
        "forward-request has no timeout",
    ),
    (
        "gpu-pool-taint",
        "untainted",
        edit(POOL, setter("nodeTaints", [])),
        "has no nvidia.com/gpu NoSchedule taint",
    ),
    (
        "gpu-pool-mig-profile",
        "pool-without-profile",
        workload("ticket-triage", gpu_instance_profile="MIG1g"),
        "has gpuInstanceProfile None; the plan sized it as MIG1g slices",
    ),
    (
        "gpu-pool-mig-profile",
        "plugin-without-strategy",
        both(
            workload("ticket-triage", gpu_instance_profile="MIG1g"),
            edit(POOL, setter("gpuInstanceProfile", "MIG1g")),
        ),
        "runs the device plugin without MIG_STRATEGY=single",
    ),
    (
        "spot-pool-settings",
        "deallocated-on-eviction",
        edit(
            POOL,
            lambda i: i.update(
                scaleSetPriority="Spot",
                scaleSetEvictionPolicy="Deallocate",
                spotMaxPrice=-1,
                nodeTaints=[
                    *i["nodeTaints"],
                    "kubernetes.azure.com/scalesetpriority=spot:NoSchedule",
                ],
            ),
        ),
        "is a spot pool whose evicted nodes are not deleted",
    ),
    (
        "spot-pool-settings",
        "no-spot-taint",
        edit(
            POOL,
            lambda i: i.update(
                scaleSetPriority="Spot", scaleSetEvictionPolicy="Delete", spotMaxPrice=-1
            ),
        ),
        "is a spot pool without the kubernetes.azure.com/scalesetpriority=spot:NoSchedule taint",
    ),
    (
        "spot-pool-settings",
        "pod-without-toleration",
        workload("ticket-triage", spot=True),
        "runs on a spot pool but does not tolerate kubernetes.azure.com/scalesetpriority",
    ),
    (
        "gpu-pool-autoscaling",
        "count-managed-by-pulumi",
        edit_options(POOL, {}),
        "does not ignore changes to count",
    ),
    (
        "gpu-pool-autoscaling",
        "bounds",
        edit(POOL, setter("maxCount", 0)),
        "need 0 <= minCount <= count <= maxCount",
    ),
    (
        "gpu-pool-named-from-sku",
        "generic-name",
        edit(POOL, setter("agentPoolName", "gpu")),
        "is named 'gpu'; a pool of Standard_NC4as_T4_v3 should be",
    ),
    (
        "gpu-workload-tolerates-taint",
        "no-toleration",
        edit(DEPLOYMENT, pod(lambda spec: spec.update(tolerations=[]))),
        "requests GPUs but does not tolerate the nvidia.com/gpu taint",
    ),
    (
        "gpu-workload-requests-gpus",
        "limits-not-tensor-parallel",
        edit(
            DEPLOYMENT,
            vllm_container(lambda c: c["resources"]["limits"].update({"nvidia.com/gpu": "2"})),
        ),
        "requests 1 and limits 2 nvidia.com/gpu; GPUs cannot be overcommitted",
    ),
    (
        "gpu-workload-requests-gpus",
        "plan-disagrees",
        workload("ticket-triage", tensor_parallel=2),
        "has nvidia.com/gpu limits 1; the plan for ticket-triage runs tensor parallel 2",
    ),
    (
        "gpu-workload-requests-gpus",
        "flags-edited",
        edit(DEPLOYMENT, vllm_container(lambda c: c["args"].append("--max-num-seqs=256"))),
        "runs flags other than the plan's for ticket-triage",
    ),
    (
        "image-pinned",
        "latest",
        edit(
            DEPLOYMENT,
            vllm_container(lambda c: c.update(image="acrdev.azurecr.io/vllm/vllm-openai:latest")),
        ),
        "runs unpinned image acrdev.azurecr.io/vllm/vllm-openai:latest",
    ),
    (
        "templates-required",
        "workload-without-template",
        context(require_templates=True),
        "workload ticket-triage names no approved template, but environment dev requires one",
    ),
    (
        "aks-version-supported",
        "end-of-life",
        both(
            edit(CLUSTER, setter("kubernetesVersion", "1.29")),
            context(**KUBERNETES_1_29),
        ),
        "Kubernetes 1.29 went out of AKS support on 2025-03 (LTS until 2026-04), as of 2026-08-21",
    ),
    (
        "aks-version-supported",
        "past-community-support",
        both(
            edit(CLUSTER, setter("kubernetesVersion", "1.31")),
            context(**KUBERNETES_1_31),
        ),
        "Kubernetes 1.31 is past community support since 2025-11-01; only long-term support "
        "(until 2026-11, Premium tier and the LTS support plan, which inferplan does not "
        "configure) covers it, as of 2026-08-21; the newest generally available minor then is "
        "1.36",
    ),
    (
        "aks-version-supported",
        "not-yet-ga",
        both(
            edit(CLUSTER, setter("kubernetesVersion", "1.37")),
            context(**KUBERNETES_1_37),
        ),
        "Kubernetes 1.37 is not generally available in AKS yet",
    ),
    (
        "aks-version-planned",
        "edited-version",
        edit(CLUSTER, setter("kubernetesVersion", "1.35")),
        "runs Kubernetes 1.35; the plan judged 1.36",
    ),
    (
        "quota-requests",
        "over-default",
        lambda views, ctx: (views, context_from_plan_quota(ctx)),
        "gpt-5.4-mini DataZoneStandard in swedencentral needs 1,050 ktpm (no documented "
        "default); raise gpt-5.4-mini DataZoneStandard quota in swedencentral to at least 1,050 "
        "ktpm",
    ),
    (
        "gated-model-token",
        "no-token",
        both(
            workload("ticket-triage", hf_gated=True),
            context(configured=("inferplan:dockerHubToken", "inferplan:dockerHubUsername")),
        ),
        "workload ticket-triage downloads a gated Hugging Face model and stack dev sets no "
        "inferplan:hfToken",
    ),
    (
        "model-revision-pinned",
        "no-revision",
        workload("ticket-triage", hf_revision=None),
        "workload ticket-triage loads neuralmagic/Meta-Llama-3.1-8B-Instruct-quantized.w8a8 at "
        "whatever its main branch holds",
    ),
    (
        "registry-credentials",
        "no-docker-hub-token",
        context(configured=("inferplan:dockerHubUsername", "inferplan:hfToken")),
        "stack dev sets no inferplan:dockerHubToken, so the registry cannot cache images from "
        "the upstream of credential set docker-io (artifact cache pulls from Docker Hub "
        "authenticated only): each version is imported once with `az acr import`",
    ),
    (
        "aks-cluster-admin",
        "nobody-may-deploy",
        drop(ROLE, "cluster-admin"),
        "grants nobody Azure Kubernetes Service RBAC Cluster Admin",
    ),
    (
        "keda-workload-identity",
        "no-identity-id",
        edit(TRIGGER_AUTH, lambda i: i["spec"]["podIdentity"].pop("identityId")),
        "uses workload identity without identityId",
    ),
    (
        "vllm-network-policy",
        "ingress-from-anywhere",
        edit(NETWORK_POLICY, lambda i: i["spec"]["ingress"][0].pop("from"), name="vllm"),
        "admits ingress from anywhere",
    ),
    (
        "vllm-network-policy",
        "egress-into-the-network",
        edit(
            NETWORK_POLICY,
            lambda i: i["spec"]["egress"][1]["to"][0]["ipBlock"].update(**{"except": []}),
            name="vllm",
        ),
        "lets the model server reach private addresses (10.0.0.0/8",
    ),
    (
        "vllm-api-key",
        "no-key",
        edit(
            DEPLOYMENT,
            vllm_container(
                lambda c: c.update(env=[e for e in c["env"] if e["name"] != "VLLM_API_KEY"])
            ),
        ),
        "serves without an API key",
    ),
    (
        "gateway-circuit-breakers",
        "breaker-on-a-single-backend",
        edit(BACKEND, setter("circuitBreaker", ONE_FAILURE_BREAKER), name="ticket-triage"),
        "has a circuit breaker but is in no pool",
    ),
    (
        "gateway-circuit-breakers",
        "one-failure-trips",
        edit(BACKEND, setter("circuitBreaker", ONE_FAILURE_BREAKER), name="ticket-triage"),
        "trips after 1 failure: one 429 takes a region out",
    ),
    (
        "gateway-subscription-key-header",
        "query-string-keys",
        edit(
            API_POLICY,
            policy_text("Url.Query.ContainsKey(", 'Url.Query.ContainsKey("x") || false ||('),
            name="ticket-triage",
        ),
        "accepts subscription keys in the query string (api-key=...)",
    ),
    (
        "gateway-portals-off",
        "developer-portal-on",
        edit(APIM, setter("developerPortalStatus", "Enabled")),
        "has developerPortalStatus Enabled; environment dev asks for no portal",
    ),
    (
        "network-private-layers",
        "api-server-open",
        edit(CLUSTER, lambda i: i.pop("apiServerAccessProfile")),
        "is still public: AKS API server open to any address (no authorized IP ranges); "
        "environment prod allows no public network access",
        "prod",
    ),
    (
        "network-private-layers",
        "workspace-keys",
        edit(WORKSPACE, setter("features.disableLocalAuth", False)),
        "is still public: local (key) authentication on",
        "prod",
    ),
    (
        "image-from-registry",
        "docker-hub-image",
        edit(
            DEPLOYMENT,
            vllm_container(
                lambda c: c.update(image=f"docker.io/vllm/vllm-openai:v0.32.0@{A_DIGEST}")
            ),
        ),
        "pulls docker.io/vllm/vllm-openai:v0.32.0@sha256:",
    ),
    (
        "image-from-registry",
        "device-plugin-from-nvcr",
        edit(
            "kubernetes:apps/v1:DaemonSet",
            pod(
                lambda spec: spec["containers"][0].update(
                    image=f"nvcr.io/nvidia/k8s-device-plugin:v0.18.0@{A_DIGEST}"
                )
            ),
        ),
        "pulls nvcr.io/nvidia/k8s-device-plugin:v0.18.0@sha256:",
    ),
    (
        "image-digest",
        "tag-only",  # as the shipped catalog's images are: a tag, no digest read yet
        edit(DEPLOYMENT, vllm_container(lambda c: c.update(image=c["image"].split("@")[0]))),
        "/vllm/vllm-openai:v0.32.0 without a digest: the images catalog records none for it",
    ),
    (
        "node-disks-sized",
        "default-os-disk",
        edit(POOL, lambda i: i.pop("osDiskSizeGB")),
        "leaves its OS disk at AKS's default size",
    ),
    (
        "node-disks-sized",
        "default-node-resource-group",
        edit(CLUSTER, lambda i: i.pop("nodeResourceGroup")),
        "leaves its node resource group to AKS (MC_<group>_<cluster>_<region>)",
    ),
    (
        "gateway-residency-geography",
        "us-workload-at-an-eu-gateway",
        workload("support-chat", geography="us"),
        "workload support-chat (us) is fronted by "
        "azure-native:apimanagement:ApiManagementService::gateway-apim in swedencentral (eu)",
        "prod",
    ),
    (
        "environment-public-network-access",
        "public",
        context(public_network_access=True),
        "environment dev allows public network access to its services",
    ),
    (
        "gateway-tier-sla",
        "developer-tier",
        context(gateway_sla=False, gateway_tier="Developer"),
        "runs its gateway on the Developer tier, which has no SLA",
    ),
    (
        "environment-protect",
        "unprotected",
        context(protect=False),
        "environment dev does not protect its clusters",
    ),
    (
        "alerts-notify",
        "no-email",
        context(alert_email=False),
        "environment dev's SLO alerts reach nobody",
    ),
    (
        "aks-system-pool-redundancy",
        "two-nodes",
        context(system_node_count=2),
        "environment dev runs 2 system node(s); AKS asks for at least two",
    ),
    (
        "aks-system-pool-minimum",
        "one-node",
        context(system_node_count=1),
        "environment dev runs 1 system node; AKS asks for at least two",
    ),
    (
        "soft-deleted-restore",
        "restore-left-on",
        context(soft_deleted="restore"),
        "undeletes soft-deleted services on every up (soft_deleted: restore)",
    ),
    (
        "vllm-no-internet-egress",
        "staged-but-open",
        workload("support-chat", weights_staged=True),
        "lets support-chat's model server reach the internet (0.0.0.0/0)",
        "prod",
    ),
]


def test_every_rule_has_a_failing_case():
    assert {name for name, *_ in FAILING} == set(RULES_BY_NAME)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_rule_passes_on_the_dev_stack(rule, dev_views, dev_context):
    assert rule_violations(rule, dev_views, dev_context) == []


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_rule_passes_on_the_shipped_prod_stack(rule, prod_views, prod_context):
    assert rule_violations(rule, prod_views, prod_context) == []


def test_the_missing_digest_gates_prod(shipped_prod_plan, prod_context):
    """No digest has been read for the vLLM image or the device plugin: prod's check names both,
    and Pulumi.prod.yaml makes the rule mandatory there."""
    from inferplan.review.checks import stack_enforcement

    assert stack_enforcement("prod")["image-digest"] == "mandatory"
    views = views_from_capture(
        capture_environment(shipped_prod_plan, "prod", authorized_ranges=TEST_AUTHORIZED_RANGES)
    )
    found = rule_violations(RULES_BY_NAME["image-digest"], views, prod_context)
    messages = " ".join(v.message for v in found)
    assert "vllm/vllm-openai:v0.32.0 without a digest" in messages
    assert "nvidia/k8s-device-plugin:v0.18.0 without a digest" in messages


def test_unpinned_weights_gate_prod(shipped_prod_plan):
    """The catalog pins no commit of the neuralmagic checkpoints prod serves: check names each
    workload, and Pulumi.prod.yaml makes the rule mandatory there."""
    from inferplan.review.checks import stack_enforcement

    assert stack_enforcement("prod")["model-revision-pinned"] == "mandatory"
    ctx = context_from_plan(shipped_prod_plan, "prod", configured=ALL_CONFIG)
    found = rule_violations(RULES_BY_NAME["model-revision-pinned"], [], ctx)
    assert {v.resource for v in found} == {
        f"workload:{w.name}" for w in shipped_prod_plan.workloads if w.aks is not None
    }
    assert "neuralmagic/Meta-Llama-3.1-70B-Instruct-FP8 at whatever its main branch holds" in (
        " ".join(v.message for v in found)
    )


def test_an_override_of_the_replaced_docker_hub_rule_applies_to_its_successor(tmp_path):
    from inferplan.review.checks import stack_enforcement

    (tmp_path / "Pulumi.x.yaml").write_text(
        "config:\n  inferplan:policyEnforcement:\n    no-anonymous-docker-hub: advisory\n"
    )
    assert stack_enforcement("x", root=tmp_path) == {"image-from-registry": "advisory"}


def test_dev_is_weak_exactly_where_it_means_to_be(dev_plan, dev_views):
    """Unneutralised, dev breaks only the production-settings rules (advisory by default)."""
    ctx = with_revisions(context_from_plan(dev_plan, "dev", configured=ALL_CONFIG))
    fired = {r.name for r, _ in run_rules(dev_views, ctx)}
    assert fired == DEV_IS_WEAK
    assert {RULES_BY_NAME[name].level for name in fired} == {"advisory"}


def _cases():
    for name, case, mutate, expected, *base in FAILING:
        yield pytest.param(name, mutate, expected, base[0] if base else "dev", id=f"{name}-{case}")


@pytest.mark.parametrize(("rule_name", "mutate", "expected", "base"), list(_cases()))
def test_rule_fires_with_its_message(rule_name, mutate, expected, base, request):
    views = request.getfixturevalue(f"{base}_views")
    ctx = request.getfixturevalue(f"{base}_context")
    views, ctx = mutate(list(views), ctx)
    violations = rule_violations(RULES_BY_NAME[rule_name], views, ctx)

    assert any(expected in v.message for v in violations), [v.message for v in violations]
    # the change breaks this rule, not an unrelated one by accident (an image on `latest` has
    # no digest either)
    also = {"image-digest"} if rule_name == "image-pinned" else set()
    assert {r.name for r, _ in run_rules(views, ctx)} == {rule_name} | also


def test_streaming_rules_leave_non_streaming_workloads_alone(dev_views, dev_context):
    """search-embeddings does not stream: logging its bodies buffers nothing."""
    views, ctx = edit(
        DIAGNOSTIC, setter("frontend.response.body.bytes", 8192), name="search-embeddings"
    )(list(dev_views), dev_context)

    assert rule_violations(RULES_BY_NAME["gateway-no-body-logging"], views, ctx) == []


def test_secrets_kept_by_pulumi_pass_and_plain_kubernetes_secrets_fail():
    rule = RULES_BY_NAME["no-plain-secrets"]
    kept = ResourceView(
        "kubernetes:core/v1:Secret", "hf", {"stringData": {"token": {SECRET: "hf_abc"}}}
    )
    plain = dataclasses.replace(kept, inputs={"stringData": {"token": "hf_abc"}})

    assert rule_violations(rule, [kept], PolicyContext()) == []
    assert [v.message for v in rule_violations(rule, [plain], PolicyContext())] == [
        "kubernetes:core/v1:Secret::hf: Secret stringData.token is a plain input, not a Pulumi "
        "secret."
    ]


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("docker.io/vllm/vllm-openai:v0.11.0", True),
        ("vllm/vllm-openai@sha256:" + "a" * 64, True),
        ("localhost:5000/vllm-openai", False),
        ("vllm/vllm-openai", False),
        ("vllm/vllm-openai:latest", False),
    ],
)
def test_image_pinning(image, pinned):
    assert image_is_pinned(image) is pinned


def test_context_survives_the_pack_config_round_trip(prod_plan):
    ctx = context_from_plan(
        prod_plan, "prod", enforcement={"templates-required": "advisory"}, configured=ALL_CONFIG
    )
    assert ctx.quota and ctx.region_geographies and ctx.workloads[0].vllm_args is not None
    assert any(w.openai_deployments for w in ctx.workloads)

    assert context_from_data(context_to_data(ctx)) == ctx


def test_an_empty_context_checks_what_needs_no_plan(dev_views):
    """The CLI pack without --policy-pack-config: caps, residency and public access are not
    guessed; the resource's own settings still are."""
    views, _ = edit(ACCOUNT, setter("properties.disableLocalAuth", False))(list(dev_views), None)

    names = {r.name for r, _ in run_rules(views, PolicyContext())}
    assert names == {"openai-local-auth-disabled"}


def test_evaluate_maps_levels_and_skips_disabled_rules(dev_plan, dev_capture, tmp_path):
    broken = dataclasses.replace(dev_plan.environments[0], require_templates=True)
    plan = dataclasses.replace(dev_plan, environments=(broken,))
    stack = tmp_path / "Pulumi.dev.yaml"  # a stack that sets every key the program reads
    stack.write_text("config:\n" + "".join(f"  {k}: set\n" for k in ALL_CONFIG))

    def run(enforcement):
        found = evaluate(plan, dev_capture, "dev", enforcement=enforcement, root=tmp_path)
        # dev's capture as shipped: no image digest read yet (test_the_missing_digest_gates_prod)
        unread = {"image-digest", "model-revision-pinned"}  # no digest or commit read yet
        return [f for f in found if f.rule not in DEV_IS_WEAK | unread]

    mandatory = run({})
    advisory = run({"templates-required": "advisory"})
    disabled = run({"templates-required": "disabled"})

    assert {(f.rule, f.severity, f.source) for f in mandatory} == {
        ("templates-required", "mandatory", "policy")
    }
    assert [f.resource for f in mandatory] == ["workload:ticket-triage"]
    assert mandatory[0].fix == RULES_BY_NAME["templates-required"].fix
    assert {f.severity for f in advisory} == {"advisory"}
    assert disabled == []


def test_a_gateway_is_judged_by_the_workloads_it_fronts(dev_views, dev_context):
    """Issue 23 item 12: a US gateway that fronts only a US workload passes beside a strict-EU
    workload it does not serve; the EU gateway still answers for the strict one."""
    parent = "urn:pulumi:dev::inferplan::inferplan:azure:LlmGateway::gateway-us"
    us_gateway = [
        ResourceView(APIM, "gateway-us-apim", {"location": "eastus"}, parent=parent),
        ResourceView(
            "azure-native:apimanagement:Api",
            "gateway-us-us-chat",
            {"apiId": "us-chat"},
            parent=parent,
        ),
    ]
    # hr-policy-chat held to strict EU residency (chat-eu@3 itself allows the EU data zone)
    strict = tuple(
        dataclasses.replace(w, strict_residency=True, allowed_regions=("swedencentral",))
        if w.name == "hr-policy-chat"
        else w
        for w in dev_context.workloads
    )
    ctx = dataclasses.replace(dev_context, allowed_regions=(), workloads=strict)
    views = [*dev_views, *us_gateway]
    violations = rule_violations(RULES_BY_NAME["residency-regions"], views, ctx)
    assert [v.message for v in violations] == []

    # The same gateway fronting the strict workload crosses its residency.
    fronting = [*views[:-1], dataclasses.replace(us_gateway[1], inputs={"apiId": "hr-policy-chat"})]
    violations = rule_violations(RULES_BY_NAME["residency-regions"], fronting, ctx)
    assert any("gateway-us-apim" in v.resource for v in violations)


def test_quota_recorded_as_granted_passes_only_when_enough(dev_views, dev_context):
    """Issue 23 item 3: a stack records an approved increase (inferplan:quotaGranted); the rule
    passes it when the grant covers what the plan needs, and fails it again when the plan grows."""
    ctx = context_from_plan_quota(dev_context)
    [q] = ctx.quota
    key = f"{q.region}/{q.name}"
    rule = RULES_BY_NAME["quota-requests"]
    assert rule_violations(rule, dev_views, ctx)
    enough = dataclasses.replace(ctx, quota_granted={key: q.needed})
    assert rule_violations(rule, dev_views, enough) == []
    short = dataclasses.replace(ctx, quota_granted={key: q.needed - 1})
    assert rule_violations(rule, dev_views, short)
    # The record survives the Pulumi pack's config round trip.
    assert context_from_data(context_to_data(enough)).quota_granted == {key: q.needed}


def test_a_ptus_spillover_deployment_passes_the_deployment_type_rule(prod_plan, prod_capture):
    """The showcase carries examples/ptu-spillover.yaml: its GlobalStandard spillover deployment
    is one the plan chose, at the provisioned deployment's data processing level [spillover];
    renamed to a type the plan did not choose, the rule fires."""
    rule = RULES_BY_NAME["residency-openai-deployment-type"]
    views = views_from_capture(prod_capture)
    ctx = context_from_plan(prod_plan, "prod", configured=ALL_CONFIG)
    spill = [
        v
        for v in views
        if v.type == OAI_DEPLOYMENT and v.get("deploymentName") == "support-assistant-spill"
    ]
    assert [v.get("sku.name") for v in spill] == ["GlobalStandard"]
    assert rule_violations(rule, views, ctx) == []
    planned = {
        d.deployment_type: d.residency_scope
        for d in ctx.workload("support-assistant").openai_deployments
    }
    assert planned == {"GlobalProvisionedManaged": "global", "GlobalStandard": "global"}


def test_amd_pools_and_pods_meet_the_gpu_rules_with_amd_names(dev_views, dev_context):
    """An MI300X pool is tainted amd.com/gpu and its pods request and tolerate amd.com/gpu."""

    def to_amd(spec: dict[str, Any]) -> None:
        for part in ("requests", "limits"):
            asked = spec["containers"][0]["resources"][part]
            asked["amd.com/gpu"] = asked.pop("nvidia.com/gpu")
        for t in spec["tolerations"]:
            if t["key"] == "nvidia.com/gpu":
                t["key"] = "amd.com/gpu"

    amd = both(
        edit(POOL, setter("nodeTaints", ["amd.com/gpu=present:NoSchedule"])),
        edit(DEPLOYMENT, pod(to_amd), name="ticket-triage"),
    )
    views, ctx = amd(list(dev_views), dev_context)
    for name in ("gpu-pool-taint", "gpu-workload-tolerates-taint", "gpu-workload-requests-gpus"):
        assert rule_violations(RULES_BY_NAME[name], views, ctx) == [], name
