"""Small generated corpora and params for fast tests: each label has its own words, all share some."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import yaml

from training import REPO_ROOT

TOPIC_WORDS = {
    "cooking": ["oven", "recipe", "garlic", "simmer", "flour", "butter", "roast", "spice"],
    "sailing": ["boat", "wind", "harbour", "sail", "keel", "anchor", "tide", "crew"],
    "astronomy": ["star", "orbit", "telescope", "galaxy", "comet", "planet", "nebula", "moon"],
}
SHARED_WORDS = ["the", "a", "and", "today", "very", "we", "saw", "new", "great", "long"]


def make_corpus(per_label: int = 20, labels: list[str] | None = None, seed: int = 0) -> tuple[list, list]:
    """Texts mixing a label's words with shared words, so the task is learnable but not trivial."""
    rng = random.Random(seed)
    labels = labels or list(TOPIC_WORDS)
    texts, targets = [], []
    for label in labels:
        for _ in range(per_label):
            words = rng.choices(TOPIC_WORDS[label], k=4) + rng.choices(SHARED_WORDS, k=6)
            rng.shuffle(words)
            texts.append(" ".join(words).capitalize() + ".")
            targets.append(label)
    return texts, targets


def write_csv(path: Path, texts: list[str], labels: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "label"])
        writer.writerows(zip(texts, labels, strict=True))
    return path


def repo_params() -> dict:
    """The repository's params.yaml as plain YAML (unvalidated), for tests to copy and modify."""
    return yaml.safe_load((REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))


def write_params(path: Path, **sections: dict) -> Path:
    """The repository's params with the given per-section overrides, written to `path`."""
    params = repo_params()
    for section, values in sections.items():
        params[section] |= values
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path
