"""`featurize.analyzer: auto`: the analyzer that cross-validates best on the training split, by a margin."""

from __future__ import annotations

import json
import random

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import training.analyzer_choice as choice_module
from serving.tests.artifact_export import bbc_news
from training.analyzer_choice import CANDIDATES, MARGIN, _pick, choose_analyzer, resolve_analyzer
from training.dataset import Dataset
from training.fit import fit_pipeline
from training.params import validate_params
from training.stages.handoff import ANALYZER_CHOICE_NAME
from training.stages.train import resolve_auto_analyzer
from training.tests.corpus import repo_params

CHINESE = ["这本书写得很好，我很喜欢", "质量太差了，再也不买", "物流很快，包装也不错"]  # noqa: RUF001


def part_numbers(per_label: int, n_labels: int = 6, seed: int = 0) -> tuple[list[str], list[str]]:
    """One token per text, like part numbers or product codes: each label's codes are built from its own
    syllables (with some shared by all labels) and a serial number, so almost every code is unseen, and
    only the characters carry the label."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    shared = ["".join(rng.choice(letters) for _ in range(3)) for _ in range(6)]
    texts, labels = [], []
    for label in range(n_labels):
        own = ["".join(rng.choice(letters) for _ in range(3)) for _ in range(6)]
        for _ in range(per_label):
            syllables = [rng.choice(own if rng.random() < 0.7 else shared) for _ in range(rng.randint(2, 3))]
            texts.append("".join(syllables) + f"-{rng.randint(0, 9999):04d}")
            labels.append(f"family-{label}")
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [labels[i] for i in order]


def _params(analyzer: str = "auto", **featurize) -> dict:
    raw = repo_params()
    raw["featurize"] |= {"analyzer": analyzer, **featurize}
    return validate_params(raw)


def _accuracy(model, texts: list[str], labels: list[str]) -> float:
    return sum(p == y for p, y in zip(model.predict(texts), labels, strict=True)) / len(labels)


def test_short_single_token_texts_get_characters_and_reach_the_character_baseline():
    texts, labels = part_numbers(per_label=400)
    split = len(texts) * 4 // 5
    train_texts, train_labels = texts[:split], labels[:split]
    test_texts, test_labels = texts[split:], labels[split:]
    assert len(set(train_texts)) == len(train_texts), "every code unseen: words cannot generalise"

    params = _params()
    choice = choose_analyzer(train_texts, train_labels, params["featurize"], params["data"]["seed"])
    assert choice.analyzer != "word", choice.describe()
    assert choice.scores["char_wb"] > choice.scores["word"] + MARGIN

    auto_model = fit_pipeline(params, train_texts, train_labels)
    baseline = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        LogisticRegression(max_iter=1000),
    ).fit(train_texts, train_labels)
    baseline_accuracy = _accuracy(baseline, test_texts, test_labels)
    assert baseline_accuracy > 0.8  # the corpus is learnable from characters
    assert _accuracy(auto_model, test_texts, test_labels) >= baseline_accuracy - 0.015


def test_long_news_articles_keep_words_the_cheapest():
    texts, labels = bbc_news(per_class=60)
    params = _params()
    choice = choose_analyzer(texts, labels, params["featurize"], params["data"]["seed"])
    assert choice.analyzer == "word", choice.describe()
    assert set(choice.scores) == set(CANDIDATES)
    assert "no costlier analyzer beats it" in choice.describe()


def test_the_choice_is_reproducible_and_reports_its_scores():
    texts, labels = part_numbers(per_label=60)
    params = _params()
    first = choose_analyzer(texts, labels, params["featurize"], seed=7)
    second = choose_analyzer(texts, labels, params["featurize"], seed=7)
    assert first.summary() == second.summary()
    summary = first.summary()
    assert summary["analyzer"] == first.analyzer and summary["sample_texts"] == len(texts)
    assert all(0.0 <= score <= 1.0 for score in summary["cv_accuracy"].values())
    assert "seconds" not in json.dumps(summary)  # timings differ between runs: only the log has them


def test_only_a_capped_sample_is_measured(monkeypatch):
    texts, labels = part_numbers(per_label=60)
    monkeypatch.setattr(choice_module, "SAMPLE_TEXTS", 90)
    params = _params()
    assert choose_analyzer(texts, labels, params["featurize"], seed=1).sample_size == 90


def test_too_few_texts_to_measure_mean_words_and_say_so():
    params = _params()
    choice = choose_analyzer(CHINESE, ["a", "b", "a"], params["featurize"], seed=1)
    assert choice.analyzer == "word" and choice.scores == {}
    assert "too few texts per label" in choice.describe()


def test_a_corpus_too_large_for_character_ngrams_keeps_words_without_measuring(monkeypatch):
    """Short single-token texts want characters, but past the character budget counting their character
    n-grams would not fit training's memory: words, and the reason."""
    texts, labels = part_numbers(per_label=60)
    params = _params()
    assert choose_analyzer(texts, labels, params["featurize"], seed=1).analyzer != "word"
    monkeypatch.setattr(choice_module, "MAX_CHARACTERS_FOR_CHARACTER_NGRAMS", sum(map(len, texts)) - 1)
    choice = choose_analyzer(texts, labels, params["featurize"], seed=1)
    assert choice.analyzer == "word" and choice.scores == {}
    assert "within which character n-grams fit training's memory" in choice.describe()


def test_a_block_pruned_to_nothing_scores_zero_instead_of_failing():
    texts, labels = part_numbers(per_label=20)
    params = _params(min_df=0.9)  # no term is in 90 % of the texts
    choice = choose_analyzer(texts, labels, params["featurize"], seed=1)
    assert choice.scores == dict.fromkeys(CANDIDATES, 0.0) and choice.analyzer == "word"


@pytest.mark.parametrize(
    ("scores", "chosen"),
    [
        ({"word": 0.80, "char_wb": 0.80 + MARGIN, "word+char_wb": 0.80 + MARGIN}, "word"),
        ({"word": 0.80, "char_wb": 0.81 + MARGIN, "word+char_wb": 0.815 + MARGIN}, "char_wb"),
        ({"word": 0.80, "char_wb": 0.79, "word+char_wb": 0.81 + MARGIN}, "word+char_wb"),
        ({"word": 0.50, "char_wb": 0.90, "word+char_wb": 0.90 + MARGIN}, "char_wb"),
    ],
)
def test_a_costlier_analyzer_must_beat_every_cheaper_one_by_the_margin(scores, chosen):
    assert _pick(scores)[0] == chosen


def test_a_fixed_analyzer_is_not_measured(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("measured although the analyzer is fixed")

    monkeypatch.setattr(choice_module, "choose_analyzer", fail)
    params = _params("word+char_wb")
    assert resolve_analyzer(params, CHINESE, ["a", "b", "a"]) == params


def test_resolving_auto_changes_the_analyzer_only():
    texts, labels = part_numbers(per_label=40)
    resolved = resolve_analyzer(_params(), texts, labels)
    assert resolved["featurize"]["analyzer"] in CANDIDATES
    rest = {k: v for k, v in resolved["featurize"].items() if k != "analyzer"}
    assert rest == {k: v for k, v in _params()["featurize"].items() if k != "analyzer"}


def _dataset(texts: list[str], labels: list[str]) -> Dataset:
    return Dataset("generated", texts, labels, texts[:10], labels[:10])


def test_the_train_stage_records_the_choice_and_its_scores(tmp_path):
    texts, labels = part_numbers(per_label=40)
    resolved = resolve_auto_analyzer(_params(), _dataset(texts, labels), tmp_path)
    record = json.loads((tmp_path / ANALYZER_CHOICE_NAME).read_text(encoding="utf-8"))
    assert record["chosen_by"] == "auto"
    assert record["analyzer"] == resolved["featurize"]["analyzer"]
    assert set(record["cv_accuracy"]) == set(CANDIDATES)


def test_the_train_stage_records_a_fixed_analyzer_as_the_params_choice(tmp_path):
    texts, labels = part_numbers(per_label=10)
    resolve_auto_analyzer(_params("char_wb"), _dataset(texts, labels), tmp_path)
    record = json.loads((tmp_path / ANALYZER_CHOICE_NAME).read_text(encoding="utf-8"))
    assert record == {"analyzer": "char_wb", "chosen_by": "params.yaml"}
