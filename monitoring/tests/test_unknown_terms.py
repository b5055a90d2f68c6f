"""Unknown terms are what the served model's coverage counts as unknown: for a word model its words, for
a model of character blocks only its first block's n-grams."""

from __future__ import annotations

import pytest

from monitoring.captures import CapturedText
from monitoring.unknown_terms import unknown_terms
from serving.app.artifact.loader import load_model
from serving.tests.artifact_export import bbc_news, export, train, train_union

TEXTS = [
    "The striker scored twice before half time",
    "Zorblaxian quuxifiers flummoxed the zorblaxian markets",
    "Ünïcode accents and UPPER case, punctuation!",
    "",
]
MODELS = {
    "word": lambda texts, labels: train(texts, labels, ngram_range=(1, 2), min_df=2),
    "char_wb": lambda texts, labels: train_union(
        texts, labels, [{"analyzer": "char_wb", "ngram_range": (2, 4)}]
    ),
    "char": lambda texts, labels: train_union(
        texts, labels, [{"analyzer": "char", "ngram_range": (3, 3)}, {"analyzer": "word"}]
    ),
}


def captured(text: str) -> CapturedText:
    return CapturedText("", None, "v", text, "x", {}, 0.0, 0.0, 0.0)


@pytest.fixture(scope="module", params=sorted(MODELS))
def model(request, tmp_path_factory):
    texts, labels = bbc_news(per_class=6)
    return request.param, load_model(
        export(*MODELS[request.param](texts, labels), tmp_path_factory.mktemp("m"))
    )


def test_the_unknown_share_is_one_minus_the_coverage_served(model):
    analyzer, served = model
    expected_analyzer = "word" if analyzer == "char" else analyzer  # a union with a word block: its words
    for text in TEXTS:
        found = unknown_terms(served, [captured(text)], top=1000)
        coverage = served.classifier.classify([text], 1)[0].quality.coverage
        assert found.analyzer == expected_analyzer
        assert found.unknown == sum(count for _, count in found.most_frequent)
        share = found.unknown / found.units if found.units else 1.0
        assert share == pytest.approx(1.0 - coverage, abs=1e-9), text


def test_terms_the_model_never_saw_are_listed_most_frequent_first(model):
    analyzer, served = model
    texts = [captured(TEXTS[1]), captured("zorblaxian again")]
    found = unknown_terms(served, texts, top=1000)
    if analyzer == "char_wb":  # its units are the n-grams of the padded words
        assert ("zorb", 3) in found.most_frequent and (" zor", 3) in found.most_frequent
    else:
        assert found.most_frequent[0] == ("zorblaxian", 3)
