"""The model-quality baseline: what the served model's telemetry looks like on the held-out split.

The export stage runs the exported artifact through serving's own classifier (``serving.app``: the
same featurizer pass, link and ``families.protocol.Quality`` the handler reports per request) on the
test texts, and summarizes, per model-quality metric (``contracts.metrics.QUALITY_FIELDS``, the names
the handler writes), a few quantiles, and the share of each predicted label. model.json carries it
(``baseline``, GET /model shows it), and the CDK app derives the model-quality alarms and the
dashboard's reference lines from it: one definition of each statistic, one source of the figures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from serving.app.artifact.loader import load_model
from serving.app.contracts import metrics as names
from serving.app.contracts.artifact import BASELINE_KEY, BASELINE_PERCENTILES
from training.export import write_atomically

# Texts classified per call: a few MB of features at a time, whatever the split's size.
BATCH = 256
DECIMALS = 4


def measure(model_dir: Path, texts: list[str]) -> dict[str, Any]:
    """The baseline of the model in ``model_dir`` on ``texts``: per quality metric its quantiles
    (``p5``, ``p10``... as CloudWatch names percentiles), and each class's share of the predictions."""
    if not texts:
        raise ValueError("the baseline needs at least one held-out text")
    classifier = load_model(model_dir).classifier
    rows: list[tuple[float, ...]] = []
    labels: list[str] = []
    for start in range(0, len(texts), BATCH):
        batch = texts[start : start + BATCH]
        for prediction, text in zip(classifier.classify(batch, 1), batch, strict=True):
            rows.append((*prediction.quality, len(text)))
            labels.append(prediction.label)
    columns = np.array(rows, dtype=np.float64).T
    levels = list(BASELINE_PERCENTILES.values())
    quantiles = {
        name: {
            percentile: round(float(value), DECIMALS)
            for percentile, value in zip(BASELINE_PERCENTILES, np.quantile(column, levels), strict=True)
        }
        for name, column in zip(names.QUALITY_FIELDS, columns, strict=True)
    }
    shares = {label: round(labels.count(label) / len(labels), DECIMALS) for label in classifier.classes}
    return {"documents": len(texts), "quantiles": quantiles, "label_shares": shares}


def write_into(manifest_path: Path, baseline: dict[str, Any]) -> None:
    """Adds ``baseline`` to model.json (its arrays, hence its version, unchanged)."""
    document = json.loads(manifest_path.read_text(encoding="utf-8"))
    document[BASELINE_KEY] = baseline
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_atomically(manifest_path, text.encode("utf-8"))
