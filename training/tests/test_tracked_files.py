"""What DVC tracks and DVC's md5 of it, computed from the bytes: equal to what `dvc add` records."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from training.tracked_files import (
    LEGACY_HASH,
    cached_files,
    data_files,
    differences,
    dvc_md5,
    lock_outputs,
)


def _run(cwd: Path, *command: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tracked_repository(tmp_path_factory) -> Path:
    """A git + DVC repository holding a tracked binary file, a tracked text file and a tracked folder."""
    root = tmp_path_factory.mktemp("tracked")
    _run(root, "git", "init", "--quiet")
    _run(root, sys.executable, "-m", "dvc", "init", "--quiet")
    data = root / "data"
    data.mkdir()
    (data / "weights.bin").write_bytes(bytes(range(256)) * 40)
    (data / "texts.csv").write_bytes(b"text,label\r\nhello,greeting\r\n")
    corpus = data / "corpus"
    for label, name, text in [("a", "1.txt", "one"), ("a", "2.txt", "two"), ("b/deep", "3.txt", "three")]:
        (corpus / label).mkdir(parents=True, exist_ok=True)
        (corpus / label / name).write_text(text, encoding="utf-8")
    _run(
        root,
        sys.executable,
        "-m",
        "dvc",
        "add",
        "--quiet",
        "data/weights.bin",
        "data/texts.csv",
        "data/corpus",
    )
    _run(root, "git", "add", "-A")
    return root


@pytest.fixture
def repository(tracked_repository, tmp_path) -> Path:
    """A copy of the tracked repository that a test may change."""
    return Path(shutil.copytree(tracked_repository, tmp_path / "repository", symlinks=True))


def _recorded(repository: Path, pointer: str) -> dict:
    return yaml.safe_load((repository / pointer).read_text(encoding="utf-8"))["outs"][0]


@pytest.mark.parametrize(
    "pointer", ["data/weights.bin.dvc", "data/texts.csv.dvc", "data/corpus.dvc"], ids=lambda p: p
)
def test_the_md5_is_the_one_dvc_add_records(repository, pointer):
    recorded = _recorded(repository, pointer)
    path = repository / pointer.removesuffix(".dvc")
    assert dvc_md5(path, recorded["hash"]) == recorded["md5"]


def test_data_files_are_every_dvc_files_output_with_its_pointer(repository):
    found = {tracked.path: (tracked.md5, tracked.pointer) for tracked in data_files(repository)}
    assert found == {
        "data/corpus": (_recorded(repository, "data/corpus.dvc")["md5"], "data/corpus.dvc"),
        "data/texts.csv": (_recorded(repository, "data/texts.csv.dvc")["md5"], "data/texts.csv.dvc"),
        "data/weights.bin": (_recorded(repository, "data/weights.bin.dvc")["md5"], "data/weights.bin.dvc"),
    }
    assert differences(data_files(repository), repository) == []


def test_a_changed_file_or_folder_is_named_with_both_md5s(repository):
    (repository / "data" / "weights.bin").write_bytes(b"other weights")
    (repository / "data" / "corpus" / "b" / "deep" / "3.txt").write_text("four", encoding="utf-8")
    weights = _recorded(repository, "data/weights.bin.dvc")["md5"]
    corpus = _recorded(repository, "data/corpus.dvc")["md5"]
    assert differences(data_files(repository), repository) == [
        f"data/corpus: md5 {dvc_md5(repository / 'data' / 'corpus')} here, "
        f"but data/corpus.dvc names md5 {corpus}",
        f"data/weights.bin: md5 {hashlib.md5(b'other weights').hexdigest()} here, but data/weights.bin.dvc "
        f"names md5 {weights}",
    ]


def test_absent_files_are_no_difference(repository):
    (repository / "data" / "weights.bin").unlink()
    assert differences(data_files(repository), repository) == []


def test_entries_dvc_2_wrote_hash_text_with_unix_line_ends(tmp_path):
    """Without `hash: md5`, an entry is DVC 2's md5, which reads a text file's CRLF as LF."""
    text = tmp_path / "texts.csv"
    text.write_bytes(b"text,label\r\nhello,greeting\r\n")
    assert dvc_md5(text, LEGACY_HASH) == hashlib.md5(b"text,label\nhello,greeting\n").hexdigest()
    assert dvc_md5(text) == hashlib.md5(text.read_bytes()).hexdigest()


def test_the_repositorys_lock_names_the_artifact_and_the_remote_keeps_what_git_does_not():
    outputs = {tracked.path: tracked.pointer for tracked in lock_outputs()}
    assert outputs["serving/app/data/model.npz"] == outputs["serving/app/data/model.json"] == "dvc.lock"
    remote = {tracked.path for tracked in cached_files()}
    assert {"serving/app/data/model.npz", "training/model/pipeline.joblib"} <= remote
    assert "training/data/20news-bydate_py3.pkz" in remote
    # Outputs kept in git (`cache: false`) are not on the remote.
    assert not remote & {"training/reports/metrics.json", "training/reports/data.json"}
