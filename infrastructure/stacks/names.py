"""Names the stacks, the CI roles and `make bootstrap` share: defined once, with no CDK import, so that
`account_setup` can use them without loading the CDK library.
"""

from __future__ import annotations

STACK_PREFIX = "TextClassifier"
DATA_STACK_NAME = f"{STACK_PREFIX}-Data"
# CDK's default qualifier of the `cdk bootstrap` resources (roles, assets bucket and repository).
CDK_BOOTSTRAP_QUALIFIER = "hnb659fds"

# What the names the app chooses itself begin with (dashboards, the API key secrets); the names
# CloudFormation generates begin with the stack's name. The CloudFormation execution policy
# (account_setup/execution_policy.py) scopes what it may touch by these prefixes.
CHOSEN_NAME_PREFIX = "text-classifier"
# The Secrets Manager secret holding a stage's API key value: the stage's stack generates it and makes the
# key from it, so the value never appears in a template. The deploy role of that stage may read it (the
# post-deploy smoke test) and no other role may; a fixed name, so that permission can name it before the
# stage exists.
API_KEY_SECRET_NAME = CHOSEN_NAME_PREFIX + "/{stage}/api-key"

# The service stack's output holding the stage's stable base URL (its custom domain's when it has one, else
# API Gateway's execute-api URL), which the smoke test and every client tool read (ops/smoke_test.py; a
# test ties the two).
SERVICE_URL_OUTPUT = "ServiceUrl"
# With a custom domain: the regional endpoint host name the domain's DNS record must point at.
DOMAIN_TARGET_OUTPUT = "DomainTarget"
# With capture on (capture_rate > 0): the stage's capture bucket, where `make drift` and `make relabel`
# read captured texts.
CAPTURE_BUCKET_OUTPUT = "CaptureBucketName"

# The AWS managed policy API Gateway's CloudWatch logging role carries.
PUSH_TO_CLOUDWATCH_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
# The AWS managed policy CDK gives CodeDeploy's role for Lambda deployments.
CODEDEPLOY_FOR_LAMBDA_POLICY = "service-role/AWSCodeDeployRoleForLambdaLimited"


def service_stack_name(stage: str) -> str:
    return f"{STACK_PREFIX}-{stage}"


def api_key_secret_name(stage: str) -> str:
    return API_KEY_SECRET_NAME.format(stage=stage)


def deploy_role_output(stage: str) -> str:
    """The data stack output holding the deploy role of `stage` (`dev` -> `DeployRoleArnDev`): the value of
    the `AWS_DEPLOY_ROLE_ARN` variable of GitHub environment `stage`."""
    return f"DeployRoleArn{camel_case(stage)}"


def camel_case(stage: str) -> str:
    """`dev` -> `Dev`, `eu-prod` -> `EuProd`: a stage name as part of a construct id or output name."""
    return "".join(part.capitalize() for part in stage.split("-"))
