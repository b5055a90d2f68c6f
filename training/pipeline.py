"""The model: TF-IDF feature blocks side by side, into a multinomial logistic regression, from params.yaml.

    Pipeline([("features", FeatureUnion([("word", TfidfVectorizer(...)),
                                         ("char_wb", TfidfVectorizer(analyzer="char_wb", ...))])),
              ("clf", LogisticRegression(...))])

`featurize.analyzer` names the blocks (`word+char_wb` is the two above); a single block is a union of one,
so every model has the same shape and every user of it one code path. Each block is normalised on its
own and its columns follow the previous block's, which is what FeatureUnion computes.

Serving re-implements this pipeline's prediction in plain numpy (serving/MODEL_ARTIFACT.md), so the
pipeline is restricted to what that recipe can reproduce; `check_servable` refuses anything else here,
at training time, rather than letting serving silently disagree with the evaluated model.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from serving.app.contracts.linear_tfidf import ANALYZERS, NORMS, STRIP_ACCENTS, WORD_ANALYZER
from training.analyzer_choice import AUTO
from training.params import MULTINOMIAL_SOLVERS

STEPS = ["features", "clf"]


class UnservableModelError(ValueError):
    """The pipeline uses a setting serving's numpy re-implementation cannot reproduce."""


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


def vectorizers(pipeline: Pipeline) -> list[tuple[str, TfidfVectorizer]]:
    """The feature blocks, (name, vectorizer), in column order."""
    return pipeline.named_steps["features"].transformer_list


def n_features(pipeline: Pipeline) -> int:
    """The fitted model's number of features, over all blocks."""
    return sum(len(vectorizer.vocabulary_) for _, vectorizer in vectorizers(pipeline))


def check_servable(pipeline: Pipeline) -> None:
    """Raise UnservableModelError unless serving/MODEL_ARTIFACT.md's recipe reproduces this pipeline."""
    if list(pipeline.named_steps) != STEPS:
        raise UnservableModelError(f"expected steps {STEPS}, got {list(pipeline.named_steps)}")
    union, classifier = pipeline.named_steps["features"], pipeline.named_steps["clf"]
    if not isinstance(union, FeatureUnion) or not isinstance(classifier, LogisticRegression):
        raise UnservableModelError(
            "expected a FeatureUnion of TfidfVectorizers followed by a LogisticRegression"
        )
    if not union.transformer_list:
        raise UnservableModelError("expected at least one feature block")
    problems = []
    if union.transformer_weights is not None:
        problems.append(f"transformer_weights={union.transformer_weights!r} (must be None)")
    for name, vectorizer in union.transformer_list:
        if not isinstance(vectorizer, TfidfVectorizer):
            problems.append(f"block {name!r} is a {type(vectorizer).__name__} (must be a TfidfVectorizer)")
            continue
        problems += [
            f"block {name!r}: {setting}={getattr(vectorizer, setting)!r} (must be {allowed})"
            for setting, allowed in _VECTORIZER_RULES.items()
            if getattr(vectorizer, setting) not in allowed
        ]
    word_blocks = [
        vectorizer
        for _, vectorizer in union.transformer_list
        if getattr(vectorizer, "analyzer", None) == WORD_ANALYZER
    ]
    if len(word_blocks) > 1:
        problems.append(f"{len(word_blocks)} word blocks (at most one)")
    problems += [
        f"token_pattern={vectorizer.token_pattern!r} can match a space (a word n-gram's words are "
        "separated by spaces)"
        for vectorizer in word_blocks
        if _matches_spaces(vectorizer.token_pattern)
    ]
    if classifier.solver not in MULTINOMIAL_SOLVERS:
        problems.append(f"solver={classifier.solver!r} (must be one of {', '.join(MULTINOMIAL_SOLVERS)})")
    if problems:
        raise UnservableModelError("serving cannot reproduce: " + "; ".join(problems))


def _matches_spaces(token_pattern: str) -> bool:
    """Whether the pattern yields a token holding a space from a few typical texts.

    scikit-learn names a word n-gram by its tokens joined with spaces, and serving's artifact stores it
    as those words: a token holding a space would make the split ambiguous.
    """
    probes = ("a b", "a  b", "1 2", "a. b", "a, b", "x-y z", " ", "a\tb c")
    return any(" " in token for probe in probes for token in re.findall(token_pattern, probe))


# Settings of TfidfVectorizer and the values serving's recipe implements.
_VECTORIZER_RULES: dict[str, tuple] = {
    "analyzer": ANALYZERS,
    "preprocessor": (None,),
    "tokenizer": (None,),
    "stop_words": (None,),
    "strip_accents": STRIP_ACCENTS,
    "norm": NORMS,
    "dtype": (np.float64,),
    "input": ("content",),
}
