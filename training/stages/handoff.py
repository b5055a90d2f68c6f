"""The files the stages hand each other: where they are, and how the fitted pipeline is saved and loaded.

dvc.yaml declares the same paths as the stages' outs and deps (training/tests/test_dvc_stages.py ties
the two). The fitted pipeline is a joblib pickle: loading a pickle runs code, so training loads only the
one its own train stage wrote, and serving never loads one (it reads the artifact, plain arrays).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
from sklearn.pipeline import Pipeline

from training import REPO_ROOT
from training.pipeline import vectorizers

PIPELINE_PATH = REPO_ROOT / "training" / "model" / "pipeline.joblib"
REPORTS_DIR = REPO_ROOT / "training" / "reports"
METRICS_NAME = "metrics.json"
CONFUSION_NAME = "confusion_matrix.csv"
# What `featurize.analyzer` meant for this model and, for `auto`, each candidate's score (train stage).
ANALYZER_CHOICE_NAME = "analyzer_choice.json"


class StageInputError(RuntimeError):
    """A file a stage reads is not there; the message names it and what writes it."""


def save_pipeline(pipeline: Pipeline, path: Path) -> None:
    """Pickle the fitted pipeline with joblib, byte for byte the same on every run of the same commit.

    CountVectorizer remembers `id(stop_words)`, a memory address, to skip a repeated consistency check;
    it is process state, not model, and would make each run's pickle differ. Without it scikit-learn
    simply checks again. Every feature block has its own.
    """
    for _, vectorizer in vectorizers(pipeline):
        if hasattr(vectorizer, "_stop_words_id"):
            del vectorizer._stop_words_id
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, path)


def load_pipeline(path: Path) -> Pipeline:
    """The pipeline the train stage saved at `path`."""
    if not path.is_file():
        raise StageInputError(f"{path}: no fitted pipeline; the train stage writes it (make train)")
    return joblib.load(path)


def read_metrics(path: Path) -> dict[str, Any]:
    """The metrics the evaluate stage wrote at `path`."""
    if not path.is_file():
        raise StageInputError(f"{path}: no metrics; the evaluate stage writes them (make train)")
    return json.loads(path.read_text(encoding="utf-8"))
