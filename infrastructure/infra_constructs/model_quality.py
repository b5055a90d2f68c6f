"""Model-quality alarms and graphs, derived from the baseline the model carries (model.json's `baseline`).

The export stage measures the exported model on its held-out split (training/baseline.py) with the same
serving code that writes the per-request model-quality metrics (serving/app/contracts/metrics.py), and
records their percentiles and the share of each predicted label. Here, at synthesis, that one source
sets the thresholds, read from the image's build context as the pre-traffic hook reads the model:

- the median label probability, margin or vocabulary coverage of a period below the baseline's 10th
  percentile, for `quality_evaluation_periods` periods in a row: traffic the model is unsure about, or
  whose words it does not know;
- a class predicted for far more of the texts than on the held-out split (its share above
  `label_share_factor` times the baseline's, plus `label_share_slack`), once a period holds at least
  `quality_min_texts` texts: one alarm per class, and one composite alarm, "the label mix moved", that
  notifies.

They notify the alarm topic and are not deployment alarms: a shifted input is no reason to roll back
a version (CodeDeploy watches only ServiceAlarms.all).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from constructs import Construct
from stacks.settings import METRIC_NAMES, AlarmSettings, TelemetrySettings

from serving.app.contracts.artifact import BASELINE_KEY, MANIFEST_FILE, MODEL_DIRECTORY

# The quality metrics alarmed on when their median falls below the baseline's low percentile.
LOW_MEDIAN_METRICS = (
    METRIC_NAMES.LABEL_PROBABILITY,
    METRIC_NAMES.LABEL_MARGIN,
    METRIC_NAMES.VOCABULARY_COVERAGE,
)
LIVE = "p50"
LOW = "p10"


def read_baseline(image_directory: Path) -> tuple[dict[str, Any] | None, list[str], str | None]:
    """(the baseline, the model's classes, None), or (None, [], why there is none) for a build context
    without a model or a model exported without held-out texts."""
    manifest_path = image_directory / MODEL_DIRECTORY / MANIFEST_FILE
    if not manifest_path.is_file():
        return None, [], f"{manifest_path} not found"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as error:
        return None, [], f"{manifest_path} is not valid JSON ({error})"
    baseline = manifest.get(BASELINE_KEY) if isinstance(manifest, dict) else None
    if not isinstance(baseline, dict):
        return None, [], f"{manifest_path} has no '{BASELINE_KEY}' (export the model with its held-out split)"
    # The serving code checks the baseline against the classes when it loads the model; the pre-traffic
    # hook, which runs that code at synthesis, stops a model whose baseline is malformed.
    return baseline, list(manifest["classes"]), None


def quality_metric(telemetry: TelemetrySettings, name: str, statistic: str, period: Duration) -> cw.Metric:
    """One of the handler's per-text quality metrics, under its `Service` dimension."""
    return cw.Metric(
        namespace=telemetry.namespace,
        metric_name=name,
        dimensions_map={telemetry.service_dimension: telemetry.service_name},
        statistic=statistic,
        period=period,
        label=f"{name} ({statistic})",
    )


def label_metric(telemetry: TelemetrySettings, label: str, period: Duration) -> cw.Metric:
    """Texts predicted as `label`: PredictedLabel under the (Service, Label) dimensions."""
    return cw.Metric(
        namespace=telemetry.namespace,
        metric_name=METRIC_NAMES.PREDICTED_LABEL,
        dimensions_map={
            telemetry.service_dimension: telemetry.service_name,
            METRIC_NAMES.LABEL_DIMENSION: label,
        },
        statistic="Sum",
        period=period,
        label=label,
    )


def label_share_threshold(baseline_share: float, settings: AlarmSettings) -> float:
    """The share of the texts above which a class is predicted far more often than on the held-out split."""
    return min(1.0, baseline_share * settings.label_share_factor + settings.label_share_slack)


class ModelQualityAlarms(Construct):
    """The model-quality alarms of one stage (see the module's docstring), notifying `topic`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        baseline: dict[str, Any],
        classes: list[str],
        settings: AlarmSettings,
        telemetry: TelemetrySettings,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self._settings = settings
        self._baseline, self._classes, self._telemetry = baseline, classes, telemetry
        self.period = Duration.seconds(settings.quality_period_seconds)
        action = cw_actions.SnsAction(topic)
        self.low_medians = []
        for name in LOW_MEDIAN_METRICS:
            threshold = baseline["quantiles"][name][LOW]
            alarm = quality_metric(telemetry, name, LIVE, self.period).create_alarm(
                self,
                f"Low{name}",
                alarm_description=f"Median {name} below the baseline's {LOW} ({threshold}) on the held-out "
                "split: traffic the model is unsure about or does not know the words of",
                threshold=threshold,
                comparison_operator=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                evaluation_periods=settings.quality_evaluation_periods,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
            self.low_medians.append(alarm)
        texts = quality_metric(telemetry, METRIC_NAMES.LABEL_PROBABILITY, "SampleCount", self.period)
        self.label_shares = [
            self._label_share_alarm(telemetry, number, label, baseline["label_shares"][label], texts)
            for number, label in enumerate(classes)
        ]
        self.label_mix = cw.CompositeAlarm(
            self,
            "LabelMix",
            alarm_description="A class is predicted far more often than on the held-out split",
            alarm_rule=cw.AlarmRule.any_of(*self.label_shares),
        )
        self.label_mix.add_alarm_action(action)
        self.label_mix.add_ok_action(action)
        self.all: tuple[cw.IAlarm, ...] = (*self.low_medians, self.label_mix)

    def widgets(self) -> list[cw.IWidget]:
        """The dashboard's model-quality row: live against this baseline."""
        return quality_widgets(self._baseline, self._classes, self._telemetry, self.period)

    def _label_share_alarm(
        self, telemetry: TelemetrySettings, number: int, label: str, share: float, texts: cw.Metric
    ) -> cw.Alarm:
        """`label`'s share of the period's texts above its threshold (no action: LabelMix notifies)."""
        threshold = label_share_threshold(share, self._settings)
        expression = cw.MathExpression(
            expression=f"IF(texts >= {self._settings.quality_min_texts}, labelled / texts, 0)",
            using_metrics={"labelled": label_metric(telemetry, label, self.period), "texts": texts},
            period=self.period,
            label=f"share of {label}",
        )
        return expression.create_alarm(
            self,
            f"LabelShare{number}",
            alarm_description=f"Share of texts predicted {label!r} above {threshold:.4f} (baseline {share})",
            threshold=threshold,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=self._settings.quality_evaluation_periods,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )


def quality_widgets(
    baseline: dict[str, Any], classes: list[str], telemetry: TelemetrySettings, period: Duration
) -> list[cw.IWidget]:
    """Live against baseline: each quality metric's median and 10th percentile with the baseline's as
    lines, and the texts per predicted label."""
    widgets: list[cw.IWidget] = []
    for name in LOW_MEDIAN_METRICS:
        figures = baseline["quantiles"][name]
        widgets.append(
            cw.GraphWidget(
                title=f"Model quality: {name}, live vs baseline",
                left=[quality_metric(telemetry, name, statistic, period) for statistic in (LIVE, LOW)],
                left_annotations=[
                    cw.HorizontalAnnotation(value=figures[statistic], label=f"baseline {statistic}")
                    for statistic in (LIVE, LOW)
                ],
                width=8,
            )
        )
    widgets.append(
        cw.GraphWidget(
            title="Texts per predicted label (baseline shares in model.json)",
            left=[label_metric(telemetry, label, period) for label in classes],
            width=24,
        )
    )
    return widgets
