"""The pipeline takes every hyperparameter from params and refuses what serving cannot reproduce."""

import random
import re

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from training.params import ParamsError, validate_params
from training.pipeline import MULTINOMIAL_SOLVERS, UnservableModelError, build_pipeline, check_servable
from training.tests.corpus import SHARED_WORDS, TOPIC_WORDS, make_corpus, repo_params


def _params(**sections):
    """The repository's params for English texts (`auto` resolved to words, as for the corpus used here)."""
    raw = repo_params()
    raw["featurize"]["analyzer"] = "word"
    for section, values in sections.items():
        raw[section] |= values
    return validate_params(raw)


def test_every_hyperparameter_comes_from_params():
    params = _params(
        data={"seed": 7},
        featurize={
            "ngram_range": [1, 3],
            "min_df": 3,
            "max_df": 0.9,
            "sublinear_tf": False,
            "lowercase": False,
            "strip_accents": "unicode",
            "token_pattern": r"\w\w+",
        },
        train={"C": 3.5, "max_iter": 77, "tol": 0.01, "solver": "saga", "class_weight": "balanced"},
    )
    pipeline = build_pipeline(params)
    assert list(pipeline.named_steps) == ["features", "clf"]
    ((name, block),) = pipeline.named_steps["features"].transformer_list
    vectorizer = block.get_params()
    assert (name, vectorizer["analyzer"], vectorizer["ngram_range"]) == ("word", "word", (1, 3))
    assert (vectorizer["min_df"], vectorizer["max_df"]) == (3, 0.9)
    assert (vectorizer["sublinear_tf"], vectorizer["lowercase"]) == (False, False)
    assert (vectorizer["strip_accents"], vectorizer["token_pattern"]) == ("unicode", r"\w\w+")
    assert vectorizer["dtype"] is np.float64
    classifier = pipeline.named_steps["clf"].get_params()
    assert (classifier["C"], classifier["max_iter"], classifier["tol"]) == (3.5, 77, 0.01)
    assert (classifier["solver"], classifier["random_state"]) == ("saga", 7)
    assert classifier["class_weight"] == "balanced"
    assert build_pipeline(_params()).named_steps["clf"].get_params()["class_weight"] is None


@pytest.mark.parametrize("analyzer", ["word+char_wb", "word+char"])
def test_a_union_has_a_word_block_then_a_character_block(analyzer):
    """Both blocks share the document-frequency, tf and preprocessing settings; the character block has
    its own n-gram range and no token pattern (scikit-learn ignores it there)."""
    shared = {"min_df": 3, "max_df": 0.9, "sublinear_tf": False, "lowercase": False, "strip_accents": "ascii"}
    featurize = {"analyzer": analyzer, "ngram_range": [1, 3], "char_ngram_range": [3, 4], **shared}
    pipeline = build_pipeline(_params(featurize=featurize))
    blocks = pipeline.named_steps["features"].transformer_list
    char = analyzer.split("+")[1]
    assert [name for name, _ in blocks] == ["word", char]
    word, chars = (block.get_params() for _, block in blocks)
    assert (word["analyzer"], word["ngram_range"], word["token_pattern"]) == (
        "word",
        (1, 3),
        r"(?u)\w++(?:[.@]\w++)*+",
    )
    assert (chars["analyzer"], chars["ngram_range"], chars["token_pattern"]) == (char, (3, 4), None)
    for block in (word, chars):
        assert {key: block[key] for key in shared} == shared
        assert block["dtype"] is np.float64


def test_the_possessive_default_token_pattern_finds_the_usual_tokens():
    """params.yaml's pattern is '(?u)\\w+(?:[.@]\\w+)*' with possessive quantifiers: [.@] never matches
    a word character, so giving characters back could never let a match grow, and the tokens agree."""
    possessive = re.compile(repo_params()["featurize"]["token_pattern"])
    usual = re.compile(r"(?u)\w+(?:[.@]\w+)*")
    texts, _ = make_corpus(per_label=20)
    awkward = ["jo@cs.cmu.edu.", "v1.3.", "a..b", "@x", "x@", "x@@y", "a.b@c.d e", "naïve.café@ünï.de", "..."]
    for text in [*texts, *awkward, " ".join(awkward)]:
        assert possessive.findall(text) == usual.findall(text), text


def test_built_pipeline_fits_and_predicts():
    texts, labels = make_corpus(per_label=10)
    pipeline = build_pipeline(_params()).fit(texts, labels)
    assert list(pipeline.predict(["the telescope saw a comet and a star"])) == ["astronomy"]


def test_balanced_class_weight_moves_predictions_towards_the_small_label():
    """40 cooking documents and 4 sailing ones; probes mix two sailing words with one cooking word.
    Weighing both labels equally must raise every probe's sailing probability and win it more probes."""
    cooking, cooking_labels = make_corpus(per_label=40, labels=["cooking"], seed=1)
    sailing, sailing_labels = make_corpus(per_label=4, labels=["sailing"], seed=2)
    texts, labels = cooking + sailing, cooking_labels + sailing_labels
    rng = random.Random(3)
    probes = [
        " ".join(rng.choices(SHARED_WORDS, k=6) + rng.choices(TOPIC_WORDS["sailing"], k=2))
        + " "
        + rng.choice(TOPIC_WORDS["cooking"])
        for _ in range(20)
    ]
    outcome = {}
    for class_weight in (None, "balanced"):
        pipeline = build_pipeline(_params(train={"class_weight": class_weight})).fit(texts, labels)
        sailing_column = list(pipeline.classes_).index("sailing")
        probability = pipeline.predict_proba(probes)[:, sailing_column]
        outcome[class_weight] = (probability, list(pipeline.predict(probes)).count("sailing"))
    (unweighted, unweighted_wins), (balanced, balanced_wins) = outcome[None], outcome["balanced"]
    assert (balanced > unweighted).all()
    assert balanced_wins > unweighted_wins


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("features__word__analyzer", str.split, "block 'word': analyzer="),
        ("features__word__analyzer", "chars", "analyzer='chars'"),
        ("features__word__tokenizer", str.split, "tokenizer="),
        ("features__word__preprocessor", str.upper, "preprocessor="),
        ("features__word__stop_words", "english", "stop_words='english'"),
        ("features__word__dtype", np.float32, "dtype="),
        ("features__transformer_weights", {"word": 2.0}, "transformer_weights={'word': 2.0} (must be None)"),
        ("clf__solver", "liblinear", "solver='liblinear'"),
        ("features__word__token_pattern", r"[^,]+", "can match a space"),
        ("features__word__token_pattern", r"\w+(?: \w+)?", "can match a space"),
    ],
)
def test_settings_serving_cannot_reproduce_are_refused(setting, value, message):
    pipeline = build_pipeline(_params())
    pipeline.set_params(**{setting: value})
    with pytest.raises(UnservableModelError, match="serving cannot reproduce") as error:
        check_servable(pipeline)
    assert message in str(error.value)


def test_two_word_blocks_are_refused():
    """The artifact holds one word block's words (serving/MODEL_ARTIFACT.md)."""
    pipeline = build_pipeline(_params())
    union = pipeline.named_steps["features"]
    union.transformer_list.append(("word2", TfidfVectorizer()))
    with pytest.raises(UnservableModelError, match="2 word blocks"):
        check_servable(pipeline)


def test_other_step_shapes_are_refused():
    pipeline = build_pipeline(_params())
    pipeline.steps[1] = ("clf", TfidfVectorizer())
    with pytest.raises(UnservableModelError, match="expected a FeatureUnion of TfidfVectorizers followed by"):
        check_servable(pipeline)
    pipeline.steps[:] = [("features", TfidfVectorizer()), ("clf", LogisticRegression())]
    with pytest.raises(UnservableModelError, match="expected a FeatureUnion"):
        check_servable(pipeline)
    pipeline.steps[:] = [
        ("tfidf", FeatureUnion([("word", TfidfVectorizer())])),
        ("clf", LogisticRegression()),
    ]
    with pytest.raises(UnservableModelError, match="expected steps"):
        check_servable(pipeline)
    pipeline.steps[:] = [
        ("features", FeatureUnion([("w", CountVectorizer())])),
        ("clf", LogisticRegression()),
    ]
    with pytest.raises(UnservableModelError, match="block 'w' is a CountVectorizer"):
        check_servable(pipeline)
    pipeline.steps[:] = [("features", FeatureUnion([])), ("clf", LogisticRegression())]
    with pytest.raises(UnservableModelError, match="at least one feature block"):
        check_servable(pipeline)


def test_params_accept_exactly_the_multinomial_solvers():
    """Of every solver scikit-learn offers, params.yaml accepts exactly MULTINOMIAL_SOLVERS (one list, in
    training.params, which check_servable also reads): a new scikit-learn solver is not let in unseen."""
    (options,) = [c for c in LogisticRegression._parameter_constraints["solver"] if hasattr(c, "options")]
    accepted = set()
    for solver in options.options:
        try:
            _params(train={"solver": solver})
        except ParamsError:
            continue
        accepted.add(solver)
    assert accepted == set(MULTINOMIAL_SOLVERS)
    assert set(MULTINOMIAL_SOLVERS) < set(options.options)


def test_auto_must_be_resolved_from_training_texts_before_building():
    with pytest.raises(ValueError, match="resolve it from the training texts"):
        build_pipeline(_params(featurize={"analyzer": "auto"}))
