"""The once-per-account stack: DVC remote bucket and the keyless GitHub Actions roles.

The trust policies are checked by evaluating them as IAM does, against tokens GitHub would issue, so
the test says what may assume each role rather than how the policy happens to be spelt.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template
from infra_support import (
    DEPLOY_ENVIRONMENTS,
    REPOSITORY,
    TAGGING,
    Synthesized,
    as_list,
    new_app,
    only,
    ref,
    resources,
)
from stacks.app_builder import register_nag
from stacks.data_stack import DataStack
from stacks.settings import DataSettings, GitHubSettings

GITHUB = "token.actions.githubusercontent.com"
STS = "sts.amazonaws.com"
EXISTING_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
TRAIN, DEPLOY = "Pull-request workflows", "Deploy workflows"
SETTINGS = DataSettings()


def _buckets(template: Template) -> tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    """(remote bucket, its access-log bucket): the remote is the one whose access is logged."""
    buckets = resources(template, "AWS::S3::Bucket")
    (remote_id,) = [i for i, b in buckets.items() if "LoggingConfiguration" in b["Properties"]]
    log_id = buckets[remote_id]["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    return (remote_id, buckets[remote_id]), (log_id, buckets[log_id])


def _role(template: Template, description_start: str) -> tuple[str, dict[str, Any]]:
    roles = resources(template, "AWS::IAM::Role").items()
    (found,) = [
        (i, r["Properties"]) for i, r in roles if r["Properties"]["Description"].startswith(description_start)
    ]
    return found


def _statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    policies = [p["Properties"] for p in resources(template, "AWS::IAM::Policy").values()]
    return [s for p in policies if ref(role_id) in p["Roles"] for s in p["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> set[str]:
    return set(as_list(statement["Action"]))


def _on_s3(statement: dict[str, Any]) -> bool:
    return all(action.startswith("s3:") for action in _actions(statement))


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


def test_outputs_name_the_bucket_the_dvc_url_and_the_roles(data: Template):
    (bucket_id, _), _ = _buckets(data)
    outputs = {name: output["Value"] for name, output in data.to_json()["Outputs"].items()}
    assert outputs["DvcBucketName"] == ref(bucket_id)
    assert outputs["DvcRemoteUrl"] == {"Fn::Join": ["", ["s3://", ref(bucket_id), f"/{SETTINGS.dvc_prefix}"]]}
    assert outputs["TrainRoleArn"] == {"Fn::GetAtt": [_role(data, TRAIN)[0], "Arn"]}
    assert outputs["DeployRoleArn"] == {"Fn::GetAtt": [_role(data, DEPLOY)[0], "Arn"]}


# --- GitHub OIDC trust: evaluated as IAM does --------------------------------------------------------


def _like(value: str, pattern: str) -> bool:
    """IAM's StringLike: case-sensitive, `*` stands for any characters and `?` for any one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


_MATCHES = {
    "StringEquals": lambda value, wanted: value == wanted,
    "StringEqualsIgnoreCase": lambda value, wanted: value.lower() == wanted.lower(),
    "StringLike": _like,
}


def _admits(role: dict[str, Any], *, sub: str, aud: str = STS) -> bool:
    """Whether a GitHub token with these claims may assume `role`.

    Every operator and every key must hold; any one of a key's values is enough. An operator these
    tests do not know fails the test rather than being ignored.
    """
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Action"]) == ("Allow", "sts:AssumeRoleWithWebIdentity")
    claims = {f"{GITHUB}:sub": sub, f"{GITHUB}:aud": aud}
    return all(
        any(
            _MATCHES[operator](claims[key], wanted)
            for wanted in (values if isinstance(values, list) else [values])
        )
        for operator, keys in statement["Condition"].items()
        for key, values in keys.items()
    )


def test_roles_trust_the_github_provider_for_the_sts_audience_only(data: Template):
    provider_id, provider = only(data, "AWS::IAM::OIDCProvider")
    assert (provider["Url"], provider["ClientIdList"]) == (f"https://{GITHUB}", [STS])
    for description, context in ((TRAIN, "pull_request"), (DEPLOY, "ref:refs/heads/main")):
        _, role = _role(data, description)
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Federated": ref(provider_id)
        }
        assert role["MaxSessionDuration"] <= 3600
        assert _admits(role, sub=f"repo:{REPOSITORY}:{context}")
        for aud in ("STS.amazonaws.com", "sts.amazonaws.com.evil", ""):
            assert not _admits(role, sub=f"repo:{REPOSITORY}:{context}", aud=aud), (description, aud)


@pytest.mark.parametrize(
    ("description", "context"), [(TRAIN, "pull_request"), (DEPLOY, "ref:refs/heads/main")]
)
def test_the_repository_and_only_it_is_compared_ignoring_case(data: Template, description: str, context: str):
    """GitHub's spelling of the repository may differ in case from the configured one; nothing else may."""
    _, role = _role(data, description)
    owner, name = REPOSITORY.split("/")
    for spelling in (REPOSITORY, REPOSITORY.upper(), f"{owner.title()}/{name.title()}"):
        assert _admits(role, sub=f"repo:{spelling}:{context}"), spelling
    for other in (f"{owner}/other-repo", f"other/{name}", f"{REPOSITORY}-fork", "*"):
        assert not _admits(role, sub=f"repo:{other}:{context}"), other
    assert not _admits(role, sub=f"repo:{REPOSITORY}:{context.upper()}")


def test_the_train_role_admits_pull_requests_only(data: Template):
    _, role = _role(data, TRAIN)
    assert _admits(role, sub=f"repo:{REPOSITORY}:pull_request")
    for context in (
        "ref:refs/heads/main",
        "environment:production",
        "ref:refs/tags/v1",
        "pull_request_target",
    ):
        assert not _admits(role, sub=f"repo:{REPOSITORY}:{context}"), context


def test_the_deploy_role_admits_the_deploy_branch_and_environments_only(data: Template):
    """Branch names are case-sensitive: `MAIN` is another branch than `main` and may not deploy."""
    _, role = _role(data, DEPLOY)
    allowed = ["ref:refs/heads/main"] + [f"environment:{env}" for env in DEPLOY_ENVIRONMENTS]
    for context in allowed:
        assert _admits(role, sub=f"repo:{REPOSITORY}:{context}"), context
    refused = ["ref:refs/heads/MAIN", "ref:refs/heads/feature", "ref:refs/heads/main-x", "pull_request"]
    refused += [f"environment:{env}-x" for env in DEPLOY_ENVIRONMENTS] + ["environment:dev"]
    for context in refused:
        assert not _admits(role, sub=f"repo:{REPOSITORY}:{context}"), context


# --- least privilege -------------------------------------------------------------------------------


@pytest.mark.parametrize("description", [TRAIN, DEPLOY])
def test_ci_roles_reach_only_the_dvc_prefix_of_the_bucket(data: Template, description: str):
    (bucket_id, _), _ = _buckets(data)
    role_id, role = _role(data, description)
    assert "ManagedPolicyArns" not in role
    arn, prefix = {"Fn::GetAtt": [bucket_id, "Arn"]}, SETTINGS.dvc_prefix
    object_actions = set()
    for statement in filter(_on_s3, _statements(data, role_id)):
        assert statement["Effect"] == "Allow"
        actions = _actions(statement)
        if statement["Resource"] == arn:  # bucket-level: find it, and list the prefix only
            assert actions <= {"s3:GetBucketLocation", "s3:ListBucket"}
            if "s3:ListBucket" in actions:
                assert statement["Condition"] == {"StringLike": {"s3:prefix": [prefix, f"{prefix}/*"]}}
        else:
            assert statement["Resource"] == {"Fn::Join": ["", [arn, f"/{prefix}/*"]]}
            object_actions |= actions
    assert "s3:GetObject" in object_actions
    assert not object_actions & {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutBucketPolicy"}
    assert ("s3:PutObject" in object_actions) is (description == TRAIN)  # deploy only reads


def test_the_deploy_roles_other_rights_are_cdk_bootstrap_roles_and_reading_api_keys(data: Template):
    role_id, _ = _role(data, DEPLOY)
    others = {s["Sid"]: s for s in _statements(data, role_id) if not _on_s3(s)}
    assert set(others) == {"AssumeCdkBootstrapRoles", "ReadApiKeys"}
    assume = others["AssumeCdkBootstrapRoles"]
    assert assume["Action"] == "sts:AssumeRole"
    for arn in assume["Resource"]:
        assert re.fullmatch(
            rf"arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-{SETTINGS.cdk_bootstrap_qualifier}-"
            r"[a-z-]+-role-<AWS::AccountId>-<AWS::Region>",
            _joined(arn),
        )
    read_keys = others["ReadApiKeys"]
    assert read_keys["Action"] == "apigateway:GET"
    assert _joined(read_keys["Resource"]) == "arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*"


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


def test_api_gateway_logging_role_is_the_accounts(data: Template):
    role_id, _ = _role(data, "Lets API Gateway write")
    _, account = only(data, "AWS::ApiGateway::Account")
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_data_stack_is_tagged_shared_and_protected_from_deletion(synthesized: Synthesized, data: Template):
    expected = {"project": TAGGING.project, "stage": "shared", "owner": TAGGING.owner}
    for logical_id, resource in data.to_json()["Resources"].items():
        if resource["Type"] in ("AWS::S3::Bucket", "AWS::IAM::Role", "AWS::IAM::OIDCProvider"):
            assert {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]} == expected, logical_id
    artifact = synthesized.manifest()["artifacts"]["TextClassifier-Data"]
    assert artifact["properties"].get("terminationProtection", False) is SETTINGS.termination_protection


# --- other settings -----------------------------------------------------------------------------


def _data_template(tmp_path: Path, github: GitHubSettings) -> Template:
    app = new_app(tmp_path)
    stack = DataStack(app, "Data", settings=DataSettings(github=github), tagging=TAGGING)
    register_nag(app)
    return Template.from_stack(stack)


def test_an_existing_oidc_provider_can_be_imported(tmp_path: Path):
    template = _data_template(
        tmp_path, GitHubSettings(repository=REPOSITORY, oidc_provider_arn=EXISTING_PROVIDER)
    )
    assert not resources(template, "AWS::IAM::OIDCProvider")
    for description in (TRAIN, DEPLOY):
        principal = _role(template, description)[1]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        assert principal == {"Federated": EXISTING_PROVIDER}


def test_without_a_repository_no_role_can_be_assumed(tmp_path: Path):
    template = _data_template(tmp_path, GitHubSettings(repository=None))
    for role in resources(template, "AWS::IAM::Role").values():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert not resources(template, "AWS::IAM::OIDCProvider")
    assert {"DvcBucketName", "DvcRemoteUrl"} <= set(template.to_json()["Outputs"])
    assert "TrainRoleArn" not in template.to_json()["Outputs"]


def _joined(value: Any) -> str:
    """An Fn::Join of strings and pseudo-parameter references, as readable text."""
    return "".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in value["Fn::Join"][1])
