"""What is wrong or risky with the loaded data, found before fitting: printed by training, kept in metrics.

Users bring their own labelled texts, and the usual faults of such data do not stop training; they only
make the model worse, or its test accuracy a flattering estimate. Four checks, each one finding:

- texts in both splits: test documents whose text, ignoring case and whitespace, is also a training
  document. Test accuracy counts them as new texts, so it overstates the model; and a copy that carries
  another label in the other split means at least one of the two labels is wrong.
- class imbalance: the largest label's training documents over the smallest's. An unweighted logistic
  regression leans towards the large labels; `train.class_weight: balanced` weighs every label equally.
- labels too small: labels with too few training documents to learn from or to cross-validate.
- documents dropped while loading: empty texts, and texts longer than serving accepts (serving refuses
  them, so training leaves them out too); the loader counts them in `Dataset.dropped`.

`check_dataset` computes the figures: numbers only, in a fixed key order, the `data_checks` section of
metrics.json (so `dvc metrics diff` compares them and the file's bytes depend on the data alone), plus a
few example texts for the printout. `findings` turns the figures into one sentence per check, a warning
or not, for training's printout and the pull-request report alike. The checks never stop training.
"""

from __future__ import annotations

import collections
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from training.data_files import EMPTY_TEXTS, OVER_MAX_CHARS
from training.dataset import Dataset
from training.params import BALANCED
from training.rounding import rounded

IMBALANCE_WARNING_RATIO = 10.0
"""Above this largest/smallest ratio of training documents per label, warn. Beyond about 10 to 1 an
unweighted fit typically gives up the small labels' recall for the large labels' accuracy (a common
threshold for "severe" imbalance); below it, the effect is small next to the data's own noise."""

MIN_LABEL_DOCUMENTS = 5
"""Labels with fewer training documents are named in a warning. A handful of texts gives a label weights
that rest on chance words, and k-fold cross-validation (scikit-learn's default k is 5; `make tune` uses
3) cannot put one of its documents in every fold. Labels with fewer than 2 documents in all are already
an error when the data is split (training.data_sources.check_splittable)."""

EXAMPLES_SHOWN = 3
"""How many texts found in both splits the printout shows, so the user can find them in the data."""

EXAMPLE_CHARS = 60
"""How much of each example text is shown: enough to search for it, short enough for one line."""


@dataclass(frozen=True)
class DataChecks:
    """`figures`: metrics.json's `data_checks` section; `examples`: texts in both splits, for the printout."""

    figures: dict[str, Any]
    examples: list[str]


@dataclass(frozen=True)
class Finding:
    """One check's outcome as a sentence; `warning` when the user should act on it."""

    warning: bool
    text: str


def check_dataset(dataset: Dataset) -> DataChecks:
    """Run every check on the loaded split; reads each text once and keeps hashes, not copies."""
    overlap = _train_test_overlap(dataset)
    per_label = _documents_per_label(dataset.train_labels, dataset.labels)
    present = [count for count in per_label.values() if count > 0]
    figures = {
        "train_test_duplicates": overlap.count,
        "train_test_duplicate_share": overlap.count / len(dataset.test_texts) if dataset.test_texts else 0.0,
        "train_test_label_conflicts": overlap.conflicts,
        "imbalance_ratio": max(present) / min(present),
        "small_labels": sum(count < MIN_LABEL_DOCUMENTS for count in per_label.values()),
        "dropped_empty_texts": dataset.dropped.get(EMPTY_TEXTS, 0),
        "dropped_over_max_chars": dataset.dropped.get(OVER_MAX_CHARS, 0),
        "train_documents_per_label": per_label,
    }
    return DataChecks(rounded(figures), overlap.examples)


def normalised(text: str) -> str:
    """The text as the duplicate check compares it: runs of Unicode whitespace made one space, stripped,
    and case-folded (so "Hello  World" and "hello world\\n" are the same text; "hello world!" is not)."""
    return " ".join(text.split()).casefold()


def text_digest(text: str) -> bytes:
    """A 16-byte BLAKE2b digest of the normalised text: keeping digests, not a second copy of every text,
    keeps the check's memory small for large datasets; a collision is out of practical reach."""
    # surrogatepass: a JSON file may hold a lone surrogate escape; it still has to hash, not crash.
    data = normalised(text).encode("utf-8", errors="surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(frozen=True)
class _Overlap:
    count: int
    conflicts: int
    examples: list[str]


def _train_test_overlap(dataset: Dataset) -> _Overlap:
    """Test documents whose normalised text is also in training, and how many carry another label there.

    A test document conflicts when any training copy of its text has a label other than its own.
    """
    first_label: dict[bytes, str] = {}
    mixed: set[bytes] = set()  # texts that training itself has under more than one label
    for text, label in zip(dataset.train_texts, dataset.train_labels, strict=True):
        digest = text_digest(text)
        if first_label.setdefault(digest, label) != label:
            mixed.add(digest)
    count = conflicts = 0
    examples = []
    for text, label in zip(dataset.test_texts, dataset.test_labels, strict=True):
        digest = text_digest(text)
        if digest not in first_label:
            continue
        count += 1
        conflict = digest in mixed or first_label[digest] != label
        conflicts += conflict
        if len(examples) < EXAMPLES_SHOWN:
            examples.append(_example(text, label, first_label[digest] if conflict else None))
    return _Overlap(count, conflicts, examples)


def _example(text: str, label: str, training_label: str | None) -> str:
    shown = " ".join(text.split())
    if len(shown) > EXAMPLE_CHARS:
        shown = shown[:EXAMPLE_CHARS].rstrip() + "..."
    labels = label if training_label is None else f"{label} (in training: {training_label})"
    return f'{labels}: "{shown}"'


def _documents_per_label(train_labels: Iterable[str], labels: list[str]) -> dict[str, int]:
    """Training documents of every label (0 for a label only the test split has), in label order."""
    counts = collections.Counter(train_labels)
    return {label: counts[label] for label in sorted(labels)}


# --- the findings, as sentences ---------------------------------------------------------------------------


def findings(figures: dict[str, Any], class_weight: str | None = None) -> list[Finding]:
    """One finding per check, from metrics.json's figures alone, so the printout and the report agree.

    `class_weight` is train.class_weight: when it is already balanced, imbalance needs no action.
    """
    return [
        _duplicates_finding(figures),
        _imbalance_finding(figures["train_documents_per_label"], figures["imbalance_ratio"], class_weight),
        _small_labels_finding(figures["train_documents_per_label"]),
        _dropped_finding(figures["dropped_empty_texts"], figures["dropped_over_max_chars"]),
    ]


def _duplicates_finding(figures: dict[str, Any]) -> Finding:
    count, conflicts = figures["train_test_duplicates"], figures["train_test_label_conflicts"]
    if count == 0:
        return Finding(False, "no test text also appears in training (compared ignoring case and whitespace)")
    share = figures["train_test_duplicate_share"]
    verb = "appears" if count == 1 else "appear"
    text = f"{_count(count, 'test text')} ({share * 100:.2f} % of the test split) also {verb} in training"
    if conflicts:
        text += f", {conflicts} of them with another label there (at least one of the two labels is wrong)"
    text += (
        ": test accuracy counts them as new texts and so overstates the model; "
        "remove the copies from one split"
    )
    return Finding(True, text)


def _imbalance_finding(per_label: dict[str, int], ratio: float, class_weight: str | None) -> Finding:
    present = {label: count for label, count in per_label.items() if count > 0}
    # Ties go to the first label in sorted order: min and max keep the first of equal items.
    smallest, largest = min(present, key=present.get), max(present, key=present.get)
    spread = (
        f"training documents per label range from {present[smallest]:,} ({smallest}) to "
        f"{present[largest]:,} ({largest}), a ratio of {ratio:.1f}"
    )
    if ratio <= IMBALANCE_WARNING_RATIO:
        return Finding(False, spread)
    if class_weight == BALANCED:
        return Finding(False, f"{spread}; train.class_weight: balanced weighs every label equally")
    return Finding(
        True,
        f"{spread}, above {IMBALANCE_WARNING_RATIO:.0f}: the model will favour the large labels; set "
        f"train.class_weight: balanced in params.yaml to weigh every label equally",
    )


def _small_labels_finding(per_label: dict[str, int]) -> Finding:
    small = {label: count for label, count in per_label.items() if count < MIN_LABEL_DOCUMENTS}
    if not small:
        return Finding(False, f"every label has at least {MIN_LABEL_DOCUMENTS} training documents")
    named = ", ".join(f"{label} ({count})" for label, count in small.items())
    return Finding(
        True,
        f"{_count(len(small), 'label')} with fewer than {MIN_LABEL_DOCUMENTS} training documents: {named}: "
        f"too few to learn from or cross-validate; add documents or merge them into a broader label",
    )


def _dropped_finding(empty: int, too_long: int) -> Finding:
    if empty == 0 and too_long == 0:
        return Finding(False, "no document was dropped while loading")
    return Finding(
        True,
        f"{_count(empty + too_long, 'document')} dropped while loading: {_count(empty, 'empty text')}, "
        f"{_count(too_long, 'text')} longer than serving accepts; neither trained nor tested on, fix or "
        f"remove them in the data",
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def printed_lines(checks: DataChecks, class_weight: str | None = None) -> list[str]:
    """Training's printout: one line per finding, warnings marked `warning:`; under the first finding
    (texts in both splits), a few of those texts, so the user can find them in the data."""
    lines = [
        f"{'warning' if finding.warning else 'data check'}: {finding.text}"
        for finding in findings(checks.figures, class_weight)
    ]
    lines[1:1] = [f"  e.g. {example}" for example in checks.examples]
    return lines
