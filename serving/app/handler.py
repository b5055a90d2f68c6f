"""AWS Lambda entry point behind API Gateway (REST, proxy integration): ``app.handler.lambda_handler``.

The model is loaded once per execution environment, at import (Lambda's init phase), so that a broken
artifact fails the deployment loudly at start instead of failing requests one by one. A request is
parsed and validated (``api_contract``), predicted by the model's classifier (``families``: whatever kind
the artifact records, loaded by ``artifact.loader``) and formatted; each step is in its own module so
this one only wires them and measures (``telemetry``).

    POST /v1/classify      {"text": "..."} or {"texts": [...]}, optional "top_k" and "explain"
                           -> label, top-k scores and, if asked, the label's explanation
    GET  /                 the playground page: paste a text, see its label, probabilities and explanation
    GET  /v1/model         what is deployed: version, classes, metrics, training data and settings
    GET  /v1/openapi.json  the OpenAPI document of this API (``openapi.json`` beside the code)

The routes are ``contracts.api``'s; the unversioned paths of versions before 3.0.0 get 410 route_moved.

Configuration (environment): MODEL_DIR (model directory, default ``data/`` beside the code),
CORS_ALLOW_ORIGINS (comma-separated browser origins, or ``*``), AWS_EMF_NAMESPACE and
AWS_EMF_SERVICE_NAME (metrics, see ``telemetry``), CAPTURE_RATE (share of the classified texts written as
capture lines, 0 to 1, default 0: off; see ``capture``).
"""

import os
import time

_imports_started = time.perf_counter()

# numpy first, from the shallowest frame: imported from deep inside this package's import chain, its
# hundred-module import ran at the edge of one of CPython 3.12's 16 KB frame-stack chunks, which the
# interpreter maps and unmaps again at every call that crosses it (python/cpython#142183, fixed in
# 3.13 and later): hundreds of mmap/munmap pairs, about 10 ms of cold start (docs/performance.md).
import numpy  # noqa: E402, F401

from . import playground, telemetry  # noqa: E402  (timed: imports are part of the cold start)
from .artifact import loader  # noqa: E402
from .artifact.manifest import ModelLoadError  # noqa: E402
from .contracts import api  # noqa: E402
from .contracts import capture as capture_contract  # noqa: E402

try:
    # Reads openapi.json, the source of its request limits, once: the document this handler serves.
    from . import api_contract
except RuntimeError as error:  # api_contract.OpenApiDocumentError: a missing or broken openapi.json
    telemetry.log(
        "ERROR", "OpenAPI document failed to load", path=str(getattr(error, "path", "")), error=str(error)
    )
    raise

_IMPORT_MS = (time.perf_counter() - _imports_started) * 1000.0


def _load_model() -> loader.Model:
    """Loads and verifies the model; a broken artifact stops the init with a message saying what to do."""
    started = time.perf_counter()
    try:
        model = loader.load_model()
    except ModelLoadError as error:
        telemetry.log("ERROR", "model failed to load", error=str(error))
        raise
    load_ms = (time.perf_counter() - started) * 1000.0
    n_features, n_classes = model.classifier.n_features, len(model.classifier.classes)
    telemetry.record_model_load(load_ms, model.version, n_features, n_classes)
    telemetry.log("INFO", "model loaded", modelVersion=model.version, loadMs=load_ms, importMs=_IMPORT_MS)
    return model


def _allowed_origins() -> tuple[str, ...]:
    """Browser origins allowed to call the API: ``$CORS_ALLOW_ORIGINS``, comma-separated (empty: none)."""
    configured = os.environ.get("CORS_ALLOW_ORIGINS", "")
    return tuple(origin.strip() for origin in configured.split(",") if origin.strip())


MODEL = _load_model()
# The OpenAPI document api_contract read at import (openapi.json beside the code; a missing or broken one
# stopped the init there, like a broken model does), serialized once so serving it costs nothing per request.
OPENAPI_DOCUMENT = api_contract.to_json(api_contract.OPENAPI)
CORS_ALLOW_ORIGINS = _allowed_origins()


def _capture_sampler():  # -> capture.Sampler | None (capture is imported only when it is on)
    """The opt-in capture of classified texts (None: off); a malformed rate stops the init, logged.

    Without ``$CAPTURE_RATE`` (capture off, the default) the capture module is not even imported: off
    costs the cold start nothing.
    """
    if not os.environ.get(capture_contract.RATE_ENV, "").strip():
        return None
    from . import capture

    try:
        return capture.from_environment(telemetry.write_line)
    except capture.CaptureSettingError as error:
        telemetry.log("ERROR", "capture setting refused", error=str(error))
        raise


CAPTURE = _capture_sampler()


def _load_page() -> str:
    """The playground page, asking for every class (within the API's top_k limit) and the API's default
    explanation; a missing page stops the init like a missing document does."""
    top_k = min(len(MODEL.classifier.classes), api_contract.MAX_TOP_K)
    try:
        return playground.load_page(top_k, api_contract.DEFAULT_EXPLAIN_TERMS)
    except playground.PageError as error:
        telemetry.log("ERROR", "playground page failed to load", error=str(error))
        raise


PAGE = _load_page()
PAGE_POLICY = playground.content_security_policy(PAGE)


def lambda_handler(event: dict, context: object) -> dict:
    """Answers one API Gateway proxy event; never raises (a bug becomes a logged 500)."""
    started = time.perf_counter()
    record = telemetry.RequestRecord(
        request_id=getattr(context, "aws_request_id", None),
        api_request_id=_api_request_id(event),
        model_version=MODEL.version,
    )
    try:
        response = _route(event, record)
    except api_contract.ClientError as error:
        record.error_code = error.code
        telemetry.log("INFO", "client error", record.request_id, status=error.status, code=error.code)
        response = api_contract.error_response(error)
    except Exception as error:
        record.error_code = "internal_error"
        telemetry.log_exception("unhandled error", error, record.request_id)
        response = api_contract.internal_error_response(record.request_id)
    if CORS_ALLOW_ORIGINS and isinstance(event, dict):
        origin = api_contract.header(event, "origin")
        response["headers"].update(api_contract.cors_headers(origin, CORS_ALLOW_ORIGINS))
    record.status = response["statusCode"]
    record.latency_ms = (time.perf_counter() - started) * 1000.0
    telemetry.record_request(record)
    return response


def _route(event: dict, record: telemetry.RequestRecord) -> dict:
    record.route = api_contract.match_route(event)
    path = event["path"]  # a known route's (contracts.api), each with its one method
    if path == api.PAGE:
        return playground.html_response(PAGE, PAGE_POLICY)
    if path == api.MODEL:
        return api_contract.json_response(200, MODEL.description)
    if path == api.OPENAPI:
        return api_contract.json_text_response(200, OPENAPI_DOCUMENT)
    return _classify(event, record)


def _classify(event: dict, record: telemetry.RequestRecord) -> dict:
    request = api_contract.parse_classify_request(api_contract.read_json_body(event))
    record.batch_size = len(request.texts)
    record.input_characters = sum(len(text) for text in request.texts)
    explanations = None
    if request.explain:
        explained = MODEL.classifier.classify_explained(request.texts, request.top_k, request.explain)
        predictions, explanations = [p for p, _ in explained], [e for _, e in explained]
    else:
        predictions = MODEL.classifier.classify(request.texts, request.top_k)
    record.labels = [prediction.label for prediction in predictions]
    record.quality = [
        (*prediction.quality, len(text))
        for prediction, text in zip(predictions, request.texts, strict=True)
        if prediction.quality is not None
    ]
    response = api_contract.classify_response(request, predictions, MODEL.version, explanations)
    if CAPTURE is not None:
        CAPTURE.capture(record.request_id, MODEL.version, request.texts, predictions)
    return response


def _api_request_id(event: object) -> str | None:
    """API Gateway's own request id, to join this function's logs with the API's access logs."""
    if isinstance(event, dict) and isinstance(event.get("requestContext"), dict):
        return event["requestContext"].get("requestId")
    return None
