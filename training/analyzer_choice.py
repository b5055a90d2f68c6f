"""`featurize.analyzer: auto`: the analyzer that scores best on the team's own training texts.

Which features generalise depends on the corpus, not on its language alone. Words suit long texts in
languages that put spaces between words (20 Newsgroups, BBC News). They fail on very short texts (names,
product codes, part numbers, queries) and on words of morphology-rich languages, where an unseen string
shares characters with the training data but no whole word: there character n-grams within words
(`char_wb`) score far higher (0.90 against 0.57 on a corpus of one-token texts), and on scripts written
without spaces (Chinese, Japanese, Thai) a whole clause is one "word" that almost never recurs.

So `auto` measures. On the training split only, it compares CANDIDATES by FOLDS-fold cross-validated
accuracy on a capped, seeded sample (SAMPLE_TEXTS texts, their first SAMPLE_CHARS characters), with the
featurize settings of params.yaml and a ridge classifier, which ranks feature sets as the logistic
regression does at a fraction of its cost. Each candidate's idf is fitted on the whole sample (no labels
are involved), so the word and character blocks are computed once and `word+char_wb` reuses them.

Characters cost every request: featurizing a text takes about 14 times longer with `char_wb` than with
words alone, and training about 5 times longer (docs/training.md). A costlier candidate (later in
CANDIDATES) is chosen only when it beats every cheaper one by more than MARGIN of accuracy on this
quick measure, which exaggerates the gain of the full model: on 20 Newsgroups `word+char_wb` measures
+0.011 here and gains +0.007 on the test split, so `auto` keeps words there; on one-token texts
characters measure +0.4 and on Chinese reviews +0.2. The comparison is deterministic (seeded sample
and folds, pinned numerics in the train stage), so a fresh clone chooses the same and trains the same
bytes. A fixed `featurize.analyzer` skips it; `make tune` compares the choices on the full pipeline.

Characters also cost training memory: every character n-gram of every text is counted before chi2
keeps the best. On 20 Newsgroups (22 million characters) `word+char_wb` peaks at 2.7 GB, where words
alone stay under 1 GB; a million documents of 300 characters ran out of 23 GB. So beyond
MAX_CHARACTERS_FOR_CHARACTER_NGRAMS characters of training text `auto` keeps words without measuring,
and says so (docs/training-at-scale.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB

from serving.app.contracts.linear_tfidf import CHAR_WB_ANALYZER, WORD_ANALYZER

AUTO = "auto"
# Cheapest first: a later candidate must beat every earlier one by more than MARGIN.
CANDIDATES = (WORD_ANALYZER, CHAR_WB_ANALYZER, f"{WORD_ANALYZER}+{CHAR_WB_ANALYZER}")
MARGIN = 0.02
SAMPLE_TEXTS = 1500
SAMPLE_CHARS = 1000
FOLDS = 3
# Below this many texts (or with a label that has fewer than FOLDS of them) there is nothing to measure
# reliably: auto then means words, the cheapest.
MIN_TEXTS = 30
NB_ALPHA = 0.3
# Training texts with more characters than this keep words: counting their character n-grams would
# take more than training's 8 GB budget (about 3 GB per 25 million characters, measured above).
MAX_CHARACTERS_FOR_CHARACTER_NGRAMS = 50_000_000


@dataclass(frozen=True)
class AnalyzerChoice:
    """What `auto` chose, the cross-validated accuracy of each candidate, and why."""

    analyzer: str
    scores: dict[str, float]
    sample_size: int
    seconds: float
    reason: str

    def summary(self) -> dict[str, Any]:
        """The reproducible part, for metrics (no timing: it differs from run to run)."""
        return {
            "analyzer": self.analyzer,
            "cv_accuracy": dict(self.scores),
            "sample_texts": self.sample_size,
            "folds": FOLDS,
        }

    def describe(self) -> str:
        scores = ", ".join(f"{name} {score:.4f}" for name, score in self.scores.items()) or "not measured"
        return (
            f"featurize.analyzer auto: {self.analyzer} ({self.reason}; {FOLDS}-fold accuracy on "
            f"{self.sample_size:,} training texts: {scores}; {self.seconds:.1f} s)"
        )


def choose_analyzer(
    texts: list[str], labels: list[str], featurize: dict[str, Any], seed: int
) -> AnalyzerChoice:
    """Measure CANDIDATES on a sample of the training split and pick by MARGIN (see the module doc)."""
    started = time.perf_counter()
    characters = sum(map(len, texts))
    if characters > MAX_CHARACTERS_FOR_CHARACTER_NGRAMS:
        limit = MAX_CHARACTERS_FOR_CHARACTER_NGRAMS
        reason = (
            f"{characters:,} characters of training text, more than the {limit:,} within which character "
            "n-grams fit training's memory; name an analyzer in featurize.analyzer to use them anyway"
        )
        return AnalyzerChoice(WORD_ANALYZER, {}, 0, time.perf_counter() - started, reason)
    sample_texts, sample_labels = _sample(texts, labels, seed)
    if not _measurable(sample_labels):
        reason = f"too few texts per label to measure (at least {FOLDS} each and {MIN_TEXTS} in all)"
        return AnalyzerChoice(WORD_ANALYZER, {}, len(sample_texts), time.perf_counter() - started, reason)
    blocks = {
        analyzer: _block(analyzer, featurize, sample_texts) for analyzer in (WORD_ANALYZER, CHAR_WB_ANALYZER)
    }
    folds = list(StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(sample_texts, sample_labels))
    y = np.asarray(sample_labels)
    scores = {candidate: round(_cv_accuracy(candidate, blocks, y, folds), 4) for candidate in CANDIDATES}
    analyzer, reason = _pick(scores)
    return AnalyzerChoice(analyzer, scores, len(sample_texts), time.perf_counter() - started, reason)


def resolve_analyzer(
    params: dict[str, dict[str, Any]], texts: list[str], labels: list[str]
) -> dict[str, dict[str, Any]]:
    """`params` with `featurize.analyzer: auto` replaced by its choice for these texts (others unchanged)."""
    if params["featurize"]["analyzer"] != AUTO:
        return params
    choice = choose_analyzer(texts, labels, params["featurize"], params["data"]["seed"])
    return with_analyzer(params, choice.analyzer)


def with_analyzer(params: dict[str, dict[str, Any]], analyzer: str) -> dict[str, dict[str, Any]]:
    return {**params, "featurize": {**params["featurize"], "analyzer": analyzer}}


def _pick(scores: dict[str, float]) -> tuple[str, str]:
    """The cheapest candidate unless a costlier one beats all cheaper ones by more than MARGIN."""
    chosen = CANDIDATES[0]
    for candidate in CANDIDATES[1:]:
        if scores[candidate] > scores[chosen] + MARGIN:
            chosen = candidate
    if chosen == CANDIDATES[0]:
        return chosen, f"no costlier analyzer beats it by more than {MARGIN}"
    return chosen, f"it beats every cheaper analyzer by more than {MARGIN}"


def _sample(texts: list[str], labels: list[str], seed: int) -> tuple[list[str], list[str]]:
    """Up to SAMPLE_TEXTS texts chosen by a seeded permutation, each cut to SAMPLE_CHARS characters."""
    order = np.random.default_rng(seed).permutation(len(texts))[:SAMPLE_TEXTS]
    order.sort()
    return [texts[i][:SAMPLE_CHARS] for i in order], [labels[i] for i in order]


def _measurable(labels: list[str]) -> bool:
    _, counts = np.unique(np.asarray(labels, dtype=object), return_counts=True)
    return len(labels) >= MIN_TEXTS and len(counts) >= 2 and int(counts.min()) >= FOLDS


def _block(analyzer: str, featurize: dict[str, Any], texts: list[str]) -> Any:
    """The sample's TF-IDF features for one block, or None when min_df/max_df leave it no term."""
    from training.pipeline import block_vectorizer  # here: training.pipeline imports this module

    try:
        return block_vectorizer(analyzer, featurize).fit_transform(texts)
    except ValueError:  # scikit-learn: "After pruning, no terms remain" / "empty vocabulary"
        return None


def _cv_accuracy(
    candidate: str, blocks: dict[str, Any], y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]]
) -> float:
    """Cross-validated accuracy of a candidate's features: its blocks side by side, each normalised on
    its own as FeatureUnion computes them; 0 when a block has no term on this sample."""
    parts = [blocks[name] for name in candidate.split("+")]
    if any(part is None for part in parts):
        return 0.0
    features = sparse.hstack(parts, format="csr")
    correct = 0
    for train, test in folds:
        classifier = ComplementNB(alpha=NB_ALPHA)
        classifier.fit(features[train], y[train])
        correct += int((classifier.predict(features[test]) == y[test]).sum())
    return correct / len(y)
