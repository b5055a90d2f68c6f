"""scikit-learn's 20 Newsgroups "bydate" corpus, with its official train/test split, headers kept.

It is read as published: its official split is the benchmark the model is compared on (the system this
project replaces reported its accuracy on it, headers kept). The data file is the DVC-tracked copy in
training/data/, else scikit-learn's cache, else a download (training.newsgroups says why and how).
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

from training import newsgroups
from training.data_files import DataError
from training.data_identity import file_identity
from training.dataset import Dataset
from training.sources.named_source import NamedSource

NAME = "20newsgroups"
# A blocked network must fail within seconds, not hang: urllib has no timeout of its own.
DOWNLOAD_TIMEOUT_SECONDS = 10


def load_twenty_newsgroups() -> Dataset:
    """Official bydate split with headers kept, plus the test split stripped of headers/footers/quotes.

    The stripped test set measures how much the model leans on metadata (e.g. e-mail addresses).
    """
    train = _fetch("train", remove=())
    test = _fetch("test", remove=())
    stripped = _fetch("test", remove=("headers", "footers", "quotes"))
    return Dataset(
        source=NAME,
        train_texts=list(train.data),
        train_labels=_label_names(train),
        test_texts=list(test.data),
        test_labels=_label_names(test),
        stripped_test_texts=list(stripped.data),
        stripped_test_labels=_label_names(stripped),
        train_posting_order=_article_numbers(train),
        train_groups=[thread(text) for text in train.data],
    )


def twenty_newsgroups_available() -> bool:
    """True when 20NG is on this machine (DVC-tracked copy or scikit-learn's cache): no download needed."""
    return newsgroups.local_copy() is not None


def _fingerprint() -> dict:
    """The content hash of the file that is read (downloaded first when it is nowhere on this machine)."""
    path = newsgroups.local_copy()
    if path is None:
        load_twenty_newsgroups()
        path = newsgroups.scikit_learn_cache()
    return file_identity(path)


def _fetch(subset: str, remove: tuple[str, ...]):
    from sklearn.datasets import fetch_20newsgroups

    data_home = newsgroups.data_home()
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_SECONDS)
    try:
        return fetch_20newsgroups(data_home=data_home, subset=subset, remove=remove, n_retries=1, delay=1.0)
    except OSError as exc:
        raise DataError(
            f"{NAME}: not in {newsgroups.TRACKED_FILE} nor in scikit-learn's cache "
            f"({newsgroups.scikit_learn_cache()}), and the download failed ({exc}). Provide the data in one "
            f"of these ways: make fetch-newsgroups (pulls the pinned copy from the DVC remote); set "
            f"SCIKIT_LEARN_DATA to a folder holding {newsgroups.FILE_NAME}; allow network access once so "
            f"scikit-learn can download and cache it; or train on another source: {_other_sources()}."
        ) from exc
    finally:
        socket.setdefaulttimeout(previous_timeout)


def _other_sources() -> str:
    """How to pick another source, named from the registry (imported here: it imports this module)."""
    from training.sources import source_names

    others = " or ".join(f"--data {name}" for name in source_names() if name != NAME)
    return f"{others}, or data.source in params.yaml (make train DATA=<one of them> or DATA=path/to/your.csv)"


def _label_names(bunch) -> list[str]:
    return [bunch.target_names[i] for i in bunch.target]


def thread(text: str) -> str:
    """A message's thread: its Subject header without reply and forward prefixes ("Re: Re[2]: Fwd:"),
    spaces collapsed, lowercased. The test split was posted months after the training split and mostly
    starts new threads, so held-out folds keep a thread's messages together (training.confidence_map)."""
    match = _SUBJECT.search(text)
    subject = _REPLY_PREFIXES.sub("", match.group(1)) if match else ""
    return " ".join(subject.split()).lower()


_SUBJECT = re.compile(r"^Subject:(.*)$", re.MULTILINE | re.IGNORECASE)
_REPLY_PREFIXES = re.compile(r"^\s*(?:(?:re|fwd?|was)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def _article_numbers(bunch) -> list[int]:
    """Each document's article number (its file name), which grows with posting time in a newsgroup."""
    return [int(Path(name).name) for name in bunch.filenames]


SOURCE = NamedSource(
    name=NAME,
    fingerprint=_fingerprint,
    official_split=load_twenty_newsgroups,
    repository_files=(newsgroups.TRACKED_FILE,),
)
