"""`featurize.analyzer: auto`: words for scripts with spaces, characters for scripts without."""

import pytest

from training.analyzer_choice import (
    NO_SPACE_SCRIPT_SHARE,
    choose_analyzer,
    no_space_script_share,
    resolve_analyzer,
)
from training.fit import fit_pipeline
from training.params import validate_params
from training.pipeline import vectorizers
from training.tests.corpus import repo_params

CHINESE = ["这本书写得很好，我很喜欢", "质量太差了，再也不买", "物流很快，包装也不错"]  # noqa: RUF001
JAPANESE = [
    "この本はとても面白かったです",
    "iPhoneのケースを買いました。色がきれい",
    "配送が遅くて残念でした",
]
THAI = ["หนังสือเล่มนี้ดีมาก", "สินค้าคุณภาพไม่ดีเลย"]
ENGLISH = ["The orbit of the comet crosses Jupiter's", "Reef the mainsail before the squall, 2 knots"]


@pytest.mark.parametrize(
    "texts", [CHINESE, JAPANESE, THAI, CHINESE + ENGLISH[:1]], ids=["zh", "ja", "th", "mixed"]
)
def test_scripts_written_without_spaces_get_character_ngrams(texts):
    analyzer, share = choose_analyzer(texts)
    assert analyzer == "char_wb"
    assert share >= NO_SPACE_SCRIPT_SHARE


@pytest.mark.parametrize(
    "texts",
    [
        ENGLISH,
        ["Ελληνικά κείμενα με κενά", "Русский текст с пробелами"],  # noqa: RUF001
        ["We met Wang Wei (王伟) in Beijing today"],
    ],
    ids=["en", "greek-russian", "en-quoting-a-name"],
)
def test_scripts_with_spaces_keep_words(texts):
    analyzer, share = choose_analyzer(texts)
    assert analyzer == "word"
    assert share < NO_SPACE_SCRIPT_SHARE


def test_digits_punctuation_and_nothing_count_as_no_letters():
    assert no_space_script_share(["", "1234 5678", "!!! ??? ..."]) == 0.0
    assert no_space_script_share([]) == 0.0
    # Thai digits are digits, not letters of a script without spaces.
    assert no_space_script_share(["๑๒๓ abc"]) == 0.0


def test_only_a_bounded_evenly_spaced_sample_is_read(monkeypatch):
    """96 of 100 texts are Chinese, but a 4-text sample taken every 25th text sees only the English ones."""
    import training.analyzer_choice as choice

    texts = [ENGLISH[0] if index % 25 == 0 else CHINESE[0] for index in range(100)]
    monkeypatch.setattr(choice, "SAMPLE_TEXTS", 4)
    assert no_space_script_share(texts) == 0.0
    monkeypatch.setattr(choice, "SAMPLE_TEXTS", 100)
    assert no_space_script_share(texts) > 0.8


def _params(analyzer):
    raw = repo_params()
    raw["featurize"] |= {"analyzer": analyzer, "min_df": 1, "select_features": None}
    return validate_params(raw)


def test_resolve_replaces_auto_only():
    assert resolve_analyzer(_params("word+char_wb"), CHINESE) == _params("word+char_wb")
    resolved = resolve_analyzer(_params("auto"), CHINESE)
    assert resolved["featurize"]["analyzer"] == "char_wb"
    assert {k: v for k, v in resolved["featurize"].items() if k != "analyzer"} == {
        k: v for k, v in _params("auto")["featurize"].items() if k != "analyzer"
    }


@pytest.mark.parametrize(("texts", "block"), [(CHINESE * 2, "char_wb"), (ENGLISH * 3, "word")])
def test_training_with_auto_fits_the_chosen_block(texts, block):
    labels = ["a", "b"] * (len(texts) // 2) + ["a"] * (len(texts) % 2)
    pipeline = fit_pipeline(_params("auto"), texts, labels)
    assert [name for name, _ in vectorizers(pipeline)] == [block]
