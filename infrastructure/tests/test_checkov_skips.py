"""checkov runs on the synthesized templates (`make security`); every finding it accepts carries a reason.

checkov itself lives in its own environment (its pins conflict with the test tools), so these tests
check what it reads: the `checkov` skips in each resource's Metadata, where they are and why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import CfnResource, Stack
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template
from infra_constructs.checkov_skips import MIN_REASON_LENGTH, skip_check
from infra_support import Service, Synthesized, every_stage, new_app

# Every checkov finding the app accepts, and where: anything new must be fixed or argued for here too.
ACKNOWLEDGED = {
    # Log groups: CloudWatch's own encryption at rest, no customer-managed key.
    "CKV_AWS_158": every_stage("Serving/Logs/Resource")
    | every_stage("Api/AccessLogs/Resource")
    | every_stage("PreTrafficHook/Logs/Resource"),
    # The functions: invoked synchronously only, need no VPC, hold no secret in their environment.
    "CKV_AWS_116": every_stage("Serving/Function/Resource") | every_stage("PreTrafficHook/Function/Resource"),
    "CKV_AWS_117": every_stage("Serving/Function/Resource") | every_stage("PreTrafficHook/Function/Resource"),
    "CKV_AWS_173": every_stage("Serving/Function/Resource") | every_stage("PreTrafficHook/Function/Resource"),
    # The hook runs once per deployment: no concurrency reserved for it.
    "CKV_AWS_115": every_stage("PreTrafficHook/Function/Resource"),
    # The API stage: no cache; no X-Ray where the stage's settings turn tracing off.
    "CKV_AWS_120": every_stage("Api/Api/DeploymentStage.{stage}/Resource"),
    "CKV_AWS_73": every_stage("Api/Api/DeploymentStage.{stage}/Resource", where=lambda s: not s.tracing),
    # GET /, the playground page, is the one method open without an API key.
    "CKV_AWS_59": every_stage("Api/Api/Default/GET/Resource"),
    # The alarm topic: alarm states only, TLS enforced.
    "CKV_AWS_26": every_stage("Alarms/Topic/Resource"),
    # The API key's secret: Secrets Manager's own key, no customer-managed one.
    "CKV_AWS_149": every_stage("Api/ApiKeySecret/Resource"),
    # The access-log bucket does not log into itself.
    "CKV_AWS_18": {"TextClassifier-Data/Dvc/AccessLogs/Resource"},
}


def _construct_paths(stack: Stack) -> dict[str, str]:
    """Logical id -> construct path of every CloudFormation resource of `stack`."""
    return {
        stack.resolve(c.logical_id): c.node.path for c in stack.node.find_all() if isinstance(c, CfnResource)
    }


def _skips(synthesized: Synthesized) -> list[tuple[str, str, str]]:
    """(check id, construct path, reason) of every checkov skip in the synthesized templates."""
    found = []
    for stack in (synthesized.built.data, *synthesized.built.services.values()):
        paths = _construct_paths(stack)
        template = json.loads((synthesized.outdir / stack.template_file).read_text(encoding="utf-8"))
        for logical_id, resource in template["Resources"].items():
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                found.append((skip["id"], paths[logical_id], skip["comment"]))
    return found


def test_every_checkov_skip_is_expected_placed_and_explained(synthesized: Synthesized):
    placed: dict[str, set[str]] = {}
    for check_id, path, reason in _skips(synthesized):
        assert len(reason) >= MIN_REASON_LENGTH, (check_id, path)
        placed.setdefault(check_id, set()).add(path)
    assert placed == ACKNOWLEDGED


def _probe_topic(tmp_path: Path) -> tuple[Stack, sns.Topic]:
    stack = Stack(new_app(tmp_path), "Probe")
    return stack, sns.Topic(stack, "Topic")


def test_skips_on_one_resource_accumulate_in_its_metadata(tmp_path: Path):
    stack, topic = _probe_topic(tmp_path)
    skip_check(topic, "CKV_AWS_26", "a reason long enough to say why this finding does not apply here")
    skip_check(topic, "CKV_AWS_999", "another reason long enough to say why that finding does not apply")
    (resource,) = Template.from_stack(stack).find_resources("AWS::SNS::Topic").values()
    assert [s["id"] for s in resource["Metadata"]["checkov"]["skip"]] == ["CKV_AWS_26", "CKV_AWS_999"]


@pytest.mark.parametrize("reason", ["", "no", "   " + "x" * (MIN_REASON_LENGTH - 1)])
def test_a_skip_without_a_real_reason_is_refused(tmp_path: Path, reason: str):
    _, topic = _probe_topic(tmp_path)
    with pytest.raises(ValueError, match="CKV_AWS_26"):
        skip_check(topic, "CKV_AWS_26", reason)


def test_the_same_skip_twice_is_refused(tmp_path: Path):
    _, topic = _probe_topic(tmp_path)
    reason = "a reason long enough to say why this finding does not apply here"
    skip_check(topic, "CKV_AWS_26", reason)
    with pytest.raises(ValueError, match="already skipped"):
        skip_check(topic, "CKV_AWS_26", reason)


# What a stage with capture on (infra_constructs/model_capture.py) adds: its stream keeps AWS's own key,
# its buckets are unversioned (captures must expire for good), the access-log bucket does not log itself.
CAPTURE_ACKNOWLEDGED = {
    "CKV_AWS_241": {"TextClassifier-dev/Capture/Stream"},
    "CKV_AWS_21": {
        "TextClassifier-dev/Capture/Bucket/Resource",
        "TextClassifier-dev/Capture/AccessLogs/Resource",
    },
    "CKV_AWS_18": {"TextClassifier-dev/Capture/AccessLogs/Resource"},
}


def test_capture_adds_only_its_own_explained_skips(capturing: Service):
    placed: dict[str, set[str]] = {}
    for resource in capturing.template.to_json()["Resources"].values():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip["comment"]) >= MIN_REASON_LENGTH, skip["id"]
            placed.setdefault(skip["id"], set()).add(resource["Metadata"]["aws:cdk:path"])
    dev = {
        check: {p for p in paths if p.startswith("TextClassifier-dev/")}
        for check, paths in ACKNOWLEDGED.items()
    }
    expected = {check: paths for check, paths in dev.items() if paths}
    for check, paths in CAPTURE_ACKNOWLEDGED.items():
        expected[check] = expected.get(check, set()) | paths
    assert placed == expected
