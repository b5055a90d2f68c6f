"""Fitting with chi2 term selection is exactly a TF-IDF vectorizer fitted on the kept terms, and the
weights are rounded to the precision the artifact stores."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import chi2
from sklearn.linear_model import LogisticRegression

from training.fit import fit_pipeline, fit_selected_vectorizer, round_weights
from training.params import validate_params
from training.tests.corpus import make_corpus, repo_params

SETTINGS = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "token_pattern": r"(?u)\w+(?:[.@]\w+)*"}


@pytest.fixture(scope="module")
def corpus():
    texts, labels = make_corpus(per_label=25, seed=5)
    # Addresses and hostnames as single tokens, accents, and a document whose terms are all pruned.
    extra = ["mail jo@cs.cmu.edu about the comet", "café crème at the harbour", "zzz qqq"]
    return [*texts, *extra], [*labels, "astronomy", "cooking", "sailing"]


def test_features_are_what_the_fitted_vectorizer_computes(corpus):
    texts, labels = corpus
    vectorizer = TfidfVectorizer(**SETTINGS, dtype=np.float64)
    features = fit_selected_vectorizer(vectorizer, texts, labels, n_terms=20)
    expected = vectorizer.transform(texts)
    assert features.shape == expected.shape == (len(texts), 20)
    np.testing.assert_allclose(features.toarray(), expected.toarray(), rtol=0, atol=1e-12)


def test_selection_equals_a_vectorizer_fitted_on_the_top_chi2_terms(corpus):
    texts, labels = corpus
    full = TfidfVectorizer(**SETTINGS).fit(texts)
    scores = chi2(full.transform(texts), labels)[0]
    names = full.get_feature_names_out()
    top = set(names[np.argsort(-scores, kind="stable")[:20]])

    selected = TfidfVectorizer(**SETTINGS)
    fit_selected_vectorizer(selected, texts, labels, n_terms=20)
    assert set(selected.vocabulary_) == top and len(top) == 20

    refitted = TfidfVectorizer(**SETTINGS, vocabulary=sorted(top)).fit(texts)
    assert selected.vocabulary_ == refitted.vocabulary_
    np.testing.assert_array_equal(selected.idf_, refitted.idf_)
    probe = [*texts[:5], "comet comet harbour", "", "zzz"]
    np.testing.assert_allclose(
        selected.transform(probe).toarray(), refitted.transform(probe).toarray(), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("n_terms", [None, 10**9])
def test_without_selection_every_term_is_kept(corpus, n_terms):
    texts, labels = corpus
    plain = TfidfVectorizer(**SETTINGS).fit(texts)
    vectorizer = TfidfVectorizer(**SETTINGS)
    features = fit_selected_vectorizer(vectorizer, texts, labels, n_terms)
    assert vectorizer.vocabulary_ == plain.vocabulary_
    np.testing.assert_array_equal(vectorizer.idf_, plain.idf_)
    np.testing.assert_allclose(features.toarray(), plain.transform(texts).toarray(), rtol=0, atol=1e-12)


def test_fit_pipeline_selects_rounds_and_predicts(corpus):
    texts, labels = corpus
    raw = repo_params()
    raw["featurize"] |= {"select_features": 30, "token_pattern": SETTINGS["token_pattern"]}
    raw["train"] |= {"weights_dtype": "float16", "C": 10.0}
    pipeline = fit_pipeline(validate_params(raw), texts, labels)
    coef = pipeline.named_steps["clf"].coef_
    assert len(pipeline.named_steps["tfidf"].vocabulary_) == 30
    assert coef.dtype == np.float64
    np.testing.assert_array_equal(coef.astype(np.float16).astype(np.float64), coef)
    assert list(pipeline.predict(["the telescope saw a comet and a star"])) == ["astronomy"]


def test_round_weights_rounds_to_the_nearest_representable_value():
    classifier = LogisticRegression()
    classifier.coef_ = np.array([[0.1, -2.0 / 3.0, 1e-9, 3.0]])
    round_weights(classifier, "float16")
    assert classifier.coef_.dtype == np.float64
    np.testing.assert_array_equal(classifier.coef_, np.float16([[0.1, -2.0 / 3.0, 1e-9, 3.0]]))
    assert classifier.coef_[0, 0] != 0.1 and classifier.coef_[0, 3] == 3.0


def test_weights_too_large_for_the_precision_are_refused():
    classifier = LogisticRegression()
    classifier.coef_ = np.array([[1e6, 1.0]])
    with pytest.raises(ValueError, match="overflow float16"):
        round_weights(classifier, "float16")
