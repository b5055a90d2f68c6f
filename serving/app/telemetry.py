"""CloudWatch metrics (embedded metric format) and structured JSON logs, both on stdout.

Every line is one JSON object. Log lines carry ``timestamp``, ``level`` and ``message`` (the keys Lambda's
JSON log format filters on) and the Lambda ``requestId`` when they are about a request. Request texts
are never logged here: only their count and length. The one exception is opt-in: with ``$CAPTURE_RATE``
above 0, ``capture`` writes a sampled share of the texts as capture lines (off by default;
docs/monitoring.md, "Capture").

Metrics (namespace ``$AWS_EMF_NAMESPACE``, default ``TextClassifier``; one dimension,
``Service`` = ``$AWS_EMF_SERVICE_NAME``, default ``text-classifier``; every name is defined once, in
``contracts.metrics``, which the CDK app's dashboard and alarms read too):
    ModelLoadTime    Milliseconds  once per cold start (reading, verifying and assembling the model)
    Latency          Milliseconds  per request, inside the handler
    ClientError      Count         per request, 1 for a 4xx else 0 (Average = client error rate)
    ServerError      Count         per request, 1 for a 5xx else 0 (alarm on Sum)
    BatchSize        Count         per parsed POST /v1/classify: number of texts
    InputCharacters  Count         per parsed POST /v1/classify: characters over all texts
Model quality, per text of an answered POST /v1/classify (one value per text, a list for a batch):
    LabelProbability    None       the predicted label's probability
    LabelMargin         None       that minus the second most probable class's
    VocabularyCoverage  None       share of the text's tokens the model knows (families.protocol.Quality)
    TextCharacters      Count      the text's length
    PredictedLabel      Count      texts per predicted label, one record per label with a second
                                   dimension ``Label``: the label mix, one series per class
Status code, error code, route, request ids, model version and the labels are *properties* of the
per-request record, not dimensions: a dimension on every metric would multiply the custom metrics (and
their cost); only PredictedLabel pays one series per class, for the label-mix alarm.
"""

import json
import math
import os
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from . import emf
from .contracts import metrics as names

NAMESPACE = os.environ.get(names.NAMESPACE_ENV) or names.DEFAULT_NAMESPACE
SERVICE = os.environ.get(names.SERVICE_NAME_ENV) or names.DEFAULT_SERVICE_NAME
_DECIMALS = names.QUALITY_DECIMALS


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
        "quality",
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
        quality: list[tuple[float, float, float, int]] | None = None,
    ):
        """``quality`` holds, per classified text, the values of ``contracts.metrics.QUALITY_FIELDS``:
        (probability, margin, coverage, characters)."""
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
        self.quality = quality if quality is not None else []


def log(level: str, message: str, request_id: str | None = None, **fields: Any) -> None:
    """Writes one JSON log line; ``level`` is one of DEBUG, INFO, WARN, ERROR."""
    entry: dict[str, Any] = {"timestamp": datetime.now(UTC).isoformat(), "level": level, "message": message}
    if request_id:
        entry["requestId"] = request_id
    entry.update(fields)
    write_line(json.dumps(entry, default=str))


def log_exception(message: str, error: BaseException, request_id: str | None = None) -> None:
    """An ERROR line with the exception type and its full trace (for the log only, never a response)."""
    import traceback  # only on this error path: not worth its import time at every cold start

    trace = "".join(traceback.format_exception(error))
    log("ERROR", message, request_id, errorType=type(error).__name__, stackTrace=trace)


def record_model_load(milliseconds: float, model_version: str, n_features: int, n_classes: int) -> None:
    """The ``ModelLoadTime`` metric, emitted once at init."""
    properties = {"modelVersion": model_version, "features": n_features, "classes": n_classes}
    _emit([_metric(names.MODEL_LOAD_TIME, milliseconds)], properties, None)


# The properties of every per-request record, in the order they are written.
_REQUEST_PROPERTIES = (
    "requestId",
    "apiRequestId",
    "route",
    "statusCode",
    "errorCode",
    "labels",
    "modelVersion",
)
# The record of one answered text, the commonest by far, as a template (``emf.Template``): the same bytes
# as ``_record_any``, in a fraction of its time on every request.
_ONE_ANSWER_METRICS = (
    names.LATENCY,
    names.CLIENT_ERROR,
    names.SERVER_ERROR,
    names.BATCH_SIZE,
    names.INPUT_CHARACTERS,
    *names.QUALITY_FIELDS,
)


def one_answer_template() -> emf.Template:
    """The template of one answered text's record, made at import (the init phase, when it reads the
    execution environment)."""
    return emf.Template(
        NAMESPACE,
        {names.SERVICE_DIMENSION: SERVICE},
        _REQUEST_PROPERTIES,
        [(name, names.UNITS[name]) for name in _ONE_ANSWER_METRICS],
        (names.LABEL_DIMENSION,),
        [(names.PREDICTED_LABEL, names.UNITS[names.PREDICTED_LABEL])],
    )


_ONE_ANSWER = one_answer_template()


def record_request(record: RequestRecord) -> None:
    """The per-request metrics and properties, as one EMF line (more for a batch of several labels)."""
    if record.status == 200 and len(record.quality) == 1 and len(record.labels) == 1 and record.batch_size:
        _record_one_answer(record)
    else:
        _record_any(record)


def _record_any(record: RequestRecord) -> None:
    """Any request's record, built key by key (errors, batches, the pages and documents)."""
    metrics = [
        _metric(names.LATENCY, record.latency_ms),
        _metric(names.CLIENT_ERROR, 1 if 400 <= record.status < 500 else 0),
        _metric(names.SERVER_ERROR, 1 if record.status >= 500 else 0),
    ]
    if record.batch_size is not None:
        metrics.append(_metric(names.BATCH_SIZE, record.batch_size))
        metrics.append(_metric(names.INPUT_CHARACTERS, record.input_characters or 0))
    properties = dict(zip(_REQUEST_PROPERTIES, _properties(record), strict=True))
    quality = record.quality if record.status == 200 else []
    if not quality:
        _emit(metrics, properties, record.request_id)
        return
    chunk = names.MAX_VALUES_PER_RECORD
    metrics.extend(_quality_metrics(quality[:chunk]))
    counts = Counter(record.labels)
    if len(counts) == 1:  # every text got the same label (one text always): counted in the same record
        ((label, count),) = counts.items()
        _emit(metrics, properties, record.request_id, _label_count(label, count))
    else:
        _emit(metrics, properties, record.request_id)
        for label, count in counts.items():
            more_dimensions, label_metrics = _label_count(label, count)
            dimensions = {names.SERVICE_DIMENSION: SERVICE, **more_dimensions}
            _emit(label_metrics, {"requestId": record.request_id}, record.request_id, dimensions=dimensions)
    for start in range(chunk, len(quality), chunk):  # a batch of more texts than one record holds
        metrics = _quality_metrics(quality[start : start + chunk])
        _emit(metrics, {"requestId": record.request_id}, record.request_id)


def _record_one_answer(record: RequestRecord) -> None:
    """One answered text: the bytes ``_record_any`` writes for it, from ``_ONE_ANSWER``."""
    try:
        probability, margin, coverage, characters = record.quality[0]
        values = (
            record.latency_ms,
            0,
            0,
            record.batch_size,
            record.input_characters or 0,
            round(probability, _DECIMALS),
            round(margin, _DECIMALS),
            round(coverage, _DECIMALS),
            characters,
            1,
        )
        if not math.isfinite(sum(values)):  # a NaN or an infinity: JSON has its own words for them
            _record_any(record)
            return
        label = emf.json_text(record.labels[0])
        properties = (
            *map(emf.json_text, (record.request_id, record.api_request_id, record.route)),
            str(record.status),
            emf.json_text(record.error_code),
            f"[{label}]",
            emf.json_text(record.model_version),
        )
        write_line(_ONE_ANSWER.render(properties, (label,), values))
    except Exception as error:
        log_exception("metrics could not be emitted", error, record.request_id)


def _properties(record: RequestRecord) -> tuple:
    """The values of ``_REQUEST_PROPERTIES``."""
    return (
        record.request_id,
        record.api_request_id,
        record.route,
        record.status,
        record.error_code,
        record.labels,
        record.model_version,
    )


def _quality_metrics(quality: list[tuple[float, float, float, int]]) -> list[tuple[str, Any, str]]:
    """Per quality metric, its value for each text: a number for one text, a list for several. Shares
    are rounded to ``contracts.metrics.QUALITY_DECIMALS``: finer than any alarm reads, and short
    numbers are quick to write."""
    rounded = [
        (round(probability, _DECIMALS), round(margin, _DECIMALS), round(coverage, _DECIMALS), characters)
        for probability, margin, coverage, characters in quality
    ]
    columns = zip(*rounded, strict=True) if len(rounded) > 1 else rounded[0]
    return [
        (name, list(values) if len(rounded) > 1 else values, names.UNITS[name])
        for name, values in zip(names.QUALITY_FIELDS, columns, strict=True)
    ]


def _label_count(label: str, count: int) -> tuple[dict[str, str], list[tuple[str, Any, str]]]:
    """``PredictedLabel`` under its own dimension set (Service, Label): how many texts got ``label``."""
    return {names.LABEL_DIMENSION: label}, [_metric(names.PREDICTED_LABEL, count)]


def _metric(name: str, value: Any) -> tuple[str, Any, str]:
    return name, value, names.UNITS[name]


def _emit(
    metrics: list[tuple[str, Any, str]],
    properties: dict[str, Any],
    request_id: str | None,
    more: tuple[dict[str, str], list[tuple[str, Any, str]]] | None = None,
    dimensions: dict[str, str] | None = None,
) -> None:
    """Metrics must never break a response: a failure to emit them is logged and swallowed. They carry
    the ``Service`` dimension unless ``dimensions`` says otherwise; ``more`` is ``emf.record``'s."""
    try:
        dimensions = dimensions or {names.SERVICE_DIMENSION: SERVICE}
        write_line(emf.record(NAMESPACE, dimensions, metrics, properties, more=more))
    except Exception as error:
        log_exception("metrics could not be emitted", error, request_id)


def write_line(line: str) -> None:
    """Writes one whole line to stdout (Lambda sends it to the function's log group), flushed at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
