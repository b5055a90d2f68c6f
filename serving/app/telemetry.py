"""CloudWatch metrics (embedded metric format) and structured JSON logs, both on stdout.

Every line is one JSON object. Log lines carry ``timestamp``, ``level`` and ``message`` (the keys Lambda's
JSON log format filters on) and the Lambda ``requestId`` when they are about a request. Request texts
are never logged: only their count and length.

Metrics (namespace ``$AWS_EMF_NAMESPACE``, default ``TextClassifier``; one dimension,
``Service`` = ``$AWS_EMF_SERVICE_NAME``, default ``text-classifier``; every name is defined once, in
``contracts.metrics``, which the CDK app's dashboard and alarms read too):
    ModelLoadTime    Milliseconds  once per cold start (reading, verifying and assembling the model)
    Latency          Milliseconds  per request, inside the handler
    ClientError      Count         per request, 1 for a 4xx else 0 (Average = client error rate)
    ServerError      Count         per request, 1 for a 5xx else 0 (alarm on Sum)
    BatchSize        Count         per parsed POST /v1/classify: number of texts
    InputCharacters  Count         per parsed POST /v1/classify: characters over all texts
Predicted labels, status code, error code, route, request ids and model version are *properties* of the
per-request record, not dimensions: a dimension per label would multiply the custom metrics (and
their cost) by the number of classes. CloudWatch Logs Insights can still count labels from the records.
"""

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from . import emf
from .contracts import metrics as names

NAMESPACE = os.environ.get(names.NAMESPACE_ENV) or names.DEFAULT_NAMESPACE
SERVICE = os.environ.get(names.SERVICE_NAME_ENV) or names.DEFAULT_SERVICE_NAME


class RequestRecord:
    """What is measured about one request (never its text), filled in as the request is handled.

    A plain class, not a dataclass: importing dataclasses and generating its methods costs milliseconds
    at every cold start.
    """

    __slots__ = (
        "api_request_id",
        "batch_size",
        "error_code",
        "input_characters",
        "labels",
        "latency_ms",
        "model_version",
        "request_id",
        "route",
        "status",
    )

    def __init__(
        self,
        request_id: str | None,
        api_request_id: str | None = None,
        route: str | None = None,
        status: int = 0,
        error_code: str | None = None,
        latency_ms: float = 0.0,
        batch_size: int | None = None,
        input_characters: int | None = None,
        labels: list[str] | None = None,
        model_version: str | None = None,
    ):
        self.request_id = request_id
        self.api_request_id = api_request_id
        self.route = route
        self.status = status
        self.error_code = error_code
        self.latency_ms = latency_ms
        self.batch_size = batch_size
        self.input_characters = input_characters
        self.labels = labels if labels is not None else []
        self.model_version = model_version


def log(level: str, message: str, request_id: str | None = None, **fields: Any) -> None:
    """Writes one JSON log line; ``level`` is one of DEBUG, INFO, WARN, ERROR."""
    entry: dict[str, Any] = {"timestamp": datetime.now(UTC).isoformat(), "level": level, "message": message}
    if request_id:
        entry["requestId"] = request_id
    entry.update(fields)
    _write(json.dumps(entry, default=str))


def log_exception(message: str, error: BaseException, request_id: str | None = None) -> None:
    """An ERROR line with the exception type and its full trace (for the log only, never a response)."""
    import traceback  # only on this error path: not worth its import time at every cold start

    trace = "".join(traceback.format_exception(error))
    log("ERROR", message, request_id, errorType=type(error).__name__, stackTrace=trace)


def record_model_load(milliseconds: float, model_version: str, n_features: int, n_classes: int) -> None:
    """The ``ModelLoadTime`` metric, emitted once at init."""
    properties = {"modelVersion": model_version, "features": n_features, "classes": n_classes}
    _emit([_metric(names.MODEL_LOAD_TIME, milliseconds)], properties, None)


def record_request(record: RequestRecord) -> None:
    """The per-request metrics and properties, as one EMF line."""
    metrics = [
        _metric(names.LATENCY, record.latency_ms),
        _metric(names.CLIENT_ERROR, 1 if 400 <= record.status < 500 else 0),
        _metric(names.SERVER_ERROR, 1 if record.status >= 500 else 0),
    ]
    if record.batch_size is not None:
        metrics.append(_metric(names.BATCH_SIZE, record.batch_size))
        metrics.append(_metric(names.INPUT_CHARACTERS, record.input_characters or 0))
    properties = {
        "requestId": record.request_id,
        "apiRequestId": record.api_request_id,
        "route": record.route,
        "statusCode": record.status,
        "errorCode": record.error_code,
        "labels": record.labels,
        "modelVersion": record.model_version,
    }
    _emit(metrics, properties, record.request_id)


def _metric(name: str, value: float) -> tuple[str, float, str]:
    return name, value, names.UNITS[name]


def _emit(metrics: list[tuple[str, float, str]], properties: dict[str, Any], request_id: str | None) -> None:
    """Metrics must never break a response: a failure to emit them is logged and swallowed."""
    try:
        _write(emf.record(NAMESPACE, {names.SERVICE_DIMENSION: SERVICE}, metrics, properties))
    except Exception as error:
        log_exception("metrics could not be emitted", error, request_id)


def _write(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
