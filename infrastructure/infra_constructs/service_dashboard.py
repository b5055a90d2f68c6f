"""One CloudWatch dashboard per stage: API, function, model metrics, model quality and alarm states."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from stacks.settings import ModelMetric, TelemetrySettings

from infra_constructs.api_metrics import api_stage_metric

_PERIOD = Duration.minutes(1)
_WIDTH = 8


def model_metric(telemetry: TelemetrySettings, metric: ModelMetric) -> cw.Metric:
    """One of the handler's embedded metrics, under the single dimension the handler gives them all."""
    return cw.Metric(
        namespace=telemetry.namespace,
        metric_name=metric.name,
        dimensions_map={telemetry.service_dimension: telemetry.service_name},
        statistic=metric.statistic,
        period=_PERIOD,
        label=f"{metric.name} ({metric.statistic})",
    )


class ServiceDashboard(Construct):
    """Rows: API traffic and latency; function invocations, duration and concurrency; model; alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        api_name: str,
        stage_name: str,
        alias: lambda_.Alias,
        function: lambda_.IFunction,
        telemetry: TelemetrySettings,
        alarms: Sequence[cw.IAlarm],
        quality: Sequence[cw.IWidget] = (),
    ) -> None:
        """`quality`: the model-quality row (live against the model's baseline), if the model has one."""
        super().__init__(scope, construct_id)
        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=dashboard_name)
        self.dashboard.add_widgets(*_api_widgets(api_name, stage_name))
        self.dashboard.add_widgets(*_function_widgets(alias, function))
        self.dashboard.add_widgets(*_model_widgets(telemetry))
        if quality:
            self.dashboard.add_widgets(*quality)
        self.dashboard.add_widgets(
            cw.AlarmStatusWidget(title="Alarms", alarms=list(alarms), width=3 * _WIDTH)
        )


def _graph(title: str, metrics: Sequence[cw.IMetric]) -> cw.GraphWidget:
    return cw.GraphWidget(title=title, left=list(metrics), width=_WIDTH)


def _api_widgets(api_name: str, stage_name: str) -> list[cw.IWidget]:
    def metric(name: str, statistic: str, label: str) -> cw.Metric:
        return api_stage_metric(
            name, api_name=api_name, stage_name=stage_name, statistic=statistic, period=_PERIOD, label=label
        )

    return [
        _graph(
            "API requests and errors",
            [
                metric("Count", "Sum", "Requests"),
                metric("4XXError", "Sum", "4XX"),
                metric("5XXError", "Sum", "5XX"),
            ],
        ),
        _graph(
            "API latency (ms)",
            [
                metric("Latency", "p50", "p50"),
                metric("Latency", "p99", "p99"),
                metric("IntegrationLatency", "p99", "Integration p99"),
            ],
        ),
        _graph("API 5XX rate", [metric("5XXError", "Average", "5XX share")]),
    ]


def _function_widgets(alias: lambda_.Alias, function: lambda_.IFunction) -> list[cw.IWidget]:
    return [
        _graph(
            "Function invocations (live alias)",
            [
                alias.metric_invocations(statistic="Sum", period=_PERIOD, label="Invocations"),
                alias.metric_errors(statistic="Sum", period=_PERIOD, label="Errors"),
                function.metric_throttles(statistic="Sum", period=_PERIOD, label="Throttles"),
            ],
        ),
        _graph(
            "Function duration (ms)",
            [
                alias.metric_duration(statistic="p50", period=_PERIOD, label="p50"),
                alias.metric_duration(statistic="p99", period=_PERIOD, label="p99"),
            ],
        ),
        _graph(
            "Concurrency",
            [
                function.metric("ConcurrentExecutions", statistic="Maximum", period=_PERIOD),
                alias.metric("ProvisionedConcurrencySpilloverInvocations", statistic="Sum", period=_PERIOD),
            ],
        ),
    ]


def _model_widgets(telemetry: TelemetrySettings) -> list[cw.IWidget]:
    return [
        _graph(f"Model: {metric.name}", [model_metric(telemetry, metric)])
        for metric in telemetry.model_metrics
    ]
