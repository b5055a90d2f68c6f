"""Small generated corpora and params for fast tests: each label has its own words, all share some."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
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


# Writers of (text, label) examples in every format a user's data can have (training.data_files).


def write_delimited(path, examples, delimiter=",", bom=False, extra=None):
    """CSV/TSV with an id column and text last (readers find columns by name); `extra` fills a raw column."""
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerow(["id", "label", "text"] + (["raw"] if extra is not None else []))
        for number, (text, label) in enumerate(examples):
            writer.writerow([number, label, text] + ([extra] if extra is not None else []))
    return path


def write_jsonl(path, examples, bom=False):
    lines = [json.dumps({"label": label, "text": text}, ensure_ascii=False) for text, label in examples]
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_parquet(path, examples, columns=("text", "label")):
    table = {"text": [text for text, _ in examples], "label": [label for _, label in examples]}
    pq.write_table(pa.table({name: table[name] for name in columns}), path)
    return path


def write_folder(folder, examples):
    for number, (text, label) in enumerate(examples):
        (folder / label).mkdir(parents=True, exist_ok=True)
        (folder / label / f"{number}.txt").write_text(text, encoding="utf-8")
    return folder


WRITERS = {
    ".csv": write_delimited,
    ".tsv": lambda path, examples: write_delimited(path, examples, delimiter="\t"),
    ".jsonl": write_jsonl,
    ".ndjson": write_jsonl,
    ".parquet": write_parquet,
    "": write_folder,
}
# One name per format, for parametrized tests: a file name, or a folder's.
FORMAT_NAMES = ["data.csv", "data.tsv", "data.jsonl", "data.ndjson", "data.parquet", "folder"]


def write_any(path, examples):
    """`examples` in the format the path's suffix names (none: a folder with one sub-folder per label)."""
    return WRITERS[path.suffix](path, examples)


# The multinomial logistic regression at the C it scored best with: what the tests of its own recipe
# (softmax of the weights, the solver, rounding) train, whatever params.yaml's default classifier is.
LOGISTIC_REGRESSION = {"estimator": "logistic_regression", "C": 100.0}


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
