"""Load, validate and edit params.yaml, the one place where every tunable of the model and its data lives.

Validation happens before any data is read, so a typo in params.yaml fails in a second with a message that
names the key, instead of minutes later inside scikit-learn. `set` rewrites one value in place through a
ruamel.yaml round trip that keeps comments and layout, so `make train DATA=...` leaves a readable diff for
the pull request.

    python -m training.params check
    python -m training.params set data.source=bbc-news
"""

from __future__ import annotations

import argparse
import copy
import io
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from serving.app.contracts.linear_tfidf import (
    CHAR_ANALYZER,
    CHAR_WB_ANALYZER,
    STRIP_ACCENTS,
    WEIGHT_DTYPES,
    WORD_ANALYZER,
)
from training import REPO_ROOT
from training.sources import source_names

DEFAULT_PARAMS_PATH = REPO_ROOT / "params.yaml"
# The precisions the artifact can store the weights at (serving/MODEL_ARTIFACT.md).
WEIGHTS_DTYPES = WEIGHT_DTYPES
# Solvers that fit one softmax model for all classes, matching serving's softmax over scores.
MULTINOMIAL_SOLVERS = ("lbfgs", "newton-cg", "sag", "saga")
# train.estimator: the linear classifiers serving reproduces exactly (training.pipeline builds each,
# training/families/linear_estimators.py says how each one's scores become probabilities).
LOGISTIC_REGRESSION = "logistic_regression"
LINEAR_SVC = "linear_svc"
SVC_WITH_COMPLEMENT_NB = f"{LINEAR_SVC}+complement_nb"  # named like the analyzers' blocks side by side
ESTIMATORS = (
    LOGISTIC_REGRESSION,  # multinomial (softmax)
    "logistic_regression_ovr",  # one binary logistic regression per class, sigmoids normalised
    "sgd_log_loss",  # SGDClassifier(loss="log_loss"): one-vs-rest logistic loss by gradient descent
    "sgd_modified_huber",  # SGDClassifier(loss="modified_huber")
    LINEAR_SVC,  # LinearSVC, probabilities by one fitted temperature: params.yaml's default
    "ridge",  # RidgeClassifier, probabilities by one fitted temperature
    "complement_nb",  # ComplementNB
    "multinomial_nb",  # MultinomialNB
    SVC_WITH_COMPLEMENT_NB,  # their scores averaged, probabilities by one fitted temperature
)
# The estimators that take `train.class_weight: balanced`: not naive Bayes, which weighs classes by its
# prior, nor an average with it.
WITHOUT_CLASS_WEIGHT = ("complement_nb", "multinomial_nb", SVC_WITH_COMPLEMENT_NB)
WEIGHTED_ESTIMATORS = tuple(estimator for estimator in ESTIMATORS if estimator not in WITHOUT_CLASS_WEIGHT)
# The estimators `train.C` (inverse regularisation strength) applies to; the others ignore it.
C_ESTIMATORS = (LOGISTIC_REGRESSION, "logistic_regression_ovr", LINEAR_SVC, SVC_WITH_COMPLEMENT_NB)
# LogisticRegression's class_weight: None weighs every document equally; "balanced" weighs each label's
# documents by the inverse of its share, so small labels count as much as large ones in the fit.
BALANCED = "balanced"
CLASS_WEIGHTS = (None, BALANCED)
# Feature blocks: words, character n-grams inside words (char_wb) or across them (char), or a union of
# words with one of them; training.pipeline builds one TfidfVectorizer per block, in this order.
# `auto` picks one of them from the training texts (training.analyzer_choice).
_BLOCKS = (WORD_ANALYZER, CHAR_WB_ANALYZER, CHAR_ANALYZER)
ANALYZERS = ("auto", *_BLOCKS, *(f"{WORD_ANALYZER}+{chars}" for chars in (CHAR_WB_ANALYZER, CHAR_ANALYZER)))
_REQUIRED = object()


class ParamsError(ValueError):
    """params.yaml is missing, unreadable or holds a value training cannot use."""


@dataclass(frozen=True)
class Rule:
    """What one key accepts: a predicate, its wording for the error message, and a default if optional."""

    accepts: Callable[[Any], bool]
    expected: str
    default: Any = _REQUIRED


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_document_frequency(value: Any) -> bool:
    """scikit-learn reads an int as a document count and a float as a share of documents."""
    if _is_int(value):
        return value >= 1
    return isinstance(value, float) and 0.0 < value <= 1.0


def _is_ngram_range(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(_is_int(n) for n in value)
        and 1 <= value[0] <= value[1]
    )


def _is_token_pattern(value: Any) -> bool:
    """scikit-learn rejects patterns with more than one capturing group; serving uses the same `re`."""
    if not isinstance(value, str) or not value:
        return False
    try:
        return re.compile(value).groups <= 1
    except re.error:
        return False


def _is_path_list(value: Any) -> bool:
    """A list of non-blank strings, none repeated (a file named twice would count its examples twice)."""
    return (
        isinstance(value, list)
        and all(isinstance(item, str) and item.strip() != "" for item in value)
        and len(set(value)) == len(value)
    )


def _one_of(values: tuple) -> str:
    """`null, ascii or unicode`: the values as YAML spells them."""
    names = ["null" if value is None else str(value) for value in values]
    return f"{', '.join(names[:-1])} or {names[-1]}"


SCHEMA: dict[str, dict[str, Rule]] = {
    "data": {
        "source": Rule(
            lambda v: isinstance(v, str) and v.strip() != "",
            f"{', '.join(source_names())}, or a path to a CSV/TSV/JSONL/Parquet file or a folder",
        ),
        "test_source": Rule(
            lambda v: v is None or (isinstance(v, str) and v.strip() != ""),
            "null or a path to a CSV/TSV/JSONL/Parquet file or a folder (a fixed test set)",
            None,
        ),
        # Corrected `make relabel` exports, appended to the training split only (training.relabel_file).
        "extra_sources": Rule(
            _is_path_list,
            "a list of paths to corrected `make relabel` exports (CSV files tracked with `dvc add`), each "
            "named once; [] for none",
            [],
        ),
        "test_size": Rule(lambda v: _is_number(v) and 0 < v < 1, "a number between 0 and 1 (exclusive)"),
        "seed": Rule(lambda v: _is_int(v) and v >= 0, "a non-negative integer"),
    },
    "featurize": {
        "analyzer": Rule(lambda v: v in ANALYZERS, ", ".join(ANALYZERS), "word"),
        "ngram_range": Rule(_is_ngram_range, "a list [min_n, max_n] of integers with 1 <= min_n <= max_n"),
        "char_ngram_range": Rule(
            _is_ngram_range, "a list [min_n, max_n] of integers with 1 <= min_n <= max_n", [2, 5]
        ),
        "min_df": Rule(_is_document_frequency, "a document count >= 1 or a share of documents in (0, 1]"),
        "max_df": Rule(_is_document_frequency, "a document count >= 1 or a share of documents in (0, 1]"),
        "sublinear_tf": Rule(lambda v: isinstance(v, bool), "true or false"),
        "lowercase": Rule(lambda v: isinstance(v, bool), "true or false"),
        "strip_accents": Rule(lambda v: v in STRIP_ACCENTS, _one_of(STRIP_ACCENTS)),
        "token_pattern": Rule(_is_token_pattern, "a valid regular expression with at most one group"),
        "select_features": Rule(
            lambda v: v is None or (_is_int(v) and v >= 1), "null or a positive number of terms", None
        ),
    },
    "train": {
        "estimator": Rule(lambda v: v in ESTIMATORS, ", ".join(ESTIMATORS), LOGISTIC_REGRESSION),
        "C": Rule(lambda v: _is_number(v) and v > 0, "a positive number"),
        "max_iter": Rule(lambda v: _is_int(v) and v >= 1, "a positive integer"),
        "tol": Rule(lambda v: _is_number(v) and v > 0, "a positive number"),
        # Only solvers that fit a multinomial (softmax) model: serving computes softmax probabilities.
        "solver": Rule(lambda v: v in MULTINOMIAL_SOLVERS, ", ".join(MULTINOMIAL_SOLVERS), "lbfgs"),
        "weights_dtype": Rule(lambda v: v in WEIGHTS_DTYPES, ", ".join(WEIGHTS_DTYPES), "float64"),
        # Only the fitted weights change, so serving needs nothing new.
        "class_weight": Rule(lambda v: v in CLASS_WEIGHTS, "null or balanced", None),
        # The regularisation of the SGD, ridge and naive Bayes estimators (their smoothing for naive Bayes);
        # null is scikit-learn's default for each (1e-4 for SGD, 1.0 for the others).
        "alpha": Rule(lambda v: v is None or (_is_number(v) and v > 0), "null or a positive number", None),
        # Recalibrate the top probability of the estimators with a fitted temperature on held-out folds
        # (training.confidence_map); the others keep their own probabilities.
        "confidence_map": Rule(lambda v: isinstance(v, bool), "true or false", False),
    },
    "gate": {
        "min_accuracy": Rule(lambda v: _is_number(v) and 0 <= v <= 1, "a number between 0 and 1"),
        "max_accuracy_drop": Rule(lambda v: _is_number(v) and 0 <= v <= 1, "a number between 0 and 1"),
    },
}


def load_params(path: Path | str = DEFAULT_PARAMS_PATH) -> dict[str, dict[str, Any]]:
    """Read and validate a params file; returns {section: {key: value}} with optional keys filled in."""
    path = Path(path)
    return validate_params(_read_yaml(path), path)


def validate_params(raw: Any, origin: Path | str = "params.yaml") -> dict[str, dict[str, Any]]:
    """Check every section and key against SCHEMA; the first problem raises ParamsError naming the key."""
    if not isinstance(raw, dict):
        raise ParamsError(f"{origin}: expected a mapping with sections {', '.join(SCHEMA)}")
    _reject_unknown(raw, SCHEMA, origin, prefix="")
    checked = {section: _validate_section(raw, section, origin) for section in SCHEMA}
    _check_estimator_settings(checked["train"], origin)
    return checked


def _check_estimator_settings(train: dict[str, Any], origin: Path | str) -> None:
    """Settings valid on their own but not for the chosen estimator, refused before any fitting."""
    estimator, class_weight = train["estimator"], train["class_weight"]
    if class_weight is not None and estimator not in WEIGHTED_ESTIMATORS:
        raise ParamsError(
            f"{origin}: train.class_weight must be null for train.estimator {estimator}, got "
            f"{class_weight!r} (balanced is allowed with {', '.join(WEIGHTED_ESTIMATORS)})"
        )


def _validate_section(raw: dict, section: str, origin: Path | str) -> dict[str, Any]:
    values = raw.get(section)
    if not isinstance(values, dict):
        raise ParamsError(f"{origin}: missing section '{section}' (a mapping of its keys)")
    rules = SCHEMA[section]
    _reject_unknown(values, rules, origin, prefix=f"{section}.")
    checked = {}
    for key, rule in rules.items():
        if key not in values:
            if rule.default is _REQUIRED:
                raise ParamsError(f"{origin}: missing key {section}.{key} ({rule.expected})")
            checked[key] = copy.deepcopy(rule.default)  # a list default must not be shared between calls
            continue
        if not rule.accepts(values[key]):
            raise ParamsError(f"{origin}: {section}.{key} must be {rule.expected}, got {values[key]!r}")
        checked[key] = values[key]
    return checked


def _reject_unknown(values: dict, known: dict, origin: Path | str, prefix: str) -> None:
    """An unknown key is almost always a typo that would otherwise be silently ignored."""
    for key in values:
        if key not in known:
            raise ParamsError(f"{origin}: unknown key {prefix}{key} (known: {', '.join(known)})")


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: params file not found") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from None


def set_param(assignment: str, path: Path | str = DEFAULT_PARAMS_PATH) -> Any:
    """Apply `section.key=value` to the params file in place; returns the value written.

    The value is parsed as YAML (so `train.C=10` is a number, `featurize.ngram_range=[1, 3]` a list)
    unless the key currently holds a string and accepts the text as a string, in which case the text is
    taken as is (so a path like `data/2024.csv` stays a string, while `train.class_weight=null` and
    `data.test_source=null` are null).
    The result is validated before the file is touched. ruamel.yaml edits the file as a round trip:
    comments, key order, blank lines and quoting stay as they were.
    """
    path = Path(path)
    dotted, sep, raw_value = assignment.partition("=")
    section, _, key = dotted.strip().partition(".")
    if not sep or key not in SCHEMA.get(section, {}):
        raise ParamsError(f"expected section.key=value with a key from {path}, got {assignment!r}")
    if "\n" in raw_value or "\r" in raw_value:
        raise ParamsError(f"{dotted}: the value must be a single line")
    current = load_params(path)[section][key]
    value = (
        raw_value if isinstance(current, str) else _parse_value(raw_value, is_list=isinstance(current, list))
    )
    rule = SCHEMA[section][key]
    if isinstance(current, str) and (not rule.accepts(value) or (raw_value == "null" and rule.accepts(None))):
        # A key that holds a string now but also takes a non-string: train.class_weight=null, and
        # data.test_source=null (a path literally named null is still reachable as ./null).
        value = _parse_value(raw_value, is_list=False)
    document = _ROUND_TRIP.load(path.read_text(encoding="utf-8"))
    document[section][key] = _node(value)
    buffer = io.StringIO()
    _ROUND_TRIP.dump(document, buffer)
    new_text = buffer.getvalue()
    updated = validate_params(yaml.safe_load(new_text), f"{path} after setting {dotted}")
    if updated[section][key] != value:
        raise ParamsError(f"{path}: could not write {dotted}={raw_value!r} as a YAML value")
    path.write_text(new_text, encoding="utf-8")
    return value


def _parse_value(raw_value: str, is_list: bool) -> Any:
    """A scalar, or a list where the key holds one (ngram_range); never a mapping."""
    try:
        value = yaml.safe_load(raw_value)
    except yaml.YAMLError:
        return raw_value
    if isinstance(value, dict) or (isinstance(value, list) and not is_list):
        raise ParamsError(f"only single values can be set, got {raw_value!r}")
    return value


def _node(value: Any) -> Any:
    """What ruamel.yaml writes: lists in flow style (`[1, 3]`), and strings quoted when params.yaml's
    reader (PyYAML, YAML 1.1) would read their plain form as something else (`yes`, `2024`, `null`)."""
    if isinstance(value, list):
        node = CommentedSeq(value)
        node.fa.set_flow_style()
        return node
    if isinstance(value, str) and _plain_reads_as(value) != value:
        return SingleQuotedScalarString(value)
    return value


def _plain_reads_as(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


class _Representer(RoundTripRepresenter):
    """ruamel.yaml writes a null as nothing (`strip_accents:`); params.yaml spells it `null`."""

    def represent_none(self, data: None) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:null", "null")


_Representer.add_representer(type(None), _Representer.represent_none)


def _round_trip() -> YAML:
    round_trip = YAML()  # typ="rt": keeps comments, order, blank lines
    round_trip.Representer = _Representer
    round_trip.preserve_quotes = True  # token_pattern stays in single quotes
    round_trip.width = 1_000_000  # never fold a long value onto two lines
    round_trip.indent(mapping=2, sequence=4, offset=2)
    return round_trip


_ROUND_TRIP = _round_trip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.params", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--params", type=Path, default=DEFAULT_PARAMS_PATH, help="params file (default: %(default)s)"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="validate the params file")
    setter = commands.add_parser("set", help="rewrite one value in place, e.g. data.source=bbc-news")
    setter.add_argument("assignment", metavar="section.key=value")
    args = parser.parse_args(argv)
    try:
        if args.command == "set":
            value = set_param(args.assignment, args.params)
            print(f"{args.params}: {args.assignment.partition('=')[0]} = {value!r}")
        else:
            load_params(args.params)
            print(f"{args.params}: ok")
    except ParamsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
