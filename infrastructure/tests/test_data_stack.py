"""The once-per-account stack: the DVC remote bucket and the keyless GitHub Actions roles.

The trust policies are checked by evaluating them as IAM does (`iam_evaluator`), against tokens GitHub
would issue in both subject formats, so the tests say what may assume each role rather than how the
policy happens to be spelt. The tokens are written out here as GitHub documents them, not built with
the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from account_setup.github_variables import ENVIRONMENT_VARIABLE, REPOSITORY_VARIABLES
from aws_cdk.assertions import Template
from iam_evaluator import allows, as_list, conditions_hold, like
from infra_constructs.github_ci_roles import CDK_DEPLOY_ROLE_KINDS
from infra_support import (
    OWNER_ID,
    REPOSITORY,
    REPOSITORY_ID,
    TAGGING,
    Synthesized,
    new_app,
    only,
    ref,
    resources,
)
from stacks.app_builder import register_nag
from stacks.data_stack import DataStack
from stacks.names import (
    CAPTURE_BUCKET_OUTPUT,
    api_key_secret_name,
    capture_bucket_pattern,
    deploy_role_output,
    service_stack_name,
)
from stacks.settings import DataSettings, GitHubSettings
from stacks.stages import DEFAULT_STAGES

GITHUB = "token.actions.githubusercontent.com"
STS = "sts.amazonaws.com"
EXISTING_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
SETTINGS = DataSettings()
OWNER, NAME = REPOSITORY.split("/")
# The subject prefixes a token of the repository carries: today's format and the legacy one.
IMMUTABLE = f"repo:{OWNER}@{OWNER_ID}/{NAME}@{REPOSITORY_ID}"
LEGACY = f"repo:{OWNER}/{NAME}"
# Every context the tests present to every role (a job's event, branch or environment).
CONTEXTS = (
    "pull_request",
    "ref:refs/heads/main",
    "ref:refs/heads/MAIN",
    "ref:refs/heads/feature",
    "ref:refs/heads/main-x",
    "ref:refs/tags/v1",
    "pull_request_target",
    "environment:dev",
    "environment:prod",
    "environment:production",
    "environment:dev-x",
)
# What each role is for: the contexts that may assume it (the agreed interface with the workflows).
TRUSTED = {
    "ReadRoleArn": {"pull_request", "ref:refs/heads/main"},
    "TrainRoleArn": {"pull_request"},
    "DriftRoleArn": {"ref:refs/heads/main"},  # the scheduled drift workflow runs on the default branch
    **{deploy_role_output(stage): {f"environment:{stage}"} for stage in DEFAULT_STAGES},
}
# Pseudo parameters and the bucket, as a deployment would resolve them.
ACCOUNT, REGION = "123456789012", "eu-west-1"


def _buckets(template: Template) -> tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    """(remote bucket, its access-log bucket): the remote is the one whose access is logged."""
    buckets = resources(template, "AWS::S3::Bucket")
    (remote_id,) = [i for i, b in buckets.items() if "LoggingConfiguration" in b["Properties"]]
    log_id = buckets[remote_id]["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    return (remote_id, buckets[remote_id]), (log_id, buckets[log_id])


def _outputs(template: Template) -> dict[str, Any]:
    return {name: output["Value"] for name, output in template.to_json()["Outputs"].items()}


def _role(template: Template, output: str) -> tuple[str, dict[str, Any]]:
    """The role whose ARN the data stack outputs as `output`: (logical id, properties)."""
    role_id = _outputs(template)[output]["Fn::GetAtt"][0]
    return role_id, resources(template, "AWS::IAM::Role")[role_id]["Properties"]


def _statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    policies = [p["Properties"] for p in resources(template, "AWS::IAM::Policy").values()]
    return [s for p in policies if ref(role_id) in p["Roles"] for s in p["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> set[str]:
    return set(as_list(statement["Action"]))


def _on_s3(statement: dict[str, Any]) -> bool:
    return all(action.startswith("s3:") for action in _actions(statement))


def _admits(role: dict[str, Any], *, sub: str, aud: str = STS) -> bool:
    """Whether a GitHub token with these claims may assume `role`."""
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Action"]) == ("Allow", "sts:AssumeRoleWithWebIdentity")
    return conditions_hold(statement["Condition"], {f"{GITHUB}:sub": sub, f"{GITHUB}:aud": aud})


def _resolved(value: Any, template: Template) -> str:
    """A policy's Resource as the deployed string: pseudo parameters and the bucket's ARN filled in."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}[value["Ref"]]
    if "Fn::GetAtt" in value:
        (bucket_id, _), _ = _buckets(template)
        assert value["Fn::GetAtt"] == [bucket_id, "Arn"], value
        return "arn:aws:s3:::dvc-remote-bucket"
    separator, parts = value["Fn::Join"]
    return separator.join(_resolved(part, template) for part in parts)


def _grants(template: Template, role_id: str, action: str, resource: str, **context: str) -> bool:
    statements = [
        {
            **s,
            "Resource": [_resolved(r, template) for r in as_list(s["Resource"])],
            "Condition": {
                operator: {
                    key: [_resolved(v, template) for v in as_list(values)] for key, values in keys.items()
                }
                for operator, keys in s.get("Condition", {}).items()
            },
        }
        for s in _statements(template, role_id)
    ]
    return allows(statements, action, resource, context)


# --- the DVC remote bucket ------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["remote", "access logs"])
def test_buckets_are_encrypted_versioned_private_retained_and_tls_only(data: Template, which: str):
    remote, logs = _buckets(data)
    bucket_id, bucket = remote if which == "remote" else logs
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    # Overwritten or deleted objects stay recoverable for as long as the settings say.
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": SETTINGS.noncurrent_version_days}
    if which == "remote":
        assert "ExpirationInDays" not in rule  # current versions of the data never expire
    else:
        assert rule["ExpirationInDays"] == SETTINGS.access_log_days
    policies = [p["Properties"] for p in resources(data, "AWS::S3::BucketPolicy").values()]
    (policy,) = [p for p in policies if p["Bucket"] == ref(bucket_id)]
    (deny,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert (deny["Action"], deny["Principal"]) == ("s3:*", {"AWS": "*"})
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    assert deny["Resource"] == [arn, {"Fn::Join": ["", [arn, "/*"]]}]


def test_outputs_name_the_bucket_the_dvc_url_and_every_role_the_workflows_assume(data: Template):
    (bucket_id, _), _ = _buckets(data)
    outputs = _outputs(data)
    assert outputs["DvcBucketName"] == ref(bucket_id)
    assert outputs["DvcRemoteUrl"] == {"Fn::Join": ["", ["s3://", ref(bucket_id), f"/{SETTINGS.dvc_prefix}"]]}
    roles = {name for name in outputs if "RoleArn" in name}
    assert roles == set(TRUSTED)
    assert len({json.dumps(outputs[name]) for name in roles}) == len(roles), "one role per output"


def test_the_docs_map_every_role_output_to_its_github_variable():
    """docs/deploying.md tells a team which output goes into which GitHub variable, for each role."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "deploying.md").read_text(encoding="utf-8")
    rows = [line for line in docs.splitlines() if line.startswith("| `AWS_")]
    for output, variable in REPOSITORY_VARIABLES.items():
        assert [row for row in rows if row.startswith(f"| `{variable}` | repository | `{output}`")], output
    for stage in DEFAULT_STAGES:
        expected = f"| `{ENVIRONMENT_VARIABLE}` | environment `{stage}` | `{deploy_role_output(stage)}`"
        assert [row for row in rows if row.startswith(expected)], stage
    assert set(REPOSITORY_VARIABLES) | {deploy_role_output(s) for s in DEFAULT_STAGES} == set(TRUSTED)


# --- GitHub OIDC trust: evaluated as IAM does --------------------------------------------------------


def test_roles_trust_the_github_provider_for_the_sts_audience_only(data: Template):
    provider_id, provider = only(data, "AWS::IAM::OIDCProvider")
    assert (provider["Url"], provider["ClientIdList"]) == (f"https://{GITHUB}", [STS])
    for output, contexts in TRUSTED.items():
        _, role = _role(data, output)
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Federated": ref(provider_id)
        }
        assert role["MaxSessionDuration"] <= 3600
        context = sorted(contexts)[0]
        assert _admits(role, sub=f"{IMMUTABLE}:{context}")
        for aud in ("STS.amazonaws.com", "sts.amazonaws.com.evil", ""):
            assert not _admits(role, sub=f"{IMMUTABLE}:{context}", aud=aud), (output, aud)


@pytest.mark.parametrize("output", sorted(TRUSTED))
def test_each_role_admits_todays_tokens_of_exactly_its_contexts(data: Template, output: str):
    """A token in GitHub's immutable format `repo:OWNER@ID/REPO@ID:CONTEXT` assumes the role if and only
    if the context is one the role is for: no branch deploys, no pull request writes to a deploy role,
    dev's deploy role is not prod's."""
    _, role = _role(data, output)
    for context in CONTEXTS:
        assert _admits(role, sub=f"{IMMUTABLE}:{context}") is (context in TRUSTED[output]), context


@pytest.mark.parametrize("output", sorted(TRUSTED))
def test_legacy_tokens_are_refused_by_default(data: Template, output: str):
    """The names-only subject is trusted only where a setting says the repository still sends it."""
    _, role = _role(data, output)
    for context in CONTEXTS:
        assert not _admits(role, sub=f"{LEGACY}:{context}"), context


@pytest.mark.parametrize("output", sorted(TRUSTED))
def test_a_repository_of_the_same_name_with_other_ids_is_refused(data: Template, output: str):
    """A repository (or owner) deleted and re-created under the same name gets new IDs: its tokens carry
    the same names and another number, and must get nothing."""
    _, role = _role(data, output)
    impostors = [
        f"repo:{OWNER}@{OWNER_ID}/{NAME}@{int(REPOSITORY_ID) + 1}",
        f"repo:{OWNER}@{int(OWNER_ID) + 1}/{NAME}@{REPOSITORY_ID}",
        f"repo:{OWNER}@9{OWNER_ID}/{NAME}@9{REPOSITORY_ID}",
        f"repo:{OWNER}@{REPOSITORY_ID}/{NAME}@{OWNER_ID}",  # the two IDs swapped
        f"repo:{OWNER}/{NAME}@{REPOSITORY_ID}",  # one ID missing
        f"repo:{OWNER}@{OWNER_ID}/{NAME}",
    ]
    for context in TRUSTED[output]:
        assert _admits(role, sub=f"{IMMUTABLE}:{context}")
        for prefix in impostors:
            assert not _admits(role, sub=f"{prefix}:{context}"), prefix


@pytest.mark.parametrize("output", sorted(TRUSTED))
def test_names_compare_ignoring_case_and_nothing_else_does(data: Template, output: str):
    """GitHub's spelling of the names may differ in case from the configured one; the IDs and the context
    must be exact, and another repository's name with our IDs is not ours (renaming it means updating
    github_repository)."""
    _, role = _role(data, output)
    (context, *_) = sorted(TRUSTED[output])
    for owner, name in ((OWNER.upper(), NAME.upper()), (OWNER.title(), NAME.title())):
        assert _admits(role, sub=f"repo:{owner}@{OWNER_ID}/{name}@{REPOSITORY_ID}:{context}")
    assert not _admits(role, sub=f"{IMMUTABLE}:{context.upper()}")
    for other in (
        f"{OWNER}@{OWNER_ID}/other-repo@{REPOSITORY_ID}",
        f"other@{OWNER_ID}/{NAME}@{REPOSITORY_ID}",
    ):
        assert not _admits(role, sub=f"repo:{other}:{context}"), other
    for wildcard in ("*", f"repo:*:{context}", f"{IMMUTABLE}:*", "repo:*"):
        assert not _admits(role, sub=wildcard), wildcard


def _data_template(tmp_path: Path, github: GitHubSettings, **settings: Any) -> Template:
    app = new_app(tmp_path)
    stack = DataStack(app, "Data", settings=DataSettings(github=github, **settings), tagging=TAGGING)
    register_nag(app)
    return Template.from_stack(stack)


def _github(**overrides: Any) -> GitHubSettings:
    settings = {
        "repository": REPOSITORY,
        "owner_id": OWNER_ID,
        "repository_id": REPOSITORY_ID,
        "deploy_environments": DEFAULT_STAGES,
    }
    return GitHubSettings(**{**settings, **overrides})


def test_with_the_legacy_setting_both_formats_are_trusted_for_the_same_contexts(tmp_path: Path):
    """A repository that still sends names-only subjects (created before 2026-07-15, never renamed, not
    opted in) must keep working, and keeps working on the day it moves to the immutable format."""
    template = _data_template(tmp_path, _github(legacy_subjects=True))
    for output, trusted in TRUSTED.items():
        _, role = _role(template, output)
        for context in CONTEXTS:
            for prefix in (IMMUTABLE, LEGACY):
                assert _admits(role, sub=f"{prefix}:{context}") is (context in trusted), (
                    output,
                    prefix,
                    context,
                )
        (context, *_) = sorted(trusted)
        assert not _admits(role, sub=f"repo:{OWNER}/{NAME}-fork:{context}")
        assert not _admits(role, sub=f"repo:{OWNER}/{NAME}@{REPOSITORY_ID}1:{context}")


# --- least privilege -------------------------------------------------------------------------------


@pytest.mark.parametrize("output", sorted(set(TRUSTED) - {"DriftRoleArn"}))
def test_ci_roles_reach_only_the_dvc_prefix_and_only_the_train_role_writes(data: Template, output: str):
    role_id, role = _role(data, output)
    assert "ManagedPolicyArns" not in role
    bucket, prefix = "arn:aws:s3:::dvc-remote-bucket", SETTINGS.dvc_prefix
    may_write = output == "TrainRoleArn"
    assert _grants(data, role_id, "s3:GetObject", f"{bucket}/{prefix}/files/md5/ab/cdef")
    assert _grants(data, role_id, "s3:PutObject", f"{bucket}/{prefix}/files/md5/ab/cdef") is may_write
    assert _grants(data, role_id, "s3:ListBucket", bucket, **{"s3:prefix": f"{prefix}/files/md5/ab"})
    assert not _grants(data, role_id, "s3:ListBucket", bucket, **{"s3:prefix": "other/"})
    assert not _grants(data, role_id, "s3:ListBucket", bucket)  # a listing of the whole bucket
    for action in ("s3:GetObject", "s3:PutObject"):
        assert not _grants(data, role_id, action, f"{bucket}/other/key")
        assert not _grants(data, role_id, action, f"arn:aws:s3:::another-bucket/{prefix}/key")
    for action in ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutBucketPolicy", "s3:PutObjectAcl"):
        assert not _grants(data, role_id, action, f"{bucket}/{prefix}/key"), action
        assert not _grants(data, role_id, action, bucket), action


def test_read_and_train_roles_may_do_nothing_but_the_dvc_remote(data: Template):
    for output in ("ReadRoleArn", "TrainRoleArn"):
        role_id, _ = _role(data, output)
        assert all(_on_s3(statement) for statement in _statements(data, role_id)), output


# A capture bucket as CloudFormation names it in the dev stack, and a key of one day's captures in it.
CAPTURES = "arn:aws:s3:::textclassifier-dev-capturebucket1a2b3c4d-abcdefghijkl"
CAPTURE_KEY = f"{CAPTURES}/captures/year=2026/month=12/day=07/part-0001.gz"


def test_the_drift_role_reads_the_captures_of_each_stage_and_nothing_else(data: Template):
    role_id, role = _role(data, "DriftRoleArn")
    assert "ManagedPolicyArns" not in role
    day = {"s3:prefix": "captures/year=2026/month=12/day=07/"}
    for stage in DEFAULT_STAGES:
        bucket = CAPTURES.replace("-dev-", f"-{stage}-")
        stack = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/TextClassifier-{stage}/0a1b2c3d-uuid"
        assert _grants(data, role_id, "cloudformation:DescribeStacks", stack)
        assert _grants(data, role_id, "s3:ListBucket", bucket, **day)
        assert _grants(data, role_id, "s3:GetObject", CAPTURE_KEY.replace(CAPTURES, bucket))
    stack = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/TextClassifier-Data/0a1b2c3d-uuid"
    assert not _grants(data, role_id, "cloudformation:DescribeStacks", stack)
    assert not _grants(data, role_id, "s3:ListBucket", CAPTURES)  # the whole bucket
    assert not _grants(data, role_id, "s3:ListBucket", CAPTURES, **{"s3:prefix": "capture-errors/"})
    assert not _grants(data, role_id, "s3:GetObject", f"{CAPTURES}/capture-errors/x/year=2026/part")
    for other in ("arn:aws:s3:::dvc-remote-bucket", "arn:aws:s3:::textclassifier-data-dvcremote-x"):
        assert not _grants(data, role_id, "s3:GetObject", f"{other}/captures/key")
        assert not _grants(data, role_id, "s3:GetObject", f"{other}/dvc/files/md5/ab/cdef")
    for action in ("s3:PutObject", "s3:DeleteObject", "s3:PutBucketPolicy", "s3:PutObjectAcl"):
        assert not _grants(data, role_id, action, CAPTURE_KEY), action


def test_the_drift_role_has_no_kms_permission(data: Template):
    """The capture bucket uses S3-managed keys: reading its objects needs no KMS grant."""
    role_id, _ = _role(data, "DriftRoleArn")
    actions = {action for statement in _statements(data, role_id) for action in _actions(statement)}
    assert actions == {"cloudformation:DescribeStacks", "s3:ListBucket", "s3:GetObject"}


def test_make_drift_finds_the_bucket_by_the_output_and_naming_the_roles_assume():
    """`make drift STAGE=...` reads the output the service stack names the bucket in; the drift role's
    pattern covers the names CloudFormation gives a bucket of that stack, and no other stage's."""
    from ops import stage as ops_stage

    assert ops_stage.CAPTURE_BUCKET_OUTPUT == CAPTURE_BUCKET_OUTPUT
    generated = f"{service_stack_name('dev')}-CaptureBucket1A2B3C4D-abcdefghijkl".lower()
    pattern = f"arn:aws:s3:::{capture_bucket_pattern('dev')}"
    assert like(f"arn:aws:s3:::{generated}", pattern)
    assert not like(f"arn:aws:s3:::{generated}".replace("-dev-", "-prod-"), pattern)


def _cdk_roles_a_deploy_assumes(synthesized: Synthesized) -> set[str]:
    """The kinds of `cdk bootstrap` role (`deploy-role`, ...) that deploying a service stack assumes, read
    from the cloud assembly: each stack's deployment role and its assets' publishing roles. The lookup
    role is assumed only for context lookups, which the app makes none of (no context is missing)."""
    manifest = synthesized.manifest()
    assert "missing" not in manifest, "the app makes context lookups: the deploy roles need the lookup role"
    arns = []
    for stage in DEFAULT_STAGES:
        arns.append(manifest["artifacts"][f"TextClassifier-{stage}"]["properties"]["assumeRoleArn"])
        assets = json.loads((synthesized.outdir / f"TextClassifier-{stage}.assets.json").read_text())
        for kind in ("files", "dockerImages"):
            arns += [d["assumeRoleArn"] for a in assets[kind].values() for d in a["destinations"].values()]
    prefix = f"role/cdk-{SETTINGS.cdk_bootstrap_qualifier}-"
    return {arn.split(prefix)[1].split("-${AWS::AccountId}")[0] for arn in arns}


@pytest.mark.parametrize("stage", DEFAULT_STAGES)
def test_a_deploy_role_assumes_only_the_cdk_roles_a_deploy_needs_and_reads_only_its_stages_key(
    synthesized: Synthesized, data: Template, stage: str
):
    role_id, _ = _role(data, deploy_role_output(stage))
    needed = _cdk_roles_a_deploy_assumes(synthesized)
    assert needed == set(CDK_DEPLOY_ROLE_KINDS)
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/cdk-{SETTINGS.cdk_bootstrap_qualifier}-{{}}-{ACCOUNT}-{REGION}"
    for kind in (
        "deploy-role",
        "file-publishing-role",
        "image-publishing-role",
        "lookup-role",
        "cfn-exec-role",
    ):
        assert _grants(data, role_id, "sts:AssumeRole", role_arn.format(kind)) is (kind in needed), kind
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{{}}-AbC123"
    for other in DEFAULT_STAGES:
        readable = _grants(
            data, role_id, "secretsmanager:GetSecretValue", secret.format(api_key_secret_name(other))
        )
        assert readable is (other == stage), other
    assert not _grants(
        data, role_id, "secretsmanager:GetSecretValue", secret.format("text-classifier/db/password")
    )
    assert not _grants(data, role_id, "apigateway:GET", f"arn:aws:apigateway:{REGION}::/apikeys/abc123")
    others = {s["Sid"] for s in _statements(data, role_id) if not _on_s3(s)}
    assert others == {"AssumeCdkDeployRoles", "ReadStageApiKey"}


def test_no_iam_users_keys_or_wildcard_actions(synthesized: Synthesized):
    for stack in [synthesized.built.data, *synthesized.built.services.values()]:
        template = Template.from_stack(stack).to_json()["Resources"]
        assert not {r["Type"] for r in template.values()} & {
            "AWS::IAM::User",
            "AWS::IAM::AccessKey",
            "AWS::IAM::Group",
        }
        for resource in template.values():
            if resource["Type"] == "AWS::IAM::Policy":
                for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                    assert not [a for a in _actions(statement) if "*" in a], statement


def test_data_stack_is_tagged_shared_and_protected_from_deletion(synthesized: Synthesized, data: Template):
    expected = {"project": TAGGING.project, "stage": "shared", "owner": TAGGING.owner}
    for logical_id, resource in data.to_json()["Resources"].items():
        if resource["Type"] in ("AWS::S3::Bucket", "AWS::IAM::Role", "AWS::IAM::OIDCProvider"):
            assert {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]} == expected, logical_id
    artifact = synthesized.manifest()["artifacts"]["TextClassifier-Data"]
    assert artifact["properties"].get("terminationProtection", False) is SETTINGS.termination_protection


# --- the account-level switches ------------------------------------------------------------------


def _logging_role_id(template: Template) -> str:
    (role_id,) = [
        i
        for i, r in resources(template, "AWS::IAM::Role").items()
        if r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "apigateway.amazonaws.com"}
    ]
    return role_id


def test_api_gateway_logging_role_is_the_accounts_by_default(data: Template):
    _, account = only(data, "AWS::ApiGateway::Account")
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": [_logging_role_id(data), "Arn"]}


def test_the_account_logging_role_can_be_left_alone(tmp_path: Path):
    template = _data_template(tmp_path, _github(), manage_api_gateway_logging_role=False)
    assert not resources(template, "AWS::ApiGateway::Account")
    assert not [
        r
        for r in resources(template, "AWS::IAM::Role").values()
        if "apigateway.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    ]


def test_an_existing_oidc_provider_is_used_instead_of_creating_one(tmp_path: Path):
    template = _data_template(tmp_path, _github(oidc_provider_arn=EXISTING_PROVIDER))
    assert not resources(template, "AWS::IAM::OIDCProvider")
    for output in TRUSTED:
        principal = _role(template, output)[1]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        assert principal == {"Federated": EXISTING_PROVIDER}
    assert _outputs(template)["GitHubOidcProviderArn"] == EXISTING_PROVIDER


@pytest.mark.parametrize(
    "github",
    [
        GitHubSettings(repository=None),
        GitHubSettings(repository=REPOSITORY),  # the IDs are not known yet
    ],
)
def test_without_the_repositorys_identity_no_role_can_be_assumed(tmp_path: Path, github: GitHubSettings):
    template = _data_template(tmp_path, github)
    for role in resources(template, "AWS::IAM::Role").values():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert not resources(template, "AWS::IAM::OIDCProvider")
    assert set(_outputs(template)) == {"DvcBucketName", "DvcRemoteUrl"}
