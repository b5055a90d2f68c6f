"""Acknowledging a checkov finding: next to the construct that causes it, always with a reason.

`make security` runs checkov on the synthesized templates. checkov reads per-resource skips from the
CloudFormation `Metadata` of the resource itself, `{"checkov": {"skip": [{"id": ..., "comment": ...}]}}`,
so the acknowledgement travels with the resource into the template, exactly where a reader looks.
"""

from __future__ import annotations

from aws_cdk import CfnResource
from constructs import IConstruct

METADATA_KEY = "checkov"
MIN_REASON_LENGTH = 60


def skip_check(scope: IConstruct, check_id: str, reason: str) -> None:
    """Accept checkov's `check_id` (e.g. `CKV_AWS_116`) on the CloudFormation resource behind `scope`.

    `scope` is an L1 resource or an L2 construct whose default child is one. The reason must say why
    the finding is acceptable here, so a short one is refused rather than written into the template.
    """
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(
            f"The reason for skipping {check_id} must explain it (at least {MIN_REASON_LENGTH} characters)."
        )
    resource = _cfn_resource(scope)
    metadata = resource.get_metadata(METADATA_KEY) or {"skip": []}
    if any(skip["id"] == check_id for skip in metadata["skip"]):
        raise ValueError(f"{check_id} is already skipped on {resource.node.path}.")
    metadata["skip"].append({"id": check_id, "comment": reason})
    resource.add_metadata(METADATA_KEY, metadata)


def _cfn_resource(scope: IConstruct) -> CfnResource:
    if isinstance(scope, CfnResource):
        return scope
    child = scope.node.default_child
    if not isinstance(child, CfnResource):
        raise TypeError(f"{scope.node.path} has no CloudFormation resource to hold a checkov skip.")
    return child
