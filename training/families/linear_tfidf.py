"""The linear TF-IDF family, training's side: a FeatureUnion of TfidfVectorizers into a linear classifier.

    Pipeline([("features", FeatureUnion([(analyzer, TfidfVectorizer(...)), ...])),
              ("clf", LogisticRegression(...))])   # or another of linear_estimators.SERVED

Serving re-implements this pipeline's prediction in plain numpy (serving/app/families/linear_tfidf.py,
serving/MODEL_ARTIFACT.md), so the pipeline is restricted to what that recipe reproduces:
`check_servable` refuses anything else, at training time, rather than letting serving silently disagree
with the evaluated model. The arrays and settings written here are the contract's
(serving/app/contracts/linear_tfidf.py).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline

from serving.app.contracts import artifact
from serving.app.contracts.linear_tfidf import (
    ANALYZERS,
    ARRAYS,
    KIND,
    MAX_WORD_BLOCKS,
    NORMS,
    NUMBER_LIMIT,
    PADDING,
    STORED_ARRAYS,
    STRIP_ACCENTS,
    WEIGHT_DTYPES,
    WORD_ANALYZER,
    ngram_number,
)
from training.families import linear_estimators
from training.families.protocol import UnservableModelError

__all__ = ["KIND", "STORED_ARRAYS", "arrays", "check_servable", "classes", "owns", "settings"]

STEPS = ["features", "clf"]

# Settings of TfidfVectorizer and the values serving's recipe implements.
_VECTORIZER_RULES: dict[str, tuple] = {
    "analyzer": ANALYZERS,
    "preprocessor": (None,),
    "tokenizer": (None,),
    "stop_words": (None,),
    "strip_accents": STRIP_ACCENTS,
    "norm": NORMS,
    "dtype": (np.float64,),
    "input": ("content",),
}


def owns(model: object) -> bool:
    """Every scikit-learn Pipeline is this family's to export (or to refuse, saying why)."""
    return isinstance(model, Pipeline)


def vectorizers(pipeline: Pipeline) -> list[tuple[str, TfidfVectorizer]]:
    """The feature blocks, (name, vectorizer), in column order."""
    return pipeline.named_steps["features"].transformer_list


def check_servable(pipeline: Pipeline) -> None:
    """Raise UnservableModelError unless serving/MODEL_ARTIFACT.md's recipe reproduces this pipeline."""
    if list(pipeline.named_steps) != STEPS:
        raise UnservableModelError(f"expected steps {STEPS}, got {list(pipeline.named_steps)}")
    union, classifier = pipeline.named_steps["features"], pipeline.named_steps["clf"]
    if not isinstance(union, FeatureUnion):
        raise UnservableModelError(
            "expected a FeatureUnion of TfidfVectorizers followed by a linear classifier"
        )
    if not union.transformer_list:
        raise UnservableModelError("expected at least one feature block")
    problems = []
    if union.transformer_weights is not None:
        problems.append(f"transformer_weights={union.transformer_weights!r} (must be None)")
    for name, vectorizer in union.transformer_list:
        if not isinstance(vectorizer, TfidfVectorizer):
            problems.append(f"block {name!r} is a {type(vectorizer).__name__} (must be a TfidfVectorizer)")
            continue
        problems += [
            f"block {name!r}: {setting}={getattr(vectorizer, setting)!r} (must be {allowed})"
            for setting, allowed in _VECTORIZER_RULES.items()
            if getattr(vectorizer, setting) not in allowed
        ]
    word_blocks = [
        vectorizer
        for _, vectorizer in union.transformer_list
        if getattr(vectorizer, "analyzer", None) == WORD_ANALYZER
    ]
    if len(word_blocks) > MAX_WORD_BLOCKS:
        problems.append(f"{len(word_blocks)} word blocks (at most {MAX_WORD_BLOCKS})")
    problems += [
        f"token_pattern={vectorizer.token_pattern!r} can match a space (a word n-gram's words are "
        "separated by spaces)"
        for vectorizer in word_blocks
        if _matches_spaces(vectorizer.token_pattern)
    ]
    problems += linear_estimators.problems(classifier)
    if problems:
        raise UnservableModelError("serving cannot reproduce: " + "; ".join(problems))


def _matches_spaces(token_pattern: str) -> bool:
    """Whether the pattern yields a token holding a space from a few typical texts.

    scikit-learn names a word n-gram by its tokens joined with spaces, and serving's artifact stores it
    as those words: a token holding a space would make the split ambiguous.
    """
    probes = ("a b", "a  b", "1 2", "a. b", "a, b", "x-y z", " ", "a\tb c")
    return any(" " in token for probe in probes for token in re.findall(token_pattern, probe))


def round_weights(classifier, dtype: str) -> None:
    """Round the fitted weights to `dtype` (kept as float64): the precision the artifact stores.

    Training rounds before it evaluates, so the evaluated model and the artifact hold the same numbers.
    """
    coef = linear_estimators.coefficients(classifier)
    with np.errstate(over="ignore"):  # an overflow is reported below, with what to do
        rounded = coef.astype(dtype)
    if not np.isfinite(rounded).all():
        raise ValueError(f"weights overflow {dtype}; set train.weights_dtype to a wider type")
    linear_estimators.set_coef(classifier, rounded.astype(np.float64))


def classes(pipeline: Pipeline) -> list[str]:
    """The labels, in the order of the weights' columns."""
    return [str(label) for label in pipeline.named_steps["clf"].classes_]


def settings(pipeline: Pipeline) -> dict[str, Any]:
    """model.json's settings: the classifier's probability link (and its parameters, if it has any) and
    the feature blocks in column order, each with the settings serving needs to reproduce it."""
    classifier = pipeline.named_steps["clf"]
    return {
        "link": linear_estimators.link(classifier),
        **linear_estimators.link_parameters(classifier),
        **linear_estimators.confidence_map(classifier),
        "featurizer": {"blocks": [block_settings(vectorizer) for _, vectorizer in vectorizers(pipeline)]},
    }


def block_settings(vectorizer: TfidfVectorizer) -> dict[str, Any]:
    """Exactly the TfidfVectorizer settings serving needs to reproduce one block's transform() (the
    contract's BLOCK_KEYS), and the block's number of features (its columns follow the previous
    blocks')."""
    return {
        "analyzer": vectorizer.analyzer,
        "lowercase": bool(vectorizer.lowercase),
        "strip_accents": vectorizer.strip_accents,
        # scikit-learn ignores the pattern of a character analyzer; the artifact says so with null.
        "token_pattern": vectorizer.token_pattern if vectorizer.analyzer == WORD_ANALYZER else None,
        "ngram_range": list(vectorizer.ngram_range),
        "binary": bool(vectorizer.binary),
        "sublinear_tf": bool(vectorizer.sublinear_tf),
        "use_idf": bool(vectorizer.use_idf),
        "norm": vectorizer.norm,
        "n_features": len(vectorizer.vocabulary_),
    }


def arrays(pipeline: Pipeline) -> dict[str, np.ndarray]:
    """The arrays of model.npz, with the dtypes and shapes the contract fixes.

    The word block's terms are stored as word ids (`word_ngram_arrays`), the character blocks' terms as
    text: concatenated without a separator (a character n-gram may be or contain any character, "\\n"
    included), with `term_lengths` giving each one's length in characters (code points), so serving
    decodes the bytes once and slices the terms out of the text.
    """
    blocks = [vectorizer for _, vectorizer in vectorizers(pipeline)]
    classifier = pipeline.named_steps["clf"]
    char_terms = [
        term
        for vectorizer in blocks
        if vectorizer.analyzer != WORD_ANALYZER
        for term in vectorizer.get_feature_names_out().tolist()
    ]
    word_blocks = [vectorizer for vectorizer in blocks if vectorizer.analyzer == WORD_ANALYZER]
    coef, intercept = linear_estimators.weights(classifier)
    if coef.shape[0] == 1:
        # Binary: softmax([0, z]) == [1 - sigmoid(z), sigmoid(z)], so serving keeps one code path.
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([np.zeros(1), intercept])
    idf = np.concatenate(
        [
            vectorizer.idf_ if vectorizer.use_idf else np.ones(len(vectorizer.vocabulary_))
            for vectorizer in blocks
        ]
    )
    return {
        "vocabulary": _utf8("".join(char_terms)),
        "term_lengths": _lengths(char_terms),
        **word_ngram_arrays(word_blocks[0] if word_blocks else None),
        "idf": np.asarray(idf, dtype=np.float64),
        "coef": np.ascontiguousarray(_narrowest_exact(coef).T),
        "intercept": intercept,
    }


def word_ngram_arrays(vectorizer: TfidfVectorizer | None) -> dict[str, np.ndarray]:
    """The word block's terms as numbers (serving/MODEL_ARTIFACT.md): its distinct words (sorted, as
    text, one space between words: check_servable ensures no token holds one), each term's word ids in
    `word_ngrams` (padded to the longest n-gram), and `word_ngram_order`, the terms sorted by (length,
    number), an n-gram's number being the contract's `ngram_number`. Serving finds a text's n-grams by
    these numbers instead of joining and hashing n-gram strings.
    """
    if vectorizer is None:
        words, rows, high = [], [], 1
    else:
        low, high = vectorizer.ngram_range
        rows = [term.split(" ") for term in vectorizer.get_feature_names_out().tolist()]
        if any(not low <= len(row) <= high for row in rows):
            raise UnservableModelError("a word n-gram does not split into its words at spaces")
        words = sorted({word for row in rows for word in row})
        if max(len(words), 1) ** high >= NUMBER_LIMIT:
            raise UnservableModelError(
                f"{len(words)} words in n-grams of up to {high} words overflow 64-bit numbers; "
                "lower featurize.ngram_range or featurize.select_features"
            )
    word_id = {word: i for i, word in enumerate(words)}
    # The narrowest id type the contract allows that holds the ids: int16 while they fit (half the bytes,
    # stored uncompressed: inflating would cost every cold start).
    id_type = next(dtype for dtype in ARRAYS["word_ngrams"][0] if np.iinfo(dtype).max >= len(words))
    ngrams = np.full((len(rows), high), PADDING, dtype=id_type)
    keys = np.zeros(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        ids = [word_id[word] for word in row]
        ngrams[i, : len(ids)] = ids
        keys[i] = ngram_number(ids, len(words))
    lengths = np.array([len(row) for row in rows], dtype=np.int64)
    return {
        "words": _utf8(" ".join(words)),
        "word_ngrams": ngrams,
        "word_ngram_order": np.lexsort((keys, lengths)).astype(np.int32),
    }


def _utf8(text: str) -> np.ndarray:
    return np.frombuffer(text.encode(*artifact.TEXT_ENCODING), dtype=np.uint8)


def _lengths(strings: list[str]) -> np.ndarray:
    return np.fromiter(map(len, strings), dtype=np.uint32, count=len(strings))


def _narrowest_exact(weights: np.ndarray) -> np.ndarray:
    """The weights in the narrowest float type that holds every one of them exactly.

    Training rounds the weights to train.weights_dtype before evaluating (round_weights), so this finds
    that type again and the artifact stores the evaluated weights bit for bit, at a quarter of the size
    for float16. Weights that were never rounded stay float64: export never loses precision.
    """
    for dtype in WEIGHT_DTYPES[:-1]:  # the narrower ones first; the last is float64 itself
        narrowed = weights.astype(dtype)
        if np.array_equal(narrowed.astype(np.float64), weights):
            return narrowed
    return weights
