"""The stages end to end on a tiny CSV, one by one (as DVC runs them) and in one process (`python -m
training`): artifact, reports, progress output and error handling."""

import csv
import json

import numpy as np
import pytest

from serving.app.artifact.loader import load_model
from training.__main__ import main
from training.params import load_params
from training.stages import evaluate, export, train
from training.tests.corpus import make_corpus, write_csv, write_params


@pytest.fixture
def workspace(tmp_path):
    texts, labels = make_corpus(per_label=20, seed=11)
    data = write_csv(tmp_path / "topics.csv", texts, labels)
    params = write_params(tmp_path / "params.yaml", data={"source": str(data), "test_size": 0.25})
    return tmp_path, data, params


def _run(workspace, *extra):
    tmp_path, _, params = workspace
    out_dir, reports = tmp_path / "model", tmp_path / "reports"
    code = main(["--params", str(params), "--out-dir", str(out_dir), "--reports-dir", str(reports), *extra])
    return code, out_dir, reports


def test_trains_evaluates_exports_and_reports(workspace, capsys):
    code, out_dir, reports = _run(workspace)
    assert code == 0
    output = capsys.readouterr().out
    for step in ("loading data:", "fitting:", "evaluating:", "exporting:", "total:", "accuracy "):
        assert step in output
    assert "45 train + 15 test documents, 3 labels" in output
    assert "data check: every label has at least 5 training documents\n" in output
    assert "warning:" not in output

    metrics = json.loads((reports / "metrics.json").read_text(encoding="utf-8"))
    assert (metrics["n_train"], metrics["n_test"], metrics["n_classes"]) == (45, 15, 3)
    assert sorted(metrics["per_class"]) == ["astronomy", "cooking", "sailing"]
    assert sum(scores["support"] for scores in metrics["per_class"].values()) == 15
    assert metrics["accuracy"] > metrics["baseline_accuracy"]
    assert list(metrics)[-1] == "data_checks"
    assert metrics["data_checks"]["train_documents_per_label"] == {
        "astronomy": 15,
        "cooking": 15,
        "sailing": 15,
    }
    assert metrics["data_checks"]["imbalance_ratio"] == 1.0

    with (reports / "confusion_matrix.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == 15
    correct = sum(row["actual"] == row["predicted"] for row in rows)
    assert correct / 15 == pytest.approx(metrics["accuracy"], abs=1e-4)

    manifest = json.loads((out_dir / "model.json").read_text(encoding="utf-8"))
    assert manifest["data"] == {"source": str(workspace[1]), "train_documents": 45, "test_documents": 15}
    assert manifest["metrics"] == {key: metrics[key] for key in ("accuracy", "macro_f1", "baseline_accuracy")}
    assert manifest["params"] == load_params(workspace[2])
    with np.load(out_dir / "model.npz", allow_pickle=False) as arrays:
        assert arrays["coef"].shape == (metrics["n_features"], 3)


def test_data_problems_are_printed_after_loading_and_recorded_without_stopping_training(tmp_path, capsys):
    """60 cooking, 60 sailing and 4 astronomy texts, one cooking text twice: every warning but dropping."""
    texts, labels = make_corpus(per_label=60, labels=["cooking", "sailing"], seed=13)
    few, few_labels = make_corpus(per_label=4, labels=["astronomy"], seed=14)
    copies = ["Garlic and   butter, roasted today.", "GARLIC and butter, roasted today."]
    data = write_csv(tmp_path / "skewed.csv", texts + few + copies, labels + few_labels + ["cooking"] * 2)
    # The split is seeded: seed 0 puts one of the two copies on each side.
    params = write_params(tmp_path / "params.yaml", data={"source": str(data), "test_size": 0.25, "seed": 0})
    reports = tmp_path / "reports"
    argv = ["--params", str(params), "--out-dir", str(tmp_path / "model"), "--reports-dir", str(reports)]

    assert main(argv) == 0
    output = capsys.readouterr().out
    checks = output[output.index("loading data: ") : output.index("fitting ...")].splitlines()[1:]
    assert [line.split(":")[0] for line in checks] == [
        "warning",
        "  e.g. cooking",
        "warning",
        "warning",
        "data check",
    ]
    assert checks[0].startswith("warning: 1 test text (3.12 % of the test split) also appears in training")
    assert checks[1].lower() == '  e.g. cooking: "garlic and butter, roasted today."'
    assert "from 3 (astronomy) to 46 (cooking), a ratio of 15.3, above 10" in checks[2]
    assert checks[3].startswith("warning: 1 label with fewer than 5 training documents: astronomy (3)")

    metrics = json.loads((reports / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["data_checks"] == {
        "train_test_duplicates": 1,
        "train_test_duplicate_share": 0.0312,
        "train_test_label_conflicts": 0,
        "imbalance_ratio": 15.3333,
        "small_labels": 1,
        "dropped_empty_texts": 0,
        "dropped_over_max_chars": 0,
        "train_documents_per_label": {"astronomy": 3, "cooking": 46, "sailing": 45},
    }


def test_data_override_leaves_the_params_file_untouched(workspace, tmp_path):
    params = workspace[2]
    before = params.read_text(encoding="utf-8")
    jsonl = tmp_path / "other.jsonl"
    texts, labels = make_corpus(per_label=10, labels=["cooking", "sailing"], seed=12)
    jsonl.write_text(
        "".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in zip(texts, labels, strict=True)),
        encoding="utf-8",
    )
    code, out_dir, _ = _run(workspace, "--data", str(jsonl))
    assert code == 0
    manifest = json.loads((out_dir / "model.json").read_text(encoding="utf-8"))
    assert manifest["classes"] == ["cooking", "sailing"]
    assert manifest["data"]["source"] == str(jsonl)
    assert params.read_text(encoding="utf-8") == before


def test_bad_data_exits_with_the_reason_and_writes_nothing(workspace, capsys):
    _, data, _ = workspace
    with data.open("a", encoding="utf-8") as stream:
        stream.write("an orphan,\n")
    code, out_dir, reports = _run(workspace)
    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {data}: line 62: empty label")
    assert not out_dir.exists() and not reports.exists()


def test_bad_params_exit_with_the_key(workspace, capsys):
    tmp_path, _, _ = workspace
    params = write_params(tmp_path / "bad.yaml", train={"C": -1})
    assert main(["--params", str(params), "--out-dir", str(tmp_path / "m")]) == 2
    assert "train.C must be a positive number" in capsys.readouterr().err


def test_the_saved_pipeline_holds_no_process_state_in_any_block(tmp_path):
    """scikit-learn's word analyzer records `id(stop_words)`, a memory address that would make each run's
    pickle differ; save_pipeline drops it from every block, and the pickle still predicts the same."""
    import joblib

    from training.fit import fit_pipeline
    from training.params import validate_params
    from training.stages.handoff import save_pipeline
    from training.tests.corpus import repo_params

    texts, labels = make_corpus(per_label=15, seed=12)
    params = repo_params()
    params["featurize"] |= {"analyzer": "word+char_wb", "select_features": 200}
    pipeline = fit_pipeline(validate_params(params), texts, labels)
    expected = pipeline.predict_proba(texts)
    blocks = [vectorizer for _, vectorizer in pipeline.named_steps["features"].transformer_list]
    assert hasattr(blocks[0], "_stop_words_id")  # the word block has it after a transform
    save_pipeline(pipeline, tmp_path / "pipeline.joblib")
    assert not any(hasattr(vectorizer, "_stop_words_id") for vectorizer in blocks)
    np.testing.assert_array_equal(joblib.load(tmp_path / "pipeline.joblib").predict_proba(texts), expected)


# --- The stages one by one, as dvc.yaml runs them ----------------------------------------------------------


def _stage_paths(tmp_path):
    folder = tmp_path / "stages"
    return folder / "model" / "pipeline.joblib", folder / "reports", folder / "artifact"


def _run_stages(workspace, capsys):
    """train, evaluate, export into their own folders; each stage's output."""
    tmp_path, _, params = workspace
    pipeline, reports, out_dir = _stage_paths(tmp_path)
    common = ["--params", str(params)]
    outputs = []
    assert train.main([*common, "--pipeline-out", str(pipeline), "--reports-dir", str(reports)]) == 0
    outputs.append(capsys.readouterr().out)
    assert evaluate.main([*common, "--pipeline", str(pipeline), "--reports-dir", str(reports)]) == 0
    outputs.append(capsys.readouterr().out)
    metrics = reports / "metrics.json"
    assert (
        export.main(
            [*common, "--pipeline", str(pipeline), "--metrics", str(metrics), "--out-dir", str(out_dir)]
        )
        == 0
    )
    outputs.append(capsys.readouterr().out)
    return outputs


def test_the_stages_one_by_one_write_what_one_process_writes(workspace, capsys):
    """The pipeline handed over in a file gives the very bytes of the one handed over in memory."""
    train_output, evaluate_output, export_output = _run_stages(workspace, capsys)
    assert "fitting:" in train_output and "saved:" in train_output
    assert "data check:" in train_output and "evaluating" not in train_output
    assert (
        "evaluating:" in evaluate_output
        and "accuracy " in evaluate_output
        and "fitting" not in evaluate_output
    )
    assert "exporting:" in export_output and "fitting" not in export_output
    assert "measuring the baseline:" in export_output  # on the held-out split it loads

    tmp_path = workspace[0]
    pipeline, reports, out_dir = _stage_paths(tmp_path)
    code, one_out_dir, one_reports = _run(workspace, "--pipeline-out", str(tmp_path / "one.joblib"))
    assert code == 0
    assert pipeline.read_bytes() == (tmp_path / "one.joblib").read_bytes()
    for name in ("metrics.json", "confusion_matrix.csv", "reliability.csv", "analyzer_choice.json"):
        assert (reports / name).read_bytes() == (one_reports / name).read_bytes(), name
    for name in ("model.npz", "model.json"):
        assert (out_dir / name).read_bytes() == (one_out_dir / name).read_bytes(), name


def test_evaluate_and_export_say_which_stage_writes_a_missing_input(workspace, capsys):
    tmp_path, _, params = workspace
    pipeline, reports, out_dir = _stage_paths(tmp_path)
    common = ["--params", str(params), "--pipeline", str(pipeline)]
    assert evaluate.main([*common, "--reports-dir", str(reports)]) == 2
    assert capsys.readouterr().err == (
        f"error: {pipeline}: no fitted pipeline; the train stage writes it (make train)\n"
    )
    train_reports = ["--reports-dir", str(tmp_path / "train_reports")]
    assert train.main(["--params", str(params), "--pipeline-out", str(pipeline), *train_reports]) == 0
    metrics = reports / "metrics.json"
    assert export.main([*common, "--metrics", str(metrics), "--out-dir", str(out_dir)]) == 2
    assert capsys.readouterr().err.endswith(
        f"error: {metrics}: no metrics; the evaluate stage writes them (make train)\n"
    )
    assert not reports.exists() and not out_dir.exists()


def test_the_export_records_the_params_and_the_evaluated_figures(workspace, capsys):
    _run_stages(workspace, capsys)
    _, data, params = workspace
    _, reports, out_dir = _stage_paths(workspace[0])
    metrics = json.loads((reports / "metrics.json").read_text(encoding="utf-8"))
    manifest = json.loads((out_dir / "model.json").read_text(encoding="utf-8"))
    assert manifest["data"] == {"source": str(data), "train_documents": 45, "test_documents": 15}
    assert manifest["metrics"] == {key: metrics[key] for key in export.HEADLINE_METRICS}
    assert manifest["params"] == load_params(params)


def test_the_export_measures_the_served_model_on_the_held_out_split(workspace, capsys):
    _run_stages(workspace, capsys)
    out_dir = _stage_paths(workspace[0])[2]
    manifest = json.loads((out_dir / "model.json").read_text(encoding="utf-8"))
    baseline = manifest["baseline"]
    assert baseline["documents"] == manifest["data"]["test_documents"] == 15
    assert set(baseline["label_shares"]) == set(manifest["classes"])
    assert sum(baseline["label_shares"].values()) == pytest.approx(1.0, abs=1e-3)
    assert load_model(out_dir).description["baseline"] == baseline  # served by GET /model
