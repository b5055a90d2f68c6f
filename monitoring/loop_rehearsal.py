"""`make rehearse-loop`: the whole monitoring loop, offline, on a shift with a name: articles to headlines.

A team trains on BBC News articles; then a new client sends only headlines. The rehearsal plays it out
with the project's own commands, nothing replaced:

1. data: BBC News, shuffled (SEED). The first TRAIN_ARTICLES articles, whole, are the training file; the
   others' headlines (their first line) are the traffic. Its first half is served and captured, the
   second half is held back to measure both models on texts neither was trained on.
2. model A: `python -m training` with this repository's params.yaml, `data.source` the articles file.
3. A serves the first half through the local runtime with capture on (CAPTURE_RATE=1), in batches.
4. `python -m monitoring.drift` on those captures against A's baseline: the shift should cross.
5. `python -m monitoring.relabel` exports them; the corpus' own labels stand in for the people who
   would correct the `label` column.
6. model B: the same params with the corrected file in `data.extra_sources`.
7. A (capture off) and B (capture on) answer the held-back half; `monitoring.drift` on B's captures
   against B's baseline.

It prints each step, writes everything under `--workdir` (`rehearsal.json` holds the figures) and, with
`--figures DIR`, copies the two drift figures there (docs/monitoring.md shows them). The e2e test
serving/tests/e2e/test_monitoring_loop.py runs it and asserts what docs/monitoring.md reports.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from local_runtime.child_service import child_service
from local_runtime.client import request_json
from local_runtime.paths import REPO_ROOT
from monitoring.drift_settings import EXIT_CALM, EXIT_DRIFT
from serving.app.contracts import api, capture
from training.relabel_file import COLUMNS
from training.sources.bbc_news import read_articles

SEED = 3
TRAIN_ARTICLES = 600
# Texts per request: the served half goes through the API as a client would send it, a batch at a time.
BATCH = 50
DRIFT_FIGURE = "drift-{model}.svg"
DEFAULT_WORKDIR = Path("monitoring/rehearsal")


def split_corpus(
    seed: int = SEED,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """(training articles, served headlines, held-back headlines), each as (text, label)."""
    examples = read_articles()
    pairs = list(zip(examples.texts, examples.labels, strict=True))
    random.Random(seed).shuffle(pairs)
    articles, rest = pairs[:TRAIN_ARTICLES], pairs[TRAIN_ARTICLES:]
    headlines = [(headline(text), label) for text, label in rest]
    half = len(headlines) // 2
    return articles, headlines[:half], headlines[half:]


def headline(article: str) -> str:
    """A BBC News article's first line is its headline."""
    return article.strip().split("\n", 1)[0].strip()


def write_examples(pairs: Sequence[tuple[str, str]], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["text", "label"])
        writer.writerows(pairs)
    return path


def write_params(path: Path, source: Path, extra_sources: Sequence[Path] = ()) -> Path:
    """This repository's params.yaml with the rehearsal's data: everything else as a team would train."""
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["data"].update(source=str(source), test_source=None, extra_sources=[str(p) for p in extra_sources])
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def train(params: Path, folder: Path) -> Path:
    """`python -m training` into ``folder``; returns the model folder."""
    model_dir = folder / "model"
    command = [sys.executable, "-m", "training", "--params", str(params), "--out-dir", str(model_dir)]
    command += ["--reports-dir", str(folder / "reports")]
    _run(command, folder / "training.log")
    return model_dir


def serve(model_dir: Path, texts: Sequence[str], capture_dir: Path | None) -> list[str]:
    """The labels the local runtime answers for ``texts``, capturing every text when ``capture_dir``."""
    arguments: tuple[str, ...] = ()
    if capture_dir is not None:
        arguments = ("--env", f"{capture.RATE_ENV}=1", "--capture-dir", str(capture_dir))
    labels: list[str] = []
    with child_service(model_dir=model_dir, arguments=arguments) as base_url:
        for start in range(0, len(texts), BATCH):
            status, body = request_json(
                base_url, "POST", api.CLASSIFY, {"texts": list(texts[start : start + BATCH])}
            )
            if status != 200:
                raise RuntimeError(f"POST {api.CLASSIFY} answered {status}: {body}")
            labels.extend(prediction["label"] for prediction in body["predictions"])
    return labels


def drift(captures_dir: Path, model_dir: Path, report: Path) -> dict[str, Any]:
    """`python -m monitoring.drift` on the captures; returns its JSON summary."""
    command = [sys.executable, "-m", "monitoring.drift", "--captures", str(captures_dir)]
    command += ["--model-dir", str(model_dir), "--output", str(report), "--since", "2d"]
    _run(command, report.with_suffix(".log"), allowed=(EXIT_CALM, EXIT_DRIFT))
    return json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))


def relabel(captures_dir: Path, export: Path, truth: dict[str, str], corrected: Path) -> int:
    """Exports the captures with `python -m monitoring.relabel`, then writes the export with each label
    set to the text's true one (what the people labelling would do); returns the rows."""
    command = [sys.executable, "-m", "monitoring.relabel", "--captures", str(captures_dir)]
    _run([*command, "--output", str(export), "--since", "2d"], export.with_suffix(".log"))
    with export.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:
        row["label"] = truth[row["text"]]
    with corrected.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def accuracy(predicted: Sequence[str], pairs: Sequence[tuple[str, str]]) -> float:
    return round(sum(p == label for p, (_, label) in zip(predicted, pairs, strict=True)) / len(pairs), 4)


def rehearse(workdir: Path) -> dict[str, Any]:
    """Every step of the loop; returns the figures (also written to ``workdir/rehearsal.json``)."""
    for earlier in ("captures-a", "captures-b"):  # a rerun in the same folder reads only its own captures
        shutil.rmtree(workdir / earlier, ignore_errors=True)
    articles, served, held_back = split_corpus()
    _step(f"data: {len(articles)} articles, {len(served)} headlines served, {len(held_back)} held back")
    source = write_examples(articles, workdir / "articles.csv")
    model_a = train(write_params(workdir / "params-a.yaml", source), workdir / "a")
    _step(f"model A trained on whole articles: {model_a}")
    served_labels = serve(model_a, [text for text, _ in served], workdir / "captures-a")
    _step(f"A answered {len(served)} headlines with capture on: accuracy {accuracy(served_labels, served)}")
    before = drift(workdir / "captures-a", model_a, workdir / "drift-a" / "drift.md")
    _step(f"drift on A's captures: {before['headline']}")
    truth = {text: label for text, label in served}
    corrected = workdir / "corrected.csv"
    rows = relabel(workdir / "captures-a", workdir / "to-label.csv", truth, corrected)
    _step(f"relabel: {rows} distinct headlines exported and labelled: {corrected}")
    model_b = train(write_params(workdir / "params-b.yaml", source, [corrected]), workdir / "b")
    _step(f"model B trained with them in data.extra_sources: {model_b}")
    held_texts = [text for text, _ in held_back]
    accuracy_a = accuracy(serve(model_a, held_texts, None), held_back)
    accuracy_b = accuracy(serve(model_b, held_texts, workdir / "captures-b"), held_back)
    _step(f"held-back headlines: A {accuracy_a}, B {accuracy_b}")
    after = drift(workdir / "captures-b", model_b, workdir / "drift-b" / "drift.md")
    _step(f"drift on B's captures: {after['headline']}")
    result = {
        "articles": len(articles),
        "served": len(served),
        "held_back": len(held_back),
        "relabelled": rows,
        "served_accuracy_a": accuracy(served_labels, served),
        "held_back_accuracy": {"A": accuracy_a, "B": accuracy_b},
        "drift": {"A": before, "B": after},
    }
    (workdir / "rehearsal.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def copy_figures(workdir: Path, figures: Path) -> None:
    figures.mkdir(parents=True, exist_ok=True)
    for model in ("a", "b"):
        shutil.copyfile(workdir / f"drift-{model}" / "drift.svg", figures / DRIFT_FIGURE.format(model=model))


def _run(command: list[str], log: Path, allowed: tuple[int, ...] = (0,)) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as stream:
        result = subprocess.run(command, cwd=REPO_ROOT, stdout=stream, stderr=subprocess.STDOUT, check=False)
    if result.returncode not in allowed:
        raise RuntimeError(f"{' '.join(command[1:4])} ... exited {result.returncode}; see {log}")


_STARTED = time.perf_counter()


def _step(message: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:6.1f} s] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--workdir", type=Path, default=Path("monitoring/rehearsal"), help="where it all goes"
    )
    parser.add_argument("--figures", type=Path, help="also copy the two drift figures into this folder")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    result = rehearse(args.workdir.resolve())
    if args.figures:
        copy_figures(args.workdir, args.figures)
    print(json.dumps({key: result[key] for key in ("relabelled", "held_back_accuracy")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
