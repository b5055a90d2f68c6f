"""Metrics are EMF records with the documented names; logs are JSON lines that never hold request text."""

import json
import os
import subprocess
import sys

import pytest
from aws_embedded_metrics.environment.lambda_environment import LambdaEnvironment
from aws_embedded_metrics.logger.metrics_context import MetricsContext
from aws_embedded_metrics.serializers.log_serializer import LogSerializer

from serving.app import emf, telemetry
from serving.app.contracts import api
from serving.tests.apigw_events import LambdaContext, rest_event

LAMBDA_ENVIRONMENT = {
    "AWS_LAMBDA_FUNCTION_NAME": "text-classifier",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "AWS_LAMBDA_FUNCTION_VERSION": "7",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[7]abcdef",
}


def stdout_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def emf_metrics(record: dict) -> dict[str, str]:
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    return {metric["Name"]: metric["Unit"] for metric in directive["Metrics"]}


def test_request_record_is_one_emf_line(capsys):
    record = telemetry.RequestRecord(
        request_id="req-1",
        api_request_id="api-1",
        route=f"POST {api.CLASSIFY}",
        status=200,
        latency_ms=1.5,
        batch_size=2,
        input_characters=40,
        labels=["sport", "tech"],
        model_version="abc",
    )
    telemetry.record_request(record)
    (line,) = stdout_lines(capsys)
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == telemetry.NAMESPACE == "TextClassifier"
    assert directive["Dimensions"] == [["Service"]]
    assert line["Service"] == "text-classifier"
    assert emf_metrics(line) == {
        "Latency": "Milliseconds",
        "ClientError": "Count",
        "ServerError": "Count",
        "BatchSize": "Count",
        "InputCharacters": "Count",
    }
    assert (line["Latency"], line["BatchSize"], line["InputCharacters"]) == (1.5, 2, 40)
    assert (line["ClientError"], line["ServerError"]) == (0, 0)
    assert line["labels"] == ["sport", "tech"]
    assert (line["requestId"], line["apiRequestId"], line["statusCode"]) == ("req-1", "api-1", 200)


def test_error_flags_and_no_batch_metrics_for_unparsed_requests(capsys):
    telemetry.record_request(telemetry.RequestRecord(request_id="r", status=413, error_code="body_too_large"))
    telemetry.record_request(telemetry.RequestRecord(request_id="r", status=500, error_code="internal_error"))
    client, server = stdout_lines(capsys)
    assert (client["ClientError"], client["ServerError"], client["errorCode"]) == (1, 0, "body_too_large")
    assert (server["ClientError"], server["ServerError"]) == (0, 1)
    assert "BatchSize" not in emf_metrics(client) and "InputCharacters" not in emf_metrics(client)


def test_model_load_metric(capsys):
    telemetry.record_model_load(12.5, "abc", 1000, 5)
    (line,) = stdout_lines(capsys)
    assert emf_metrics(line) == {"ModelLoadTime": "Milliseconds"}
    assert (line["ModelLoadTime"], line["modelVersion"], line["classes"]) == (12.5, "abc", 5)


def test_log_lines_are_json_with_the_request_id(capsys):
    telemetry.log("INFO", "client error", "req-9", status=400)
    (line,) = stdout_lines(capsys)
    assert line["level"] == "INFO" and line["message"] == "client error"
    assert line["requestId"] == "req-9" and line["status"] == 400
    assert "timestamp" in line


def test_a_metrics_failure_never_breaks_the_request(monkeypatch, capsys):
    def broken_record(*args, **kwargs):
        raise OSError("stdout closed")

    monkeypatch.setattr(emf, "record", broken_record)
    telemetry.record_request(telemetry.RequestRecord(request_id="req-2", status=200))
    (line,) = stdout_lines(capsys)
    assert line["level"] == "ERROR" and line["requestId"] == "req-2"


def library_record(namespace, dimensions, metrics, properties, timestamp_ms, on_lambda) -> str:
    """The same record written by aws-embedded-metrics itself: the definition of the format."""
    context = MetricsContext(namespace=namespace, properties=dict(properties))
    context.set_dimensions([dimensions], use_default=False)
    for name, value, unit in metrics:
        for each in value if isinstance(value, list) else [value]:  # one value per text of a batch
            context.put_metric(name, each, unit)
    context.meta["Timestamp"] = timestamp_ms
    if on_lambda:
        LambdaEnvironment().configure_context(context)
    (line,) = LogSerializer.serialize(context)
    return line


def set_environment(monkeypatch, on_lambda: bool, trace: str) -> None:
    for variable in (*LAMBDA_ENVIRONMENT, emf.TRACE_ID_ENV):
        monkeypatch.delenv(variable, raising=False)
    if on_lambda:
        for variable, value in LAMBDA_ENVIRONMENT.items():
            monkeypatch.setenv(variable, value)
    monkeypatch.setenv(emf.TRACE_ID_ENV, trace)


RECORDS = {
    "request": (
        [("Latency", 0.42, "Milliseconds"), ("ClientError", 0, "Count"), ("BatchSize", 3, "Count")],
        {"requestId": "r-1", "labels": ["sci.space", "Café ☃"], "errorCode": None, "statusCode": 200},
    ),
    "model load": ([("ModelLoadTime", 61.5, "Milliseconds")], {"modelVersion": "abc", "classes": 20}),
    "batch quality": (
        [("LabelProbability", [0.9, 0.45], "None"), ("TextCharacters", [12, 7], "Count")],
        {"requestId": "r-2"},
    ),
    "property named like a metric": ([("Latency", 2, "Milliseconds")], {"Latency": "x", "_aws": 1}),
    "property named like a dimension": ([("Latency", 1, "Milliseconds")], {"Service": "overridden"}),
}


@pytest.mark.parametrize("on_lambda", [False, True], ids=["local", "lambda"])
@pytest.mark.parametrize("trace", ["Root=1-abc;Parent=def;Sampled=1", "Root=1-abc;Sampled=0"])
@pytest.mark.parametrize("name", list(RECORDS))
def test_records_are_byte_for_byte_what_the_library_writes(monkeypatch, name, on_lambda, trace):
    set_environment(monkeypatch, on_lambda, trace)
    metrics, properties = RECORDS[name]
    arguments = ("Team/Classifier", {"Service": "clf"}, metrics, properties, 1767225600123)
    assert emf.record(*arguments) == library_record(*arguments, on_lambda=on_lambda)


def test_a_second_directive_adds_its_dimensions_and_metrics_to_the_same_record():
    more = ({"Label": "sport"}, [("PredictedLabel", 2, "Count")])
    for _ in range(2):  # the second time from the directives written the first time
        line = json.loads(
            emf.record("N", {"Service": "s"}, [("Latency", 1, "Milliseconds")], {"p": 1}, 7, more)
        )
        assert list(line) == ["Service", "p", "Label", "_aws", "Latency", "PredictedLabel"]
        assert line["_aws"] == {
            "Timestamp": 7,
            "CloudWatchMetrics": [
                {
                    "Dimensions": [["Service"]],
                    "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}],
                    "Namespace": "N",
                },
                {
                    "Dimensions": [["Service", "Label"]],
                    "Metrics": [{"Name": "PredictedLabel", "Unit": "Count"}],
                    "Namespace": "N",
                },
            ],
        }
        assert (line["Label"], line["PredictedLabel"], line["Latency"]) == ("sport", 2, 1)


def test_a_property_named_like_a_metric_gives_one_key_as_the_library_does():
    line = emf.record("N", {"Service": "s"}, [("Latency", 1, "Milliseconds")], {"Latency": "x"}, 7)
    assert json.loads(line)["Latency"] == 1 and line.count('"Latency"') == 2  # the value and the directive


def test_records_carry_the_current_time(monkeypatch):
    monkeypatch.setattr(emf.time, "time", lambda: 1767225600.1234)
    line = json.loads(emf.record("N", {"Service": "s"}, [("Latency", 1, "Milliseconds")], {}))
    assert line["_aws"]["Timestamp"] == 1767225600123


def test_every_line_about_a_request_carries_its_id_and_never_its_text(handler, capsys):
    capsys.readouterr()
    secret = "Confidential merger talks between Acme and Globex"
    context = LambdaContext()
    for body in (json.dumps({"text": secret}), json.dumps({"texts": [secret, 3]}), "{" + secret):
        handler.lambda_handler(rest_event("POST", api.CLASSIFY, body), context)
    output = capsys.readouterr().out
    assert "Confidential" not in output and "Globex" not in output
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 5  # three EMF records and two client-error log lines
    assert all(line["requestId"] == context.aws_request_id for line in lines)
    assert sum("_aws" in line for line in lines) == 3


def run_fresh(code: str, **env) -> str:
    """Runs ``code`` in a new interpreter with the serving modules importable and the given environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_EMF_", "AWS_LAMBDA_"))}
    result = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_importing_telemetry_loads_neither_the_metrics_library_nor_its_network_stack():
    """The library's import costs about 0.2 s of every cold start (see emf); serving must not pay it."""
    code = "import sys; from serving.app import telemetry; print(' '.join(sorted(sys.modules)))"
    loaded = set(run_fresh(code).split())
    assert "serving.app.telemetry" in loaded and "serving.app.emf" in loaded
    assert not loaded & {"aws_embedded_metrics", "aiohttp", "asyncio", "importlib.metadata"}


def test_namespace_and_service_come_from_the_environment():
    code = "from serving.app import telemetry; print(telemetry.NAMESPACE, telemetry.SERVICE)"
    assert run_fresh(code, AWS_EMF_NAMESPACE="Team/Classifier", AWS_EMF_SERVICE_NAME="clf-prod") == (
        "Team/Classifier clf-prod"
    )


QUALITY_METRICS = {
    "LabelProbability": "None",
    "LabelMargin": "None",
    "VocabularyCoverage": "None",
    "TextCharacters": "Count",
}


def classified(quality, labels, status=200) -> telemetry.RequestRecord:
    return telemetry.RequestRecord(
        request_id="req-q", status=status, batch_size=len(labels), labels=labels, quality=quality
    )


def test_quality_metrics_hold_one_value_per_text_and_labels_are_counted_per_label(capsys):
    telemetry.record_request(classified([(0.9, 0.7, 0.8, 40)], ["sport"]))
    (request,) = stdout_lines(capsys)  # one text: its label counted in the same record
    service, labelled = request["_aws"]["CloudWatchMetrics"]
    assert {m["Name"]: m["Unit"] for m in service["Metrics"]}.items() >= QUALITY_METRICS.items()
    assert [request[name] for name in QUALITY_METRICS] == [0.9, 0.7, 0.8, 40]
    assert labelled["Dimensions"] == [["Service", "Label"]] and labelled["Namespace"] == "TextClassifier"
    assert labelled["Metrics"] == [{"Name": "PredictedLabel", "Unit": "Count"}]
    assert (request["Label"], request["PredictedLabel"]) == ("sport", 1)

    telemetry.record_request(classified([(0.9, 0.7, 0.8, 40), (0.6, 0.2, 1.0, 9)], ["sport", "sport"]))
    (request,) = stdout_lines(capsys)
    assert (request["Label"], request["PredictedLabel"]) == ("sport", 2)

    quality = [(0.9, 0.7, 0.8, 40), (0.5, 0.1, 0.25, 3), (0.6, 0.2, 1.0, 9)]
    telemetry.record_request(classified(quality, ["sport", "tech", "sport"]))
    request, *labels = stdout_lines(capsys)
    assert request["LabelProbability"] == [0.9, 0.5, 0.6]
    assert request["VocabularyCoverage"] == [0.8, 0.25, 1.0]
    assert request["TextCharacters"] == [40, 3, 9]
    assert "PredictedLabel" not in request
    assert all(emf_metrics(line) == {"PredictedLabel": "Count"} for line in labels)
    directives = [line["_aws"]["CloudWatchMetrics"][0] for line in labels]
    assert all(directive["Dimensions"] == [["Service", "Label"]] for directive in directives)
    assert {line["Label"]: line["PredictedLabel"] for line in labels} == {"sport": 2, "tech": 1}


def test_a_batch_beyond_one_records_values_goes_on_in_further_records(capsys):
    quality = [(i / 250, 0.0, 1.0, i) for i in range(250)]
    telemetry.record_request(classified(quality, ["a"] * 250))
    lines = stdout_lines(capsys)
    with_quality = [line for line in lines if "TextCharacters" in line]
    assert [len(line["TextCharacters"]) for line in with_quality] == [100, 100, 50]
    assert [v for line in with_quality for v in line["TextCharacters"]] == list(range(250))
    assert all(emf_metrics(line) == QUALITY_METRICS for line in with_quality[1:])
    assert all(line["requestId"] == "req-q" for line in lines)
    assert [line["PredictedLabel"] for line in lines if "PredictedLabel" in line] == [250]


def test_no_quality_metrics_for_an_answer_that_failed(capsys):
    telemetry.record_request(classified([(0.9, 0.7, 0.8, 40)], ["sport"], status=500))
    (line,) = stdout_lines(capsys)
    assert not emf_metrics(line).keys() & {*QUALITY_METRICS, "PredictedLabel"}


def test_the_handler_reports_the_quality_of_what_it_answered(handler, capsys):
    capsys.readouterr()
    texts = ["The striker scored twice in the final", "zzzz qqqq"]
    body = json.dumps({"texts": texts, "top_k": 2})
    response = handler.lambda_handler(rest_event("POST", api.CLASSIFY, body), LambdaContext())
    answers = json.loads(response["body"])["predictions"]
    records = [line for line in stdout_lines(capsys) if "_aws" in line]
    request = records[0]
    labels = [line for line in records if "PredictedLabel" in line]
    tops = [sorted(answer["scores"].values(), reverse=True) for answer in answers]
    written = pytest.approx  # to contracts.metrics.QUALITY_DECIMALS
    assert request["LabelProbability"] == written([top[0] for top in tops], abs=0.5e-4 + 1e-12)
    assert request["LabelMargin"] == written([top[0] - top[1] for top in tops], abs=0.5e-4 + 1e-12)
    assert request["TextCharacters"] == [len(text) for text in texts]
    known, unknown = request["VocabularyCoverage"]
    assert 0 < known <= 1 and unknown == 0.0  # no word of the second text is in the vocabulary
    counted = {line["Label"]: line["PredictedLabel"] for line in labels}
    assert counted == {label: [a["label"] for a in answers].count(label) for label in counted}
    assert sum(counted.values()) == len(texts)


@pytest.mark.parametrize("with_more", [False, True], ids=["one directive", "two directives"])
@pytest.mark.parametrize("on_lambda", [False, True], ids=["local", "lambda"])
@pytest.mark.parametrize("trace", ["Root=1-abc;Parent=def;Sampled=1", "Root=1-abc;Sampled=0"])
def test_a_template_writes_what_record_and_the_library_write(monkeypatch, on_lambda, trace, with_more):
    set_environment(monkeypatch, on_lambda, "")  # made at init, when no request is being traced
    properties = {"requestId": "r-1", "labels": ["Café ☃", 'a "b" 50%'], "errorCode": None, "statusCode": 200}
    metrics = [("Latency", 0.42, "Milliseconds"), ("ClientError", 0, "Count"), ("Score", -1e-05, "None")]
    label, label_metrics = {"Label": 'a "b" 50%'}, [("PredictedLabel", 2, "Count")]
    more = (label, label_metrics) if with_more else None
    template = emf.Template(
        "Team/50%",
        {"Service": "clf"},
        list(properties),
        [(name, unit) for name, _, unit in metrics],
        list(label) if with_more else (),
        [(name, unit) for name, _, unit in label_metrics] if with_more else (),
    )
    monkeypatch.setenv(emf.TRACE_ID_ENV, trace)  # then each request's own trace
    written = template.render(
        [json.dumps(value) for value in properties.values()],
        [json.dumps(value) for value in label.values()] if with_more else [],
        [value for _, value, _ in (*metrics, *(label_metrics if with_more else []))],
        1767225600123,
    )
    assert written == emf.record("Team/50%", {"Service": "clf"}, metrics, properties, 1767225600123, more)
    if not with_more:  # the library writes one directive only
        arguments = ("Team/50%", {"Service": "clf"}, metrics, properties, 1767225600123)
        assert written == library_record(*arguments, on_lambda=on_lambda)


def test_a_template_refuses_keys_that_would_collide():
    with pytest.raises(ValueError, match="must all differ"):
        emf.Template("N", {"Service": "s"}, ["Latency"], [("Latency", "Milliseconds")])
    with pytest.raises(ValueError, match="must all differ"):
        emf.Template("N", {"Service": "s"}, ["_aws"], [("Latency", "Milliseconds")])


ONE_ANSWERS = {
    "plain": dict(
        request_id="req-1", api_request_id="api-1", label="sci.space", quality=(0.91234567, 0.5, 0.83, 2000)
    ),
    "no ids, awkward label": dict(
        request_id=None, api_request_id=None, label='Café "☃" 100%', quality=(1.0, 1.0, 0.0, 0)
    ),
    "tiny shares": dict(request_id="r", api_request_id="a", label="x", quality=(1e-07, 3e-05, 0.99995, 7)),
    "not a number": dict(request_id="r", api_request_id="a", label="x", quality=(float("nan"), 0.0, 1.0, 7)),
}


@pytest.mark.parametrize("on_lambda", [False, True], ids=["local", "lambda"])
@pytest.mark.parametrize("trace", ["Root=1-abc;Parent=def;Sampled=1", "Root=1-abc;Sampled=0"])
@pytest.mark.parametrize("case", list(ONE_ANSWERS))
def test_one_answered_text_is_written_as_every_other_record_would_be(
    monkeypatch, capsys, case, on_lambda, trace
):
    """The one-answer line (a template, for speed) and the general path write the same bytes."""
    set_environment(monkeypatch, on_lambda, trace)
    monkeypatch.setattr(telemetry, "_ONE_ANSWER", telemetry.one_answer_template())
    monkeypatch.setattr(emf.time, "time", lambda: 1767225600.1234)
    answer = ONE_ANSWERS[case]
    record = telemetry.RequestRecord(
        request_id=answer["request_id"],
        api_request_id=answer["api_request_id"],
        route=f"POST {api.CLASSIFY}",
        status=200,
        latency_ms=0.2468,
        batch_size=1,
        input_characters=answer["quality"][3],
        labels=[answer["label"]],
        model_version="01c87c85af71",
        quality=[answer["quality"]],
    )
    capsys.readouterr()
    telemetry._record_one_answer(record)
    fast = capsys.readouterr().out
    telemetry._record_any(record)
    general = capsys.readouterr().out
    assert fast == general and fast.count("\n") == 1
    assert json.loads(fast)["Label"] == answer["label"]


def test_one_answered_text_takes_the_template(monkeypatch, capsys):
    monkeypatch.setattr(telemetry, "_record_any", None)  # would fail if called
    telemetry.record_request(classified([(0.9, 0.7, 0.8, 40)], ["sport"]))
    (line,) = stdout_lines(capsys)
    assert (line["Label"], line["LabelProbability"], line["PredictedLabel"]) == ("sport", 0.9, 1)


def test_a_failure_of_the_one_answer_line_never_breaks_the_request(monkeypatch, capsys):
    class Broken:
        def render(self, *arguments):
            raise OSError("stdout closed")

    monkeypatch.setattr(telemetry, "_ONE_ANSWER", Broken())
    telemetry.record_request(classified([(0.9, 0.7, 0.8, 40)], ["sport"]))
    (line,) = stdout_lines(capsys)
    assert line["level"] == "ERROR" and line["requestId"] == "req-q"
