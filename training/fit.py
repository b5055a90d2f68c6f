"""Fit the pipeline: the N terms most associated with the labels, TF-IDF on them, the linear classifier.

Most n-grams of a corpus carry no evidence about its labels, yet each costs a row of weights in the
artifact, memory and load time at every cold start. Scoring every term by chi2 against the labels and
keeping the best `featurize.select_features` shrinks the model several times over at no loss of
accuracy (the discarded terms are mostly noise the regression would fit).

With several feature blocks (words and character n-grams, training.pipeline) the terms compete over
all blocks together: chi2 scores the blocks' TF-IDF features side by side, as the union computes them
(each block normalised over its own terms), and the best N columns are kept, however they fall between
the blocks. Each block's kept terms are then featurized exactly as `TfidfVectorizer(vocabulary=kept)`
fitted on the same texts would: document frequencies, hence idf, do not depend on which other terms are
kept, and each document is normalised over its block's kept terms only. The texts are analysed once per
block: the kept columns of the first pass's counts give the refit's counts, and each vectorizer receives
their idf through its public `idf_` setter (made for transferring idf between transformers). The
returned Pipeline is the model that is evaluated and exported, so its predictions are what serving
must reproduce.

Finally the weights are rounded to `train.weights_dtype`, the precision the artifact stores them at,
before any evaluation: the evaluated pipeline and the served model then hold the very same numbers.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.feature_selection import chi2
from sklearn.pipeline import FeatureUnion, Pipeline

from training.analyzer_choice import resolve_analyzer
from training.confidence_map import with_confidence_map
from training.counting import count_terms
from training.families.linear_tfidf import round_weights
from training.params import ParamsError
from training.pipeline import build_pipeline, fit_classifier

# Dense (class x term) cells chi2 computes at once: about 128 MB of float64 per array it holds.
CHI2_BLOCK_CELLS = 1 << 24


def fit_pipeline(
    params: dict[str, dict[str, Any]], texts: list[str], labels: list[str], groups: list[str] | None = None
) -> Pipeline:
    """A fitted Pipeline([features, clf]) over the selected terms, its weights at the stored precision.

    `featurize.analyzer: auto` is decided here, from these training texts (training.analyzer_choice).
    With `train.confidence_map`, a classifier calibrated by a temperature also gets a confidence map
    fitted on held-out folds that keep each of `groups` together (training.confidence_map).
    """
    pipeline = build_pipeline(resolve_analyzer(params, texts, labels))
    union, classifier = pipeline.named_steps["features"], pipeline.named_steps["clf"]
    n_terms, train = params["featurize"]["select_features"], params["train"]
    counts, terms = count_blocks(union, texts)
    features = select_terms(union, list(counts), terms, labels, n_terms)
    started = time.perf_counter()
    fit_classifier(classifier, features, labels)
    _progress(f"{train['estimator']}: {features.shape[0]:,} documents x {features.shape[1]:,} terms", started)
    round_weights(classifier, train["weights_dtype"])
    if train["confidence_map"] and isinstance(classifier, CalibratedClassifierCV):
        blocks = [vectorizer for _, vectorizer in union.transformer_list]
        y = np.asarray(labels)

        def features_of_fold(train_rows: np.ndarray, test_rows: np.ndarray) -> tuple[Any, Any]:
            return fold_features(blocks, counts, train_rows, test_rows, y, n_terms)

        mapped = with_confidence_map(
            classifier, features_of_fold, labels, groups, train["weights_dtype"], params["data"]["seed"]
        )
        pipeline.steps[-1] = ("clf", mapped)
    return pipeline


def fit_selected_union(union: FeatureUnion, texts: list[str], labels: list[str], n_terms: int | None) -> Any:
    """Fit every block of `union` in place on the `n_terms` best terms of all blocks (all when None);
    returns the texts' features.

    The features equal `union.transform(texts)`: the classifier is trained on what it will see.
    Memory: one count matrix per block (training.counting), the TF-IDF of all terms only while chi2
    scores them, then only the kept columns.
    """
    counts, terms = count_blocks(union, texts)
    return select_terms(union, counts, terms, labels, n_terms)


def select_terms(
    union: FeatureUnion, counts: list, terms: list, labels: list[str], n_terms: int | None
) -> Any:
    """Fit every block of `union` in place on the `n_terms` best terms (by chi2 over all blocks) of
    `terms`, given the texts' counts of them (`counts` is updated to the kept columns); returns the
    texts' features."""
    blocks = [vectorizer for _, vectorizer in union.transformer_list]
    terms = list(terms)
    if n_terms is not None and n_terms < sum(map(len, terms)):
        started = time.perf_counter()
        tfidf = [
            tfidf_transformer(vectorizer).fit_transform(c)
            for vectorizer, c in zip(blocks, counts, strict=True)
        ]
        kept = top_chi2_columns(side_by_side(tfidf), labels, n_terms)
        del tfidf
        _progress(f"chi2: the best {n_terms:,} of {sum(map(len, terms)):,} terms", started)
        starts = np.cumsum([0, *map(len, terms)])
        for i, (name, _) in enumerate(union.transformer_list):
            block_kept = kept[(kept >= starts[i]) & (kept < starts[i + 1])] - starts[i]
            if len(block_kept) == 0:
                raise ParamsError(
                    f"featurize.select_features={n_terms} keeps no term of the {name!r} block; "
                    "raise it or leave the block out of featurize.analyzer"
                )
            counts[i], terms[i] = counts[i][:, block_kept], terms[i][block_kept]
    return side_by_side(
        [_refit(vectorizer, c, t) for vectorizer, c, t in zip(blocks, counts, terms, strict=True)]
    )


def fold_features(
    blocks: list[TfidfVectorizer],
    counts: list[sparse.csr_matrix],
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    y: np.ndarray,
    n_terms: int | None,
) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """A fold's training and held-out features, as fitting the blocks on the fold's training documents
    alone gives them (select_terms), from the counts of all the documents (`count_blocks`): the terms
    within min_df and max_df of the fold's documents, their idf, the chi2 selection over all blocks,
    each block normalised over its kept terms. Counting once is what makes the held-out folds of
    training.confidence_map cheap.

    Exact when min_df is a number of documents and max_df is 1.0 (the defaults): a term within the
    fold's limits is then within those of all the documents, which `counts` holds. A share of documents
    in either may leave out a few terms the fold alone would keep.
    """
    train_counts = [block_counts[train_rows] for block_counts in counts]
    columns = [
        _within_document_frequency(block, fold_counts)
        for block, fold_counts in zip(blocks, train_counts, strict=True)
    ]
    if n_terms is not None and n_terms < sum(map(len, columns)):
        tfidf = [
            tfidf_transformer(block).fit_transform(fold_counts[:, cols])
            for block, fold_counts, cols in zip(blocks, train_counts, columns, strict=True)
        ]
        kept = top_chi2_columns(side_by_side(tfidf), list(y[train_rows]), n_terms)
        starts = np.cumsum([0, *map(len, columns)])
        columns = [
            cols[kept[(kept >= starts[i]) & (kept < starts[i + 1])] - starts[i]]
            for i, cols in enumerate(columns)
        ]
    train_blocks, test_blocks = [], []
    for block, block_counts, fold_counts, cols in zip(blocks, counts, train_counts, columns, strict=True):
        transformer = tfidf_transformer(block).fit(fold_counts[:, cols])
        train_blocks.append(transformer.transform(fold_counts[:, cols]))
        test_blocks.append(transformer.transform(block_counts[test_rows][:, cols]))
    return side_by_side(train_blocks), side_by_side(test_blocks)


def _within_document_frequency(block: TfidfVectorizer, block_counts: sparse.csr_matrix) -> np.ndarray:
    """The columns whose document frequency lies within the block's min_df and max_df, as scikit-learn
    reads them (a count of documents, or a share of them)."""
    n_documents = block_counts.shape[0]
    frequency = np.bincount(block_counts.indices, minlength=block_counts.shape[1])
    low = block.min_df if isinstance(block.min_df, int) else block.min_df * n_documents
    high = block.max_df if isinstance(block.max_df, int) else block.max_df * n_documents
    return np.flatnonzero((frequency >= low) & (frequency <= high))


def count_blocks(union: FeatureUnion, texts: list[str]) -> tuple[list, list]:
    """Each block's counts of its terms within min_df and max_df, and the terms (training.counting)."""
    counts, terms = [], []
    for name, vectorizer in union.transformer_list:
        started = time.perf_counter()
        block_counts, block_terms = count_terms(
            CountVectorizer(**_shared_params(vectorizer, CountVectorizer)), texts
        )
        counts.append(block_counts)
        terms.append(block_terms)
        _progress(f"{name} terms: {len(block_terms):,} within min_df and max_df", started)
    return counts, terms


def side_by_side(blocks: list) -> sparse.csr_matrix:
    """The blocks' columns side by side, as FeatureUnion puts them; one block is itself (no copy)."""
    return blocks[0] if len(blocks) == 1 else sparse.hstack(blocks).tocsr()


def _refit(vectorizer: TfidfVectorizer, counts, terms: np.ndarray):
    """Fit `vectorizer` in place on `terms`, given the texts' counts of them; returns their features."""
    transformer = tfidf_transformer(vectorizer).fit(counts)
    vectorizer.set_params(vocabulary=terms.tolist())
    vectorizer.idf_ = transformer.idf_
    return transformer.transform(counts)


def top_chi2_columns(features, labels: list[str], n_terms: int) -> np.ndarray:
    """Indices (ascending, so the terms keep their order) of the `n_terms` highest chi2 scores.

    A term present in no training document of any class scores NaN in chi2; it counts as no evidence.
    Ties are broken by column order, so the selection is deterministic.
    """
    scores = np.nan_to_num(chi2_scores(features, labels), nan=0.0)
    best = np.argsort(-scores, kind="stable")[:n_terms]
    return np.sort(best)


def chi2_scores(features, labels: list[str]) -> np.ndarray:
    """`chi2(features, labels)[0]`, computed a block of columns at a time: the same numbers.

    chi2 holds several dense (classes x terms) arrays at once: with 50 classes and the millions of terms
    of a million documents, gigabytes. A term's score depends on its own column only (each sum runs over
    the documents in the same order whichever other columns are there), so blocks of columns give the
    very same scores in a bounded amount of memory.
    """
    width = max(1, CHI2_BLOCK_CELLS // max(len(set(labels)), 2))
    columns = features.shape[1]
    return np.concatenate(
        [chi2(features[:, start : start + width], labels)[0] for start in range(0, columns, width)]
    )


def _progress(step: str, started: float) -> None:
    """Print a step of fitting with its seconds: on a large corpus each takes minutes."""
    print(f"  {step} in {time.perf_counter() - started:.1f} s", flush=True)


def _shared_params(vectorizer: TfidfVectorizer, cls: type) -> dict[str, Any]:
    """The settings of `vectorizer` that `cls` also has."""
    accepted = cls().get_params()
    return {name: value for name, value in vectorizer.get_params().items() if name in accepted}


def tfidf_transformer(vectorizer: TfidfVectorizer) -> TfidfTransformer:
    return TfidfTransformer(**_shared_params(vectorizer, TfidfTransformer))
