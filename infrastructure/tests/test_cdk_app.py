"""The CDK entry point: context selects stages and settings, and `app.py` synthesizes offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from aws_cdk import App
from infra_support import INFRA_DIR, REPOSITORY, cdk_json_context
from stacks.app_builder import DATA_STACK_NAME, service_stack_name, settings_from_context


def _settings(**context):
    return settings_from_context(App(context=context))


def test_without_context_both_default_stages_are_built_env_agnostic():
    settings = _settings()
    assert [s.stage for s in settings.services] == ["dev", "prod"]
    assert settings.environment is None
    assert settings.data.github.repository is None
    assert all(s.alarms.email is None for s in settings.services)
    # The deploy workflow runs each stage's job in the GitHub environment of that name.
    assert settings.data.github.deploy_environments == ("dev", "prod")


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
    assert settings.tagging.owner == "search-team"
    assert (settings.environment.account, settings.environment.region) == ("123456789012", "eu-west-1")


def test_list_context_from_cdk_json_is_accepted():
    assert [s.stage for s in _settings(stage=["dev"]).services] == ["dev"]


def test_app_py_synthesizes_the_selected_stage_offline(tmp_path: Path):
    """What `cdk synth -c stage=dev` runs: app.py with the context in CDK_CONTEXT_JSON."""
    environment = {
        **os.environ,
        "CDK_OUTDIR": str(tmp_path),
        "CDK_CONTEXT_JSON": json.dumps({**cdk_json_context(), "stage": "dev"}),
    }
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=INFRA_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    stacks = {
        name
        for name, artifact in json.loads((tmp_path / "manifest.json").read_text())["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert stacks == {DATA_STACK_NAME, service_stack_name("dev")}
    assert (tmp_path / "TextClassifier-dev.template.json").is_file()


def test_cdk_json_runs_app_py_with_the_environments_python():
    assert json.loads((INFRA_DIR / "cdk.json").read_text())["app"] == "python3 app.py"


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
