"""The LLM gateway: rendered API policies (pure) and LlmGateway under offline capture.

Policies are checked against the Plan's numbers and against the streaming rules of apim-sse.md
([sse]: forward-request never buffers the response, nothing logs or reads bodies), and against
reviewed golden files in tests/golden/apim/. Regenerate those deliberately with
INFERPLAN_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pulumi
import pytest

from components.apim_policies import AZURE_OPENAI_API_VERSION, render_api_policy
from components.llm_gateway import (
    GatewayBackend,
    GatewayWiring,
    LlmGateway,
    check_tier,
)
from components.naming import resource_name, stable_hash
from components.openai_service import OpenAIService
from components.roles import (
    COGNITIVE_SERVICES_OPENAI_USER,
    KEY_VAULT_SECRETS_USER,
    MONITORING_METRICS_PUBLISHER,
)
from inferplan.offline.capture import SUBSCRIPTION_ID, capture
from sizing.deploy.gateway_resilience import BREAKER_MIN_FAILURES
from sizing.deploy.openai_accounts import openai_accounts
from sizing.plan import (
    EnvironmentPlan,
    Gateway,
    GatewayPlacement,
    GatewaySettings,
    OffHoursAnswer,
    WorkloadPlan,
)
from tests.plan_builders import aks_plan, aoai_plan, backends_for

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "apim"
UPDATE = os.environ.get("INFERPLAN_UPDATE_GOLDEN") == "1"

APIM = "azure-native:apimanagement:"
SERVICE = APIM + "ApiManagementService"
BACKEND = APIM + "Backend"


# --- small hand-built plans --------------------------------------------------------------------


def gateway(**changes) -> Gateway:
    return dataclasses.replace(
        Gateway(max_tokens=800, tokens_per_minute=120_000, timeout_s=90, streaming=True),
        **changes,
    )


def workload(
    name: str,
    *,
    kind: str = "azure-openai",
    regions: tuple[str, ...] = ("swedencentral",),
    task: str = "chat",
    limits: Gateway | None = None,
) -> WorkloadPlan:
    aks = aoai = None
    if kind == "vllm":
        aks = aks_plan(
            vm_sku="Standard_NC24ads_A100_v4",
            gpu="a100-80gb",
            tp=1,
            precision="bf16",
            replicas=1,
            vllm_args=(),
            hf_model="meta-llama/Llama-3.1-8B-Instruct",
        )
    else:
        aoai = aoai_plan(regions=regions)
    return WorkloadPlan(
        name=name,
        feasible=True,
        target="aks-vllm" if kind == "vllm" else "azure-openai",
        model="llama-3.1-8b" if kind == "vllm" else "gpt-4o-mini",
        regions=regions,
        predicted=None,
        cost=None,
        reasons=(),
        alternatives=(),
        gateway=limits or gateway(),
        alerts=(),
        availability=None,
        aks=aks,
        azure_openai=aoai,
        task=task,
        gateway_backends=backends_for(regions),
    )


def environment(tier: str = "StandardV2", **changes) -> EnvironmentPlan:
    base = EnvironmentPlan(
        name="test",
        location="swedencentral",
        monthly_usd=0.0,
        max_monthly_usd=None,
        workloads=(),
        gateway=GatewaySettings(
            tier=tier, publisher_email="platform@example.com", publisher_name="Platform"
        ),
        protect=True,
        tags={"environment": "test"},
    )
    return dataclasses.replace(base, **changes)


def kind_of(w: WorkloadPlan) -> str:
    return "vllm" if w.aks is not None else "azure-openai"


def backend_of(w: WorkloadPlan) -> str:
    return f"{w.name}-pool" if len(w.regions) > 1 else f"{w.name}-be"


def policy(w: WorkloadPlan, *, kind: str | None = None) -> ET.Element:
    return ET.fromstring(render_api_policy(w, backend_id=backend_of(w), kind=kind or kind_of(w)))


# --- rendered policies -------------------------------------------------------------------------


GOLDEN_CASES = {
    "azure-openai-chat": workload("hr-chat", limits=gateway(temperature=0.2)),
    "azure-openai-chat-priority": dataclasses.replace(
        workload("fast-chat"),
        azure_openai=dataclasses.replace(
            workload("fast-chat").azure_openai,
            deployment_type="GlobalStandard",
            service_tier="priority",
            request_api_version="2025-12-01",
        ),
    ),
    "azure-openai-embeddings": workload(
        "doc-embeddings",
        task="embedding",
        limits=gateway(max_tokens=0, streaming=False, timeout_s=30),
    ),
    "vllm-chat-failover-pool": workload(
        "support-chat",
        kind="vllm",
        regions=("eastus2", "westus3"),
        limits=gateway(
            timeout_s=240,
            temperature=0.5,
            top_p=0.9,
            frequency_penalty=0.3,
            presence_penalty=0.2,
            stop=("</answer>", 'say "done"'),
        ),
    ),
}


def scaled_to_zero(w: WorkloadPlan, answer: OffHoursAnswer) -> WorkloadPlan:
    assert w.aks is not None
    autoscaling = dataclasses.replace(w.aks.autoscaling, min_replicas=0, off_hours=answer)
    return dataclasses.replace(w, aks=dataclasses.replace(w.aks, autoscaling=autoscaling))


STOCKHOLM_HOURS = OffHoursAnswer(
    timezone="Europe/Stockholm",
    weekdays=(1, 2, 3, 4, 5),
    start_minute=7 * 60,
    span_minutes=12 * 60,
    startup_s=658,
    description="mon-fri 07:00-19:00 Europe/Stockholm",
)
GOLDEN_CASES["vllm-chat-scale-to-zero"] = scaled_to_zero(
    workload("ticket-triage", kind="vllm", limits=gateway(timeout_s=55)), STOCKHOLM_HOURS
)


@pytest.mark.parametrize("case", sorted(GOLDEN_CASES))
def test_policies_match_the_reviewed_golden_files(case: str) -> None:
    w = GOLDEN_CASES[case]
    rendered = render_api_policy(w, backend_id=backend_of(w), kind=kind_of(w))
    path = GOLDEN / f"{case}.xml"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")
    # same input, same bytes
    assert rendered == render_api_policy(w, backend_id=backend_of(w), kind=kind_of(w))


def example_workloads(plan, env_name: str) -> list[WorkloadPlan]:
    return [w for w in plan.workloads_of(env_name) if w.feasible]


def test_every_example_policy_is_sse_safe_and_carries_the_plans_limits(prod_plan) -> None:
    for w in example_workloads(prod_plan, "prod"):
        doc = policy(w)
        forwards = doc.findall(".//forward-request")
        assert forwards, w.name
        for fwd in forwards:  # [sse] §1.3: chunks go straight to the caller
            assert fwd.get("buffer-response") == "false", w.name
            assert fwd.get("timeout") == str(w.gateway.timeout_s), w.name
        limit = doc.find("./inbound/llm-token-limit")
        assert limit.get("tokens-per-minute") == str(w.gateway.tokens_per_minute), w.name
        assert limit.get("counter-key") == "@(context.Subscription.Id)"
        assert limit.get("estimate-prompt-tokens") == "true"
        assert doc.find("./inbound/llm-emit-token-metric") is not None
        assert doc.find("./inbound/set-backend-service").get("backend-id") == backend_of(w)
        # outbound and on-error never touch the (streamed) response body [sse] §1.4
        for section in ("outbound", "on-error"):
            assert [c.tag for c in doc.find(section)] == ["base"], (w.name, section)


def test_the_max_tokens_cap_and_sampling_defaults_come_from_the_plan(prod_plan) -> None:
    for w in example_workloads(prod_plan, "prod"):
        bodies = [e.text for e in policy(w).findall("./inbound/choose/when/set-body")]
        generation = [b for b in bodies if b.startswith("@{")]
        if w.task == "embedding":
            assert generation == [], w.name
            continue
        (body,) = generation
        if w.gateway.max_tokens:
            assert f"> {w.gateway.max_tokens})" in body, w.name
            assert f'body["max_tokens"] = {w.gateway.max_tokens};' in body, w.name
            assert f'body["max_completion_tokens"] = {w.gateway.max_tokens};' in body, w.name
        for field in ("temperature", "top_p", "frequency_penalty", "presence_penalty"):
            value = getattr(w.gateway, field)
            fill = f'body["{field}"] = {float(value)!r};' if value is not None else None
            assert (fill in body) if fill else (f'body["{field}"] =' not in body), (w.name, field)


def test_stop_sequences_survive_xml_and_csharp_escaping() -> None:
    w = GOLDEN_CASES["vllm-chat-failover-pool"]
    (body,) = [e.text for e in policy(w).findall("./inbound/choose/when/set-body")]
    assert 'body["stop"] = new JArray("</answer>", "say \\"done\\"");' in body


@pytest.mark.parametrize(
    ("kind", "managed_identity"), [("azure-openai", True), ("vllm", False)], ids=str
)
def test_managed_identity_for_azure_openai_and_the_api_key_for_vllm(
    kind: str, managed_identity: bool
) -> None:
    doc = policy(workload("chat", kind=kind), kind=kind)
    auth = doc.find("./inbound/authentication-managed-identity")
    assert (auth is not None) is managed_identity
    if managed_identity:
        assert auth.get("resource") == "https://cognitiveservices.azure.com"
        rewrite = doc.find("./inbound/rewrite-uri")
        assert rewrite.get("template") == '@("/deployments/chat" + context.Operation.UrlTemplate)'
        version = doc.find("./inbound/set-query-parameter[@name='api-version']/value")
        assert version.text == AZURE_OPENAI_API_VERSION
    else:
        assert doc.find("./inbound/rewrite-uri") is None
        # the client's bearer token is replaced by vLLM's own key from the named value
        authorization = doc.find("./inbound/set-header[@name='Authorization']")
        assert authorization.get("exists-action") == "override"
        assert authorization.find("value").text == "Bearer {{vllm-api-key}}"
    key = doc.find("./inbound/set-header[@name='api-key']")
    assert key.get("exists-action") == "delete"


@pytest.mark.parametrize("regions", [2, 3])
def test_a_pool_retries_once_per_further_region(regions: int) -> None:
    w = workload("chat", kind="vllm", regions=("eastus2", "westus3", "centralus")[:regions])
    retry = policy(w).find("./backend/retry")
    assert retry.get("count") == str(regions - 1)
    assert retry.get("interval") == "0" and retry.get("first-fast-retry") == "true"
    for status in w.gateway_backends.retry.status_codes:
        assert f"context.Response.StatusCode == {status}" in retry.get("condition")
    # the request body is replayed on retry, the response is still streamed unbuffered
    assert retry.find("forward-request").get("buffer-request-body") == "true"
    assert retry.find("forward-request").get("buffer-response") == "false"


def test_a_single_backend_retries_after_a_short_retry_after_instead_of_a_breaker() -> None:
    w = workload("chat", kind="vllm", regions=("westeurope",))
    plan = w.gateway_backends
    assert plan.circuit_breaker is None and plan.retry.failover is False
    retry = policy(w).find("./backend/retry")
    assert retry.get("count") == str(plan.retry.count)
    assert retry.get("first-fast-retry") == "false"  # wait the Retry-After first
    interval, condition = retry.get("interval"), retry.get("condition")
    assert 'GetValueOrDefault("Retry-After", "1")' in interval
    assert f"Math.Min(wait, {plan.retry.max_retry_after_s})" in interval
    assert f"wait <= {plan.retry.max_retry_after_s}" in condition  # longer: to the caller
    assert "context.Response.StatusCode == 429" in condition
    assert "context.Response.StatusCode == 503" in condition


def test_a_subscription_key_in_the_query_string_is_refused() -> None:
    doc = policy(workload("chat"))
    (first,) = doc.findall("./inbound/choose")[:1]
    when = first.find("when")
    assert when.get("condition") == '@(context.Request.Url.Query.ContainsKey("api-key"))'
    assert when.find("return-response/set-status").get("code") == "401"


def test_bad_backend_kinds_and_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="backend kind"):
        render_api_policy(workload("chat"), backend_id="chat-be", kind="ollama")
    with pytest.raises(ValueError, match="backend id"):
        render_api_policy(workload("chat"), backend_id="chat/be", kind="vllm")


# --- LlmGateway under capture ------------------------------------------------------------------


SECRET_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/secrets/k"
SECRET_URI = "https://kv.vault.azure.net/secrets/vllm-api-key"


def placement(env: EnvironmentPlan, workloads) -> GatewayPlacement:
    return GatewayPlacement("eu", env.location, tuple(sorted(w.name for w in workloads)), True)


def apim_name(environment: str, region: str) -> str:
    base = resource_name("apim", environment, region)
    return f"{base}-{stable_hash(SUBSCRIPTION_ID, 'rg-test', base)}"


def gateway_program(env: EnvironmentPlan, workloads, *, subnet_id: str | None = "/subnets/apim"):
    """The environment's wiring (environment.py) with stand-in vLLM URLs."""

    def program() -> None:
        openai = {
            a.region: OpenAIService(
                f"oai-{a.region}",
                environment=env,
                account=a,
                resource_group_name="rg-test",
                subscription_id=SUBSCRIPTION_ID,
                resource_group="rg-test",
            )
            for a in openai_accounts(workloads)
        }
        backends = tuple(
            GatewayBackend(
                w.name,
                region,
                priority,
                kind_of(w),
                openai[region].endpoint if w.azure_openai else f"http://10.1.0.{priority}:8000/",
            )
            for w in workloads
            for priority, region in enumerate(w.regions, start=1)
        )
        gw = LlmGateway(
            "gateway",
            environment=env,
            placement=placement(env, workloads),
            resource_group_name="rg-test",
            workloads=tuple(workloads),
            backends=backends,
            openai_accounts={(r, 1): s.account_id for r, s in openai.items()},
            foundry_accounts=frozenset(
                (r, shard)
                for r, s in openai.items()
                for shard, kind in s.account_kinds.items()
                if kind == "AIServices"
            ),
            subnet_id=subnet_id,
            wiring=GatewayWiring(
                subscription_id=SUBSCRIPTION_ID,
                resource_group="rg-test",
                app_insights_id="/components/appi-test",
                app_insights_connection_string="InstrumentationKey=test",
                api_key_secret_id=SECRET_ID,
                api_key_secret_uri=SECRET_URI,
            ),
        )
        pulumi.export("gatewayUrl", gw.gateway_url)
        pulumi.export("apiPaths", gw.api_paths)
        pulumi.export("purge", gw.purge_command)

    return program


def capture_gateway(env, workloads, **kwargs):
    return capture(gateway_program(env, workloads, **kwargs), stack=env.name)


def by_name(result, type_: str) -> dict[str, dict]:
    return {r.name: r.inputs for r in result.of_type(APIM + type_)}


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_the_service_uses_the_environments_tier_identity_and_protection(
    env_name, dev_plan, prod_plan
) -> None:
    plan = {"dev": dev_plan, "prod": prod_plan}[env_name]
    env = plan.environment(env_name)
    result = capture_gateway(env, example_workloads(plan, env_name))
    (service,) = result.of_type(SERVICE)
    assert service.inputs["sku"] == {"name": env.gateway.tier, "capacity": 1}
    assert service.inputs["serviceName"] == apim_name(env_name, env.location)
    assert service.inputs["location"] == env.location
    assert service.inputs["identity"] == {"type": "SystemAssigned"}
    assert service.inputs["publisherEmail"] == env.gateway.publisher_email
    assert service.inputs["tags"] == env.tags
    assert service.protect is env.protect
    assert result.exports["gatewayUrl"].startswith("https://")
    # no portals unless the environment asks (gateway.developer_portal)
    assert service.inputs["developerPortalStatus"] == "Disabled"
    assert service.inputs["legacyPortalStatus"] == "Disabled"


@pytest.mark.parametrize(("asked", "status"), [(True, "Enabled"), (False, "Disabled")])
def test_portals_follow_the_environment(asked: bool, status: str) -> None:
    env = environment()
    env = dataclasses.replace(env, gateway=dataclasses.replace(env.gateway, developer_portal=asked))
    service = capture_gateway(env, [workload("chat")]).of_type(SERVICE)[0].inputs
    assert (service["developerPortalStatus"], service["legacyPortalStatus"]) == (status, status)


@pytest.mark.parametrize(("handling", "restore"), [("purge", False), ("restore", True)])
def test_a_soft_deleted_gateway_is_restored_only_when_the_environment_says(handling, restore):
    result = capture_gateway(environment(soft_deleted=handling), [workload("chat")])
    assert result.of_type(SERVICE)[0].inputs.get("restore") == restore
    name = apim_name("test", "swedencentral")
    assert result.exports["purge"] == (
        f"az apim deletedservice purge --service-name {name} --location swedencentral"
    )


@pytest.mark.parametrize(
    ("tier", "joined"),
    [(tier, True) for tier in ("Developer", "Premium", "StandardV2", "PremiumV2")]
    + [(tier, False) for tier in ("Basic", "BasicV2", "Standard")],
)
def test_a_subnet_joins_the_gateway_where_the_tier_supports_it(tier: str, joined: bool) -> None:
    result = capture_gateway(environment(tier), [workload("chat", kind="vllm")])
    inputs = result.of_type(SERVICE)[0].inputs
    if joined:
        assert inputs["virtualNetworkType"] == "External"
        assert inputs["virtualNetworkConfiguration"] == {"subnetResourceId": "/subnets/apim"}
    else:
        assert inputs.get("virtualNetworkType", "None") == "None"
        assert "virtualNetworkConfiguration" not in inputs


def test_without_a_subnet_the_gateway_stays_out_of_any_network() -> None:
    result = capture_gateway(environment(), [workload("chat", kind="vllm")], subnet_id=None)
    inputs = result.of_type(SERVICE)[0].inputs
    assert inputs.get("virtualNetworkType", "None") == "None"  # the SDK fills in "None"
    assert "virtualNetworkConfiguration" not in inputs


def test_one_openai_compatible_api_per_workload_with_the_tasks_operations(dev_plan) -> None:
    workloads = example_workloads(dev_plan, "dev")
    result = capture_gateway(dev_plan.environment("dev"), workloads)
    apis = {a["apiId"]: a for a in by_name(result, "Api").values()}
    operations = by_name(result, "ApiOperation").values()

    assert set(apis) == {w.name for w in workloads}
    assert result.exports["apiPaths"] == {w.name: f"{w.name}/v1" for w in workloads}
    chat = {("POST", "/chat/completions"), ("GET", "/models")}
    expected_ops = {  # the legacy completions operation only where vLLM serves it
        ("chat", "aks-vllm"): chat | {("POST", "/completions")},
        ("chat", "azure-openai"): chat,
        ("embedding", "azure-openai"): {("POST", "/embeddings")},
    }
    for w in workloads:
        api = apis[w.name]
        assert api["path"] == f"{w.name}/v1"
        assert api["protocols"] == ["https"]
        assert api["subscriptionRequired"] is True
        ops = {(o["method"], o["urlTemplate"]) for o in operations if o["apiId"] == w.name}
        assert ops == expected_ops[(w.task, w.target)], w.name


def test_backends_per_region_with_breakers_only_on_pool_members() -> None:
    chat = workload("chat", kind="vllm", regions=("eastus2", "westus3"))
    managed = workload("assist", regions=("swedencentral", "francecentral"))
    single = workload("triage", kind="vllm", regions=("westeurope",))
    result = capture_gateway(environment(), [chat, managed, single])
    backends = {b["backendId"]: b for b in by_name(result, "Backend").values()}

    singles = {k: b for k, b in backends.items() if b["type"] == "Single"}
    assert set(singles) == {
        "chat-eus2",
        "chat-wus3",
        "assist-swc",
        "assist-frc",
        "triage-weu",
    }
    assert singles["chat-eus2"]["url"] == "http://10.1.0.1:8000/v1"
    oai_base = resource_name("oai", "test", "francecentral")
    oai = f"{oai_base}-{stable_hash(SUBSCRIPTION_ID, 'rg-test', oai_base)}"
    assert singles["assist-frc"]["url"] == f"https://{oai}.openai.azure.com/openai"
    for backend_id, b in singles.items():
        if backend_id == "triage-weu":  # one region: nothing to fail over to, no breaker
            assert "circuitBreaker" not in b
            continue
        (rule,) = b["circuitBreaker"]["rules"]
        failing = rule["failureCondition"]
        ranges = failing["statusCodeRanges"]
        assert {"min": 429, "max": 429} in ranges and {"min": 500, "max": 599} in ranges
        # a run of failures, not one 429: the Plan's count at its peak rate
        assert failing["count"] == chat.gateway_backends.circuit_breaker.failure_count
        assert failing["count"] >= BREAKER_MIN_FAILURES
        assert (failing["interval"], rule["tripDuration"]) == ("PT1M", "PT1M")
        assert rule["acceptRetryAfter"] is True

    pools = {k: b for k, b in backends.items() if b["type"] == "Pool"}
    assert set(pools) == {"chat-pool", "assist-pool"}  # one region: no pool
    members = pools["assist-pool"]["pool"]["services"]
    assert [(m["id"].rsplit("/", 1)[-1], m["priority"]) for m in members] == [
        ("gateway-assist-swc", 1),
        ("gateway-assist-frc", 2),
    ]

    policies = {p["apiId"]: p for p in by_name(result, "ApiPolicy").values()}
    for w, target in ((chat, "chat-pool"), (managed, "assist-pool"), (single, "triage-weu")):
        assert policies[w.name]["format"] == "xml"
        assert policies[w.name]["value"] == render_api_policy(w, backend_id=target, kind=kind_of(w))


def test_vllm_backends_get_their_key_from_a_key_vault_named_value() -> None:
    result = capture_gateway(environment(), [workload("chat", kind="vllm")])
    (named,) = by_name(result, "NamedValue").values()
    assert named["namedValueId"] == named["displayName"] == "vllm-api-key"
    assert named["secret"] is True
    assert named["keyVault"] == {"secretIdentifier": SECRET_URI}
    assert "value" not in named  # the key itself never passes through Pulumi here
    reader = result.get("azure-native:authorization:RoleAssignment", "gateway-vllm-key-reader")
    assert reader.inputs["roleDefinitionId"].endswith(KEY_VAULT_SECRETS_USER)
    assert reader.inputs["scope"] == SECRET_ID


def test_diagnostics_never_log_bodies_and_enable_token_metrics(prod_plan) -> None:
    result = capture_gateway(prod_plan.environment("prod"), example_workloads(prod_plan, "prod"))
    (logger,) = by_name(result, "Logger").values()
    assert logger["loggerType"] == "applicationInsights"
    assert logger["resourceId"] == "/components/appi-test"
    (credentials,) = logger["credentials"].values()  # the whole map is a secret
    # Application Insights' local auth is off: the gateway's identity sends the telemetry
    assert credentials["identityClientId"] == "SystemAssigned"
    publisher = result.get("azure-native:authorization:RoleAssignment", "gateway-metrics-publisher")
    assert publisher.inputs["roleDefinitionId"].endswith(MONITORING_METRICS_PUBLISHER)

    diagnostics = list(by_name(result, "ApiDiagnostic").values())
    assert len(diagnostics) == len(example_workloads(prod_plan, "prod"))
    for d in diagnostics:
        assert d["diagnosticId"] == "applicationinsights"
        assert d["metrics"] is True  # custom metrics with dimensions [aoai-em]
        assert d["sampling"]["samplingType"] == "fixed"
        for side in ("frontend", "backend"):
            for message in ("request", "response"):
                assert d[side][message]["body"] == {"bytes": 0}  # [sse] §1.5


def test_the_gateway_identity_is_openai_user_on_every_account() -> None:
    workloads = [
        workload("assist", regions=("swedencentral", "francecentral")),
        workload("chat", kind="vllm"),
    ]
    result = capture_gateway(environment(), workloads)
    assignments = {
        r.name: r.inputs for r in result.of_type("azure-native:authorization:RoleAssignment")
    }
    accounts = {
        r.name.removeprefix("oai-").removesuffix("-account"): r
        for r in result.of_type("azure-native:cognitiveservices:Account")
    }
    openai_users = {
        name: a
        for name, a in assignments.items()
        if a["roleDefinitionId"].endswith(COGNITIVE_SERVICES_OPENAI_USER)
    }
    assert len(openai_users) == len(accounts) == 2
    for account in accounts.values():
        (a,) = [a for a in openai_users.values() if a["scope"].endswith(f"/{account.name}")]
        assert a["roleDefinitionId"].startswith("/subscriptions/")
        assert a["principalType"] == "ServicePrincipal"
        uuid.UUID(a["roleAssignmentName"])  # Azure requires a GUID
    # one name per (scope, principal, role): no two assignments share one
    names = [a["roleAssignmentName"] for a in assignments.values()]
    assert len(set(names)) == len(names)


def test_a_foundry_account_also_gives_the_gateway_cognitive_services_user() -> None:
    """Llama-3.3-70B-Instruct (format Meta) in swedencentral puts a Foundry account there; its
    inference needs Cognitive Services User, which the OpenAI-only account in francecentral does
    not get."""
    import dataclasses

    from components.roles import COGNITIVE_SERVICES_USER

    llama = workload("open-chat")
    llama = dataclasses.replace(
        llama,
        azure_openai=dataclasses.replace(
            llama.azure_openai, model="Llama-3.3-70B-Instruct", model_format="Meta"
        ),
    )
    workloads = [llama, workload("assist", regions=("francecentral",))]
    result = capture_gateway(environment(), workloads)
    accounts = {
        r.inputs["location"]: r for r in result.of_type("azure-native:cognitiveservices:Account")
    }
    assert {loc: a.inputs["kind"] for loc, a in accounts.items()} == {
        "swedencentral": "AIServices",
        "francecentral": "OpenAI",
    }
    users = [
        a.inputs
        for a in result.of_type("azure-native:authorization:RoleAssignment")
        if a.inputs["roleDefinitionId"].endswith(COGNITIVE_SERVICES_USER)
    ]
    assert [a["scope"].rsplit("/", 1)[1] for a in users] == [accounts["swedencentral"].name]
    assert users[0]["principalType"] == "ServicePrincipal"


def test_consumption_is_refused_for_streaming_workloads_with_a_clear_reason() -> None:
    streaming = workload("chat", kind="vllm")
    with pytest.raises(ValueError, match=r"Consumption cannot serve streaming workloads \(chat\)"):
        capture_gateway(environment("Consumption"), [streaming])


def test_consumption_is_refused_even_without_streaming() -> None:
    batch = workload("batch", limits=gateway(streaming=False))
    with pytest.raises(ValueError, match="token-limit"):
        check_tier("Consumption", (batch,))
    check_tier("BasicV2", (batch,))  # any tier that runs the policies is fine


def test_the_environment_program_wires_the_gateway(dev_plan, dev_capture) -> None:
    """End to end through components/environment.py once all its components exist."""
    result = dev_capture
    (service,) = result.of_type(SERVICE)
    assert service.inputs["sku"]["name"] == dev_plan.environment("dev").gateway.tier
    apis = {a["apiId"] for a in by_name(result, "Api").values()}
    assert apis == {w.name for w in example_workloads(dev_plan, "dev")}


# --- scale-to-zero: 503 with Retry-After instead of the backend timeout -------------------------


def test_a_scale_to_zero_workload_answers_503_outside_its_hours_and_while_starting() -> None:
    """Issue 23, item 6: the inbound computes the working hours from the Plan (the zone's own
    rule, the week's windows) and returns 503 with Retry-After outside them; on-error turns a
    backend that does not answer into 503 with the start-up budget."""
    doc = policy(GOLDEN_CASES["vllm-chat-scale-to-zero"])
    wait = doc.find("./inbound/set-variable[@name='off-hours-wait-s']").get("value")
    assert "DateTime.UtcNow.AddMinutes(60)" in wait  # CET, standard time
    assert "new DateTime(now.Year, 3, 1)" in wait and "new DateTime(now.Year, 10, 1)" in wait
    assert "new int[] { 420, 1860, 3300, 4740, 6180 }" in wait  # Mon-Fri 07:00
    assert "&lt; 720)" not in wait and "< 720)" in wait  # 12 hours, XML-unescaped
    (gate,) = [
        c
        for c in doc.findall("./inbound/choose")
        if "off-hours-wait-s" in (c.find("when").get("condition") or "")
    ]
    answer = gate.find("when/return-response")
    assert answer.find("set-status").get("code") == "503"
    retry_after = answer.find("set-header[@name='Retry-After']/value").text
    assert retry_after == '@(((int)context.Variables["off-hours-wait-s"]).ToString())'
    # before any token is counted or the backend chosen
    tags = [c.tag for c in doc.find("inbound")]
    assert tags.index("set-variable") < tags.index("set-backend-service")
    assert tags.index("set-variable") < tags.index("llm-token-limit")

    on_error = doc.find("on-error")
    when = on_error.find("choose/when")
    assert when.get("condition") == '@(context.LastError.Source == "forward-request")'
    starting = when.find("return-response")
    assert starting.find("set-status").get("code") == "503"
    assert starting.find("set-header[@name='Retry-After']/value").text == "658"


def test_always_on_workloads_keep_the_plain_policy(prod_plan) -> None:
    for w in example_workloads(prod_plan, "prod"):
        doc = policy(w)
        assert doc.find("./inbound/set-variable") is None, w.name
        assert [c.tag for c in doc.find("on-error")] == ["base"], w.name


def test_the_dev_stack_plans_the_off_hours_answer(dev_plan) -> None:
    """The dev stack's scale-to-zero workload carries its hours and start-up budget to the
    gateway; its policy renders the 503 answer."""
    (w,) = [w for w in example_workloads(dev_plan, "dev") if w.aks is not None]
    answer = w.aks.autoscaling.off_hours
    assert answer == OffHoursAnswer(
        timezone="Europe/Stockholm",
        weekdays=(1, 2, 3, 4, 5),
        start_minute=420,
        span_minutes=720,
        startup_s=w.aks.startup.budget_s,
        description="mon-fri 07:00-19:00 Europe/Stockholm",
    )
    assert policy(w).find("./inbound/set-variable[@name='off-hours-wait-s']") is not None


# --- priority processing ---------------------------------------------------------------------


def priority_workload(name: str = "fast-chat") -> WorkloadPlan:
    w = workload(name)
    plan = dataclasses.replace(
        w.azure_openai,
        deployment_type="GlobalStandard",
        service_tier="priority",
        request_api_version="2025-12-01",
    )
    return dataclasses.replace(w, azure_openai=plan)


def test_priority_processing_is_asked_on_every_generation_request_with_its_api_version():
    """[priority-how]: the request's service_tier "priority" overrides the deployment's tier;
    the gateway sets it whatever the client sent, so every request is billed as planned."""
    root = policy(priority_workload())
    (body,) = [
        e.text for e in root.findall("./inbound/choose/when/set-body") if e.text.startswith("@{")
    ]
    assert 'body["service_tier"] = "priority";' in body
    (version,) = root.findall("./inbound/set-query-parameter[@name='api-version']/value")
    assert version.text == "2025-12-01"


def test_default_tier_workloads_leave_service_tier_alone_and_keep_the_ga_api_version():
    root = policy(workload("hr-chat"))
    (body,) = [
        e.text for e in root.findall("./inbound/choose/when/set-body") if e.text.startswith("@{")
    ]
    assert "service_tier" not in body
    (version,) = root.findall("./inbound/set-query-parameter[@name='api-version']/value")
    assert version.text == AZURE_OPENAI_API_VERSION


def test_the_gateway_program_carries_the_priority_tier_into_the_apis_policy():
    """Under mocks, the whole wiring: the priority workload's API policy asks for priority
    processing; a default-tier workload beside it does not."""
    fast, plain = priority_workload("fast-chat"), workload("plain-chat")
    result = capture_gateway(environment(), [fast, plain])
    policies = {p["apiId"]: p["value"] for p in by_name(result, "ApiPolicy").values()}
    assert 'body["service_tier"] = "priority";' in policies["fast-chat"]
    assert "<value>2025-12-01</value>" in policies["fast-chat"]
    assert "service_tier" not in policies["plain-chat"]
