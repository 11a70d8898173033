"""Observability and SLO alerts: the Plan's alerts translated, and the resources that carry them.

The pure translations (PromQL, log queries, metric criteria, dashboard JSON) are checked with
plain values; the components run under the offline capture with the example stacks' plans and
hand-made ids standing in for the clusters, accounts and gateway other components create.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pulumi
import pytest

from components.alert_rules import (
    AZURE_MONITOR_METRIC,
    LOG_QUERY,
    PROMETHEUS,
    UnsupportedAlert,
    apim_log_query,
    apim_measure_column,
    azure_openai_criterion,
    iso_duration,
    metric_alert_window,
    prometheus_rule_batches,
    prometheus_rules,
    promql_duration,
    promql_for,
    signal_text,
)
from components.dashboard import dashboard_properties
from components.naming import region_code
from inferplan.offline.capture import SECRET, capture
from sizing.plan import Alert, StatusFilter

OBSERVABILITY = "inferplan:azure:Observability"
SLO_ALERTS = "inferplan:azure:SloAlerts"
RULE_GROUP = "azure-native:alertsmanagement:PrometheusRuleGroup"
LOG_ALERT = "azure-native:monitor:ScheduledQueryRule"
METRIC_ALERT = "azure-native:monitor:MetricAlert"
DASHBOARD = "azure-native:portal:Dashboard"
GROUP_ID = "/subscriptions/s/resourceGroups/rg/providers"
GATEWAY_ID = f"{GROUP_ID}/Microsoft.ApiManagement/service/apim-x"


def cluster_id(region: str) -> str:
    return f"{GROUP_ID}/Microsoft.ContainerService/managedClusters/aks-{region_code(region)}"


def account_id(region: str) -> str:
    return f"{GROUP_ID}/Microsoft.CognitiveServices/accounts/oai-{region_code(region)}"


# --- PromQL ---------------------------------------------------------------------------------


def p_alert(name, metric, threshold, window_s=300, *, quantile=None, **kw) -> Alert:
    statistic = "percentile" if quantile is not None else "maximum"
    return Alert(
        name, "prometheus", metric, statistic, threshold, window_s, quantile=quantile, **kw
    )


def share_alert(dimension, value, first, last) -> Alert:
    requests = StatusFilter(dimension, value, first, last)
    return Alert("r", "log-query", "Requests", "share", 0.01, 300, requests=requests)


def metric_alert(metric, threshold=900.0, window_s=300) -> Alert:
    return Alert("a", "azure-monitor-metric", metric, "average", threshold, window_s)


@pytest.mark.parametrize(
    ("alert", "expected", "text"),
    [
        pytest.param(
            p_alert("ttft-p95", "vllm:time_to_first_token_seconds", 0.8, quantile=0.95),
            "histogram_quantile(0.95, sum by (le) (rate("
            'vllm:time_to_first_token_seconds_bucket{namespace="chat"}[5m]))) > 0.8',
            "histogram_quantile(0.95, vllm:time_to_first_token_seconds)",
            id="ttft-histogram",
        ),
        pytest.param(
            p_alert("itl-p50", "vllm:inter_token_latency_seconds", 0.0333, quantile=0.5),
            "histogram_quantile(0.5, sum by (le) (rate("
            'vllm:inter_token_latency_seconds_bucket{namespace="chat"}[5m]))) > 0.0333',
            "histogram_quantile(0.5, vllm:inter_token_latency_seconds)",
            id="itl-histogram",
        ),
        pytest.param(
            p_alert("queue-depth", "vllm:num_requests_waiting", 31.0),
            'max(vllm:num_requests_waiting{namespace="chat"}) > 31',
            "max(vllm:num_requests_waiting)",
            id="queue-gauge",
        ),
        pytest.param(
            p_alert("kv-cache-usage", "vllm:kv_cache_usage_perc", 0.9, 600),
            'max(vllm:kv_cache_usage_perc{namespace="chat"}) > 0.9',
            "max(vllm:kv_cache_usage_perc)",
            id="kv-cache-gauge",
        ),
        pytest.param(
            p_alert(
                "slow",
                "vllm:e2e_request_latency_seconds",
                30,
                3600,
                quantile=0.99,
                operator="GreaterThanOrEqual",
            ),
            "histogram_quantile(0.99, sum by (le) (rate("
            'vllm:e2e_request_latency_seconds_bucket{namespace="chat"}[1h]))) >= 30',
            "histogram_quantile(0.99, vllm:e2e_request_latency_seconds)",
            id="window-and-operator",
        ),
    ],
)
def test_promql_for_each_vllm_alert_kind(alert, expected, text):
    assert promql_for(alert, workload="chat") == expected
    assert signal_text(alert) == text


@pytest.mark.parametrize(
    ("seconds", "iso", "duration"),
    [
        (300, "PT5M", "5m"),
        (600, "PT10M", "10m"),
        (3600, "PT1H", "1h"),
        (5400, "PT1H30M", "1h30m"),
        (30, "PT30S", "30s"),
        (86400, "P1D", "1d"),
        (129600, "P1DT12H", "1d12h"),
    ],
)
def test_window_becomes_iso_and_promql_durations(seconds, iso, duration):
    assert iso_duration(seconds) == iso
    assert promql_duration(seconds) == duration


@pytest.mark.parametrize("seconds", [0, -60])
def test_empty_window_is_rejected(seconds):
    with pytest.raises(UnsupportedAlert, match="zero-length"):
        promql_duration(seconds)
    with pytest.raises(UnsupportedAlert, match="zero-length"):
        iso_duration(seconds)


@pytest.mark.parametrize(
    "alert",
    [
        pytest.param(Alert("x", "prometheus", "vllm:x", "average", 1, 300), id="no-aggregation"),
        pytest.param(Alert("x", "prometheus", "vllm:x", "percentile", 1, 300), id="no-quantile"),
        pytest.param(p_alert("x", "vllm:x", 1, quantile=95), id="quantile-as-percent"),
        pytest.param(metric_alert("TimeToResponse"), id="not-prometheus"),
    ],
)
def test_untranslatable_prometheus_alert_fails_loudly(alert):
    with pytest.raises(UnsupportedAlert):
        promql_for(alert, workload="chat")


def test_every_alert_source_the_plans_emit_has_a_translation(dev_plan, prod_plan):
    alerts = [a for plan in (dev_plan, prod_plan) for w in plan.workloads for a in w.alerts]
    assert {a.source for a in alerts} == {PROMETHEUS, LOG_QUERY, AZURE_MONITOR_METRIC}
    for alert in alerts:
        assert signal_text(alert)
        if alert.source == PROMETHEUS:
            assert promql_for(alert, workload="w")
        elif alert.source == LOG_QUERY:
            assert apim_log_query(alert, workload="w")
        else:
            assert azure_openai_criterion(alert, deployment="w")
            assert metric_alert_window(alert)


def test_prometheus_rules_follow_the_plan_and_are_deterministic(prod_plan):
    for workload in prod_plan.workloads_of("prod"):
        rules = prometheus_rules(workload)
        assert rules == prometheus_rules(workload)
        expected = [a for a in workload.alerts if a.source == PROMETHEUS]
        if workload.aks is None:
            assert rules == []
            continue
        assert [r["alert"] for r in rules] == [f"{workload.name}-{a.name}" for a in expected]
        for rule, alert in zip(rules, expected, strict=True):
            assert rule["for"] == iso_duration(alert.window_s)
            assert rule["severity"] == alert.severity
            assert rule["expression"] == promql_for(alert, workload=workload.name)
            assert rule["expression"].endswith(f"> {rule['annotations']['threshold']}")
            assert float(rule["annotations"]["threshold"]) == alert.threshold
            assert rule["annotations"]["metric"] == signal_text(alert)
            assert rule["labels"] == {
                "workload": workload.name,
                "slo": alert.name,
                "environment": "prod",
            }


def test_rule_batches_respect_the_rules_per_group_limit(prod_plan):
    aks = [w for w in prod_plan.workloads_of("prod") if w.aks is not None]
    template = aks[0]
    per_workload = len(prometheus_rules(template))
    assert per_workload == 4  # TTFT, inter-token latency, queue depth, KV cache
    many = [replace(template, name=f"w{i}") for i in range(6)]
    batches = prometheus_rule_batches(many, max_rules=20)
    assert [len(b) for b in batches] == [20, 4]
    assert {r["labels"]["workload"] for r in batches[1]} == {"w5"}


def test_no_alert_reads_a_series_nothing_exports(dev_plan, prod_plan):
    """No DCGM exporter runs on the GPU pools, so no alert may wait on DCGM_* series."""
    for plan, env in ((dev_plan, "dev"), (prod_plan, "prod")):
        for w in plan.workloads_of(env):
            assert not any(a.metric.startswith("DCGM_") for a in w.alerts), w.name


# --- API Management and Azure OpenAI -----------------------------------------------------------


@pytest.mark.parametrize(
    ("alert", "condition", "text"),
    [
        (
            share_alert("GatewayResponseCodeCategory", "5xx", 500, 599),
            "ResponseCode between (500 .. 599)",
            "apim:Requests{GatewayResponseCodeCategory=5xx}/Requests",
        ),
        (
            share_alert("GatewayResponseCode", "429", 429, 429),
            "ResponseCode == 429",
            "apim:Requests{GatewayResponseCode=429}/Requests",
        ),
        (
            share_alert("BackendResponseCode", "429", 429, 429),
            "BackendResponseCode == 429",
            "apim:Requests{BackendResponseCode=429}/Requests",
        ),
        (
            share_alert("BackendResponseCodeCategory", "4xx", 400, 499),
            "BackendResponseCode between (400 .. 499)",
            "apim:Requests{BackendResponseCodeCategory=4xx}/Requests",
        ),
    ],
)
def test_apim_share_becomes_a_log_query_computing_the_same_ratio(alert, condition, text):
    assert apim_measure_column(alert) == "ratio"
    assert signal_text(alert) == text
    assert apim_log_query(alert, workload="chat").splitlines() == [
        "ApiManagementGatewayLogs",
        '| where tostring(parse_url(Url).Path) startswith "/chat/"',
        f"| summarize requests = count(), matching = countif({condition})",
        "| where requests > 0",
        "| project ratio = todouble(matching) / requests",
    ]


def test_a_backend_time_percentile_becomes_a_log_query_of_that_percentile():
    alert = Alert(
        "gateway-latency-p95", "log-query", "BackendTime", "percentile", 25_000, 300, quantile=0.95
    )
    assert apim_measure_column(alert) == "value"
    assert signal_text(alert) == "apim:BackendTime{percentile=95}"
    assert apim_log_query(alert, workload="chat").splitlines() == [
        "ApiManagementGatewayLogs",
        '| where tostring(parse_url(Url).Path) startswith "/chat/"',
        "| summarize requests = count(), value = percentile(BackendTime, 95)",
        "| where requests > 0",
        "| project value",
    ]


def test_the_429_alert_counts_the_gateways_own_throttling(dev_plan):
    """llm-token-limit answers 429 without calling the backend: only ResponseCode sees it."""
    for w in dev_plan.workloads_of("dev"):
        (throttled,) = [a for a in w.alerts if a.name == "gateway-429-rate"]
        assert throttled.requests == StatusFilter("GatewayResponseCode", "429", 429, 429)
        assert "| summarize requests = count(), matching = countif(ResponseCode == 429)" in (
            apim_log_query(throttled, workload=w.name).splitlines()
        )


@pytest.mark.parametrize(
    "alert",
    [
        pytest.param(share_alert("Hostname", "x", 200, 200), id="no-column"),
        pytest.param(
            Alert("r", "log-query", "Duration", "percentile", 1, 300, quantile=0.95),
            id="no-duration-column",
        ),
        pytest.param(
            Alert("r", "log-query", "Capacity", "share", 1, 300, requests=None), id="not-requests"
        ),
        pytest.param(
            Alert("r", "log-query", "Requests", "share", 1, 300, requests=None), id="no-filter"
        ),
        pytest.param(share_alert("GatewayResponseCode", "5", 5, 5), id="not-a-status"),
        pytest.param(share_alert("GatewayResponseCode", "x", 599, 500), id="backwards"),
        pytest.param(p_alert("x", "vllm:x", 1), id="prometheus"),
    ],
)
def test_untranslatable_apim_alert_fails_loudly(alert):
    with pytest.raises(UnsupportedAlert):
        apim_log_query(alert, workload="chat")


@pytest.mark.parametrize(
    ("plan_metric", "rest_metric"),
    [
        ("TimeToResponse", "TimeToResponse"),
        ("TimeBetweenTokens", "NormalizedTimeBetweenTokens"),
        ("ProvisionedManagedUtilizationV2", "ProvisionedManagedUtilizationV2"),
    ],
)
def test_azure_openai_criterion_uses_the_rest_metric_name(plan_metric, rest_metric):
    alert = metric_alert(plan_metric)
    criterion = azure_openai_criterion(alert, deployment="claims")
    assert signal_text(alert) == f"azure-openai:{plan_metric}"
    assert criterion["metricName"] == rest_metric
    assert criterion["metricNamespace"] == "Microsoft.CognitiveServices/accounts"
    assert criterion["timeAggregation"] == "Average"
    assert criterion["threshold"] == 900.0
    assert criterion["dimensions"] == [
        {"name": "ModelDeploymentName", "operator": "Include", "values": ["claims"]}
    ]


def test_a_percentile_is_no_metric_alert_aggregation():
    alert = Alert("a", "azure-monitor-metric", "TimeToResponse", "percentile", 1, 300, 0.95)
    with pytest.raises(UnsupportedAlert, match="percentile"):
        azure_openai_criterion(alert, deployment="claims")


def test_metric_alert_window_must_be_one_azure_accepts():
    assert metric_alert_window(metric_alert("TimeToResponse", 1, 300)) == "PT5M"
    with pytest.raises(UnsupportedAlert, match="PT10M"):
        metric_alert_window(metric_alert("TimeToResponse", 1, 600))


# --- dashboard --------------------------------------------------------------------------------


def test_dashboard_json_is_deterministic_and_has_every_tile(prod_plan):
    workloads = prod_plan.workloads_of("prod")
    kwargs = dict(
        title="t",
        workloads=workloads,
        monitor_workspace_id="/amw",
        gateway_ids=[GATEWAY_ID],
        openai_account_ids={"swedencentral": account_id("swedencentral")},
    )
    first = json.dumps(dashboard_properties(**kwargs))
    assert first == json.dumps(dashboard_properties(**kwargs))
    parts = dashboard_properties(**kwargs)["lenses"][0]["parts"]
    titles = [
        p["metadata"]["settings"]["content"]["settings"]["title"]
        if p["metadata"]["type"].endswith("MarkdownPart")
        else p["metadata"]["inputs"][0]["value"]["chart"]["title"]
        for p in parts
    ]
    assert titles[1:] == [
        "TTFT p95",
        "Inter-token latency p50",
        "Generated tokens/s",
        "Queue depth",
        "KV cache use",
        "API Management requests by status",
        "Azure OpenAI time to response (ms)",
        "Azure OpenAI time between tokens (ms)",
        "Azure OpenAI provisioned utilisation (%)",
        "Plan alerts",
    ]
    positions = [(p["position"]["x"], p["position"]["y"]) for p in parts]
    assert len(set(positions)) == len(positions)  # no two tiles on top of each other
    alerts = parts[-1]["metadata"]["settings"]["content"]["settings"]["content"]
    lines = alerts.splitlines()
    assert len(lines) == sum(len(w.alerts) for w in workloads)  # every alert, none looked up
    checkout_ttft = next(
        line for line in lines if line.startswith("- checkout-assistant `ttft-p95`")
    )
    assert checkout_ttft == (
        "- checkout-assistant `ttft-p95`: "
        "`histogram_quantile(0.95, vllm:time_to_first_token_seconds)` > 0.8 over PT5M "
        "(TTFT p95 above the SLO of 800 ms)"
    )  # the SLO's 800 ms in the series' seconds


# --- the components under capture ---------------------------------------------------------------


def _program(plan, environment: str):
    """What components/environment.py wires, with fixed ids for the other components' outputs."""
    from components.observability import Observability, SloAlerts

    env = plan.environment(environment)
    workloads = tuple(w for w in plan.workloads_of(environment) if w.feasible)
    gateway_of = {name: g for g in env.gateways for name in g.workloads}

    def program() -> None:
        observability = Observability("observability", environment=env, resource_group_name="rg")
        aks = sorted({r for w in workloads if w.aks for r in w.regions})
        managed = sorted({r for w in workloads if w.azure_openai for r in w.regions})
        SloAlerts(
            "alerts",
            environment=env,
            resource_group_name="rg",
            workloads=workloads,
            action_group_id=observability.action_group_id,
            monitor_workspace_id=observability.monitor_workspace_id,
            gateway_ids={w.name: pulumi.Output.from_input(GATEWAY_ID) for w in workloads},
            gateway_locations={w.name: gateway_of[w.name].location for w in workloads},
            openai_account_ids={r: pulumi.Output.from_input(account_id(r)) for r in managed},
            cluster_ids={r: pulumi.Output.from_input(cluster_id(r)) for r in aks},
        )
        pulumi.export("connectionString", observability.app_insights_connection_string)
        pulumi.export("prometheusDcrId", observability.prometheus_dcr_id)
        pulumi.export("workspaceId", observability.workspace_id)

    return program


@pytest.fixture(scope="module")
def prod_capture(prod_plan):
    return capture(_program(prod_plan, "prod"), stack="prod", preview=False)


@pytest.fixture(scope="module")
def dev_capture(dev_plan):
    return capture(_program(dev_plan, "dev"), stack="dev", preview=False)


def test_observability_sinks_named_retained_and_protected(prod_capture, prod_plan):
    env = prod_plan.environment("prod")
    workspace = prod_capture.get("azure-native:operationalinsights:Workspace", "log-prod-swc")
    assert workspace.inputs["retentionInDays"] == env.observability.retention_days == 90
    assert workspace.inputs["sku"] == {"name": "PerGB2018"}
    assert workspace.protect
    assert prod_capture.get("azure-native:monitor:AzureMonitorWorkspace", "amw-prod-swc").protect
    insights = prod_capture.get("azure-native:applicationinsights:Component", "appi-prod-swc")
    assert insights.inputs["workspaceResourceId"].endswith("/Workspace/log-prod-swc")
    assert insights.inputs["ingestionMode"] == "LogAnalytics"
    for registration in (workspace, insights):
        assert registration.inputs["tags"] == env.tags


@pytest.mark.parametrize(
    ("fixture", "access"), [("prod_capture", "Disabled"), ("dev_capture", "Enabled")]
)
def test_logs_and_telemetry_take_entra_id_only_and_private_networks_where_required(
    request, fixture, access
):
    result = request.getfixturevalue(fixture)
    (workspace,) = result.of_type("azure-native:operationalinsights:Workspace")
    (insights,) = result.of_type("azure-native:applicationinsights:Component")
    assert workspace.inputs["features"]["disableLocalAuth"] is True
    assert insights.inputs["disableLocalAuth"] is True
    for r in (workspace, insights):
        assert r.inputs["publicNetworkAccessForIngestion"] == access
        assert r.inputs["publicNetworkAccessForQuery"] == access


def test_a_private_environment_scopes_its_sinks_into_a_private_link_scope(prod_capture):
    (scope,) = prod_capture.of_type("azure-native:monitor:PrivateLinkScope")
    assert scope.inputs["accessModeSettings"] == {
        "ingestionAccessMode": "PrivateOnly",
        "queryAccessMode": "PrivateOnly",
    }
    linked = sorted(
        r.inputs["linkedResourceId"]
        for r in prod_capture.of_type("azure-native:monitor:PrivateLinkScopedResource")
    )
    # Application Insights, Log Analytics and the Azure Monitor workspace's ingestion endpoint
    assert [i.split("/mock/")[1] for i in linked] == [
        "AzureMonitorWorkspace/amw-prod-swc/dce",
        "Component/appi-prod-swc",
        "Workspace/log-prod-swc",
    ]


def test_a_private_environment_closes_the_workspace_query_endpoint(prod_capture):
    """KEDA then queries through the workspace's private endpoint (environment.py; tested in
    test_public_network_access.py with the whole program)."""
    (workspace,) = prod_capture.of_type("azure-native:monitor:AzureMonitorWorkspace")
    assert workspace.inputs["publicNetworkAccess"] == "Disabled"


def test_a_public_environment_has_no_private_link_scope(dev_capture):
    assert not dev_capture.of_type("azure-native:monitor:PrivateLinkScope")
    (workspace,) = dev_capture.of_type("azure-native:monitor:AzureMonitorWorkspace")
    assert workspace.inputs["publicNetworkAccess"] == "Enabled"


def test_dev_keeps_logs_30_days_and_protects_nothing(dev_capture):
    workspace = dev_capture.get("azure-native:operationalinsights:Workspace", "log-dev-swc")
    assert workspace.inputs["retentionInDays"] == 30
    assert not any(r.protect for r in dev_capture.resources)


@pytest.mark.parametrize(
    ("fixture", "email"), [("prod_capture", "oncall@example.com"), ("dev_capture", None)]
)
def test_action_group_mails_only_when_the_plan_names_an_address(request, fixture, email):
    result = request.getfixturevalue(fixture)
    (group,) = result.of_type("azure-native:monitor:ActionGroup")
    assert group.inputs["location"] == "global"
    assert len(group.inputs["groupShortName"]) <= 12
    receivers = group.inputs.get("emailReceivers", [])
    assert [r["emailAddress"] for r in receivers] == ([email] if email else [])


def test_public_outputs_the_orchestrator_reads(prod_capture):
    exports = prod_capture.exports
    assert exports["connectionString"] == {SECRET: "InstrumentationKey=appi-prod-swc-key"}
    assert exports["prometheusDcrId"].endswith("/AzureMonitorWorkspace/amw-prod-swc/dcr")
    assert exports["workspaceId"].endswith("/Workspace/log-prod-swc")


def test_one_rule_group_per_cluster_region_with_each_workloads_vllm_alerts(prod_capture, prod_plan):
    workloads = [w for w in prod_plan.workloads_of("prod") if w.feasible and w.aks]
    regions = sorted({r for w in workloads for r in w.regions})
    groups = {g.name: g for g in prod_capture.of_type(RULE_GROUP)}
    assert sorted(groups) == sorted(f"prg-prod-{region_code(r)}" for r in regions)
    for region in regions:
        group = groups[f"prg-prod-{region_code(region)}"]
        assert group.inputs["scopes"][1] == cluster_id(region)
        assert group.inputs["scopes"][0].endswith("/AzureMonitorWorkspace/amw-prod-swc")
        assert group.inputs["clusterName"] == f"aks-{region_code(region)}"
        expected = {
            (
                f"{w.name}-{a.name}",
                promql_for(a, workload=w.name),
                iso_duration(a.window_s),
                a.severity,
            )
            for w in workloads
            if region in w.regions
            for a in w.alerts
            if a.source == PROMETHEUS
        }
        got = {
            (r["alert"], r["expression"], r["for"], r["severity"]) for r in group.inputs["rules"]
        }
        assert got == expected
        assert all(
            r["actions"][0]["actionGroupId"].endswith("/ActionGroup/ag-prod-swc")
            for r in group.inputs["rules"]
        )


def test_gateway_ratio_alerts_are_log_alerts_with_the_plans_thresholds(prod_capture, prod_plan):
    rules = {r.name: r for r in prod_capture.of_type(LOG_ALERT)}
    env = prod_plan.environment("prod")
    where = {name: g.location for g in env.gateways for name in g.workloads}
    expected = {
        f"alert-prod-{region_code(where[w.name])}-{w.name}-{a.name}": (w.name, a)
        for w in prod_plan.workloads_of("prod")
        if w.feasible
        for a in w.alerts
        if a.source == LOG_QUERY
    }
    assert sorted(rules) == sorted(expected)
    for name, (workload, alert) in expected.items():
        inputs = rules[name].inputs
        (condition,) = inputs["criteria"]["allOf"]
        assert condition["threshold"] == alert.threshold
        assert condition["operator"] == alert.operator
        assert condition["query"] == apim_log_query(alert, workload=workload)
        assert condition["metricMeasureColumn"] == apim_measure_column(alert)
        assert inputs["location"] == where[workload]  # the gateway's region
        assert inputs["windowSize"] == iso_duration(alert.window_s)
        assert inputs["severity"] == alert.severity
        assert inputs["scopes"] == [GATEWAY_ID]


def test_azure_openai_alerts_on_each_account_serving_the_workload(prod_capture, prod_plan):
    alerts = {r.name: r for r in prod_capture.of_type(METRIC_ALERT)}
    expected = {
        f"alert-prod-{region_code(r)}-{w.name}-{a.name}": (w.name, r, a)
        for w in prod_plan.workloads_of("prod")
        if w.feasible and w.azure_openai
        for r in w.regions
        for a in w.alerts
        if a.source == AZURE_MONITOR_METRIC
    }
    assert sorted(alerts) == sorted(expected)
    for name, (workload, region, alert) in expected.items():
        inputs = alerts[name].inputs
        (criterion,) = inputs["criteria"]["allOf"]
        assert criterion["threshold"] == alert.threshold
        assert criterion["dimensions"][0]["values"] == [workload]
        assert inputs["scopes"] == [account_id(region)]
        assert inputs["windowSize"] == iso_duration(alert.window_s)
        assert inputs["severity"] == alert.severity


def test_dashboard_present_and_titled(prod_capture):
    dashboard = prod_capture.get(DASHBOARD, "dash-prod-swc")
    assert dashboard.inputs["tags"]["hidden-title"] == "inferplan prod: LLM serving"
    parts = dashboard.inputs["properties"]["lenses"][0]["parts"]
    # header, five PromQL tiles, requests by status, two Azure OpenAI latency charts (the
    # provisioned deployment publishes them), provisioned utilisation, the Plan's alerts
    assert len(parts) == 1 + 5 + 1 + 2 + 1 + 1


def test_every_resource_is_parented_to_a_component(prod_capture):
    components = {
        r.urn: r.type for r in prod_capture.resources if r.type in (OBSERVABILITY, SLO_ALERTS)
    }
    assert sorted(components.values()) == [OBSERVABILITY, SLO_ALERTS]
    assert all(r.parent in components for r in prod_capture.resources if r.custom)


def test_preview_mode_registers_the_same_resources(prod_plan, prod_capture):
    preview = capture(_program(prod_plan, "prod"), stack="prod", preview=True)
    assert [r.key for r in preview.resources] == [r.key for r in prod_capture.resources]


def test_the_environment_program_wires_observability_and_alerts(prod_plan):
    """The real program (components/environment.py): runs once every component exists."""
    from conftest import capture_environment

    result = capture_environment(prod_plan, "prod", preview=False)
    assert len(result.of_type(OBSERVABILITY)) == 1
    assert len(result.of_type(SLO_ALERTS)) == 1
    clusters = {r.name for r in result.of_type(RULE_GROUP)}
    aks = {r for w in prod_plan.workloads_of("prod") if w.feasible and w.aks for r in w.regions}
    assert clusters == {f"prg-prod-{region_code(r)}" for r in aks}
    assert result.of_type(LOG_ALERT) and result.of_type(METRIC_ALERT) and result.of_type(DASHBOARD)
