"""The account-wide role API Gateway needs before any stage can write access or execution logs."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct
from stacks.names import PUSH_TO_CLOUDWATCH_POLICY

from infra_constructs.nag import acknowledge


class ApiGatewayLogging(Construct):
    """Sets the (per account and region) CloudWatch role of API Gateway.

    It is a single setting shared by every API in the account, so it lives in the once-per-account
    stack rather than in each stage, where deleting one stage would unset it for the others.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="Lets API Gateway write access and execution logs to CloudWatch Logs.",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(PUSH_TO_CLOUDWATCH_POLICY)],
        )
        acknowledge(
            self.role,
            f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{PUSH_TO_CLOUDWATCH_POLICY}]",
            "AWS's own policy for exactly this role, as API Gateway's logging set-up prescribes; API "
            "Gateway names its execution log groups itself, so a hand-written copy would need the same "
            "account-wide log permissions.",
        )
        self.account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=self.role.role_arn)
