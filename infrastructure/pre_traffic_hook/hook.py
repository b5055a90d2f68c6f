"""CodeDeploy's BeforeAllowTraffic hook: the new version must answer known texts before any traffic moves.

CodeDeploy calls `handler` with a deployment id and a lifecycle hook execution id after it has published
the new version and before it shifts any of the `live` alias's traffic to it. The hook invokes that
version (its ARN is in `TARGET_FUNCTION_ARN`; this function may invoke nothing else) with API
Gateway-shaped `POST /v1/classify` events, one per known text, and compares each answer with what the model
artifact and the serving code answered at synthesis (`EXPECTED_ANSWERS`): HTTP 200, the same label, the
same model version. It then reports `Succeeded` or `Failed` with
`codedeploy:PutLifecycleEventHookExecutionStatus`; `Failed` stops the deployment, and the deployment
group's automatic rollback leaves (or puts) the alias on the previous version. The expectations come from
the build, not from a second copy here: see `infra_constructs/pre_traffic_hook.py`.

Runs on AWS Lambda's Python runtime, which provides boto3; the clients are made on first use so that the
logic can be tested offline with stubbed clients.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

TARGET_ENV = "TARGET_FUNCTION_ARN"
EXPECTED_ENV = "EXPECTED_ANSWERS"
SUCCEEDED, FAILED = "Succeeded", "Failed"
REQUEST_ID_PREFIX = "pre-traffic-hook"
# The API's classify route (serving/app/contracts/api.py, which this function's package does not carry;
# tests/test_pre_traffic_hook.py holds the two equal).
CLASSIFY_ROUTE = "/v1/classify"


@dataclass(frozen=True)
class Expected:
    """What the new version must answer: `answers` maps each known text to its label."""

    model_version: str
    answers: dict[str, str]

    @classmethod
    def from_json(cls, text: str) -> Expected:
        data = json.loads(text)
        return cls(data["model_version"], {item["text"]: item["label"] for item in data["answers"]})

    def to_json(self) -> str:
        answers = [{"text": text, "label": label} for text, label in self.answers.items()]
        return json.dumps({"model_version": self.model_version, "answers": answers}, sort_keys=True)


def classify_event(text: str, number: int) -> dict[str, Any]:
    """A REST proxy `POST CLASSIFY_ROUTE` event for `text`, as API Gateway passes it to the function.

    The same events are sent to the serving handler at synthesis, so the expectations and the check
    describe the same requests. The request id names the hook, so its requests stand out in the logs.
    """
    return {
        "resource": CLASSIFY_ROUTE,
        "path": CLASSIFY_ROUTE,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "Accept": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"], "Accept": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": CLASSIFY_ROUTE,
            "httpMethod": "POST",
            "path": CLASSIFY_ROUTE,
            "requestId": f"{REQUEST_ID_PREFIX}-{number}",
            "identity": {"sourceIp": "127.0.0.1", "apiKeyId": None},
        },
        "body": json.dumps({"text": text}),
        "isBase64Encoded": False,
    }


def problem_with(answer: dict[str, Any], text: str, expected: Expected) -> str | None:
    """What is wrong with the handler's `answer` (a proxy response) to `text`, or None when it is right."""
    status = answer.get("statusCode")
    if status != 200:
        return f"HTTP {status}: {str(answer.get('body'))[:300]}"
    try:
        body = json.loads(answer.get("body") or "")
    except ValueError:
        return f"HTTP 200 whose body is not JSON: {str(answer.get('body'))[:300]}"
    label = body.get("label") if isinstance(body, dict) else None
    version = (body.get("model") or {}).get("version") if isinstance(body, dict) else None
    if version != expected.model_version:
        return f"model version {version!r}, expected {expected.model_version!r}"
    if label != expected.answers[text]:
        return f"label {label!r}, expected {expected.answers[text]!r}"
    return None


def check_version(lambda_client: Any, function_arn: str, expected: Expected) -> list[str]:
    """Invokes the version once per known text; the problems found (empty: it answered as expected)."""
    if not expected.answers:
        return ["no known answers: the stack was synthesized without a model, so nothing can be checked"]
    problems = []
    for number, text in enumerate(expected.answers):
        try:
            response = lambda_client.invoke(
                FunctionName=function_arn, Payload=json.dumps(classify_event(text, number)).encode()
            )
            payload = json.loads(response["Payload"].read() or b"null")
        except Exception as error:  # the invocation itself failed: throttled, no permission, timeout...
            problems.append(f"text {number}: invoking {function_arn} failed: {error}")
            continue
        if response.get("FunctionError"):
            problems.append(f"text {number}: the function raised: {json.dumps(payload)[:300]}")
            continue
        problem = problem_with(payload if isinstance(payload, dict) else {}, text, expected)
        if problem:
            problems.append(f"text {number}: {problem}")
    return problems


def run(event: dict[str, Any], lambda_client: Any, codedeploy_client: Any, environ: dict[str, str]) -> str:
    """Checks the version named in `environ` and reports the verdict to CodeDeploy; returns it.

    Any fault of the check itself (a missing or broken setting) is a failure too: only a version that
    answered correctly may take traffic. Reporting comes last and is never skipped; if reporting fails,
    the error propagates and CodeDeploy fails the deployment when the hook times out.
    """
    try:
        problems = check_version(
            lambda_client, environ[TARGET_ENV], Expected.from_json(environ[EXPECTED_ENV])
        )
    except Exception as error:
        problems = [f"the check could not run: {type(error).__name__}: {error}"]
    status = FAILED if problems else SUCCEEDED
    _log(status, event, problems)
    codedeploy_client.put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    return status


def handler(event: dict[str, Any], context: object) -> dict[str, str]:
    """The Lambda entry point CodeDeploy invokes."""
    import boto3  # Lambda's Python runtime provides it

    status = run(event, boto3.client("lambda"), boto3.client("codedeploy"), dict(os.environ))
    return {"status": status}


def _log(status: str, event: dict[str, Any], problems: list[str]) -> None:
    print(json.dumps({"status": status, "deploymentId": event.get("DeploymentId"), "problems": problems}))
