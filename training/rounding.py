"""The precision of every figure in metrics.json: the metrics (training.evaluate) and the data checks
(training.data_checks) both write there, and the train stage computes the checks without importing the
evaluation (so that editing the evaluation does not retrain)."""

from __future__ import annotations

METRIC_DIGITS = 4


def rounded(value):
    """Floats rounded for metrics.json, so `dvc metrics diff` shows meaningful digits, not float noise."""
    if isinstance(value, float):
        return round(value, METRIC_DIGITS)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return value
