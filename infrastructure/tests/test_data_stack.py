"""The once-per-account stack: DVC remote bucket and the keyless GitHub Actions roles."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template
from infra_support import DEPLOY_ENVIRONMENTS, REPOSITORY, TAGGING, Synthesized, new_app, only, ref, resources
from stacks.app_builder import register_nag
from stacks.data_stack import DataStack
from stacks.settings import DataSettings, GitHubSettings

GITHUB = "token.actions.githubusercontent.com"
EXISTING_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
BOOTSTRAP_ROLE_KINDS = ("deploy-role", "file-publishing-role", "image-publishing-role", "lookup-role")


def _remote_bucket(template: Template) -> tuple[str, dict[str, Any]]:
    """The bucket whose access is logged (the other one only receives its access logs)."""
    buckets = resources(template, "AWS::S3::Bucket")
    (logical_id,) = [i for i, b in buckets.items() if "LoggingConfiguration" in b["Properties"]]
    return logical_id, buckets[logical_id]


def _role(template: Template, description_start: str) -> tuple[str, dict[str, Any]]:
    roles = resources(template, "AWS::IAM::Role")
    (found,) = [
        (i, r["Properties"])
        for i, r in roles.items()
        if r["Properties"]["Description"].startswith(description_start)
    ]
    return found


def _statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    policies = [p["Properties"] for p in resources(template, "AWS::IAM::Policy").values()]
    return [s for p in policies if ref(role_id) in p["Roles"] for s in p["PolicyDocument"]["Statement"]]


def _trust_condition(role: dict[str, Any]) -> dict[str, Any]:
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Effect"] == "Allow"
    return statement["Condition"]


# --- the DVC remote bucket ------------------------------------------------------------------------


def test_bucket_is_versioned_encrypted_private_and_retained(data: Template):
    _, bucket = _remote_bucket(data)
    props = bucket["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")


def test_old_versions_expire(data: Template):
    _, bucket = _remote_bucket(data)
    (rule,) = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": DataSettings().noncurrent_version_days}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert "ExpirationInDays" not in rule  # current versions never expire


def test_bucket_refuses_requests_without_tls(data: Template):
    bucket_id, _ = _remote_bucket(data)
    policies = [p["Properties"] for p in resources(data, "AWS::S3::BucketPolicy").values()]
    (policy,) = [p for p in policies if p["Bucket"] == ref(bucket_id)]
    (deny,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Action"] == "s3:*"
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    assert deny["Resource"] == [arn, {"Fn::Join": ["", [arn, "/*"]]}]


def test_bucket_access_is_logged_to_a_private_retained_bucket(data: Template):
    _, bucket = _remote_bucket(data)
    logging = bucket["Properties"]["LoggingConfiguration"]
    log_bucket = resources(data, "AWS::S3::Bucket")[logging["DestinationBucketName"]["Ref"]]
    assert log_bucket["DeletionPolicy"] == "Retain"
    assert log_bucket["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert log_bucket["Properties"]["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365


def test_deleted_access_logs_stay_recoverable_for_a_while(data: Template):
    _, bucket = _remote_bucket(data)
    log_bucket_id = bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    props = resources(data, "AWS::S3::Bucket")[log_bucket_id]["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": DataSettings().noncurrent_version_days}


def test_outputs_name_the_bucket_and_the_dvc_url(data: Template):
    bucket_id, _ = _remote_bucket(data)
    outputs = data.to_json()["Outputs"]
    assert outputs["DvcBucketName"]["Value"] == ref(bucket_id)
    assert outputs["DvcRemoteUrl"]["Value"] == {"Fn::Join": ["", ["s3://", ref(bucket_id), "/dvc"]]}


# --- GitHub OIDC and the CI roles ----------------------------------------------------------------


def test_github_oidc_provider_trusts_sts_audience(data: Template):
    _, provider = only(data, "AWS::IAM::OIDCProvider")
    assert provider["Url"] == f"https://{GITHUB}"
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]


def test_train_role_trusts_only_pull_requests_of_the_repository(data: Template):
    provider_id, _ = only(data, "AWS::IAM::OIDCProvider")
    _, role = _role(data, "Pull-request workflows")
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Federated": ref(provider_id)}
    assert _trust_condition(role) == {
        "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
        "StringEqualsIgnoreCase": {f"{GITHUB}:sub": [f"repo:{REPOSITORY}:pull_request"]},
        "StringLike": {f"{GITHUB}:sub": ["repo:*:pull_request"]},
    }
    assert role["MaxSessionDuration"] == 3600


def test_deploy_role_trusts_only_main_and_the_deploy_environments(data: Template):
    _, role = _role(data, "Deploy workflows")
    contexts = ["ref:refs/heads/main"] + [f"environment:{env}" for env in DEPLOY_ENVIRONMENTS]
    assert _trust_condition(role) == {
        "StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"},
        "StringEqualsIgnoreCase": {f"{GITHUB}:sub": [f"repo:{REPOSITORY}:{context}" for context in contexts]},
        "StringLike": {f"{GITHUB}:sub": [f"repo:*:{context}" for context in contexts]},
    }


def _like(value: str, pattern: str) -> bool:
    """IAM's StringLike: case-sensitive, `*` stands for any characters and `?` for any one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


# IAM's string operators, as far as the trust policies use them.
_MATCHES = {
    "StringEquals": lambda value, wanted: value == wanted,
    "StringEqualsIgnoreCase": lambda value, wanted: value.lower() == wanted.lower(),
    "StringLike": _like,
}


def _admits(condition: dict[str, Any], *, sub: str, aud: str = "sts.amazonaws.com") -> bool:
    """Whether a token with these claims meets `condition`, evaluated as IAM does.

    Every operator and every key must hold; any one of a key's values is enough.
    """
    claims = {f"{GITHUB}:sub": sub, f"{GITHUB}:aud": aud}
    return all(
        any(
            _MATCHES[operator](claims[key], wanted)
            for wanted in (values if isinstance(values, list) else [values])
        )
        for operator, keys in condition.items()
        for key, values in keys.items()
    )


def test_the_repository_in_a_subject_is_compared_ignoring_case(data: Template):
    """GitHub's own spelling of the repository may differ in case from the configured one."""
    owner, name = REPOSITORY.split("/")
    for description, context in (
        ("Pull-request workflows", "pull_request"),
        ("Deploy workflows", "ref:refs/heads/main"),
    ):
        condition = _trust_condition(_role(data, description)[1])
        # The operator that makes it so: an exact StringEquals on `sub` would refuse the tokens below.
        assert f"{GITHUB}:sub" in condition["StringEqualsIgnoreCase"]
        assert f"{GITHUB}:sub" not in condition["StringEquals"]
        for spelling in (REPOSITORY, REPOSITORY.upper(), f"{owner.title()}/{name.title()}"):
            assert _admits(condition, sub=f"repo:{spelling}:{context}"), (description, spelling)
        assert not _admits(condition, sub=f"repo:{owner}/other-repo:{context}"), description
        assert not _admits(condition, sub=f"repo:{REPOSITORY}:{context}", aud="STS.amazonaws.com"), (
            description
        )


def test_only_the_repository_is_case_insensitive(data: Template):
    """Branch names are case-sensitive: `MAIN` is another branch than `main` and may not deploy."""
    condition = _trust_condition(_role(data, "Deploy workflows")[1])
    assert _admits(condition, sub=f"repo:{REPOSITORY.upper()}:ref:refs/heads/main")
    assert not _admits(condition, sub=f"repo:{REPOSITORY}:ref:refs/heads/MAIN")
    assert not _admits(condition, sub=f"repo:{REPOSITORY}:ref:refs/heads/feature")
    for environment in DEPLOY_ENVIRONMENTS:
        assert _admits(condition, sub=f"repo:{REPOSITORY}:environment:{environment}")
    train = _trust_condition(_role(data, "Pull-request workflows")[1])
    assert not _admits(train, sub=f"repo:{REPOSITORY}:ref:refs/heads/main")


def _dvc_statements(bucket_id: str, object_actions: list[str]) -> list[dict[str, Any]]:
    arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    return [
        {"Action": "s3:GetBucketLocation", "Effect": "Allow", "Resource": arn, "Sid": "FindDvcBucket"},
        {
            "Action": "s3:ListBucket",
            "Condition": {"StringLike": {"s3:prefix": ["dvc", "dvc/*"]}},
            "Effect": "Allow",
            "Resource": arn,
            "Sid": "ListDvcPrefix",
        },
        {
            "Action": object_actions[0] if len(object_actions) == 1 else object_actions,
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [arn, "/dvc/*"]]},
            "Sid": "DvcObjects",
        },
    ]


def test_train_role_may_only_read_and_write_the_dvc_prefix(data: Template):
    bucket_id, _ = _remote_bucket(data)
    role_id, role = _role(data, "Pull-request workflows")
    assert "ManagedPolicyArns" not in role
    assert _statements(data, role_id) == _dvc_statements(
        bucket_id, ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
    )


def test_deploy_role_may_read_the_dvc_prefix_and_assume_the_cdk_bootstrap_roles(data: Template):
    bucket_id, _ = _remote_bucket(data)
    role_id, role = _role(data, "Deploy workflows")
    assert "ManagedPolicyArns" not in role
    statements = _statements(data, role_id)
    assert statements[:3] == _dvc_statements(bucket_id, ["s3:GetObject"])
    assume, read_keys = statements[3:]
    assert (assume["Action"], assume["Sid"]) == ("sts:AssumeRole", "AssumeCdkBootstrapRoles")
    assumable = [_joined(arn) for arn in assume["Resource"]]
    assert assumable == [
        f"arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-hnb659fds-{kind}-<AWS::AccountId>-<AWS::Region>"
        for kind in BOOTSTRAP_ROLE_KINDS
    ]
    # Only to read the stage's API key for the post-deploy smoke test.
    assert (read_keys["Action"], read_keys["Sid"]) == ("apigateway:GET", "ReadApiKeys")
    assert _joined(read_keys["Resource"]) == "arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*"


def test_no_iam_users_keys_or_wildcard_actions(synthesized: Synthesized):
    for stack in [synthesized.built.data, *synthesized.built.services.values()]:
        template = Template.from_stack(stack).to_json()["Resources"]
        types = {r["Type"] for r in template.values()}
        assert not types & {"AWS::IAM::User", "AWS::IAM::AccessKey", "AWS::IAM::Group"}
        for resource in template.values():
            if resource["Type"] != "AWS::IAM::Policy":
                continue
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                assert not [a for a in actions if "*" in a], statement


def test_role_arns_are_outputs(data: Template):
    outputs = data.to_json()["Outputs"]
    train_id, _ = _role(data, "Pull-request workflows")
    deploy_id, _ = _role(data, "Deploy workflows")
    assert outputs["TrainRoleArn"]["Value"] == {"Fn::GetAtt": [train_id, "Arn"]}
    assert outputs["DeployRoleArn"]["Value"] == {"Fn::GetAtt": [deploy_id, "Arn"]}


def test_api_gateway_account_logging_role(data: Template):
    role_id, _ = _role(data, "Lets API Gateway write")
    _, account = only(data, "AWS::ApiGateway::Account")
    assert account["CloudWatchRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_every_taggable_resource_is_tagged_shared(data: Template):
    expected = {"project": TAGGING.project, "stage": "shared", "owner": TAGGING.owner}
    for logical_id, resource in data.to_json()["Resources"].items():
        if resource["Type"] in ("AWS::S3::Bucket", "AWS::IAM::Role", "AWS::IAM::OIDCProvider"):
            tags = {t["Key"]: t["Value"] for t in resource["Properties"]["Tags"]}
            assert tags == expected, logical_id


def test_data_stack_is_protected_from_deletion(synthesized: Synthesized):
    artifact = synthesized.manifest()["artifacts"]["TextClassifier-Data"]
    assert artifact["properties"]["terminationProtection"] is True


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
    for description in ("Pull-request workflows", "Deploy workflows"):
        _, role = _role(template, description)
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
            "Federated": EXISTING_PROVIDER
        }


def test_without_a_repository_no_role_can_be_assumed(tmp_path: Path):
    template = _data_template(tmp_path, GitHubSettings(repository=None))
    assert [r["Properties"]["Description"] for r in resources(template, "AWS::IAM::Role").values()] == [
        "Lets API Gateway write access and execution logs to CloudWatch Logs."
    ]
    assert not resources(template, "AWS::IAM::OIDCProvider")
    template.has_output("DvcBucketName", {})
    with pytest.raises(Exception, match="TrainRoleArn"):
        template.has_output("TrainRoleArn", {})


def _joined(value: Any) -> str:
    """An Fn::Join of strings and pseudo-parameter references, as readable text."""
    parts = value["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else f"<{p['Ref']}>" for p in parts)
