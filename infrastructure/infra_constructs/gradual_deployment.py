"""CodeDeploy moves the `live` alias to each new version gradually and rolls back on alarm."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from stacks.settings import TrafficShift

from infra_constructs.nag import acknowledge


def deployment_config(traffic_shift: TrafficShift) -> codedeploy.ILambdaDeploymentConfig:
    """The predefined CodeDeploy configuration named by `traffic_shift` (e.g. CANARY_10_PERCENT_5_MINUTES)."""
    return getattr(codedeploy.LambdaDeploymentConfig, traffic_shift)


class GradualDeployment(Construct):
    """A deployment group on `alias`: a deploy that trips any of `alarms`, fails or is stopped is undone."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: lambda_.Alias,
        traffic_shift: TrafficShift,
        alarms: Sequence[cw.IAlarm],
    ) -> None:
        super().__init__(scope, construct_id)
        self.group = codedeploy.LambdaDeploymentGroup(
            self,
            "Group",
            alias=alias,
            deployment_config=deployment_config(traffic_shift),
            alarms=list(alarms),
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
        )
        acknowledge(
            self.group.role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSCodeDeployRoleForLambdaLimited]",
            "AWS's purpose-built, limited policy for CodeDeploy Lambda deployments: it can only read "
            "and update aliases, read alarms and invoke lifecycle hooks named CodeDeployHook_*.",
        )
