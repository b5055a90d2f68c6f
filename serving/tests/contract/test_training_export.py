"""The artifact training actually writes is accepted by serving and predicts exactly like its pipeline.

The other serving tests use an exporter written from the contract alone; this one closes the loop with
training's own exporter, so a drift on either side of serving/MODEL_ARTIFACT.md fails here.
"""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from serving.app.artifact.loader import load_model
from serving.app.contracts.linear_tfidf import BLOCK_KEYS, BLOCK_SETTINGS
from serving.app.tfidf.featurizer import FeaturizerSettings
from serving.tests.artifact_export import bbc_news
from serving.tests.served_model import predict_proba
from training.export import export_model
from training.families.linear_tfidf import block_settings

METADATA = {
    "data": {"source": "bbc-news", "train_documents": 150, "test_documents": 0},
    "metrics": {"accuracy": 0.0, "macro_f1": 0.0, "baseline_accuracy": 0.0},
    "params": {},
}


WORDS = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "token_pattern": r"(?u)\b\w+\b"}
CHAR_WB = {"analyzer": "char_wb", "ngram_range": (2, 4), "min_df": 2, "sublinear_tf": True}


@pytest.mark.parametrize(
    ("blocks", "labels_kept"),
    [
        ([WORDS], None),
        ([{"strip_accents": "unicode", "norm": None}], ("sports", "tech")),
        ([WORDS, CHAR_WB], None),
        ([{"analyzer": "char", "ngram_range": (1, 3), "lowercase": False}], ("sports", "tech")),
    ],
    ids=["multiclass", "binary", "word+char_wb", "char-binary"],
)
def test_training_export_round_trip(tmp_path, blocks, labels_kept):
    texts, labels = bbc_news(per_class=30)
    if labels_kept:
        keep = [i for i, label in enumerate(labels) if label in labels_kept]
        texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    union = FeatureUnion([(block.get("analyzer", "word"), TfidfVectorizer(**block)) for block in blocks])
    pipeline = Pipeline([("features", union), ("clf", LogisticRegression(C=10.0))])
    with threadpool_limits(limits=1):
        pipeline.fit(texts, labels)
    result = export_model(pipeline, tmp_path, METADATA)

    model = load_model(tmp_path)
    assert model.version == result.version
    assert model.classifier.classes == [str(c) for c in pipeline.classes_]

    unseen, _ = bbc_news(per_class=33)
    probe = [*unseen[30::33], "", "Café ÉTÉ naïve", "!!!", "a\nb\tc  d", "東京 😀"]
    expected = pipeline.predict_proba(probe)
    for text, proba, label in zip(probe, expected, pipeline.predict(probe), strict=True):
        assert np.abs(predict_proba(model.classifier, text) - proba).max() <= 1e-9
        assert model.classifier.classify([text], 1)[0].label == label


def test_training_writes_exactly_the_block_keys_serving_reads():
    """The contract's BLOCK_KEYS are what serving's loader accepts; training's family writes exactly them,
    in the same order, and serving's FeaturizerSettings holds the settings among them, in their order."""
    vectorizer = TfidfVectorizer().fit(["one text", "another text"])
    assert tuple(block_settings(vectorizer)) == BLOCK_KEYS
    assert FeaturizerSettings._fields == BLOCK_SETTINGS
