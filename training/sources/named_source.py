"""What a data source known by name (`data.source: NAME` in params.yaml) gives training.

A source either reads all of its labelled examples (`examples`), which training splits with
`data.test_size` and `data.seed` or, beside a fixed `data.test_source`, trains on whole; or it has a
published train/test split (`official_split`), used as published so that results compare with others'.
`fingerprint` says what identifies its data besides the name (a file's content hash, or the version of the
package that ships it, training.data_identity), so that DVC retrains when the data changes;
`repository_files` names the files in the repository it reads its data from, if any (a DVC-tracked copy:
the train workflow retrains when their `.dvc` pointer changes, training.fingerprint.input_paths). A
corpus shipped in a package has none: uv.lock pins it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.data_files import Examples
from training.dataset import Dataset


@dataclass(frozen=True)
class NamedSource:
    """A corpus training knows by name: exactly one of `examples` and `official_split` is given."""

    name: str
    fingerprint: Callable[[], dict[str, Any]]
    examples: Callable[[], Examples] | None = None
    official_split: Callable[[], Dataset] | None = None
    repository_files: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        if (self.examples is None) == (self.official_split is None):
            raise TypeError(f"source {self.name!r}: give exactly one of examples and official_split")
