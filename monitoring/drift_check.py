"""The drift check: a window's captured texts against the served model's baseline, and the verdict.

Every check compares one statistic with the baseline inside the model's artifact (model.json's
``baseline``, written by training's export stage): the quality metrics' quantiles
(``drift_statistics.compare_metrics``) and the label mix (``compare_labels``). The unknown terms and the
captures answered by another model version are reported, not judged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

from monitoring.captures import CapturedText
from monitoring.drift_settings import TOP_UNKNOWN_TERMS, Thresholds
from monitoring.drift_statistics import LabelComparison, MetricComparison, compare_labels, compare_metrics
from monitoring.unknown_terms import UnknownTerms, unknown_terms
from serving.app.contracts.artifact import BASELINE_KEY

CALM, DRIFT, TOO_FEW = "calm", "drift", "too few texts"


class DriftInputError(ValueError):
    """Input the check cannot use (no baseline, no captures folder...), naming it and the fix."""


class Drift(NamedTuple):
    """What the report shows: the window's texts, each comparison, the unknown terms, the captures of
    other model versions, and the verdict (``CALM``, ``DRIFT`` or ``TOO_FEW``)."""

    model_version: str
    texts: int
    metrics: list[MetricComparison]
    labels: LabelComparison | None
    unknown: UnknownTerms
    other_versions: dict[str, int]
    thresholds: Thresholds
    verdict: str

    @property
    def crossed(self) -> list[str]:
        """The names of the checks that crossed their threshold."""
        names = [metric.name for metric in self.metrics if metric.crossed]
        return names + (["LabelMix"] if self.labels is not None and self.labels.crossed else [])


def model_baseline(model: Any, model_dir: object) -> dict[str, Any]:
    """The baseline of a loaded model (serving's ``Model``), or a ``DriftInputError`` saying what to do."""
    baseline = model.description.get(BASELINE_KEY)
    if not baseline:
        raise DriftInputError(
            f"the model in {model_dir} (version {model.version}) has no {BASELINE_KEY!r} in its model.json: "
            "retrain it with `make train` (its export stage measures the baseline on the held-out split), "
            "or name a model that has one with MODEL_DIR=..."
        )
    return baseline


def assess(texts: Sequence[CapturedText], model: Any, baseline: dict, thresholds: Thresholds) -> Drift:
    """Compares ``texts`` with ``baseline`` (of ``model``, serving's loaded ``Model``)."""
    versions = Counter(text.model_version for text in texts)
    other = {version: count for version, count in versions.most_common() if version != model.version}
    metrics = compare_metrics(texts, baseline, thresholds) if texts else []
    labels = compare_labels(texts, baseline, thresholds) if texts else None
    unknown = unknown_terms(model, texts, TOP_UNKNOWN_TERMS)
    drift = Drift(model.version, len(texts), metrics, labels, unknown, other, thresholds, CALM)
    if len(texts) < thresholds.min_texts:
        return drift._replace(verdict=TOO_FEW)
    return drift._replace(verdict=DRIFT if drift.crossed else CALM)
