"""Where the environment reports, and the Plan's SLO alerts on what it reports.

``Observability`` holds the sinks: a Log Analytics workspace (container and gateway logs), a
workspace-based Application Insights component (API Management request telemetry), an Azure
Monitor workspace (managed Prometheus: vLLM series from every cluster) and an action group that
every alert notifies. Local (key) authentication is off on the workspace and on Application
Insights: writers use Entra ID (the gateway's identity, Container Insights' managed-identity
agent, platform diagnostic settings). Where the environment allows no public network access,
ingestion and query are private only, through an Azure Monitor Private Link Scope (AMPLS) that
holds the workspace, Application Insights and the Azure Monitor workspace's data collection
endpoint (Learn, "Use Azure Private Link to connect networks to Azure Monitor"); its private
endpoint lives in the network's primary hub (``environment.py``). The Azure Monitor workspace's
public query endpoint is closed too: KEDA (and anything else in the virtual networks) queries
managed Prometheus through the workspace's own private endpoint (sub-resource
``prometheusMetrics``), which the AMPLS does not cover.

``SloAlerts`` turns each workload's ``Plan.alerts`` into Azure Monitor rules, translated by
``components.alert_rules`` (see there for each translation and why):

* vLLM alerts: Prometheus rule groups on the Azure Monitor workspace, one per cluster region (a
  second one only past Azure's 20 rules per group), limited to that cluster's series;
* API Management alerts (ratios, and backend-time percentiles where Azure OpenAI publishes no
  latency metric): log search alerts over ``ApiManagementGatewayLogs`` on the gateway that
  fronts the workload, in that gateway's region (a metric alert cannot divide two metrics);
* Azure OpenAI alerts: metric alerts on each account that serves the workload, filtered to its
  deployment;

plus a portal dashboard built by ``components.dashboard``. Thresholds, windows, operators and
severities are the Plan's; nothing here chooses one.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_azure_native import (
    alertsmanagement,
    applicationinsights,
    monitor,
    operationalinsights,
    portal,
)

from components.alert_rules import (
    AZURE_MONITOR_METRIC,
    LOG_QUERY,
    apim_log_query,
    apim_measure_column,
    azure_openai_criterion,
    iso_duration,
    metric_alert_window,
    prometheus_rule_batches,
)
from components.dashboard import dashboard_properties
from components.naming import resource_name
from sizing.plan import Alert, EnvironmentPlan, WorkloadPlan

ACTION_GROUP_SHORT_NAME_MAX = 12
PROMETHEUS_EVALUATION_INTERVAL = "PT1M"
PROMETHEUS_TIME_TO_RESOLVE = "PT10M"
METRIC_EVALUATION_FREQUENCY = "PT1M"
LOG_EVALUATION_FREQUENCY = "PT5M"


def action_group_short_name(environment: str) -> str:
    """Shown in alert e-mails and SMS; Azure allows at most 12 characters."""
    return f"llm-{environment}"[:ACTION_GROUP_SHORT_NAME_MAX]


class Observability(pulumi.ComponentResource):
    """Log Analytics, Application Insights, an Azure Monitor workspace and an action group.

    The action group has an e-mail receiver when the environment names ``alert_email``; without
    one it has no receivers: alerts still fire and show in Azure Monitor, nobody is notified.
    """

    workspace_id: pulumi.Output[str]
    app_insights_id: pulumi.Output[str]
    app_insights_connection_string: pulumi.Output[str]
    monitor_workspace_id: pulumi.Output[str]
    prometheus_dcr_id: pulumi.Output[str]
    action_group_id: pulumi.Output[str]
    ampls_id: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        resource_group_name: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("inferplan:azure:Observability", name, None, opts)
        env = environment
        settings = env.observability
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=env.protect)

        private = not env.public_network_access
        access = "Disabled" if private else "Enabled"
        workspace_name = resource_name("log", env.name, env.location)
        workspace = operationalinsights.Workspace(
            workspace_name,
            workspace_name=workspace_name,
            resource_group_name=resource_group_name,
            location=env.location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=settings.retention_days if settings else None,
            features=operationalinsights.WorkspaceFeaturesArgs(disable_local_auth=True),
            public_network_access_for_ingestion=access,
            public_network_access_for_query=access,
            tags=env.tags,
            opts=kept,
        )
        insights_name = resource_name("appi", env.name, env.location)
        insights = applicationinsights.Component(
            insights_name,
            resource_name_=insights_name,
            resource_group_name=resource_group_name,
            location=env.location,
            kind="web",
            application_type="web",
            ingestion_mode="LogAnalytics",
            workspace_resource_id=workspace.id,
            disable_local_auth=True,
            public_network_access_for_ingestion=access,
            public_network_access_for_query=access,
            tags=env.tags,
            opts=child,
        )
        monitor_name = resource_name("amw", env.name, env.location)
        monitor_workspace = monitor.AzureMonitorWorkspace(
            monitor_name,
            azure_monitor_workspace_name=monitor_name,
            resource_group_name=resource_group_name,
            location=env.location,
            # Closes the public query endpoint; KEDA queries through the workspace's private
            # endpoint (``environment.py``), ingestion goes through the AMPLS-linked endpoint.
            public_network_access=access,
            tags=env.tags,
            opts=kept,
        )
        email = settings.alert_email if settings else None
        group_name = resource_name("ag", env.name, env.location)
        action_group = monitor.ActionGroup(
            group_name,
            action_group_name=group_name,
            resource_group_name=resource_group_name,
            location="global",
            group_short_name=action_group_short_name(env.name),
            enabled=True,
            email_receivers=(
                [
                    monitor.MicrosoftCommonEmailReceiverArgs(
                        name="alert-email", email_address=email, use_common_alert_schema=True
                    )
                ]
                if email
                else []
            ),
            tags=env.tags,
            opts=child,
        )

        self.workspace_id = workspace.id
        self.app_insights_id = insights.id
        self.app_insights_connection_string = pulumi.Output.secret(insights.connection_string)
        self.monitor_workspace_id = monitor_workspace.id
        self.prometheus_dcr_id = monitor_workspace.default_ingestion_settings.apply(
            lambda s: s.data_collection_rule_resource_id if s else None
        )
        self.action_group_id = action_group.id
        self.ampls_id = None
        self.ampls_name: str | None = None
        if private:
            scope_name = resource_name("ampls", env.name, env.location)
            scope = monitor.PrivateLinkScope(
                f"{name}-ampls",
                scope_name=scope_name,
                resource_group_name=resource_group_name,
                location="global",
                access_mode_settings=monitor.AccessModeSettingsArgs(
                    ingestion_access_mode="PrivateOnly", query_access_mode="PrivateOnly"
                ),
                tags=env.tags,
                opts=child,
            )
            endpoint_id = monitor_workspace.default_ingestion_settings.apply(
                lambda s: s.data_collection_endpoint_resource_id if s else None
            )
            for key, linked in (
                ("log", workspace.id),
                ("appi", insights.id),
                ("amw-dce", endpoint_id),
            ):
                monitor.PrivateLinkScopedResource(
                    f"{name}-ampls-{key}",
                    name=resource_name("plsr", env.name, env.location, key),
                    scope_name=scope_name,
                    resource_group_name=resource_group_name,
                    linked_resource_id=linked,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[scope]),
                )
            self.ampls_id = scope.id
            self.ampls_name = scope_name
        # KEDA reads vLLM's queue depth from here to scale replicas.
        self.prometheus_query_url = monitor_workspace.metrics.apply(
            lambda m: m.prometheus_query_endpoint if m else None
        )
        self.register_outputs(
            {
                "prometheusQueryUrl": self.prometheus_query_url,
                "workspaceId": self.workspace_id,
                "appInsightsId": self.app_insights_id,
                "appInsightsConnectionString": self.app_insights_connection_string,
                "monitorWorkspaceId": self.monitor_workspace_id,
                "prometheusDcrId": self.prometheus_dcr_id,
                "actionGroupId": self.action_group_id,
                "privateLinkScopeId": self.ampls_id,
            }
        )


def _cluster_name(cluster_id: str) -> str:
    """An AKS resource id ends with the cluster's name, which managed Prometheus puts in the
    ``cluster`` label of every series it scrapes."""
    return cluster_id.rstrip("/").rsplit("/", 1)[-1]


class SloAlerts(pulumi.ComponentResource):
    """The Plan's alerts as Azure Monitor rules, and the environment's dashboard."""

    prometheus_rule_groups: dict[str, alertsmanagement.PrometheusRuleGroup]
    gateway_alerts: dict[tuple[str, str], monitor.ScheduledQueryRule]
    openai_alerts: dict[tuple[str, str, str], monitor.MetricAlert]
    dashboard: portal.Dashboard

    def __init__(
        self,
        name: str,
        *,
        environment: EnvironmentPlan,
        resource_group_name: pulumi.Input[str],
        workloads: tuple[WorkloadPlan, ...],
        action_group_id: pulumi.Input[str],
        monitor_workspace_id: pulumi.Input[str],
        gateway_ids: dict[str, pulumi.Output[str]],
        gateway_locations: dict[str, str],
        openai_account_ids: dict[str, pulumi.Output[str]],
        # (workload, region) -> the account carrying that deployment, where a region has several.
        openai_account_of: dict[tuple[str, str], pulumi.Output[str]] | None = None,
        cluster_ids: dict[str, pulumi.Output[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("inferplan:azure:SloAlerts", name, None, opts)
        env = environment
        child = pulumi.ResourceOptions(parent=self)
        self.prometheus_rule_groups = {}
        self.gateway_alerts = {}
        self.openai_alerts = {}

        # vLLM and GPU: Prometheus rule groups per cluster region, evaluated in the Azure
        # Monitor workspace (the rule group lives where the workspace lives).
        for region in sorted(cluster_ids):
            here = tuple(w for w in workloads if w.aks is not None and region in w.regions)
            for index, rules in enumerate(prometheus_rule_batches(here), start=1):
                group_name = resource_name("prg", env.name, region, str(index) if index > 1 else "")
                self.prometheus_rule_groups[group_name] = alertsmanagement.PrometheusRuleGroup(
                    group_name,
                    rule_group_name=group_name,
                    resource_group_name=resource_group_name,
                    location=env.location,
                    description=f"vLLM SLO alerts of {env.name} in {region} (from the Plan)",
                    scopes=[monitor_workspace_id, cluster_ids[region]],
                    cluster_name=cluster_ids[region].apply(_cluster_name),
                    enabled=True,
                    interval=PROMETHEUS_EVALUATION_INTERVAL,
                    rules=[_prometheus_rule(rule, action_group_id) for rule in rules],
                    tags=env.tags,
                    opts=child,
                )

        for workload in sorted(workloads, key=lambda w: w.name):
            for alert in workload.alerts:
                if alert.source == LOG_QUERY:
                    where = gateway_locations.get(workload.name, env.location)
                    rule_name = resource_name("alert", env.name, where, workload.name, alert.name)
                    self.gateway_alerts[(workload.name, alert.name)] = monitor.ScheduledQueryRule(
                        rule_name,
                        rule_name=rule_name,
                        resource_group_name=resource_group_name,
                        location=where,
                        kind="LogAlert",
                        display_name=f"{workload.name}: {alert.name}",
                        description=alert.description,
                        severity=alert.severity,
                        enabled=True,
                        scopes=[gateway_ids[workload.name]],
                        evaluation_frequency=LOG_EVALUATION_FREQUENCY,
                        window_size=iso_duration(alert.window_s),
                        criteria=monitor.ScheduledQueryRuleCriteriaArgs(
                            all_of=[
                                monitor.ConditionArgs(
                                    query=apim_log_query(alert, workload=workload.name),
                                    time_aggregation="Average",
                                    metric_measure_column=apim_measure_column(alert),
                                    operator=alert.operator,
                                    threshold=alert.threshold,
                                    failing_periods=monitor.ConditionFailingPeriodsArgs(
                                        number_of_evaluation_periods=1,
                                        min_failing_periods_to_alert=1,
                                    ),
                                )
                            ]
                        ),
                        # The table appears only once the gateway has logged a request.
                        skip_query_validation=True,
                        auto_mitigate=True,
                        actions=monitor.ActionsArgs(action_groups=[action_group_id]),
                        tags=env.tags,
                        opts=child,
                    )
                elif alert.source == AZURE_MONITOR_METRIC:
                    for region in workload.regions:
                        if region not in openai_account_ids:
                            continue
                        rule_name = resource_name(
                            "alert", env.name, region, workload.name, alert.name
                        )
                        self.openai_alerts[(workload.name, region, alert.name)] = (
                            _openai_metric_alert(
                                rule_name,
                                environment=env,
                                resource_group_name=resource_group_name,
                                workload=workload.name,
                                alert=alert,
                                account_id=(openai_account_of or {}).get(
                                    (workload.name, region), openai_account_ids[region]
                                ),
                                action_group_id=action_group_id,
                                opts=child,
                            )
                        )

        dashboard_name = resource_name("dash", env.name, env.location)
        title = f"inferplan {env.name}: LLM serving"
        account_ids = dict(sorted(openai_account_ids.items()))
        services = list({id(v): v for v in gateway_ids.values()}.values())  # one per gateway
        properties = pulumi.Output.all(
            monitor_workspace_id,
            pulumi.Output.all(*services),
            pulumi.Output.all(*account_ids.values()),
        ).apply(
            lambda ids: _dashboard_args(
                dashboard_properties(
                    title=title,
                    workloads=workloads,
                    monitor_workspace_id=ids[0],
                    gateway_ids=sorted(set(ids[1])),
                    openai_account_ids=dict(zip(account_ids, ids[2], strict=True)),
                )
            )
        )
        self.dashboard = portal.Dashboard(
            dashboard_name,
            dashboard_name=dashboard_name,
            resource_group_name=resource_group_name,
            location=env.location,
            properties=properties,
            tags={**env.tags, "hidden-title": title},
            opts=child,
        )
        self.register_outputs(
            {
                "prometheusRuleGroups": sorted(self.prometheus_rule_groups),
                "dashboardId": self.dashboard.id,
            }
        )


def _prometheus_rule(
    rule: dict[str, Any], action_group_id: pulumi.Input[str]
) -> alertsmanagement.PrometheusRuleArgs:
    return alertsmanagement.PrometheusRuleArgs(
        alert=rule["alert"],
        expression=rule["expression"],
        for_=rule["for"],
        severity=rule["severity"],
        labels=rule["labels"],
        annotations=rule["annotations"],
        enabled=rule["enabled"],
        actions=[alertsmanagement.PrometheusRuleGroupActionArgs(action_group_id=action_group_id)],
        resolve_configuration=alertsmanagement.PrometheusRuleResolveConfigurationArgs(
            auto_resolved=True, time_to_resolve=PROMETHEUS_TIME_TO_RESOLVE
        ),
    )


def _openai_metric_alert(
    rule_name: str,
    *,
    environment: EnvironmentPlan,
    resource_group_name: pulumi.Input[str],
    workload: str,
    alert: Alert,
    account_id: pulumi.Input[str],
    action_group_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> monitor.MetricAlert:
    criterion = azure_openai_criterion(alert, deployment=workload)
    return monitor.MetricAlert(
        rule_name,
        rule_name=rule_name,
        resource_group_name=resource_group_name,
        location="global",
        description=alert.description,
        severity=alert.severity,
        enabled=True,
        scopes=[account_id],
        target_resource_type=criterion["metricNamespace"],
        evaluation_frequency=METRIC_EVALUATION_FREQUENCY,
        window_size=metric_alert_window(alert),
        criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
            odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
            all_of=[
                monitor.MetricCriteriaArgs(
                    criterion_type=criterion["criterionType"],
                    name=criterion["name"],
                    metric_name=criterion["metricName"],
                    metric_namespace=criterion["metricNamespace"],
                    operator=criterion["operator"],
                    threshold=criterion["threshold"],
                    time_aggregation=criterion["timeAggregation"],
                    dimensions=[
                        monitor.MetricDimensionArgs(
                            name=d["name"], operator=d["operator"], values=d["values"]
                        )
                        for d in criterion["dimensions"]
                    ],
                )
            ],
        ),
        auto_mitigate=True,
        actions=[monitor.MetricAlertActionArgs(action_group_id=action_group_id)],
        tags=environment.tags,
        opts=opts,
    )


def _dashboard_args(
    properties: dict[str, Any],
) -> portal.DashboardPropertiesWithProvisioningStateArgs:
    """Azure's dashboard JSON (from components.dashboard) as the provider's typed arguments."""
    return portal.DashboardPropertiesWithProvisioningStateArgs(
        lenses=[
            portal.DashboardLensArgs(
                order=lens["order"],
                parts=[
                    portal.DashboardPartsArgs(
                        position=portal.DashboardPartsPositionArgs(
                            x=part["position"]["x"],
                            y=part["position"]["y"],
                            col_span=part["position"]["colSpan"],
                            row_span=part["position"]["rowSpan"],
                        ),
                        metadata=portal.DashboardPartMetadataArgs(
                            type=part["metadata"]["type"],
                            inputs=part["metadata"]["inputs"],
                            settings=part["metadata"]["settings"],
                        ),
                    )
                    for part in lens["parts"]
                ],
            )
            for lens in properties["lenses"]
        ],
        metadata=properties["metadata"],
    )
