"""params.yaml: loading, validation messages that name the key, and the in-place `set` (a YAML round trip)."""

import pytest
import yaml

from training import REPO_ROOT
from training.params import ESTIMATORS, ParamsError, load_params, main, set_param, validate_params
from training.tests.corpus import repo_params, write_params


def test_repository_params_are_valid_and_complete():
    params = load_params(REPO_ROOT / "params.yaml")
    raw = repo_params()
    for section, values in raw.items():
        for key, value in values.items():
            assert params[section][key] == value


def test_optional_solver_defaults_to_lbfgs():
    raw = repo_params()
    raw["train"].pop("solver", None)
    assert validate_params(raw)["train"]["solver"] == "lbfgs"


def test_params_files_without_the_character_settings_mean_words():
    """A params file written before feature blocks existed keeps training the word model it did."""
    raw = repo_params()
    raw["featurize"].pop("analyzer")
    raw["featurize"].pop("char_ngram_range")
    first, second = validate_params(raw), validate_params(raw)
    assert first["featurize"]["analyzer"] == "word"
    assert first["featurize"]["char_ngram_range"] == [2, 5]
    first["featurize"]["char_ngram_range"][1] = 9  # the default is a fresh list each time
    assert second["featurize"]["char_ngram_range"] == [2, 5]


@pytest.mark.parametrize(
    ("section", "key", "value", "expected"),
    [
        ("data", "source", "", "data.source must be"),
        ("data", "test_source", " ", "data.test_source must be null or a path"),
        ("data", "test_source", 5, "data.test_source must be null or a path"),
        ("data", "test_size", 1.5, "data.test_size must be a number between 0 and 1"),
        ("data", "test_size", True, "data.test_size must be"),
        ("data", "seed", -1, "data.seed must be a non-negative integer"),
        ("featurize", "ngram_range", [2, 1], "featurize.ngram_range must be"),
        ("featurize", "ngram_range", 2, "featurize.ngram_range must be"),
        (
            "featurize",
            "analyzer",
            "char_wb+word",
            "featurize.analyzer must be auto, word, char_wb, char, word+char_wb, word+char",
        ),
        ("featurize", "analyzer", None, "featurize.analyzer must be"),
        ("featurize", "char_ngram_range", [0, 3], "featurize.char_ngram_range must be a list [min_n, max_n]"),
        ("featurize", "char_ngram_range", "2-5", "featurize.char_ngram_range must be"),
        ("featurize", "min_df", 0, "featurize.min_df must be"),
        ("featurize", "max_df", 1.5, "featurize.max_df must be"),
        ("featurize", "sublinear_tf", "yes", "featurize.sublinear_tf must be true or false"),
        ("train", "confidence_map", "yes", "train.confidence_map must be true or false"),
        ("train", "confidence_map", 1, "train.confidence_map must be true or false"),
        ("featurize", "strip_accents", "latin", "featurize.strip_accents must be null, ascii or unicode"),
        ("featurize", "token_pattern", "(a)(b)", "featurize.token_pattern must be"),
        ("featurize", "token_pattern", "(", "featurize.token_pattern must be"),
        ("train", "C", 0, "train.C must be a positive number"),
        ("train", "max_iter", 1.5, "train.max_iter must be a positive integer"),
        ("train", "tol", "small", "train.tol must be a positive number"),
        ("train", "solver", "liblinear", "train.solver must be lbfgs, newton-cg, sag, saga"),
        ("train", "class_weight", "auto", "train.class_weight must be null or balanced"),
        ("train", "class_weight", "Balanced", "train.class_weight must be null or balanced"),
        ("train", "class_weight", {"cooking": 2}, "train.class_weight must be null or balanced"),
        *(
            ("train", "estimator", value, f"train.estimator must be {', '.join(ESTIMATORS)}, got {value!r}")
            for value in ("svm", "LogisticRegression", "sgd", "bernoulli_nb", None, 3)
        ),
        ("train", "alpha", 0, "train.alpha must be null or a positive number, got 0"),
        ("train", "alpha", "small", "train.alpha must be null or a positive number"),
    ],
)
def test_invalid_value_is_reported_with_its_key(tmp_path, section, key, value, expected):
    path = write_params(tmp_path / "params.yaml", **{section: {key: value}})
    with pytest.raises(ParamsError, match="must be") as error:
        load_params(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_optional_class_weight_defaults_to_null_and_accepts_balanced():
    raw = repo_params()
    raw["train"].pop("class_weight", None)
    assert validate_params(raw)["train"]["class_weight"] is None
    raw["train"]["class_weight"] = "balanced"
    assert validate_params(raw)["train"]["class_weight"] == "balanced"


def test_set_class_weight_writes_balanced_and_back_to_null(params_copy):
    assert set_param("train.class_weight=balanced", params_copy) == "balanced"
    assert load_params(params_copy)["train"]["class_weight"] == "balanced"
    assert "  class_weight: balanced\n" in params_copy.read_text(encoding="utf-8")
    assert set_param("train.class_weight=null", params_copy) is None
    assert "  class_weight: null\n" in params_copy.read_text(encoding="utf-8")


def test_missing_key_is_named(tmp_path):
    raw = repo_params()
    del raw["train"]["C"]
    with pytest.raises(ParamsError, match=r"missing key train\.C"):
        validate_params(raw)


def test_unknown_key_is_named_as_a_probable_typo():
    raw = repo_params()
    raw["featurize"]["min_dff"] = 3
    with pytest.raises(ParamsError, match=r"unknown key featurize\.min_dff"):
        validate_params(raw)


def test_unknown_and_missing_sections_are_named():
    raw = repo_params()
    raw["extra"] = {}
    with pytest.raises(ParamsError, match="unknown key extra"):
        validate_params(raw)
    raw = repo_params()
    del raw["data"]
    with pytest.raises(ParamsError, match="missing section 'data'"):
        validate_params(raw)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ParamsError, match="params file not found"):
        load_params(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("data: [unclosed\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(broken)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="expected a mapping"):
        load_params(scalar)


@pytest.fixture
def params_copy(tmp_path):
    """A copy of the repository's params.yaml, comments and all."""
    path = tmp_path / "params.yaml"
    path.write_text((REPO_ROOT / "params.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_set_rewrites_only_that_line(params_copy):
    before = params_copy.read_text(encoding="utf-8")
    set_param("data.source=data/my reviews.csv", params_copy)
    after = params_copy.read_text(encoding="utf-8")
    [(old, new)] = _changed_lines(before, after)
    assert old.split(":")[0] == new.split(":")[0] == "  source"
    assert load_params(params_copy)["data"]["source"] == "data/my reviews.csv"


def test_set_keeps_comments_and_key_order(tmp_path):
    path = tmp_path / "params.yaml"
    text = (REPO_ROOT / "params.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("  seed: 42", "  seed: 42  # the split's seed"), encoding="utf-8")
    set_param("data.seed=7", path)
    after = path.read_text(encoding="utf-8")
    # The trailing comment stays on its line, at its column; every other comment stays too.
    assert "  seed: 7   # the split's seed\n" in after
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert comments == [line for line in after.splitlines() if line.lstrip().startswith("#")]
    assert list(yaml.safe_load(after)) == ["data", "featurize", "train", "gate"]
    keys = ["source", "test_source", "extra_sources", "test_size", "seed"]
    assert list(yaml.safe_load(after)["data"]) == keys
    assert load_params(path)["data"]["seed"] == 7


def test_test_source_defaults_to_null_and_is_set_in_place(params_copy):
    raw = repo_params()
    raw["data"].pop("test_source")
    assert validate_params(raw)["data"]["test_source"] is None
    before = params_copy.read_text(encoding="utf-8")
    assert set_param("data.test_source=data/held out.csv", params_copy) == "data/held out.csv"
    after = params_copy.read_text(encoding="utf-8")
    assert _changed_lines(before, after) == [("  test_source: null", "  test_source: data/held out.csv")]
    assert load_params(params_copy)["data"]["test_source"] == "data/held out.csv"
    assert set_param("data.test_source=null", params_copy) is None
    assert params_copy.read_text(encoding="utf-8") == before


def test_set_writes_a_list_in_flow_style(params_copy):
    before = params_copy.read_text(encoding="utf-8")
    assert set_param("featurize.ngram_range=[1, 3]", params_copy) == [1, 3]
    assert _changed_lines(before, params_copy.read_text(encoding="utf-8")) == [
        ("  ngram_range: [1, 2]", "  ngram_range: [1, 3]")
    ]


def test_set_adds_an_optional_key_the_file_lacks(tmp_path):
    path = tmp_path / "params.yaml"
    text = (REPO_ROOT / "params.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("  weights_dtype: float16\n", ""), encoding="utf-8")
    set_param("train.weights_dtype=float32", path)
    assert load_params(path)["train"]["weights_dtype"] == "float32"
    assert "gate:\n  min_accuracy: 0.85\n" in path.read_text(encoding="utf-8")


def test_set_parses_numbers_but_keeps_strings_strings(params_copy):
    assert set_param("train.C=10", params_copy) == 10
    assert load_params(params_copy)["train"]["C"] == 10
    # A source that YAML would read as a boolean or number is quoted so it stays a path.
    assert set_param("data.source=true", params_copy) == "true"
    assert load_params(params_copy)["data"]["source"] == "true"
    assert "  source: 'true'\n" in params_copy.read_text(encoding="utf-8")
    for text in ("2024", "yes", "null", "a: b", "#x"):
        set_param(f"data.source={text}", params_copy)
        assert load_params(params_copy)["data"]["source"] == text
    set_param("featurize.strip_accents=unicode", params_copy)
    assert load_params(params_copy)["featurize"]["strip_accents"] == "unicode"


def test_set_refuses_invalid_values_and_leaves_the_file_alone(params_copy):
    before = params_copy.read_text(encoding="utf-8")
    with pytest.raises(ParamsError, match=r"train\.tol must be a positive number"):
        set_param("train.tol=-1", params_copy)
    with pytest.raises(ParamsError, match=r"expected section\.key=value"):
        set_param("train.nope=1", params_copy)
    with pytest.raises(ParamsError, match=r"expected section\.key=value"):
        set_param("data.source", params_copy)
    with pytest.raises(ParamsError, match=r"featurize\.ngram_range must be a list"):
        set_param("featurize.ngram_range=3", params_copy)
    with pytest.raises(ParamsError, match="only single values"):
        set_param("train.C=[1, 2]", params_copy)
    with pytest.raises(ParamsError, match="only single values"):
        set_param("featurize.ngram_range={a: 1}", params_copy)
    with pytest.raises(ParamsError, match="single line"):
        set_param("data.source=a\nb", params_copy)
    assert params_copy.read_text(encoding="utf-8") == before


def test_set_cli(params_copy, capsys):
    assert main(["--params", str(params_copy), "set", "data.source=bbc-news"]) == 0
    assert yaml.safe_load(params_copy.read_text(encoding="utf-8"))["data"]["source"] == "bbc-news"
    assert main(["--params", str(params_copy), "set", "data.test_size=2"]) == 2
    assert "data.test_size must be" in capsys.readouterr().err
    assert main(["--params", str(params_copy), "check"]) == 0


def test_the_estimator_defaults_to_the_multinomial_logistic_regression():
    raw = repo_params()
    raw["train"].pop("estimator", None)
    raw["train"].pop("alpha", None)
    train = validate_params(raw)["train"]
    assert (train["estimator"], train["alpha"]) == ("logistic_regression", None)


@pytest.mark.parametrize("estimator", ["complement_nb", "multinomial_nb", "linear_svc+complement_nb"])
def test_a_class_weight_the_estimator_cannot_use_is_refused_naming_what_it_allows(estimator):
    raw = repo_params()
    raw["train"] |= {"estimator": estimator, "class_weight": "balanced"}
    with pytest.raises(ParamsError) as error:
        validate_params(raw)
    message = str(error.value)
    assert f"train.class_weight must be null for train.estimator {estimator}, got 'balanced'" in message
    assert "balanced is allowed with logistic_regression, logistic_regression_ovr, sgd_log_loss" in message


def test_an_estimator_that_cannot_serve_fails_before_any_data_is_read_or_fitted(tmp_path, capsys):
    """`make train`'s first stage stops at params validation: no data loaded, no pipeline written."""
    from training.stages import train

    path = write_params(
        tmp_path / "params.yaml", data={"source": str(tmp_path / "absent.csv")}, train={"estimator": "svm"}
    )
    out = tmp_path / "pipeline.joblib"
    assert (
        train.main(["--params", str(path), "--pipeline-out", str(out), "--reports-dir", str(tmp_path)]) != 0
    )
    message = capsys.readouterr().err
    assert "train.estimator must be logistic_regression" in message and "got 'svm'" in message
    assert "absent.csv" not in message and not out.exists()


def test_a_params_file_without_the_confidence_map_key_trains_without_a_map():
    """A params.yaml written before the key existed keeps the probabilities it had."""
    raw = repo_params()
    raw["train"].pop("confidence_map")
    assert validate_params(raw)["train"]["confidence_map"] is False
