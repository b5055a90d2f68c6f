"""Serving's featurizer and classifier reproduce scikit-learn's pipeline exactly.

Small real pipelines are trained here with scikit-learn, exported in the artifact format, loaded by
serving and compared on awkward texts: features must match to 1e-12, probabilities to 1e-9, labels
exactly. The training texts include accented, non-Latin and 1-character tokens so that every setting
(accents, case, norms, tf variants, n-gram ranges, capturing token patterns) changes the vocabulary, and
scripts written without spaces, emoji sequences, Unicode whitespace, single newlines and tabs and a lone
surrogate so that the character analyzers (char, char_wb) and the unions of blocks meet them too.
"""

import functools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serving.app.artifact.loader import load_model
from serving.app.linear.explanations import explain
from serving.tests.artifact_export import bbc_news, export, train, train_union
from serving.tests.served_model import predict_proba

UNUSUAL_TRAINING_TEXTS = [
    ("Café résumé naïve façade Ünïcödé Ångström cafe resume naive", "business"),
    ("\u03d2 \u03d3 \u03d4 İstanbul ǅemal ﬁnance ﬁnal Straße STRASSE", "politics"),
    ("日本語のテキスト 中文文本 한국어 텍스트 Ελληνικά κείμενο", "tech"),
    ("2004 1,000,000 3.14 £5m $10bn 50% 7-1 2-0", "sports"),
    ("a b c d e f I x y z 1 2 3", "entertainment"),
    ("MARKET Shares FELL market shares fell Market", "business"),
    ("ภาษาไทยไม่มีช่องว่าง ひらがな カタカナ 東京都 北京市", "tech"),
    ("family 👨\u200d👩\u200d👧 flag 🏳\ufe0f\u200d🌈 thumbs 👍🏽 😀😀", "entertainment"),
    ("line one\nline two\tcolumn\u00a0nbsp\u2003em\u3000ideo\r\n\x1ca I", "politics"),
    ("lone \ud800 surrogate \udfff end e\u0301 n\u0303", "sports"),
]

CONFIGS = {
    "sklearn-defaults": {},
    "contract-example": {"ngram_range": (1, 2), "sublinear_tf": True, "token_pattern": r"(?u)\b\w+\b"},
    "ascii-accents": {"strip_accents": "ascii", "ngram_range": (1, 2)},
    "unicode-accents": {"strip_accents": "unicode", "token_pattern": r"(?u)\b\w+\b"},
    "case-kept-no-norm": {"lowercase": False, "norm": None},
    "l1-binary": {"norm": "l1", "binary": True, "ngram_range": (1, 2)},
    "no-idf-sublinear": {"use_idf": False, "sublinear_tf": True},
    "bigrams-and-trigrams": {"ngram_range": (2, 3)},
    "one-to-three-words": {"ngram_range": (1, 3), "min_df": 1},
    "capturing-group": {"token_pattern": r"(?u)\b(\w+?)(?:s|ed|ing)?\b", "sublinear_tf": True},
    "char-1-3": {"analyzer": "char", "ngram_range": (1, 3)},
    "char-2-4-cased-unicode": {
        "analyzer": "char",
        "ngram_range": (2, 4),
        "lowercase": False,
        "strip_accents": "unicode",
        "sublinear_tf": True,
    },
    "char_wb-2-5": {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True},
    "char_wb-1-2-ascii-l1-binary": {
        "analyzer": "char_wb",
        "ngram_range": (1, 2),
        "strip_accents": "ascii",
        "norm": "l1",
    },
    # Padded words of 3 and 4 characters are shorter than 5: each counts once, whole.
    "char_wb-5-6": {"analyzer": "char_wb", "ngram_range": (5, 6), "norm": None},
}
# Several blocks side by side (training's word+char_wb and word+char), each normalised on its own.
UNION_CONFIGS = {
    "word+char_wb": [
        {"ngram_range": (1, 2), "sublinear_tf": True},
        {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True},
    ],
    "word+char": [
        {"token_pattern": r"(?u)\b\w+\b", "strip_accents": "unicode"},
        {"analyzer": "char", "ngram_range": (1, 3), "strip_accents": "unicode", "norm": "l1"},
    ],
}
BINARY_CONFIGS = ("sklearn-defaults", "unicode-accents", "case-kept-no-norm", "char_wb-2-5", "word+char_wb")


@functools.cache
def corpus() -> tuple[list[str], list[str]]:
    texts, labels = bbc_news(per_class=20)
    extra_texts, extra_labels = zip(*UNUSUAL_TRAINING_TEXTS, strict=True)
    return texts + list(extra_texts), labels + list(extra_labels)


@functools.cache
def held_out() -> list[str]:
    """Articles 21-22 of each class: never seen in training."""
    texts, _ = bbc_news(per_class=22)
    return [text for i, text in enumerate(texts) if i % 22 >= 20]


def awkward_texts() -> list[str]:
    train_texts, _ = corpus()
    return [
        "",
        " ",
        "\t\n \u00a0\u3000",
        "!!! ??? ... --- ;;;",
        "a",
        "a b c I x 1 2",
        "Café RÉSUMÉ naïve FAÇADE",
        "\u03d2 \u03d3 \u03d4 İstanbul ǅemal ﬁnance Straße",
        "日本語のテキスト and 中文文本",
        "emoji 😀 ✓ ☃ only",
        "2004 1,000,000 3.14 £5m $10bn 50%",
        "market " * 500,
        "MaRkEt ShArEs FELL",
        "zero\u200bwidth com\u0301bining e\u0301le\u0300ve",
        "ภาษาไทยไม่มีช่องว่าง",
        "ひらがなとカタカナ東京都",
        "👨\u200d👩\u200d👧 🏳\ufe0f\u200d🌈👍🏽",
        "\u0301\u0300",  # only combining marks: empty once accents are stripped
        "日本",  # empty once stripped to ASCII
        "I",
        "ab",
        "a\nb\tc\rd\x0be\x0cf\x1cg\x85h",
        "a\n\nb\t\tc \t d\u00a0\u00a0e",
        "\u00a0nbsp\u2000\u2001\u2002\u2003\u2009\u200a\u2028\u2029\u202f\u205f\u1680\u3000end",
        "   leading and trailing   ",
        "\n",
        "\t",
        "lone \ud800 surrogate \udfff",
        " ".join(train_texts)[:100_000],
        ("東京都の天気は晴れ。北京市 ภาษาไทย😀\n" * 6000)[:100_000],
        *held_out(),
    ]


@functools.cache
def fitted(config: str, binary: bool, directory_root: str):
    """(vectorizer or union, classifier, served model) for one configuration, trained once per session."""
    texts, labels = corpus()
    if binary:
        pairs = [(t, lab) for t, lab in zip(texts, labels, strict=True) if lab in ("sports", "tech")]
        texts, labels = [t for t, _ in pairs], [lab for _, lab in pairs]
    if config in UNION_CONFIGS:
        featurizer, classifier = train_union(texts, labels, UNION_CONFIGS[config])
    else:
        featurizer, classifier = train(texts, labels, **CONFIGS[config])
    directory = export(featurizer, classifier, Path(directory_root) / f"{config}-{binary}")
    return featurizer, classifier, load_model(directory)


@pytest.fixture(scope="module")
def models_root(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("parity_models"))


# The cases whose character n-grams of the two 100,000-character texts make them the slowest, slowest
# first. The test run hands each case (all its tests, sharing its model and scikit-learn's answers) to
# one worker, in this order (conftest.py), so that no slow case starts last.
SLOWEST_FIRST = [
    ("word+char_wb", False),
    ("char_wb-2-5", False),
    ("word+char_wb", True),
    ("char_wb-2-5", True),
    ("char-2-4-cased-unicode", False),
    ("word+char", False),
    ("char_wb-5-6", False),
    ("char-1-3", False),
    ("bigrams-and-trigrams", False),
    ("one-to-three-words", False),
]
CASES = SLOWEST_FIRST + [
    case
    for case in [(config, False) for config in [*CONFIGS, *UNION_CONFIGS]]
    + [(config, True) for config in BINARY_CONFIGS]
    if case not in SLOWEST_FIRST
]


@functools.cache
def sklearn_rows(config: str, binary: bool, directory_root: str) -> list:
    """scikit-learn's features of each awkward text transformed alone (csr rows, indices sorted),
    computed once per case: two tests compare serving with them."""
    vectorizer, _, _ = fitted(config, binary, directory_root)
    rows = []
    for text in awkward_texts():
        row = vectorizer.transform([text]).tocsr()
        row.sort_indices()
        rows.append(row)
    return rows


@functools.cache
def sklearn_answers(config: str, binary: bool, directory_root: str) -> dict[str, np.ndarray]:
    """scikit-learn's features, probabilities, labels and decision scores for the awkward texts
    transformed as one batch, computed once per case: four tests compare serving with them."""
    vectorizer, classifier, _ = fitted(config, binary, directory_root)
    features = vectorizer.transform(awkward_texts()).tocsr()
    return {
        "features": features,
        "proba": classifier.predict_proba(features),
        "labels": classifier.predict(features),
        "decision": classifier.decision_function(features),
    }


@functools.cache
def served_alone(config: str, binary: bool, directory_root: str) -> dict:
    """Serving's features of each awkward text transformed alone (its transform_batch of one text),
    computed once per case: three tests use them (two compare them with scikit-learn's, one with the
    same texts' rows in a batch)."""
    _, _, model = fitted(config, binary, directory_root)
    featurizer = model.classifier.featurizer
    return {text: featurizer.transform_batch([text]) for text in awkward_texts()}


@functools.cache
def served_batch(config: str, binary: bool, directory_root: str):
    """Serving's transform_batch of batch_texts(), computed once per case: two tests use it (one
    compares it with scikit-learn's, one with the same texts transformed alone)."""
    _, _, model = fitted(config, binary, directory_root)
    return model.classifier.featurizer.transform_batch(batch_texts())


@pytest.mark.parametrize(("config", "binary"), CASES)
def test_features_equal_tfidf_vectorizer_transform(config, binary, models_root):
    alone = served_alone(config, binary, models_root)
    for text, expected in zip(awkward_texts(), sklearn_rows(config, binary, models_root), strict=True):
        indices, weights = alone[text].indices, alone[text].weights
        order = np.argsort(indices)
        np.testing.assert_array_equal(indices[order], expected.indices)
        np.testing.assert_allclose(weights[order], expected.data, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("config", "binary"), CASES)
def test_probabilities_and_labels_equal_the_pipeline(config, binary, models_root):
    _, _, model = fitted(config, binary, models_root)
    texts = awkward_texts()
    expected = sklearn_answers(config, binary, models_root)
    expected_proba, expected_labels = expected["proba"], expected["labels"]
    served = model.classifier.classify(texts, top_k=len(model.classifier.classes))
    for text, proba, label, prediction in zip(texts, expected_proba, expected_labels, served, strict=True):
        actual = np.array([dict(prediction.scores)[c] for c in model.classifier.classes])
        assert np.abs(actual - proba).max() <= 1e-9, repr(text[:60])
        assert prediction.label == label, repr(text[:60])


def vocabulary_names(featurizer) -> dict[int, str]:
    """scikit-learn's name of every feature index, the blocks of a union side by side."""
    blocks = (
        [block for _, block in featurizer.transformer_list]
        if hasattr(featurizer, "transformer_list")
        else [featurizer]
    )
    names, offset = {}, 0
    for block in blocks:
        names |= {offset + index: term for term, index in block.vocabulary_.items()}
        offset += len(block.vocabulary_)
    return names


def sklearn_contributions(row, names: dict[int, str], classifier, class_index: int) -> tuple[list, float]:
    """scikit-learn's own account of a label's score: every non-zero (feature index, term, contribution)
    of the text whose featurizer.transform is `row`, and the intercept. A binary model has one row of
    weights, for the second class; the first class's log-odds are its negation. (The row and the names
    are computed once per text and per model, not once per class: the same values, far less work.)"""
    if classifier.coef_.shape[0] == 1:
        sign = 1.0 if class_index == 1 else -1.0
        weights, intercept = sign * classifier.coef_[0], sign * classifier.intercept_[0]
    else:
        weights, intercept = classifier.coef_[class_index], classifier.intercept_[class_index]
    contributions = row.data * weights[row.indices]
    found = [(int(i), names[int(i)], float(c)) for i, c in zip(row.indices, contributions, strict=True) if c]
    return found, float(intercept)


EXPLAINED_TERMS = 10


@pytest.mark.parametrize(("config", "binary"), CASES)
def test_explanations_add_up_to_the_decision_function_and_list_the_largest_terms(config, binary, models_root):
    """Every class of every awkward text: intercept + all contributions == scikit-learn's decision score
    (for a binary model, the second class's score and its negation), and the listed terms are the
    text's top EXPLAINED_TERMS by |contribution|, largest first, with scikit-learn's names and values."""
    vectorizer, classifier, model = fitted(config, binary, models_root)
    served = model.classifier
    with np.load(Path(models_root) / f"{config}-{binary}" / "model.npz") as arrays:
        coef, intercept = arrays["coef"], arrays["intercept"]
    texts = awkward_texts()
    decision = sklearn_answers(config, binary, models_root)["decision"]
    if binary:
        decision = np.column_stack([-decision, decision])
    explained = served.classify_explained(texts, top_k=1, n_terms=EXPLAINED_TERMS)
    names = vocabulary_names(vectorizer)
    rows, alone = sklearn_rows(config, binary, models_root), served_alone(config, binary, models_root)
    for text, scores, row, (prediction, by_label) in zip(texts, decision, rows, explained, strict=True):
        features = alone[text].indices, alone[text].weights
        for class_index, label in enumerate(served.classes):
            explanation = explain(
                features,
                coef,
                intercept,
                class_index,
                EXPLAINED_TERMS,
                served.featurizer.feature_name,
                served.classes,
            )
            found, expected_intercept = sklearn_contributions(row, names, classifier, class_index)
            largest = sorted(found, key=lambda item: (-abs(item[2]), item[0]))[:EXPLAINED_TERMS]
            assert explanation.label == label
            assert abs(explanation.score - scores[class_index]) <= 1e-9, repr(text[:60])
            assert abs(explanation.intercept - expected_intercept) <= 1e-12
            assert [term for term, _ in explanation.terms] == [term for _, term, _ in largest], repr(
                text[:60]
            )
            listed = np.array([contribution for _, contribution in explanation.terms])
            np.testing.assert_allclose(listed, [c for _, _, c in largest], rtol=0, atol=1e-12)
            if label == prediction.label:
                assert by_label == explanation


def test_the_awkward_texts_exercise_the_settings(models_root):
    """Guards the test itself: accents and case must change features, or the comparisons prove little."""
    plain, _, _ = fitted("sklearn-defaults", False, models_root)
    unicode_accents, _, _ = fitted("unicode-accents", False, models_root)
    case_kept, _, _ = fitted("case-kept-no-norm", False, models_root)
    assert "café" in plain.vocabulary_ and "cafe" in unicode_accents.vocabulary_
    assert "café" not in unicode_accents.vocabulary_
    assert "MARKET" in case_kept.vocabulary_ and "MARKET" not in plain.vocabulary_
    chars, _, _ = fitted("char-1-3", False, models_root)
    assert {"\n", "e\nl", "\t", "\ud800", "\u200d", "ไทย", "ひら"} <= set(chars.vocabulary_)
    cased, _, _ = fitted("char-2-4-cased-unicode", False, models_root)
    assert "MA" in cased.vocabulary_ and "é" not in "".join(cased.vocabulary_)
    long_wb, _, _ = fitted("char_wb-5-6", False, models_root)
    assert {" a ", " of "} <= set(long_wb.vocabulary_)  # short words, counted whole
    union, _, _ = fitted("word+char_wb", False, models_root)
    word_block, char_block = (vectorizer for _, vectorizer in union.transformer_list)
    assert "market" in word_block.vocabulary_ and " mar" in char_block.vocabulary_


@functools.cache
def vocabulary_words() -> list[str]:
    texts, _ = corpus()
    return sorted({word for text in texts[:10] for word in text.split()})[:300]


AWKWARD_CHARACTERS = "\n\t\r\x0b\x0c\x1c\x85\u00a0\u2003\u3000\u200b\u200d\u0301 é日本ไทย😀\ud800"
random_texts = st.lists(
    st.one_of(
        st.sampled_from(vocabulary_words()),
        st.text(max_size=6),
        st.text(st.sampled_from(AWKWARD_CHARACTERS), max_size=6),
        st.text(st.characters(exclude_categories=()), max_size=3),  # surrogates included
    ),
    max_size=40,
).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(text=random_texts)
@pytest.mark.parametrize(
    ("config", "binary"),  # the ids of CASES, so that each runs beside its case's other tests
    [
        (config, False)
        for config in (
            "contract-example",
            "unicode-accents",
            "ascii-accents",
            "char-1-3",
            "char_wb-2-5",
            "char_wb-5-6",
            "word+char",
        )
    ],
)
def test_random_texts_match_the_pipeline(config, binary, text, models_root):
    vectorizer, classifier, model = fitted(config, binary, models_root)
    expected = classifier.predict_proba(vectorizer.transform([text]))[0]
    actual = predict_proba(model.classifier, text)
    assert np.abs(actual - expected).max() <= 1e-9
    assert (
        model.classifier.classify([text], 1)[0].label == classifier.predict(vectorizer.transform([text]))[0]
    )


def batch_texts() -> list[str]:
    """The awkward texts (empty ones, texts empty once preprocessed, one of 100,000 characters), each
    twice, the second copies in reverse order, so that a text meets different neighbours in the batch."""
    texts = awkward_texts()
    return texts + texts[::-1]


@pytest.mark.parametrize(("config", "binary"), CASES)
def test_batch_features_equal_tfidf_vectorizer_transform(config, binary, models_root):
    texts = batch_texts()
    # scikit-learn transforms each document on its own: its batch of the awkward texts and then the same
    # texts reversed is its batch of the awkward texts, rows in that order (computed once per case).
    order = list(range(len(awkward_texts())))
    expected = sklearn_answers(config, binary, models_root)["features"][order + order[::-1]]
    expected.sort_indices()
    rows = served_batch(config, binary, models_root)
    np.testing.assert_array_equal(rows.indptr, expected.indptr)
    for row in range(len(texts)):
        start, end = rows.indptr[row], rows.indptr[row + 1]
        order = np.argsort(rows.indices[start:end])
        np.testing.assert_array_equal(rows.indices[start:end][order], expected.indices[start:end])
        np.testing.assert_allclose(
            rows.weights[start:end][order], expected.data[start:end], rtol=0, atol=1e-12
        )


@pytest.mark.parametrize(("config", "binary"), CASES)
def test_a_batch_answers_exactly_as_its_texts_one_by_one(config, binary, models_root):
    _, _, model = fitted(config, binary, models_root)
    classifier = model.classifier
    texts = batch_texts()
    # A text's answer on its own does not depend on where it sits in the batch: each distinct text is
    # classified (and featurized) alone once, and every copy of it in the batch is compared with that.
    distinct = list(dict.fromkeys(texts))
    for top_k in (1, 3, len(classifier.classes) + 5):
        batch = classifier.classify(texts, top_k)
        alone = {text: classifier.classify([text], top_k)[0] for text in distinct}
        assert batch == [alone[text] for text in texts]  # labels, order and probabilities, to the last bit
    rows = served_batch(config, binary, models_root)
    scores = classifier.scores(rows)
    alone = served_alone(config, binary, models_root)
    for row, text in enumerate(texts):
        start, end = rows.indptr[row], rows.indptr[row + 1]
        assert alone[text].indices.tolist() == rows.indices[start:end].tolist()
        assert alone[text].weights.tolist() == rows.weights[start:end].tolist()
        assert classifier.scores(alone[text])[0].tolist() == scores[row].tolist()


def sklearn_coverage(featurizer, texts: list[str]) -> list[float]:
    """Each text's share of tokens the vocabulary knows, from scikit-learn's own analysis: for the word
    block (else the first block), its tokens found among the words of its terms (its character n-grams
    found among its terms); 0 for a text without any. (The known units are collected once for all the
    texts: the same values, far less work.)"""
    blocks = (
        [block for _, block in featurizer.transformer_list]
        if hasattr(featurizer, "transformer_list")
        else [featurizer]
    )
    block = next((b for b in blocks if b.analyzer == "word"), blocks[0])
    if block.analyzer == "word":
        preprocess, tokenize = block.build_preprocessor(), block.build_tokenizer()

        def analyze(text: str) -> list[str]:
            return tokenize(preprocess(text))

        known = {word for term in block.vocabulary_ for word in term.split(" ")}
    else:
        analyze, known = block.build_analyzer(), block.vocabulary_
    coverage = []
    for text in texts:
        units = analyze(text)
        coverage.append(sum(unit in known for unit in units) / len(units) if units else 0.0)
    return coverage


@pytest.mark.parametrize(("config", "binary"), CASES)
def test_quality_figures_equal_scikit_learns_probabilities_and_analysis(config, binary, models_root):
    vectorizer, _, model = fitted(config, binary, models_root)
    texts = awkward_texts()
    expected_proba = sklearn_answers(config, binary, models_root)["proba"]
    coverage = sklearn_coverage(vectorizer, texts)
    for top_k in (1, 3):
        served = model.classifier.classify(texts, top_k=top_k)
        for text, proba, known, prediction in zip(texts, expected_proba, coverage, served, strict=True):
            best, second = np.sort(proba)[::-1][:2]
            quality = prediction.quality
            assert quality.probability == pytest.approx(best, abs=1e-9), repr(text[:60])
            assert quality.margin == pytest.approx(best - second, abs=1e-9), repr(text[:60])
            assert quality.coverage == pytest.approx(known, abs=1e-12)
    explained = model.classifier.classify_explained(texts, 3, 3)
    assert [prediction.quality for prediction, _ in explained] == [p.quality for p in served]
