"""A train/test split of labelled texts: what every data source gives training, evaluation and tuning.

Its own module so that the sources (training/sources/) and the code that consumes a split can both
import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from training.data_files import EMPTY_TEXTS, OVER_MAX_CHARS


def _nothing_dropped() -> dict[str, int]:
    return {EMPTY_TEXTS: 0, OVER_MAX_CHARS: 0}


@dataclass(frozen=True)
class Dataset:
    """A train/test split of labelled texts; `stripped_test_*` is 20NG's test split without metadata.

    `train_posting_order` ranks the training documents by posting time when the source knows it (20NG's
    article numbers), so that model selection can validate on later documents, as the test split does.
    `train_groups` names each training document's group when the source knows one (20NG's threads):
    documents of one group are held out together when the confidence map is fitted
    (training.confidence_map).
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
    train_groups: list[str] | None = None
    dropped: dict[str, int] = field(default_factory=_nothing_dropped)

    @property
    def labels(self) -> list[str]:
        return sorted(set(self.train_labels) | set(self.test_labels))
