"""The pre-traffic hook: a small function CodeDeploy runs before it moves any traffic to a new version.

What the new version must answer is computed here, at synthesis, from one source: the model artifact in
the image's build context (`data/model.json`, `data/model.npz`) run through the serving code itself (the
handler the Dockerfile's CMD names), on the same API Gateway events the hook will send. The answers (the
label of each known text, and the model version) go into the hook's environment; the hook
(`pre_traffic_hook/hook.py`) then requires the deployed version to give exactly those answers. So a
version whose image lacks the model, carries another one, or cannot serve, never takes traffic.

The one coupling to the serving code is `handler_answers`: it runs the image's handler from the build
context, whose files are laid out as in the image's task root. If the serving code moves, that function
(and the Dockerfile's CMD) is the one place to follow it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from aws_cdk import Annotations, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from pre_traffic_hook.hook import EXPECTED_ENV, TARGET_ENV, Expected, classify_event
from stacks.settings import SettingsError

from infra_constructs.checkov_skips import skip_check

HOOK_DIRECTORY = Path(__file__).resolve().parents[1] / "pre_traffic_hook"
HOOK_HANDLER = "hook.handler"
MANIFEST = Path("data") / "model.json"
# Texts on topics far apart, so that a model that answers one label for everything, or another model,
# gives at least one different answer. Their labels are not written here: the model decides them.
PROBE_TEXTS = (
    "The Seattle Seahawks crushed the Cleveland Browns on Thursday 52-7",
    "NASA launched a new probe to study the sun and the solar wind",
    "My doctor says the new medication lowers blood pressure",
    "The graphics card driver crashes when I open a window on Linux",
)
RUN_SECONDS = 120
# A known text whose two best classes are closer than this is left out of the check: its label could
# differ between machines by rounding alone, which says nothing about the version.
NEAR_TIE = 1e-6


class PreTrafficHook(Construct):
    """The hook function: may invoke `version` and nothing else, and reports to CodeDeploy (the deployment
    group grants it `codedeploy:PutLifecycleEventHookExecutionStatus` on itself)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        version: lambda_.IVersion,
        image_directory: Path,
        function_timeout_seconds: int,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        expected, problem = expected_answers(image_directory)
        if problem:
            Annotations.of(self).add_warning_v2(
                "text-classifier:no-pre-traffic-answers",
                f"{problem}: the pre-traffic hook has no known answers and fails every deployment.",
            )
        self.log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Pre-traffic hook: invokes the version being deployed, reports to CodeDeploy.",
        )
        self.log_group.grant_write(role)
        role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeTheNewVersionOnly",
                actions=["lambda:InvokeFunction"],
                resources=[version.function_arn],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="CodeDeploy BeforeAllowTraffic: the new version must answer known texts as built",
            # The newest Python runtime (cdk-nag's L1); the hook is plain Python 3.12+ with boto3 only.
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            handler=HOOK_HANDLER,
            code=lambda_.Code.from_asset(str(HOOK_DIRECTORY), exclude=["__pycache__", "*.pyc"]),
            role=role,
            memory_size=256,
            # One invocation per text, each of which may wait for the new version's cold start.
            timeout=Duration.seconds(function_timeout_seconds * (len(PROBE_TEXTS) + 1)),
            log_group=self.log_group,
            environment={
                TARGET_ENV: version.function_arn,
                EXPECTED_ENV: (expected or Expected("", {})).to_json(),
            },
        )
        self._acknowledge_checkov_findings()

    def _acknowledge_checkov_findings(self) -> None:
        skip_check(
            self.function,
            "CKV_AWS_116",
            "CodeDeploy invokes the hook and waits for the status it reports; a failed run already fails "
            "the deployment (no status means a timeout, which fails it too), so a dead-letter queue would "
            "hold nothing anyone acts on.",
        )
        skip_check(
            self.function,
            "CKV_AWS_117",
            "The hook calls two AWS APIs (Lambda Invoke, CodeDeploy) and nothing private: a VPC would add "
            "ENIs and NAT or endpoint costs without narrowing what it can reach.",
        )
        skip_check(
            self.function,
            "CKV_AWS_173",
            "The environment holds the version's ARN and the known texts with their labels, no secret; "
            "Lambda encrypts it at rest with its own key.",
        )
        skip_check(
            self.function,
            "CKV_AWS_115",
            "CodeDeploy invokes the hook once per deployment; reserving concurrency for it would take from "
            "the account's unreserved pool (which new accounts cannot spare) to bound what cannot grow.",
        )
        skip_check(
            self.log_group,
            "CKV_AWS_158",
            "CloudWatch Logs already encrypts the hook's log at rest; it holds verdicts and the known texts' "
            "numbers, no customer data, so a customer-managed KMS key would add cost only.",
        )


def expected_answers(image_directory: Path) -> tuple[Expected | None, str | None]:
    """(what the version built from `image_directory` must answer, None) or (None, why it is unknown)."""
    manifest = image_directory / MANIFEST
    if not manifest.is_file():
        return None, f"{manifest} not found"
    try:
        return _cached_answers(image_directory, hashlib.sha256(manifest.read_bytes()).hexdigest()), None
    except SettingsError as error:
        return None, str(error)


@functools.lru_cache(maxsize=8)
def _cached_answers(image_directory: Path, manifest_sha256: str) -> Expected:
    """Synthesizing several stages (and the tests) runs the serving code once per model."""
    events = [classify_event(text, number) for number, text in enumerate(PROBE_TEXTS)]
    answers = handler_answers(image_directory, events)
    labels, versions = {}, set()
    for text, answer in zip(PROBE_TEXTS, answers, strict=True):
        body = json.loads(answer.get("body") or "null") if answer.get("statusCode") == 200 else None
        if not isinstance(body, dict) or not isinstance(body.get("label"), str):
            raise SettingsError(
                f"the serving handler in {image_directory} answered {json.dumps(answer)[:300]}"
            )
        versions.add((body.get("model") or {}).get("version"))
        if _clear(body):
            labels[text] = body["label"]
    if not labels:
        raise SettingsError(
            f"the model in {image_directory} gives none of the known texts a clear label (the two best "
            f"classes of each are within {NEAR_TIE} of each other)"
        )
    if len(versions) != 1:
        raise SettingsError(
            f"the serving handler in {image_directory} reported model versions {sorted(map(str, versions))}"
        )
    (version,) = versions
    manifest_version = json.loads((image_directory / MANIFEST).read_text(encoding="utf-8")).get("version")
    if version != manifest_version:
        raise SettingsError(
            f"the serving handler reports model version {version!r}, {MANIFEST} {manifest_version!r}"
        )
    return Expected(version, labels)


def _clear(body: dict) -> bool:
    """Whether the label's lead over the next class is wide enough that no difference in floating-point
    rounding between the machine that synthesizes (x86-64, say) and Lambda's (arm64) can change it."""
    scores = sorted((s for s in (body.get("scores") or {}).values() if isinstance(s, float)), reverse=True)
    return len(scores) < 2 or scores[0] - scores[1] >= NEAR_TIE


# Runs in a fresh interpreter whose working directory is the build context (so its modules import as in
# the image's task root); the answers go to a file, since the handler writes its metrics to stdout.
_RUNNER = """
import importlib, json, sys
handler_path, events_file, answers_file = sys.argv[1:4]
module, function = handler_path.rsplit(".", 1)
handler = getattr(importlib.import_module(module), function)
with open(events_file, encoding="utf-8") as source:
    events = json.load(source)
with open(answers_file, "w", encoding="utf-8") as target:
    json.dump([handler(event, None) for event in events], target)
"""


def handler_answers(image_directory: Path, events: list[dict]) -> list[dict]:
    """The image's handler's answers to `events`, run from the build context with its model (`data/`).

    No bytecode is written into the build context, so synthesizing leaves the image's inputs unchanged.
    """
    handler = image_handler(image_directory / "Dockerfile")
    with tempfile.TemporaryDirectory() as scratch:
        events_file, answers_file = Path(scratch, "events.json"), Path(scratch, "answers.json")
        events_file.write_text(json.dumps(events), encoding="utf-8")
        environment = {
            **os.environ,
            "MODEL_DIR": str(image_directory / "data"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        result = subprocess.run(
            [sys.executable, "-c", _RUNNER, handler, str(events_file), str(answers_file)],
            cwd=image_directory,
            env=environment,
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS,
            check=False,
        )
        if result.returncode != 0:
            raise SettingsError(
                f"the serving handler {handler} failed in {image_directory}: {result.stderr[-1500:]}"
            )
        return json.loads(answers_file.read_text(encoding="utf-8"))


def image_handler(dockerfile: Path) -> str:
    """The handler (`module.function`) the image runs: its Dockerfile's CMD, in the exec form Lambda uses."""
    commands = re.findall(r"^\s*CMD\s+(.+?)\s*$", dockerfile.read_text(encoding="utf-8"), re.MULTILINE)
    try:
        (handler,) = json.loads(commands[-1])
    except (IndexError, ValueError) as error:
        raise SettingsError(
            f'{dockerfile}: expected a CMD naming the handler, e.g. CMD ["handler.lambda_handler"]'
        ) from error
    return handler
