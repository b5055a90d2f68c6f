"""The linear TF-IDF family: TF-IDF feature blocks, a linear layer, a probability link.

The first family of the classifier protocol (families.protocol): what scikit-learn's
``Pipeline([FeatureUnion of TfidfVectorizer blocks, a linear classifier])`` predicts, in numpy
(serving/MODEL_ARTIFACT.md). model.json's ``settings`` hold the link and the feature blocks::

    {"link": "softmax", "featurizer": {"blocks": [{"analyzer": "word", ..., "n_features": 56248}, ...]}}

A link with parameters has them beside it (``"link": "temperature_softmax", "temperature": 1.7``), and
an optional ``"confidence_map": {"top_probability": [...], "calibrated": [...]}`` recalibrates the top
class's probability after the link (links.confidence_mapped).

Any setting serving could not reproduce exactly is refused at load, naming it.
"""

import re
from typing import Any, NamedTuple

import numpy as np

from ..artifact.arrays import check_table
from ..artifact.float_bits import all_finite
from ..artifact.manifest import FilePath, ModelLoadError
from ..contracts.linear_tfidf import (
    ANALYZERS,
    ARRAYS,
    BLOCK_KEYS,
    CALIBRATED,
    CONFIDENCE_MAP,
    KIND,
    LINK_PARAMETERS,
    MAX_WORD_BLOCKS,
    NORMS,
    STRIP_ACCENTS,
    TOP_PROBABILITY,
    WORD_ANALYZER,
)
from ..linear.classifier import LinearClassifier
from ..linear.links import LINK_FUNCTIONS, bound_link
from ..tfidf.featurizer import FeaturizerSettings
from ..tfidf.vocabulary import feature_union

__all__ = ["KIND", "load", "read_settings"]

_BOOLEAN_SETTINGS = tuple(key for key, kind in FeaturizerSettings.__annotations__.items() if kind is bool)


class Settings(NamedTuple):
    """model.json's settings, checked: the link's name and parameters, the blocks in column order (each its
    settings and number of features), and the section as it was written (what GET /model reports)."""

    link: str
    link_parameters: dict[str, float]
    confidence_map: tuple[np.ndarray, np.ndarray] | None
    blocks: list[tuple[FeaturizerSettings, int]]
    section: dict[str, Any]


def read_settings(section: Any, path: FilePath) -> Settings:
    """``{"link": ..., <its parameters>, "featurizer": {"blocks": [...]}}``: a link serving implements,
    at least one block."""
    if not isinstance(section, dict) or "link" not in section:
        raise ModelLoadError(path, "'settings' must be an object with a 'link' and a 'featurizer'")
    link = section["link"]
    if not isinstance(link, str) or link not in LINK_FUNCTIONS:
        raise ModelLoadError(path, f"settings.link must be one of {sorted(LINK_FUNCTIONS)}")
    expected = {"link", *LINK_PARAMETERS[link], "featurizer"}
    if set(section) - {CONFIDENCE_MAP} != expected:
        raise ModelLoadError(
            path,
            f"'settings' of the {link} link must have exactly the keys {sorted(expected)} "
            f"(and optionally {CONFIDENCE_MAP!r})",
        )
    parameters = {key: link_parameter(section, key, path) for key in LINK_PARAMETERS[link]}
    featurizer = section["featurizer"]
    if not isinstance(featurizer, dict) or set(featurizer) != {"blocks"}:
        raise ModelLoadError(path, "settings.featurizer must be an object with one key, 'blocks'")
    blocks = featurizer["blocks"]
    if not isinstance(blocks, list) or not blocks:
        raise ModelLoadError(path, "settings.featurizer.blocks must be a non-empty list of feature blocks")
    name = "settings.featurizer.blocks"
    return Settings(
        link=link,
        link_parameters=parameters,
        confidence_map=read_confidence_map(section[CONFIDENCE_MAP], path)
        if CONFIDENCE_MAP in section
        else None,
        blocks=[block_settings(block, f"{name}[{k}]", path) for k, block in enumerate(blocks)],
        section=section,
    )


def link_parameter(section: dict[str, Any], key: str, path: FilePath) -> float:
    """One of the link's parameters: a positive, finite number."""
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
        raise ModelLoadError(path, f"settings.{key} must be a positive, finite number")
    return float(value)


def read_confidence_map(section: Any, path: FilePath) -> tuple[np.ndarray, np.ndarray]:
    """settings.confidence_map: at least two knots, top probabilities strictly increasing within [0, 1],
    calibrated probabilities non-decreasing within [0, 1) (a map that never promises certainty)."""
    name = f"settings.{CONFIDENCE_MAP}"
    if not isinstance(section, dict) or set(section) != {TOP_PROBABILITY, CALIBRATED}:
        raise ModelLoadError(
            path, f"{name} must be an object with the keys {TOP_PROBABILITY!r}, {CALIBRATED!r}"
        )
    knots = []
    for key in (TOP_PROBABILITY, CALIBRATED):
        values = section[key]
        if (
            not isinstance(values, list)
            or len(values) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        ):
            raise ModelLoadError(path, f"{name}.{key} must be a list of at least two numbers")
        knots.append(np.array(values, dtype=np.float64))
    top_probability, calibrated = knots
    if len(top_probability) != len(calibrated):
        raise ModelLoadError(path, f"{name}.{TOP_PROBABILITY} and {name}.{CALIBRATED} must be as long")
    if not (np.all(np.diff(top_probability) > 0) and top_probability[0] >= 0 and top_probability[-1] <= 1):
        raise ModelLoadError(path, f"{name}.{TOP_PROBABILITY} must increase strictly within [0, 1]")
    if not (np.all(np.diff(calibrated) >= 0) and calibrated[0] >= 0 and calibrated[-1] < 1):
        raise ModelLoadError(path, f"{name}.{CALIBRATED} must not decrease and must lie within [0, 1)")
    return top_probability, calibrated


def load(
    settings: Settings, classes: list[str], arrays: dict[str, np.ndarray], path: FilePath
) -> LinearClassifier:
    """The classifier over the arrays, after checking them against the contract, the blocks and the
    classes."""
    check_table(arrays, ARRAYS, path)
    check_shapes(arrays, settings.blocks, len(classes), path)
    featurizer = feature_union(settings.blocks, arrays, path)
    link = bound_link(settings.link, settings.link_parameters, settings.confidence_map)
    return LinearClassifier(featurizer, arrays["coef"], arrays["intercept"], classes, link, settings.section)


def block_settings(block: Any, name: str, path: FilePath) -> tuple[FeaturizerSettings, int]:
    """One block's settings, refusing any serving could not reproduce exactly, and its feature count."""
    if not isinstance(block, dict):
        raise ModelLoadError(path, f"{name} must be an object")
    unknown = sorted(set(block) - set(BLOCK_KEYS))
    missing = [key for key in BLOCK_KEYS if key not in block]
    if unknown or missing:
        raise ModelLoadError(path, f"{name} settings unknown {unknown} / missing {missing}")
    for key in _BOOLEAN_SETTINGS:
        if not isinstance(block[key], bool):
            raise ModelLoadError(path, f"{name}.{key} must be true or false")
    for key, allowed in (("analyzer", ANALYZERS), ("strip_accents", STRIP_ACCENTS), ("norm", NORMS)):
        if block[key] not in allowed:
            raise ModelLoadError(path, f"{name}.{key} must be one of {list(allowed)}")
    n_features = block["n_features"]
    if not isinstance(n_features, int) or isinstance(n_features, bool) or n_features < 1:
        raise ModelLoadError(path, f"{name}.n_features must be a positive integer")
    settings = FeaturizerSettings(
        analyzer=block["analyzer"],
        lowercase=block["lowercase"],
        strip_accents=block["strip_accents"],
        token_pattern=token_pattern(block["token_pattern"], block["analyzer"], name, path),
        ngram_range=ngram_range(block["ngram_range"], name, path),
        binary=block["binary"],
        sublinear_tf=block["sublinear_tf"],
        use_idf=block["use_idf"],
        norm=block["norm"],
    )
    return settings, n_features


def token_pattern(pattern: Any, analyzer: str, name: str, path: FilePath) -> str | None:
    """The word analyzer's regular expression, with at most one capturing group as scikit-learn requires;
    null for a character analyzer (scikit-learn ignores the pattern there)."""
    if analyzer != WORD_ANALYZER:
        if pattern is not None:
            raise ModelLoadError(path, f"{name}.token_pattern must be null for the {analyzer} analyzer")
        return None
    if not isinstance(pattern, str):
        raise ModelLoadError(path, f"{name}.token_pattern must be a string")
    try:
        groups = re.compile(pattern).groups
    except re.error as error:
        raise ModelLoadError(path, f"{name}.token_pattern does not compile ({error})") from None
    if groups > 1:
        raise ModelLoadError(path, f"{name}.token_pattern has more than one capturing group")
    return pattern


def ngram_range(value: Any, name: str, path: FilePath) -> tuple[int, int]:
    """``[low, high]`` with 1 <= low <= high."""
    valid = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in value)
        and 1 <= value[0] <= value[1]
    )
    if not valid:
        raise ModelLoadError(path, f"{name}.ngram_range must be [low, high] with 1 <= low <= high")
    return value[0], value[1]


def check_shapes(
    arrays: dict[str, np.ndarray],
    blocks: list[tuple[FeaturizerSettings, int]],
    n_classes: int,
    path: FilePath,
) -> None:
    """Array shapes agree with each other, the blocks and the classes; weights are finite."""
    n_features, blocks_total = arrays["idf"].shape[0], sum(size for _, size in blocks)
    if blocks_total != n_features:
        raise ModelLoadError(
            path, f"holds {n_features} features but model.json's blocks add up to {blocks_total}"
        )
    word_features = sum(size for settings, size in blocks if settings.analyzer == WORD_ANALYZER)
    if sum(settings.analyzer == WORD_ANALYZER for settings, _ in blocks) > MAX_WORD_BLOCKS:
        raise ModelLoadError(path, f"model.json lists more than {MAX_WORD_BLOCKS} word block")
    expected = {
        "term_lengths": (n_features - word_features,),
        "word_ngrams": (word_features, arrays["word_ngrams"].shape[1]),
        "word_ngram_order": (word_features,),
        "coef": (n_features, n_classes),
        "intercept": (n_classes,),
    }
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ModelLoadError(
                path,
                f"array {name!r} has shape {arrays[name].shape}, expected {shape} ({n_features} features, "
                f"{word_features} of them word n-grams, {n_classes} classes in model.json)",
            )
    for name in ("idf", "coef", "intercept"):
        if not all_finite(arrays[name]):
            raise ModelLoadError(path, f"array {name!r} contains NaN or infinite values")
