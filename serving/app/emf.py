"""CloudWatch embedded metric format (EMF) records, exactly as aws-embedded-metrics writes them to stdout.

aws-embedded-metrics defines the format; its ``LogSerializer`` is the reference the tests compare these
records with, byte for byte. Serving does not import the library at run time: importing any part of it
runs its package ``__init__`` (which pulls in aiohttp for EC2 detection) and its configuration module
(``importlib.metadata``), together about 0.2 s of every cold start, to produce one JSON line.
Lambda is the only environment serving runs in, and there the library writes to stdout too.
"""

import json
import os
import time
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii as _json_string  # what json.dumps writes for a str

# What the library's Lambda environment adds to every record: where the metrics came from.
_LAMBDA_PROPERTIES = {
    "executionEnvironment": "AWS_EXECUTION_ENV",
    "memorySize": "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "functionVersion": "AWS_LAMBDA_FUNCTION_VERSION",
    "logStreamId": "AWS_LAMBDA_LOG_STREAM_NAME",
}
TRACE_ID_ENV = "_X_AMZN_TRACE_ID"


def record(
    namespace: str,
    dimensions: dict[str, str],
    metrics: list[tuple[str, float | list[float], str]],
    properties: dict[str, object],
    timestamp_ms: int | None = None,
    more: tuple[dict[str, str], list[tuple[str, float, str]]] | None = None,
) -> str:
    """One EMF line: one dimension set, ``metrics`` as (name, value, unit) (a value may be a list, one
    per sample), then the properties.

    The key order is the library's: dimension values, properties, ``_aws``, metric values. ``more`` adds
    a second directive, more dimensions with their own metrics (the EMF specification allows several
    directives per record; the library writes one): one record instead of two, on every request.
    The directives are the same on every request of a kind, so their JSON is written once and reused:
    serializing them was most of a record's cost.
    """
    head: dict[str, object] = {**dimensions, **properties, **environment_properties()}
    more_dimensions, more_metrics = more if more is not None else ({}, [])
    head.update(more_dimensions)
    values = {name: value for name, value, _ in metrics}
    values.update((name, value) for name, value, _ in more_metrics)
    timestamp = timestamp_ms if timestamp_ms is not None else round(time.time() * 1000)
    directives = _DIRECTIVES.get((namespace, tuple(dimensions), tuple(more_dimensions), tuple(values)))
    if directives is None:
        directives = _directives(namespace, dimensions, metrics, more_dimensions, more_metrics)
    if "_aws" in head or not head.keys().isdisjoint(values):  # a name used twice: one dict decides
        body = {**head, "_aws": {"Timestamp": timestamp, "CloudWatchMetrics": json.loads(directives)}}
        body.update(values)
        return json.dumps(body)
    aws = f'"_aws": {{"Timestamp": {timestamp}, "CloudWatchMetrics": {directives}}}'
    parts = (json.dumps(head)[1:-1], aws, json.dumps(values)[1:-1])
    return "{" + ", ".join(part for part in parts if part) + "}"


# The directives' JSON by namespace, dimension names and metric names (a metric has one unit).
_DIRECTIVES: dict[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], str] = {}


def _directives(
    namespace: str,
    dimensions: dict[str, str],
    metrics: list[tuple[str, object, str]],
    more_dimensions: dict[str, str],
    more_metrics: list[tuple[str, object, str]],
) -> str:
    """The ``CloudWatchMetrics`` JSON: the first dimension set's metrics, then (if there are any) the
    more metrics under the first dimensions and the more ones; kept for the next record of its kind."""
    directives = [_directive(namespace, list(dimensions), metrics)]
    if more_metrics:
        directives.append(_directive(namespace, [*dimensions, *more_dimensions], more_metrics))
    names = tuple(name for name, _, _ in (*metrics, *more_metrics))
    written = json.dumps(directives)
    _DIRECTIVES[(namespace, tuple(dimensions), tuple(more_dimensions), names)] = written
    return written


def _directive(namespace: str, dimensions: list[str], metrics: list[tuple[str, object, str]]) -> dict:
    return {
        "Dimensions": [dimensions],
        "Metrics": [{"Name": name, "Unit": unit} for name, _, unit in metrics],
        "Namespace": namespace,
    }


class Template:
    """A record whose keys never change, only its values: written once as a format string, so that a
    record costs one ``%`` and its values' JSON.

    ``record`` builds and serializes dictionaries and reads the environment on every call; on the
    busiest line (one answered text, on every request) that cost about a fifth of a warm request
    (docs/performance.md). A template writes the same bytes as ``record`` given the same
    names in the same order (a test holds the two, and the library, to that) for the shapes it accepts,
    keys that all differ. It reads the execution environment's properties once, when it is made: Lambda
    sets those variables during initialization and they hold for the environment's life (Lambda developer
    guide, "Defined runtime environment variables"); the trace id, which changes per request, is read
    per record.
    """

    def __init__(
        self,
        namespace: str,
        dimensions: dict[str, str],
        property_names: Sequence[str],
        metrics: Sequence[tuple[str, str]],
        more_dimension_names: Sequence[str] = (),
        more_metrics: Sequence[tuple[str, str]] = (),
    ):
        """``metrics`` and ``more_metrics`` as (name, unit); ``more_*`` as ``record``'s ``more``."""
        head_names = [*dimensions, *property_names, *_LAMBDA_PROPERTIES, "traceId", *more_dimension_names]
        value_names = [name for name, _ in (*metrics, *more_metrics)]
        if len({*head_names, *value_names, "_aws"}) != len(head_names) + len(value_names) + 1:
            raise ValueError(f"a template's keys must all differ: {head_names + value_names}")
        environment = environment_properties()
        environment.pop("traceId", None)
        self._traced = bool(environment)  # on Lambda: a sampled request's trace id follows the environment
        directives = _directives(
            namespace,
            dimensions,
            [(name, None, unit) for name, unit in metrics],
            dict.fromkeys(more_dimension_names, ""),
            [(name, None, unit) for name, unit in more_metrics],
        )
        head = [
            _escaped(json.dumps(dimensions)[1:-1]),
            *(_slot(name) for name in property_names),
            _escaped(json.dumps(environment)[1:-1]) + "%s" if environment else "",
            *(_slot(name) for name in more_dimension_names),
        ]
        aws = '"_aws": {"Timestamp": %s, "CloudWatchMetrics": ' + _escaped(directives) + "}"
        parts = [part for part in head if part] + [aws] + [_slot(name) for name in value_names]
        self._format = "{" + ", ".join(parts) + "}"

    def render(
        self,
        properties: Sequence[str],
        more_dimensions: Sequence[str],
        values: Sequence[int | float],
        timestamp_ms: int | None = None,
    ) -> str:
        """The record with these values, in the order of the names the template was made with.

        ``properties`` and ``more_dimensions`` come as JSON already (``json_text`` writes a string's), so
        that the caller, who knows their types, pays only for what they need; ``values`` must be finite
        ints or floats, whose JSON is what Python writes for them.
        """
        trace = (_trace_property(),) if self._traced else ()
        timestamp = timestamp_ms if timestamp_ms is not None else round(time.time() * 1000)
        return self._format % (*properties, *trace, *more_dimensions, timestamp, *values)


def json_text(value: str | None) -> str:
    """A string's (or None's) JSON, as ``json.dumps`` writes it."""
    return "null" if value is None else _json_string(value)


def _slot(name: str) -> str:
    """``"name": %s``, the key written once and its value's place."""
    return _escaped(_json_string(name)) + ": %s"


def _escaped(text: str) -> str:
    """``text`` as literal text of a ``%`` format."""
    return text.replace("%", "%%")


def _trace_property() -> str:
    """The ``traceId`` property, after the environment's, as ``environment_properties`` adds it: the
    request's trace id if X-Ray sampled the request, else nothing."""
    trace_id = os.environ.get(TRACE_ID_ENV, "")
    return ', "traceId": ' + _json_string(trace_id) if "Sampled=1" in trace_id else ""


def environment_properties() -> dict[str, str]:
    """On Lambda, the function's execution environment, memory, version, log stream and sampled trace."""
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return {}
    properties = {key: os.environ.get(variable, "") for key, variable in _LAMBDA_PROPERTIES.items()}
    trace_id = os.environ.get(TRACE_ID_ENV, "")
    if "Sampled=1" in trace_id:
        properties["traceId"] = trace_id
    return properties
