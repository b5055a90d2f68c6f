"""A fork's first deploy, rehearsed offline: docs/deploying.md's steps, then the deploy job's own steps.

What AWS alone can do is left out (`cdk bootstrap`, the data stack, OIDC, `cdk deploy`); the team bucket
is moto's S3 server on 127.0.0.1, reached through the `s3` remote exactly as on AWS except for its
endpoint. The rest runs as the README and the workflows say, through `make`:

1. the maintainer's clone, with an empty DVC cache and 20 Newsgroups only in scikit-learn's cache:
   `make bootstrap`'s DVC half (point the `s3` remote at the bucket, `make seed-remote REMOTE=s3`), then
   commit `.dvc/config`;
2. the deploy job's clone of that commit, with no DVC cache and no 20 Newsgroups anywhere on the
   machine: every command deploy-stage.yml runs before `make deploy`, read from the workflow (with
   CI=true, so a test that lacks what it needs fails instead of skipping). Meanwhile the bucket's copy of
   the pickled pipeline has been replaced by one that would leave a mark if it were ever unpickled: the
   deploy job never pulls it, and its tests pass without it.
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest
from rehearsal import clone, deploy_job_commands, dvc, environment, run, s3_bucket, step

from local_runtime.paths import REPO_ROOT
from training import newsgroups
from training.tracked_files import lock_outputs

pytestmark = pytest.mark.e2e

BUCKET = "text-classifier-first-deploy"
NEWSGROUPS_FILE = "20news-bydate_py3.pkz"
PIPELINE = "training/model/pipeline.joblib"


@pytest.fixture(scope="module")
def bucket():
    with s3_bucket(BUCKET) as endpoint_and_client:
        yield endpoint_and_client


@pytest.fixture(scope="module")
def newsgroups_file() -> Path:
    """The maintainer's copy of 20 Newsgroups, or a skip (a failure under CI) saying where to get it."""
    found = newsgroups.local_copy()
    if found is not None:
        return found
    message = "20 Newsgroups is not on this machine (make fetch-newsgroups, or SCIKIT_LEARN_DATA)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class LeavesAMark:
    """A pickle that, when loaded, creates a file: proof that something unpickled it."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self):
        return (Path.touch, (self.mark,))


def test_a_forks_first_deploy_works_as_the_readme_says(bucket, newsgroups_file, tmp_path):
    endpoint, s3 = bucket
    maintainer_cache = tmp_path / "maintainer_scikit_learn_data"
    maintainer_cache.mkdir()
    shutil.copyfile(newsgroups_file, maintainer_cache / NEWSGROUPS_FILE)
    maintainer = clone(REPO_ROOT, tmp_path / "maintainer")
    env = environment(maintainer_cache)

    # `make bootstrap` after its AWS steps: the bucket's URL goes into .dvc/config, then seed-remote.
    step(maintainer, env, *dvc("remote", "modify", "s3", "url", f"s3://{BUCKET}/dvc"))
    step(maintainer, env, *dvc("remote", "modify", "--local", "s3", "endpointurl", endpoint))
    seeded = step(maintainer, env, "make", "seed-remote", "REMOTE=s3")
    assert "Trained exactly the model dvc.lock names" in seeded
    assert "holds every file dvc.lock and the .dvc files name" in seeded
    changed = step(maintainer, env, "git", "status", "--porcelain").split("\n")
    assert [line for line in changed if line] == [" M .dvc/config"]
    step(maintainer, env, "git", "commit", "--quiet", "-m", "DVC remote: the team bucket", ".dvc/config")

    # Someone with write access to the bucket swaps the pickled pipeline for one that acts when loaded.
    mark = tmp_path / "unpickled"
    [pipeline] = [tracked for tracked in lock_outputs(maintainer) if tracked.path == PIPELINE]
    key = f"dvc/files/md5/{pipeline.md5[:2]}/{pipeline.md5[2:]}"
    s3.put_object(Bucket=BUCKET, Key=key, Body=pickle.dumps(LeavesAMark(mark)))

    # The deploy job: a runner with nothing but the commit and the bucket.
    runner_cache = tmp_path / "runner_scikit_learn_data"
    runner_cache.mkdir()
    runner = clone(maintainer, tmp_path / "runner")
    env = environment(runner_cache) | {"CI": "true"}
    step(runner, env, *dvc("remote", "modify", "--local", "s3", "endpointurl", endpoint))
    outputs = {" ".join(command): step(runner, env, *command) for command in deploy_job_commands()}
    assert "pulled from the DVC remote s3" in outputs["make pull-inputs REMOTE=s3"]
    assert "dvc.lock matches" in outputs["make check-lock"]
    tested = outputs["make test-artifact"]
    assert " passed" in tested and " skipped" not in tested and " deselected" in tested
    assert not list(runner_cache.iterdir()), "20 Newsgroups must come from the bucket, not a download"
    assert not (runner / PIPELINE).exists(), "the deploy job pulled the pickled pipeline"
    assert not mark.exists(), "the deploy job unpickled the bucket's pipeline"


def test_push_model_fails_loudly_when_the_remote_would_lack_a_file(tmp_path):
    """A fresh clone has nothing in its DVC cache: `dvc push` alone would exit 0 and upload nothing."""
    fresh = clone(REPO_ROOT, tmp_path / "fresh")
    result = run(fresh, environment(tmp_path), "make", "push-model")
    assert result.returncode != 0
    assert "lacks files this commit names" in result.stderr
    for name in ("serving/app/data/model.npz", "training/data/20news-bydate_py3.pkz"):
        assert f"  - {name}" in result.stderr
    assert "make train" in result.stderr
