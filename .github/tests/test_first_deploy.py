"""A fork's first deploy, rehearsed offline: docs/deploying.md's steps, then the deploy job's model steps.

What AWS alone can do is left out (`cdk bootstrap`, the data stack, OIDC, `cdk deploy`); the team bucket
is moto's S3 server on 127.0.0.1, reached through the `s3` remote exactly as on AWS except for its
endpoint. The rest runs as the README and the workflows say, through `make`:

1. the maintainer's clone, with an empty DVC cache and 20 Newsgroups only in scikit-learn's cache:
   `make bootstrap`'s DVC half (point the `s3` remote at the bucket, `make seed-remote REMOTE=s3`), then
   commit `.dvc/config`;
2. the deploy job's clone of that commit, with no DVC cache and no 20 Newsgroups anywhere on the
   machine: `make fetch-newsgroups REMOTE=s3`, `dvc pull -r s3`, `make check-lock`, `make test-service`
   (with CI=true, so a test that lacks the model or its data fails instead of skipping).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local_runtime.child_service import free_port
from local_runtime.paths import REPO_ROOT
from training import newsgroups

pytestmark = pytest.mark.e2e

BUCKET = "text-classifier-first-deploy"
NEWSGROUPS_FILE = "20news-bydate_py3.pkz"
IDENTITY = {
    "GIT_AUTHOR_NAME": "maintainer",
    "GIT_AUTHOR_EMAIL": "maintainer@example.com",
    "GIT_COMMITTER_NAME": "maintainer",
    "GIT_COMMITTER_EMAIL": "maintainer@example.com",
}


@pytest.fixture(scope="module")
def bucket_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


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


def _environment(scikit_learn_data: Path) -> dict[str, str]:
    """Dummy keys for the bucket, no AWS settings from this machine, and only the given 20NG cache."""
    unwanted = ("AWS_", "SCIKIT_LEARN", "MAKEFLAGS", "MAKELEVEL")
    env = {key: value for key, value in os.environ.items() if not key.startswith(unwanted)}
    env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env |= {"AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    env |= {"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/keys"}
    return env | {"SCIKIT_LEARN_DATA": str(scikit_learn_data), **IDENTITY}


def _clone(source: Path, destination: Path) -> Path:
    """A clone that shares this checkout's tool and Python environments (both locked), not their caches."""
    subprocess.run(["git", "clone", "--quiet", str(source), str(destination)], check=True)
    for environment in (".tools", ".venv"):
        (destination / environment).symlink_to(REPO_ROOT / environment)
    # .gitignore names them as folders ("/.venv/"), which a symbolic link is not.
    (destination / ".git" / "info" / "exclude").write_text(".tools\n.venv\n", encoding="utf-8")
    return destination


def _step(clone: Path, env: dict[str, str], *command: str) -> str:
    result = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output[-6000:]}"
    return output


def _dvc(*args: str) -> list[str]:
    return [str(REPO_ROOT / ".venv" / "bin" / "dvc"), *args]


def test_a_forks_first_deploy_works_as_the_readme_says(bucket_endpoint, newsgroups_file, tmp_path):
    maintainer_cache = tmp_path / "maintainer_scikit_learn_data"
    maintainer_cache.mkdir()
    shutil.copyfile(newsgroups_file, maintainer_cache / NEWSGROUPS_FILE)
    maintainer = _clone(REPO_ROOT, tmp_path / "maintainer")
    env = _environment(maintainer_cache)

    # `make bootstrap` after its AWS steps: the bucket's URL goes into .dvc/config, then seed-remote.
    _step(maintainer, env, *_dvc("remote", "modify", "s3", "url", f"s3://{BUCKET}/dvc"))
    _step(maintainer, env, *_dvc("remote", "modify", "--local", "s3", "endpointurl", bucket_endpoint))
    seeded = _step(maintainer, env, "make", "seed-remote", "REMOTE=s3")
    assert "Trained exactly the model dvc.lock names" in seeded
    assert "holds every file dvc.lock and the .dvc files name" in seeded
    changed = _step(maintainer, env, "git", "status", "--porcelain").split("\n")
    assert [line for line in changed if line] == [" M .dvc/config"]
    _step(maintainer, env, "git", "commit", "--quiet", "-m", "DVC remote: the team bucket", ".dvc/config")

    # The deploy job: a runner with nothing but the commit and the bucket.
    runner_cache = tmp_path / "runner_scikit_learn_data"
    runner_cache.mkdir()
    runner = _clone(maintainer, tmp_path / "runner")
    env = _environment(runner_cache) | {"CI": "true"}
    _step(runner, env, *_dvc("remote", "modify", "--local", "s3", "endpointurl", bucket_endpoint))
    fetched = _step(runner, env, "make", "fetch-newsgroups", "REMOTE=s3")
    assert "pulled from the DVC remote s3" in fetched
    _step(runner, env, *_dvc("pull", "-r", "s3"))
    assert "dvc.lock matches" in _step(runner, env, "make", "check-lock")
    tested = _step(runner, env, "make", "test-service")
    assert " passed" in tested and " skipped" not in tested
    assert not list(runner_cache.iterdir()), "20 Newsgroups must come from the bucket, not a download"


def test_push_model_fails_loudly_when_the_remote_would_lack_a_file(tmp_path):
    """A fresh clone has nothing in its DVC cache: `dvc push` alone would exit 0 and upload nothing."""
    clone = _clone(REPO_ROOT, tmp_path / "fresh")
    env = _environment(tmp_path)
    result = subprocess.run(
        ["make", "push-model"], cwd=clone, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "lacks files this commit names" in result.stderr
    for name in ("serving/app/data/model.npz", "training/data/20news-bydate_py3.pkz"):
        assert f"  - {name}" in result.stderr
    assert "make train" in result.stderr
