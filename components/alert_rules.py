"""The Plan's alerts translated into Azure Monitor's languages: pure functions, no Pulumi.

Sizing writes each alert as ``Alert(name, metric, threshold, window, operator, severity)`` with a
metric string in one of three families; this module says what each family becomes:

* **vLLM metrics** (``histogram_quantile(q, vllm:…)``, ``max(vllm:…)``)
  become PromQL alert rules for an Azure Monitor managed Prometheus rule group, scoped to the
  workload's namespace (vLLM runs in a namespace named after the workload). The Plan's window is
  both the range the query looks back over (``rate(…[5m])``) and the rule's ``for``: the SLO must
  be broken for a whole window before anyone is paged.
* **API Management ratios** (``apim:Requests{Dimension=value}/Requests``) become a Log Analytics
  query over ``ApiManagementGatewayLogs`` that computes the same ratio for the workload's API. An
  Azure Monitor *metric* alert compares one metric with a threshold; it cannot divide two, and a
  count threshold or a dynamic threshold would not be the Plan's "more than 1% of requests".
* **API Management percentiles** (``apim:BackendTime{percentile=95}``) become the same kind of
  query returning the percentile of a log column (milliseconds) for the workload's API: the
  latency alert where the Azure OpenAI deployment type publishes no latency metric.
* **Azure OpenAI platform metrics** (``azure-openai:TimeToResponse`` …) become static metric
  alert criteria on the account, filtered to the workload's deployment.

Everything here is deterministic, so ``render`` can write the rules out for review.
"""

from __future__ import annotations

import re
from typing import Any

from components.naming import kubernetes_name
from sizing.plan import Alert, WorkloadPlan

PROMETHEUS = "prometheus"
APIM = "apim"
AZURE_OPENAI = "azure-openai"

PROMETHEUS_RULES_PER_GROUP_MAX = 20  # Azure Monitor limit on rules in one Prometheus rule group

# Alert.operator (Azure Monitor's words) to PromQL comparison operators.
PROMQL_OPERATORS = {
    "GreaterThan": ">",
    "GreaterThanOrEqual": ">=",
    "LessThan": "<",
    "LessThanOrEqual": "<=",
    "Equals": "==",
}

# Metric alert windows Azure Monitor accepts (Microsoft.Insights/metricAlerts windowSize).
METRIC_ALERT_WINDOWS = ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "P1D")

AZURE_OPENAI_NAMESPACE = "Microsoft.CognitiveServices/accounts"
APIM_NAMESPACE = "Microsoft.ApiManagement/service"

# Plan metric name -> (REST API metric name, aggregation over the window). The platform metrics
# carry no percentiles; ``Average`` above a p95 target means the p95 is above it too, so the
# alert never fires falsely (it may fire late). ``TimeBetweenTokens`` is published as
# ``NormalizedTimeBetweenTokens`` (ms, provisioned deployments only).
AZURE_OPENAI_METRICS = {
    "TimeToResponse": ("TimeToResponse", "Average"),
    "TimeBetweenTokens": ("NormalizedTimeBetweenTokens", "Average"),
    "ProvisionedManagedUtilizationV2": ("ProvisionedManagedUtilizationV2", "Average"),
}

# The API Management metric dimensions sizing uses, as ApiManagementGatewayLogs columns.
APIM_LOG_COLUMNS = {
    "GatewayResponseCode": "ResponseCode",
    "GatewayResponseCodeCategory": "ResponseCode",
    "BackendResponseCode": "BackendResponseCode",
    "BackendResponseCodeCategory": "BackendResponseCode",
}

_HISTOGRAM = re.compile(r"^histogram_quantile\(\s*([0-9.]+)\s*,\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*\)$")
_AGGREGATE = re.compile(r"^(max|min|avg|sum)\(\s*([A-Za-z_:][A-Za-z0-9_:]*)\s*\)$")
_APIM_RATIO = re.compile(r"^apim:(\w+)\{(\w+)=(\w+)\}/(\w+)$")
_APIM_PERCENTILE = re.compile(r"^apim:(\w+)\{percentile=([0-9]+)\}$")
# ApiManagementGatewayLogs columns a percentile alert may read (milliseconds).
APIM_DURATION_COLUMNS = ("BackendTime", "TotalTime")
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


class UnsupportedAlert(ValueError):
    """An alert metric this module cannot translate: sizing and components disagree."""


def alert_kind(alert: Alert) -> str:
    """Which Azure Monitor mechanism carries the alert: prometheus, apim or azure-openai."""
    if alert.metric.startswith("apim:"):
        return APIM
    if alert.metric.startswith("azure-openai:"):
        return AZURE_OPENAI
    if _HISTOGRAM.match(alert.metric) or _AGGREGATE.match(alert.metric):
        return PROMETHEUS
    raise UnsupportedAlert(f"alert {alert.name!r}: no translation for metric {alert.metric!r}")


def promql_duration(window: str) -> str:
    """ISO 8601 duration to a PromQL range: ``PT5M`` -> ``5m``, ``PT1H30M`` -> ``1h30m``."""
    match = _ISO_DURATION.match(window)
    if not match or window.endswith("T"):
        raise UnsupportedAlert(f"not an ISO 8601 day/time duration: {window!r}")
    parts = zip(match.groups(), ("d", "h", "m", "s"), strict=True)
    text = "".join(f"{int(n)}{unit}" for n, unit in parts if n and int(n))
    if not text:
        raise UnsupportedAlert(f"zero-length window: {window!r}")
    return text


def promql_number(value: float) -> str:
    """A threshold as PromQL reads it: ``95.0`` -> ``95``, ``0.0333`` -> ``0.0333``."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _selector(metric: str, *, namespace: str) -> str:
    """The series of one workload (vLLM runs in a namespace named after it)."""
    return f'{metric}{{namespace="{namespace}"}}'


def promql_for(alert: Alert, *, workload: str) -> str:
    """The PromQL expression of a vLLM or GPU alert for one workload's namespace.

    ``histogram_quantile(0.95, vllm:time_to_first_token_seconds)`` with a 1.5 s threshold and a
    PT5M window becomes ``histogram_quantile(0.95, sum by (le) (rate(
    vllm:time_to_first_token_seconds_bucket{namespace="w"}[5m]))) > 1.5``: the quantile of the
    requests of the last window, across every replica of the workload.
    """
    namespace = kubernetes_name(workload)
    operator = PROMQL_OPERATORS.get(alert.operator)
    if operator is None:
        raise UnsupportedAlert(f"alert {alert.name!r}: unknown operator {alert.operator!r}")
    threshold = promql_number(alert.threshold)
    if match := _HISTOGRAM.match(alert.metric):
        quantile, metric = match.groups()
        buckets = f'{metric}_bucket{{namespace="{namespace}"}}'
        window = promql_duration(alert.window)
        return (
            f"histogram_quantile({quantile}, sum by (le) (rate({buckets}[{window}])))"
            f" {operator} {threshold}"
        )
    if match := _AGGREGATE.match(alert.metric):
        aggregation, metric = match.groups()
        return f"{aggregation}({_selector(metric, namespace=namespace)}) {operator} {threshold}"
    raise UnsupportedAlert(f"alert {alert.name!r}: {alert.metric!r} is not a Prometheus metric")


def rule_alert_name(workload: str, alert: Alert) -> str:
    return f"{workload}-{alert.name}"


def prometheus_rules(workload: WorkloadPlan) -> list[dict[str, Any]]:
    """The workload's Prometheus alert rules, in plan order, shaped like the ``rules`` of a
    ``Microsoft.AlertsManagement/prometheusRuleGroups`` resource (``for`` stays ISO 8601 there).
    Action groups are attached by the component."""
    rules = []
    for alert in workload.alerts:
        if alert_kind(alert) != PROMETHEUS:
            continue
        labels = {"workload": workload.name, "slo": alert.name}
        if workload.environment:
            labels["environment"] = workload.environment
        rules.append(
            {
                "alert": rule_alert_name(workload.name, alert),
                "expression": promql_for(alert, workload=workload.name),
                "for": alert.window,
                "severity": alert.severity,
                "labels": labels,
                "annotations": {
                    "description": alert.description,
                    "threshold": promql_number(alert.threshold),
                    "metric": alert.metric,
                },
                "enabled": True,
            }
        )
    return rules


def prometheus_rule_batches(
    workloads: tuple[WorkloadPlan, ...] | list[WorkloadPlan],
    *,
    max_rules: int = PROMETHEUS_RULES_PER_GROUP_MAX,
) -> list[list[dict[str, Any]]]:
    """The rules of several workloads packed into groups of at most ``max_rules``, workloads in
    name order and never split, so a region needs a second group only past the Azure limit."""
    batches: list[list[dict[str, Any]]] = []
    for workload in sorted(workloads, key=lambda w: w.name):
        rules = prometheus_rules(workload)
        if not rules:
            continue
        if len(rules) > max_rules:
            raise UnsupportedAlert(
                f"workload {workload.name!r} has {len(rules)} Prometheus alerts; "
                f"a rule group holds at most {max_rules}"
            )
        if batches and len(batches[-1]) + len(rules) <= max_rules:
            batches[-1].extend(rules)
        else:
            batches.append(list(rules))
    return batches


def _apim_condition(dimension: str, value: str) -> str:
    column = APIM_LOG_COLUMNS.get(dimension)
    if column is None:
        raise UnsupportedAlert(f"no ApiManagementGatewayLogs column for dimension {dimension!r}")
    if dimension.endswith("Category"):
        match = re.fullmatch(r"([1-5])xx", value)
        if not match:
            raise UnsupportedAlert(f"{dimension}={value}: expected a category such as 5xx")
        low = int(match.group(1)) * 100
        return f"{column} between ({low} .. {low + 99})"
    if not value.isdigit():
        raise UnsupportedAlert(f"{dimension}={value}: expected a status code")
    return f"{column} == {int(value)}"


def apim_measure_column(alert: Alert) -> str:
    """The column ``apim_log_query`` returns: ``ratio`` or ``value`` (a percentile, ms)."""
    return "value" if _APIM_PERCENTILE.match(alert.metric) else "ratio"


def apim_log_query(alert: Alert, *, workload: str) -> str:
    """A Kusto query over ``ApiManagementGatewayLogs`` that returns one row for the window:
    ``ratio``, the share of the workload's requests that match the alert's dimension filter,
    or ``value``, a percentile of a duration column in milliseconds.

    The workload's API is the gateway path ``/<workload>/`` (the endpoints the program exports).
    No row comes back without traffic, so an idle API never alerts.
    """
    path = f'| where tostring(parse_url(Url).Path) startswith "/{workload}/"'
    if percentile := _APIM_PERCENTILE.match(alert.metric):
        column, quantile = percentile.groups()
        if column not in APIM_DURATION_COLUMNS:
            raise UnsupportedAlert(f"alert {alert.name!r}: no duration column {column!r}")
        return "\n".join(
            [
                "ApiManagementGatewayLogs",
                path,
                f"| summarize requests = count(), value = percentile({column}, {int(quantile)})",
                "| where requests > 0",
                "| project value",
            ]
        )
    match = _APIM_RATIO.match(alert.metric)
    if not match:
        raise UnsupportedAlert(f"alert {alert.name!r}: {alert.metric!r} is not an APIM ratio")
    numerator, dimension, value, denominator = match.groups()
    if numerator != "Requests" or denominator != "Requests":
        raise UnsupportedAlert(f"alert {alert.name!r}: only Requests ratios are translated")
    condition = _apim_condition(dimension, value)
    return "\n".join(
        [
            "ApiManagementGatewayLogs",
            path,
            f"| summarize requests = count(), matching = countif({condition})",
            "| where requests > 0",
            "| project ratio = todouble(matching) / requests",
        ]
    )


def azure_openai_criterion(alert: Alert, *, deployment: str) -> dict[str, Any]:
    """A static metric-alert criterion on an Azure OpenAI account, filtered to one deployment;
    keys are Azure's (``metricName``, ``timeAggregation`` …)."""
    if not alert.metric.startswith("azure-openai:"):
        raise UnsupportedAlert(f"alert {alert.name!r}: {alert.metric!r} is not Azure OpenAI")
    name = alert.metric.removeprefix("azure-openai:")
    metric_name, aggregation = AZURE_OPENAI_METRICS.get(name, (name, "Average"))
    return {
        "criterionType": "StaticThresholdCriterion",
        "name": alert.name,
        "metricName": metric_name,
        "metricNamespace": AZURE_OPENAI_NAMESPACE,
        "operator": alert.operator,
        "threshold": float(alert.threshold),
        "timeAggregation": aggregation,
        "dimensions": [
            {"name": "ModelDeploymentName", "operator": "Include", "values": [deployment]}
        ],
    }


def metric_alert_window(alert: Alert) -> str:
    """The alert's window, checked against the windows metric alerts accept."""
    if alert.window not in METRIC_ALERT_WINDOWS:
        raise UnsupportedAlert(
            f"alert {alert.name!r}: window {alert.window} is not one Azure Monitor metric alerts "
            f"accept ({', '.join(METRIC_ALERT_WINDOWS)})"
        )
    return alert.window
