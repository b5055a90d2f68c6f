"""Settings refuse what cannot be deployed (each refusal a SettingsError saying what to change)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import get_args

import pytest
from infra_constructs.gradual_deployment import deployment_config
from infra_constructs.serving_api import load_request_schema
from infra_support import ALARM_EMAIL
from stacks.settings import (
    AlarmSettings,
    ApiSettings,
    DataSettings,
    FunctionSettings,
    GitHubSettings,
    ServiceSettings,
    SettingsError,
    TrafficShift,
)
from stacks.stages import STAGES, service_settings


@pytest.mark.parametrize(
    "make",
    [
        lambda: FunctionSettings(architecture="arm"),
        lambda: ServiceSettings(stage="dev", traffic_shift="CANARY_50_PERCENT_1_MINUTE"),
        lambda: FunctionSettings(timeout_seconds=29),
        lambda: FunctionSettings(timeout_seconds=0),
        lambda: FunctionSettings(memory_mb=64),
        lambda: FunctionSettings(memory_mb=10241),
        lambda: FunctionSettings(reserved_concurrency=2, provisioned_concurrency=3),
        lambda: FunctionSettings(reserved_concurrency=0),
        lambda: FunctionSettings(provisioned_concurrency=-1),
        lambda: ApiSettings(key_rate_limit=100, stage_rate_limit=50),
        lambda: ApiSettings(key_quota_per_day=0),
        lambda: AlarmSettings(server_error_rate=1.5),
        lambda: AlarmSettings(datapoints_to_alarm=4, evaluation_periods=3),
        lambda: AlarmSettings(period_seconds=45),
        lambda: AlarmSettings(email="not-an-address"),
        lambda: ServiceSettings(stage="Prod"),
        lambda: ServiceSettings(stage="a" * 21),
        lambda: GitHubSettings(repository="acme/*"),
        lambda: GitHubSettings(repository="acme"),
        lambda: GitHubSettings(repository="acme/repo:ref:refs/heads/main"),
        lambda: GitHubSettings(repository="acme/repo", deploy_environments=("prod*",)),
        lambda: GitHubSettings(repository="acme/repo", deploy_environments=("Production",)),
        lambda: GitHubSettings(repository="acme/repo", owner_id="4711", repository_id="*"),
        lambda: GitHubSettings(repository="acme/repo", owner_id="47a1", repository_id="90210"),
        lambda: GitHubSettings(repository="acme/repo", owner_id="0", repository_id="90210"),
        lambda: GitHubSettings(repository="acme/repo", owner_id="4711 ", repository_id="90210"),
        lambda: GitHubSettings(repository="acme/repo", owner_id="4711"),
        lambda: GitHubSettings(owner_id="4711", repository_id="90210"),
        lambda: GitHubSettings(repository="acme/repo", deploy_branch="release/*"),
        lambda: GitHubSettings(oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/example.com"),
        lambda: DataSettings(dvc_prefix="/dvc"),
        lambda: DataSettings(cdk_bootstrap_qualifier="Not-Valid"),
    ],
)
def test_undeployable_settings_are_refused(make):
    with pytest.raises(SettingsError):
        make()


def test_deployable_edge_values_are_accepted():
    assert FunctionSettings(timeout_seconds=28, reserved_concurrency=None, provisioned_concurrency=3)
    assert GitHubSettings(repository="acme-ml/text.classifier_v2", deploy_environments=("production",))
    github = GitHubSettings(
        repository="acme-ml/text.classifier_v2", owner_id="1", repository_id="99999999999"
    )
    assert github.identity is not None and github.identity.repository_id == "99999999999"
    assert AlarmSettings(period_seconds=300, email=ALARM_EMAIL)


def test_prod_is_warm_gradual_traced_and_protected():
    """What prod is for, whatever its sizes: no cold start, canary/linear deploys, X-Ray, no deletion."""
    prod = STAGES["prod"]
    assert prod.function.provisioned_concurrency >= 1
    assert prod.traffic_shift.startswith(("CANARY", "LINEAR"))
    assert prod.tracing and prod.termination_protection


def test_an_unknown_stage_gets_dev_settings_under_its_own_name():
    alice = service_settings("alice")
    assert alice.stage == "alice"
    assert alice.telemetry.namespace == "TextClassifier/alice"
    assert replace(alice, stage="dev", telemetry=STAGES["dev"].telemetry) == STAGES["dev"]


def test_alarm_email_is_filled_in_without_touching_the_rest():
    prod = service_settings("prod", alarm_email=ALARM_EMAIL)
    assert prod.alarms.email == ALARM_EMAIL
    assert replace(prod, alarms=replace(prod.alarms, email=None)) == STAGES["prod"]


@pytest.mark.parametrize("name", get_args(TrafficShift))
def test_every_traffic_shift_names_a_codedeploy_configuration(name: str):
    assert deployment_config(name).deployment_config_name.startswith("CodeDeployDefault.Lambda")


def test_missing_openapi_document_says_what_to_do(tmp_path: Path):
    with pytest.raises(SettingsError, match=r"openapi\.json is missing.*ClassifyRequest"):
        load_request_schema(tmp_path / "openapi.json")


def _document_with(request_schema: object) -> dict:
    return {"openapi": "3.0.3", "components": {"schemas": {"ClassifyRequestBody": request_schema}}}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps([]), "'object'"),
        (json.dumps({"openapi": "3.0.3", "paths": {}}), r"components\.schemas\.ClassifyRequest"),
        (json.dumps({"components": {"schemas": []}}), r"components\.schemas\.ClassifyRequest"),
        (json.dumps(_document_with({"type": "array"})), "'object'"),
        (
            json.dumps(_document_with({"type": "object", "properties": {"text": {"$ref": "#/x"}}})),
            r"\$ref",
        ),
    ],
)
def test_broken_request_schema_is_refused(tmp_path: Path, content: str, reason: str):
    path = tmp_path / "openapi.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=reason):
        load_request_schema(path)
