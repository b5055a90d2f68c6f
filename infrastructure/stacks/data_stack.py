"""The once-per-account stack: DVC remote bucket, keyless GitHub CI roles, API Gateway logging role."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput, Stack
from constructs import Construct
from infra_constructs.api_gateway_logging import ApiGatewayLogging
from infra_constructs.dvc_bucket import DvcBucket
from infra_constructs.github_ci_roles import GitHubCiRoles

from stacks.names import deploy_role_output
from stacks.settings import DataSettings, GitHubSettings, Tagging
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
        github = self.settings.github
        if github.identity is None:
            Annotations.of(self).add_warning_v2(
                "text-classifier:no-github-repository", _no_roles_reason(github)
            )
            return None
        return GitHubCiRoles(
            self,
            "GitHub",
            settings=github,
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
        roles = self.ci_roles
        if roles is None:
            return
        CfnOutput(
            self,
            "ReadRoleArn",
            value=roles.read_role.role_arn,
            description="GitHub repository variable AWS_READ_ROLE_ARN (test jobs: read the DVC remote)",
        )
        CfnOutput(
            self,
            "TrainRoleArn",
            value=roles.train_role.role_arn,
            description="GitHub repository variable AWS_TRAIN_ROLE_ARN (the retrain workflow)",
        )
        CfnOutput(
            self,
            "DriftRoleArn",
            value=roles.drift_role.role_arn,
            description="GitHub repository variable AWS_DRIFT_ROLE_ARN (the drift workflow: read captures)",
        )
        for stage, role in roles.deploy_roles.items():
            CfnOutput(
                self,
                deploy_role_output(stage),
                value=role.role_arn,
                description=f"GitHub environment {stage}: variable AWS_DEPLOY_ROLE_ARN",
            )
        CfnOutput(self, "GitHubOidcProviderArn", value=roles.provider_arn)


def _no_roles_reason(github: GitHubSettings) -> str:
    """Why the data stack has no CI role, and the setting that adds them."""
    if github.repository is None:
        missing = "github_repository=owner/repo"
    else:
        missing = (
            "github_owner_id and github_repository_id (GitHub's numeric IDs: "
            f"gh api repos/{github.repository} --jq '.owner.id, .id')"
        )
    return (
        f"No CI roles: set the context values {missing} (cdk.json or -c; `make bootstrap` finds them) to "
        "create the GitHub Actions read, train and deploy roles. Deploying this stack without them deletes "
        "roles it created before."
    )
