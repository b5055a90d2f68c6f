"""`make bootstrap`'s decisions (account_setup), with a fake in place of `gh` and `aws`.

The fake answers exactly the commands a test expects, as the real tools print them, and fails any other:
so each test also says which calls the setup makes, and that it makes none when a setting answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from account_setup import account_switches, github_identity
from account_setup.__main__ import main
from account_setup.commands import CommandFailed, SetupError
from account_setup.execution_policy import template
from account_setup.github_variables import (
    ENVIRONMENT_VARIABLE,
    REPOSITORY_VARIABLES,
    github_variable_commands,
)
from infra_support import INFRA_DIR, OWNER_ID, REPOSITORY, REPOSITORY_ID
from stacks.names import CDK_BOOTSTRAP_QUALIFIER, DATA_STACK_NAME, deploy_role_output

OWNER, NAME = REPOSITORY.split("/")
IDS = ("gh", "api", f"repos/{REPOSITORY}", "--jq", ".owner.id, .id")
SUBJECT = ("gh", "api", f"repos/{REPOSITORY}/actions/oidc/customization/sub")
STACK = (
    "aws",
    "cloudformation",
    "describe-stack-resources",
    "--stack-name",
    DATA_STACK_NAME,
    "--output",
    "json",
)
PROVIDERS = ("aws", "iam", "list-open-id-connect-providers", "--output", "json")
APIGATEWAY = ("aws", "apigateway", "get-account", "--output", "json")
PROVIDER_ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
PROVIDER = (
    "aws",
    "iam",
    "get-open-id-connect-provider",
    "--open-id-connect-provider-arn",
    PROVIDER_ARN,
    "--output",
    "json",
)
ROLE_ARN = "arn:aws:iam::123456789012:role/ApiGatewayCloudWatchLogs"


class Fake:
    """Answers each expected command with its output (text or JSON) or raises its CommandFailed."""

    def __init__(self, answers: dict[tuple[str, ...], object]):
        self.answers, self.calls = answers, []

    def __call__(self, command: list[str]) -> str:
        self.calls.append(tuple(command))
        answer = self.answers[tuple(command)]
        if isinstance(answer, CommandFailed):
            raise answer
        return answer if isinstance(answer, str) else json.dumps(answer)


def _immutable(**extra: object) -> dict[str, object]:
    prefix = f"repo:{OWNER}@{OWNER_ID}/{NAME}@{REPOSITORY_ID}"
    return {"use_default": True, "use_immutable_subject": True, "sub_claim_prefix": prefix, **extra}


# --- the repository's identity ------------------------------------------------------------------------


def test_gh_finds_the_ids_and_the_subject_format():
    fake = Fake({IDS: f"{OWNER_ID}\n{REPOSITORY_ID}\n", SUBJECT: _immutable()})
    identity = github_identity.find_identity(REPOSITORY, {}, fake)
    assert identity.context() == [
        f"github_repository={REPOSITORY}",
        f"github_owner_id={OWNER_ID}",
        f"github_repository_id={REPOSITORY_ID}",
        "github_legacy_subjects=false",
    ]
    assert fake.calls == [IDS, SUBJECT]


def test_a_repository_that_still_sends_names_only_subjects_is_trusted_through_them_too():
    fake = Fake(
        {
            IDS: f"{OWNER_ID}\n{REPOSITORY_ID}\n",
            SUBJECT: {"use_default": True, "use_immutable_subject": False},
        }
    )
    assert github_identity.find_identity(REPOSITORY, {}, fake).legacy_subjects is True


def test_settings_in_the_environment_are_used_without_asking_github():
    """GitHub Actions sets GITHUB_REPOSITORY_OWNER_ID and GITHUB_REPOSITORY_ID itself."""
    environ = {"GITHUB_REPOSITORY_OWNER_ID": OWNER_ID, "GITHUB_REPOSITORY_ID": REPOSITORY_ID}
    fake = Fake({})
    identity = github_identity.find_identity(REPOSITORY, {**environ, "GITHUB_LEGACY_SUBJECTS": "true"}, fake)
    assert (identity.repository.owner_id, identity.legacy_subjects) == (OWNER_ID, True)
    assert fake.calls == []


@pytest.mark.parametrize(
    "failure", [CommandFailed("gh is not installed", missing=True), CommandFailed("gh auth login required")]
)
def test_without_gh_the_setup_stops_with_the_commands_that_find_the_ids(failure: CommandFailed):
    with pytest.raises(SetupError) as stopped:
        github_identity.find_identity(REPOSITORY, {}, Fake({IDS: failure}))
    message = str(stopped.value)
    assert f"gh api repos/{REPOSITORY} --jq '.owner.id, .id'" in message
    assert f"curl -s https://api.github.com/repos/{REPOSITORY} | jq '.owner.id, .id'" in message
    assert "GITHUB_REPOSITORY_OWNER_ID=<first> GITHUB_REPOSITORY_ID=<second>" in message
    assert str(failure) in message


@pytest.mark.parametrize(
    "environ",
    [
        {"GITHUB_REPOSITORY_OWNER_ID": OWNER_ID},
        {"GITHUB_REPOSITORY_OWNER_ID": "acme", "GITHUB_REPOSITORY_ID": REPOSITORY_ID},
        {"GITHUB_REPOSITORY_OWNER_ID": OWNER_ID, "GITHUB_REPOSITORY_ID": "*"},
    ],
)
def test_ids_that_are_not_both_numbers_are_refused(environ: dict[str, str]):
    with pytest.raises(SetupError, match="gh api repos/"):
        github_identity.find_identity(REPOSITORY, {**environ, "GITHUB_LEGACY_SUBJECTS": "false"}, Fake({}))


def test_when_the_subject_format_cannot_be_read_the_setup_says_how_to_choose():
    fake = Fake(
        {IDS: f"{OWNER_ID}\n{REPOSITORY_ID}\n", SUBJECT: CommandFailed("HTTP 403: Resource not accessible")}
    )
    with pytest.raises(SetupError) as stopped:
        github_identity.find_identity(REPOSITORY, {}, fake)
    assert "HTTP 403" in str(stopped.value)
    assert "GITHUB_LEGACY_SUBJECTS=false" in str(stopped.value) and "2026-07-15" in str(stopped.value)


def test_a_customized_subject_template_is_refused_with_the_command_that_resets_it():
    custom = {"use_default": False, "include_claim_keys": ["repo", "context", "job_workflow_ref"]}
    fake = Fake({IDS: f"{OWNER_ID}\n{REPOSITORY_ID}\n", SUBJECT: custom})
    with pytest.raises(SetupError, match="use_default=true"):
        github_identity.find_identity(REPOSITORY, {}, fake)


def test_a_prefix_github_reports_for_other_ids_is_refused():
    """The IDs given (say, by hand) must be the ones GitHub writes into this repository's tokens."""
    other = _immutable(sub_claim_prefix=f"repo:{OWNER}@{OWNER_ID}/{NAME}@1")
    fake = Fake({IDS: f"{OWNER_ID}\n{REPOSITORY_ID}\n", SUBJECT: other})
    with pytest.raises(SetupError, match="check GITHUB_REPOSITORY and the IDs"):
        github_identity.find_identity(REPOSITORY, {}, fake)


# --- the account's OIDC provider and API Gateway logging role -------------------------------------------


def test_no_stack_yet_means_the_data_stack_owns_nothing():
    missing = CommandFailed(
        f"An error occurred (ValidationError): Stack with id {DATA_STACK_NAME} does not exist"
    )
    assert account_switches.data_stack_resources(Fake({STACK: missing})) == {}
    found = {
        "StackResources": [{"ResourceType": "AWS::IAM::OIDCProvider", "PhysicalResourceId": PROVIDER_ARN}]
    }
    assert account_switches.data_stack_resources(Fake({STACK: found})) == {
        "AWS::IAM::OIDCProvider": {PROVIDER_ARN}
    }


def test_an_account_without_a_github_provider_gets_the_data_stacks_own():
    fake = Fake(
        {PROVIDERS: {"OpenIDConnectProviderList": [{"Arn": "arn:aws:iam::1:oidc-provider/example.com"}]}}
    )
    assert account_switches.oidc_provider_context({}, {}, fake) == []


def test_the_data_stacks_own_provider_is_kept():
    fake = Fake({PROVIDERS: {"OpenIDConnectProviderList": [{"Arn": PROVIDER_ARN}]}})
    assert account_switches.oidc_provider_context({}, {"AWS::IAM::OIDCProvider": {PROVIDER_ARN}}, fake) == []


def test_an_existing_provider_of_the_account_is_used_instead_of_a_second_one(capsys):
    fake = Fake(
        {
            PROVIDERS: {"OpenIDConnectProviderList": [{"Arn": PROVIDER_ARN}]},
            PROVIDER: {"ClientIDList": ["sts.amazonaws.com"], "Url": "token.actions.githubusercontent.com"},
        }
    )
    assert account_switches.oidc_provider_context({}, {}, fake) == [
        f"github_oidc_provider_arn={PROVIDER_ARN}"
    ]
    assert "GITHUB_OIDC_PROVIDER_ARN" in capsys.readouterr().err


def test_an_existing_provider_without_the_sts_audience_stops_with_the_fix():
    fake = Fake(
        {
            PROVIDERS: {"OpenIDConnectProviderList": [{"Arn": PROVIDER_ARN}]},
            PROVIDER: {"ClientIDList": ["other"]},
        }
    )
    with pytest.raises(SetupError, match="aws iam add-client-id-to-open-id-connect-provider"):
        account_switches.oidc_provider_context({}, {}, fake)


def test_a_provider_named_by_the_switch_is_used_without_asking():
    fake = Fake({})
    environ = {"GITHUB_OIDC_PROVIDER_ARN": PROVIDER_ARN}
    assert account_switches.oidc_provider_context(environ, {}, fake) == [
        f"github_oidc_provider_arn={PROVIDER_ARN}"
    ]
    assert fake.calls == []


@pytest.mark.parametrize(
    ("account", "owned", "expected"),
    [
        ({}, {}, ["api_gateway_logging_role=true"]),  # no role yet: the data stack sets one
        (
            {"cloudwatchRoleArn": ROLE_ARN},
            {"AWS::IAM::Role": {"ApiGatewayCloudWatchLogs"}},
            ["api_gateway_logging_role=true"],
        ),
    ],
)
def test_the_logging_role_is_set_where_the_account_has_none_or_it_is_ours(account, owned, expected):
    assert account_switches.logging_role_context({}, owned, Fake({APIGATEWAY: account})) == expected


def test_someone_elses_logging_role_stops_the_setup_and_names_the_switch():
    with pytest.raises(SetupError) as stopped:
        account_switches.logging_role_context({}, {}, Fake({APIGATEWAY: {"cloudwatchRoleArn": ROLE_ARN}}))
    assert ROLE_ARN in str(stopped.value)
    assert "API_GATEWAY_LOGGING_ROLE=false" in str(stopped.value) and "API_GATEWAY_LOGGING_ROLE=true" in str(
        stopped.value
    )


@pytest.mark.parametrize("switch", ["false", "true"])
def test_the_switch_decides_when_the_account_has_a_role(switch: str):
    fake = Fake({APIGATEWAY: {"cloudwatchRoleArn": ROLE_ARN}})
    environ = {"API_GATEWAY_LOGGING_ROLE": switch}
    assert account_switches.logging_role_context(environ, {}, fake) == [f"api_gateway_logging_role={switch}"]


def test_leaving_alone_a_role_that_does_not_exist_is_refused():
    with pytest.raises(SetupError, match="cannot deploy without one"):
        account_switches.logging_role_context(
            {"API_GATEWAY_LOGGING_ROLE": "false"}, {}, Fake({APIGATEWAY: {}})
        )


# --- what the team sets in GitHub, and the policy's template ----------------------------------------------


def test_the_github_variables_come_from_the_data_stacks_outputs():
    stages = ("dev", "prod")
    values = {output: f"arn:aws:iam::123456789012:role/{output}" for output in REPOSITORY_VARIABLES}
    values |= {
        deploy_role_output(stage): f"arn:aws:iam::123456789012:role/deploy-{stage}" for stage in stages
    }
    lines = github_variable_commands({DATA_STACK_NAME: values}, stages, "eu-west-1")
    assert "  gh variable set AWS_REGION --body eu-west-1" in lines
    assert "  gh variable set AWS_READ_ROLE_ARN --body arn:aws:iam::123456789012:role/ReadRoleArn" in lines
    assert "  gh variable set AWS_TRAIN_ROLE_ARN --body arn:aws:iam::123456789012:role/TrainRoleArn" in lines
    for stage in stages:
        arn = f"arn:aws:iam::123456789012:role/deploy-{stage}"
        assert f"  gh variable set {ENVIRONMENT_VARIABLE} --env {stage} --body {arn}" in lines
    with pytest.raises(SetupError, match="no CI roles"):
        github_variable_commands({DATA_STACK_NAME: {"DvcRemoteUrl": "s3://bucket/dvc"}}, stages, "eu-west-1")


def test_the_cli_writes_the_execution_policys_template(tmp_path: Path):
    path = tmp_path / "policy" / "execution-policy.template.json"
    assert main(["execution-policy-template", str(path)]) == 0
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(
        json.dumps(template(CDK_BOOTSTRAP_QUALIFIER))
    )


# --- the command as make bootstrap runs it, with stand-ins for gh and aws on PATH ---------------------------

_STAND_IN = """#!{python}
import json, sys
answers = json.load(open({answers!r}))
key = " ".join(sys.argv)
for command, answer in answers.items():
    if key.endswith(command):
        if answer is None:
            print("An error occurred: Stack with id TextClassifier-Data does not exist", file=sys.stderr)
            sys.exit(254)
        print(answer if isinstance(answer, str) else json.dumps(answer))
        sys.exit(0)
print(f"unexpected command: {{key}}", file=sys.stderr)
sys.exit(1)
"""


def _run_setup(tmp_path: Path, answers: dict[tuple[str, ...], object]) -> subprocess.CompletedProcess[str]:
    """`python -m account_setup data-stack-context`, with `gh` and `aws` answering from `answers` (and no
    setting in the environment)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(
        json.dumps({" ".join(command[1:]): answer for command, answer in answers.items()})
    )
    for tool in ("gh", "aws"):
        script = bin_dir / tool
        script.write_text(_STAND_IN.format(python=sys.executable, answers=str(answers_file)))
        script.chmod(0o755)
    settings = ("GITHUB_REPOSITORY_OWNER_ID", "GITHUB_REPOSITORY_ID", "GITHUB_LEGACY_SUBJECTS")
    env = {name: value for name, value in os.environ.items() if name not in settings}
    env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        [sys.executable, "-m", "account_setup", "data-stack-context", "--repository", REPOSITORY],
        cwd=INFRA_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_data_stack_context_as_make_bootstrap_reads_it(tmp_path: Path):
    answers = {
        IDS: f"{OWNER_ID}\n{REPOSITORY_ID}",
        SUBJECT: _immutable(),
        STACK: None,  # a first bootstrap: the data stack does not exist yet
        PROVIDERS: {"OpenIDConnectProviderList": [{"Arn": PROVIDER_ARN}]},
        PROVIDER: {"ClientIDList": ["sts.amazonaws.com"]},
        APIGATEWAY: {},
    }
    result = _run_setup(tmp_path, answers)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        *("-c", f"github_repository={REPOSITORY}", "-c", f"github_owner_id={OWNER_ID}"),
        *("-c", f"github_repository_id={REPOSITORY_ID}", "-c", "github_legacy_subjects=false"),
        *("-c", f"github_oidc_provider_arn={PROVIDER_ARN}", "-c", "api_gateway_logging_role=true"),
    ]


def test_a_decision_the_setup_cannot_take_stops_make_bootstrap(tmp_path: Path):
    result = _run_setup(tmp_path, {})  # gh answers nothing: the IDs are unknown
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("make bootstrap: Could not ask GitHub for the IDs")


@pytest.mark.parametrize("path", ["docs/deploying.md", "Makefile"])
def test_make_bootstrap_and_the_deploy_guide_name_both_account_switches(path: str):
    text = (INFRA_DIR.parent / path).read_text(encoding="utf-8")
    for switch in (account_switches.OIDC_PROVIDER_ENV, account_switches.LOGGING_ROLE_ENV):
        assert switch in text, switch
    if path.endswith(".md"):
        assert "`github_oidc_provider_arn`" in text and "`api_gateway_logging_role`" in text
