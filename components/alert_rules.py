"""The Plan's alerts translated into Azure Monitor's languages: pure functions, no Pulumi.

Sizing writes each alert as a typed ``Alert`` (source, metric, statistic, quantile or request
filter, threshold, window in seconds, operator, severity); this module says what each source
becomes, reading those fields and parsing nothing:

* **prometheus** (vLLM's series: a histogram's percentile, a gauge's maximum) becomes a PromQL
  alert rule for an Azure Monitor managed Prometheus rule group, scoped to the workload's
  namespace (vLLM runs in a namespace named after the workload). The Plan's window is both the
  range the query looks back over (``rate(…[5m])``) and the rule's ``for``: the SLO must be
  broken for a whole window before anyone is paged.
* **log-query** (the gateway's requests) becomes a Log Analytics query over
  ``ApiManagementGatewayLogs`` for the workload's API: the ``share`` of requests whose status
  code the alert's filter names (an Azure Monitor *metric* alert compares one metric with a
  threshold; it cannot divide two, and a count threshold or a dynamic threshold would not be the
  Plan's "more than 1% of requests"), or the ``percentile`` of a duration column in milliseconds
  (the latency alert where the Azure OpenAI deployment type publishes no latency metric).
* **azure-monitor-metric** (an Azure OpenAI account's platform metric) becomes a static metric
  alert criterion on the account, filtered to the workload's deployment.

``signal_text`` writes an alert in the notation people read (``histogram_quantile(0.95,
vllm:time_to_first_token_seconds)``, ``apim:Requests{GatewayResponseCode=429}/Requests``) for
annotations and the dashboard; nothing reads it back. Everything here is deterministic, so
``render`` can write the rules out for review.
"""

from __future__ import annotations

from typing import Any

from components.naming import kubernetes_name
from sizing.plan import Alert, StatusFilter, WorkloadPlan

PROMETHEUS = "prometheus"
LOG_QUERY = "log-query"
AZURE_MONITOR_METRIC = "azure-monitor-metric"

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

# Plan metric name -> REST API metric name. ``TimeBetweenTokens`` is published as
# ``NormalizedTimeBetweenTokens`` (ms, provisioned deployments only).
AZURE_OPENAI_METRICS = {
    "TimeToResponse": "TimeToResponse",
    "TimeBetweenTokens": "NormalizedTimeBetweenTokens",
    "ProvisionedManagedUtilizationV2": "ProvisionedManagedUtilizationV2",
}
# Alert.statistic -> a metric alert's timeAggregation.
METRIC_AGGREGATIONS = {"average": "Average", "maximum": "Maximum"}
# Alert.statistic -> the PromQL aggregation over a gauge's series.
PROMQL_AGGREGATIONS = {"maximum": "max"}

# The API Management metric dimensions sizing uses, as ApiManagementGatewayLogs columns.
APIM_LOG_COLUMNS = {
    "GatewayResponseCode": "ResponseCode",
    "GatewayResponseCodeCategory": "ResponseCode",
    "BackendResponseCode": "BackendResponseCode",
    "BackendResponseCodeCategory": "BackendResponseCode",
}
# ApiManagementGatewayLogs columns a percentile alert may read (milliseconds).
APIM_DURATION_COLUMNS = ("BackendTime", "TotalTime")

_DURATION_UNITS = ((86400, "D", "d"), (3600, "H", "h"), (60, "M", "m"), (1, "S", "s"))


class UnsupportedAlert(ValueError):
    """An alert this module cannot translate: sizing and components disagree."""


def _duration_parts(seconds: int) -> list[tuple[int, str, str]]:
    if seconds <= 0:
        raise UnsupportedAlert(f"zero-length window: {seconds} s")
    parts = []
    for size, iso, promql in _DURATION_UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append((count, iso, promql))
    return parts


def iso_duration(seconds: int) -> str:
    """A window in ISO 8601, as Azure Monitor writes it: ``300`` -> ``PT5M``."""
    parts = _duration_parts(seconds)
    days = "".join(f"{n}{iso}" for n, iso, _ in parts if iso == "D")
    time = "".join(f"{n}{iso}" for n, iso, _ in parts if iso != "D")
    return f"P{days}" + (f"T{time}" if time else "")


def promql_duration(seconds: int) -> str:
    """A window as a PromQL range: ``300`` -> ``5m``, ``5400`` -> ``1h30m``."""
    return "".join(f"{n}{unit}" for n, _, unit in _duration_parts(seconds))


def promql_number(value: float) -> str:
    """A threshold as PromQL reads it: ``95.0`` -> ``95``, ``0.0333`` -> ``0.0333``."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _selector(metric: str, *, namespace: str) -> str:
    """The series of one workload (vLLM runs in a namespace named after it)."""
    return f'{metric}{{namespace="{namespace}"}}'


def _quantile(alert: Alert) -> float:
    if alert.quantile is None or not 0 < alert.quantile < 1:
        raise UnsupportedAlert(f"alert {alert.name!r}: a percentile needs a quantile in (0, 1)")
    return alert.quantile


def signal_text(alert: Alert) -> str:
    """What the alert watches, in the notation people read (annotations, the dashboard):
    ``histogram_quantile(0.95, vllm:…)``, ``max(vllm:…)``, ``apim:Requests{…}/Requests``,
    ``apim:BackendTime{percentile=95}``, ``azure-openai:TimeToResponse``."""
    if alert.source == PROMETHEUS:
        if alert.statistic == "percentile":
            return f"histogram_quantile({promql_number(_quantile(alert))}, {alert.metric})"
        return f"{_promql_aggregation(alert)}({alert.metric})"
    if alert.source == LOG_QUERY:
        if alert.statistic == "percentile":
            return f"apim:{alert.metric}{{percentile={_percent(alert)}}}"
        requests = _status_filter(alert)
        return f"apim:{alert.metric}{{{requests.dimension}={requests.value}}}/{alert.metric}"
    if alert.source == AZURE_MONITOR_METRIC:
        return f"azure-openai:{alert.metric}"
    raise UnsupportedAlert(f"alert {alert.name!r}: no translation for source {alert.source!r}")


def _promql_aggregation(alert: Alert) -> str:
    aggregation = PROMQL_AGGREGATIONS.get(alert.statistic)
    if aggregation is None:
        raise UnsupportedAlert(
            f"alert {alert.name!r}: no PromQL aggregation for statistic {alert.statistic!r}"
        )
    return aggregation


def promql_for(alert: Alert, *, workload: str) -> str:
    """The PromQL expression of a vLLM alert for one workload's namespace.

    The p95 of ``vllm:time_to_first_token_seconds`` with a 1.5 s threshold and a 300 s window
    becomes ``histogram_quantile(0.95, sum by (le) (rate(
    vllm:time_to_first_token_seconds_bucket{namespace="w"}[5m]))) > 1.5``: the quantile of the
    requests of the last window, across every replica of the workload.
    """
    if alert.source != PROMETHEUS:
        raise UnsupportedAlert(f"alert {alert.name!r}: {alert.source!r} is not Prometheus")
    namespace = kubernetes_name(workload)
    operator = PROMQL_OPERATORS.get(alert.operator)
    if operator is None:
        raise UnsupportedAlert(f"alert {alert.name!r}: unknown operator {alert.operator!r}")
    threshold = promql_number(alert.threshold)
    if alert.statistic == "percentile":
        quantile = promql_number(_quantile(alert))
        buckets = f'{alert.metric}_bucket{{namespace="{namespace}"}}'
        window = promql_duration(alert.window_s)
        return (
            f"histogram_quantile({quantile}, sum by (le) (rate({buckets}[{window}])))"
            f" {operator} {threshold}"
        )
    aggregation = _promql_aggregation(alert)
    selector = _selector(alert.metric, namespace=namespace)
    return f"{aggregation}({selector}) {operator} {threshold}"


def rule_alert_name(workload: str, alert: Alert) -> str:
    return f"{workload}-{alert.name}"


def prometheus_rules(workload: WorkloadPlan) -> list[dict[str, Any]]:
    """The workload's Prometheus alert rules, in plan order, shaped like the ``rules`` of a
    ``Microsoft.AlertsManagement/prometheusRuleGroups`` resource (``for`` is ISO 8601 there).
    Action groups are attached by the component."""
    rules = []
    for alert in workload.alerts:
        if alert.source != PROMETHEUS:
            continue
        labels = {"workload": workload.name, "slo": alert.name}
        if workload.environment:
            labels["environment"] = workload.environment
        rules.append(
            {
                "alert": rule_alert_name(workload.name, alert),
                "expression": promql_for(alert, workload=workload.name),
                "for": iso_duration(alert.window_s),
                "severity": alert.severity,
                "labels": labels,
                "annotations": {
                    "description": alert.description,
                    "threshold": promql_number(alert.threshold),
                    "metric": signal_text(alert),
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


def _status_filter(alert: Alert) -> StatusFilter:
    if alert.statistic != "share" or alert.requests is None:
        raise UnsupportedAlert(f"alert {alert.name!r}: a share needs the requests it counts")
    return alert.requests


def _percent(alert: Alert) -> int:
    return round(_quantile(alert) * 100)


def _apim_condition(alert: Alert) -> str:
    requests = _status_filter(alert)
    column = APIM_LOG_COLUMNS.get(requests.dimension)
    if column is None:
        raise UnsupportedAlert(
            f"no ApiManagementGatewayLogs column for dimension {requests.dimension!r}"
        )
    first, last = requests.first_code, requests.last_code
    if not 100 <= first <= last <= 599:
        raise UnsupportedAlert(f"alert {alert.name!r}: status codes {first}..{last}")
    if first == last:
        return f"{column} == {first}"
    return f"{column} between ({first} .. {last})"


def apim_measure_column(alert: Alert) -> str:
    """The column ``apim_log_query`` returns: ``ratio`` or ``value`` (a percentile, ms)."""
    return "value" if alert.statistic == "percentile" else "ratio"


def apim_log_query(alert: Alert, *, workload: str) -> str:
    """A Kusto query over ``ApiManagementGatewayLogs`` that returns one row for the window:
    ``ratio``, the share of the workload's requests whose status the alert's filter names,
    or ``value``, a percentile of a duration column in milliseconds.

    The workload's API is the gateway path ``/<workload>/`` (the endpoints the program exports).
    No row comes back without traffic, so an idle API never alerts.
    """
    if alert.source != LOG_QUERY:
        raise UnsupportedAlert(f"alert {alert.name!r}: {alert.source!r} is not a log query")
    path = f'| where tostring(parse_url(Url).Path) startswith "/{workload}/"'
    if alert.statistic == "percentile":
        if alert.metric not in APIM_DURATION_COLUMNS:
            raise UnsupportedAlert(f"alert {alert.name!r}: no duration column {alert.metric!r}")
        return "\n".join(
            [
                "ApiManagementGatewayLogs",
                path,
                "| summarize requests = count(), "
                f"value = percentile({alert.metric}, {_percent(alert)})",
                "| where requests > 0",
                "| project value",
            ]
        )
    if alert.metric != "Requests":
        raise UnsupportedAlert(f"alert {alert.name!r}: only shares of Requests are translated")
    condition = _apim_condition(alert)
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
    if alert.source != AZURE_MONITOR_METRIC:
        raise UnsupportedAlert(f"alert {alert.name!r}: {alert.source!r} is not a platform metric")
    aggregation = METRIC_AGGREGATIONS.get(alert.statistic)
    if aggregation is None:
        raise UnsupportedAlert(
            f"alert {alert.name!r}: metric alerts aggregate no {alert.statistic!r}"
        )
    return {
        "criterionType": "StaticThresholdCriterion",
        "name": alert.name,
        "metricName": AZURE_OPENAI_METRICS.get(alert.metric, alert.metric),
        "metricNamespace": AZURE_OPENAI_NAMESPACE,
        "operator": alert.operator,
        "threshold": float(alert.threshold),
        "timeAggregation": aggregation,
        "dimensions": [
            {"name": "ModelDeploymentName", "operator": "Include", "values": [deployment]}
        ],
    }


def metric_alert_window(alert: Alert) -> str:
    """The alert's window in ISO 8601, checked against the windows metric alerts accept."""
    window = iso_duration(alert.window_s)
    if window not in METRIC_ALERT_WINDOWS:
        raise UnsupportedAlert(
            f"alert {alert.name!r}: window {window} is not one Azure Monitor metric alerts "
            f"accept ({', '.join(METRIC_ALERT_WINDOWS)})"
        )
    return window
