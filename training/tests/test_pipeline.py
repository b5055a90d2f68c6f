"""The pipeline takes every hyperparameter from params and refuses what serving cannot reproduce."""

import random
import re

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Perceptron, SGDClassifier
from sklearn.multiclass import OneVsRestClassifier
from sklearn.naive_bayes import BernoulliNB, ComplementNB, MultinomialNB
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from serving.app.contracts.linear_tfidf import (
    LINKS,
    MODIFIED_HUBER,
    OVR_SIGMOID,
    SOFTMAX,
    TEMPERATURE_SOFTMAX,
)
from training import params as params_module
from training.families import linear_estimators
from training.families.linear_estimators import ScoreAverage
from training.params import ParamsError, validate_params
from training.pipeline import (
    CALIBRATION_FOLDS,
    ESTIMATORS,
    MULTINOMIAL_SOLVERS,
    UnservableModelError,
    build_pipeline,
    check_servable,
    fit_classifier,
)
from training.tests.corpus import LOGISTIC_REGRESSION, SHARED_WORDS, TOPIC_WORDS, make_corpus, repo_params


def _params(**sections):
    """The repository's params for English texts (`auto` resolved to words, as for the corpus used here)."""
    raw = repo_params()
    raw["featurize"]["analyzer"] = "word"
    raw["train"] |= LOGISTIC_REGRESSION
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
    with pytest.raises(UnservableModelError, match=r"a TfidfVectorizer \(serving reproduces: Logistic"):
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


# What each train.estimator builds: the classifier, its settings from params, the link serving applies.
BUILT = {
    "logistic_regression": (LogisticRegression, SOFTMAX),
    "logistic_regression_ovr": (OneVsRestClassifier, OVR_SIGMOID),
    "sgd_log_loss": (SGDClassifier, OVR_SIGMOID),
    "sgd_modified_huber": (SGDClassifier, MODIFIED_HUBER),
    "linear_svc": (CalibratedClassifierCV, TEMPERATURE_SOFTMAX),
    "ridge": (CalibratedClassifierCV, TEMPERATURE_SOFTMAX),
    "complement_nb": (ComplementNB, SOFTMAX),
    "multinomial_nb": (MultinomialNB, SOFTMAX),
    "linear_svc+complement_nb": (CalibratedClassifierCV, TEMPERATURE_SOFTMAX),
}


def test_params_name_exactly_the_estimators_the_pipeline_builds():
    assert tuple(ESTIMATORS) == params_module.ESTIMATORS
    assert set(BUILT) == set(ESTIMATORS)


@pytest.mark.parametrize("estimator", list(BUILT))
def test_each_estimator_is_built_from_params_and_serves_with_its_link(estimator):
    train = {"estimator": estimator, "C": 3.5, "max_iter": 77, "tol": 0.01, "alpha": 0.25}
    classifier = build_pipeline(_params(data={"seed": 7}, train=train)).named_steps["clf"]
    kind, link = BUILT[estimator]
    assert type(classifier) is kind
    assert linear_estimators.link(classifier) == link and link in LINKS
    inner = getattr(classifier, "estimator", classifier)
    for member in getattr(inner, "estimators", [inner]):  # a ScoreAverage's members each take theirs
        settings = member.get_params()
        if isinstance(member, (ComplementNB, MultinomialNB)) or estimator == "ridge":
            assert settings["alpha"] == 0.25
        else:
            assert (settings["max_iter"], settings["tol"], settings["random_state"]) == (77, 0.01, 7)
            assert settings.get("C", 3.5) == 3.5 and settings.get("alpha", 0.25) == 0.25
    if kind is CalibratedClassifierCV:
        assert (classifier.method, classifier.ensemble) == ("temperature", False)
        assert (classifier.cv.n_splits, classifier.cv.random_state) == (CALIBRATION_FOLDS, 7)


def test_a_null_alpha_leaves_scikit_learns_default():
    for estimator, default in (("sgd_log_loss", 1e-4), ("ridge", 1.0), ("multinomial_nb", 1.0)):
        classifier = build_pipeline(_params(train={"estimator": estimator, "alpha": None})).named_steps["clf"]
        assert getattr(classifier, "estimator", classifier).alpha == default


@pytest.mark.parametrize(
    ("classifier", "message"),
    [
        (SGDClassifier(loss="hinge"), "SGDClassifier loss='hinge' has no probabilities"),
        (BernoulliNB(), "a BernoulliNB (serving reproduces:"),
        (Perceptron(), "a Perceptron (serving reproduces:"),
        (OneVsRestClassifier(LinearSVC()), "OneVsRestClassifier of a LinearSVC (serving reproduces:"),
        (CalibratedClassifierCV(LinearSVC(), method="isotonic", ensemble=False), "method='isotonic'"),
        (CalibratedClassifierCV(LinearSVC(), method="temperature"), "ensemble='auto' (must be False"),
        (CalibratedClassifierCV(MultinomialNB(), method="temperature", ensemble=False), "a MultinomialNB"),
        (ScoreAverage([LinearSVC(), ComplementNB()]), "a ScoreAverage (serving reproduces:"),
        (
            CalibratedClassifierCV(
                ScoreAverage([LinearSVC(), Perceptron()]), method="temperature", ensemble=False
            ),
            "ScoreAverage of a Perceptron (serving reproduces:",
        ),
    ],
)
def test_classifiers_serving_cannot_reproduce_are_refused_naming_what_serves(classifier, message):
    pipeline = build_pipeline(_params())
    pipeline.steps[1] = ("clf", classifier)
    with pytest.raises(UnservableModelError, match="serving cannot reproduce") as error:
        check_servable(pipeline)
    assert message in str(error.value)
    if "serving reproduces:" in message:
        assert all(served in str(error.value) for served in linear_estimators.SERVED)


def test_a_temperatures_folds_shrink_to_the_smallest_label_and_need_two_documents():
    texts, labels = make_corpus(per_label=10)
    texts, labels = texts[:23], labels[:23]  # 10 cooking, 10 sailing, 3 astronomy
    pipeline = build_pipeline(_params(train={"estimator": "ridge"}))
    features = pipeline.named_steps["features"].fit_transform(texts)
    fit_classifier(pipeline.named_steps["clf"], features, labels)
    assert pipeline.named_steps["clf"].cv.n_splits == 3
    with pytest.raises(ParamsError, match="every label needs at least 2 training documents"):
        fit_classifier(pipeline.named_steps["clf"], features[:21], labels[:21])
