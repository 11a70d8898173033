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
from inferplan.policies.rules import (
    RULES,
    RULES_BY_NAME,
    flag_value,
    image_is_pinned,
    rule_violations,
    run_rules,
)
from inferplan.policies.view import (
    SECRET,
    PolicyContext,
    ResourceView,
    context_from_data,
    context_from_plan,
    context_to_data,
)

from inferplan.review.checks import evaluate, views_from_capture

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


@pytest.fixture(scope="module")
def dev_views(dev_capture) -> Views:
    return views_from_capture(dev_capture)


@pytest.fixture(scope="module")
def dev_context(dev_plan) -> PolicyContext:
    return context_from_plan(dev_plan, "dev")


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

FAILING: list[tuple[str, str, Mutation, str]] = [
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
        edit(APIM, setter("location", "westeurope")),
        "is in westeurope, but workload hr-policy-chat has strict residency in swedencentral, "
        "francecentral",
    ),
    (
        "residency-openai-deployment-type",
        "global-type-strict",
        edit(OAI_DEPLOYMENT, setter("sku.name", "GlobalStandard"), name="hr-policy-chat"),
        "deployment type GlobalStandard of workload hr-policy-chat is not region-bound (global), "
        "but its residency is strict",
    ),
    (
        "residency-openai-deployment-type",
        "datazone-type-strict",
        edit(OAI_DEPLOYMENT, setter("sku.name", "DataZoneStandard"), name="hr-policy-chat"),
        "is not region-bound (datazone), but its residency is strict",
    ),
    (
        "residency-openai-deployment-type",
        "global-type-in-geography",
        both(
            workload("search-embeddings", geography="eu"),
            edit(OAI_DEPLOYMENT, setter("sku.name", "GlobalStandard"), name="search-embeddings"),
        ),
        "may process data anywhere in the world, but its residency requires geography eu",
    ),
    (
        "cost-environment-cap",
        "over-cap",
        context(monthly_usd=15_001.0),
        "environment dev is planned at $15,001/month, over its cap of $15,000",
    ),
    (
        "cost-workload-cap",
        "over-cap",
        workload("ticket-triage", max_monthly_usd=400.0),
        "workload ticket-triage is planned at $453/month, over its cap of $400",
    ),
    (
        "openai-local-auth-disabled",
        "keys-on",
        edit(ACCOUNT, setter("properties.disableLocalAuth", False)),
        "accepts API keys",
    ),
    (
        "openai-public-network-access",
        "public-where-forbidden",
        context(public_network_access=False),
        "has publicNetworkAccess Enabled; environment dev allows no public network access",
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
        "runs tensor parallel 1 with nvidia.com/gpu requests 1 and limits 2",
    ),
    (
        "gpu-workload-requests-gpus",
        "plan-disagrees",
        workload("ticket-triage", tensor_parallel=2),
        "runs tensor parallel 1; the plan for ticket-triage says 2",
    ),
    (
        "image-pinned",
        "latest",
        edit(DEPLOYMENT, vllm_container(lambda c: c.update(image="vllm/vllm-openai:latest"))),
        "runs unpinned image vllm/vllm-openai:latest",
    ),
    (
        "templates-required",
        "workload-without-template",
        context(require_templates=True),
        "workload ticket-triage names no approved template, but environment dev requires one",
    ),
]


def test_every_rule_has_a_failing_case():
    assert {name for name, *_ in FAILING} == set(RULES_BY_NAME)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_rule_passes_on_the_dev_stack(rule, dev_views, dev_context):
    assert rule_violations(rule, dev_views, dev_context) == []


@pytest.mark.parametrize(
    ("rule_name", "mutate", "expected"),
    [pytest.param(name, m, e, id=f"{name}-{case}") for name, case, m, e in FAILING],
)
def test_rule_fires_with_its_message(rule_name, mutate, expected, dev_views, dev_context):
    views, ctx = mutate(list(dev_views), dev_context)
    violations = rule_violations(RULES_BY_NAME[rule_name], views, ctx)

    assert any(expected in v.message for v in violations), [v.message for v in violations]
    # the change breaks this rule, not an unrelated one by accident
    assert {r.name for r, _ in run_rules(views, ctx)} == {rule_name}


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


@pytest.mark.parametrize(
    ("args", "value"),
    [
        (["--tensor-parallel-size=4"], "4"),
        (["--tensor-parallel-size", "2", "--port=8000"], "2"),
        (["--port=8000"], None),
    ],
)
def test_flag_value_reads_both_spellings(args, value):
    assert flag_value(args, "--tensor-parallel-size") == value


def test_context_survives_the_pack_config_round_trip(prod_plan):
    ctx = context_from_plan(prod_plan, "prod", enforcement={"templates-required": "advisory"})

    assert context_from_data(context_to_data(ctx)) == ctx


def test_an_empty_context_checks_what_needs_no_plan(dev_views):
    """The CLI pack without --policy-pack-config: caps, residency and public access are not
    guessed; the resource's own settings still are."""
    views, _ = edit(ACCOUNT, setter("properties.disableLocalAuth", False))(list(dev_views), None)

    names = {r.name for r, _ in run_rules(views, PolicyContext())}
    assert names == {"openai-local-auth-disabled"}


def test_evaluate_maps_levels_and_skips_disabled_rules(dev_plan, dev_capture):
    broken = dataclasses.replace(dev_plan.environments[0], require_templates=True)
    plan = dataclasses.replace(dev_plan, environments=(broken,))

    mandatory = evaluate(plan, dev_capture, "dev", enforcement={})
    advisory = evaluate(plan, dev_capture, "dev", enforcement={"templates-required": "advisory"})
    disabled = evaluate(plan, dev_capture, "dev", enforcement={"templates-required": "disabled"})

    assert {(f.rule, f.severity, f.source) for f in mandatory} == {
        ("templates-required", "mandatory", "policy")
    }
    assert [f.resource for f in mandatory] == ["workload:ticket-triage"]
    assert mandatory[0].fix == RULES_BY_NAME["templates-required"].fix
    assert {f.severity for f in advisory} == {"advisory"}
    assert disabled == []
