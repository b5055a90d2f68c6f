"""The model-quality alarms take their thresholds from the model's baseline, notify the topic, and are
not deployment alarms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from infra_constructs.model_quality import LOW_MEDIAN_METRICS, label_share_threshold, read_baseline
from infra_support import resources
from model_baseline import model_with_baseline, quality_stack
from stacks.settings import AlarmSettings, SettingsError


@pytest.fixture(scope="module")
def image_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("build_context")
    model_with_baseline(directory)
    return directory


def _baseline(image_directory: Path) -> dict:
    return json.loads((image_directory / "data" / "model.json").read_text(encoding="utf-8"))["baseline"]


def _alarms(template) -> tuple[dict[str, dict], list[dict]]:
    """(metric name -> the median alarm on it, the label share alarms)."""
    medians, shares = {}, []
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        stats = {query["Id"]: query["MetricStat"] for query in properties["Metrics"] if "MetricStat" in query}
        if set(stats) == {"labelled", "texts"}:
            shares.append(properties)
        else:
            (stat,) = stats.values()
            medians[stat["Metric"]["MetricName"]] = properties | {
                "Stat": stat["Stat"],
                "Period": stat["Period"],
            }
    return medians, shares


def test_median_alarms_fire_below_the_baselines_low_percentile_and_notify_the_topic(image_directory):
    template, _ = quality_stack(image_directory)
    baseline = _baseline(image_directory)
    medians, _ = _alarms(template)
    assert set(medians) == set(LOW_MEDIAN_METRICS)
    for name, alarm in medians.items():
        assert alarm["Threshold"] == baseline["quantiles"][name]["p10"]
        assert alarm["Stat"] == "p50" and alarm["Period"] == 3600
        assert alarm["ComparisonOperator"] == "LessThanThreshold"
        assert alarm["EvaluationPeriods"] == 3
        assert alarm["TreatMissingData"] == "notBreaching"
        assert len(alarm["AlarmActions"]) == 1 and alarm["AlarmActions"] == alarm["OKActions"]


def test_one_share_alarm_per_class_from_its_baseline_share_and_one_composite_that_notifies(image_directory):
    template, quality = quality_stack(image_directory)
    baseline = _baseline(image_directory)
    _, shares = _alarms(template)
    assert len(shares) == len(baseline["label_shares"]) == len(quality.label_shares)
    by_label = {}
    for alarm in shares:
        stats = {q["Id"]: q["MetricStat"] for q in alarm["Metrics"] if "MetricStat" in q}
        (label,) = [d["Value"] for d in stats["labelled"]["Metric"]["Dimensions"] if d["Name"] == "Label"]
        by_label[label] = alarm
        assert stats["texts"]["Stat"] == "SampleCount" and stats["labelled"]["Stat"] == "Sum"
        assert stats["texts"]["Metric"]["MetricName"] == "LabelProbability"
        assert "AlarmActions" not in alarm  # the composite notifies, once
    assert set(by_label) == set(baseline["label_shares"])
    for label, alarm in by_label.items():
        expected = label_share_threshold(baseline["label_shares"][label], AlarmSettings())
        assert alarm["Threshold"] == pytest.approx(expected)
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    (composite,) = resources(template, "AWS::CloudWatch::CompositeAlarm").values()
    rule = json.dumps(composite["Properties"]["AlarmRule"])
    assert rule.count("ALARM(") == len(by_label)
    assert len(composite["Properties"]["AlarmActions"]) == 1


def test_the_dashboard_draws_the_baseline_beside_the_live_figures(image_directory):
    template, _ = quality_stack(image_directory)
    baseline = _baseline(image_directory)
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    text = body if isinstance(body, str) else "".join(p for p in body["Fn::Join"][1] if isinstance(p, str))
    widgets = json.loads(text)["widgets"]
    for name in LOW_MEDIAN_METRICS:
        (widget,) = [w for w in widgets if name in w["properties"].get("title", "")]
        lines = {a["label"]: a["value"] for a in widget["properties"]["annotations"]["horizontal"]}
        assert lines == {f"baseline {p}": baseline["quantiles"][name][p] for p in ("p50", "p10")}


def test_a_build_context_without_a_baseline_says_why(tmp_path, image_directory):
    assert read_baseline(tmp_path)[2].endswith("model.json not found")
    (tmp_path / "data").mkdir()
    manifest = json.loads((image_directory / "data" / "model.json").read_text(encoding="utf-8"))
    del manifest["baseline"]
    (tmp_path / "data" / "model.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert "has no 'baseline'" in read_baseline(tmp_path)[2]
    (tmp_path / "data" / "model.json").write_text("", encoding="utf-8")
    assert "is not valid JSON" in read_baseline(tmp_path)[2]


def test_quality_settings_are_checked():
    with pytest.raises(SettingsError, match="label_share_factor"):
        AlarmSettings(label_share_factor=0.5)
    with pytest.raises(SettingsError, match="quality_period_seconds"):
        AlarmSettings(quality_period_seconds=90)
