"""Acknowledging a cdk-nag finding: always next to the construct that causes it, always with a reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

NAG_PACK = "AwsSolutions"


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept the AwsSolutions finding `rule` (e.g. `AwsSolutions-IAM4[Policy::...]`) on `scope` and below."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{NAG_PACK}::{rule}", reason=reason))
