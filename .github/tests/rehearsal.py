"""What the offline rehearsals of the workflows share: a team bucket on 127.0.0.1, clones, and the deploy
job's own commands, read from deploy-stage.yml so that a rehearsal runs exactly what the job runs.

The bucket is moto's S3 server, reached through the `s3` DVC remote exactly as on AWS except for its
endpoint; nothing here reaches anything but loopback.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import yaml
from moto.server import ThreadedMotoServer

from local_runtime.child_service import free_port
from local_runtime.paths import REPO_ROOT

DEPLOY_STAGE = REPO_ROOT / ".github" / "workflows" / "deploy-stage.yml"
DUMMY_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
IDENTITY = {
    "GIT_AUTHOR_NAME": "maintainer",
    "GIT_AUTHOR_EMAIL": "maintainer@example.com",
    "GIT_COMMITTER_NAME": "maintainer",
    "GIT_COMMITTER_EMAIL": "maintainer@example.com",
}


@contextmanager
def s3_bucket(name: str) -> Iterator[tuple[str, object]]:
    """(endpoint URL, boto3 S3 client) of a fresh bucket on a local S3 server, for the block's duration."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **DUMMY_KEYS)
        client.create_bucket(Bucket=name)
        yield endpoint, client
    finally:
        server.stop()


def environment(scikit_learn_data: Path) -> dict[str, str]:
    """Dummy keys for the bucket, no AWS settings from this machine, and only the given 20NG cache."""
    unwanted = ("AWS_", "SCIKIT_LEARN", "MAKEFLAGS", "MAKELEVEL")
    env = {key: value for key, value in os.environ.items() if not key.startswith(unwanted)}
    env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env |= {"AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    env |= {"AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/keys"}
    # A clone shares this checkout's environment (`clone`): `uv run` syncs the environment before running
    # (https://docs.astral.sh/uv/concepts/projects/sync/), which in a clone would repoint it there.
    env |= {"UV_NO_SYNC": "1"}
    return env | {"SCIKIT_LEARN_DATA": str(scikit_learn_data), **IDENTITY}


def clone(source: Path, destination: Path) -> Path:
    """A clone that shares this checkout's tool and Python environments (both locked), not their caches."""
    subprocess.run(["git", "clone", "--quiet", str(source), str(destination)], check=True)
    for tools in (".tools", ".venv"):
        (destination / tools).symlink_to(REPO_ROOT / tools)
    # The clone's lock is the one the shared environment was synced from: given the source's times, make
    # finds .venv up to date. A sync from the clone would point the environment's editable install (and
    # so every later test's imports) at the clone; `environment` stops `uv run`'s own sync too.
    for locked in ("pyproject.toml", "uv.lock"):
        times = (REPO_ROOT / locked).stat()
        os.utime(destination / locked, ns=(times.st_atime_ns, times.st_mtime_ns))
    # .gitignore names them as folders ("/.venv/"), which a symbolic link is not.
    (destination / ".git" / "info" / "exclude").write_text(".tools\n.venv\n", encoding="utf-8")
    return destination


def run(checkout: Path, env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, check=False)


def step(checkout: Path, env: dict[str, str], *command: str) -> str:
    """Run one step; fail the test with the step's output when it fails."""
    result = run(checkout, env, *command)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output[-6000:]}"
    return output


def dvc(*args: str) -> list[str]:
    return [str(REPO_ROOT / ".venv" / "bin" / "dvc"), *args]


def deploy_job_commands() -> list[list[str]]:
    """The deploy job's shell steps before `make deploy`: all it does with the bucket before shipping."""
    [job] = yaml.safe_load(DEPLOY_STAGE.read_text(encoding="utf-8"))["jobs"].values()
    commands = []
    for workflow_step in job["steps"]:
        if "run" not in workflow_step:
            continue
        command = shlex.split(workflow_step["run"])
        if command[:2] == ["make", "deploy"]:
            return commands
        commands.append(command)
    raise AssertionError(f"{DEPLOY_STAGE.name}: no `make deploy` step")
