"""The CloudFormation execution policy `make bootstrap` gives CDK covers every stack of the app, and no more.

Coverage is read from CloudFormation's own resource schemas (the copies cfn-lint ships): each resource
type lists the calls its handlers make to create, read, update and delete it. Every such call of every
type the synthesized stacks contain must be allowed, except those of features the app does not use (a
VPC, KMS keys, IAM users...), each of which the policy module names with its reason. The names the app's
resources get must fall inside the policy's scopes, and a resource of another name must not.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from account_setup.execution_policy import (
    ANY_RESOURCE_ACTIONS,
    ATTACHABLE_MANAGED_POLICIES,
    PASSED_TO_SERVICES,
    UNGRANTED_ACTIONS,
    UNGRANTED_IAM_ACTIONS,
    UNGRANTED_SERVICES,
    statements,
    template,
)
from aws_cdk.assertions import Template
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from iam_evaluator import action_matches, allows, as_list, like
from infra_support import Service, Synthesized
from stacks.names import CDK_BOOTSTRAP_QUALIFIER, STACK_PREFIX

ACCOUNT, REGION = "123456789012", "ap-southeast-2"
QUALIFIER = CDK_BOOTSTRAP_QUALIFIER
HANDLERS = ("create", "read", "update", "delete")
# A managed policy document may hold 6,144 characters, whitespace aside (IAM's quotas).
MANAGED_POLICY_MAX_CHARACTERS = 6144


def _resolve(value: Any) -> Any:
    """The policy as deployed in ACCOUNT and REGION: CloudFormation's placeholders filled in."""
    if isinstance(value, list):
        return [_resolve(item) for item in value]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return (
            value["Fn::Sub"]
            .replace("${AWS::Partition}", "aws")
            .replace("${AWS::Region}", REGION)
            .replace("${AWS::AccountId}", ACCOUNT)
        )
    if value == {"Ref": "AWS::Region"}:
        return REGION
    if isinstance(value, dict):
        return {key: _resolve(item) for key, item in value.items()}
    return value


POLICY = _resolve(statements(QUALIFIER))


def _allowed(action: str, resource: str, **context: str) -> bool:
    return allows(POLICY, action, resource, {"aws:RequestedRegion": REGION, **context})


def _templates(synthesized: Synthesized, low_quota: Service, capturing: Service) -> dict[str, dict[str, Any]]:
    """Every stack of the shared synthesis, the uncapped variant and a stage with capture on."""
    stacks = [synthesized.built.data, *synthesized.built.services.values()]
    found = {stack.stack_name: Template.from_stack(stack).to_json() for stack in stacks}
    found["TextClassifier-prod (low_concurrency_quota)"] = low_quota.template.to_json()
    found["TextClassifier-dev (capture_rate)"] = capturing.template.to_json()
    return found


def _ungranted(permission: str) -> bool:
    service = permission.split(":")[0]
    return (
        service in UNGRANTED_SERVICES
        or permission in UNGRANTED_ACTIONS
        or any(like(permission, p, ignore_case=True) for p in UNGRANTED_IAM_ACTIONS)
    )


def lacking_permissions(templates: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Resource type -> the calls its CloudFormation handlers make that the policy neither grants nor
    names as ungranted, for every resource type in `templates`."""
    granted_actions = [statement["Action"] for statement in POLICY]
    types = {r["Type"] for t in templates for r in t["Resources"].values()}
    missing = {}
    for resource_type in sorted(types):
        handlers = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema["handlers"]
        permissions = {p for handler in HANDLERS for p in handlers.get(handler, {}).get("permissions", [])}
        lacking = [
            p
            for p in sorted(permissions)
            if not _ungranted(p) and not any(action_matches(p, actions) for actions in granted_actions)
        ]
        if lacking:
            missing[resource_type] = lacking
    return missing


def test_every_call_cloudformation_makes_for_the_apps_resource_types_is_allowed(
    synthesized: Synthesized, low_quota: Service, capturing: Service
):
    templates = list(_templates(synthesized, low_quota, capturing).values())
    missing = lacking_permissions(templates)
    assert not missing, f"the execution policy lacks what CloudFormation calls for: {missing}"
    types = {r["Type"] for t in templates for r in t["Resources"].values()}
    assert "AWS::Lambda::Function" in types and "AWS::IAM::OIDCProvider" in types  # the real app was read


def test_nothing_is_granted_on_every_resource():
    for statement in POLICY:
        actions = as_list(statement["Action"])
        assert "*" not in actions, statement["Sid"]
        if statement["Resource"] == ["*"]:
            assert set(actions) <= set(ANY_RESOURCE_ACTIONS), statement["Sid"]
            assert not [a for a in actions if "*" in a], statement["Sid"]
            assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": REGION}}
        else:
            assert "*" not in statement["Resource"], statement["Sid"]
    assert not _allowed("sns:Unsubscribe", "*", **{"aws:RequestedRegion": "us-east-1"})


def _generated_name(stack: str, logical_id: str) -> str:
    """A physical name as CloudFormation generates it: stack name, logical id, a random suffix."""
    return f"{stack}-{logical_id}-1A2B3C4D5E6F"[:64]


# What each resource type's generated name becomes in its ARN, and an action that creates it.
GENERATED = {
    "AWS::Lambda::Function": ("lambda:CreateFunction", "arn:aws:lambda:{region}:{account}:function:{name}"),
    "AWS::IAM::Role": ("iam:CreateRole", "arn:aws:iam::{account}:role/{name}"),
    "AWS::Logs::LogGroup": ("logs:CreateLogGroup", "arn:aws:logs:{region}:{account}:log-group:{name}"),
    "AWS::SNS::Topic": ("sns:CreateTopic", "arn:aws:sns:{region}:{account}:{name}"),
    "AWS::CloudWatch::Alarm": (
        "cloudwatch:PutMetricAlarm",
        "arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
    ),
    "AWS::S3::Bucket": ("s3:CreateBucket", "arn:aws:s3:::{lower}"),
    "AWS::CodeDeploy::Application": (
        "codedeploy:CreateApplication",
        "arn:aws:codedeploy:{region}:{account}:application:{name}",
    ),
    "AWS::KinesisFirehose::DeliveryStream": (
        "firehose:CreateDeliveryStream",
        "arn:aws:firehose:{region}:{account}:deliverystream/{name}",
    ),
}


def test_the_names_the_apps_resources_get_are_inside_the_policys_scopes(
    synthesized: Synthesized, low_quota: Service, capturing: Service
):
    checked = set()
    for stack, resources in _templates(synthesized, low_quota, capturing).items():
        stack_name = stack.split(" ")[0]
        assert stack_name.startswith(f"{STACK_PREFIX}-")
        for logical_id, resource in resources["Resources"].items():
            properties = resource.get("Properties", {})
            if resource["Type"] in GENERATED:
                action, arn = GENERATED[resource["Type"]]
                name = _generated_name(stack_name, logical_id)
                resource_arn = arn.format(region=REGION, account=ACCOUNT, name=name, lower=name.lower())
                assert _allowed(action, resource_arn), (action, resource_arn)
                checked.add(resource["Type"])
            elif resource["Type"] == "AWS::CloudWatch::Dashboard":
                dashboard = f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{properties['DashboardName']}"
                assert _allowed("cloudwatch:PutDashboard", dashboard)
            elif resource["Type"] == "AWS::SecretsManager::Secret":
                secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{properties['Name']}-AbC123"
                assert _allowed("secretsmanager:CreateSecret", secret)
    assert checked == set(GENERATED)


def test_function_code_comes_from_cdk_assets_only(synthesized: Synthesized):
    assets = json.loads((synthesized.outdir / "TextClassifier-dev.assets.json").read_text(encoding="utf-8"))
    resolve = {"${AWS::AccountId}": ACCOUNT, "${AWS::Region}": REGION, "${AWS::Partition}": "aws"}

    def filled(text: str) -> str:
        for placeholder, value in resolve.items():
            text = text.replace(placeholder, value)
        return text

    for asset in assets["files"].values():
        for destination in asset["destinations"].values():
            key = f"arn:aws:s3:::{filled(destination['bucketName'])}/{destination['objectKey']}"
            assert _allowed("s3:GetObject", key)
            assert not _allowed("s3:PutObject", key)  # publishing is CDK's file-publishing role's
    for image in assets["dockerImages"].values():
        for destination in image["destinations"].values():
            repository = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{filled(destination['repositoryName'])}"
            assert _allowed("ecr:BatchGetImage", repository)
            assert _allowed("ecr:SetRepositoryPolicy", repository)  # Lambda lets itself pull the image
            assert not _allowed("ecr:PutImage", repository)


def test_roles_get_only_the_apps_managed_policies_and_go_only_to_their_services(
    synthesized: Synthesized, low_quota: Service, capturing: Service
):
    role = f"arn:aws:iam::{ACCOUNT}:role/TextClassifier-dev-ServingRole-1A2B3C"
    for resources in _templates(synthesized, low_quota, capturing).values():
        for resource in resources["Resources"].values():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            for managed in resource["Properties"].get("ManagedPolicyArns", []):
                name = managed["Fn::Join"][1][-1].split(":policy/")[1]
                assert name in ATTACHABLE_MANAGED_POLICIES
                arn = f"arn:aws:iam::aws:policy/{name}"
                assert _allowed("iam:AttachRolePolicy", role, **{"iam:PolicyARN": arn})
            principal = resource["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
            for service in as_list(principal.get("Service", [])):
                assert service in PASSED_TO_SERVICES
                assert _allowed("iam:PassRole", role, **{"iam:PassedToService": service})
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert not _allowed("iam:AttachRolePolicy", role, **{"iam:PolicyARN": admin})
    assert not _allowed("iam:PassRole", role, **{"iam:PassedToService": "ec2.amazonaws.com"})


def test_the_firewall_and_domain_resources_are_inside_the_policys_scopes():
    """The names the stage's firewall gives its web ACL and IP sets (infra_constructs/web_firewall.py)."""
    web_acl = f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/text-classifier-prod/0a1b"
    ip_set = f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/ipset/text-classifier-prod-allowed-ipv4/0a1b"
    stage = f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3/stages/prod"
    assert _allowed("wafv2:CreateWebACL", web_acl) and _allowed("wafv2:CreateIPSet", ip_set)
    assert _allowed("wafv2:AssociateWebACL", stage) and _allowed("apigateway:SetWebACL", stage)
    assert _allowed("apigateway:POST", f"arn:aws:apigateway:{REGION}::/domainnames")
    assert _allowed("acm:RequestCertificate", "*")
    assert not _allowed("acm:RequestCertificate", "*", **{"aws:RequestedRegion": "us-east-1"})
    assert _allowed("route53:ChangeResourceRecordSets", "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ")


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("lambda:UpdateFunctionCode", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:billing-service"),
        ("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/Admin"),
        ("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole"),
        ("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/TextClassifier-backdoor"),
        ("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/TextClassifier-backdoor"),
        ("s3:DeleteBucket", "arn:aws:s3:::company-data"),
        ("s3:GetObject", "arn:aws:s3:::company-data/payroll.csv"),
        ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db-AbC123"),
        ("logs:DeleteLogGroup", f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/billing-service"),
        ("sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:billing-alerts"),
        ("cloudformation:DeleteStack", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/CDKToolkit/1"),
        ("ec2:RunInstances", f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/*"),
        ("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234"),
        ("lambda:CreateFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:TextClassifier-dev-X"),
        ("wafv2:DeleteWebACL", f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/corporate-edge/0a1b"),
        ("wafv2:UpdateIPSet", f"arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/ipset/office-addresses/0a1b"),
        ("route53:DeleteHostedZone", "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"),
    ],
)
def test_what_is_not_the_apps_is_out_of_reach(action: str, resource: str):
    assert not _allowed(action, resource)


def test_the_policy_fits_a_managed_policy_and_is_the_templates_one_resource():
    deployed = template(QUALIFIER)
    (resource,) = deployed["Resources"].values()
    assert resource["Type"] == "AWS::IAM::ManagedPolicy"
    assert resource["Properties"]["PolicyDocument"]["Statement"] == statements(QUALIFIER)
    document = json.dumps({"Version": "2012-10-17", "Statement": POLICY}, separators=(",", ":"))
    assert len(document) <= MANAGED_POLICY_MAX_CHARACTERS
    (output,) = deployed["Outputs"].values()
    assert output == {"Value": {"Ref": "ExecutionPolicy"}}
