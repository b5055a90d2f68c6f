"""A small model exported with its model-quality baseline, and a stack holding the quality alarms and
graphs derived from it: what the model-quality tests synthesize (no model in the build context needed)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import App, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template
from infra_constructs.model_quality import ModelQualityAlarms, read_baseline
from stacks.settings import AlarmSettings, TelemetrySettings

from serving.tests.artifact_export import bbc_news, export, train
from training import baseline

HELD_OUT = [
    "The striker scored twice before half time",
    "Shares in the bank fell after the results",
    "The new phone has a faster chip and a better camera",
    "Parliament voted on the budget late last night",
    "The film won three awards at the festival",
    "zzzz qqqq",
]


def model_with_baseline(directory: Path) -> Path:
    """A BBC News model in `directory/data` (as in the image's build context), with its baseline."""
    texts, labels = bbc_news(per_class=8)
    model_dir = export(*train(texts, labels), directory / "data")
    baseline.write_into(model_dir / "model.json", baseline.measure(model_dir, HELD_OUT))
    return model_dir


def quality_stack(
    image_directory: Path, settings: AlarmSettings | None = None
) -> tuple[Template, ModelQualityAlarms]:
    """A stack with the model-quality alarms and the dashboard row built from the model's baseline."""
    stack = Stack(App(), "ModelQuality")
    found, classes, problem = read_baseline(image_directory)
    assert found is not None, problem
    alarms = ModelQualityAlarms(
        stack,
        "Quality",
        baseline=found,
        classes=classes,
        settings=settings or AlarmSettings(),
        telemetry=TelemetrySettings(),
        topic=sns.Topic(stack, "Topic"),
    )
    cw.Dashboard(stack, "Dashboard").add_widgets(*alarms.widgets())
    return Template.from_stack(stack), alarms
