"""The once-per-account stack: DVC remote bucket, keyless GitHub CI roles, API Gateway logging role."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput, Stack
from constructs import Construct
from infra_constructs.api_gateway_logging import ApiGatewayLogging
from infra_constructs.dvc_bucket import DvcBucket
from infra_constructs.github_ci_roles import GitHubCiRoles

from stacks.settings import DataSettings, Tagging
from stacks.tagging import stack_tags, tag_everything

SHARED_STAGE = "shared"


class DataStack(Stack):
    """What every stage shares and what CI needs before its first run; deployed once, by hand."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DataSettings,
        tagging: Tagging,
        **stack_options: Any,
    ) -> None:
        tags = stack_tags(tagging, SHARED_STAGE)
        super().__init__(
            scope,
            construct_id,
            description="Text classifier: DVC remote bucket and GitHub Actions roles (once per account)",
            termination_protection=settings.termination_protection,
            tags=tags,
            **stack_options,
        )
        self.settings = settings
        self.dvc = DvcBucket(
            self,
            "Dvc",
            noncurrent_version_days=settings.noncurrent_version_days,
            access_log_days=settings.access_log_days,
        )
        if settings.manage_api_gateway_logging_role:
            ApiGatewayLogging(self, "ApiGatewayLogging")
        self.ci_roles = self._ci_roles()
        tag_everything(self, tags)
        self._add_outputs()

    def _ci_roles(self) -> GitHubCiRoles | None:
        if self.settings.github.repository is None:
            Annotations.of(self).add_warning_v2(
                "text-classifier:no-github-repository",
                "No CI roles: set the context value github_repository=owner/repo (cdk.json or -c) "
                "to create the GitHub Actions train and deploy roles.",
            )
            return None
        return GitHubCiRoles(
            self,
            "GitHub",
            settings=self.settings.github,
            bucket=self.dvc.bucket,
            dvc_prefix=self.settings.dvc_prefix,
            cdk_bootstrap_qualifier=self.settings.cdk_bootstrap_qualifier,
        )

    def _add_outputs(self) -> None:
        bucket = self.dvc.bucket
        CfnOutput(self, "DvcBucketName", value=bucket.bucket_name, description="Bucket of the DVC remote")
        CfnOutput(
            self,
            "DvcRemoteUrl",
            value=f"s3://{bucket.bucket_name}/{self.settings.dvc_prefix}",
            description="dvc remote modify s3 url <this>",
        )
        if self.ci_roles is not None:
            CfnOutput(self, "TrainRoleArn", value=self.ci_roles.train_role.role_arn)
            CfnOutput(self, "DeployRoleArn", value=self.ci_roles.deploy_role.role_arn)
            CfnOutput(self, "GitHubOidcProviderArn", value=self.ci_roles.provider_arn)
