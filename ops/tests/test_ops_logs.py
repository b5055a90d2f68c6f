"""`make logs`: the function's log group, filtered by time and request id, printed as JSON lines."""

import json
from datetime import UTC, datetime

import pytest
from aws_stubs import FUNCTION, STAGE, StubbedSession

from ops import logs
from ops.stage import StageError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GROUP = "/custom/TextClassifier-opstest-Logs"
HANDLER_LINE = (
    '{"timestamp":"2026-03-01T11:59:00Z","level":"INFO","message":"request","requestId":"abc-123"}\n'
)


def event(event_id: str, message: str, timestamp_ms: int = 1_772_366_340_000) -> dict:
    return {"eventId": event_id, "message": message, "timestamp": timestamp_ms, "logStreamName": "s"}


def test_since_is_a_duration_or_a_time():
    assert logs.start_time("15m", NOW) == datetime(2026, 3, 1, 11, 45, tzinfo=UTC)
    assert logs.start_time("2h", NOW) == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert logs.start_time("1d", NOW) == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert logs.start_time("2026-03-01T09:30", NOW) == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with pytest.raises(StageError, match="give a duration like 30s"):
        logs.start_time("yesterday", NOW)


def test_a_request_id_is_a_quoted_term_and_nothing_else():
    assert logs.filter_pattern("abc-123") == '"abc-123"'
    assert logs.filter_pattern(None) == ""
    with pytest.raises(StageError, match="letters, digits and dashes"):
        logs.filter_pattern('x" OR "y')


def test_the_log_group_is_the_functions_logging_config_else_lambdas_default():
    session = StubbedSession()
    stub = session.stub("lambda")
    stub.add_response(
        "get_function_configuration", {"LoggingConfig": {"LogGroup": GROUP}}, {"FunctionName": FUNCTION}
    )
    stub.add_response("get_function_configuration", {}, {"FunctionName": FUNCTION})
    assert logs.log_group(session.client("lambda"), FUNCTION) == GROUP
    assert logs.log_group(session.client("lambda"), FUNCTION) == f"/aws/lambda/{FUNCTION}"
    session.assert_done()


def test_json_messages_pass_through_and_text_is_wrapped():
    assert json.loads(logs.json_line(event("1", HANDLER_LINE)))["requestId"] == "abc-123"
    wrapped = json.loads(
        logs.json_line(event("2", "START RequestId: abc-123 Version: 7\n", 1_772_366_340_000))
    )
    assert wrapped == {
        "timestamp": "2026-03-01T11:59:00.000+00:00",
        "message": "START RequestId: abc-123 Version: 7",
    }


def test_main_asks_for_the_request_id_since_the_start_and_prints_every_page(capsys):
    session = StubbedSession()
    session.stack_outputs()
    session.stub("lambda").add_response(
        "get_function_configuration", {"LoggingConfig": {"LogGroup": GROUP}}, {"FunctionName": FUNCTION}
    )
    expected = {"logGroupName": GROUP, "startTime": 1_772_366_340_000 - 60_000, "interleaved": True}
    expected["filterPattern"] = '"abc-123"'
    stub = session.stub("logs")
    stub.add_response(
        "filter_log_events", {"events": [event("1", HANDLER_LINE)], "nextToken": "page2"}, expected
    )
    stub.add_response(
        "filter_log_events",
        {"events": [event("2", "END RequestId: abc-123")]},
        {**expected, "nextToken": "page2"},
    )
    code = logs.main(
        ["--stage", STAGE, "--since", "2026-03-01T11:58:00+00:00", "--request-id", "abc-123"], session=session
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [line["message"] for line in lines] == ["request", "END RequestId: abc-123"]
    assert "2 event(s)" in captured.err
    session.assert_done()


def test_follow_polls_again_and_prints_each_event_once():
    session = StubbedSession()
    stub = session.stub("logs")
    stub.add_response("filter_log_events", {"events": [event("1", HANDLER_LINE, 1000)]})
    stub.add_response(
        "filter_log_events",
        {"events": [event("1", HANDLER_LINE, 1000), event("2", "later", 2000)]},
        {"logGroupName": GROUP, "startTime": 1000, "interleaved": True},
    )
    printed, sleeps = [], []
    count = logs.tail(
        session.client("logs"),
        GROUP,
        datetime.fromtimestamp(0, UTC),
        "",
        printed.append,
        follow=True,
        sleep=sleeps.append,
        rounds=2,
    )
    assert count == 2 and len(printed) == 2 and sleeps == [logs.FOLLOW_POLL_SECONDS]
    session.assert_done()


def test_an_unknown_stage_says_why(capsys):
    session = StubbedSession()
    session.stub("cloudformation").add_client_error(
        "describe_stacks", "ValidationError", "Stack with id TextClassifier-opstest does not exist"
    )
    assert logs.main(["--stage", STAGE], session=session) == 1
    assert "TextClassifier-opstest does not exist" in capsys.readouterr().err
