"""Each contract fact is defined once (serving/app/contracts); these tests tie the code on either side of
it to that one definition: what serving implements, what training writes, what the registries serve."""

import numpy as np
import pytest

from serving.app.contracts import linear_tfidf
from serving.app.families import linear_tfidf as serving_family
from serving.app.families.registry import FAMILIES
from serving.app.linear.links import LINK_FUNCTIONS
from serving.app.tfidf.featurizer import FeaturizerSettings
from serving.app.tfidf.text_analysis import ACCENT_FUNCTIONS
from training.families import linear_estimators
from training.families import linear_tfidf as training_family
from training.families import registry as training_registry
from training.params import ESTIMATORS, load_params, validate_params
from training.pipeline import build_pipeline


def test_serving_implements_exactly_the_settings_the_contract_allows():
    assert set(LINK_FUNCTIONS) == set(linear_tfidf.LINKS)
    assert set(ACCENT_FUNCTIONS) == set(linear_tfidf.STRIP_ACCENTS)
    assert FeaturizerSettings._fields == linear_tfidf.BLOCK_SETTINGS
    assert (*linear_tfidf.BLOCK_SETTINGS, "n_features") == linear_tfidf.BLOCK_KEYS


def test_training_and_serving_register_the_same_kinds_under_the_contracts_name():
    assert {family.KIND for family in training_registry.FAMILIES} == set(FAMILIES)
    assert FAMILIES[linear_tfidf.KIND] is serving_family
    assert training_family.KIND == serving_family.KIND == linear_tfidf.KIND
    # Every link training writes is one serving implements (and the other way round), with its parameters.
    built = {
        linear_estimators.link(build_pipeline(estimator_params(estimator)).named_steps["clf"])
        for estimator in ESTIMATORS
    }
    assert built == set(linear_tfidf.LINKS) == set(linear_tfidf.LINK_PARAMETERS)


def estimator_params(estimator: str) -> dict:
    params = load_params()
    params["featurize"]["analyzer"] = "word"
    params["train"]["estimator"] = estimator
    return validate_params(params)


@pytest.mark.parametrize(("ids", "n_words", "number"), [([7], 10, 7), ([1, 2], 10, 12), ([3, 0, 9], 10, 309)])
def test_an_ngram_number_is_its_word_ids_as_digits(ids, n_words, number):
    """Base W, most significant word first: the same number for Python ints and for numpy arrays of ids
    (training numbers one term at a time, serving a whole batch's n-grams at once)."""
    assert linear_tfidf.ngram_number(ids, n_words) == number
    columns = [np.array([word_id, 0], dtype=np.int64) for word_id in ids]
    assert linear_tfidf.ngram_number(columns, n_words).tolist() == [number, 0]


def test_the_largest_numbers_stay_below_the_limit_the_exporter_checks():
    n_words, high = 3_000_000, 2
    assert n_words**high < linear_tfidf.NUMBER_LIMIT
    largest = linear_tfidf.ngram_number([np.array([n_words - 1], dtype=np.int64)] * high, n_words)
    assert int(largest[0]) == n_words**high - 1
