"""The container-image Lambda function that serves the model, and its `live` alias."""

from __future__ import annotations

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from stacks.settings import METRIC_NAMES, FunctionSettings, TelemetrySettings

from infra_constructs.checkov_skips import skip_check
from infra_constructs.nag import acknowledge
from serving.app.contracts import capture as CAPTURE

LIVE_ALIAS = "live"
# The model files the Dockerfile copies into the image (serving/MODEL_ARTIFACT.md).
MODEL_FILES = ("data/model.npz", "data/model.json")

_PLATFORMS = {"x86_64": ecr_assets.Platform.LINUX_AMD64, "arm64": ecr_assets.Platform.LINUX_ARM64}
_ARCHITECTURES = {"x86_64": lambda_.Architecture.X86_64, "arm64": lambda_.Architecture.ARM_64}


def function_environment(
    telemetry: TelemetrySettings, cors_allow_origins: tuple[str, ...], capture_rate: float = 0.0
) -> dict[str, str]:
    """Environment variables of the handler.

    The handler's telemetry (and aws-embedded-metrics itself) read the metrics namespace and service
    name from `AWS_EMF_*` (names defined in serving/app/contracts/metrics.py). With a Lambda proxy
    integration the handler, not API Gateway, adds CORS headers to its answers, so it is told the
    allowed origins. With capture on, it is told the share of texts to capture (serving/app/capture.py);
    off, the variable is absent, which the handler reads as 0.
    """
    environment = {
        METRIC_NAMES.NAMESPACE_ENV: telemetry.namespace,
        METRIC_NAMES.SERVICE_NAME_ENV: telemetry.service_name,
    }
    if cors_allow_origins:
        environment["CORS_ALLOW_ORIGINS"] = ",".join(cors_allow_origins)
    if capture_rate > 0:
        environment[CAPTURE.RATE_ENV] = repr(float(capture_rate))
    return environment


class ServingFunction(Construct):
    """Builds the image from the serving directory and publishes a `live` alias on every deploy.

    The image is built for exactly one platform, the one the function runs on. The pinned CDK CLI
    builds assets with `BUILDX_NO_DEFAULT_ATTESTATIONS=1`, the same as `--provenance=false`, so the
    pushed image is a single manifest, the only kind Lambda accepts.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: FunctionSettings,
        telemetry: TelemetrySettings,
        cors_allow_origins: tuple[str, ...],
        stage: str,
        tracing: bool,
        capture_rate: float = 0.0,
    ) -> None:
        super().__init__(scope, construct_id)
        self._warn_if_model_missing(settings)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=settings.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the text classifier ({stage}); may only write its own logs.",
        )
        self.log_group.grant_write(role)
        self.function = lambda_.DockerImageFunction(
            self,
            "Function",
            description=f"Text classifier ({stage})",
            code=lambda_.DockerImageCode.from_image_asset(
                str(settings.image_directory),
                # What enters the build context is decided by the serving app's .dockerignore.
                platform=_PLATFORMS[settings.architecture],
            ),
            architecture=_ARCHITECTURES[settings.architecture],
            memory_size=settings.memory_mb,
            timeout=Duration.seconds(settings.timeout_seconds),
            reserved_concurrent_executions=settings.reserved_concurrency,
            role=role,
            log_group=self.log_group,
            environment=function_environment(telemetry, cors_allow_origins, capture_rate),
            tracing=lambda_.Tracing.ACTIVE if tracing else lambda_.Tracing.DISABLED,
        )
        self._acknowledge_checkov_findings(settings, capture_rate)
        if tracing:
            acknowledge(
                role,
                "AwsSolutions-IAM5[Resource::*]",
                "Only X-Ray's xray:PutTraceSegments and xray:PutTelemetryRecords are on '*': X-Ray "
                "has no resource-level permissions for them.",
            )
        self.alias = lambda_.Alias(
            self,
            "Live",
            alias_name=LIVE_ALIAS,
            version=self.function.current_version,
            provisioned_concurrent_executions=settings.provisioned_concurrency or None,
        )

    def _acknowledge_checkov_findings(self, settings: FunctionSettings, capture_rate: float) -> None:
        """What checkov asks of every function and log group, and why this one does without it."""
        if settings.reserved_concurrency is None:
            skip_check(
                self.function,
                "CKV_AWS_115",
                "No reserved concurrency: the account's Lambda concurrency quota is too low to reserve "
                "any (low_concurrency_quota). The API's stage and per-key throttles and the account quota "
                "bound the function instead; the throttle alarm fires when the quota is reached.",
            )
        texts = (
            "With capture on, its capture lines hold the sampled texts for the log group's retention; who "
            "may read them is decided by IAM (logs:GetLogEvents), which a KMS key policy would only repeat."
            if capture_rate > 0
            else "The handler never logs request texts (capture is off)."
        )
        skip_check(
            self.log_group,
            "CKV_AWS_158",
            "CloudWatch Logs already encrypts every log group at rest, and a customer-managed KMS key costs "
            f"a monthly fee per key plus a key policy for the logs service. {texts}",
        )
        skip_check(
            self.function,
            "CKV_AWS_116",
            "Only API Gateway invokes this function, synchronously: the caller receives every error. A "
            "dead-letter queue only ever receives failed asynchronous invocations, which never happen.",
        )
        skip_check(
            self.function,
            "CKV_AWS_117",
            "The function opens no connection to anything private (the model is in the image, metrics "
            "go to the log): a VPC would add ENIs and NAT or endpoint costs without narrowing exposure.",
        )
        skip_check(
            self.function,
            "CKV_AWS_173",
            "The environment holds no secrets (metric namespace, service name, allowed CORS origins); "
            "Lambda encrypts it at rest with its own key, so a customer-managed key would add cost only.",
        )

    def _warn_if_model_missing(self, settings: FunctionSettings) -> None:
        """Synthesis works without the model (a fresh clone has none); building the image does not."""
        missing = [name for name in MODEL_FILES if not (settings.image_directory / name).is_file()]
        if missing:
            Annotations.of(self).add_warning_v2(
                "text-classifier:model-missing",
                f"{', '.join(missing)} not found in {settings.image_directory}: the image cannot be built. "
                "Run `dvc pull` (or train a model) before `cdk deploy`.",
            )
