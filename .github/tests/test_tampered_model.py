"""A model overwritten in the team bucket never ships: the deploy job's own steps refuse it, naming the file
and both md5s.

The maintainer trains (BBC News, so that it is quick) and pushes the model to the bucket (moto's S3 server
on 127.0.0.1). Then someone with write access to the bucket overwrites the model's objects, under the
same keys, with another model that is valid in every other way: its model.json records the sha256 of its
model.npz, so serving's own integrity check at start would accept it. A runner then clones the commit and
runs the commands deploy-stage.yml runs before `make deploy`, read from the workflow:

- as committed (`verify = true` on every remote): DVC refuses the download, and `make pull-artifact`
  names the file, the md5 dvc.lock recorded and the md5 of the bucket's object; nothing after it runs;
- with verification turned off on the runner (`dvc remote modify --local s3 verify false`): DVC pulls the
  other model without a word, and `make pull-artifact` still refuses it, as does `make check-lock`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from rehearsal import clone, deploy_job_commands, dvc, environment, run, s3_bucket, step

from local_runtime.paths import REPO_ROOT
from training import newsgroups
from training.tracked_files import lock_outputs

pytestmark = pytest.mark.e2e

BUCKET = "text-classifier-tampered"
MODEL = "serving/app/data/model.npz"
MANIFEST = "serving/app/data/model.json"


def test_every_remote_verifies_what_it_downloads():
    """The committed DVC configuration: `verify` is on for each remote (it is off by default)."""
    result = run(REPO_ROOT, dict(os.environ), sys.executable, "-m", "dvc", "config", "--list", "--project")
    assert result.returncode == 0, result.stderr
    settings = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    remotes = {key.split(".")[1] for key in settings if key.startswith("remote.")}
    assert remotes >= {"local", "s3"}
    assert {name: settings.get(f"remote.{name}.verify") for name in remotes} == dict.fromkeys(remotes, "true")


@pytest.fixture(scope="module")
def newsgroups_file() -> Path:
    """20 Newsgroups for the bucket (every deploy pulls the training inputs), or a skip (a failure in CI)."""
    found = newsgroups.local_copy()
    if found is not None:
        return found
    message = "20 Newsgroups is not on this machine (make fetch-newsgroups, or SCIKIT_LEARN_DATA)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def tampered_bucket(tmp_path_factory, newsgroups_file):
    """(endpoint, maintainer's clone, {file: (md5 dvc.lock names, md5 of the bucket's object)})."""
    root = tmp_path_factory.mktemp("tampered")
    cache = root / "scikit_learn_data"
    cache.mkdir()
    shutil.copyfile(newsgroups_file, cache / newsgroups.FILE_NAME)
    with s3_bucket(BUCKET) as (endpoint, s3):
        maintainer = clone(REPO_ROOT, root / "maintainer")
        env = environment(cache)
        step(maintainer, env, *dvc("remote", "modify", "s3", "url", f"s3://{BUCKET}/dvc"))
        step(maintainer, env, *dvc("remote", "modify", "--local", "s3", "endpointurl", endpoint))
        step(maintainer, env, sys.executable, "-m", "training.params", "set", "data.source=bbc-news")
        step(maintainer, env, "make", "train")
        step(maintainer, env, "git", "commit", "--quiet", "-am", "A BBC News model, and the team bucket")
        step(maintainer, env, "make", "fetch-newsgroups", "REMOTE=s3")
        step(maintainer, env, "make", "push-model", "REMOTE=s3")

        # Another model, valid in every other way (its model.json names its model.npz's sha256).
        params = maintainer / "params.yaml"
        other_params = root / "other-params.yaml"
        other_text, replaced = re.subn(r"(?m)^  C: .*$", "  C: 0.5", params.read_text(encoding="utf-8"))
        assert replaced == 1
        other_params.write_text(other_text)
        other = root / "other-model"
        command = ["-m", "training", "--params", str(other_params), "--out-dir", str(other)]
        step(maintainer, env, sys.executable, *command, "--reports-dir", str(root / "other-reports"))

        swapped = {}
        for tracked in lock_outputs(maintainer):
            if tracked.path in (MODEL, MANIFEST):
                body = (other / Path(tracked.path).name).read_bytes()
                key = f"dvc/files/md5/{tracked.md5[:2]}/{tracked.md5[2:]}"
                s3.put_object(Bucket=BUCKET, Key=key, Body=body)
                swapped[tracked.path] = (tracked.md5, hashlib.md5(body, usedforsecurity=False).hexdigest())
        assert set(swapped) == {MODEL, MANIFEST} and all(old != new for old, new in swapped.values())
        yield endpoint, maintainer, swapped, cache


def _runner(tampered_bucket, tmp_path, *local_settings: tuple[str, str]) -> tuple[Path, dict[str, str]]:
    endpoint, maintainer, _, cache = tampered_bucket
    runner = clone(maintainer, tmp_path / "runner")
    env = environment(cache) | {"CI": "true"}
    for setting in (("endpointurl", endpoint), *local_settings):
        step(runner, env, *dvc("remote", "modify", "--local", "s3", *setting))
    return runner, env


def _deploy_until_refused(runner: Path, env: dict[str, str]) -> tuple[str, str]:
    """Run the deploy job's commands in order; (the command that failed, its output). None may pass."""
    for command in deploy_job_commands():
        result = run(runner, env, *command)
        if result.returncode != 0:
            return " ".join(command), result.stdout + result.stderr
    raise AssertionError("the deploy job's steps all passed with a tampered model in the bucket")


def test_the_deploy_job_refuses_a_model_overwritten_in_the_bucket(tampered_bucket, tmp_path):
    _, _, swapped, _ = tampered_bucket
    runner, env = _runner(tampered_bucket, tmp_path)
    failed, output = _deploy_until_refused(runner, env)
    assert failed == "make pull-artifact REMOTE=s3"
    for path, (locked, found) in swapped.items():
        assert f"{path}: the remote s3's object for md5 {locked} has md5 {found}" in output
    # DVC's verification kept the download out of the workspace and out of its cache.
    assert not (runner / MODEL).exists()
    locked_model = swapped[MODEL][0]
    assert not (runner / ".dvc" / "cache" / "files" / "md5" / locked_model[:2] / locked_model[2:]).exists()


def test_with_verification_off_the_pull_and_the_lock_check_still_refuse_it(tampered_bucket, tmp_path):
    _, _, swapped, _ = tampered_bucket
    runner, env = _runner(tampered_bucket, tmp_path, ("verify", "false"))
    failed, output = _deploy_until_refused(runner, env)
    assert failed == "make pull-artifact REMOTE=s3"
    checked = run(runner, env, "make", "check-lock")
    assert checked.returncode != 0
    for path, (locked, found) in swapped.items():
        # DVC took the other model in; the md5s computed from its bytes give it away.
        assert hashlib.md5((runner / path).read_bytes(), usedforsecurity=False).hexdigest() == found
        line = f"{path}: md5 {found} here, but dvc.lock names md5 {locked}"
        assert line in output
        assert line in checked.stderr
    assert not (runner / "training" / "model" / "pipeline.joblib").exists(), "a deploy never pulls the pickle"
