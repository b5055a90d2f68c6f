"""The model: TF-IDF feature blocks side by side, into a multinomial logistic regression, from params.yaml.

    Pipeline([("features", FeatureUnion([("word", TfidfVectorizer(...)),
                                         ("char_wb", TfidfVectorizer(analyzer="char_wb", ...))])),
              ("clf", LogisticRegression(...))])

`featurize.analyzer` names the blocks (`word+char_wb` is the two above); a single block is a union of one,
so every model has the same shape and every user of it one code path. Each block is normalised on its
own and its columns follow the previous block's, which is what FeatureUnion computes.

This is the linear TF-IDF model family (training/families/linear_tfidf.py): serving re-implements its
prediction in plain numpy (serving/MODEL_ARTIFACT.md), so the family's `check_servable` refuses, here at
build time and again at export, anything that recipe cannot reproduce.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from serving.app.contracts.linear_tfidf import WORD_ANALYZER
from training.analyzer_choice import AUTO
from training.families.linear_tfidf import check_servable, vectorizers
from training.families.protocol import UnservableModelError
from training.params import MULTINOMIAL_SOLVERS

__all__ = [
    "MULTINOMIAL_SOLVERS",
    "UnservableModelError",
    "build_pipeline",
    "check_servable",
    "n_features",
    "vectorizers",
]


def build_pipeline(params: dict[str, dict[str, Any]]) -> Pipeline:
    """An unfitted Pipeline([features, clf]) from validated params (see training.params).

    `featurize.analyzer: auto` must have been resolved from the training texts first
    (training.analyzer_choice.resolve_analyzer, which fit_pipeline applies).
    """
    featurize, train = params["featurize"], params["train"]
    if featurize["analyzer"] == AUTO:
        raise ValueError("featurize.analyzer is auto: resolve it from the training texts first")
    blocks = [(analyzer, _vectorizer(analyzer, featurize)) for analyzer in featurize["analyzer"].split("+")]
    classifier = LogisticRegression(
        C=train["C"],
        max_iter=train["max_iter"],
        tol=train["tol"],
        solver=train["solver"],
        class_weight=train["class_weight"],
        # sag/saga visit documents in a random order; seeding it makes retraining reproducible.
        random_state=params["data"]["seed"],
    )
    pipeline = Pipeline([("features", FeatureUnion(blocks)), ("clf", classifier)])
    check_servable(pipeline)
    return pipeline


def _vectorizer(analyzer: str, featurize: dict[str, Any]) -> TfidfVectorizer:
    """One block; the token pattern and the word n-gram range concern the word block only."""
    is_word = analyzer == WORD_ANALYZER
    return TfidfVectorizer(
        analyzer=analyzer,
        ngram_range=tuple(featurize["ngram_range" if is_word else "char_ngram_range"]),
        min_df=featurize["min_df"],
        max_df=featurize["max_df"],
        sublinear_tf=featurize["sublinear_tf"],
        lowercase=featurize["lowercase"],
        strip_accents=featurize["strip_accents"],
        token_pattern=featurize["token_pattern"] if is_word else None,
        # float64 end to end: serving computes in float64 and must match the evaluated model exactly.
        dtype=np.float64,
    )


def n_features(pipeline: Pipeline) -> int:
    """The fitted model's number of features, over all blocks."""
    return sum(len(vectorizer.vocabulary_) for _, vectorizer in vectorizers(pipeline))
