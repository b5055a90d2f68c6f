"""The model's trip through the team's DVC remote, on a real S3 API (moto's server on 127.0.0.1).

A fresh clone trains a model through the DVC pipeline, pushes it to the `s3` remote declared in
.dvc/config, forgets every local copy, pulls it back and serves it: what CI does between the training
pull request and the deployment. Only the endpoint and dummy keys differ from AWS.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from local_runtime.child_service import child_service, free_port
from local_runtime.client import request_json as http_request
from local_runtime.paths import REPO_ROOT
from serving.app.contracts import api

BUCKET = "text-classifier-dvc-test"
MODEL_FILES = ("serving/app/data/model.npz", "serving/app/data/model.json")
DUMMY_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **_boto_keys())
    s3.create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def _boto_keys() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _environment(credentials: bool) -> dict[str, str]:
    """The venv first on PATH (dvc stages call `python`); AWS settings only from what is given here."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    # No profile from the machine running the tests: files that do not exist mean "no settings".
    env.update(AWS_CONFIG_FILE="/nonexistent/aws-config", AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-keys")
    if credentials:
        env.update(DUMMY_KEYS)
    return env


def _dvc(clone: Path, *args: str, credentials: bool = True) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dvc", *args]
    env = _environment(credentials)
    return subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True, check=False)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def trained_clone(tmp_path_factory, s3_endpoint):
    """A clone of the project that trained BBC News through `dvc repro` and points `s3` at moto."""
    clone = tmp_path_factory.mktemp("dvc") / "project"
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(clone)], check=True)
    params = [sys.executable, "-m", "training.params", "set", "data.source=bbc-news"]
    subprocess.run(params, cwd=clone, check=True, capture_output=True)
    repro = _dvc(clone, "repro")
    assert repro.returncode == 0, repro.stdout + repro.stderr
    for setting in (("url", f"s3://{BUCKET}/dvc"), ("endpointurl", s3_endpoint)):
        assert _dvc(clone, "remote", "modify", "--local", "s3", *setting).returncode == 0
    return clone


def test_push_wipe_pull_returns_the_same_bytes_and_the_service_starts(trained_clone):
    before = {name: _sha256(trained_clone / name) for name in MODEL_FILES}
    push = _dvc(trained_clone, "push", "-r", "s3")
    assert push.returncode == 0, push.stderr

    shutil.rmtree(trained_clone / ".dvc" / "cache")
    for name in MODEL_FILES:
        (trained_clone / name).unlink()
    pull = _dvc(trained_clone, "pull", "-r", "s3", "export")  # the model files; 20NG is not used here
    assert pull.returncode == 0, pull.stderr

    assert {name: _sha256(trained_clone / name) for name in MODEL_FILES} == before
    served = trained_clone / "serving" / "app" / "data"
    with child_service(model_dir=served, project=trained_clone) as base_url:
        status, model = http_request(base_url, "GET", api.MODEL)
        assert status == 200 and model["data"]["source"] == "bbc-news"
        status, answer = http_request(base_url, "POST", api.CLASSIFY, {"text": "The striker scored twice"})
        assert status == 200 and answer["model"]["version"] == model["version"]


def test_pull_without_credentials_fails_and_says_so(trained_clone):
    assert _dvc(trained_clone, "push", "-r", "s3").returncode == 0
    shutil.rmtree(trained_clone / ".dvc" / "cache")
    pull = _dvc(trained_clone, "pull", "-r", "s3", "export", "--force", credentials=False)
    assert pull.returncode != 0
    assert "Unable to locate credentials" in pull.stderr
