"""Fitting with chi2 term selection is exactly a TF-IDF vectorizer fitted on the kept terms, and the
weights are rounded to the precision the artifact stores."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import chi2
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from training import fit
from training.fit import fit_pipeline, fit_selected_union, round_weights
from training.params import ParamsError, validate_params
from training.tests.corpus import LOGISTIC_REGRESSION, make_corpus, repo_params

SETTINGS = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "token_pattern": r"(?u)\w+(?:[.@]\w+)*"}
CHAR_WB = {
    "analyzer": "char_wb",
    "ngram_range": (2, 4),
    "min_df": 2,
    "sublinear_tf": True,
    "token_pattern": None,
}
CHAR = {"analyzer": "char", "ngram_range": (1, 3), "min_df": 2, "sublinear_tf": True, "token_pattern": None}
UNIONS = {"word": [SETTINGS], "word+char_wb": [SETTINGS, CHAR_WB], "char": [CHAR]}


def union(blocks: list[dict], vocabularies: list | None = None) -> FeatureUnion:
    vocabularies = vocabularies or [None] * len(blocks)
    return FeatureUnion(
        [
            (f"block{k}", TfidfVectorizer(**block, vocabulary=vocabulary, dtype=np.float64))
            for k, (block, vocabulary) in enumerate(zip(blocks, vocabularies, strict=True))
        ]
    )


@pytest.fixture(scope="module")
def corpus():
    texts, labels = make_corpus(per_label=25, seed=5)
    # Addresses and hostnames as single tokens, accents, and a document whose terms are all pruned.
    extra = ["mail jo@cs.cmu.edu about the comet", "café crème at the harbour", "zzz qqq"]
    return [*texts, *extra], [*labels, "astronomy", "cooking", "sailing"]


@pytest.mark.parametrize("blocks", UNIONS.values(), ids=UNIONS.keys())
def test_features_are_what_the_fitted_union_computes(corpus, blocks):
    texts, labels = corpus
    fitted = union(blocks)
    features = fit_selected_union(fitted, texts, labels, n_terms=60)
    expected = fitted.transform(texts)
    assert features.shape == expected.shape == (len(texts), 60)
    np.testing.assert_allclose(features.toarray(), expected.toarray(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("blocks", UNIONS.values(), ids=UNIONS.keys())
def test_selection_equals_vectorizers_fitted_on_the_top_chi2_terms_of_all_blocks(corpus, blocks):
    """chi2 ranks the columns of the full union (each block normalised on its own); each block is then
    what scikit-learn fits when given its share of the best terms as a fixed vocabulary."""
    texts, labels = corpus
    full = union(blocks).fit(texts)
    scores = np.nan_to_num(chi2(full.transform(texts), labels)[0], nan=0.0)
    names = [v.get_feature_names_out() for _, v in full.transformer_list]
    owners = np.concatenate([np.full(len(block_names), k) for k, block_names in enumerate(names)])
    best = np.argsort(-scores, kind="stable")[:60]
    columns = np.concatenate(names)
    top = [sorted(columns[best[owners[best] == k]]) for k in range(len(blocks))]
    assert sum(map(len, top)) == 60

    selected = union(blocks)
    fit_selected_union(selected, texts, labels, n_terms=60)
    refitted = union(blocks, vocabularies=top).fit(texts)
    for (_, actual), (_, expected) in zip(selected.transformer_list, refitted.transformer_list, strict=True):
        assert actual.vocabulary_ == expected.vocabulary_
        np.testing.assert_array_equal(actual.idf_, expected.idf_)
    probe = [*texts[:5], "comet comet harbour", "", "zzz", "jo@cs.cmu.edu\ncafé"]
    np.testing.assert_allclose(
        selected.transform(probe).toarray(), refitted.transform(probe).toarray(), rtol=0, atol=1e-12
    )


def test_the_union_keeps_terms_of_both_blocks(corpus):
    """Guards the test above: with words and characters competing, each block keeps some terms."""
    texts, labels = corpus
    selected = union(UNIONS["word+char_wb"])
    fit_selected_union(selected, texts, labels, n_terms=60)
    sizes = [len(v.vocabulary_) for _, v in selected.transformer_list]
    assert sum(sizes) == 60 and min(sizes) > 0


@pytest.mark.parametrize("n_terms", [None, 10**9])
def test_without_selection_every_term_is_kept(corpus, n_terms):
    texts, labels = corpus
    plain = union(UNIONS["word+char_wb"]).fit(texts)
    selected = union(UNIONS["word+char_wb"])
    features = fit_selected_union(selected, texts, labels, n_terms)
    for (_, actual), (_, expected) in zip(selected.transformer_list, plain.transformer_list, strict=True):
        assert actual.vocabulary_ == expected.vocabulary_
        np.testing.assert_array_equal(actual.idf_, expected.idf_)
    np.testing.assert_allclose(features.toarray(), plain.transform(texts).toarray(), rtol=0, atol=1e-12)


def test_a_block_left_without_terms_is_refused(corpus):
    """One term cannot be shared by two blocks: scikit-learn refuses an empty vocabulary, so training
    says which setting to change instead."""
    texts, labels = corpus
    with pytest.raises(ParamsError, match=r"select_features=1 keeps no term of the 'block[01]' block"):
        fit_selected_union(union(UNIONS["word+char_wb"]), texts, labels, n_terms=1)


@pytest.mark.parametrize("analyzer", ["word", "word+char_wb", "char"])
def test_fit_pipeline_selects_rounds_and_predicts(corpus, analyzer):
    texts, labels = corpus
    raw = repo_params()
    raw["featurize"] |= {
        "analyzer": analyzer,
        "char_ngram_range": [1, 3],
        "select_features": 150,
        "token_pattern": SETTINGS["token_pattern"],
    }
    raw["train"] |= LOGISTIC_REGRESSION | {"weights_dtype": "float16", "C": 10.0}
    pipeline = fit_pipeline(validate_params(raw), texts, labels)
    coef = pipeline.named_steps["clf"].coef_
    blocks = pipeline.named_steps["features"].transformer_list
    assert [name for name, _ in blocks] == analyzer.split("+")
    assert sum(len(vectorizer.vocabulary_) for _, vectorizer in blocks) == coef.shape[1] == 150
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


def test_chi2_scores_a_block_of_columns_at_a_time_are_chi2s_own(corpus, monkeypatch):
    """Blocks of 7 columns (and a last, shorter one) give chi2's scores bit for bit, NaN where it has NaN."""
    texts, labels = corpus
    features = union(UNIONS["word+char_wb"]).fit_transform(texts)
    monkeypatch.setattr(fit, "CHI2_BLOCK_CELLS", 7 * len(set(labels)))
    assert features.shape[1] % 7 != 0
    np.testing.assert_array_equal(fit.chi2_scores(features, labels), chi2(features, labels)[0])
