"""Opt-in capture in the service stack: absent by default; when on, a private expiring bucket fed by a
subscription filter and Firehose, with the filter pattern and prefixes of the handler's contract."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template
from infra_constructs.model_capture import CAPTURE_KEY_ROOT, ERROR_KEY_ROOT, FILE_EXTENSION
from infra_support import (
    Service,
    Synthesized,
    as_list,
    cdk_json_context,
    only,
    resources,
    serving_function,
)
from stacks.app_builder import settings_from_context
from stacks.names import CAPTURE_BUCKET_OUTPUT
from stacks.settings import SERVING_APP_DIR, ServiceSettings, SettingsError
from stacks.stages import DEFAULT_STAGES, service_settings

from monitoring import captures
from serving.app import capture as handler_capture
from serving.app.contracts import api
from serving.app.contracts import capture as contract
from serving.tests.apigw_events import rest_event
from serving.tests.artifact_export import bbc_news, export, train

CAPTURE_TYPES = (
    "AWS::KinesisFirehose::DeliveryStream",
    "AWS::Logs::SubscriptionFilter",
    "AWS::S3::Bucket",
)


@pytest.mark.parametrize("stage", DEFAULT_STAGES)
def test_capture_is_off_by_default_and_then_none_of_its_resources_exist(synthesized: Synthesized, stage: str):
    template = synthesized.template(stage)
    assert synthesized.built.services[stage].settings.capture_rate == 0
    for resource_type in CAPTURE_TYPES:
        assert resources(template, resource_type) == {}, resource_type
    _, function = serving_function(template)
    assert contract.RATE_ENV not in function["Environment"]["Variables"]
    assert CAPTURE_BUCKET_OUTPUT not in template.find_outputs("*")


def test_the_function_gets_the_stages_rate_which_the_handler_accepts(capturing: Service):
    _, function = serving_function(capturing.template)
    variables = function["Environment"]["Variables"]
    assert variables[contract.RATE_ENV] == "0.05"
    assert handler_capture.read_rate(variables) == 0.05  # what the handler reads at init


def test_the_subscription_filter_sends_the_functions_capture_lines_to_the_stream(capturing: Service):
    template = capturing.template
    stream_id, _ = only(template, "AWS::KinesisFirehose::DeliveryStream")
    _, subscription = only(template, "AWS::Logs::SubscriptionFilter")
    log_group_id = serving_function(template)[1]["LoggingConfig"]["LogGroup"]["Ref"]
    assert subscription["FilterPattern"] == contract.FILTER_PATTERN
    assert subscription["LogGroupName"] == {"Ref": log_group_id}
    assert subscription["DestinationArn"] == {"Fn::GetAtt": [stream_id, "Arn"]}


def test_the_stream_unpacks_the_log_events_and_writes_gzip_lines_under_the_contracts_prefixes(
    capturing: Service,
):
    _, stream = only(capturing.template, "AWS::KinesisFirehose::DeliveryStream")
    assert stream["DeliveryStreamType"] == "DirectPut"
    assert stream["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
    destination = stream["ExtendedS3DestinationConfiguration"]
    assert destination["Prefix"] == contract.FIREHOSE_PREFIX
    assert destination["ErrorOutputPrefix"] == contract.FIREHOSE_ERROR_PREFIX
    assert destination["CompressionFormat"] == "GZIP"
    assert destination["FileExtension"] == FILE_EXTENSION and FILE_EXTENSION.endswith(".gz")
    processors = destination["ProcessingConfiguration"]["Processors"]
    assert destination["ProcessingConfiguration"]["Enabled"] is True
    assert [p["Type"] for p in processors] == [
        "Decompression",
        "CloudWatchLogProcessing",
        "AppendDelimiterToRecord",
    ]
    assert processors[0]["Parameters"] == [{"ParameterName": "CompressionFormat", "ParameterValue": "GZIP"}]
    assert processors[1]["Parameters"] == [
        {"ParameterName": "DataMessageExtraction", "ParameterValue": "true"}
    ]


def test_the_firehose_date_prefix_is_the_layout_monitoring_reads():
    """Firehose's `!{timestamp:...}` prefix, expanded for a day, is that day's partition readers list."""
    expanded = (
        contract.FIREHOSE_PREFIX.replace("!{timestamp:yyyy}", "2026")
        .replace("!{timestamp:MM}", "03")
        .replace("!{timestamp:dd}", "09")
    )
    assert expanded == contract.partition(2026, 3, 9)
    assert captures.partitions(date(2026, 3, 9), date(2026, 3, 9)) == [expanded]
    assert not contract.FIREHOSE_ERROR_PREFIX.startswith(
        contract.KEY_PREFIX
    )  # errors are never read as captures


def _buckets(template: Template) -> dict[str, dict[str, Any]]:
    return {logical_id: r["Properties"] for logical_id, r in resources(template, "AWS::S3::Bucket").items()}


def test_the_capture_bucket_is_private_encrypted_unversioned_expiring_and_logged(capturing: Service):
    template = capturing.template
    destination = only(template, "AWS::KinesisFirehose::DeliveryStream")[1][
        "ExtendedS3DestinationConfiguration"
    ]
    bucket_id = destination["BucketARN"]["Fn::GetAtt"][0]
    buckets = _buckets(template)
    bucket = buckets[bucket_id]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert "VersioningConfiguration" not in bucket
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == 14 and "Prefix" not in rule
    logs_id = bucket["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    assert logs_id in buckets and logs_id != bucket_id
    resource = template.to_json()["Resources"][bucket_id]
    assert resource["DeletionPolicy"] == "Retain"
    policies = [p["Properties"] for p in resources(template, "AWS::S3::BucketPolicy").values()]
    (policy,) = [p for p in policies if p["Bucket"] == {"Ref": bucket_id}]
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _role_statements(template: Template, role_id: str) -> list[dict[str, Any]]:
    statements = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def _assumed_by(template: Template, service: str) -> tuple[str, dict[str, Any]]:
    found = [
        (logical_id, role["Properties"])
        for logical_id, role in resources(template, "AWS::IAM::Role").items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
        == service
    ]
    assert len(found) == 1, found
    return found[0]


def test_logs_may_only_put_records_into_this_one_stream_for_this_account(capturing: Service):
    template = capturing.template
    stream_id, _ = only(template, "AWS::KinesisFirehose::DeliveryStream")
    role_id, role = _assumed_by(template, "logs.amazonaws.com")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "aws:SourceArn" in trust["Condition"]["StringLike"]
    (statement,) = _role_statements(template, role_id)
    assert sorted(as_list(statement["Action"])) == ["firehose:PutRecord", "firehose:PutRecordBatch"]
    assert as_list(statement["Resource"]) == [{"Fn::GetAtt": [stream_id, "Arn"]}]
    _, subscription = only(template, "AWS::Logs::SubscriptionFilter")
    assert subscription["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_firehose_may_only_write_the_capture_buckets_two_prefixes(capturing: Service):
    template = capturing.template
    _, stream = only(template, "AWS::KinesisFirehose::DeliveryStream")
    bucket_id = stream["ExtendedS3DestinationConfiguration"]["BucketARN"]["Fn::GetAtt"][0]
    role_id, role = _assumed_by(template, "firehose.amazonaws.com")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}}
    assert stream["ExtendedS3DestinationConfiguration"]["RoleARN"] == {"Fn::GetAtt": [role_id, "Arn"]}
    actions: dict[str, set[str]] = {}
    for statement in _role_statements(template, role_id):
        assert statement["Effect"] == "Allow"
        for resource in as_list(statement["Resource"]):
            key = repr(resource)
            actions.setdefault(key, set()).update(as_list(statement["Action"]))
    bucket_arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    objects = {
        repr({"Fn::Join": ["", [bucket_arn, f"/{root}*"]]}) for root in (CAPTURE_KEY_ROOT, ERROR_KEY_ROOT)
    }
    assert actions == {
        repr(bucket_arn): {"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"},
        **{key: {"s3:AbortMultipartUpload", "s3:PutObject"} for key in objects},
    }
    assert contract.FIREHOSE_PREFIX.startswith(CAPTURE_KEY_ROOT)
    assert contract.FIREHOSE_ERROR_PREFIX.startswith(ERROR_KEY_ROOT)


def test_the_stack_names_its_capture_bucket_for_the_tools(capturing: Service):
    template = capturing.template
    bucket_id = only(template, "AWS::KinesisFirehose::DeliveryStream")[1][
        "ExtendedS3DestinationConfiguration"
    ]["BucketARN"]["Fn::GetAtt"][0]
    assert template.find_outputs(CAPTURE_BUCKET_OUTPUT)[CAPTURE_BUCKET_OUTPUT]["Value"] == {"Ref": bucket_id}


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"capture_rate": -0.1}, "capture_rate=-0.1"),
        ({"capture_rate": 1.5}, "capture_rate=1.5"),
        ({"capture_rate": float("nan")}, "capture_rate=nan"),
        ({"capture_rate": True}, "capture_rate=True"),
        ({"capture_retention_days": 0}, "capture_retention_days=0"),
        ({"capture_retention_days": 7.5}, "capture_retention_days=7.5"),
    ],
)
def test_an_impossible_capture_setting_fails_the_synthesis_saying_what_to_give(changes, fragment):
    with pytest.raises(SettingsError, match="capture") as refused:
        replace(service_settings("dev"), **changes)
    assert fragment in str(refused.value) and "stage dev" in str(refused.value)


def test_a_capture_rate_from_the_command_line_that_is_not_a_number_is_refused():
    app = App(context={**cdk_json_context(), "stage": "dev", "capture_rate": "often"})
    with pytest.raises(SettingsError, match="capture_rate='often': give a number"):
        settings_from_context(app)


def test_stages_capture_nothing_unless_told():
    assert ServiceSettings(stage="x").capture_rate == 0
    assert all(service_settings(stage).capture_rate == 0 for stage in (*DEFAULT_STAGES, "alice"))
    assert service_settings("prod", capture_rate=0.01).capture_rate == 0.01


# `{ $.field = "value" }`: the one form of CloudWatch Logs JSON filter pattern the contract uses.
_JSON_EQUALS = re.compile(r'^\{ \$\.(?P<field>[A-Za-z]+) = "(?P<value>[^"]*)" \}$')


def _matches(pattern: str, line: str) -> bool:
    """Whether CloudWatch Logs' JSON filter `pattern` selects log event `line` (the form above only)."""
    form = _JSON_EQUALS.match(pattern)
    assert form, f"a filter pattern this test cannot evaluate: {pattern!r}; extend _matches"
    try:
        event = json.loads(line)
    except ValueError:
        return False
    return isinstance(event, dict) and event.get(form["field"]) == form["value"]


def test_the_filter_in_the_template_selects_exactly_the_capture_lines_the_handler_writes(
    capturing: Service, tmp_path: Path
):
    """The real handler, with the environment the template gives the function, on a batch: the template's
    filter pattern selects its capture lines (which monitoring reads back) and none of its other lines."""
    model_dir = export(*train(*bbc_news(per_class=8)), tmp_path / "model")
    _, function = serving_function(capturing.template)
    environment = {**function["Environment"]["Variables"], contract.RATE_ENV: "1"}  # every text, to count
    texts = ["Shares rose", "A late goal", "The minister resigned"]
    event = rest_event("POST", api.CLASSIFY, json.dumps({"texts": texts}))
    code = (
        "import json, sys\nfrom serving.app import handler\n"
        "class Context:\n    aws_request_id = 'capture-test'\n"
        "answer = handler.lambda_handler(json.loads(sys.argv[1]), Context())\n"
        "print(answer['statusCode'], file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(event)],
        env={**os.environ, **environment, "MODEL_DIR": str(model_dir)},
        cwd=SERVING_APP_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and result.stderr.strip().endswith("200"), result.stderr
    _, subscription = only(capturing.template, "AWS::Logs::SubscriptionFilter")
    lines = result.stdout.splitlines()
    selected = [line for line in lines if _matches(subscription["FilterPattern"], line)]
    assert len(lines) > len(selected)  # the model-loaded log line and the metrics stay in the log only
    records = list(captures.parse_lines(selected, "the function's log"))
    assert [record.text for record in records] == texts
    assert {record.request_id for record in records} == {"capture-test"}
