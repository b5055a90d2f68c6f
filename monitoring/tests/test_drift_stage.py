"""make drift STAGE=...: the bucket named by the stage stack's outputs, read through a real S3 API (moto on
127.0.0.1), as a scheduled workflow's read-only role reads it."""

from __future__ import annotations

import json
import socket
from datetime import date

import boto3
import pytest
from moto.server import ThreadedMotoServer

from monitoring import drift
from monitoring.drift_settings import EXIT_CALM, EXIT_ERROR
from monitoring.tests.capture_lines import LIKE_HELD_OUT, articles, model_with_baseline, put_object, records
from ops.stage import CAPTURE_BUCKET_OUTPUT, stack_name
from serving.app.artifact.loader import load_model

TODAY = date(2026, 12, 7)
BUCKET = "dev-captures"  # the stack deploy_stage makes for stage dev holds it
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


class LoopbackSession:
    """A boto3 session whose clients talk to the moto server."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.endpoint, **KEYS)


@pytest.fixture(scope="module")
def session():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield LoopbackSession(f"http://127.0.0.1:{port}")
    server.stop()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return model_with_baseline(tmp_path_factory.mktemp("model"))


def deploy_stage(session: LoopbackSession, stage: str, outputs: dict) -> None:
    """A stage stack holding the capture bucket, with the given outputs."""
    template = {
        "Resources": {
            "Captures": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": f"{stage}-captures"}}
        },
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    session.client("cloudformation").create_stack(
        StackName=stack_name(stage), TemplateBody=json.dumps(template)
    )


def run(session, model_dir, tmp_path, stage: str) -> tuple[int, dict]:
    output = tmp_path / "drift.md"
    argv = ["--stage", stage, "--model-dir", str(model_dir), "--output", str(output)]
    code = drift.main(argv, session=session, today=TODAY)
    summary = output.with_suffix(".json")
    return code, json.loads(summary.read_text()) if summary.exists() else {}


def test_the_stage_bucket_named_by_the_stack_outputs_is_read(session, model_dir, tmp_path):
    deploy_stage(session, "dev", {CAPTURE_BUCKET_OUTPUT: BUCKET})
    model = load_model(model_dir)
    texts = articles(LIKE_HELD_OUT)[0]
    s3 = session.client("s3")
    put_object(s3, BUCKET, TODAY, records(model, texts[:150], TODAY), "part-1.gz")
    put_object(s3, BUCKET, TODAY, records(model, texts[150:], TODAY), "part-2.gz")
    put_object(s3, BUCKET, date(2026, 11, 1), records(model, texts[:5], date(2026, 11, 1)))  # outside
    s3.put_object(Bucket=BUCKET, Key="capture-errors/x/year=2026/month=12/day=07/bad", Body=b"not read")
    code, summary = run(session, model_dir, tmp_path, "dev")
    assert (code, summary["verdict"], summary["texts"]) == (EXIT_CALM, "calm", len(texts))
    assert f"stage dev (s3://{BUCKET})" in (tmp_path / "drift.md").read_text()


def test_a_stack_without_the_capture_output_says_what_to_deploy(session, model_dir, tmp_path, capsys):
    deploy_stage(session, "old", {"FunctionName": "f"})
    assert run(session, model_dir, tmp_path, "old")[0] == EXIT_ERROR
    error = capsys.readouterr().err
    assert (
        f"stack {stack_name('old')} has no {CAPTURE_BUCKET_OUTPUT} output" in error
        and "capture_rate" in error
    )


def test_a_stage_that_does_not_exist_is_named(session, model_dir, tmp_path, capsys):
    assert run(session, model_dir, tmp_path, "nowhere")[0] == EXIT_ERROR
    assert f"cannot read stack {stack_name('nowhere')} from CloudFormation" in capsys.readouterr().err
