"""Keyless CI: GitHub Actions exchanges its OIDC token for one of a few narrowly scoped roles.

No IAM user and no long-lived key exists anywhere: a workflow asks GitHub for a token whose subject
names the repository and the job's context (a pull request, a branch, an environment), and STS hands
out one-hour credentials only when that subject and the audience match the role's trust policy.

- read: trusted by `pull_request` and `ref:refs/heads/<deploy branch>` (test jobs); reads the DVC prefix.
- train: trusted by `pull_request` (the retrain workflow); reads and writes the DVC prefix.
- deploy, one per stage: trusted by `environment:<stage>` only; reads the DVC prefix, assumes the CDK
  bootstrap roles a deploy uses, reads that stage's API key.
- drift: trusted by `ref:refs/heads/<deploy branch>` (the scheduled drift workflow, which GitHub runs on
  the default branch); for each deployed stage, finds its capture bucket in the stage stack's outputs and
  reads the captures under `captures/`, nothing else (the bucket uses S3-managed keys: no KMS grant).

A job that runs in an environment presents `environment:NAME` instead of its branch, so no branch and
no pull request can assume a deploy role, and dev's role cannot deploy prod (GitHub's environment
settings decide which branches may run in an environment, and who must approve).

Subjects are built in `stacks/github_subjects.py` (immutable `repo:OWNER@ID/REPO@ID:...`, and the legacy
names-only format only where the settings say the repository still sends it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import ArnFormat, Aws, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct
from stacks import github_subjects
from stacks.github_subjects import PULL_REQUEST
from stacks.names import api_key_secret_name, camel_case, capture_bucket_pattern, service_stack_name
from stacks.settings import GitHubSettings

from infra_constructs.nag import acknowledge
from serving.app.contracts.capture import KEY_PREFIX as CAPTURE_PREFIX

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
# The `cdk bootstrap` roles `cdk deploy` assumes: CloudFormation deployment, and publishing the file
# assets (templates, the pre-traffic hook's code) and the image. Not the lookup role: the app makes no
# context lookups (tests/test_data_stack.py derives this list from the synthesized cloud assembly).
CDK_DEPLOY_ROLE_KINDS = ("deploy-role", "file-publishing-role", "image-publishing-role")


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

    The repository's names in `subjects` are spelt as the settings give them: GITHUB_REPOSITORY, or the
    origin remote's URL as someone typed it (the IDs are digits, which have no case). The token spells
    them as GitHub does, and GitHub owner and repository names are case-insensitive, so an exact
    comparison would refuse every workflow over a capital letter. StringEqualsIgnoreCase accepts any
    case of the whole subject; the StringLike beside it (IAM requires both to hold) keeps what follows
    the repository exact, so a branch `MAIN`, which is not `main`, gets nothing.
    """
    sub = f"{GITHUB_OIDC_HOST}:sub"
    return {
        "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE},
        "StringEqualsIgnoreCase": {sub: list(subjects)},
        "StringLike": {sub: list(dict.fromkeys(_any_repository(subject) for subject in subjects))},
    }


def _any_repository(subject: str) -> str:
    """`<prefix>:CONTEXT` as the pattern `repo:*:CONTEXT` (names, IDs and contexts hold no wildcard)."""
    kind, _repository, context = subject.split(":", 2)
    return f"{kind}:*:{context}"


class GitHubCiRoles(Construct):
    """The GitHub OIDC provider (created or imported), the `read` and `train` roles and one deploy role per
    stage in `settings.deploy_environments`."""

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
        repository = settings.identity
        if repository is None:
            raise ValueError("GitHubCiRoles needs the repository and its owner and repository IDs")
        self._repository, self._legacy = repository, settings.legacy_subjects
        self.provider_arn = settings.oidc_provider_arn or self._create_provider()
        self._bucket = bucket
        self._prefix = dvc_prefix
        self.read_role = self._role(
            "ReadRole",
            contexts=[PULL_REQUEST, github_subjects.branch(settings.deploy_branch)],
            description=f"Test jobs of {repository.full_name} (pull requests, {settings.deploy_branch}): "
            "read the DVC remote.",
        )
        self._allow_dvc(self.read_role, actions=["s3:GetObject"])
        self.train_role = self._role(
            "TrainRole",
            contexts=[PULL_REQUEST],
            description=f"The retrain workflow of {repository.full_name} (pull requests): read and write "
            "the DVC remote.",
        )
        self._allow_dvc(self.train_role, actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"])
        self.deploy_roles = {
            stage: self._deploy_role(stage, cdk_bootstrap_qualifier) for stage in settings.deploy_environments
        }
        self.drift_role = self._drift_role(settings)

    def _drift_role(self, settings: GitHubSettings) -> iam.Role:
        """The scheduled drift workflow's role: read-only, the deployed stages' captures and nothing else."""
        role = self._role(
            "DriftRole",
            contexts=[github_subjects.branch(settings.deploy_branch)],
            description=f"The drift workflow of {self._repository.full_name} ({settings.deploy_branch}): "
            "read the stages' captures.",
        )
        for stage in settings.deploy_environments:
            self._allow_reading_captures(role, stage)
        return role

    def _allow_reading_captures(self, role: iam.Role, stage: str) -> None:
        """The stage stack's outputs (where `make drift` finds the bucket), listing and reading the
        captures under their prefix. The bucket is encrypted with S3-managed keys: no KMS permission.

        The bucket is the service stack's (deployed after this stack), named by CloudFormation after
        that stack (`capture_bucket_pattern`): the pattern, not a reference, scopes the statements."""
        stack = Stack.of(self)
        name = camel_case(stage)
        buckets = f"arn:{Aws.PARTITION}:s3:::{capture_bucket_pattern(stage)}"
        stage_stack = stack.format_arn(
            service="cloudformation", resource="stack", resource_name=f"{service_stack_name(stage)}/*"
        )
        statements = [
            iam.PolicyStatement(
                sid=f"FindCaptureBucket{name}",
                actions=["cloudformation:DescribeStacks"],
                resources=[stage_stack],
            ),
            iam.PolicyStatement(
                sid=f"ListCaptures{name}",
                actions=["s3:ListBucket"],
                resources=[buckets],
                conditions={"StringLike": {"s3:prefix": [f"{CAPTURE_PREFIX}*"]}},
            ),
            iam.PolicyStatement(
                sid=f"ReadCaptures{name}",
                actions=["s3:GetObject"],
                resources=[f"{buckets}/{CAPTURE_PREFIX}*"],
            ),
        ]
        for statement in statements:
            role.add_to_policy(statement)
        self._acknowledge_capture_patterns(role, stage)

    @staticmethod
    def _acknowledge_capture_patterns(role: iam.Role, stage: str) -> None:
        """Why each wildcard of the drift role's statements stays (cdk-nag's IAM5, as it names them)."""
        account = "<AWS::Region>:<AWS::AccountId>"
        buckets = f"arn:<AWS::Partition>:s3:::{capture_bucket_pattern(stage)}"
        reasons = {
            buckets: "The capture bucket belongs to the stage's service stack, deployed after this one, and "
            "CloudFormation names it after that stack: the pattern names no other stack's buckets, and "
            "listing is limited to the captures prefix.",
            f"{buckets}/{CAPTURE_PREFIX}*": "Firehose writes one object per batch under a dated key, so "
            "reading captures needs a key wildcard; it is limited to the captures prefix of those buckets.",
            f"arn:<AWS::Partition>:cloudformation:{account}:stack/{service_stack_name(stage)}/*": "A stack's "
            "ARN ends with an ID CloudFormation generates at creation; the name is the stage's stack.",
        }
        for resource, reason in reasons.items():
            acknowledge(role, f"AwsSolutions-IAM5[Resource::{resource}]", reason)

    def _deploy_role(self, stage: str, cdk_bootstrap_qualifier: str) -> iam.Role:
        """The role jobs in GitHub environment `stage` deploy that stage with, and nothing else may use."""
        role = self._role(
            f"DeployRole{camel_case(stage)}",
            contexts=[github_subjects.environment(stage)],
            description=f"Deploy jobs of {self._repository.full_name} in environment {stage}: read the DVC "
            f"remote, cdk deploy, read the {stage} API key.",
        )
        self._allow_dvc(role, actions=["s3:GetObject"])
        role.add_to_policy(
            iam.PolicyStatement(
                sid="AssumeCdkDeployRoles",
                actions=["sts:AssumeRole"],
                resources=[
                    _bootstrap_role_arn(self, cdk_bootstrap_qualifier, kind) for kind in CDK_DEPLOY_ROLE_KINDS
                ],
            )
        )
        self._allow_reading_api_key(role, stage)
        return role

    def _allow_reading_api_key(self, role: iam.Role, stage: str) -> None:
        """The post-deploy smoke test calls the live API with the stage's key, which it reads from the
        stage's secret: that one secret only (Secrets Manager ends a secret's ARN with `-` and six
        random characters, hence the `??????`)."""
        secret = Stack.of(self).format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{api_key_secret_name(stage)}-??????",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadStageApiKey", actions=["secretsmanager:GetSecretValue"], resources=[secret]
            )
        )

    def _create_provider(self) -> str:
        provider = iam.OidcProviderNative(
            self, "Provider", url=f"https://{GITHUB_OIDC_HOST}", client_ids=[STS_AUDIENCE]
        )
        return provider.oidc_provider_arn

    def _role(self, construct_id: str, *, contexts: Sequence[str], description: str) -> iam.Role:
        subjects = github_subjects.subjects(self._repository, list(contexts), legacy=self._legacy)
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
