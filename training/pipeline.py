"""The model: TF-IDF features into a multinomial logistic regression, every setting taken from params.yaml.

Serving re-implements this pipeline's prediction in plain numpy (serving/MODEL_ARTIFACT.md), so the
pipeline is restricted to what that recipe can reproduce; `check_servable` refuses anything else here,
at training time, rather than letting serving silently disagree with the evaluated model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from training.params import MULTINOMIAL_SOLVERS


class UnservableModelError(ValueError):
    """The pipeline uses a setting serving's numpy re-implementation cannot reproduce."""


def build_pipeline(params: dict[str, dict[str, Any]]) -> Pipeline:
    """An unfitted Pipeline([tfidf, clf]) from validated params (see training.params)."""
    featurize, train = params["featurize"], params["train"]
    vectorizer = TfidfVectorizer(
        ngram_range=tuple(featurize["ngram_range"]),
        min_df=featurize["min_df"],
        max_df=featurize["max_df"],
        sublinear_tf=featurize["sublinear_tf"],
        lowercase=featurize["lowercase"],
        strip_accents=featurize["strip_accents"],
        token_pattern=featurize["token_pattern"],
        # float64 end to end: serving computes in float64 and must match the evaluated model exactly.
        dtype=np.float64,
    )
    classifier = LogisticRegression(
        C=train["C"],
        max_iter=train["max_iter"],
        tol=train["tol"],
        solver=train["solver"],
        class_weight=train["class_weight"],
        # sag/saga visit documents in a random order; seeding it makes retraining reproducible.
        random_state=params["data"]["seed"],
    )
    pipeline = Pipeline([("tfidf", vectorizer), ("clf", classifier)])
    check_servable(pipeline)
    return pipeline


def check_servable(pipeline: Pipeline) -> None:
    """Raise UnservableModelError unless serving/MODEL_ARTIFACT.md's recipe reproduces this pipeline."""
    if list(pipeline.named_steps) != ["tfidf", "clf"]:
        raise UnservableModelError(f"expected steps ['tfidf', 'clf'], got {list(pipeline.named_steps)}")
    vectorizer, classifier = pipeline.named_steps["tfidf"], pipeline.named_steps["clf"]
    if not isinstance(vectorizer, TfidfVectorizer) or not isinstance(classifier, LogisticRegression):
        raise UnservableModelError("expected a TfidfVectorizer followed by a LogisticRegression")
    problems = [
        f"{name}={getattr(vectorizer, name)!r} (must be {allowed})"
        for name, allowed in _VECTORIZER_RULES.items()
        if getattr(vectorizer, name) not in allowed
    ]
    if classifier.solver not in MULTINOMIAL_SOLVERS:
        problems.append(f"solver={classifier.solver!r} (must be one of {', '.join(MULTINOMIAL_SOLVERS)})")
    if problems:
        raise UnservableModelError("serving cannot reproduce: " + "; ".join(problems))


# Settings of TfidfVectorizer and the values serving's recipe implements.
_VECTORIZER_RULES: dict[str, tuple] = {
    "analyzer": ("word",),
    "preprocessor": (None,),
    "tokenizer": (None,),
    "stop_words": (None,),
    "strip_accents": (None, "ascii", "unicode"),
    "norm": ("l2", "l1", None),
    "dtype": (np.float64,),
    "input": ("content",),
}
