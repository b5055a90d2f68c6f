"""The data checks training prints and records: each check on small datasets built to trip it, or not."""

import json

import pytest

from training.data_checks import (
    IMBALANCE_WARNING_RATIO,
    MIN_LABEL_DOCUMENTS,
    check_dataset,
    findings,
    normalised,
    printed_lines,
    text_digest,
)
from training.dataset import Dataset


def _dataset(train: list[tuple[str, str]], test: list[tuple[str, str]], **extra) -> Dataset:
    """A Dataset from (text, label) pairs; every label gets 10 filler training documents unless told."""
    train_texts, train_labels = [text for text, _ in train], [label for _, label in train]
    test_texts, test_labels = [text for text, _ in test], [label for _, label in test]
    return Dataset("generated", train_texts, train_labels, test_texts, test_labels, **extra)


def _filler(label: str, n: int) -> list[tuple[str, str]]:
    return [(f"{label} document number {i}", label) for i in range(n)]


BALANCED_TRAIN = _filler("a", 10) + _filler("b", 10)
TEST = [("a fresh test text", "a"), ("b fresh test text", "b"), ("another new one", "a")]


def _finding(checks, index, class_weight=None):
    return findings(checks.figures, class_weight)[index]


# --- texts in both splits -----------------------------------------------------------------------------------


def test_normalising_folds_case_and_every_run_of_unicode_whitespace():
    assert normalised("  Hello\t\u00a0World \n\u2003again\r\n") == "hello world again"
    assert normalised("STRASSE") == normalised("straße")  # casefold, not lower
    assert text_digest("Hello  World") == text_digest("hello world\n")
    assert text_digest("hello world") != text_digest("hello world!")
    assert text_digest("helloworld") != text_digest("hello world")


def test_test_texts_also_in_training_are_counted_with_whitespace_and_case_variants():
    train = [("The Quick brown fox", "a"), ("Jumps over\n\nthe lazy dog", "b"), *BALANCED_TRAIN]
    test = [
        ("the quick  BROWN fox\n", "a"),  # a copy
        ("  jumps over the lazy dog", "b"),  # a copy
        ("the quick brown fox.", "a"),  # near miss: punctuation
        ("the quick brown fo x", "a"),  # near miss: a space inside a word
        ("the quick brown", "a"),  # near miss: a prefix
        *TEST,
    ]
    checks = check_dataset(_dataset(train, test))
    assert checks.figures["train_test_duplicates"] == 2
    assert checks.figures["train_test_duplicate_share"] == round(2 / 8, 4)
    assert checks.figures["train_test_label_conflicts"] == 0
    assert checks.examples == ['a: "the quick BROWN fox"', 'b: "jumps over the lazy dog"']
    finding = _finding(checks, 0)
    assert finding.warning
    assert finding.text.startswith("2 test texts (25.00 % of the test split) also appear in training:")
    assert "with another label" not in finding.text


def test_every_test_copy_counts_and_a_copy_under_another_label_is_a_conflict():
    train = [("shared text", "a"), ("ambiguous", "a"), ("ambiguous", "b"), *BALANCED_TRAIN]
    test = [
        ("Shared text", "a"),  # same label: no conflict
        ("shared   text", "b"),  # another label than training's
        ("AMBIGUOUS", "a"),  # training itself has it under a and b
        *TEST,
    ]
    checks = check_dataset(_dataset(train, test))
    assert checks.figures["train_test_duplicates"] == 3
    assert checks.figures["train_test_label_conflicts"] == 2
    assert checks.examples == [
        'a: "Shared text"',
        'b (in training: a): "shared text"',
        'a (in training: a): "AMBIGUOUS"',
    ]
    expected = (
        "3 test texts (50.00 % of the test split) also appear in training, 2 of them with another label"
    )
    assert expected in _finding(checks, 0).text


def test_no_copies_is_no_warning_and_examples_are_few_and_short():
    checks = check_dataset(_dataset(BALANCED_TRAIN, TEST))
    assert checks.figures["train_test_duplicates"] == 0
    assert checks.figures["train_test_duplicate_share"] == 0.0
    assert not _finding(checks, 0).warning
    long_text = "word " * 100
    many = [(f"{long_text}{i}", "a") for i in range(5)]
    checks = check_dataset(_dataset(BALANCED_TRAIN + many, many))
    assert checks.figures["train_test_duplicates"] == 5
    assert len(checks.examples) == 3
    assert checks.examples[0] == 'a: "' + ("word " * 12).strip() + '..."'


# --- imbalance and small labels -----------------------------------------------------------------------------


def _imbalanced(largest: int, smallest: int) -> Dataset:
    return _dataset(_filler("big", largest) + _filler("mid", 20) + _filler("small", smallest), TEST)


def test_imbalance_warns_only_above_the_threshold():
    assert IMBALANCE_WARNING_RATIO == 10
    at = check_dataset(_imbalanced(100, 10))
    assert at.figures["imbalance_ratio"] == 10.0
    assert not _finding(at, 1).warning
    assert _finding(at, 1).text == (
        "training documents per label range from 10 (small) to 100 (big), a ratio of 10.0"
    )
    above = check_dataset(_imbalanced(101, 10))
    assert above.figures["imbalance_ratio"] == 10.1
    finding = _finding(above, 1)
    assert finding.warning
    assert "a ratio of 10.1, above 10" in finding.text
    assert "set train.class_weight: balanced in params.yaml" in finding.text
    # Already balanced: said, not warned.
    settled = _finding(above, 1, class_weight="balanced")
    assert not settled.warning and "train.class_weight: balanced weighs every label equally" in settled.text


def test_labels_with_too_few_training_documents_are_named():
    assert MIN_LABEL_DOCUMENTS == 5
    train = _filler("a", 10) + _filler("few", 4) + _filler("enough", 5) + _filler("two", 2)
    checks = check_dataset(_dataset(train, [("a test text", "a"), ("a test of few", "few")]))
    assert checks.figures["small_labels"] == 2
    assert checks.figures["train_documents_per_label"] == {"a": 10, "enough": 5, "few": 4, "two": 2}
    finding = _finding(checks, 2)
    assert finding.warning
    assert finding.text.startswith("2 labels with fewer than 5 training documents: few (4), two (2):")
    assert not _finding(check_dataset(_dataset(BALANCED_TRAIN, TEST)), 2).warning


def test_a_label_only_the_test_split_has_counts_as_small_not_as_an_infinite_ratio():
    checks = check_dataset(_dataset(BALANCED_TRAIN, [*TEST, ("c text", "c")]))
    assert checks.figures["train_documents_per_label"] == {"a": 10, "b": 10, "c": 0}
    assert checks.figures["imbalance_ratio"] == 1.0
    assert checks.figures["small_labels"] == 1
    assert "c (0)" in _finding(checks, 2).text


# --- documents dropped while loading ------------------------------------------------------------------------


def test_dropped_documents_are_reported_and_zero_when_the_loader_says_nothing():
    checks = check_dataset(_dataset(BALANCED_TRAIN, TEST))
    assert (checks.figures["dropped_empty_texts"], checks.figures["dropped_over_max_chars"]) == (0, 0)
    assert not _finding(checks, 3).warning
    dropped = {"empty_texts": 1, "over_max_chars": 12}
    checks = check_dataset(_dataset(BALANCED_TRAIN, TEST, dropped=dropped))
    assert (checks.figures["dropped_empty_texts"], checks.figures["dropped_over_max_chars"]) == (1, 12)
    finding = _finding(checks, 3)
    assert finding.warning
    assert finding.text.startswith("13 documents dropped while loading: 1 empty text, 12 texts longer than")


# --- figures and printout -----------------------------------------------------------------------------------


def test_figures_are_numbers_in_a_fixed_order_whatever_the_input_order():
    train = [("copy", "b"), *_filler("b", 30), *_filler("a", 2)]
    test = [("COPY", "a"), *TEST]
    forward = check_dataset(_dataset(train, test)).figures
    backward = check_dataset(_dataset(train[::-1], test[::-1])).figures
    assert json.dumps(forward) == json.dumps(backward)
    assert list(forward) == [
        "train_test_duplicates",
        "train_test_duplicate_share",
        "train_test_label_conflicts",
        "imbalance_ratio",
        "small_labels",
        "dropped_empty_texts",
        "dropped_over_max_chars",
        "train_documents_per_label",
    ]
    assert list(forward["train_documents_per_label"]) == ["a", "b"]
    numbers = [v for k, v in forward.items() if k != "train_documents_per_label"]
    numbers += list(forward["train_documents_per_label"].values())
    assert all(isinstance(value, int | float) and not isinstance(value, bool) for value in numbers)
    assert forward["imbalance_ratio"] == round(31 / 2, 4)


def test_printout_has_one_line_per_check_with_warnings_marked_and_examples_under_the_copies():
    train = [("the copy", "a"), *BALANCED_TRAIN, *_filler("c", 1)]
    checks = check_dataset(_dataset(train, [("The Copy", "a"), *TEST]))
    lines = printed_lines(checks)
    assert [line.split(":")[0] for line in lines] == [
        "warning",
        "  e.g. a",
        "warning",
        "warning",
        "data check",
    ]
    assert lines[0].startswith("warning: 1 test text (25.00 % of the test split) also appears in training")
    assert lines[1] == '  e.g. a: "The Copy"'


@pytest.mark.newsgroups
def test_twenty_newsgroups_official_split_has_no_copies_and_mild_imbalance(newsgroups_cache):
    """The figures training records for 20 Newsgroups: headers differ, so no test text is a training text."""
    from training.sources.twenty_newsgroups import load_twenty_newsgroups

    figures = check_dataset(load_twenty_newsgroups()).figures
    assert figures["train_test_duplicates"] == 0
    assert sum(figures["train_documents_per_label"].values()) == 11314
    assert len(figures["train_documents_per_label"]) == 20
    assert figures["imbalance_ratio"] == round(600 / 377, 4)
    assert figures["small_labels"] == 0
