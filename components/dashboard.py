"""The environment's Azure portal dashboard as data: pure, deterministic, no Pulumi.

``dashboard_properties`` returns the ``properties`` of a ``Microsoft.Portal/dashboards``
resource in Azure's own JSON shape (``lenses`` -> ``parts`` -> ``position`` + ``metadata``), so
``render`` can write it out and ``az portal dashboard import`` would accept it as well.

Two kinds of tile:

* **metric charts** (``MonitorChartPart``) for the platform metrics Azure Monitor stores itself:
  API Management requests split by status class, and, for provisioned Azure OpenAI deployments
  (the only ones that publish them), time to response, time between tokens and utilisation;
* **PromQL tiles** (``MarkdownPart``) for the vLLM series in the Azure Monitor workspace:
  TTFT p95, inter-token latency, generated tokens/s, queue depth, KV-cache use (no GPU tile:
  the clusters run no DCGM exporter). A
  portal dashboard has no documented part that charts PromQL, so each tile carries its query and
  a link to the workspace's PromQL metrics explorer, where the query runs as written (or can be
  pasted into Grafana, which reads the same workspace);
* one **Plan alerts** tile listing every workload's alerts with their thresholds, read straight
  from ``WorkloadPlan.alerts`` (no alert is looked up by name).
"""

from __future__ import annotations

from typing import Any

from components.alert_rules import (
    APIM_NAMESPACE,
    AZURE_OPENAI_NAMESPACE,
    PROMQL_OPERATORS,
    iso_duration,
    promql_number,
    signal_text,
)
from sizing.catalog.engines import pinned_engine
from sizing.plan import Alert, WorkloadPlan

MARKDOWN_PART = "Extension/HubsExtension/PartType/MarkdownPart"
CHART_PART = "Extension/HubsExtension/PartType/MonitorChartPart"

# Portal chart codes: aggregationType 1 sum, 3 max, 4 average; chartType 2 line chart.
AGGREGATION_CODES = {"Total": 1, "Maximum": 3, "Average": 4}
LINE_CHART = 2
DAY_MS = 24 * 3600 * 1000

TILE_COLUMNS = 6  # two tiles side by side on the 12-column grid
TILE_ROWS = 4


def _namespaces(workloads: tuple[WorkloadPlan, ...]) -> list[str]:
    return sorted(w.name for w in workloads if w.aks is not None)


def _alert_line(workload: WorkloadPlan, alert: Alert) -> str:
    operator = PROMQL_OPERATORS.get(alert.operator, alert.operator)
    return (
        f"- {workload.name} `{alert.name}`: `{signal_text(alert)}` {operator} "
        f"{promql_number(alert.threshold)} over {iso_duration(alert.window_s)} "
        f"({alert.description})"
    )


def plan_alerts_markdown(workloads: tuple[WorkloadPlan, ...]) -> str:
    """Every workload's alerts, in Plan order: what fires, on which series, past which value."""
    lines = [_alert_line(w, a) for w in sorted(workloads, key=lambda w: w.name) for a in w.alerts]
    return "\n".join(lines) if lines else "No alerts planned."


def vllm_tile_queries(workloads: tuple[WorkloadPlan, ...]) -> list[dict[str, str]]:
    """The PromQL tiles: title, query and unit."""
    names = _namespaces(workloads)
    if not names:
        return []
    ns = f'namespace=~"{"|".join(names)}"'
    metrics = pinned_engine().metrics  # the pinned release's names (engines catalog)
    return [
        {
            "title": "TTFT p95",
            "unit": "s",
            "query": "histogram_quantile(0.95, sum by (le, namespace) "
            f"(rate({metrics.time_to_first_token}_bucket{{{ns}}}[5m])))",
        },
        {
            "title": "Inter-token latency p50",
            "unit": "s",
            "query": "histogram_quantile(0.5, sum by (le, namespace) "
            f"(rate({metrics.inter_token_latency}_bucket{{{ns}}}[5m])))",
        },
        {
            "title": "Generated tokens/s",
            "unit": "tokens/s",
            "query": f"sum by (namespace) (rate({metrics.generation_tokens}_total{{{ns}}}[1m]))",
        },
        {
            "title": "Queue depth",
            "unit": "requests",
            "query": f"max by (namespace) ({metrics.requests_waiting}{{{ns}}})",
        },
        {
            "title": "KV cache use",
            "unit": "fraction",
            "query": f"max by (namespace) ({metrics.kv_cache_usage}{{{ns}}})",
        },
    ]


def _markdown(title: str, content: str) -> dict[str, Any]:
    return {
        "type": MARKDOWN_PART,
        "inputs": [],
        "settings": {
            "content": {
                "settings": {
                    "content": content,
                    "title": title,
                    "subtitle": "",
                    "markdownSource": 1,
                }
            }
        },
    }


def _chart(
    title: str,
    *,
    resource_ids: list[str],
    namespace: str,
    metric: str,
    aggregation: str,
    split_by: str | None,
) -> dict[str, Any]:
    chart: dict[str, Any] = {
        "metrics": [
            {
                "resourceMetadata": {"id": rid},
                "name": metric,
                "aggregationType": AGGREGATION_CODES[aggregation],
                "namespace": namespace.lower(),
                "metricVisualization": {"displayName": metric},
            }
            for rid in resource_ids
        ],
        "title": title,
        "titleKind": 2,
        "visualization": {"chartType": LINE_CHART},
        "timespan": {"relative": {"duration": DAY_MS}, "showUTCTime": False, "grain": 1},
    }
    # The portal splits a chart by a dimension only when it shows one metric.
    if split_by and len(resource_ids) == 1:
        chart["grouping"] = {"dimension": split_by, "sort": 2, "top": 10}
    return {
        "type": CHART_PART,
        "inputs": [
            {"name": "options", "isOptional": True, "value": {"chart": chart}},
            {"name": "sharedTimeRange", "isOptional": True},
        ],
        "settings": {},
    }


def _explorer_link(monitor_workspace_id: str) -> str:
    return f"https://portal.azure.com/#resource{monitor_workspace_id}/metrics"


def dashboard_properties(
    *,
    title: str,
    workloads: tuple[WorkloadPlan, ...],
    monitor_workspace_id: str,
    gateway_ids: list[str],
    openai_account_ids: dict[str, str],
) -> dict[str, Any]:
    """The dashboard's ``properties``: a header, the PromQL tiles when any workload runs on vLLM,
    API Management requests by status, the Azure OpenAI charts when any workload's deployment
    type publishes latency metrics, and the Plan's alerts."""
    tiles: list[tuple[dict[str, Any], int, int]] = []  # (part metadata, column span, row span)
    link = _explorer_link(monitor_workspace_id)
    names = ", ".join(sorted(w.name for w in workloads)) or "none"
    tiles.append(
        (
            _markdown(
                title,
                f"Workloads: {names}.\n\nvLLM series live in the Azure Monitor "
                f"workspace: [PromQL metrics explorer]({link}).",
            ),
            12,
            2,
        )
    )
    for tile in vllm_tile_queries(workloads):
        content = "\n".join(
            [
                f"```promql\n{tile['query']}\n```",
                "",
                f"[Run in the PromQL metrics explorer]({link})",
            ]
        )
        tiles.append((_markdown(tile["title"], content), TILE_COLUMNS, TILE_ROWS))

    tiles.append(
        (
            _chart(
                "API Management requests by status",
                resource_ids=list(gateway_ids),
                namespace=APIM_NAMESPACE,
                metric="Requests",
                aggregation="Total",
                split_by="GatewayResponseCodeCategory",
            ),
            TILE_COLUMNS,
            TILE_ROWS,
        )
    )
    managed = [
        w for w in workloads if w.azure_openai is not None and w.azure_openai.latency_metrics
    ]
    accounts = [openai_account_ids[r] for r in sorted(openai_account_ids)]
    if managed and accounts:
        metrics = [
            ("Azure OpenAI time to response (ms)", "TimeToResponse"),
            ("Azure OpenAI time between tokens (ms)", "NormalizedTimeBetweenTokens"),
        ]
        provisioned = any(w.azure_openai.capacity_unit == "ptu" for w in managed)
        if provisioned:
            metrics.append(
                ("Azure OpenAI provisioned utilisation (%)", "ProvisionedManagedUtilizationV2")
            )
        for chart_title, metric in metrics:
            tiles.append(
                (
                    _chart(
                        chart_title,
                        resource_ids=accounts,
                        namespace=AZURE_OPENAI_NAMESPACE,
                        metric=metric,
                        aggregation="Average",
                        split_by="ModelDeploymentName",
                    ),
                    TILE_COLUMNS,
                    TILE_ROWS,
                )
            )

    tiles.append((_markdown("Plan alerts", plan_alerts_markdown(workloads)), 12, 2 * TILE_ROWS))

    parts = []
    x = y = 0
    for metadata, columns, rows in tiles:
        if x + columns > 12:
            x, y = 0, y + TILE_ROWS
        parts.append(
            {
                "position": {"x": x, "y": y, "colSpan": columns, "rowSpan": rows},
                "metadata": metadata,
            }
        )
        x += columns
        if columns == 12:
            x, y = 0, y + rows
    return {
        "lenses": [{"order": 0, "parts": parts}],
        "metadata": {
            "model": {
                "timeRange": {
                    "value": {"relative": {"duration": 24, "timeUnit": 1}},
                    "type": "MsPortalFx.Composition.Configuration.ValueTypes.TimeRange",
                }
            }
        },
    }
