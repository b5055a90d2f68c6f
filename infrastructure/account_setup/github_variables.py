"""Which data stack output goes into which GitHub Actions variable: the interface with the workflows.

Repository variables: `AWS_REGION`, `AWS_READ_ROLE_ARN` (test jobs), `AWS_TRAIN_ROLE_ARN` (the retrain
workflow), `AWS_DRIFT_ROLE_ARN` (the drift workflow). Environment variables: `AWS_DEPLOY_ROLE_ARN` in each
GitHub environment named like a stage, each holding that stage's own deploy role. docs/deploying.md names
the same pairs (a test holds it).
"""

from __future__ import annotations

import json
import os
from typing import Any

from stacks.names import DATA_STACK_NAME, deploy_role_output

from account_setup.commands import CommandFailed, SetupError, run

REGION_VARIABLE = "AWS_REGION"
# Data stack output -> repository variable.
REPOSITORY_VARIABLES = {
    "ReadRoleArn": "AWS_READ_ROLE_ARN",
    "TrainRoleArn": "AWS_TRAIN_ROLE_ARN",
    "DriftRoleArn": "AWS_DRIFT_ROLE_ARN",
}
# The variable each deploy environment holds its stage's deploy role in (output `deploy_role_output(stage)`).
ENVIRONMENT_VARIABLE = "AWS_DEPLOY_ROLE_ARN"


def github_variable_commands(outputs: dict[str, Any], stages: tuple[str, ...], region: str) -> list[str]:
    """`gh variable set ...` for every variable the workflows read, from `cdk deploy --outputs-file`."""
    values = outputs.get(DATA_STACK_NAME, {})
    missing = [
        name for name in (*REPOSITORY_VARIABLES, *map(deploy_role_output, stages)) if name not in values
    ]
    if missing:
        raise SetupError(
            f"The {DATA_STACK_NAME} outputs lack {missing}: the stack has no CI roles (see its warning) or "
            "was deployed with other deploy environments."
        )
    lines = ["Set these GitHub Actions variables (Settings > Secrets and variables > Actions), e.g. with gh:"]
    lines.append(f"  gh variable set {REGION_VARIABLE} --body {region}")
    lines += [
        f"  gh variable set {variable} --body {values[output]}"
        for output, variable in REPOSITORY_VARIABLES.items()
    ]
    lines += [
        f"  gh variable set {ENVIRONMENT_VARIABLE} --env {stage} --body {values[deploy_role_output(stage)]}"
        for stage in stages
    ]
    return lines


def deploy_stages() -> tuple[str, ...]:
    """The stages with a deploy role, as cdk.json's context configures them (the default: dev, prod)."""
    from aws_cdk import App
    from stacks.app_builder import settings_from_context

    from account_setup.paths import CDK_JSON

    context = json.loads(CDK_JSON.read_text(encoding="utf-8"))["context"]
    return settings_from_context(App(context=context)).data.github.deploy_environments


def current_region() -> str:
    """The region the AWS CLI deploys to: AWS_REGION, AWS_DEFAULT_REGION, or its configuration."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        return region
    try:
        return run(["aws", "configure", "get", "region"]).strip()
    except CommandFailed as error:
        raise SetupError(f"No AWS region is configured ({error}): set AWS_REGION.") from error
