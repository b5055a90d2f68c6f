"""The service stack, per stage: function, alias, gradual deploys, API, alarms, dashboard, tags."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template
from infra_constructs.gateway_errors import GATEWAY_ERRORS
from infra_constructs.serving_api import ACCESS_LOG_FIELDS
from infra_support import ALARM_EMAIL, TAGGING, Synthesized, only, ref, resources
from stacks.settings import API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS, OPENAPI_DOCUMENT
from stacks.stages import STAGES

STAGE_NAMES = ("dev", "prod")
EXPECTED_ROUTES = {
    ("/classify", "POST"),
    ("/classify", "ANY"),
    ("/model", "GET"),
    ("/model", "ANY"),
    ("/openapi.json", "GET"),
    ("/openapi.json", "ANY"),
    ("/", "ANY"),
    ("/{proxy+}", "ANY"),
}
LOG_RETENTION_DAYS = {"ONE_WEEK": 7, "ONE_MONTH": 30, "THREE_MONTHS": 90}
DEPLOYMENT_CONFIG_NAMES = {
    "ALL_AT_ONCE": "CodeDeployDefault.LambdaAllAtOnce",
    "CANARY_10_PERCENT_5_MINUTES": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
}


@pytest.fixture(scope="module", params=STAGE_NAMES)
def stage(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def template(synthesized: Synthesized, stage: str) -> Template:
    return synthesized.template(stage)


def _function(template: Template) -> tuple[str, dict[str, Any]]:
    return only(template, "AWS::Lambda::Function")


def _alias(template: Template) -> tuple[str, dict[str, Any]]:
    return only(template, "AWS::Lambda::Alias")


# --- the function ------------------------------------------------------------------------------


def test_function_is_the_serving_image_with_sized_memory_timeout_and_cap(template: Template, stage: str):
    settings = STAGES[stage].function
    _, function = _function(template)
    assert function["PackageType"] == "Image"
    assert function["MemorySize"] == settings.memory_mb == 1024
    assert function["Timeout"] == settings.timeout_seconds == 10
    assert function["Timeout"] < API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS
    assert function["ReservedConcurrentExecutions"] == settings.reserved_concurrency
    assert function["Architectures"] == ["arm64"]


def test_reserved_concurrency_caps_prod_higher_than_dev(dev: Template, prod: Template):
    dev_cap = _function(dev)[1]["ReservedConcurrentExecutions"]
    prod_cap = _function(prod)[1]["ReservedConcurrentExecutions"]
    assert (dev_cap, prod_cap) == (5, 20)


def test_image_platform_matches_function_architecture(
    synthesized: Synthesized, template: Template, stage: str
):
    """Lambda refuses an image built for another architecture than the function's."""
    assets = json.loads((synthesized.outdir / f"TextClassifier-{stage}.assets.json").read_text())
    (image,) = assets["dockerImages"].values()
    assert image["source"]["platform"] == "linux/arm64"
    assert _function(template)[1]["Architectures"] == ["arm64"]
    staged = synthesized.outdir / image["source"]["directory"]
    assert (staged / "Dockerfile").is_file()
    assert "handler.lambda_handler" in (staged / "Dockerfile").read_text()
    assert not [p for p in staged.rglob("*") if "__pycache__" in p.parts or p.parent.name == "tests"]
    image_uri = json.dumps(_function(template)[1]["Code"]["ImageUri"])
    assert image["destinations"]
    assert next(iter(image["destinations"].values()))["imageTag"] in image_uri


def test_function_gets_metrics_namespace_and_service_name(template: Template, stage: str):
    _, function = _function(template)
    assert function["Environment"]["Variables"] == {
        "AWS_EMF_NAMESPACE": f"TextClassifier/{stage}",
        "AWS_EMF_SERVICE_NAME": f"text-classifier-{stage}",
    }


def test_function_logs_to_its_own_group_with_retention(template: Template, stage: str):
    _, function = _function(template)
    log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = resources(template, "AWS::Logs::LogGroup")[log_group_id]["Properties"]
    assert log_group["RetentionInDays"] == LOG_RETENTION_DAYS[STAGES[stage].function.log_retention.name]


def test_function_role_may_only_write_its_logs(template: Template):
    _, function = _function(template)
    role_id = function["Role"]["Fn::GetAtt"][0]
    role = resources(template, "AWS::IAM::Role")[role_id]["Properties"]
    assert "ManagedPolicyArns" not in role
    policies = [
        p["Properties"]
        for p in resources(template, "AWS::IAM::Policy").values()
        if ref(role_id) in p["Properties"]["Roles"]
    ]
    actions = {
        action
        for policy in policies
        for statement in policy["PolicyDocument"]["Statement"]
        for action in _as_list(statement["Action"])
    }
    log_actions = {"logs:CreateLogStream", "logs:PutLogEvents"}
    tracing_actions = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    assert log_actions <= actions <= log_actions | tracing_actions


# --- the live alias and gradual deployment -------------------------------------------------------


def test_live_alias_points_at_the_version_published_on_this_deploy(template: Template):
    _, alias = _alias(template)
    (version_id,) = resources(template, "AWS::Lambda::Version")
    assert alias["Name"] == "live"
    assert alias["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    function_id, _ = _function(template)
    assert resources(template, "AWS::Lambda::Version")[version_id]["Properties"]["FunctionName"] == ref(
        function_id
    )


def test_prod_keeps_a_warm_instance_and_dev_does_not(dev: Template, prod: Template):
    assert _alias(prod)[1]["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 1}
    assert "ProvisionedConcurrencyConfig" not in _alias(dev)[1]


def test_codedeploy_shifts_the_alias_and_rolls_back_on_every_alarm(template: Template, stage: str):
    group_id, group = only(template, "AWS::CodeDeploy::DeploymentGroup")
    assert group["DeploymentConfigName"] == DEPLOYMENT_CONFIG_NAMES[STAGES[stage].traffic_shift]
    assert group["DeploymentStyle"] == {
        "DeploymentOption": "WITH_TRAFFIC_CONTROL",
        "DeploymentType": "BLUE_GREEN",
    }
    assert group["AutoRollbackConfiguration"] == {
        "Enabled": True,
        "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"],
    }
    assert group["AlarmConfiguration"]["Enabled"] is True
    rollback_alarms = {alarm["Name"]["Ref"] for alarm in group["AlarmConfiguration"]["Alarms"]}
    assert rollback_alarms == set(resources(template, "AWS::CloudWatch::Alarm"))
    alias_id, _ = _alias(template)
    update = resources(template, "AWS::Lambda::Alias")[alias_id]["UpdatePolicy"][
        "CodeDeployLambdaAliasUpdate"
    ]
    assert update["DeploymentGroupName"] == ref(group_id)


def test_prod_shifts_traffic_as_a_canary(prod: Template):
    _, group = only(prod, "AWS::CodeDeploy::DeploymentGroup")
    assert group["DeploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"


# --- the REST API --------------------------------------------------------------------------------


def _routes(template: Template) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, HTTP method) -> method properties, paths rebuilt from the resource tree."""
    api_resources = resources(template, "AWS::ApiGateway::Resource")
    api_id, _ = only(template, "AWS::ApiGateway::RestApi")
    root = {"Fn::GetAtt": [api_id, "RootResourceId"]}
    assert all(r["Properties"]["ParentId"] == root for r in api_resources.values()), (
        "routes are one level deep"
    )
    paths = {logical_id: "/" + r["Properties"]["PathPart"] for logical_id, r in api_resources.items()}
    routes = {}
    for method in resources(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource_id = props["ResourceId"]
        path = "/" if resource_id == root else paths[resource_id["Ref"]]
        routes[(path, props["HttpMethod"])] = props
    return routes


def test_api_routes_and_catch_alls(template: Template):
    assert set(_routes(template)) == EXPECTED_ROUTES


def test_every_route_proxies_to_the_live_alias_and_requires_an_api_key(template: Template):
    alias_id, _ = _alias(template)
    for route, method in _routes(template).items():
        assert method["ApiKeyRequired"] is True, route
        assert method["Integration"]["Type"] == "AWS_PROXY", route
        assert ref(alias_id) in method["Integration"]["Uri"]["Fn::Join"][1], route


def test_api_gateway_may_invoke_only_the_alias(template: Template):
    alias_id, _ = _alias(template)
    permissions = resources(template, "AWS::Lambda::Permission").values()
    assert permissions
    for permission in permissions:
        assert permission["Properties"]["FunctionName"] == ref(alias_id)
        assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"


def test_classify_body_is_validated_against_the_openapi_documents_schema(template: Template):
    validator_id, validator = only(template, "AWS::ApiGateway::RequestValidator")
    assert validator["ValidateRequestBody"] is True
    model_id, model = only(template, "AWS::ApiGateway::Model")
    assert model["ContentType"] == "application/json"
    document = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
    assert model["Schema"]["$schema"] == "http://json-schema.org/draft-04/schema#"
    schema = {key: value for key, value in model["Schema"].items() if key != "$schema"}
    assert schema == document["components"]["schemas"]["ClassifyRequest"]
    post = _routes(template)[("/classify", "POST")]
    assert post["RequestValidatorId"] == ref(validator_id)
    assert post["RequestModels"] == {"application/json": ref(model_id)}
    unvalidated = [route for route, m in _routes(template).items() if "RequestValidatorId" in m]
    assert unvalidated == [("/classify", "POST")]


@pytest.mark.parametrize("error", GATEWAY_ERRORS, ids=lambda e: e.response_type)
def test_gateway_errors_answer_in_the_handlers_json_shape(dev: Template, error):
    found = dev.find_resources(
        "AWS::ApiGateway::GatewayResponse", {"Properties": {"ResponseType": error.response_type}}
    )
    ((_, response),) = found.items()
    props = response["Properties"]
    assert props.get("StatusCode") == error.status
    assert props["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/json'"
    # API Gateway substitutes $context.error.messageString with an already quoted JSON string.
    body = props["ResponseTemplates"]["application/json"].replace(
        "$context.error.messageString", json.dumps('Invalid "request" body')
    )
    assert json.loads(body) == {"error": {"code": error.code, "message": 'Invalid "request" body'}}


def test_bad_request_body_and_throttling_are_covered(dev: Template):
    types = {
        r["Properties"]["ResponseType"] for r in resources(dev, "AWS::ApiGateway::GatewayResponse").values()
    }
    assert {
        "BAD_REQUEST_BODY",
        "INVALID_API_KEY",
        "THROTTLED",
        "QUOTA_EXCEEDED",
        "DEFAULT_4XX",
        "DEFAULT_5XX",
    } <= types


def test_usage_plan_throttles_and_meters_the_api_key(template: Template, stage: str):
    settings = STAGES[stage].api
    plan_id, plan = only(template, "AWS::ApiGateway::UsagePlan")
    assert plan["Throttle"] == {"RateLimit": settings.key_rate_limit, "BurstLimit": settings.key_burst_limit}
    assert plan["Quota"] == {"Limit": settings.key_quota_per_day, "Period": "DAY"}
    stage_id, _ = only(template, "AWS::ApiGateway::Stage")
    api_id, _ = only(template, "AWS::ApiGateway::RestApi")
    assert plan["ApiStages"] == [{"ApiId": ref(api_id), "Stage": ref(stage_id), "Throttle": {}}]
    key_id, _ = only(template, "AWS::ApiGateway::ApiKey")
    _, plan_key = only(template, "AWS::ApiGateway::UsagePlanKey")
    assert plan_key == {"KeyId": ref(key_id), "KeyType": "API_KEY", "UsagePlanId": ref(plan_id)}


def test_stage_throttles_logs_as_json_and_traces_in_prod(template: Template, stage: str):
    settings = STAGES[stage]
    _, stage_props = only(template, "AWS::ApiGateway::Stage")
    assert stage_props["StageName"] == stage
    assert stage_props["TracingEnabled"] is settings.tracing
    (method_settings,) = stage_props["MethodSettings"]
    assert method_settings == {
        "DataTraceEnabled": False,
        "HttpMethod": "*",
        "LoggingLevel": "ERROR",
        "ResourcePath": "/*",
        "ThrottlingBurstLimit": settings.api.stage_burst_limit,
        "ThrottlingRateLimit": settings.api.stage_rate_limit,
    }
    access_log = stage_props["AccessLogSetting"]
    assert json.loads(access_log["Format"]) == ACCESS_LOG_FIELDS
    assert {"requestId", "status", "responseLatencyMs", "apiKeyId"} <= set(json.loads(access_log["Format"]))
    log_group_ids = set(resources(template, "AWS::Logs::LogGroup"))
    assert {
        part["Ref"] for part in access_log["DestinationArn"]["Fn::Join"][1] if isinstance(part, dict)
    } & log_group_ids


def test_tracing_is_on_in_prod_only(dev: Template, prod: Template):
    assert _function(prod)[1]["TracingConfig"] == {"Mode": "Active"}
    assert _function(dev)[1].get("TracingConfig", {"Mode": "PassThrough"}) == {"Mode": "PassThrough"}


def test_api_is_regional_and_cors_is_off_by_default(template: Template):
    _, api = only(template, "AWS::ApiGateway::RestApi")
    assert api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert not any(method == "OPTIONS" for _, method in _routes(template))
    assert "CORS_ALLOW_ORIGINS" not in _function(template)[1]["Environment"]["Variables"]


def test_outputs_give_the_invoke_url_and_the_api_key_id(template: Template):
    outputs = template.to_json()["Outputs"]
    key_id, _ = only(template, "AWS::ApiGateway::ApiKey")
    assert outputs["ApiKeyId"]["Value"] == ref(key_id)
    url_parts = outputs["ApiUrl"]["Value"]["Fn::Join"][1]
    assert url_parts[0] == "https://" and ".execute-api." in url_parts
    assert outputs["ClassifyUrl"]["Value"]["Fn::Join"][1][-1] == "/classify"


# --- alarms and dashboard -----------------------------------------------------------------------


def _alarm(template: Template, metric_name: str) -> dict[str, Any]:
    found = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    (alarm,) = [a for a in found if a["MetricName"] == metric_name]
    return alarm


def test_api_5xx_rate_alarm(template: Template, stage: str):
    alarm = _alarm(template, "5XXError")
    assert alarm["Namespace"] == "AWS/ApiGateway"
    assert alarm["Statistic"] == "Average"
    assert alarm["Threshold"] == 0.05
    assert alarm["Dimensions"] == [
        {"Name": "ApiName", "Value": f"text-classifier-{stage}"},
        {"Name": "Stage", "Value": stage},
    ]
    _, api = only(template, "AWS::ApiGateway::RestApi")
    assert api["Name"] == f"text-classifier-{stage}"


def test_api_p99_latency_alarm(template: Template):
    alarm = _alarm(template, "Latency")
    assert (alarm["Namespace"], alarm["ExtendedStatistic"], alarm["Threshold"]) == (
        "AWS/ApiGateway",
        "p99",
        3000,
    )


def test_function_error_and_throttle_alarms(template: Template):
    function_id, _ = _function(template)
    errors = _alarm(template, "Errors")
    assert (errors["Namespace"], errors["Statistic"], errors["Threshold"]) == ("AWS/Lambda", "Sum", 1)
    assert {"Name": "Resource", "Value": {"Fn::Join": ["", [ref(function_id), ":live"]]}} in errors[
        "Dimensions"
    ]
    throttles = _alarm(template, "Throttles")
    assert (throttles["Namespace"], throttles["Threshold"]) == ("AWS/Lambda", 1)
    assert throttles["Dimensions"] == [{"Name": "FunctionName", "Value": ref(function_id)}]


def test_alarms_notify_the_topic_which_mails_the_configured_address(template: Template):
    topic_id, _ = only(template, "AWS::SNS::Topic")
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [ref(topic_id)]
        assert props["OKActions"] == [ref(topic_id)]
        assert (props["Period"], props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (60, 3, 2)
        assert props["TreatMissingData"] == "notBreaching"
    _, subscription = only(template, "AWS::SNS::Subscription")
    assert subscription == {"Protocol": "email", "Endpoint": ALARM_EMAIL, "TopicArn": ref(topic_id)}


def test_alarm_topic_accepts_tls_only(template: Template):
    _, policy = only(template, "AWS::SNS::TopicPolicy")
    (statement,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _dashboard_body(template: Template) -> dict[str, Any]:
    """The dashboard JSON, with CloudFormation references replaced by `ref:Id` / `getatt:Id.Attr`."""
    _, dashboard = only(template, "AWS::CloudWatch::Dashboard")
    body = dashboard["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return json.loads("".join(_placeholder(part) for part in parts))


def _placeholder(part: Any) -> str:
    if isinstance(part, str):
        return part
    if "Ref" in part:
        return f"ref:{part['Ref']}"
    if "Fn::GetAtt" in part:
        return "getatt:" + ".".join(part["Fn::GetAtt"])
    raise AssertionError(f"unexpected intrinsic in the dashboard body: {part}")


def _dashboard_metrics(template: Template) -> list[list[Any]]:
    widgets = _dashboard_body(template)["widgets"]
    return [metric for w in widgets if w["type"] == "metric" for metric in w["properties"]["metrics"]]


def test_dashboard_shows_api_and_function_metrics(template: Template, stage: str):
    metrics = _dashboard_metrics(template)
    api_dims = ["ApiName", f"text-classifier-{stage}", "Stage", stage]
    names = {(m[0], m[1]) for m in metrics}
    for metric_name in ("Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"):
        assert ["AWS/ApiGateway", metric_name, *api_dims] in [m[:6] for m in metrics], metric_name
    for metric_name in ("Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"):
        assert ("AWS/Lambda", metric_name) in names, metric_name


def test_dashboard_shows_the_handlers_embedded_metrics(template: Template, stage: str):
    metrics = _dashboard_metrics(template)
    namespace, service = f"TextClassifier/{stage}", f"text-classifier-{stage}"
    shown = {m[1] for m in metrics if m[:1] == [namespace] and m[2:4] == ["Service", service]}
    assert shown == {"ModelLoadTime", "Latency", "BatchSize", "InputCharacters", "ClientError", "ServerError"}


def test_dashboard_lists_every_alarm(template: Template):
    widgets = _dashboard_body(template)["widgets"]
    (status,) = [w for w in widgets if w["type"] == "alarm"]
    assert len(status["properties"]["alarms"]) == len(resources(template, "AWS::CloudWatch::Alarm")) == 4


# --- tags and stack settings -------------------------------------------------------------------


def test_every_taggable_resource_carries_project_stage_and_owner(template: Template, stage: str):
    expected = {"project": TAGGING.project, "stage": stage, "owner": TAGGING.owner}
    tagged_types = set()
    for logical_id, resource in template.to_json()["Resources"].items():
        tags = resource.get("Properties", {}).get("Tags")
        if tags is None:
            continue
        tagged_types.add(resource["Type"])
        assert {t["Key"]: t["Value"] for t in tags if t["Key"] in expected} == expected, logical_id
    assert {
        "AWS::Lambda::Function",
        "AWS::Logs::LogGroup",
        "AWS::IAM::Role",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Stage",
        "AWS::ApiGateway::UsagePlan",
        "AWS::ApiGateway::ApiKey",
        "AWS::CloudWatch::Alarm",
        "AWS::SNS::Topic",
        "AWS::CodeDeploy::DeploymentGroup",
    } <= tagged_types


def test_stack_tags_and_prod_termination_protection(synthesized: Synthesized, stage: str):
    artifact = synthesized.manifest()["artifacts"][f"TextClassifier-{stage}"]
    assert artifact["properties"]["tags"] == {
        "project": TAGGING.project,
        "stage": stage,
        "owner": TAGGING.owner,
    }
    assert artifact["properties"].get("terminationProtection", False) is (stage == "prod")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
