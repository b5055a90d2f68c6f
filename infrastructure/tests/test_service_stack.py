"""The service stack's invariants, on every variant (dev, prod, prod with low_concurrency_quota).

Each test either holds whatever the settings are (every method behind a key, the timeout below API
Gateway's, every alarm rolls a deploy back...) or checks that the template follows the settings
object it was built from; none repeats a setting's value.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template
from infra_constructs.gateway_errors import GATEWAY_ERRORS
from infra_constructs.gradual_deployment import deployment_config
from infra_constructs.model_quality import LOW_MEDIAN_METRICS
from infra_constructs.serving_api import PAGE_METHOD, ROUTES
from infra_support import TAGGING, Service, Synthesized, as_list, only, ref, resources, serving_function
from stacks.names import SERVICE_URL_OUTPUT, api_key_secret_name, service_stack_name
from stacks.service_stack import MODEL_QUALITY_ID
from stacks.settings import API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS, METRIC_NAMES, OPENAPI_DOCUMENT

from ops import smoke_test

PLATFORMS = {"arm64": "linux/arm64", "x86_64": "linux/amd64"}
RETENTION_DAYS = {"ONE_WEEK": 7, "TWO_WEEKS": 14, "ONE_MONTH": 30, "THREE_MONTHS": 90, "SIX_MONTHS": 180}


def _function(template: Template) -> tuple[str, dict[str, Any]]:
    return serving_function(template)


def _alias(template: Template) -> tuple[str, dict[str, Any]]:
    return only(template, "AWS::Lambda::Alias")


def _retention(template: Template, log_group_id: str) -> int:
    return resources(template, "AWS::Logs::LogGroup")[log_group_id]["Properties"]["RetentionInDays"]


# --- the function ------------------------------------------------------------------------------


def test_function_follows_its_settings_and_ends_before_the_gateway_gives_up(service: Service):
    settings, (_, function) = service.settings.function, _function(service.template)
    assert function["PackageType"] == "Image"
    assert function["MemorySize"] == settings.memory_mb
    assert function["Timeout"] == settings.timeout_seconds < API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS
    assert function.get("ReservedConcurrentExecutions") == settings.reserved_concurrency
    assert function["Architectures"] == [settings.architecture]
    telemetry = service.settings.telemetry
    assert function["Environment"]["Variables"] == {
        "AWS_EMF_NAMESPACE": telemetry.namespace,
        "AWS_EMF_SERVICE_NAME": telemetry.service_name,
    }
    assert function.get("TracingConfig", {"Mode": "PassThrough"}) == {
        "Mode": "Active" if service.settings.tracing else "PassThrough"
    }
    log_group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
    assert _retention(service.template, log_group_id) == RETENTION_DAYS[settings.log_retention.name]


def test_image_platform_is_the_functions_architecture(service: Service):
    """Lambda refuses an image built for another architecture than the function's."""
    (image,) = service.assets()["dockerImages"].values()
    _, function = _function(service.template)
    assert [image["source"]["platform"]] == [PLATFORMS[a] for a in function["Architectures"]]
    assert next(iter(image["destinations"].values()))["imageTag"] in json.dumps(function["Code"]["ImageUri"])
    staged = service.outdir / image["source"]["directory"]
    assert "handler.lambda_handler" in (staged / "Dockerfile").read_text()
    assert not [p for p in staged.rglob("*") if "__pycache__" in p.parts or p.parent.name == "tests"]


def test_function_role_may_only_write_its_logs_and_traces(service: Service):
    template, (_, function) = service.template, _function(service.template)
    role_id = function["Role"]["Fn::GetAtt"][0]
    assert "ManagedPolicyArns" not in resources(template, "AWS::IAM::Role")[role_id]["Properties"]
    actions = {
        action
        for policy in resources(template, "AWS::IAM::Policy").values()
        if ref(role_id) in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in as_list(statement["Action"])
    }
    allowed = {"logs:CreateLogStream", "logs:PutLogEvents"}
    if service.settings.tracing:
        allowed |= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    assert {"logs:CreateLogStream", "logs:PutLogEvents"} <= actions <= allowed


# --- the live alias and gradual deployment -------------------------------------------------------


def test_live_alias_points_at_this_deploys_version_and_keeps_the_configured_warm_instances(service: Service):
    template = service.template
    _, alias = _alias(template)
    ((version_id, version),) = resources(template, "AWS::Lambda::Version").items()
    assert alias["Name"] == "live"
    assert alias["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    assert version["Properties"]["FunctionName"] == ref(_function(template)[0])
    provisioned = service.settings.function.provisioned_concurrency
    expected = {"ProvisionedConcurrentExecutions": provisioned} if provisioned else None
    assert alias.get("ProvisionedConcurrencyConfig") == expected


def test_codedeploy_shifts_the_alias_and_every_operational_alarm_rolls_it_back(service: Service):
    template = service.template
    group_id, group = only(template, "AWS::CodeDeploy::DeploymentGroup")
    config = deployment_config(service.settings.traffic_shift).deployment_config_name
    assert group["DeploymentConfigName"] == config
    assert group["DeploymentStyle"]["DeploymentOption"] == "WITH_TRAFFIC_CONTROL"
    assert group["AutoRollbackConfiguration"]["Enabled"] is True
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
    assert group["AlarmConfiguration"]["Enabled"] is True
    rollback_alarms = {alarm["Name"]["Ref"] for alarm in group["AlarmConfiguration"]["Alarms"]}
    # The model-quality alarms (present when the build context's model has a baseline) watch the
    # traffic, not the version: they notify and never roll back.
    alarms = set(resources(template, "AWS::CloudWatch::Alarm"))
    operational = {logical_id for logical_id in alarms if not logical_id.startswith(MODEL_QUALITY_ID)}
    assert rollback_alarms == operational and len(operational) == 4
    alias_id, _ = _alias(template)
    update = resources(template, "AWS::Lambda::Alias")[alias_id]["UpdatePolicy"][
        "CodeDeployLambdaAliasUpdate"
    ]
    assert update["DeploymentGroupName"] == ref(group_id)


def _hook(template: Template) -> tuple[str, dict[str, Any]]:
    """The pre-traffic hook function: the zip function beside the serving image."""
    (found,) = [
        (logical_id, resource["Properties"])
        for logical_id, resource in resources(template, "AWS::Lambda::Function").items()
        if resource["Properties"].get("PackageType") != "Image"
    ]
    return found


def test_codedeploy_runs_the_pre_traffic_hook_before_any_traffic_moves(service: Service):
    """A Failed report fails the deployment, and a failed deployment is rolled back."""
    template = service.template
    hook_id, hook = _hook(template)
    alias_id, _ = _alias(template)
    alias = resources(template, "AWS::Lambda::Alias")[alias_id]
    assert alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["BeforeAllowTrafficHook"] == ref(hook_id)
    # The hook is updated (the new version's ARN and answers) before the alias update that runs it.
    assert hook_id in alias["DependsOn"]
    _, group = only(template, "AWS::CodeDeploy::DeploymentGroup")
    assert "DEPLOYMENT_FAILURE" in group["AutoRollbackConfiguration"]["Events"]
    assert hook["Handler"] == "hook.handler"
    assert hook["Runtime"].startswith("python3.")
    # Every text may wait for a cold start of the new version, each bounded by the function's timeout.
    assert hook["Timeout"] > service.settings.function.timeout_seconds


def test_the_hook_may_invoke_the_new_version_only_and_report_to_codedeploy(service: Service):
    template = service.template
    hook_id, hook = _hook(template)
    ((version_id, _),) = resources(template, "AWS::Lambda::Version").items()
    assert hook["Environment"]["Variables"]["TARGET_FUNCTION_ARN"] == ref(version_id)
    role_id = hook["Role"]["Fn::GetAtt"][0]
    assert "ManagedPolicyArns" not in resources(template, "AWS::IAM::Role")[role_id]["Properties"]
    statements = [
        statement
        for policy in resources(template, "AWS::IAM::Policy").values()
        if ref(role_id) in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    granted = {
        action: statement["Resource"] for statement in statements for action in as_list(statement["Action"])
    }
    group_id, _ = only(template, "AWS::CodeDeploy::DeploymentGroup")
    log_group_id = hook["LoggingConfig"]["LogGroup"]["Ref"]
    assert set(granted) == {
        "lambda:InvokeFunction",
        "codedeploy:PutLifecycleEventHookExecutionStatus",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    # The version ARN (a Ref of an AWS::Lambda::Version), neither the function nor another qualifier.
    assert granted["lambda:InvokeFunction"] == ref(version_id)
    assert ref(group_id) in granted["codedeploy:PutLifecycleEventHookExecutionStatus"]["Fn::Join"][1]
    assert granted["logs:PutLogEvents"] == {"Fn::GetAtt": [log_group_id, "Arn"]}
    # And CodeDeploy's role may invoke this hook, no other function beyond its managed policy's.
    invoke = [
        statement["Resource"]
        for policy in resources(template, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "lambda:InvokeFunction"
        and ref(role_id) not in policy["Properties"]["Roles"]
    ]
    assert invoke and all(hook_id in json.dumps(resource) for resource in invoke)


def test_a_quiet_canary_is_judged_by_the_hook_not_by_the_silence_of_its_alarms(service: Service):
    """The decision about missing data, held: no traffic is not an outage, so an alarm with no data stays
    OK (a quiet stage is neither paged nor rolled back for being quiet). What proves a new version good
    when no client calls during the canary is the pre-traffic hook: it has answered known texts as built
    before any traffic moved (tests above), so the alarms only ever judge real traffic."""
    template = service.template
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    assert {alarm["Properties"]["TreatMissingData"] for alarm in alarms} == {"notBreaching"}
    hook_id, _ = _hook(template)
    alias_id, _ = _alias(template)
    update = resources(template, "AWS::Lambda::Alias")[alias_id]["UpdatePolicy"][
        "CodeDeployLambdaAliasUpdate"
    ]
    assert update["BeforeAllowTrafficHook"] == ref(hook_id)


# --- the REST API --------------------------------------------------------------------------------


def _routes(template: Template) -> dict[tuple[str, str], dict[str, Any]]:
    """(path, HTTP method) -> method properties, paths rebuilt from the (one level deep) resource tree."""
    api_id, _ = only(template, "AWS::ApiGateway::RestApi")
    root = {"Fn::GetAtt": [api_id, "RootResourceId"]}
    paths = {
        logical_id: "/" + r["Properties"]["PathPart"]
        for logical_id, r in resources(template, "AWS::ApiGateway::Resource").items()
        if r["Properties"]["ParentId"] == root
    }
    routes = {}
    for method in resources(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        path = "/" if props["ResourceId"] == root else paths[props["ResourceId"]["Ref"]]
        routes[(path, props["HttpMethod"])] = props
    return routes


def test_every_method_but_the_page_requires_an_api_key_and_proxies_to_the_live_alias(service: Service):
    """GET / (the playground page) and CORS preflights (OPTIONS, when CORS is on; none here) go without a
    key; everything else, POST /classify and every other method on / included, needs one."""
    routes = _routes(service.template)
    alias_id, _ = _alias(service.template)
    served = {(f"/{path}", method) for path, method in ROUTES} | {("/", PAGE_METHOD)}
    catch_alls = {(f"/{path}", "ANY") for path, _ in ROUTES} | {("/", "ANY"), ("/{proxy+}", "ANY")}
    assert set(routes) == served | catch_alls
    for route, method in routes.items():
        assert method["ApiKeyRequired"] is (route != ("/", "GET")), route
        assert method["AuthorizationType"] == "NONE", route
        assert method["Integration"]["Type"] == "AWS_PROXY", route
        assert ref(alias_id) in method["Integration"]["Uri"]["Fn::Join"][1], route
    for permission in resources(service.template, "AWS::Lambda::Permission").values():
        assert permission["Properties"]["FunctionName"] == ref(alias_id)


def test_classify_body_is_validated_against_the_openapi_documents_schema(service: Service):
    template = service.template
    validator_id, validator = only(template, "AWS::ApiGateway::RequestValidator")
    assert validator["ValidateRequestBody"] is True
    model_id, model = only(template, "AWS::ApiGateway::Model")
    document = json.loads(OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
    schema = {key: value for key, value in model["Schema"].items() if key != "$schema"}
    assert model["Schema"]["$schema"] == "http://json-schema.org/draft-04/schema#"  # API Gateway's dialect
    assert schema == document["components"]["schemas"]["ClassifyRequest"]
    validated = {route: m for route, m in _routes(template).items() if "RequestValidatorId" in m}
    assert list(validated) == [("/classify", "POST")]
    assert validated[("/classify", "POST")]["RequestValidatorId"] == ref(validator_id)
    assert validated[("/classify", "POST")]["RequestModels"] == {"application/json": ref(model_id)}


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


def test_bad_bodies_keys_and_throttling_get_a_json_error(dev: Template):
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


def test_key_and_stage_are_throttled_and_the_key_has_a_quota(service: Service):
    settings, template = service.settings.api, service.template
    plan_id, plan = only(template, "AWS::ApiGateway::UsagePlan")
    assert plan["Throttle"] == {"RateLimit": settings.key_rate_limit, "BurstLimit": settings.key_burst_limit}
    assert plan["Quota"] == {"Limit": settings.key_quota_per_day, "Period": "DAY"}
    stage_id, stage = only(template, "AWS::ApiGateway::Stage")
    assert plan["ApiStages"][0]["Stage"] == ref(stage_id)
    key_id, _ = only(template, "AWS::ApiGateway::ApiKey")
    _, plan_key = only(template, "AWS::ApiGateway::UsagePlanKey")
    assert (plan_key["KeyId"], plan_key["UsagePlanId"]) == (ref(key_id), ref(plan_id))
    (method_settings,) = stage["MethodSettings"]
    assert (method_settings["HttpMethod"], method_settings["ResourcePath"]) == ("*", "/*")
    assert method_settings["ThrottlingRateLimit"] == settings.stage_rate_limit
    assert method_settings["ThrottlingBurstLimit"] == settings.stage_burst_limit
    outputs = template.to_json()["Outputs"]
    assert outputs["ApiKeyId"]["Value"] == ref(key_id)
    assert {SERVICE_URL_OUTPUT, "ApiUrl", "ClassifyUrl"} <= set(outputs)  # what the smoke test calls


def test_the_smoke_test_reads_outputs_the_stack_writes(service: Service):
    """ops.smoke_test finds a stage by its stack's name and two outputs: the URL and the key's secret."""
    outputs = service.template.to_json()["Outputs"]
    stage = service.settings.stage
    assert smoke_test.STACK.format(stage=stage) == service_stack_name(stage)
    assert smoke_test.URL_OUTPUT == SERVICE_URL_OUTPUT in outputs
    assert outputs[smoke_test.KEY_SECRET_OUTPUT]["Value"] == api_key_secret_name(stage)


def test_the_key_is_a_generated_secret_under_the_stages_fixed_name_never_in_the_template(service: Service):
    """The stage's deploy role may read exactly this secret (tests/test_data_stack.py): its name is fixed
    per stage, and the key's value reaches API Gateway only as a dynamic reference."""
    template = service.template
    secret_id, secret = only(template, "AWS::SecretsManager::Secret")
    assert secret["Name"] == api_key_secret_name(service.settings.stage)
    generated = secret["GenerateSecretString"]
    assert 20 <= generated["PasswordLength"] <= 128  # what API Gateway accepts as a key
    assert generated["ExcludePunctuation"] is True
    assert "SecretString" not in secret
    _, key = only(template, "AWS::ApiGateway::ApiKey")
    assert key["Value"] == {
        "Fn::Join": ["", ["{{resolve:secretsmanager:", ref(secret_id), ":SecretString:::}}"]]
    }
    outputs = template.to_json()["Outputs"]
    assert outputs["ApiKeySecretName"]["Value"] == api_key_secret_name(service.settings.stage)


def test_stage_logs_each_request_as_json_never_bodies_and_traces_as_configured(service: Service):
    template = service.template
    _, stage = only(template, "AWS::ApiGateway::Stage")
    assert stage["StageName"] == service.settings.stage
    assert stage["TracingEnabled"] is service.settings.tracing
    (method_settings,) = stage["MethodSettings"]
    assert method_settings["DataTraceEnabled"] is False
    assert method_settings["LoggingLevel"] in ("ERROR", "INFO")
    access_log = stage["AccessLogSetting"]
    assert {"requestId", "status", "responseLatencyMs", "apiKeyId"} <= set(json.loads(access_log["Format"]))
    destination = json.dumps(access_log["DestinationArn"])
    log_group_ids = [i for i in resources(template, "AWS::Logs::LogGroup") if f'"{i}"' in destination]
    (log_group_id,) = log_group_ids
    retention = service.settings.api.access_log_retention.name
    assert _retention(template, log_group_id) == RETENTION_DAYS[retention]


# --- alarms and dashboard -----------------------------------------------------------------------


def _alarms(template: Template) -> dict[str, dict[str, Any]]:
    """Metric name -> alarm properties, of the operational alarms (the model-quality ones, present when
    the build context's model has a baseline, are test_model_quality.py's)."""
    found = [
        alarm["Properties"]
        for logical_id, alarm in resources(template, "AWS::CloudWatch::Alarm").items()
        if not logical_id.startswith(MODEL_QUALITY_ID)
    ]
    return {alarm["MetricName"]: alarm for alarm in found}


def _quality_alarms_shown(template: Template) -> int:
    """The model-quality alarms the dashboard lists: all but the per-class shares, which LabelMix sums up."""
    ids = [
        *resources(template, "AWS::CloudWatch::Alarm"),
        *resources(template, "AWS::CloudWatch::CompositeAlarm"),
    ]
    return sum(
        i.startswith(MODEL_QUALITY_ID) and not i.startswith(f"{MODEL_QUALITY_ID}LabelShare") for i in ids
    )


def test_alarms_follow_their_settings_and_watch_the_stage_and_the_alias(service: Service):
    settings, template = service.settings.alarms, service.template
    alarms = _alarms(template)
    thresholds = {name: alarm["Threshold"] for name, alarm in alarms.items()}
    assert thresholds == {
        "5XXError": settings.server_error_rate,
        "Latency": settings.p99_latency_ms,
        "Errors": settings.function_errors,
        "Throttles": settings.throttles,
    }
    _, api = only(template, "AWS::ApiGateway::RestApi")
    for name in ("5XXError", "Latency"):
        assert alarms[name]["Dimensions"] == [
            {"Name": "ApiName", "Value": api["Name"]},
            {"Name": "Stage", "Value": service.settings.stage},
        ]
    function_id, _ = _function(template)
    # Errors on the alias: during a gradual deploy they see the traffic the new version takes.
    assert {"Name": "Resource", "Value": {"Fn::Join": ["", [ref(function_id), ":live"]]}} in alarms["Errors"][
        "Dimensions"
    ]
    # Throttles on the function: its cap, or the account's unreserved pool when uncapped.
    assert alarms["Throttles"]["Dimensions"] == [{"Name": "FunctionName", "Value": ref(function_id)}]
    for alarm in alarms.values():
        shape = (alarm["Period"], alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"])
        assert shape == (settings.period_seconds, settings.evaluation_periods, settings.datapoints_to_alarm)


def test_alarms_notify_a_tls_only_topic_which_mails_the_configured_address(service: Service):
    template = service.template
    topic_id, _ = only(template, "AWS::SNS::Topic")
    for alarm in _alarms(template).values():
        assert alarm["AlarmActions"] == alarm["OKActions"] == [ref(topic_id)]
    subscriptions = [s["Properties"] for s in resources(template, "AWS::SNS::Subscription").values()]
    email = service.settings.alarms.email
    assert [(s["Protocol"], s["Endpoint"], s["TopicArn"]) for s in subscriptions] == (
        [("email", email, ref(topic_id))] if email else []
    )
    _, policy = only(template, "AWS::SNS::TopicPolicy")
    (deny,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def _dashboard_body(template: Template) -> dict[str, Any]:
    """The dashboard JSON, with CloudFormation references replaced by placeholders."""
    _, dashboard = only(template, "AWS::CloudWatch::Dashboard")
    body = dashboard["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return json.loads("".join(p if isinstance(p, str) else "<ref>" for p in parts))


def test_dashboard_shows_every_alarm_and_the_handlers_metrics(service: Service):
    widgets = _dashboard_body(service.template)["widgets"]
    (status,) = [w for w in widgets if w["type"] == "alarm"]
    quality_alarms = _quality_alarms_shown(service.template)
    assert len(status["properties"]["alarms"]) == len(_alarms(service.template)) + quality_alarms
    metrics = [m for w in widgets if w["type"] == "metric" for m in w["properties"]["metrics"]]
    telemetry = service.settings.telemetry
    dimension = [telemetry.service_dimension, telemetry.service_name]
    shown = {m[1] for m in metrics if m[:1] == [telemetry.namespace] and m[2:4] == dimension}
    quality = {*LOW_MEDIAN_METRICS, METRIC_NAMES.PREDICTED_LABEL}
    assert shown - quality == {metric.name for metric in telemetry.model_metrics}
    quality_shown = {m[1] for m in metrics if m[:1] == [telemetry.namespace] and m[1] in quality}
    assert quality_shown == (quality if quality_alarms else set())
    assert {m[0] for m in metrics} >= {"AWS/ApiGateway", "AWS/Lambda"}


# --- tags and stack settings -------------------------------------------------------------------


def test_every_taggable_resource_carries_project_stage_and_owner(service: Service):
    expected = {"project": TAGGING.project, "stage": service.settings.stage, "owner": TAGGING.owner}
    tagged = 0
    for logical_id, resource in service.template.to_json()["Resources"].items():
        tags = resource.get("Properties", {}).get("Tags")
        if tags is not None:
            tagged += 1
            assert {t["Key"]: t["Value"] for t in tags if t["Key"] in expected} == expected, logical_id
    assert tagged >= 10


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stack_termination_protection_follows_the_settings(synthesized: Synthesized, stage: str):
    (settings,) = [s for s in synthesized.settings.services if s.stage == stage]
    artifact = synthesized.manifest()["artifacts"][f"TextClassifier-{stage}"]
    assert artifact["properties"].get("terminationProtection", False) is settings.termination_protection
