"""The model: TF-IDF feature blocks side by side, into a linear classifier, from params.yaml.

    Pipeline([("features", FeatureUnion([("word", TfidfVectorizer(...)),
                                         ("char_wb", TfidfVectorizer(analyzer="char_wb", ...))])),
              ("clf", CalibratedClassifierCV(LinearSVC(...), method="temperature", ...))])

`train.estimator` names the classifier (ESTIMATORS below builds each; params.yaml's default is LinearSVC).
LinearSVC, RidgeClassifier and the average of LinearSVC and ComplementNB (ScoreAverage) have no
probabilities of their own: they are wrapped in CalibratedClassifierCV(method="temperature",
ensemble=False), which fits the classifier on all the training documents and one temperature on its
scores for held-out folds of them (CALIBRATION_FOLDS, stratified and shuffled with data.seed), so
serving's softmax(scores / temperature) is the pipeline's.

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
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from serving.app.contracts.linear_tfidf import WORD_ANALYZER
from training.analyzer_choice import AUTO
from training.families.linear_estimators import ScoreAverage
from training.families.linear_tfidf import check_servable, vectorizers
from training.families.protocol import UnservableModelError
from training.params import LINEAR_SVC, MULTINOMIAL_SOLVERS, SVC_WITH_COMPLEMENT_NB, ParamsError

__all__ = [
    "ESTIMATORS",
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
    blocks = [
        (analyzer, block_vectorizer(analyzer, featurize)) for analyzer in featurize["analyzer"].split("+")
    ]
    classifier = ESTIMATORS[train["estimator"]](train, params["data"]["seed"])
    pipeline = Pipeline([("features", FeatureUnion(blocks)), ("clf", classifier)])
    check_servable(pipeline)
    return pipeline


def _logistic_regression(train: dict[str, Any], seed: int) -> LogisticRegression:
    return LogisticRegression(
        C=train["C"],
        max_iter=train["max_iter"],
        tol=train["tol"],
        solver=train["solver"],
        class_weight=train["class_weight"],
        # sag/saga visit documents in a random order; seeding it makes retraining reproducible.
        random_state=seed,
    )


def _sgd(loss: str):
    def build(train: dict[str, Any], seed: int) -> SGDClassifier:
        return SGDClassifier(
            loss=loss,
            max_iter=train["max_iter"],
            tol=train["tol"],
            class_weight=train["class_weight"],
            random_state=seed,  # the order it visits documents in
            **_alpha(train),
        )

    return build


def _svc(train: dict[str, Any], seed: int) -> LinearSVC:
    return LinearSVC(
        C=train["C"],
        max_iter=train["max_iter"],
        tol=train["tol"],
        class_weight=train["class_weight"],
        random_state=seed,
    )


def _svc_with_complement_nb(train: dict[str, Any], seed: int) -> CalibratedClassifierCV:
    """LinearSVC's and ComplementNB's scores averaged (linear_estimators.ScoreAverage), calibrated."""
    return _with_temperature(ScoreAverage([_svc(train, seed), ComplementNB(**_alpha(train))]), seed)


def _ridge(train: dict[str, Any], seed: int) -> CalibratedClassifierCV:
    return _with_temperature(RidgeClassifier(class_weight=train["class_weight"], **_alpha(train)), seed)


# Held-out folds the temperature is fitted on (fewer when a label has fewer training documents).
CALIBRATION_FOLDS = 5


def _with_temperature(classifier, seed: int) -> CalibratedClassifierCV:
    """The classifier fitted on all the training documents, its scores calibrated by one temperature
    fitted (by scikit-learn, minimising log loss) on its scores for held-out folds of them."""
    folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=seed)
    return CalibratedClassifierCV(classifier, method="temperature", ensemble=False, cv=folds)


def _alpha(train: dict[str, Any]) -> dict[str, float]:
    """`train.alpha`, or nothing (scikit-learn's default for the estimator) when null."""
    return {} if train["alpha"] is None else {"alpha": train["alpha"]}


# train.estimator -> the classifier it names, from the train section and data.seed.
ESTIMATORS = {
    "logistic_regression": _logistic_regression,
    "logistic_regression_ovr": lambda train, seed: OneVsRestClassifier(_logistic_regression(train, seed)),
    "sgd_log_loss": _sgd("log_loss"),
    "sgd_modified_huber": _sgd("modified_huber"),
    LINEAR_SVC: lambda train, seed: _with_temperature(_svc(train, seed), seed),
    "ridge": _ridge,
    "complement_nb": lambda train, seed: ComplementNB(**_alpha(train)),
    "multinomial_nb": lambda train, seed: MultinomialNB(**_alpha(train)),
    SVC_WITH_COMPLEMENT_NB: _svc_with_complement_nb,
}


def fit_classifier(classifier, features, labels: list[str]) -> None:
    """Fit the classifier in place; a temperature's folds are capped by the smallest label's documents."""
    if isinstance(classifier, CalibratedClassifierCV):
        smallest = min(np.unique(np.asarray(labels), return_counts=True)[1])
        if smallest < 2:
            raise ParamsError(
                "train.estimator fits a temperature on held-out folds: every label needs at least 2 "
                "training documents (use another estimator, or add documents)"
            )
        folds = classifier.cv
        classifier.set_params(
            cv=StratifiedKFold(
                min(CALIBRATION_FOLDS, int(smallest)), shuffle=True, random_state=folds.random_state
            )
        )
    classifier.fit(features, labels)


def block_vectorizer(analyzer: str, featurize: dict[str, Any]) -> TfidfVectorizer:
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
