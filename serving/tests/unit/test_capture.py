"""The opt-in capture's setting and sampling: refused rates, per-text draws, and lines the readers accept."""

import json

import pytest

from monitoring import captures
from serving.app import capture
from serving.app.contracts import capture as contract
from serving.app.families.protocol import Prediction, Quality


def prediction(label: str = "sport") -> Prediction:
    return Prediction(label, [(label, 0.75), ("business", 0.125)], Quality(0.75, 0.625, 0.5))


@pytest.mark.parametrize(
    ("value", "rate"), [(None, 0.0), ("", 0.0), (" ", 0.0), ("0", 0.0), ("0.25", 0.25), ("1", 1.0)]
)
def test_the_rate_is_a_share_from_0_to_1_and_absent_means_off(value, rate):
    environ = {} if value is None else {contract.RATE_ENV: value}
    assert capture.read_rate(environ) == rate
    assert (capture.from_environment(print, environ) is None) == (rate == 0)


@pytest.mark.parametrize("value", ["abc", "-0.1", "1.5", "nan", "inf", "10%"])
def test_a_rate_outside_0_to_1_is_refused_naming_the_variable_the_value_and_the_range(value):
    with pytest.raises(capture.CaptureSettingError) as raised:
        capture.from_environment(print, {contract.RATE_ENV: value})
    message = str(raised.value)
    assert contract.RATE_ENV in message and repr(value) in message and "from 0 (off) to 1" in message


def test_rate_1_captures_every_text_as_a_line_the_reader_parses():
    lines: list[str] = []
    sampler = capture.Sampler(1.0, lines.append)
    texts = ["Arsenal won 2-0", 'a "quoted" text \ud800 with a lone surrogate', "état, naïve"]
    predictions = [prediction("sport"), prediction("tech"), prediction("politics")]
    assert sampler.capture("req-1", "abc123", texts, predictions) == 3
    records = list(captures.parse_lines(lines, "stdout"))
    assert [record.text for record in records] == texts
    assert [record.label for record in records] == ["sport", "tech", "politics"]
    first = records[0]
    assert (first.request_id, first.model_version) == ("req-1", "abc123")
    assert first.scores == {"sport": 0.75, "business": 0.125}
    assert (first.probability, first.margin, first.coverage) == (0.75, 0.625, 0.5)
    keys = set(json.loads(lines[0]))
    assert keys == {"timestamp", "level", "message", *contract.FIELDS}
    assert json.loads(lines[0])["level"] == "INFO" and first.timestamp.endswith("+00:00")


def test_each_text_is_drawn_on_its_own_at_the_rate():
    lines: list[str] = []
    sampler = capture.Sampler(0.25, lines.append)
    texts = [f"text {i}" for i in range(4000)]
    captured = sampler.capture(None, "v", texts, [prediction()] * len(texts))
    assert captured == len(lines)
    # Binomial(4000, 0.25): mean 1000, standard deviation 27; these bounds are 7 deviations out.
    assert 810 < captured < 1190
    assert len({json.loads(line)["text"] for line in lines}) == captured


def test_a_prediction_without_quality_figures_is_not_captured():
    lines: list[str] = []
    bare = Prediction("sport", [("sport", 0.9)])
    assert capture.Sampler(1.0, lines.append).capture("r", "v", ["a", "b"], [bare, prediction()]) == 1
    assert [json.loads(line)["text"] for line in lines] == ["b"]


def test_a_text_whose_line_would_pass_the_log_event_cap_is_not_captured():
    lines: list[str] = []
    sampler = capture.Sampler(1.0, lines.append)
    long_text = "é" * 50_000  # 100,000 characters is the API's limit; JSON escapes each as 6 ASCII bytes
    fits = "a" * 100_000
    assert sampler.capture("r", "v", [long_text, fits], [prediction(), prediction()]) == 1
    assert [json.loads(line)["text"] for line in lines] == [fits]
    assert all(len(line.encode()) <= capture.MAX_LINE_BYTES for line in lines)
