"""The train workflow's push (`make push-branch`): only with a token that starts workflows, never without.

Each test runs the script in a clone of this repository, as the train job does after `make commit-model`;
"GitHub" is a bare repository reached through GITHUB_SERVER_URL, so the push itself is real.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local_runtime.paths import REPO_ROOT
from ops.push_branch import auth_environment, needs_push

IDENTITY = {
    "GIT_AUTHOR_NAME": "github-actions[bot]",
    "GIT_AUTHOR_EMAIL": "bot@example.com",
    "GIT_COMMITTER_NAME": "github-actions[bot]",
    "GIT_COMMITTER_EMAIL": "bot@example.com",
}


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture
def job(tmp_path) -> tuple[Path, Path, str]:
    """(the job's checkout, the bare "GitHub" repository it pushes to, the commit it checked out)."""
    server = tmp_path / "server"
    remote = server / "owner" / "repo.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(REPO_ROOT), str(remote)], check=True)
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "--quiet", str(remote), str(checkout)], check=True)
    return checkout, server, _git(checkout, "rev-parse", "HEAD")


def _push(checkout: Path, server: Path, checked_out: str, token: str | None):
    env = {key: value for key, value in os.environ.items() if key != "PUSH_TOKEN"}
    env |= {"GITHUB_SERVER_URL": server.as_uri(), "GITHUB_REPOSITORY": "owner/repo", **IDENTITY}
    if token is not None:
        env["PUSH_TOKEN"] = token
    # As the job runs it: in the checkout, which is where it pushes from.
    env["PYTHONPATH"] = str(REPO_ROOT)
    # -P: this tree's ops package, not the one of the commit checked out there.
    command = [
        sys.executable,
        "-P",
        "-m",
        "ops.push_branch",
        "--branch",
        "retrain",
        "--checked-out",
        checked_out,
    ]
    return subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, check=False)


def _commit_model(checkout: Path) -> str:
    (checkout / "dvc.lock").write_text("retrained\n", encoding="utf-8")
    env = {**os.environ, **IDENTITY}
    subprocess.run(["git", "commit", "--quiet", "-am", "Retrained model"], cwd=checkout, env=env, check=True)
    return _git(checkout, "rev-parse", "HEAD")


def test_without_a_token_the_push_fails_saying_how_to_set_one_up(job):
    checkout, server, checked_out = job
    _commit_model(checkout)
    result = _push(checkout, server, checked_out, token="")
    assert result.returncode == 1
    for needed in (
        "MODEL_BOT_APP_CLIENT_ID",
        "MODEL_BOT_APP_PRIVATE_KEY",
        "MODEL_BOT_TOKEN",
        "lint and test",
    ):
        assert needed in result.stderr
    assert "GITHUB_TOKEN" in result.stderr
    assert _git(server / "owner" / "repo.git", "branch", "--list", "retrain") == ""  # nothing was pushed


def test_with_a_token_the_commit_is_pushed_to_the_branch(job):
    checkout, server, checked_out = job
    head = _commit_model(checkout)
    result = _push(checkout, server, checked_out, token="ghs_example")
    assert result.returncode == 0, result.stderr
    assert _git(server / "owner" / "repo.git", "rev-parse", "refs/heads/retrain") == head
    assert "ghs_example" not in result.stdout + result.stderr


def test_nothing_committed_needs_no_push_and_no_token(job):
    checkout, server, checked_out = job
    result = _push(checkout, server, checked_out, token=None)
    assert result.returncode == 0, result.stderr
    assert "nothing to push" in result.stdout
    assert _git(server / "owner" / "repo.git", "branch", "--list", "retrain") == ""


def test_the_token_goes_to_the_server_in_a_header_never_in_the_url():
    env = auth_environment("https://github.com/", "ghs_secret")
    assert env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    scheme, value = env["GIT_CONFIG_VALUE_0"].removeprefix("AUTHORIZATION: ").split(" ")
    assert scheme == "basic" and base64.b64decode(value) == b"x-access-token:ghs_secret"
    assert "ghs_secret" not in "".join(env.values())


def test_a_push_is_needed_only_on_top_of_the_checked_out_commit():
    assert needs_push("b" * 40, "a" * 40)
    assert not needs_push("a" * 40, "a" * 40)
