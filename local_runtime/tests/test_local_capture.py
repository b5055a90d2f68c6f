"""The local runtime files the function's capture lines by day, as the subscription filter and Firehose do."""

import json
from pathlib import Path

from serving.app.contracts import capture

# Prints the lines its event's body lists, as a handler writes its logs, metrics and capture lines.
PRINTING_HANDLER = """\
import json

def lambda_handler(event, context):
    for line in json.loads(event["body"]):
        print(line, flush=True)
    return {"statusCode": 200, "headers": {}, "body": "ok"}
"""


def capture_line(text: str, timestamp: str = "2026-12-31T23:59:59.5+00:00") -> str:
    return json.dumps({"timestamp": timestamp, "level": "INFO", "message": capture.MESSAGE, "text": text})


def test_only_capture_lines_are_filed_unchanged_under_their_utc_day(serve, http, tmp_path: Path) -> None:
    folder = tmp_path / "captures"
    running = serve(PRINTING_HANDLER, capture_dir=folder)
    lines = [
        capture_line("first"),
        json.dumps({"timestamp": "2026-12-31T10:00:00+00:00", "level": "INFO", "message": "model loaded"}),
        '{"_aws": {}, "Latency": 1.0, "note": "capture"}',
        "not json, mentions capture",
        capture_line("late local evening", "2027-01-01T00:30:00+01:00"),  # 2026-12-31 23:30 UTC
        capture_line("next day", "2027-01-01T00:00:01+00:00"),
    ]
    assert http(running.url, "POST", "/", json.dumps(lines)).status == 200
    assert running.log.wait_for('"next day"')
    first_day = list((folder / capture.partition(2026, 12, 31)).iterdir())
    next_day = list((folder / capture.partition(2027, 1, 1)).iterdir())
    assert len(first_day) == len(next_day) == 1 and first_day[0].name == next_day[0].name
    assert first_day[0].read_text(encoding="utf-8").splitlines() == [lines[0], lines[4]]
    assert next_day[0].read_text(encoding="utf-8").splitlines() == [lines[5]]
    assert sorted(path.name for path in folder.rglob("*") if path.is_file()) == [first_day[0].name] * 2
    assert all(line in running.log.text() for line in lines)  # still in the log, as in the log group


def test_without_a_capture_folder_nothing_is_filed(serve, http, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    running = serve(PRINTING_HANDLER)
    assert http(running.url, "POST", "/", json.dumps([capture_line("kept in the log only")])).status == 200
    assert running.log.wait_for("kept in the log only")
    assert list(tmp_path.rglob("*.jsonl")) == []
