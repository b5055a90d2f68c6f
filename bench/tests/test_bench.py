"""`make bench`, in miniature and without 20 Newsgroups: both sides trained on a small generated corpus,
measured by the real probes (cold starts, warm calls) and written as the results file `make bench` writes.
"""

import json
import math
import random
import time

import joblib
import pytest

from bench import run
from bench.reference import MODEL_NAME, reference_pipeline
from serving.app.contracts import api
from training.tests.corpus import SHARED_WORDS, TOPIC_WORDS, write_csv

WORDS_PER_TEXT = 450  # long enough for the ~2 KB single-text event


def long_corpus(per_label: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Texts of a few hundred words: each label's own words mixed with shared ones."""
    rng = random.Random(seed)
    texts, labels = [], []
    for label, words in TOPIC_WORDS.items():
        for _ in range(per_label):
            chosen = rng.choices(words, k=WORDS_PER_TEXT // 3) + rng.choices(SHARED_WORDS, k=WORDS_PER_TEXT)
            rng.shuffle(chosen)
            texts.append(" ".join(chosen))
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("bench")
    texts, labels = long_corpus(per_label=40)
    project = run.train_project(
        workdir, reuse=False, data=str(write_csv(workdir / "corpus.csv", texts, labels))
    )
    started = time.perf_counter()
    pipeline = reference_pipeline().fit(texts, labels)
    model_path = workdir / "reference" / MODEL_NAME
    model_path.parent.mkdir()
    joblib.dump(pipeline, model_path, compress=9)
    reference = {
        "accuracy": float((pipeline.predict(texts) == labels).mean()),
        "fit_seconds": time.perf_counter() - started,
        "artifact_bytes": model_path.stat().st_size,
        "model_path": model_path,
    }
    events_path = workdir / "events.json"
    events_path.write_text(json.dumps(run.api_events(texts)), encoding="utf-8")
    sides = run.serving_sides(project, reference)
    floor = run.measure_serving(sides, events_path, runs=1, calls=50, workdir=workdir)
    out = workdir / "results.json"
    run.write_results(out, project, reference, run.machine((0.0, 0.0, 0.0), floor))
    return json.loads(out.read_text(encoding="utf-8"))


def test_the_events_are_a_2_kb_text_and_a_batch_as_api_gateway_sends_them():
    texts, _ = long_corpus(per_label=2)
    events = run.api_events(texts)
    single = json.loads(events["single"]["body"])["text"]
    assert 1500 < len(single) <= run.SINGLE_TEXT_CHARS
    assert events["single"]["httpMethod"] == "POST" and events["single"]["path"] == api.CLASSIFY
    explained = json.loads(events["explained"]["body"])
    assert explained == {"text": single, "explain": run.EXPLAIN_TERMS}
    assert len(json.loads(events["batch"]["body"])["texts"]) == len(texts)


@pytest.mark.e2e  # `results` trains this project (python -m training) and serves it in processes
def test_both_sides_get_every_figure_with_sane_values(results):
    for name in ("project", "reference"):
        side = results[name]
        assert 0.9 <= side["accuracy"] <= 1.0, name  # a learnable corpus
        assert 0 < side["cold_start_seconds"] < 60 and len(side["cold_start_runs_seconds"]) == 1
        assert 10 < side["cold_start_peak_rss_mb"] < 2000
        assert 0 < side["warm_p50_ms"] <= side["warm_p99_ms"] < 1000
        assert side["batch_docs_per_second"] > 0 and side["batch_first_ms"] > 0
        assert side["artifact_bytes"] > 0 and side["fit_seconds"] > 0 and side["serving_deps_mb"] > 0
        assert not {"model_dir", "model_path"} & side.keys()  # paths are not results
    assert results["project"]["accuracy_stripped"] is None  # 20 Newsgroups only
    project = results["project"]
    assert 0 < project["warm_p50_ms_explained"] <= project["warm_p99_ms_explained"] < 1000
    assert 0 < project["explained_first_call_ms"] < 10_000
    assert "warm_p50_ms_explained" not in results["reference"]  # the reference cannot explain
    assert results["project"]["n_features"] > 0


@pytest.mark.e2e  # `results` trains this project (python -m training) and serves it in processes
def test_the_results_record_the_machine(results):
    machine = results["machine"]
    assert machine["cpus"] >= 1 and machine["python"].count(".") == 2
    assert 0 < machine["python_numpy_start_seconds"] < 60
    assert not any(math.isnan(value) for value in machine["load_average_after"])


@pytest.mark.e2e  # `results` trains this project (python -m training) and serves it in processes
def test_the_table_shows_every_row_and_each_targets_verdict(results):
    table = run.table(results)
    assert len(table.splitlines()) == 2 + len(run.ROWS)
    assert "cold start: import+load+1st answer (s)" in table and "<= 25% of the reference:" in table
    assert "| accuracy (headers/footers/quotes removed) | - | - |" in table
    explained = next(line for line in table.splitlines() if line.startswith('| warm latency p50, "explain"'))
    assert explained.split(" | ")[1] == "-" and "x unexplained p50: " in explained
    row = {line.split(" | ")[0][2:]: line for line in table.splitlines()[2:]}
    assert ">= 2x the reference: " in row["batch throughput (docs/s)"]
    assert "<= 0.35x the reference: " in row["warm latency p50 (ms)"]
    assert "<= numpy floor + 0.05 s: " in row["cold start: import+load+1st answer (s)"]


def test_the_issue_targets_are_judged_against_the_same_run():
    project = {"batch_docs_per_second": 10_000.0, "warm_p50_ms": 0.3, "cold_start_seconds": 0.16}
    reference = {"batch_docs_per_second": 5_100.0, "warm_p50_ms": 0.8, "cold_start_seconds": 2.0}
    assert run.target_verdict("batch_docs_per_second", project, reference).endswith("MISSED (1.96x)")
    assert "<= 0.35x the reference: MISSED (0.37x)" in run.target_verdict("warm_p50_ms", project, reference)
    cold = run.target_verdict("cold_start_seconds", project, reference, floor=0.12)
    assert "<= numpy floor + 0.05 s: met (+0.040 s)" in cold
    assert "MISSED (+0.060 s)" in run.target_verdict("cold_start_seconds", project, reference, floor=0.10)
