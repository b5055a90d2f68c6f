"""The CDK entry point: context selects stages and settings, and `app.py` synthesizes offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from aws_cdk import App
from infra_support import INFRA_DIR, REPOSITORY, cdk_json_context
from stacks.app_builder import AppSettings, settings_from_context
from stacks.names import DATA_STACK_NAME, service_stack_name
from stacks.settings import SettingsError
from stacks.stages import DEFAULT_STAGES, STAGES


def _settings(**context):
    return settings_from_context(App(context=context))


def test_without_context_both_default_stages_are_built_env_agnostic():
    settings = _settings()
    assert tuple(s.stage for s in settings.services) == DEFAULT_STAGES
    assert settings.environment is None
    assert settings.data.github.repository is None
    assert all(s.alarms.email is None for s in settings.services)
    # The deploy workflow runs each stage's job in the GitHub environment of that name.
    assert settings.data.github.deploy_environments == DEFAULT_STAGES
    # Only a repository that still sends names-only subjects is trusted through them; by default the
    # account's API Gateway logging role is set, as before the switch existed.
    assert settings.data.github.legacy_subjects is False
    assert settings.data.manage_api_gateway_logging_role is True
    # low_concurrency_quota is off: each stage keeps its own concurrency.
    assert [s.function for s in settings.services] == [STAGES[s.stage].function for s in settings.services]


def test_context_selects_stages_and_fills_in_deployment_details():
    settings = _settings(
        stage="prod,alice",
        alarm_email="ops@example.com",
        github_repository=REPOSITORY,
        github_deploy_environments="production, staging",
        owner="search-team",
        account="123456789012",
        region="eu-west-1",
    )
    assert [s.stage for s in settings.services] == ["prod", "alice"]
    assert {s.alarms.email for s in settings.services} == {"ops@example.com"}
    assert settings.data.github.repository == REPOSITORY
    assert settings.data.github.deploy_environments == ("production", "staging")
    assert settings.data.github.identity is None  # the IDs are not known: no CI role yet
    assert settings.tagging.owner == "search-team"
    assert (settings.environment.account, settings.environment.region) == ("123456789012", "eu-west-1")
    assert [s.stage for s in _settings(stage=["dev"]).services] == ["dev"]  # a JSON list, as in cdk.json


def test_context_names_the_repositorys_identity_and_the_account_switches():
    """cdk.json may hold the IDs as JSON numbers; `-c key=value` passes text."""
    for owner_id, repository_id in ((4711, 90210), ("4711", "90210")):
        settings = _settings(
            github_repository=REPOSITORY,
            github_owner_id=owner_id,
            github_repository_id=repository_id,
            github_legacy_subjects="true",
            github_oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            api_gateway_logging_role="false",
        )
        github = settings.data.github
        assert (github.identity.owner_id, github.identity.repository_id) == ("4711", "90210")
        assert github.legacy_subjects is True
        assert github.oidc_provider_arn.endswith(":oidc-provider/token.actions.githubusercontent.com")
        assert settings.data.manage_api_gateway_logging_role is False


@pytest.mark.parametrize("key", ["github_legacy_subjects", "api_gateway_logging_role"])
def test_the_account_switches_refuse_anything_but_true_or_false(key: str):
    with pytest.raises(SettingsError, match=rf"{key}='no': use true or false"):
        _settings(**{key: "no"})


def _uncapped(settings: AppSettings) -> bool:
    """No stage reserves or provisions any concurrency."""
    return all(
        s.function.reserved_concurrency is None and s.function.provisioned_concurrency == 0
        for s in settings.services
    )


@pytest.mark.parametrize("on", [True, "true"])  # cdk.json's JSON boolean; the text `-c key=true` passes
def test_low_concurrency_quota_uncaps_every_stage(on: object):
    settings = _settings(low_concurrency_quota=on, stage="dev,prod,alice")
    assert _uncapped(settings)
    # Nothing but the concurrency differs from each stage's own settings.
    for uncapped, own in zip(settings.services, _settings(stage="dev,prod,alice").services, strict=True):
        concurrency = {
            "reserved_concurrency": own.function.reserved_concurrency,
            "provisioned_concurrency": own.function.provisioned_concurrency,
        }
        assert replace(uncapped, function=replace(uncapped.function, **concurrency)) == own


@pytest.mark.parametrize("off", [False, "false"])
def test_low_concurrency_quota_off_is_the_same_as_absent(off: object):
    assert _settings(low_concurrency_quota=off).services == _settings().services
    assert not _uncapped(_settings(low_concurrency_quota=off))


@pytest.mark.parametrize("value", ["yes", "1", "True", "on", "", " true", 1, ["true"]])
def test_low_concurrency_quota_refuses_anything_but_true_or_false(value: object):
    with pytest.raises(SettingsError, match=r"low_concurrency_quota=.*: use true or false"):
        _settings(low_concurrency_quota=value)


def _run_app_py(tmp_path: Path, **context: object) -> subprocess.CompletedProcess[str]:
    """What `cdk synth -c key=value` runs: app.py with the context in CDK_CONTEXT_JSON."""
    environment = {
        **os.environ,
        "CDK_OUTDIR": str(tmp_path),
        "CDK_CONTEXT_JSON": json.dumps({**cdk_json_context(), **context}),
    }
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=INFRA_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_misspelt_low_concurrency_quota_stops_the_synthesis_and_says_what_is_accepted(tmp_path: Path):
    result = _run_app_py(tmp_path, stage="dev", low_concurrency_quota="yes")
    assert result.returncode != 0
    assert "low_concurrency_quota='yes': use true or false" in result.stderr
    assert not (tmp_path / "manifest.json").exists()


def test_app_py_synthesizes_the_selected_stage_offline(tmp_path: Path):
    """What `cdk synth -c stage=dev` runs."""
    result = _run_app_py(tmp_path, stage="dev")
    assert result.returncode == 0, result.stderr[-3000:]
    stacks = {
        name
        for name, artifact in json.loads((tmp_path / "manifest.json").read_text())["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert stacks == {DATA_STACK_NAME, service_stack_name("dev")}
    assert (tmp_path / "TextClassifier-dev.template.json").is_file()


def test_cdk_cli_does_not_phone_home():
    """Synthesis must work offline: no notices download, no usage telemetry."""
    cdk_json = json.loads((INFRA_DIR / "cdk.json").read_text())
    assert cdk_json["notices"] is False
    assert cdk_json["context"]["cli-telemetry"] is False


def test_cdk_cli_is_pinned_exactly_and_locked():
    package = json.loads((INFRA_DIR / "package.json").read_text())
    lock = json.loads((INFRA_DIR / "package-lock.json").read_text())
    for name, version in package["devDependencies"].items():
        assert version[0].isdigit(), f"{name} must be pinned to an exact version, not {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert package["devDependencies"]["aws-cdk"].startswith("2.")
