"""`make check-lock`: a commit whose dvc.lock no longer matches its training inputs is refused, with the fix.

Each test works in a clone (the check reads the repository it runs in), trains there when it needs a
current lock, then changes one input the way a pull request would, without retraining.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from training import REPO_ROOT, newsgroups
from training.relabel_file import COLUMNS
from training.sources import bbc_news, twenty_newsgroups
from training.tracked_files import lock_outputs

pytestmark = pytest.mark.e2e


def _run(clone: Path, *command: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    return subprocess.run(command, cwd=clone, env=environment, capture_output=True, text=True, check=False)


def _check(clone: Path, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return _run(clone, sys.executable, "-m", "training.check_lock", env=env)


def _clone(tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
    return clone


def _commit(clone: Path, message: str) -> None:
    identity = {"GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.com"}
    identity |= {"GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.com"}
    for command in (["git", "add", "-A"], ["git", "commit", "--quiet", "-m", message]):
        subprocess.run(command, cwd=clone, check=True, capture_output=True, env={**os.environ, **identity})


@pytest.fixture(scope="module")
def bbc_clone(tmp_path_factory) -> Path:
    """A clone whose committed lock names a BBC News model it trained itself (no 20NG data needed)."""
    clone = _clone(tmp_path_factory.mktemp("lock"))
    params = clone / "params.yaml"
    text = params.read_text(encoding="utf-8")
    params.write_text(text.replace(f"source: {twenty_newsgroups.NAME}", f"source: {bbc_news.NAME}"))
    repro = _run(clone, sys.executable, "-m", "dvc", "repro")
    assert repro.returncode == 0, repro.stdout + repro.stderr
    _commit(clone, "Train on BBC News")
    return clone


@pytest.fixture
def clone(bbc_clone):
    """The trained clone, reset to its committed state (files and model) after each test."""
    yield bbc_clone
    subprocess.run(["git", "checkout", "--quiet", "--", "."], cwd=bbc_clone, check=True)
    checkout = [sys.executable, "-m", "dvc", "checkout", "--quiet", "--force", "dvc.yaml"]
    subprocess.run(checkout, cwd=bbc_clone, check=True)


def test_a_freshly_trained_commit_passes(clone):
    result = _check(clone)
    assert result.returncode == 0, result.stderr
    assert "dvc.lock matches" in result.stdout


def test_params_changed_without_retraining_fails_naming_the_key_once_and_the_fix(clone):
    params = clone / "params.yaml"
    text, replaced = re.subn(r"(?m)^  C: .*$", "  C: 30.0", params.read_text(encoding="utf-8"))
    assert replaced == 1
    params.write_text(text)
    result = _check(clone)
    assert result.returncode == 1
    # Both the train and the export stage read it (model.json records it): one line says so.
    assert result.stderr.count("params.yaml: params train.C modified") == 1
    assert "make train && make commit-model" in result.stderr


def test_an_evaluation_changed_without_rerunning_it_fails(clone):
    """The metrics are part of what a commit names too, though changing their code does not refit."""
    with (clone / "training" / "evaluate.py").open("a", encoding="utf-8") as stream:
        stream.write("\n# a change to the evaluation\n")
    result = _check(clone)
    assert result.returncode == 1
    assert "training/evaluate.py: input modified" in result.stderr


def test_training_code_changed_without_retraining_fails(clone):
    with (clone / "training" / "fit.py").open("a", encoding="utf-8") as stream:
        stream.write("\n# a change to the training code\n")
    result = _check(clone)
    assert result.returncode == 1
    assert "training/fit.py: input modified" in result.stderr


def test_a_library_bump_without_retraining_fails_naming_the_versions(clone):
    """As after a Dependabot bump of scikit-learn: the recorded versions are not the installed ones."""
    data_json = clone / "training" / "reports" / "data.json"
    recorded = json.loads(data_json.read_text(encoding="utf-8"))
    recorded["libraries"]["scikit-learn"] = "0.24.2"
    data_json.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    result = _check(clone)
    assert result.returncode == 1
    assert "libraries is" in result.stderr and '"scikit-learn": "0.24.2"' in result.stderr


def _locked_md5(clone: Path, path: str) -> str:
    return next(tracked.md5 for tracked in lock_outputs(clone) if tracked.path == path)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def test_a_corrected_relabel_export_is_an_input_the_lock_names(clone):
    """Trained with data.extra_sources, the lock passes; a label corrected afterwards needs a retraining."""
    export = clone / "relabel" / "fixed.csv"
    export.parent.mkdir(exist_ok=True)
    header = ",".join(COLUMNS)
    export.write_text(
        f"{header}\nShares fell on the stock market,business,tech,0.4,0.1,1,v,t\n", encoding="utf-8"
    )
    params = clone / "params.yaml"
    text = params.read_text(encoding="utf-8").replace(
        "extra_sources: []", "extra_sources: [relabel/fixed.csv]"
    )
    params.write_text(text, encoding="utf-8")
    repro = _run(clone, sys.executable, "-m", "dvc", "repro")
    assert repro.returncode == 0, repro.stdout + repro.stderr
    assert _check(clone).returncode == 0, _check(clone).stderr
    export.write_text(
        export.read_text(encoding="utf-8").replace(",business,", ",politics,"), encoding="utf-8"
    )
    result = _check(clone)
    assert result.returncode == 1
    assert "training/reports/data.json: extra_sources is" in result.stderr


def test_a_model_file_that_is_not_the_locked_one_fails_naming_both_md5s(clone):
    model_json = clone / "serving" / "app" / "data" / "model.json"
    model_json.write_text(model_json.read_text(encoding="utf-8").replace(f'"{bbc_news.NAME}"', '"elsewhere"'))
    result = _check(clone)
    assert result.returncode == 1
    locked = _locked_md5(clone, "serving/app/data/model.json")
    expected = f"serving/app/data/model.json: md5 {_md5(model_json)} here, but dvc.lock names md5 {locked}"
    assert expected in result.stderr
    assert "changed after it was pushed" in result.stderr  # the fix for a pulled copy


def test_a_model_dvc_status_trusts_but_whose_bytes_differ_fails(clone):
    """As after a pull, without verification, from a bucket whose object was overwritten: DVC's cache
    holds other bytes under the locked md5, `dvc checkout` puts them in place, and `dvc status` does not
    report the file as modified. The bytes are hashed anyway."""
    path = "serving/app/data/model.npz"
    locked = _locked_md5(clone, path)
    cache_object = clone / ".dvc" / "cache" / "files" / "md5" / locked[:2] / locked[2:]
    original = cache_object.read_bytes()
    cache_object.chmod(0o644)
    try:
        cache_object.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        (clone / path).unlink()
        checkout = _run(clone, sys.executable, "-m", "dvc", "checkout", "--force", "export")
        assert checkout.returncode == 0, checkout.stderr
        status = _run(clone, sys.executable, "-m", "dvc", "status", "export", "--json")
        assert "modified" not in status.stdout, status.stdout
        result = _check(clone)
        assert result.returncode == 1
        assert f"{path}: md5 {_md5(clone / path)} here, but dvc.lock names md5 {locked}" in result.stderr
    finally:
        cache_object.write_bytes(original)


def test_a_data_file_that_is_not_the_one_its_dvc_file_names_fails(clone):
    """The 20 Newsgroups file in training/data is checked against newsgroups.dvc even when unused."""
    data = clone / "training" / "data" / newsgroups.FILE_NAME
    other = b"not the pinned 20 Newsgroups file"
    data.write_bytes(other)
    try:
        result = _check(clone)
    finally:
        data.unlink()
    assert result.returncode == 1
    pinned = yaml.safe_load((clone / "training" / "data" / "newsgroups.dvc").read_text())["outs"][0]["md5"]
    line = f"training/data/{newsgroups.FILE_NAME}: md5 {hashlib.md5(other).hexdigest()} here"
    assert f"{line}, but training/data/newsgroups.dvc names md5 {pinned}" in result.stderr


def test_missing_model_files_are_not_stale(clone):
    """A fresh clone has no model until `dvc pull`: the commit still names the right one. The fitted
    pipeline, an output of one stage and an input of two others, is no exception."""
    for path in (clone / "serving" / "app" / "data").glob("model.*"):
        path.unlink()
    (clone / "training" / "model" / "pipeline.joblib").unlink()
    result = _check(clone)
    assert result.returncode == 0, result.stderr


@pytest.mark.newsgroups
def test_head_passes(newsgroups_cache, tmp_path):
    """The committed 20 Newsgroups lock matches HEAD's inputs, in a clone with no model and no DVC cache."""
    clone = _clone(tmp_path)
    data_home = tmp_path / "scikit_learn_data"
    data_home.mkdir()
    (data_home / newsgroups.FILE_NAME).symlink_to(newsgroups_cache)
    result = _check(clone, env={"SCIKIT_LEARN_DATA": str(data_home)})
    assert result.returncode == 0, result.stderr
