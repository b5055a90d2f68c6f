"""The pre-traffic hook's logic, offline: real boto3 clients with botocore's Stubber in front of AWS.

Each test states what the new version answers (or how invoking it fails) and checks the verdict the hook
reports to CodeDeploy. The Stubber also checks every call's parameters against the services' API models,
so a misspelt parameter fails here as it would on AWS.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from pre_traffic_hook.hook import (
    EXPECTED_ENV,
    FAILED,
    SUCCEEDED,
    TARGET_ENV,
    Expected,
    classify_event,
    handler,
    run,
)

from serving.app.contracts import api

VERSION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:TextClassifier-dev-ServingFunction:7"
EXPECTED = Expected(
    "9a4160ca4caa", {"The Seahawks won 52-7": "rec.sport.football", "NASA's probe": "sci.space"}
)
EVENT = {"DeploymentId": "d-ABCDEF123", "LifecycleEventHookExecutionId": "eyJlbmNyeXB0ZWREYXRhIjoi"}


@dataclass
class Clients:
    lambda_client: Any
    codedeploy: Any
    invocations: Stubber
    reports: Stubber


@pytest.fixture
def clients() -> Iterator[Clients]:
    credentials = {"region_name": "eu-west-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}
    lambda_client = boto3.client("lambda", **credentials)
    codedeploy = boto3.client("codedeploy", **credentials)
    with Stubber(lambda_client) as invocations, Stubber(codedeploy) as reports:
        yield Clients(lambda_client, codedeploy, invocations, reports)
        invocations.assert_no_pending_responses()
        reports.assert_no_pending_responses()


def _environ(expected: Expected = EXPECTED) -> dict[str, str]:
    return {TARGET_ENV: VERSION_ARN, EXPECTED_ENV: expected.to_json()}


def _answer(label: str, version: str = EXPECTED.model_version, status: int = 200) -> dict[str, Any]:
    """The serving handler's proxy response to POST /classify."""
    body = {"label": label, "scores": {label: 0.9}, "model": {"version": version}}
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def _invocation(clients: Clients, number: int, text: str, payload: object, function_error: str | None = None):
    """The hook invokes the version with the API Gateway event for `text`; it answers `payload`."""
    raw = json.dumps(payload).encode()
    response: dict[str, Any] = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw))}
    if function_error:
        response["FunctionError"] = function_error
    expected_params = {
        "FunctionName": VERSION_ARN,
        "Payload": json.dumps(classify_event(text, number)).encode(),
    }
    clients.invocations.add_response("invoke", response, expected_params)


def _report(clients: Clients, status: str) -> None:
    clients.reports.add_response(
        "put_lifecycle_event_hook_execution_status",
        {"lifecycleEventHookExecutionId": EVENT["LifecycleEventHookExecutionId"]},
        {
            "deploymentId": EVENT["DeploymentId"],
            "lifecycleEventHookExecutionId": EVENT["LifecycleEventHookExecutionId"],
            "status": status,
        },
    )


def _run(clients: Clients, environ: dict[str, str] | None = None) -> str:
    return run(EVENT, clients.lambda_client, clients.codedeploy, _environ() if environ is None else environ)


def test_a_version_that_answers_every_known_text_as_built_succeeds(clients: Clients, capsys):
    for number, (text, label) in enumerate(EXPECTED.answers.items()):
        _invocation(clients, number, text, _answer(label))
    _report(clients, SUCCEEDED)
    assert _run(clients) == SUCCEEDED
    assert json.loads(capsys.readouterr().out) == {
        "status": SUCCEEDED,
        "deploymentId": EVENT["DeploymentId"],
        "problems": [],
    }


def test_a_wrong_label_fails_the_deployment(clients: Clients, capsys):
    (first, first_label), (second, _) = EXPECTED.answers.items()
    _invocation(clients, 0, first, _answer(first_label))
    _invocation(clients, 1, second, _answer("talk.politics.misc"))
    _report(clients, FAILED)
    assert _run(clients) == FAILED
    (problem,) = json.loads(capsys.readouterr().out)["problems"]
    assert problem == "text 1: label 'talk.politics.misc', expected 'sci.space'"


def test_another_model_version_fails_the_deployment(clients: Clients, capsys):
    for number, (text, label) in enumerate(EXPECTED.answers.items()):
        _invocation(clients, number, text, _answer(label, version="0123456789ab"))
    _report(clients, FAILED)
    assert _run(clients) == FAILED
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert problems == [f"text {n}: model version '0123456789ab', expected '9a4160ca4caa'" for n in range(2)]


def test_an_invocation_error_fails_the_deployment_and_the_other_texts_are_still_tried(
    clients: Clients, capsys
):
    _, (second, second_label) = EXPECTED.answers.items()
    clients.invocations.add_client_error(
        "invoke",
        service_error_code="TooManyRequestsException",
        http_status_code=429,
        expected_params={"FunctionName": VERSION_ARN, "Payload": ANY},
    )
    _invocation(clients, 1, second, _answer(second_label))
    _report(clients, FAILED)
    assert _run(clients) == FAILED
    (problem,) = json.loads(capsys.readouterr().out)["problems"]
    assert (
        problem.startswith(f"text 0: invoking {VERSION_ARN} failed:")
        and "TooManyRequestsException" in problem
    )


@pytest.mark.parametrize(
    ("payload", "function_error", "expected_problem"),
    [
        (
            {"errorMessage": "model failed to load", "errorType": "ModelLoadError"},
            "Unhandled",
            "the function raised",
        ),
        (_answer("sci.space", status=502), None, "HTTP 502"),
        ({"statusCode": 200, "body": "<html>"}, None, "HTTP 200 whose body is not JSON"),
        ("not a proxy response", None, "HTTP None"),
    ],
)
def test_a_version_that_cannot_answer_fails_the_deployment(
    clients: Clients, capsys, payload: object, function_error: str | None, expected_problem: str
):
    (text, _), (second, second_label) = EXPECTED.answers.items()
    _invocation(clients, 0, text, payload, function_error)
    _invocation(clients, 1, second, _answer(second_label))
    _report(clients, FAILED)
    assert _run(clients) == FAILED
    (problem,) = json.loads(capsys.readouterr().out)["problems"]
    assert problem.startswith(f"text 0: {expected_problem}"), problem


@pytest.mark.parametrize(
    "environ",
    [
        {TARGET_ENV: VERSION_ARN, EXPECTED_ENV: Expected("", {}).to_json()},  # synthesized without a model
        {TARGET_ENV: VERSION_ARN},
        {TARGET_ENV: VERSION_ARN, EXPECTED_ENV: "{not json"},
        {EXPECTED_ENV: EXPECTED.to_json()},
    ],
)
def test_without_known_answers_nothing_can_be_checked_so_the_deployment_fails(clients: Clients, environ):
    """Only a version that answered may take traffic: a hook that cannot check reports Failed and invokes
    nothing."""
    _report(clients, FAILED)
    assert _run(clients, environ) == FAILED


def test_a_failed_report_is_not_swallowed(clients: Clients):
    """CodeDeploy fails a deployment whose hook never reports; the error must surface, not be hidden."""
    for number, (text, label) in enumerate(EXPECTED.answers.items()):
        _invocation(clients, number, text, _answer(label))
    clients.reports.add_client_error(
        "put_lifecycle_event_hook_execution_status", "DeploymentDoesNotExistException"
    )
    with pytest.raises(clients.codedeploy.exceptions.DeploymentDoesNotExistException):
        _run(clients)


def test_the_lambda_entry_point_uses_the_environment_and_real_clients(clients: Clients, monkeypatch):
    """`handler` makes its clients with boto3 and reads its settings from the environment."""
    made = {"lambda": clients.lambda_client, "codedeploy": clients.codedeploy}
    monkeypatch.setattr(boto3, "client", lambda service: made[service])
    for key, value in _environ().items():
        monkeypatch.setenv(key, value)
    for number, (text, label) in enumerate(EXPECTED.answers.items()):
        _invocation(clients, number, text, _answer(label))
    _report(clients, SUCCEEDED)
    assert handler(EVENT, None) == {"status": SUCCEEDED}


def test_the_events_are_shaped_as_api_gateway_sends_post_classify():
    event = classify_event("Some text", 3)
    assert (event["httpMethod"], event["path"], event["resource"]) == ("POST", api.CLASSIFY, api.CLASSIFY)
    assert api.ROUTES[api.CLASSIFY] == ("POST",)
    assert event["headers"]["Content-Type"] == "application/json"
    assert json.loads(event["body"]) == {"text": "Some text"}
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["requestId"] == "pre-traffic-hook-3"


def test_expectations_survive_the_environment_round_trip():
    assert Expected.from_json(EXPECTED.to_json()) == EXPECTED
