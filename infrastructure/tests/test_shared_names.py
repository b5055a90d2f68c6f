"""Every metric the dashboard or an alarm reads is one the real handler writes, under the same dimensions.

The CDK app takes the names from serving/app/contracts/metrics.py, but nothing in the template proves the
handler still emits them: a handler that stops writing a metric (or writes it under another name,
namespace or dimension) leaves a blank graph and an alarm that never fires, with synthesis green. So the
synthesized stacks are read for every metric outside AWS's own namespaces, the handler is run in a fresh
interpreter with the environment the template gives the function, on requests that take every path that
emits metrics (cold start, success, batch, client errors, a server error), and the EMF records it prints
must cover them all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template
from infra_constructs.model_quality import LOW_MEDIAN_METRICS
from infra_support import Synthesized, resources, serving_function
from model_baseline import model_with_baseline, quality_stack
from stacks.settings import METRIC_NAMES, SERVING_APP_DIR, TelemetrySettings

from serving.tests.apigw_events import rest_event
from serving.tests.artifact_export import bbc_news, export, train

REPO_ROOT = SERVING_APP_DIR.parents[1]
STAGES = ("dev", "prod")

# A metric as CloudWatch addresses it: namespace, name and the dimension name -> value pairs.
MetricKey = tuple[str, str, frozenset[tuple[str, str]]]

# Runs in a fresh interpreter: imports the handler (the cold start emits ModelLoadTime), answers the
# events read from stdin, then one request that fails inside the handler (500). Prints the status codes
# on stderr; the handler's stdout is its log and metrics.
_RUN_HANDLER = """
import json, sys
from serving.app import handler

class Context:
    aws_request_id = "shared-names-test"

statuses = [handler.lambda_handler(event, Context())["statusCode"] for event in json.load(sys.stdin)]

def fail(*args, **kwargs):
    raise RuntimeError("forced failure")

handler.api_contract.classify_response = fail
statuses.append(handler.lambda_handler(json.loads(sys.argv[1]), Context())["statusCode"])
print(json.dumps(statuses), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts, labels = bbc_news(per_class=8)
    return export(*train(texts, labels), tmp_path_factory.mktemp("shared_names_model"))


def _events() -> list[dict[str, Any]]:
    return [
        rest_event("POST", "/classify", json.dumps({"text": "The bank raised interest rates"})),
        rest_event("POST", "/classify", json.dumps({"texts": ["Shares rose", "A late goal"], "top_k": 1})),
        rest_event("GET", "/model"),
        rest_event("GET", "/openapi.json"),
        rest_event("POST", "/classify", "{"),
        rest_event("POST", "/classify", json.dumps({"text": "a", "top_k": 0})),
        rest_event("GET", "/nowhere"),
    ]


def _function_environment(template: Template) -> dict[str, str]:
    _, function = serving_function(template)
    return function["Environment"]["Variables"]


def _emitted_metrics(environment: dict[str, str], model_dir: Path) -> set[MetricKey]:
    """Runs the handler with the function's environment; every metric its EMF records carry."""
    env = {**os.environ, **environment, "MODEL_DIR": str(model_dir)}
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    failing = rest_event("POST", "/classify", json.dumps({"text": "Parliament passed the budget"}))
    result = subprocess.run(
        [sys.executable, "-c", _RUN_HANDLER, json.dumps(failing)],
        input=json.dumps(_events()),
        capture_output=True,
        text=True,
        cwd=SERVING_APP_DIR,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    statuses = json.loads(result.stderr.strip().splitlines()[-1])
    assert {200, 400, 404, 422, 500} <= set(statuses), statuses
    emitted: set[MetricKey] = set()
    for line in result.stdout.splitlines():
        record = json.loads(line)
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", []):
            for dimension_set in directive["Dimensions"]:
                dimensions = frozenset((name, record[name]) for name in dimension_set)
                for metric in directive["Metrics"]:
                    assert metric["Name"] in record, f"EMF record without a value for {metric['Name']}"
                    emitted.add((directive["Namespace"], metric["Name"], dimensions))
    return emitted


def _dashboard_metrics(template: Template) -> set[MetricKey]:
    """Metrics of the dashboard's graphs: [namespace, name, dim, value, ..., {options}?] each."""
    found: set[MetricKey] = set()
    for dashboard in resources(template, "AWS::CloudWatch::Dashboard").values():
        body = dashboard["Properties"]["DashboardBody"]
        parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
        # A CloudFormation reference (inside a JSON string) becomes its JSON text, escaped.
        text = "".join(part if isinstance(part, str) else json.dumps(_value(part))[1:-1] for part in parts)
        for widget in json.loads(text)["widgets"]:
            for metric in widget.get("properties", {}).get("metrics", []):
                fields = [field for field in metric if not isinstance(field, dict)]
                namespace, name, *dims = fields
                found.add((namespace, name, frozenset(zip(dims[::2], dims[1::2], strict=True))))
    return found


def _alarm_metrics(template: Template) -> set[MetricKey]:
    """Metrics of every alarm: a single-metric alarm's own, or each MetricStat of a metric-math alarm."""
    found: set[MetricKey] = set()

    def add(metric: dict[str, Any]) -> None:
        dimensions = frozenset((d["Name"], _value(d["Value"])) for d in metric.get("Dimensions", []))
        found.add((metric["Namespace"], metric["MetricName"], dimensions))

    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if "MetricName" in properties:
            add(properties)
        for query in properties.get("Metrics", []):
            if "MetricStat" in query:
                add(query["MetricStat"]["Metric"])
    return found


def _value(value: Any) -> str:
    """A dimension value; a CloudFormation reference (a dict) as its JSON text."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _custom(metrics: set[MetricKey]) -> set[MetricKey]:
    """Metrics outside AWS's own namespaces (AWS/ApiGateway, AWS/Lambda, ...): the handler's to write."""
    return {metric for metric in metrics if not metric[0].startswith("AWS/")}


@pytest.mark.parametrize("stage", STAGES)
def test_every_metric_the_dashboard_and_alarms_read_is_one_the_handler_writes(
    synthesized: Synthesized, model_dir: Path, stage: str
):
    template = synthesized.template(stage)
    environment = _function_environment(template)
    read = _custom(_dashboard_metrics(template) | _alarm_metrics(template))
    charted = {metric.name for metric in synthesized.built.services[stage].settings.telemetry.model_metrics}
    assert {name for _, name, _ in read} >= charted, "the dashboard lost a model metric"

    written = _emitted_metrics(environment, model_dir)

    # The stage's model (if it has a baseline, its quality alarms read every class) is not the one the
    # handler serves here: any label stands for all; the classes are checked below, on one model.
    unwritten = _any_label(read) - _any_label(written)
    missing = sorted((namespace, name, sorted(dims)) for namespace, name, dims in unwritten)
    assert not missing, (
        f"the {stage} dashboard or alarms read metrics the handler never writes: {missing}; "
        f"the handler wrote {sorted((n, m, sorted(d)) for n, m, d in written)}"
    )


def _any_label(metrics: set[MetricKey]) -> set[MetricKey]:
    """The metrics with any `Label` dimension value as one: the handler writes the labels it predicts,
    the alarms read every class."""
    label = METRIC_NAMES.LABEL_DIMENSION
    return {
        (namespace, name, frozenset((key, "*" if key == label else value) for key, value in dims))
        for namespace, name, dims in metrics
    }


def test_every_metric_the_model_quality_alarms_and_graphs_read_is_one_the_handler_writes(tmp_path: Path):
    """The model-quality alarms and dashboard row, built from a model's baseline, against the handler
    serving that very model: the same names, dimensions and classes."""
    model_dir = model_with_baseline(tmp_path)
    template, _ = quality_stack(tmp_path)
    read = _custom(_dashboard_metrics(template) | _alarm_metrics(template))
    assert {name for _, name, _ in read} >= {*LOW_MEDIAN_METRICS, METRIC_NAMES.PREDICTED_LABEL}
    telemetry = TelemetrySettings()
    environment = {
        METRIC_NAMES.NAMESPACE_ENV: telemetry.namespace,
        METRIC_NAMES.SERVICE_NAME_ENV: telemetry.service_name,
    }
    written = _emitted_metrics(environment, model_dir)

    missing = _any_label(read) - _any_label(written)
    assert not missing, f"the model-quality alarms or graphs read metrics the handler never writes: {missing}"
    classes = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))["classes"]
    labels_read = {value for _, _, dims in read for key, value in dims if key == METRIC_NAMES.LABEL_DIMENSION}
    assert labels_read == set(classes)
