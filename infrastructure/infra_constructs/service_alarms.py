"""The alarms that page someone and roll a bad deployment back, and the topic they publish to."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct
from stacks.settings import AlarmSettings

from infra_constructs.api_metrics import api_stage_metric
from infra_constructs.checkov_skips import skip_check


class ServiceAlarms(Construct):
    """Four alarms on the API stage and the `live` alias, each notifying `topic` on change.

    They watch the alias (not a single version), so during a gradual deployment they see the traffic
    the new version takes; CodeDeploy stops and rolls back when any of them fires.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: AlarmSettings,
        api_name: str,
        stage_name: str,
        alias: lambda_.Alias,
        function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", display_name="Text classifier alarms", enforce_ssl=True)
        skip_check(
            self.topic,
            "CKV_AWS_26",
            "The topic carries only alarm state changes (alarm name, threshold, metric value), never "
            "customer data, and refuses non-TLS publishing. CloudWatch alarms can publish to an encrypted "
            "topic only with a customer-managed KMS key (not aws/sns): a fee per key for no secret.",
        )
        if settings.email:
            self.topic.add_subscription(subscriptions.EmailSubscription(settings.email))
        period = Duration.seconds(settings.period_seconds)
        self._settings = settings
        self.server_error_rate = self._alarm(
            "ServerErrorRate",
            api_stage_metric(
                "5XXError", api_name=api_name, stage_name=stage_name, statistic="Average", period=period
            ),
            threshold=settings.server_error_rate,
            description="Share of API requests answered with a 5XX",
        )
        self.p99_latency = self._alarm(
            "P99Latency",
            api_stage_metric(
                "Latency", api_name=api_name, stage_name=stage_name, statistic="p99", period=period
            ),
            threshold=settings.p99_latency_ms,
            description="99th percentile of API latency, in milliseconds",
        )
        self.function_errors = self._alarm(
            "FunctionErrors",
            alias.metric_errors(statistic="Sum", period=period),
            threshold=settings.function_errors,
            description="Invocations of the live alias that raised or timed out",
        )
        self.throttles = self._alarm(
            "Throttles",
            function.metric_throttles(statistic="Sum", period=period),
            threshold=settings.throttles,
            # Reserved concurrency is optional (low_concurrency_quota): without it the account's
            # unreserved pool is the limit, and throttles are still the signal that it was reached.
            description="Invocations refused for lack of concurrency: the function's reserved cap, "
            "or the account's unreserved pool when it has none",
        )
        self.all = (self.server_error_rate, self.p99_latency, self.function_errors, self.throttles)

    def _alarm(self, name: str, metric: cw.Metric, *, threshold: float, description: str) -> cw.Alarm:
        alarm = metric.create_alarm(
            self,
            name,
            alarm_description=description,
            threshold=threshold,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=self._settings.evaluation_periods,
            datapoints_to_alarm=self._settings.datapoints_to_alarm,
            # No traffic is not an outage (dev sits idle most of the time).
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        action = cw_actions.SnsAction(self.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        return alarm
