"""Labelled texts, chosen by `data.source` in params.yaml, returned as a train/test split.

`data.source` is either the name of a source in the registry (training/sources/, one module each) or a
path: the user's CSV, TSV, JSONL or Parquet file, or a folder with one sub-folder per label, read and
checked by training.data_files. Relative paths are taken from the current directory (the repository root
under make and dvc).

Sources without an official split get a stratified, seeded hold-out split (data.test_size, data.seed), so
every label is in both halves and reruns give the same split; unless `data.test_source` names a fixed
test set (a path, in any of the formats above): then all of `data.source` is the training split.

`data.extra_sources` lists corrected `make relabel` exports (training.relabel_file): their examples are
appended to the training split only, after the split is made, so the test split, and the accuracy
measured on it, stay the same as without them.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

from training.data_files import (
    EMPTY_TEXTS,
    OVER_MAX_CHARS,
    DataError,
    Examples,
    check_file_type,
    read_examples,
    supported_formats,
)
from training.dataset import Dataset
from training.relabel_file import read_relabel_file
from training.sources import REGISTRY, named_source, source_names


def load_dataset(
    source: str,
    test_size: float,
    seed: int,
    test_source: str | None = None,
    extra_sources: Sequence[str] = (),
) -> Dataset:
    """Load the named source or the user's file/folder and split it (or test on `test_source`), then
    append the examples of `extra_sources` to the training split."""
    return with_extra_sources(_load_split(source, test_size, seed, test_source), extra_sources)


def _load_split(source: str, test_size: float, seed: int, test_source: str | None) -> Dataset:
    if test_source is not None:
        return load_with_test_source(source, test_source)
    named = named_source(source)
    if named is not None and named.official_split is not None:
        return named.official_split()
    examples, origin = read_source(source)
    return split_dataset(source, examples, test_size, seed, origin=origin)


# The group of the i-th example of data.extra_sources (a prefix no 20 Newsgroups subject starts with).
EXTRA_GROUP_PREFIX = "\x00extra:"


def with_extra_sources(dataset: Dataset, extra_sources: Sequence[str]) -> Dataset:
    """`dataset` with each corrected relabel export's examples appended to its training split, never to
    its test split; their labels must be classes of the training split.

    They come last in posting order, where the source knows one: captured texts are newer than any
    document of the data they were served by.
    """
    if not extra_sources:
        return dataset
    allowed = set(dataset.train_labels)
    texts, labels = list(dataset.train_texts), list(dataset.train_labels)
    for source in extra_sources:
        extra = read_relabel_file(resolve_path(source, key="data.extra_sources"), allowed)
        texts += extra.texts
        labels += extra.labels
    order, groups = dataset.train_posting_order, dataset.train_groups
    added = len(texts) - len(dataset.train_texts)
    if order is not None:
        newest = max(order, default=0)
        order = [*order, *range(newest + 1, newest + 1 + added)]
    if groups is not None:  # each example a group of its own
        groups = [*groups, *(f"{EXTRA_GROUP_PREFIX}{i}" for i in range(added))]
    return dataclasses.replace(
        dataset, train_texts=texts, train_labels=labels, train_posting_order=order, train_groups=groups
    )


def read_source(source: str) -> tuple[Examples, str]:
    """All examples of a named source without an official split, or of the user's path; and the name
    errors give them."""
    named = named_source(source)
    if named is not None and named.examples is not None:
        return named.examples(), source
    path = resolve_path(source)
    return read_examples(path), str(path)


# --- A user's file or folder, and a fixed test set -------------------------------------------------------


def resolve_path(source: str, key: str = "data.source") -> Path:
    """The user's data path, absolute; a missing path is reported with the ways data can be given."""
    path = Path(source).expanduser().resolve()
    if not path.exists():
        ways = (
            f"a path to a {supported_formats()} file with text,label fields or a folder with one "
            f"sub-folder per label"
        )
        if key == "data.source":
            ways = f"{', '.join(source_names())}, or {ways}"
        if key == "data.extra_sources":
            ways = "the path of a corrected `make relabel` export (.csv), tracked with `dvc add`"
        raise DataError(f"{path}: no such file or folder ({key}={source!r}). Use {ways}.")
    check_file_type(path)
    return path


def load_with_test_source(source: str, test_source: str) -> Dataset:
    """All of `source` to train on and all of `test_source` to test on: a fixed evaluation set."""
    named = named_source(source)
    if named is not None and named.official_split is not None:
        splittable = " or ".join(other.name for other in REGISTRY if other.examples is not None)
        raise DataError(
            f"data.test_source={test_source!r}: {source} has its own official test split; set "
            f"data.test_source to null, or use it with {splittable} or your own data"
        )
    train, origin = read_source(source)
    check_labels(origin, train)
    test_path = resolve_path(test_source, key="data.test_source")
    test = read_examples(test_path)
    if not test.texts:
        raise DataError(f"{test_path}: no examples to test on{_dropped_note(test.dropped)}")
    unseen = [label for label in test.first_seen if label not in train.first_seen]
    if unseen:
        others = f" (also unseen: {', '.join(repr(label) for label in unseen[1:])})" if unseen[1:] else ""
        raise DataError(
            f"{test_path}: {test.first_seen[unseen[0]]}: label {unseen[0]!r} never occurs in the training "
            f"data ({origin}), so the model cannot predict it{others}; add examples of it to the training "
            f"data, or remove it from the test data"
        )
    dropped = {key: train.dropped[key] + test.dropped[key] for key in train.dropped}
    return Dataset(source, train.texts, train.labels, test.texts, test.labels, dropped=dropped)


# --- Splitting ------------------------------------------------------------------------------------------


def split_dataset(
    source: str, examples: Examples, test_size: float, seed: int, origin: str | None = None
) -> Dataset:
    """Stratified, seeded hold-out split, after checking every label can appear on both sides."""
    check_splittable(origin or source, examples, test_size)
    from sklearn.model_selection import train_test_split

    train_texts, test_texts, train_labels, test_labels = train_test_split(
        examples.texts, examples.labels, test_size=test_size, random_state=seed, stratify=examples.labels
    )
    return Dataset(
        source,
        list(train_texts),
        list(train_labels),
        list(test_texts),
        list(test_labels),
        dropped=dict(examples.dropped),
    )


def check_labels(origin: str, examples: Examples) -> collections.Counter:
    """Raise DataError unless there are examples of at least two labels; returns the label counts."""
    if not examples.texts:
        raise DataError(f"{origin}: no examples to train on{_dropped_note(examples.dropped)}")
    counts = collections.Counter(examples.labels)
    if len(counts) < 2:
        found = ", ".join(repr(label) for label in counts)
        raise DataError(f"{origin}: found {len(counts)} distinct label(s) ({found}); a classifier needs 2+")
    return counts


def check_splittable(origin: str, examples: Examples, test_size: float) -> None:
    """Raise DataError when a stratified split (or a classifier) cannot be made from these labels."""
    counts = check_labels(origin, examples)
    for label, count in sorted(counts.items()):
        if count < 2:
            raise DataError(
                f"{origin}: {examples.first_seen[label]}: label {label!r} has only {count} example; each "
                f"label needs at least 2 (one to train on, one to test), or set data.test_source"
            )
    n_test = math.ceil(test_size * len(examples.labels))
    n_train = len(examples.labels) - n_test
    if min(n_test, n_train) < len(counts):
        raise DataError(
            f"{origin}: {len(examples.labels)} documents with {len(counts)} labels cannot be split with "
            f"data.test_size={test_size} ({n_train} train / {n_test} test, each side needs one document "
            f"per label); add documents or change data.test_size"
        )


def _dropped_note(dropped: dict[str, int]) -> str:
    """Why a file that has rows can still have no examples."""
    if not any(dropped.values()):
        return ""
    return (
        f" ({dropped[EMPTY_TEXTS]} blank texts and {dropped[OVER_MAX_CHARS]} texts longer than serving "
        f"accepts were left out)"
    )
