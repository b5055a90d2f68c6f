"""make drift on a small BBC News model: calm traffic passes, shifted traffic crosses the named checks,
too few texts are said to be too few, and bad input is named with its fix."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from monitoring import drift
from monitoring.drift_settings import EXIT_CALM, EXIT_DRIFT, EXIT_ERROR, THRESHOLDS
from monitoring.tests.capture_lines import LIKE_HELD_OUT, articles, model_with_baseline, records, write_local
from serving.app.artifact.loader import load_model
from serving.app.contracts import capture
from serving.app.contracts.artifact import BASELINE_KEY
from training.sources.chinese_reviews import review_files

TODAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return model_with_baseline(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def model(model_dir):
    return load_model(model_dir)


def run(model_dir: Path, folder: Path, tmp_path: Path, *extra: str) -> tuple[int, dict, str]:
    """`python -m monitoring.drift` on ``folder``: its exit code, JSON summary (if any) and report."""
    output = tmp_path / "report" / "drift.md"
    argv = ["--captures", str(folder), "--model-dir", str(model_dir), "--output", str(output), *extra]
    code = drift.main(argv, today=TODAY)
    summary_path = output.with_suffix(".json")
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    return code, summary, output.read_text() if output.exists() else ""


def test_traffic_like_the_held_out_split_is_calm(model, model_dir, tmp_path):
    texts, _ = articles(LIKE_HELD_OUT)
    assert len(texts) >= THRESHOLDS.min_texts
    half = len(texts) // 2  # two days of the window
    write_local(tmp_path / "captures", TODAY, records(model, texts[:half], TODAY))
    yesterday = TODAY - timedelta(days=1)
    write_local(tmp_path / "captures", yesterday, records(model, texts[half:], yesterday))
    code, summary, report = run(model_dir, tmp_path / "captures", tmp_path)
    assert code == EXIT_CALM, report
    assert summary["verdict"] == "calm" and summary["crossed"] == [] and summary["texts"] == len(texts)
    assert max(summary["distances"].values()) < THRESHOLDS.quantile_distance
    assert "**Calm: every check within its threshold" in report
    assert (tmp_path / "report" / "drift.svg").read_text().startswith("<svg")


def test_texts_from_another_corpus_cross_the_quality_checks(model, model_dir, tmp_path):
    reviews = review_files()["pos"].read_text(encoding="utf-8").split("\n")[:300]
    write_local(tmp_path / "captures", TODAY, records(model, reviews, TODAY))
    code, summary, report = run(model_dir, tmp_path / "captures", tmp_path)
    assert code == EXIT_DRIFT
    assert summary["verdict"] == "drift"
    assert {"VocabularyCoverage", "LabelProbability", "TextCharacters"} <= set(summary["crossed"])
    assert summary["distances"]["VocabularyCoverage"] > 0.5  # nearly none of their words is known
    assert "**Drift: " in report and "**crossed**" in report


def test_a_skewed_label_mix_crosses_the_label_check(model, model_dir, tmp_path):
    # Traffic of which the model answers "sports" for 40 %, where the held-out split had 12 %.
    texts = articles(range(150, 380))[0]
    predicted = [prediction.label for prediction in model.classifier.classify(texts, 1)]
    sports = [text for text, label in zip(texts, predicted, strict=True) if label == "sports"][:80]
    others = [text for text, label in zip(texts, predicted, strict=True) if label != "sports"][:120]
    write_local(tmp_path / "captures", TODAY, records(model, sports + others, TODAY))
    code, summary, report = run(model_dir, tmp_path / "captures", tmp_path)
    assert code == EXIT_DRIFT
    assert "LabelMix" in summary["crossed"]
    assert summary["distances"]["LabelMix"] > THRESHOLDS.label_distance
    assert "## Label mix (Jensen-Shannon distance" in report


def test_too_few_texts_are_said_to_be_too_few_and_unknown_words_are_listed(model, model_dir, tmp_path):
    texts = [text + " zorblaxian zorblaxian quuxifier" for text in articles(LIKE_HELD_OUT)[0][:20]]
    write_local(tmp_path / "captures", TODAY, records(model, texts, TODAY))
    code, summary, report = run(model_dir, tmp_path / "captures", tmp_path)
    assert code == EXIT_CALM
    assert summary["verdict"] == "too few texts" and summary["crossed"] == []
    assert f"Too few captured texts to judge (20, at least {THRESHOLDS.min_texts} needed)" in report
    unknown = report.split("## Most frequent unknown terms")[1]
    assert unknown.index("| `zorblaxian` | 40 |") < unknown.index("| `quuxifier` | 20 |")


def test_captures_of_another_model_version_are_noted(model, model_dir, tmp_path):
    texts = articles(LIKE_HELD_OUT)[0][:10]
    write_local(tmp_path / "captures", TODAY, records(model, texts, TODAY, version="0123456789ab"))
    _, _, report = run(model_dir, tmp_path / "captures", tmp_path)
    assert (
        "texts answered by another model than the baseline's, compared all the same: 0123456789ab (10)"
        in report
    )


def test_only_the_days_of_the_window_are_read(model, model_dir, tmp_path):
    texts = articles(LIKE_HELD_OUT)[0][:6]
    for offset in range(3):
        day = TODAY - timedelta(days=offset * 5)
        write_local(tmp_path / "captures", day, records(model, texts[2 * offset : 2 * offset + 2], day))
    assert run(model_dir, tmp_path / "captures", tmp_path, "--since", "1d")[1]["texts"] == 2
    assert run(model_dir, tmp_path / "captures", tmp_path)[1]["texts"] == 4  # the default 7 days
    older = ("--from", str(TODAY - timedelta(days=10)), "--to", str(TODAY - timedelta(days=5)))
    assert run(model_dir, tmp_path / "captures", tmp_path, *older)[1]["texts"] == 4


def test_a_missing_captures_folder_says_how_to_fill_it(model_dir, tmp_path, capsys):
    code, summary, _ = run(model_dir, tmp_path / "nowhere", tmp_path)
    assert code == EXIT_ERROR and summary == {}
    error = capsys.readouterr().err
    assert f"no captures folder {tmp_path / 'nowhere'}" in error and "make serve CAPTURE_RATE=1" in error


def test_an_unreadable_capture_names_the_file_and_line(model, model_dir, tmp_path, capsys):
    path = write_local(tmp_path / "captures", TODAY, records(model, ["a text about football"], TODAY))
    path.write_text(path.read_text() + "{not json\n")
    code, summary, _ = run(model_dir, tmp_path / "captures", tmp_path)
    assert code == EXIT_ERROR and summary == {}
    assert f"{path}, line 2: not JSON" in capsys.readouterr().err


def test_a_model_without_a_baseline_says_how_to_get_one(model_dir, tmp_path, capsys):
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("model.npz", "model.json"):
        (bare / name).write_bytes((model_dir / name).read_bytes())
    manifest = json.loads((bare / "model.json").read_text())
    del manifest[BASELINE_KEY]
    (bare / "model.json").write_text(json.dumps(manifest))
    (tmp_path / "captures").mkdir()
    code, _, _ = run(bare, tmp_path / "captures", tmp_path)
    assert code == EXIT_ERROR
    error = capsys.readouterr().err
    assert f"the model in {bare}" in error and "has no 'baseline'" in error and "make train" in error


def test_a_missing_model_is_named(tmp_path, capsys):
    (tmp_path / "captures").mkdir()
    code, _, _ = run(tmp_path / "no-model", tmp_path / "captures", tmp_path)
    assert code == EXIT_ERROR
    assert f"{tmp_path / 'no-model' / 'model.json'}: the model manifest is missing" in capsys.readouterr().err


@pytest.mark.parametrize("since", ["7", "0d", "1w"])
def test_a_window_that_is_no_number_of_days_is_refused(model_dir, tmp_path, capsys, since):
    (tmp_path / "captures").mkdir()
    assert run(model_dir, tmp_path / "captures", tmp_path, "--since", since)[0] == EXIT_ERROR
    assert f"SINCE={since!r}: give a number of days, e.g. SINCE=7d" in capsys.readouterr().err


def test_a_failed_run_leaves_no_earlier_verdict(model, model_dir, tmp_path):
    write_local(tmp_path / "captures", TODAY, records(model, ["a text about football"], TODAY))
    assert run(model_dir, tmp_path / "captures", tmp_path)[1]["verdict"] == "too few texts"
    assert run(model_dir, tmp_path / "elsewhere", tmp_path)[:2] == (EXIT_ERROR, {})


def test_a_capture_file_that_is_not_gzip_names_the_file(model_dir, tmp_path, capsys):
    path = write_local(tmp_path / "captures", TODAY, [], name="part-0001.gz")
    path.write_bytes(b"plain text, not gzip")
    assert run(model_dir, tmp_path / "captures", tmp_path)[0] == EXIT_ERROR
    assert f"{path}: not gzip data" in capsys.readouterr().err


def test_by_default_the_folder_is_the_one_make_serve_writes_to(model, model_dir, tmp_path, monkeypatch):
    write_local(tmp_path / "served", TODAY, records(model, ["a text about football"], TODAY))
    monkeypatch.setenv(capture.LOCAL_DIR_ENV, str(tmp_path / "served"))
    output = tmp_path / "drift.md"
    drift.main(["--model-dir", str(model_dir), "--output", str(output)], today=TODAY)
    assert json.loads(output.with_suffix(".json").read_text())["texts"] == 1
