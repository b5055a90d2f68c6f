"""One stage of the text classifier service: function, API, gradual deploys, alarms and dashboard."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput, Stack
from constructs import Construct
from infra_constructs.custom_domain import CustomDomain
from infra_constructs.gradual_deployment import GradualDeployment
from infra_constructs.model_capture import ModelCapture
from infra_constructs.model_quality import ModelQualityAlarms, read_baseline
from infra_constructs.service_alarms import ServiceAlarms
from infra_constructs.service_dashboard import ServiceDashboard
from infra_constructs.serving_api import ServingApi
from infra_constructs.serving_function import ServingFunction
from infra_constructs.traffic_hook import PreTrafficHook

from serving.app.contracts.api import CLASSIFY
from stacks.names import (
    CAPTURE_BUCKET_OUTPUT,
    CHOSEN_NAME_PREFIX,
    DOMAIN_TARGET_OUTPUT,
    SERVICE_URL_OUTPUT,
    api_key_secret_name,
)
from stacks.settings import ServiceSettings, Tagging
from stacks.tagging import stack_tags, tag_everything

# The construct id of the model-quality alarms: the prefix of their logical ids.
MODEL_QUALITY_ID = "ModelQuality"


class ServiceStack(Stack):
    """Everything a client of one stage talks to, and everything that watches it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: ServiceSettings,
        tagging: Tagging,
        **stack_options: Any,
    ) -> None:
        tags = stack_tags(tagging, settings.stage)
        super().__init__(
            scope,
            construct_id,
            description=f"Text classifier service, stage {settings.stage}: Lambda behind API Gateway",
            termination_protection=settings.termination_protection,
            tags=tags,
            **stack_options,
        )
        self.settings = settings
        self.serving = ServingFunction(
            self,
            "Serving",
            settings=settings.function,
            telemetry=settings.telemetry,
            cors_allow_origins=settings.api.cors_allow_origins,
            stage=settings.stage,
            tracing=settings.tracing,
            capture_rate=settings.capture_rate,
        )
        # Opt-in: only a stage that captures has the capture bucket and what feeds it.
        self.capture = (
            ModelCapture(
                self,
                "Capture",
                log_group=self.serving.log_group,
                retention_days=settings.capture_retention_days,
                stage=settings.stage,
            )
            if settings.capture_rate > 0
            else None
        )
        self.api = ServingApi(
            self,
            "Api",
            handler=self.serving.alias,
            settings=settings.api,
            firewall=settings.firewall,
            stage=settings.stage,
            tracing=settings.tracing,
        )
        self.domain = (
            CustomDomain(self, "Domain", settings=settings.domain, api=self.api.api)
            if settings.domain is not None
            else None
        )
        self.alarms = ServiceAlarms(
            self,
            "Alarms",
            settings=settings.alarms,
            api_name=self.api.api_name,
            stage_name=self.api.stage_name,
            alias=self.serving.alias,
            function=self.serving.function,
        )
        self.pre_traffic_hook = PreTrafficHook(
            self,
            "PreTrafficHook",
            version=self.serving.function.current_version,
            image_directory=settings.function.image_directory,
            function_timeout_seconds=settings.function.timeout_seconds,
            log_retention=settings.function.log_retention,
        )
        self.deployment = GradualDeployment(
            self,
            "Deployment",
            alias=self.serving.alias,
            traffic_shift=settings.traffic_shift,
            alarms=self.alarms.all,
            pre_hook=self.pre_traffic_hook.function,
        )
        # The hook must hold the new version's ARN and answers before CodeDeploy runs it, i.e. before the
        # alias update that starts the deployment: CloudFormation orders only what it is told to.
        self.serving.alias.node.add_dependency(self.pre_traffic_hook.function)
        self.model_quality = self._model_quality(settings)
        self.dashboard = ServiceDashboard(
            self,
            "Dashboard",
            dashboard_name=f"{CHOSEN_NAME_PREFIX}-{settings.stage}",
            api_name=self.api.api_name,
            stage_name=self.api.stage_name,
            alias=self.serving.alias,
            function=self.serving.function,
            telemetry=settings.telemetry,
            alarms=(*self.alarms.all, *(self.model_quality.all if self.model_quality else ())),
            quality=self.model_quality.widgets() if self.model_quality else [],
        )
        tag_everything(self, tags)
        self._add_outputs()

    def _model_quality(self, settings: ServiceSettings) -> ModelQualityAlarms | None:
        """The model-quality alarms from the baseline of the model in the image's build context; without
        one (no model yet, or one exported without held-out texts), a warning and none."""
        baseline, classes, problem = read_baseline(settings.function.image_directory)
        if baseline is None:
            Annotations.of(self).add_warning_v2(
                "text-classifier:no-model-baseline", f"{problem}: no model-quality alarms."
            )
            return None
        return ModelQualityAlarms(
            self,
            MODEL_QUALITY_ID,
            baseline=baseline,
            classes=classes,
            settings=settings.alarms,
            telemetry=settings.telemetry,
            topic=self.alarms.topic,
        )

    @property
    def service_url(self) -> str:
        """The stage's stable base URL: its custom domain's, else API Gateway's execute-api URL."""
        return self.domain.url if self.domain is not None else self.api.api.url

    def _add_outputs(self) -> None:
        api = self.api.api
        CfnOutput(
            self,
            SERVICE_URL_OUTPUT,
            value=self.service_url,
            description="The stage's stable base URL: its custom domain when it has one, else ApiUrl",
        )
        CfnOutput(self, "ApiUrl", value=api.url, description="API Gateway's execute-api URL of the stage")
        classify_url = self.service_url + CLASSIFY.removeprefix("/")
        CfnOutput(self, "ClassifyUrl", value=classify_url, description="POST text here")
        if self.domain is not None:
            CfnOutput(
                self,
                DOMAIN_TARGET_OUTPUT,
                value=self.domain.domain.domain_name_alias_domain_name,
                description="Where the custom domain's DNS record points (a CNAME, where Route 53 does not "
                "hold the zone)",
            )
        if self.api.api_key is not None and self.api.api_key_secret is not None:
            CfnOutput(
                self, "ApiKeyId", value=self.api.api_key.key_id, description="The stage's default API key"
            )
            CfnOutput(
                self,
                "ApiKeySecretName",
                value=api_key_secret_name(self.settings.stage),
                description="aws secretsmanager get-secret-value --query SecretString --output text "
                "--secret-id <this> prints the key",
            )
        CfnOutput(self, "FunctionName", value=self.serving.function.function_name)
        CfnOutput(self, "AlarmTopicArn", value=self.alarms.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.dashboard.dashboard.dashboard_name)
        if self.capture is not None:
            CfnOutput(
                self,
                CAPTURE_BUCKET_OUTPUT,
                value=self.capture.bucket.bucket_name,
                description="Captured texts, one prefix per UTC day (make drift / make relabel STAGE=...)",
            )
