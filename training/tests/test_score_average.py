"""ScoreAverage: its members' scores, each scaled to a root mean square of 1, averaged as one linear model."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import RidgeClassifier
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from training.families.linear_estimators import ScoreAverage
from training.tests.corpus import make_corpus


def centred(scores: np.ndarray) -> np.ndarray:
    """Scores per class, less each document's mean (a shift no probability or label depends on); one
    column z becomes the pair (-z/2, z/2)."""
    if scores.ndim == 1:
        return np.column_stack([-scores / 2, scores / 2])
    return scores - scores.mean(axis=1, keepdims=True)


def own_scores(member, features) -> np.ndarray:
    if isinstance(member, ComplementNB):
        jll = member.predict_joint_log_proba(features)
        return jll[:, 1] - jll[:, 0] if jll.shape[1] == 2 else jll
    return member.decision_function(features)


def features_and_labels(n_labels: int):
    texts, labels = make_corpus(per_label=20, seed=3)
    kept = sorted(set(labels))[:n_labels]
    texts, labels = zip(*[(t, lab) for t, lab in zip(texts, labels, strict=True) if lab in kept], strict=True)
    return TfidfVectorizer(sublinear_tf=True).fit_transform(texts), np.array(labels)


@pytest.mark.parametrize("n_labels", [3, 2])
def test_the_average_is_the_mean_of_the_members_scores_each_scaled_to_a_root_mean_square_of_one(n_labels):
    features, labels = features_and_labels(n_labels)
    # Little smoothing spreads naive Bayes's log-probabilities far wider than LinearSVC's margins.
    average = ScoreAverage([LinearSVC(random_state=0), ComplementNB(alpha=0.001)]).fit(features, labels)
    parts = []
    for member in average.estimators_:
        scores = centred(own_scores(member, features))
        parts.append(scores / np.sqrt(np.mean(np.square(scores))))
        assert np.sqrt(np.mean(np.square(parts[-1]))) == pytest.approx(1.0)
    np.testing.assert_allclose(
        centred(average.decision_function(features)), np.mean(parts, axis=0), atol=1e-12
    )
    # The members' own scores differ in scale; the scaling is what makes each count equally.
    raw = [np.sqrt(np.mean(np.square(centred(own_scores(m, features))))) for m in average.estimators_]
    assert max(raw) / min(raw) > 3


def test_two_classes_are_scored_by_one_z_and_predicted_by_its_sign():
    features, labels = features_and_labels(2)
    average = ScoreAverage([LinearSVC(random_state=0), ComplementNB()]).fit(features, labels)
    z = average.decision_function(features)
    assert z.ndim == 1 and average.coef_.shape == (1, features.shape[1])
    assert list(average.predict(features)) == list(average.classes_[(z > 0).astype(int)])


def test_it_predicts_the_class_of_the_highest_average_score_and_learns_the_topics():
    features, labels = features_and_labels(3)
    average = ScoreAverage([LinearSVC(random_state=0), RidgeClassifier()]).fit(features, labels)
    scores = average.decision_function(features)
    assert list(average.predict(features)) == list(average.classes_[scores.argmax(axis=1)])
    assert np.mean(average.predict(features) == labels) > 0.9


def test_it_clones_with_unfitted_members_and_leaves_the_given_ones_unfitted():
    members = [LinearSVC(C=0.5), ComplementNB(alpha=0.3)]
    copy = clone(ScoreAverage(members))
    assert [m.get_params() for m in copy.estimators] == [m.get_params() for m in members]
    features, labels = features_and_labels(3)
    ScoreAverage(members).fit(features, labels)
    assert not hasattr(members[0], "coef_")  # fit works on clones, as scikit-learn's ensembles do
