"""Opt-in capture through the handler: read at init, off by default, one readable line per captured text."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from local_runtime.child_service import child_service
from local_runtime.client import request_json
from local_runtime.logs import ServiceLog
from monitoring import captures
from serving.app import capture
from serving.app.contracts import api
from serving.app.contracts import capture as contract
from serving.tests.apigw_events import LambdaContext, rest_event


def classify(handler, payload, context: LambdaContext | None = None) -> dict:
    event = rest_event("POST", api.CLASSIFY, json.dumps(payload))
    return handler.lambda_handler(event, context or LambdaContext())


@pytest.fixture
def capturing(handler, monkeypatch):
    """The handler as it runs with CAPTURE_RATE=1 (the sampler init builds from it)."""
    sampler = capture.from_environment(handler.telemetry.write_line, {contract.RATE_ENV: "1"})
    monkeypatch.setattr(handler, "CAPTURE", sampler)
    return handler


def test_capture_is_off_by_default_and_no_line_holds_a_text(handler, capsys):
    assert handler.CAPTURE is None
    capsys.readouterr()
    text = "The Seattle Seahawks crushed the Cleveland Browns 52-7"
    assert classify(handler, {"text": text})["statusCode"] == 200
    out = capsys.readouterr().out
    assert out.strip() and "Seahawks" not in out and f'"message": "{contract.MESSAGE}"' not in out


def test_each_text_of_an_answered_batch_is_captured_and_read_back_from_the_local_layout(
    capturing, capsys, tmp_path
):
    capsys.readouterr()
    texts = ["Shares in the bank fell 5% after the results", "The striker scored twice in the final"]
    context = LambdaContext()
    response = classify(capturing, {"texts": texts, "top_k": 2}, context)
    assert response["statusCode"] == 200
    answer = json.loads(response["body"])
    out = capsys.readouterr().out.splitlines()
    lines = [line for line in out if f'"message": "{contract.MESSAGE}"' in line]
    assert len(lines) == 2
    others = [line for line in out if line not in lines]
    assert others and not [line for line in others for text in texts if text in line]  # metrics: no text
    today = datetime.now(UTC).date()
    folder = tmp_path / contract.partition(today.year, today.month, today.day)
    folder.mkdir(parents=True)
    (folder / "lines.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    records = captures.read_local(tmp_path, today, today)
    assert [record.text for record in records] == texts
    for record, prediction in zip(records, answer["predictions"], strict=True):
        assert record.label == prediction["label"]
        assert record.scores == prediction["scores"]
        assert record.model_version == answer["model"]["version"] == capturing.MODEL.version
        assert record.request_id == context.aws_request_id
        assert record.probability == prediction["scores"][record.label]
        assert 0 <= record.margin <= record.probability and 0 < record.coverage <= 1


def test_a_refused_request_captures_nothing(capturing, capsys):
    capsys.readouterr()
    assert classify(capturing, {"texts": ["fine", "  "]})["statusCode"] == 400
    assert f'"message": "{contract.MESSAGE}"' not in capsys.readouterr().out


def init(model_dir, rate: str | None) -> subprocess.CompletedProcess:
    """Imports the handler in a new interpreter, as Lambda's init does, with ``CAPTURE_RATE=rate``."""
    env = {**os.environ, "MODEL_DIR": str(model_dir), "AWS_EMF_ENVIRONMENT": "Local"}
    env.pop(contract.RATE_ENV, None)
    if rate is not None:
        env[contract.RATE_ENV] = rate
    code = (
        "import sys; from serving.app import handler; "
        "print('random' in sys.modules, 'serving.app.capture' in sys.modules, handler.CAPTURE is None)"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_a_malformed_rate_stops_the_init_naming_the_variable_value_and_range(bbc_model_dir):
    result = init(bbc_model_dir, "5%")
    assert result.returncode != 0 and "CaptureSettingError" in result.stderr
    logged = [json.loads(line) for line in result.stdout.splitlines() if '"level": "ERROR"' in line]
    assert len(logged) == 1
    assert "CAPTURE_RATE='5%'" in logged[0]["error"] and "from 0 (off) to 1" in logged[0]["error"]


def test_without_a_rate_nothing_of_capture_is_imported_and_a_positive_rate_builds_the_sampler(bbc_model_dir):
    off = init(bbc_model_dir, None)
    assert off.returncode == 0, off.stderr
    assert off.stdout.splitlines()[-1] == "False False True"  # neither `random` nor capture imported
    on = init(bbc_model_dir, "0.5")
    assert on.returncode == 0, on.stderr
    assert on.stdout.splitlines()[-1] == "True True False"
    zero = init(bbc_model_dir, "0")
    assert zero.returncode == 0, zero.stderr
    assert (
        zero.stdout.splitlines()[-1] == "False True True"
    )  # "0" is read (and is off): no random, no sampler


def test_make_serve_with_a_rate_files_the_captures_where_monitoring_reads_them(bbc_model_dir, tmp_path):
    """`make serve CAPTURE_RATE=1 CAPTURE_DIR=...`: the local runtime as the command line runs it."""
    folder = tmp_path / "captures"
    arguments = ("--env", f"{contract.RATE_ENV}=1", "--capture-dir", str(folder))
    texts = ["The central bank raised interest rates again", "The match ended in a penalty shoot-out"]
    log = ServiceLog()
    first_day = datetime.now(UTC).date()  # a window from before to after the requests: midnight-safe
    with child_service(model_dir=bbc_model_dir, workers=1, arguments=arguments, log=log) as url:
        status, answer = request_json(url, "POST", api.CLASSIFY, {"texts": texts})
        assert status == 200
        # The runtime files a line before it logs it: once both are in the log, both are on disk.
        assert log.wait_for(texts[1]) and log.wait_for(texts[0])
    records = captures.read_local(folder, first_day, datetime.now(UTC).date())
    labels = [prediction["label"] for prediction in answer["predictions"]]
    assert [(record.text, record.label) for record in records] == list(zip(texts, labels, strict=True))
