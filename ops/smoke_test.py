"""Smoke test of a live service: `make smoke-test STAGE=dev`, or any URL with `make smoke-test URL=...`.

After a deploy, one real request through the real front door proves what synthesis and unit tests cannot:
the route, the API key, the image and the model answer together. It POSTs a known text to `<url>/v1/classify`
and passes only on a 200 whose body names a label and the model version; it prints both, and can append
them with the URL to a markdown summary (a CI job summary).

Where the service is: the stage's CDK outputs, `infrastructure/cdk.out/<stage>-outputs.json` (written by
`make deploy`), give `ServiceUrl` (the stage's custom domain when it has one) and `ApiKeySecretName`;
the key's value is read from that Secrets Manager secret (the one thing about keys the stage's deploy
role may read). `--url` (make: URL=) and the API_KEY environment variable override them; a URL without
a key suits `make serve`. The key is never printed.

    python -m ops.smoke_test [--stage dev] [--url URL] [--summary FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from serving.app.contracts.api import CLASSIFY

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = "infrastructure/cdk.out/{stage}-outputs.json"
STACK = "TextClassifier-{stage}"
# The service stack's outputs read here (infrastructure/stacks/names.py; a test ties the two). The URL is
# the stage's stable one: its custom domain when it has one, else API Gateway's execute-api URL.
URL_OUTPUT = "ServiceUrl"
KEY_SECRET_OUTPUT = "ApiKeySecretName"  # pragma: allowlist secret (an output's name)
KNOWN_TEXT = "The Seattle Seahawks crushed the Cleveland Browns on Thursday 52-7"
# A new deployment's key and routes can take a few seconds to be accepted everywhere: retry the answers
# that mean "not yet" a bounded number of times, never the ones that mean "wrong".
ATTEMPTS = 6
RETRY_SECONDS = 10.0
TRANSIENT_STATUSES = frozenset({403, 429, 500, 502, 503, 504})
REQUEST_TIMEOUT_SECONDS = 30


class SmokeTestError(RuntimeError):
    """The service is unreachable or answered wrongly; the message says what came back."""


@dataclass(frozen=True)
class Target:
    url: str
    api_key: str | None


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer at all (connection refused, DNS, timeout)
    body: object
    error: str = ""


@dataclass(frozen=True)
class Success:
    label: str
    version: str
    attempts: int


def stage_outputs(stage: str, root: Path = REPO_ROOT) -> dict:
    """The stack outputs `make deploy STAGE=<stage>` wrote: {"ServiceUrl": ..., "ApiKeySecretName": ...}."""
    path = root / OUTPUTS.format(stage=stage)
    if not path.is_file():
        raise SmokeTestError(
            f"{path.relative_to(root)} not found: deploy first (make deploy STAGE={stage}), "
            "or name the service with URL=... (and API_KEY=... if it needs one)"
        )
    outputs = json.loads(path.read_text(encoding="utf-8"))
    stack = STACK.format(stage=stage)
    if stack not in outputs or URL_OUTPUT not in outputs[stack]:
        raise SmokeTestError(f"{path.relative_to(root)} has no {URL_OUTPUT} output of stack {stack}")
    return outputs[stack]


def api_key_value(secret_name: str) -> str:
    """The API key's value, read from the stage's secret with the caller's AWS credentials."""
    command = ["aws", "secretsmanager", "get-secret-value", "--secret-id", secret_name]
    command += ["--query", "SecretString", "--output", "text"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise SmokeTestError("the AWS CLI (aws) is needed to read the stage's API key") from exc
    if result.returncode != 0:
        raise SmokeTestError(f"could not read the API key secret {secret_name}: {result.stderr.strip()}")
    return result.stdout.strip()


def resolve_target(
    stage: str,
    url: str | None,
    api_key: str | None,
    root: Path = REPO_ROOT,
    fetch_key: Callable[[str], str] = api_key_value,
) -> Target:
    """Where to send the request: an explicit URL (with the given key, if any) or the stage's outputs."""
    if url:
        return Target(url, api_key or None)
    outputs = stage_outputs(stage, root)
    secret_name = outputs.get(KEY_SECRET_OUTPUT)
    key = api_key or (fetch_key(secret_name) if secret_name else None)
    return Target(outputs[URL_OUTPUT], key)


def classify(target: Target, text: str = KNOWN_TEXT) -> Answer:
    """One POST to the classify route; every outcome (success, HTTP error, no answer) becomes an Answer."""
    request = urllib.request.Request(
        target.url.rstrip("/") + CLASSIFY,
        data=json.dumps({"text": text}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    if target.api_key:
        request.add_header("x-api-key", target.api_key)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            return Answer(response.status, _json_or_text(response.read()))
    except urllib.error.HTTPError as error:
        return Answer(error.code, _json_or_text(error.read()))
    except (urllib.error.URLError, OSError) as error:
        return Answer(None, None, str(getattr(error, "reason", error)))


def _json_or_text(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")[:500]


def verdict(answer: Answer) -> tuple[str, str]:
    """(label, model version) of a good answer; raises SmokeTestError saying what is wrong otherwise."""
    if answer.status is None:
        raise SmokeTestError(f"no answer: {answer.error}")
    if answer.status != 200:
        raise SmokeTestError(f"HTTP {answer.status}: {json.dumps(answer.body)[:500]}")
    body = answer.body if isinstance(answer.body, dict) else {}
    label = body.get("label")
    version = (body.get("model") or {}).get("version")
    if not isinstance(label, str) or not label or not isinstance(version, str):
        raise SmokeTestError(f"HTTP 200 without a label and a model version: {json.dumps(answer.body)[:500]}")
    return label, version


def smoke_test(
    target: Target,
    attempts: int = ATTEMPTS,
    retry_seconds: float = RETRY_SECONDS,
    send: Callable[[Target], Answer] = classify,
    sleep: Callable[[float], None] = time.sleep,
) -> Success:
    """Asks until a good answer, retrying only transient failures, at most `attempts` times in all."""
    attempt = 1
    while True:
        answer = send(target)
        try:
            label, version = verdict(answer)
        except SmokeTestError as exc:
            transient = answer.status is None or answer.status in TRANSIENT_STATUSES
            if not transient or attempt >= attempts:
                raise SmokeTestError(f"{exc} (attempt {attempt} of {attempts})") from None
            print(f"smoke test: attempt {attempt}: {exc}; retrying in {retry_seconds:g} s", file=sys.stderr)
            sleep(retry_seconds)
            attempt += 1
            continue
        return Success(label, version, attempt)


def summary_markdown(name: str, target: Target, success: Success) -> str:
    return (
        f"### Smoke test: {name}\n\n"
        "| | |\n|---|---|\n"
        f"| URL | {target.url} |\n"
        f"| model version | `{success.version}` |\n"
        f"| answer | HTTP 200, label `{success.label}` |\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default="dev", help="the deployed stage whose outputs name the service")
    parser.add_argument("--url", help="the service's base URL instead (e.g. http://127.0.0.1:3000)")
    parser.add_argument("--summary", type=Path, help="append a markdown summary to this file")
    args = parser.parse_args(argv)
    try:
        target = resolve_target(args.stage, args.url, os.environ.get("API_KEY"))
        print(f"smoke test: POST {target.url.rstrip('/')}{CLASSIFY}", file=sys.stderr)
        success = smoke_test(target)
    except SmokeTestError as exc:
        print(f"smoke test: FAIL: {exc}", file=sys.stderr)
        return 1
    print(f"smoke test: PASS: label {success.label!r}, model version {success.version}, url {target.url}")
    if args.summary:
        with args.summary.open("a", encoding="utf-8") as summary:
            name = "URL" if args.url else f"stage `{args.stage}`"
            summary.write(summary_markdown(name, target, success))
    return 0


if __name__ == "__main__":
    sys.exit(main())
