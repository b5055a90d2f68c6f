"""Test helper: capture lines in the contract's format (serving.app.contracts.capture), as the handler
writes them, for texts the model in a folder classifies; and a small BBC News model with its baseline."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

from serving.app.artifact.loader import Model
from serving.app.contracts import capture
from serving.app.contracts.metrics import QUALITY_DECIMALS
from serving.tests.artifact_export import bbc_news, export, train
from training import baseline

TOP_K = 3
# Per class, the BBC News articles each part of a test takes: training, the baseline's held-out texts,
# and traffic drawn like them, interleaved with them (the corpus's file order drifts: articles far apart
# in it differ in topic). The smallest class has 386 articles.
TRAIN, HELD_OUT, LIKE_HELD_OUT = range(0, 30), range(30, 150, 2), range(31, 150, 2)


def articles(indices: range) -> tuple[list[str], list[str]]:
    """The BBC News articles at ``indices`` within each class, with their labels."""
    texts, labels = bbc_news(per_class=indices.stop)
    kept = [
        (text, label)
        for k, (text, label) in enumerate(zip(texts, labels, strict=True))
        if k % indices.stop in indices
    ]
    return [text for text, _ in kept], [label for _, label in kept]


def model_with_baseline(directory: Path) -> Path:
    """A BBC News model in ``directory`` with the baseline training's export stage writes."""
    texts, labels = articles(TRAIN)
    model_dir = export(*train(texts, labels, ngram_range=(1, 2), min_df=2, sublinear_tf=True), directory)
    baseline.write_into(model_dir / "model.json", baseline.measure(model_dir, articles(HELD_OUT)[0]))
    return model_dir


def records(model: Model, texts: list[str], day: date, version: str | None = None) -> list[dict]:
    """One capture record per text, as the handler writes it when ``model`` answers on ``day``."""
    found = []
    for number, (text, prediction) in enumerate(
        zip(texts, model.classifier.classify(texts, TOP_K), strict=True)
    ):
        quality = {key: round(value, QUALITY_DECIMALS) for key, value in prediction.quality._asdict().items()}
        fields = {
            "captureVersion": capture.FORMAT_VERSION,
            "requestId": f"request-{number}",
            "modelVersion": version or model.version,
            "text": text,
            "label": prediction.label,
            "scores": dict(prediction.scores),
            **quality,
        }
        envelope = {"timestamp": f"{day.isoformat()}T12:00:00Z", "level": "INFO", "message": capture.MESSAGE}
        found.append(envelope | {field: fields[field] for field in capture.FIELDS})
    return found


def lines(found: list[dict]) -> bytes:
    return "".join(json.dumps(record) + "\n" for record in found).encode("utf-8")


def write_local(folder: Path, day: date, found: list[dict], name: str = "captures.jsonl") -> Path:
    """The records as `make serve` keeps them: one file in the day's folder."""
    path = folder / capture.partition(day.year, day.month, day.day) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(lines(found))
    return path


def put_object(s3, bucket: str, day: date, found: list[dict], name: str = "part-0001.gz") -> str:
    """The records as Firehose delivers them: one gzip object under the day's prefix."""
    key = capture.partition(day.year, day.month, day.day) + name
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(lines(found)))
    return key
