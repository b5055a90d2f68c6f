"""cdk-nag's AwsSolutions pack runs on every synthesis; every accepted finding carries a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from infra_constructs.api_gateway_logging import ApiGatewayLogging
from infra_constructs.model_capture import CAPTURE_KEY_ROOT, ERROR_KEY_ROOT
from infra_support import Service, Synthesized, every_stage, new_app
from stacks.app_builder import register_nag
from stacks.names import PUSH_TO_CLOUDWATCH_POLICY

from serving.app.contracts import api

MANAGED = "Policy::arn:<AWS::Partition>:iam::aws:policy/"


# Every finding the app accepts, and where: anything new must be fixed or argued for here too.
ACKNOWLEDGED = {
    f"AwsSolutions-IAM4[{MANAGED}service-role/AmazonAPIGatewayPushToCloudWatchLogs]": {
        "TextClassifier-Data/ApiGatewayLogging/Role"
    },
    "AwsSolutions-IAM5[Resource::<DvcRemoteD5F80A5E.Arn>/dvc/*]": {
        "TextClassifier-Data/GitHub/ReadRole",
        "TextClassifier-Data/GitHub/TrainRole",
        "TextClassifier-Data/GitHub/DeployRoleDev",
        "TextClassifier-Data/GitHub/DeployRoleProd",
    },
    f"AwsSolutions-IAM4[{MANAGED}service-role/AWSCodeDeployRoleForLambdaLimited]": every_stage(
        "Deployment/Group/ServiceRole"
    ),
    # No WAF web ACL where the stage's settings leave the firewall off.
    "AwsSolutions-APIG3": every_stage(
        "Api/Api/DeploymentStage.{stage}", where=lambda s: not s.firewall.enabled
    ),
    # The API's clients hold keys, not AWS or Cognito identities; GET / (the page) needs not even a key.
    "AwsSolutions-APIG4": every_stage("Api/Api") | every_stage("Api/Api/Default/GET"),
    "AwsSolutions-COG4": every_stage("Api/Api") | every_stage("Api/Api/Default/GET"),
    # The API key's value is a generated secret: rotating it means replacing the key clients hold.
    "AwsSolutions-SMG4": every_stage("Api/ApiKeySecret"),
    # CodeDeploy may invoke the pre-traffic hook (any version of that one function, as CDK grants it).
    "AwsSolutions-IAM5[Resource::<PreTrafficHookFunction1974E8B2.Arn>:*]": every_stage(
        "Deployment/Group/ServiceRole"
    ),
    # X-Ray, where the stage's settings turn tracing on.
    "AwsSolutions-IAM5[Resource::*]": every_stage("Serving/Role", where=lambda s: s.tracing),
}


def _nag_report(outdir: Path) -> dict:
    report = json.loads((outdir / "validation-report.json").read_text(encoding="utf-8"))
    (nag,) = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    return nag


def test_app_passes_cdk_nag(synthesized: Synthesized):
    nag = _nag_report(synthesized.outdir)
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []


def test_every_acknowledgement_is_expected_placed_and_explained(synthesized: Synthesized):
    suppressed = _nag_report(synthesized.outdir)["suppressedViolations"]
    placed: dict[str, set[str]] = {}
    for finding in suppressed:
        assert len(finding["reason"]) >= 60, finding["ruleName"]
        placed.setdefault(finding["ruleName"], set()).add(finding["acknowledgedAt"])
    assert placed == ACKNOWLEDGED


def test_the_page_is_acknowledged_as_the_one_keyless_method(synthesized: Synthesized):
    suppressed = _nag_report(synthesized.outdir)["suppressedViolations"]
    on_page = [f for f in suppressed if f["acknowledgedAt"].endswith("/Api/Api/Default/GET")]
    assert {f["ruleName"] for f in on_page} == {"AwsSolutions-APIG4", "AwsSolutions-COG4"}
    assert all("playground page" in f["reason"] and f"POST {api.CLASSIFY}" in f["reason"] for f in on_page)


def _synth_stack(tmp_path: Path, build) -> Path:
    app = new_app(tmp_path)
    build(Stack(app, "Probe"))
    register_nag(app)
    app.synth()
    return tmp_path


def test_an_unacknowledged_finding_fails_synthesis(tmp_path: Path):
    def bucket_without_tls_or_logs(stack: Stack) -> None:
        s3.Bucket(stack, "Bucket")

    with pytest.raises(RuntimeError, match="ValidationFailed"):
        _synth_stack(tmp_path, bucket_without_tls_or_logs)
    rules = {v["ruleName"] for v in _nag_report(tmp_path)["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


def test_an_acknowledgement_covers_only_its_own_finding(tmp_path: Path):
    """The logging construct's acknowledged managed policy passes; the same policy elsewhere fails."""

    def logging_role_and_a_copy(stack: Stack) -> None:
        ApiGatewayLogging(stack, "Logging")
        iam.Role(
            stack,
            "Copy",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(PUSH_TO_CLOUDWATCH_POLICY)],
        )

    with pytest.raises(RuntimeError, match="ValidationFailed"):
        _synth_stack(tmp_path, logging_role_and_a_copy)
    nag = _nag_report(tmp_path)
    violating = {c["constructPath"] for v in nag["violations"] for c in v["violatingConstructs"]}
    assert violating == {"Probe/Copy/Resource"}
    assert {f["acknowledgedAt"] for f in nag["suppressedViolations"]} == {"Probe/Logging/Role"}


def test_capture_adds_only_its_two_key_wildcards(capturing: Service):
    """Firehose names the objects it writes: it may write any key, but only under the capture bucket's
    two prefixes; nothing else of a stage with capture on is acknowledged beyond dev's own."""
    nag = _nag_report(capturing.outdir)
    assert nag["conclusion"] == "success" and nag["violations"] == []
    placed: dict[str, set[str]] = {}
    for finding in nag["suppressedViolations"]:
        assert len(finding["reason"]) >= 60, finding["ruleName"]
        placed.setdefault(finding["ruleName"], set()).add(finding["acknowledgedAt"])
    dev = {
        rule: {p for p in paths if p.startswith("TextClassifier-dev/")}
        for rule, paths in ACKNOWLEDGED.items()
    }
    expected = {rule: paths for rule, paths in dev.items() if paths}
    for prefix in (CAPTURE_KEY_ROOT, ERROR_KEY_ROOT):
        expected[f"AwsSolutions-IAM5[Resource::<CaptureBucket89727A45.Arn>/{prefix}*]"] = {
            "TextClassifier-dev/Capture/DeliveryPolicy"
        }
    assert placed == expected
