"""CloudWatch metrics of one API Gateway stage, addressed by name.

The stage's own `metric_*` helpers reference the stage resource. The rollback alarms feed the
deployment group, which the `live` alias depends on, which the API's methods depend on: a
reference from those alarms back to the stage would close a dependency cycle. Plain names don't.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw


def api_stage_metric(
    metric_name: str,
    *,
    api_name: str,
    stage_name: str,
    statistic: str,
    period: Duration,
    label: str | None = None,
) -> cw.Metric:
    """`metric_name` (Count, 4XXError, 5XXError, Latency, IntegrationLatency) of one API stage."""
    return cw.Metric(
        namespace="AWS/ApiGateway",
        metric_name=metric_name,
        dimensions_map={"ApiName": api_name, "Stage": stage_name},
        statistic=statistic,
        period=period,
        label=label,
    )
