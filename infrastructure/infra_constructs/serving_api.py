"""The REST API in front of the `live` alias: routes, request validation, keys, throttling, logs, firewall."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct
from stacks.names import api_key_secret_name
from stacks.settings import ApiSettings, FirewallSettings, SettingsError

from infra_constructs.checkov_skips import skip_check
from infra_constructs.gateway_errors import add_gateway_errors
from infra_constructs.nag import acknowledge
from infra_constructs.web_firewall import WebFirewall
from serving.app.contracts import api
from serving.app.contracts.request_schema import (
    REQUEST_SCHEMA_NAME,
    SchemaReferenceError,
    inline_references,
    request_schema,
)

# Routes the handler serves (serving/app/contracts/api.py), each with the method it answers, as resource
# paths under the root (e.g. v1/classify). Every route, the version prefix and any other path (a greedy
# {proxy+} at the root and under the prefix) also get an ANY catch-all to the same alias, so a wrong
# method or path, or a retired unversioned one, reaches the handler and is answered 405/404/410 in its JSON
# shape instead of API Gateway's 403 "Missing Authentication Token".
ROUTES: tuple[tuple[str, str], ...] = tuple(
    (path.removeprefix("/"), method)
    for path, methods in api.ROUTES.items()
    if path != api.PAGE
    for method in methods
)
# GET / is the playground page: a static HTML page holding no data, served without an API key so that a
# browser can open it; the POST /v1/classify it sends (with the key typed into it) still needs one.
(PAGE_METHOD,) = api.ROUTES[api.PAGE]
VALIDATED_ROUTE = api.CLASSIFY.removeprefix("/")
VERSION_PREFIX = api.VERSION_PREFIX.removeprefix("/")
# The name of the body schema in the OpenAPI document, and of the API Gateway model made from it.
REQUEST_MODEL_NAME = REQUEST_SCHEMA_NAME

# One JSON object per request. Only variables that never contain a double quote are used, so every
# line stays valid JSON for CloudWatch Logs Insights.
ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "sourceIp": "$context.identity.sourceIp",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatencyMs": "$context.responseLatency",
    "integrationLatencyMs": "$context.integration.latency",
    "integrationStatus": "$context.integration.status",
    "apiKeyId": "$context.identity.apiKeyId",
    "errorType": "$context.error.responseType",
}


def load_request_schema(openapi_path: Path) -> dict[str, Any]:
    """The POST /classify body schema, read from the API's OpenAPI document (which the handler serves).

    The document holds it as an OpenAPI schema object, one schema per request shape combined with
    ``oneOf`` (what client generators type); API Gateway wants a JSON Schema draft-04 model that stands
    alone, so the document's references are inlined (``contracts.request_schema``: a model cannot resolve
    them) and draft-04's ``$schema`` is added. Every keyword it uses means the same in both.
    """
    if not openapi_path.is_file():
        raise SettingsError(
            f"{openapi_path} is missing: API Gateway validates POST /classify bodies against its "
            f"{REQUEST_MODEL_NAME} schema. It belongs to the serving app; restore it (or point "
            "ApiSettings.openapi_path at it)."
        )
    try:
        document = json.loads(openapi_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise SettingsError(f"{openapi_path} is not valid JSON ({error}); fix the file.") from error
    schema = _component_schema(document, REQUEST_MODEL_NAME)
    where = f"{openapi_path}: components.schemas.{REQUEST_MODEL_NAME}"
    if not isinstance(schema, dict):
        raise SettingsError(f"{where} must be a JSON schema of an 'object' or a oneOf of 'object' schemas.")
    try:
        inlined = inline_references(schema, document["components"]["schemas"])
    except SchemaReferenceError as error:
        raise SettingsError(
            f"{where}: {error}; an API Gateway model cannot resolve references, so each must name a "
            "schema of the same document (#/components/schemas/NAME), which is inlined."
        ) from error
    shapes = inlined.get("oneOf", [inlined])
    if not all(isinstance(shape, dict) and shape.get("type") == "object" for shape in shapes):
        raise SettingsError(f"{where} must be a JSON schema of an 'object' or a oneOf of 'object' schemas.")
    return request_schema(document)


def _component_schema(document: Any, name: str) -> Any:
    """``components.schemas.<name>`` of an OpenAPI document, or None wherever the path breaks."""
    components = document.get("components") if isinstance(document, dict) else None
    schemas = components.get("schemas") if isinstance(components, dict) else None
    return schemas.get(name) if isinstance(schemas, dict) else None


class ServingApi(Construct):
    """A regional REST API whose every route proxies to `handler` (the function's `live` alias)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction,
        settings: ApiSettings,
        firewall: FirewallSettings,
        stage: str,
        tracing: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.api_name = f"text-classifier-{stage}"
        self.stage_name = stage
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=settings.access_log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=self.api_name,
            description=f"Text classifier API ({stage})",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The account-wide CloudWatch role is set once per account by the data stack.
            cloud_watch_role=False,
            default_cors_preflight_options=_cors(settings),
            default_method_options=apigw.MethodOptions(api_key_required=settings.api_key_required),
            deploy_options=self._stage_options(settings, stage, tracing),
        )
        self._add_routes(apigw.LambdaIntegration(handler, allow_test_invoke=False), settings)
        add_gateway_errors(self.api, _cors_headers(settings))
        self.api_key_secret: secretsmanager.Secret | None = None
        self.api_key = self._add_usage_plan(settings, stage) if settings.api_key_required else None
        self._acknowledge_public_access(settings.api_key_required)
        self._acknowledge_checkov_findings(tracing)
        self.firewall = self._add_firewall(firewall, stage)

    def _add_firewall(self, settings: FirewallSettings, stage: str) -> WebFirewall | None:
        """The stage's AWS WAF web ACL where its settings turn it on; elsewhere, why it does without."""
        if settings.enabled:
            stage_arn = self.api.deployment_stage.stage_arn
            return WebFirewall(self, "Firewall", settings=settings, stage=stage, stage_arn=stage_arn)
        acknowledge(
            self.api.deployment_stage,
            "AwsSolutions-APIG3",
            "No WAF web ACL in this stage, by its settings (ServiceSettings.firewall): about $10 a month "
            "at rest (docs/deploying.md, Firewall) is more than an idle development stage costs. Abuse is "
            "bounded by API keys, per-key and stage throttling, a daily quota and the function's "
            "reserved-concurrency cap (the account's concurrency quota when low_concurrency_quota leaves "
            "the function uncapped); the production stage has the firewall on.",
        )
        return None

    def _acknowledge_public_access(self, api_key_required: bool) -> None:
        clients = (
            "clients identify with an API key bound to a usage plan (per-key throttle and daily quota), "
            "under a stage throttle and the function's concurrency cap (the account's concurrency "
            "quota when low_concurrency_quota leaves the function uncapped)"
            if api_key_required
            else "this stage is deliberately open (api_key_required=False), bounded only by the stage "
            "throttle and the function's concurrency cap (or the account's concurrency quota)"
        )
        for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4"):
            acknowledge(
                self.api,
                rule,
                f"A public, stateless classifier with no per-user data: {clients}. IAM or Cognito "
                "would force every client to hold AWS credentials or a user-pool account.",
            )

    def _acknowledge_checkov_findings(self, tracing: bool) -> None:
        """What checkov asks of every API stage and log group, and why this one does without it."""
        skip_check(
            self.access_logs,
            "CKV_AWS_158",
            "CloudWatch Logs already encrypts the access logs at rest; they hold request metadata (ids, "
            "source IP, status, latency), never bodies, so a customer-managed KMS key would add cost only.",
        )
        skip_check(
            self.api.deployment_stage,
            "CKV_AWS_120",
            "No API Gateway cache: it serves GET only (POST /classify is never cached), GET /model changes "
            "with each deploy, and the smallest cache (0.5 GB, about $15 a month) would cost as much at "
            "rest as the rest of a production stage.",
        )
        if not tracing:
            skip_check(
                self.api.deployment_stage,
                "CKV_AWS_73",
                "X-Ray is off in this stage by its settings (ServiceSettings.tracing) to keep an idle "
                "development stage free; the production stage traces the API and the function.",
            )

    def _stage_options(self, settings: ApiSettings, stage: str, tracing: bool) -> apigw.StageOptions:
        return apigw.StageOptions(
            stage_name=stage,
            throttling_rate_limit=settings.stage_rate_limit,
            throttling_burst_limit=settings.stage_burst_limit,
            access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
            access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            # Execution logs for failures only; request bodies are never logged.
            logging_level=apigw.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,
            tracing_enabled=tracing,
        )

    def _add_routes(self, integration: apigw.LambdaIntegration, settings: ApiSettings) -> None:
        request_model = self._request_model(settings.openapi_path)
        validator = self.api.add_request_validator(
            "Validator",
            request_validator_name="classify-request",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        for path, method in ROUTES:
            resource = self.api.root.resource_for_path(path)
            if path == VALIDATED_ROUTE:
                resource.add_method(
                    method,
                    integration,
                    request_validator=validator,
                    request_models={"application/json": request_model},
                )
            else:
                resource.add_method(method, integration)
            resource.add_method("ANY", integration)
        self._add_page(integration, settings.api_key_required)
        for parent in (self.api.root, self.api.root.resource_for_path(VERSION_PREFIX)):
            parent.add_method("ANY", integration)
            parent.add_resource("{proxy+}").add_method("ANY", integration)

    def _add_page(self, integration: apigw.LambdaIntegration, api_key_required: bool) -> None:
        """GET / without a key, every other method on / behind one (the ANY catch-all). On a stage that is
        open as a whole, the API's own acknowledgement covers the page too."""
        page = self.api.root.add_method(PAGE_METHOD, integration, api_key_required=False)
        if not api_key_required:
            return
        reason = (
            "GET / serves the playground page only: a static HTML page that holds no data and costs one "
            "short invocation, under the stage throttle and the function's concurrency cap. Classifying "
            f"still takes POST {api.CLASSIFY}, which needs an API key."
        )
        acknowledge(page, "AwsSolutions-APIG4", reason)
        acknowledge(page, "AwsSolutions-COG4", reason)
        skip_check(page, "CKV_AWS_59", reason)

    def _request_model(self, openapi_path: Path) -> apigw.IModel:
        """A model holding the OpenAPI document's request schema (draft-04, as API Gateway expects)."""
        schema = load_request_schema(openapi_path)
        model = apigw.CfnModel(
            self,
            "ClassifyRequestModel",
            rest_api_id=self.api.rest_api_id,
            name=REQUEST_MODEL_NAME,
            content_type="application/json",
            description=f"Body of POST {api.CLASSIFY}",
            schema=schema,
        )
        # A changed schema must reach the stage: make it part of the deployment's identity.
        self.api.latest_deployment.add_to_logical_id({"classifyRequestSchema": schema})
        return apigw.Model.from_model_name(self, "ClassifyRequestModelRef", model.ref)

    def _add_usage_plan(self, settings: ApiSettings, stage: str) -> apigw.IApiKey:
        self.api_key_secret = self._api_key_secret(stage)
        key = self.api.add_api_key(
            "ApiKey",
            description=f"Default client key of the text classifier ({stage})",
            # A dynamic reference CloudFormation resolves at deploy time: the template never holds the value.
            value=self.api_key_secret.secret_value.unsafe_unwrap(),
        )
        plan = self.api.add_usage_plan(
            "UsagePlan",
            name=f"text-classifier-{stage}",
            description="Per-key throttling and daily quota",
            throttle=apigw.ThrottleSettings(
                rate_limit=settings.key_rate_limit, burst_limit=settings.key_burst_limit
            ),
            quota=apigw.QuotaSettings(limit=settings.key_quota_per_day, period=apigw.Period.DAY),
        )
        plan.add_api_key(key)
        plan.add_api_stage(stage=self.api.deployment_stage)
        return key

    def _api_key_secret(self, stage: str) -> secretsmanager.Secret:
        """The key's value, generated by Secrets Manager under the stage's fixed name, so that reading it
        can be granted for this one secret (the stage's deploy role, for the smoke test) instead of
        `apigateway:GET` on every API key of the region. (API Gateway documents tag conditions for its
        REST API resources, "Using tags to control access to API Gateway REST API resources", but not
        that reading a key's value honours `aws:ResourceTag`; a secret's ARN is a limit IAM certainly
        applies.)"""
        secret = secretsmanager.Secret(
            self,
            "ApiKeySecret",
            secret_name=api_key_secret_name(stage),
            description=f"Value of the default API key of the text classifier ({stage})",
            # API Gateway accepts 20 to 128 characters; letters and digits only, so that the key is
            # typed and pasted (curl, the playground page) without quoting.
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=40, exclude_punctuation=True
            ),
        )
        acknowledge(
            secret,
            "AwsSolutions-SMG4",
            "Secrets Manager cannot rotate it by itself: the value is the API key clients hold, so rotating "
            "means replacing the key (a deploy with a new secret) and telling its clients, which is a "
            "decision, not a schedule.",
        )
        skip_check(
            secret,
            "CKV_AWS_149",
            "Encrypted with Secrets Manager's own key: the value is an API key sent in every request's "
            "x-api-key header; a customer-managed key would add a monthly fee and a key policy, and "
            "grant no reader less than the secret's IAM permissions already do.",
        )
        return secret


def _cors(settings: ApiSettings) -> apigw.CorsOptions | None:
    if not settings.cors_allow_origins:
        return None
    return apigw.CorsOptions(
        allow_origins=list(settings.cors_allow_origins),
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Content-Type", "X-Api-Key"],
    )


def _cors_headers(settings: ApiSettings) -> dict[str, str]:
    """Error answers need the CORS header too, or browsers hide them from the calling page."""
    if not settings.cors_allow_origins:
        return {}
    origin = settings.cors_allow_origins[0] if len(settings.cors_allow_origins) == 1 else "*"
    return {"Access-Control-Allow-Origin": f"'{origin}'"}
