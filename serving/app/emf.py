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
    """
    body: dict[str, object] = {**dimensions, **properties, **environment_properties()}
    directives = [
        {
            "Dimensions": [list(dimensions)],
            "Metrics": [{"Name": name, "Unit": unit} for name, _, unit in metrics],
            "Namespace": namespace,
        }
    ]
    if more is not None:
        more_dimensions, more_metrics = more
        body.update(more_dimensions)
        directives.append(
            {
                "Dimensions": [[*dimensions, *more_dimensions]],
                "Metrics": [{"Name": name, "Unit": unit} for name, _, unit in more_metrics],
                "Namespace": namespace,
            }
        )
        metrics = [*metrics, *more_metrics]
    body["_aws"] = {
        "Timestamp": timestamp_ms if timestamp_ms is not None else round(time.time() * 1000),
        "CloudWatchMetrics": directives,
    }
    for name, value, _ in metrics:
        body[name] = value
    return json.dumps(body)


def environment_properties() -> dict[str, str]:
    """On Lambda, the function's execution environment, memory, version, log stream and sampled trace."""
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return {}
    properties = {key: os.environ.get(variable, "") for key, variable in _LAMBDA_PROPERTIES.items()}
    trace_id = os.environ.get(TRACE_ID_ENV, "")
    if "Sampled=1" in trace_id:
        properties["traceId"] = trace_id
    return properties
