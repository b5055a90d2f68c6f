"""Service settings other than the stages' own: CORS on, API key off, x86_64, another schema, and an
account whose Lambda concurrency quota is too low to reserve any (`low_concurrency_quota`)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template
from infra_constructs.serving_api import ROUTES
from infra_constructs.serving_function import MODEL_FILES, ServingFunction
from infra_support import TAGGING, Service, new_app, only, resources, serving_function
from stacks.app_builder import register_nag
from stacks.service_stack import ServiceStack
from stacks.settings import OPENAPI_DOCUMENT, ServiceSettings, SettingsError
from stacks.stages import service_settings

ORIGIN = "https://classifier.example.com"


@pytest.fixture(scope="module")
def image_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny stand-in for serving/app: these tests are about the API, not the image's contents."""
    return _image_dir(tmp_path_factory.mktemp("image"), MODEL_FILES)


def _image_dir(root: Path, model_files: tuple[str, ...]) -> Path:
    image_dir = root / "app"
    (image_dir / "data").mkdir(parents=True)
    (image_dir / "Dockerfile").write_text('FROM scratch\nCMD ["handler.lambda_handler"]\n', encoding="utf-8")
    for name in model_files:
        (image_dir / name).write_bytes(b"model")
    return image_dir


def _with_image(settings: ServiceSettings, image_dir: Path) -> ServiceSettings:
    return replace(settings, function=replace(settings.function, image_directory=image_dir))


def _synth(outdir: Path, settings: ServiceSettings) -> tuple[ServiceStack, Template]:
    app = new_app(outdir)
    stack = ServiceStack(app, f"TextClassifier-{settings.stage}", settings=settings, tagging=TAGGING)
    register_nag(app)
    return stack, Template.from_stack(stack)


@pytest.fixture(scope="module")
def open_api_outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("open-api")


@pytest.fixture(scope="module")
def open_api(open_api_outdir: Path, image_dir: Path) -> Template:
    """A stage with CORS for one origin, no API key, on x86_64."""
    base = service_settings("demo")
    settings = replace(
        base,
        api=replace(base.api, cors_allow_origins=(ORIGIN,), api_key_required=False),
        function=replace(base.function, architecture="x86_64", image_directory=image_dir),
    )
    return _synth(open_api_outdir, settings)[1]


def test_only_cors_preflights_go_without_a_key_and_an_open_api_has_no_key_at_all(open_api: Template):
    methods = [m["Properties"] for m in resources(open_api, "AWS::ApiGateway::Method").values()]
    options = [m for m in methods if m["HttpMethod"] == "OPTIONS"]
    # every resource (each route, the version prefix, the catch-alls) and the root
    assert len(options) == len(resources(open_api, "AWS::ApiGateway::Resource")) + 1
    assert len(options) == len(ROUTES) + 4  # the routes, the root, the prefix and their two catch-alls
    for method in options:
        assert method.get("ApiKeyRequired", False) is False
        assert method["Integration"]["Type"] == "MOCK"
    assert not [m for m in methods if m.get("ApiKeyRequired", False)]
    assert not resources(open_api, "AWS::ApiGateway::ApiKey")
    assert not resources(open_api, "AWS::ApiGateway::UsagePlan")
    assert "ApiKeyId" not in open_api.to_json()["Outputs"]


def test_cors_origin_reaches_gateway_errors_and_the_handler(open_api: Template):
    for response in resources(open_api, "AWS::ApiGateway::GatewayResponse").values():
        headers = response["Properties"]["ResponseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{ORIGIN}'"
    _, function = serving_function(open_api)
    assert function["Environment"]["Variables"]["CORS_ALLOW_ORIGINS"] == ORIGIN


def test_an_open_api_is_acknowledged_as_deliberately_open(open_api: Template, open_api_outdir: Path):
    report = json.loads((open_api_outdir / "validation-report.json").read_text(encoding="utf-8"))
    (nag,) = [p for p in report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    reasons = {f["reason"] for f in nag["suppressedViolations"] if f["ruleName"] == "AwsSolutions-APIG4"}
    assert len(reasons) == 1
    assert "deliberately open (api_key_required=False)" in reasons.pop()


def test_x86_64_function_is_built_for_linux_amd64(open_api: Template, open_api_outdir: Path):
    _, function = serving_function(open_api)
    assert function["Architectures"] == ["x86_64"]  # the stages' invariant holds for the other value too
    assets = json.loads((open_api_outdir / "TextClassifier-demo.assets.json").read_text(encoding="utf-8"))
    (image,) = assets["dockerImages"].values()
    assert image["source"]["platform"] == "linux/amd64"


def _deployment_with_document(outdir: Path, image_dir: Path, openapi_path: Path) -> tuple[Template, Any]:
    dev = _with_image(service_settings("dev"), image_dir)
    _, template = _synth(outdir, replace(dev, api=replace(dev.api, openapi_path=openapi_path)))
    return template, only(template, "AWS::ApiGateway::Stage")[1]["DeploymentId"]


def test_a_changed_schema_is_deployed_to_the_stage(tmp_path: Path, image_dir: Path):
    document = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    schemas["ClassifyRequest"]["properties"]["text"]["maxLength"] = 1000
    schemas["ClassifyBatchRequest"]["properties"]["texts"]["items"]["maxLength"] = 1000
    changed_path = tmp_path / "openapi.json"
    changed_path.write_text(json.dumps(document), encoding="utf-8")
    _, before = _deployment_with_document(tmp_path / "before", image_dir, OPENAPI_DOCUMENT)
    template, after = _deployment_with_document(tmp_path / "after", image_dir, changed_path)
    model_schema = only(template, "AWS::ApiGateway::Model")[1]["Schema"]
    single, batch = model_schema["oneOf"]
    assert single["properties"]["text"]["maxLength"] == 1000
    assert batch["properties"]["texts"]["items"]["maxLength"] == 1000
    assert after != before


def test_a_missing_document_stops_the_synthesis(tmp_path: Path, image_dir: Path):
    dev = _with_image(service_settings("dev"), image_dir)
    settings = replace(dev, api=replace(dev.api, openapi_path=tmp_path / "missing.json"))
    with pytest.raises(SettingsError, match="missing"):
        _synth(tmp_path / "out", settings)


def _model_warnings(tmp_path: Path, model_files: tuple[str, ...]) -> list[str]:
    stack = Stack(new_app(tmp_path / "out"), "Probe")
    dev = service_settings("dev")
    serving = ServingFunction(
        stack,
        "Serving",
        settings=replace(dev.function, image_directory=_image_dir(tmp_path, model_files)),
        telemetry=dev.telemetry,
        cors_allow_origins=(),
        stage="dev",
        tracing=False,
    )
    return [str(entry.data) for entry in serving.node.metadata if entry.type == "aws:cdk:warning"]


def test_synthesis_warns_when_the_model_is_not_there_and_only_then(tmp_path: Path):
    (warning,) = _model_warnings(tmp_path / "without", ())
    assert "data/model.npz, data/model.json not found" in warning and "dvc pull" in warning
    assert _model_warnings(tmp_path / "with", MODEL_FILES) == []


# --- low_concurrency_quota (the stack-wide invariants run on it too: see conftest's `service`) ----


def test_low_concurrency_quota_reserves_nothing_and_tells_checkov_why(low_quota: Service):
    """Lambda refuses both on an account whose quota is 10, so neither may reach the template; checkov's
    CKV_AWS_115 asks for a concurrency limit, and `make security` must pass with the setting on."""
    _, alias = only(low_quota.template, "AWS::Lambda::Alias")
    assert "ProvisionedConcurrencyConfig" not in alias
    function_id, function = serving_function(low_quota.template)
    assert "ReservedConcurrentExecutions" not in function
    metadata = resources(low_quota.template, "AWS::Lambda::Function")[function_id]["Metadata"]
    skips = {skip["id"]: skip["comment"] for skip in metadata["checkov"]["skip"]}
    assert "low_concurrency_quota" in skips["CKV_AWS_115"]
