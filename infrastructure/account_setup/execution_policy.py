"""The CloudFormation execution policy `cdk bootstrap` gives the role that deploys this app's stacks.

Without `--cloudformation-execution-policies`, `cdk bootstrap` attaches AdministratorAccess to
CloudFormation's execution role (aws-cdk issue #27097): anything a template asks for, anywhere in the
account, is done, so whoever may deploy (here: the GitHub deploy roles, through CDK's deploy role) holds
administrator power one template away. This policy is what the app's stacks need instead: the services
they use, on resources whose names are the app's own, in the bootstrapped region.

- Names CloudFormation generates begin with the stack's name (`TextClassifier-dev-ServingRole...`;
  lower-case for buckets), and every stack of the app begins with `STACK_PREFIX-`; the names the app
  chooses itself (dashboards, the API key secrets) begin with `CHOSEN_NAME_PREFIX`.
- API Gateway's ARNs carry random IDs, not names: that service is scoped to the resource kinds the
  app uses, in this region; so are a custom domain's ACM certificates. The firewall's web ACL and IP
  sets carry the app's chosen names. A custom domain's DNS records go into a hosted zone the stage's
  settings name by ID, which the policy cannot know: any zone of the account, record changes only.
- IAM is the sharp edge: roles are limited to the app's names; only the two AWS managed policies the
  app attaches may be attached; roles may be passed only to the services that use them. An
  inline policy's content cannot be limited by IAM: whoever can deploy a template can still give a
  role of the app's names more rights than this policy holds. A permissions boundary on every role
  would close that; it is not applied here (every role's needs, including AWS's managed policies',
  would have to be restated in it).

`make bootstrap` deploys `template()` as its own small stack (`POLICY_STACK_NAME`) with the AWS CLI,
before `cdk bootstrap` names its output. tests/test_execution_policy.py checks that every resource type
the synthesized stacks contain is covered (CloudFormation's own list of what each type's handlers call,
from the resource schemas cfn-lint ships) and that nothing is granted on every resource.
"""

from __future__ import annotations

from typing import Any

from stacks.names import (
    CHOSEN_NAME_PREFIX,
    CODEDEPLOY_FOR_LAMBDA_POLICY,
    PUSH_TO_CLOUDWATCH_POLICY,
    STACK_PREFIX,
)

POLICY_STACK_NAME = f"{STACK_PREFIX}-CdkExecutionPolicy"
POLICY_OUTPUT = "ExecutionPolicyArn"

_PARTITION, _REGION, _ACCOUNT = "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}"
# Generated names of buckets are lower-case: `textclassifier-data-dvcremote...`.
_BUCKET_PREFIX = STACK_PREFIX.lower()

# The AWS managed policies the app attaches (CodeDeploy's role, API Gateway's logging role).
ATTACHABLE_MANAGED_POLICIES = (CODEDEPLOY_FOR_LAMBDA_POLICY, PUSH_TO_CLOUDWATCH_POLICY)
# The services the app's roles are handed to (a function's role, API Gateway's logging role, CodeDeploy's,
# and with capture on, the subscription filter's (CloudWatch Logs) and the capture stream's (Firehose)).
PASSED_TO_SERVICES = (
    "lambda.amazonaws.com",
    "apigateway.amazonaws.com",
    "codedeploy.amazonaws.com",
    "logs.amazonaws.com",
    "firehose.amazonaws.com",
)
# What CloudFormation does to roles and inline policies (its IAM handlers' calls, users and groups aside).
ROLE_ACTIONS = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:GetRole",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:ListRoleTags",
    "iam:PutRolePolicy",
    "iam:GetRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:ListRolePolicies",
    "iam:ListAttachedRolePolicies",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
)
OIDC_PROVIDER_ACTIONS = (
    "iam:CreateOpenIDConnectProvider",
    "iam:DeleteOpenIDConnectProvider",
    "iam:GetOpenIDConnectProvider",
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
    "iam:UpdateOpenIDConnectProviderThumbprint",
    "iam:TagOpenIDConnectProvider",
    "iam:UntagOpenIDConnectProvider",
    "iam:ListOpenIDConnectProviderTags",
)
# Actions that name no resource IAM can scope (the Service Authorization Reference lists none for them):
# the only ones granted on "*", and limited to this region.
ANY_RESOURCE_ACTIONS = (
    "secretsmanager:GetRandomPassword",  # generates the API key's value; touches no resource
    "acm:RequestCertificate",  # a custom domain's new certificate, which has no ARN until it exists
    "sns:GetSubscriptionAttributes",  # the alarm e-mail subscription
    "sns:SetSubscriptionAttributes",
    "sns:Unsubscribe",
)
# Services CloudFormation's handlers may call for features the app does not use: not granted.
UNGRANTED_SERVICES = {
    "ec2": "no function runs in a VPC",
    "elasticfilesystem": "no function mounts EFS",
    "s3files": "no function mounts S3 Files",
    "kms": "no customer-managed KMS key: every service's own encryption at rest",
    "s3tables": "no bucket holds S3 tables",
    "payments": "no paid (AWS Marketplace) WAF rule group: AWS's own managed rule groups only",
    "acm-pca": "a custom domain's certificate is public and DNS-validated: no private certificate authority",
    # A web ACL association's handlers call the service of whatever it protects: here an API stage only.
    **{
        service: "the firewall protects API Gateway stages only"
        for service in (
            "amplify",
            "apprunner",
            "appsync",
            "bedrock-agentcore",
            "cognito-idp",
            "elasticloadbalancing",
        )
    },
}
# Single calls CloudFormation's handlers may make that the app's templates never need, each with its reason.
UNGRANTED_ACTIONS = {
    # Route 53 is global (its calls carry aws:RequestedRegion us-east-1), so this list-everything call
    # could not be held to the stage's region; the app's records name their zone by ID (HostedZoneId).
    "route53:ListHostedZones": "a custom domain's records name their hosted zone by ID",
}
# Route 53 calls for a custom domain's records (its alias and the certificate's DNS validation).
RECORD_ACTIONS = (
    "route53:ChangeResourceRecordSets",
    "route53:GetChange",
    "route53:GetHostedZone",
    "route53:ListResourceRecordSets",
)
# IAM actions of the IAM handlers that concern users and groups, which the app never creates (a test
# holds that no template contains one).
UNGRANTED_IAM_ACTIONS = ("iam:*User*", "iam:*Group*")


def _arn(service: str, resource: str, *, region: str = _REGION, account: str = _ACCOUNT) -> dict[str, str]:
    return {"Fn::Sub": f"arn:{_PARTITION}:{service}:{region}:{account}:{resource}"}


def statements(qualifier: str) -> list[dict[str, Any]]:
    """The policy's statements for the `cdk bootstrap` qualifier `qualifier`, with CloudFormation
    placeholders for the partition, region and account it is deployed in."""
    named = f"{STACK_PREFIX}-*"
    cdk_assets = f"cdk-{qualifier}-assets-{_ACCOUNT}-{_REGION}"
    return [
        _allow("Functions", ["lambda:*"], [_arn("lambda", f"function:{named}")]),
        _allow(
            "FunctionCodeFromCdkAssets",
            ["s3:GetObject", "s3:GetObjectVersion"],
            [_arn("s3", f"{cdk_assets}/*", region="", account="")],
        ),
        _allow(
            "FunctionImagesFromCdkAssets",
            [
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:GetRepositoryPolicy",
                "ecr:SetRepositoryPolicy",
            ],
            [_arn("ecr", f"repository/cdk-{qualifier}-container-assets-{_ACCOUNT}-{_REGION}")],
        ),
        _allow(
            "LogGroups",
            ["logs:*"],
            [_arn("logs", f"log-group:{named}"), _arn("logs", f"log-group:{named}:*")],
        ),
        # With capture on: the Firehose stream the function's capture lines go through.
        _allow("CaptureStreams", ["firehose:*"], [_arn("firehose", f"deliverystream/{named}")]),
        # Describing log groups is asked of the account's log-group list, not of one group.
        _allow("FindLogGroups", ["logs:DescribeLogGroups"], [_arn("logs", "log-group:*")]),
        _allow(
            "RestApis",
            ["apigateway:*"],
            [
                _arn("apigateway", path, account="")
                for path in (
                    "/restapis",
                    "/restapis/*",
                    "/apikeys",
                    "/apikeys/*",
                    "/usageplans",
                    "/usageplans/*",
                    "/domainnames",
                    "/domainnames/*",
                )
            ]
            + [_arn("apigateway", "/account", account=""), _arn("apigateway", "/tags/*", account="")],
        ),
        # The stage's firewall (web ACL and IP sets named by the app), the AWS managed rule groups it uses,
        # and the API stages it is associated with.
        _allow(
            "Firewalls",
            ["wafv2:*"],
            [
                _arn("wafv2", f"regional/*/{CHOSEN_NAME_PREFIX}-*/*"),
                _arn("wafv2", "regional/managedruleset/*/*"),
                _arn("apigateway", "/restapis/*/stages/*", account=""),
            ],
        ),
        _allow("DomainCertificates", ["acm:*"], [_arn("acm", "certificate/*")]),
        _allow(
            "DomainRecords",
            list(RECORD_ACTIONS),
            [
                _arn("route53", "hostedzone/*", region="", account=""),
                _arn("route53", "change/*", region="", account=""),
            ],
        ),
        _allow(
            "ApiKeySecrets", ["secretsmanager:*"], [_arn("secretsmanager", f"secret:{CHOSEN_NAME_PREFIX}/*")]
        ),
        _allow(
            "AlarmsAndDashboards",
            ["cloudwatch:*"],
            [
                _arn("cloudwatch", f"alarm:{named}"),
                _arn("cloudwatch", f"dashboard/{CHOSEN_NAME_PREFIX}-*", region=""),
            ],
        ),
        _allow("AlarmTopics", ["sns:*"], [_arn("sns", named)]),
        _allow(
            "GradualDeployments",
            ["codedeploy:*"],
            [
                _arn("codedeploy", f"application:{named}"),
                _arn("codedeploy", f"deploymentgroup:{named}"),
                _arn("codedeploy", "deploymentconfig:*"),
            ],
        ),
        _allow(
            "Buckets",
            ["s3:*"],
            [
                _arn("s3", f"{_BUCKET_PREFIX}-*", region="", account=""),
                _arn("s3", f"{_BUCKET_PREFIX}-*/*", region="", account=""),
            ],
        ),
        _allow("Roles", list(ROLE_ACTIONS), [_arn("iam", f"role/{named}", region="")]),
        _allow(
            "AttachOnlyTheAppsManagedPolicies",
            ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            [_arn("iam", f"role/{named}", region="")],
            {
                "ArnEquals": {
                    "iam:PolicyARN": [
                        _arn("iam", f"policy/{p}", region="", account="aws")
                        for p in ATTACHABLE_MANAGED_POLICIES
                    ]
                }
            },
        ),
        _allow(
            "PassRolesToTheirServices",
            ["iam:PassRole"],
            [_arn("iam", f"role/{named}", region="")],
            {"StringEquals": {"iam:PassedToService": list(PASSED_TO_SERVICES)}},
        ),
        _allow(
            "GitHubOidcProvider",
            list(OIDC_PROVIDER_ACTIONS),
            [_arn("iam", "oidc-provider/token.actions.githubusercontent.com", region="")],
        ),
        _allow(
            "CdkBootstrapVersion",
            ["ssm:GetParameters"],
            [_arn("ssm", f"parameter/cdk-bootstrap/{qualifier}/version")],
        ),
        _allow(
            "ActionsWithoutResources",
            list(ANY_RESOURCE_ACTIONS),
            ["*"],
            {"StringEquals": {"aws:RequestedRegion": {"Ref": "AWS::Region"}}},
        ),
    ]


def _allow(
    sid: str, actions: list[str], resources: list[Any], condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def template(qualifier: str) -> dict[str, Any]:
    """The CloudFormation template of the policy's stack; its output is the ARN `cdk bootstrap` takes."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"{STACK_PREFIX}: the CloudFormation execution policy `make bootstrap` gives CDK",
        "Resources": {
            "ExecutionPolicy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "Description": f"What CloudFormation may do when it deploys the {STACK_PREFIX} stacks",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements(qualifier)},
                },
            }
        },
        "Outputs": {POLICY_OUTPUT: {"Value": {"Ref": "ExecutionPolicy"}}},
    }
