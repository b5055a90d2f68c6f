"""Where a deployed stage is: its function, URL and API key, found the way the smoke test finds them.

The smoke test (ops.smoke_test) owns the rules: the stack outputs `make deploy` wrote to
`infrastructure/cdk.out/<stage>-outputs.json`, the stack's name, and the API key read from API Gateway.
When the outputs file is absent (a laptop that did not deploy), the same outputs are read from
CloudFormation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ops import smoke_test

REPO_ROOT = smoke_test.REPO_ROOT
StageError = smoke_test.SmokeTestError


def stack_name(stage: str) -> str:
    return smoke_test.STACK.format(stage=stage)


def stage_outputs(stage: str, cloudformation: Any = None, root: Path = REPO_ROOT) -> dict[str, str]:
    """The stage stack's outputs: the deploy's outputs file, else CloudFormation's answer."""
    if (root / smoke_test.OUTPUTS.format(stage=stage)).is_file():
        return smoke_test.stage_outputs(stage, root)
    if cloudformation is None:
        raise StageError(f"no outputs file for stage {stage} and no AWS client to ask CloudFormation")
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name(stage))["Stacks"]
    except Exception as error:  # botocore's ClientError, NoCredentialsError, EndpointConnectionError...
        raise StageError(f"cannot read stack {stack_name(stage)} from CloudFormation: {error}") from None
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def function_name(stage: str, cloudformation: Any = None, root: Path = REPO_ROOT) -> str:
    """The stage's Lambda function (the stack's FunctionName output)."""
    outputs = stage_outputs(stage, cloudformation, root)
    if "FunctionName" not in outputs:
        raise StageError(f"stack {stack_name(stage)} has no FunctionName output")
    return outputs["FunctionName"]


# The service stack's output naming the stage's capture bucket (infrastructure/stacks/names.py defines it
# for the CDK app; a test ties the two).
CAPTURE_BUCKET_OUTPUT = "CaptureBucketName"


def capture_bucket(stage: str, cloudformation: Any = None, root: Path = REPO_ROOT) -> str:
    """The stage's capture bucket (the stack's CaptureBucketName output)."""
    outputs = stage_outputs(stage, cloudformation, root)
    if CAPTURE_BUCKET_OUTPUT not in outputs:
        raise StageError(
            f"stack {stack_name(stage)} has no {CAPTURE_BUCKET_OUTPUT} output: deploy a version with "
            "capture (make deploy STAGE=...), and turn capture on with the stage's capture_rate setting"
        )
    return outputs[CAPTURE_BUCKET_OUTPUT]
