"""CodeDeploy moves the `live` alias to each new version gradually and rolls back on alarm."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from stacks.names import CODEDEPLOY_FOR_LAMBDA_POLICY
from stacks.settings import TrafficShift

from infra_constructs.nag import acknowledge


def deployment_config(traffic_shift: TrafficShift) -> codedeploy.ILambdaDeploymentConfig:
    """The predefined CodeDeploy configuration named by `traffic_shift` (e.g. CANARY_10_PERCENT_5_MINUTES)."""
    return getattr(codedeploy.LambdaDeploymentConfig, traffic_shift)


class GradualDeployment(Construct):
    """A deployment group on `alias`: a deploy whose new version fails `pre_hook`, that trips any of
    `alarms`, fails or is stopped is undone."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: lambda_.Alias,
        traffic_shift: TrafficShift,
        alarms: Sequence[cw.IAlarm],
        pre_hook: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.group = codedeploy.LambdaDeploymentGroup(
            self,
            "Group",
            alias=alias,
            deployment_config=deployment_config(traffic_shift),
            alarms=list(alarms),
            # Before any traffic shifts, the new version must answer known texts as built; a Failed
            # report fails the deployment, which the automatic rollback below undoes.
            pre_hook=pre_hook,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
        )
        acknowledge(
            self.group.role,
            f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{CODEDEPLOY_FOR_LAMBDA_POLICY}]",
            "AWS's purpose-built, limited policy for CodeDeploy Lambda deployments: it can only read "
            "and update aliases, read alarms and invoke lifecycle hooks named CodeDeployHook_*.",
        )
        hook_id = Stack.of(self).get_logical_id(pre_hook.node.default_child)
        acknowledge(
            self.group.role,
            f"AwsSolutions-IAM5[Resource::<{hook_id}.Arn>:*]",
            "CodeDeploy may invoke the pre-traffic hook function, that one function only: the wildcard is "
            "the version qualifier CDK's grant adds to its ARN.",
        )
