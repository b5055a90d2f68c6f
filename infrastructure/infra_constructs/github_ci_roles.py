"""Keyless CI: GitHub Actions exchanges its OIDC token for one of two narrowly scoped roles.

No IAM user and no long-lived key exists anywhere: a workflow asks GitHub for a token whose
subject names the repository and the event, and STS hands out one-hour credentials only when
that subject and the audience match the role's trust policy (the repository's name in any case,
everything else exactly).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct
from stacks.settings import GitHubSettings

from infra_constructs.nag import acknowledge

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
# The roles `cdk bootstrap` creates; `cdk deploy` assumes them to publish assets and deploy.
CDK_BOOTSTRAP_ROLE_KINDS = ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role")


# Why the subject is compared as it is (see `trust_conditions`):
# - IAM's string operators: StringEqualsIgnoreCase ignores case, StringLike is case-sensitive:
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
# - several operators in one Condition must all hold (AND); a key's values are alternatives (OR):
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html
# - IAM accepts StringEqualsIgnoreCase on token.actions.githubusercontent.com:sub in a trust policy:
#   its own check on such roles asks for `sub` "using StringEquals, StringLike or
#   StringEqualsIgnoreCase", quoted in https://github.com/Dashtid/subvectors/releases/tag/v0.4.2
# - GitHub does not treat owner and repository names case-sensitively:
#   https://github.com/github/docs/pull/32962
# - with StringEquals, a case mismatch only says "Not authorized to perform
#   sts:AssumeRoleWithWebIdentity": https://github.com/aws-actions/configure-aws-credentials/issues/1100
# - branch names are case-sensitive; GitHub keeps `branch-name` and `BRANCH-NAME` apart:
#   https://github.com/desktop/desktop/issues/18731


def trust_conditions(subjects: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Audience exactly STS; subject one of `subjects`, with only the repository's name case-insensitive.

    The repository in `subjects` is spelt as the settings give it: GITHUB_REPOSITORY, or the origin
    remote's URL as someone typed it. The token spells it as GitHub does, and GitHub owner and
    repository names are case-insensitive, so an exact comparison would refuse every workflow over a
    capital letter. StringEqualsIgnoreCase accepts any case of the whole subject; the StringLike
    beside it (IAM requires both to hold) keeps what follows the repository exact, so a branch `MAIN`,
    which is not `main`, cannot deploy.
    """
    sub = f"{GITHUB_OIDC_HOST}:sub"
    return {
        "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE},
        "StringEqualsIgnoreCase": {sub: list(subjects)},
        "StringLike": {sub: [_any_repository(subject) for subject in subjects]},
    }


def _any_repository(subject: str) -> str:
    """`repo:OWNER/REPO:CONTEXT` as the pattern `repo:*:CONTEXT` (names and contexts hold no wildcard)."""
    kind, _repository, context = subject.split(":", 2)
    return f"{kind}:*:{context}"


def pull_request_subjects(repository: str) -> list[str]:
    """Token subjects of workflows triggered by a pull request in `repository`."""
    return [f"repo:{repository}:pull_request"]


def deploy_subjects(settings: GitHubSettings) -> list[str]:
    """Token subjects of workflows running on the deploy branch or in a deploy environment."""
    repository = settings.repository
    return [f"repo:{repository}:ref:refs/heads/{settings.deploy_branch}"] + [
        f"repo:{repository}:environment:{environment}" for environment in settings.deploy_environments
    ]


class GitHubCiRoles(Construct):
    """The GitHub OIDC provider (created or imported) and the `train` and `deploy` roles."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: GitHubSettings,
        bucket: s3.IBucket,
        dvc_prefix: str,
        cdk_bootstrap_qualifier: str,
    ) -> None:
        super().__init__(scope, construct_id)
        if settings.repository is None:
            raise ValueError("GitHubCiRoles needs settings.repository")
        self.provider_arn = settings.oidc_provider_arn or self._create_provider()
        self._bucket = bucket
        self._prefix = dvc_prefix
        self.train_role = self._role(
            "TrainRole",
            subjects=pull_request_subjects(settings.repository),
            description=f"Pull-request workflows of {settings.repository}: read and write the DVC remote.",
        )
        self._allow_dvc(self.train_role, actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"])
        self.deploy_role = self._role(
            "DeployRole",
            subjects=deploy_subjects(settings),
            description=f"Deploy workflows of {settings.repository}: read the DVC remote, run cdk deploy.",
        )
        self._allow_dvc(self.deploy_role, actions=["s3:GetObject"])
        self.deploy_role.add_to_policy(
            iam.PolicyStatement(
                sid="AssumeCdkBootstrapRoles",
                actions=["sts:AssumeRole"],
                resources=[
                    _bootstrap_role_arn(self, cdk_bootstrap_qualifier, kind)
                    for kind in CDK_BOOTSTRAP_ROLE_KINDS
                ],
            )
        )
        self._allow_reading_api_keys(self.deploy_role)

    def _allow_reading_api_keys(self, role: iam.Role) -> None:
        """The post-deploy smoke test calls the live API, which needs the stage's API key value."""
        api_keys = Stack.of(self).format_arn(service="apigateway", account="", resource="/apikeys/*")
        role.add_to_policy(
            iam.PolicyStatement(sid="ReadApiKeys", actions=["apigateway:GET"], resources=[api_keys])
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*]",
            "Read-only access to API keys, so the deploy workflow can smoke-test the stage it just "
            "deployed; the keys are created later by the service stacks, so their ids are not known here.",
        )

    def _create_provider(self) -> str:
        provider = iam.OidcProviderNative(
            self, "Provider", url=f"https://{GITHUB_OIDC_HOST}", client_ids=[STS_AUDIENCE]
        )
        return provider.oidc_provider_arn

    def _role(self, construct_id: str, *, subjects: Sequence[str], description: str) -> iam.Role:
        principal = iam.WebIdentityPrincipal(self.provider_arn, conditions=trust_conditions(subjects))
        return iam.Role(
            self,
            construct_id,
            assumed_by=principal,
            description=description,
            max_session_duration=Duration.hours(1),
        )

    def _allow_dvc(self, role: iam.Role, *, actions: list[str]) -> None:
        """Object `actions` under the DVC prefix, and listing of that prefix only."""
        bucket_id = Stack.of(self).get_logical_id(self._bucket.node.default_child)
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{self._prefix}/*]",
            "DVC stores each file under a key derived from its hash, so object access needs a key "
            "wildcard; it is limited to the DVC prefix of this one bucket.",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="FindDvcBucket", actions=["s3:GetBucketLocation"], resources=[self._bucket.bucket_arn]
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ListDvcPrefix",
                actions=["s3:ListBucket"],
                resources=[self._bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [self._prefix, f"{self._prefix}/*"]}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="DvcObjects",
                actions=actions,
                resources=[self._bucket.arn_for_objects(f"{self._prefix}/*")],
            )
        )


def _bootstrap_role_arn(scope: Construct, qualifier: str, kind: str) -> str:
    """ARN of one `cdk bootstrap` role here: cdk-<qualifier>-<kind>-<account>-<region>."""
    return Stack.of(scope).format_arn(
        service="iam",
        region="",
        resource="role",
        resource_name=f"cdk-{qualifier}-{kind}-{Aws.ACCOUNT_ID}-{Aws.REGION}",
    )
