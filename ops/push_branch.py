"""Push the train workflow's commit to the pull request's branch: `make push-branch BRANCH=.. CHECKED_OUT=..`.

It works on the repository of the current directory (the job's checkout).

The bot's commit must start workflows. Branch protection requires test.yml's "lint and test" on the pull
request's head commit, and a push made with the workflow's own GITHUB_TOKEN starts no workflow
(docs.github.com, "Triggering a workflow from a workflow"): that check would never run on the bot's
commit, and the pull request could never merge. So the push needs a token from a GitHub App or a
fine-grained personal access token (train.yml mints or reads it into PUSH_TOKEN); without one this fails,
saying how to set one up, rather than push a commit no check will ever pass. When the job committed
nothing (the model did not change), there is nothing to push and no token is needed.

The token reaches git through the environment (an `http.<url>.extraHeader` given with GIT_CONFIG_COUNT,
as actions/checkout sets it), never through the command line or the remote's URL, so neither a process
listing nor a git message can show it.

    PUSH_TOKEN=... python -m ops.push_branch --branch BRANCH --checked-out SHA
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys

TOKEN_VARIABLE = "PUSH_TOKEN"
NO_TOKEN = """\
error: no token to push the retrained model's commit with. A push with the workflow's own GITHUB_TOKEN
starts no workflow, so the required check "lint and test" would never run on that commit and the pull
request could not merge. Set up one of (docs/deploying.md, "The bot's commit and the checks"):
  - a GitHub App with Contents: read and write on this repository: the MODEL_BOT_APP_CLIENT_ID variable
    and the MODEL_BOT_APP_PRIVATE_KEY secret;
  - a fine-grained personal access token with Contents: write on this repository only: the
    MODEL_BOT_TOKEN secret.
Then re-run this workflow. The model is already on the DVC remote and the report is on the pull request."""
MOVED = (
    "error: the push was refused (see git's message above). If the branch moved while this job ran, the "
    "newer commit's run retrains and pushes instead; nothing is lost."
)


def needs_push(head: str, checked_out: str) -> bool:
    """True when the job committed on top of the commit it checked out."""
    return head != checked_out


def auth_environment(server_url: str, token: str) -> dict[str, str]:
    """Git configuration, through the environment, that sends the token to `server_url` only."""
    credentials = base64.b64encode(f"x-access-token:{token}".encode()).decode("ascii")
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{server_url.rstrip('/')}/.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {credentials}",
    }


def _git(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    return subprocess.run(["git", *args], env=environment, text=True, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.push_branch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--branch", required=True, help="the pull request's branch")
    parser.add_argument("--checked-out", required=True, help="the commit the job checked out")
    args = parser.parse_args(argv)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not needs_push(head, args.checked_out):
        print("No new commit (the model did not change): nothing to push.")
        return 0
    token = os.environ.get(TOKEN_VARIABLE, "")
    if not token:
        print(NO_TOKEN, file=sys.stderr)
        return 1
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    url = f"{server.rstrip('/')}/{os.environ['GITHUB_REPOSITORY']}.git"
    pushed = _git("push", url, f"HEAD:refs/heads/{args.branch}", env=auth_environment(server, token))
    if pushed.returncode != 0:
        print(MOVED, file=sys.stderr)
        return 1
    print(f"Pushed {head[:12]} to {args.branch}: its checks and workflows run as for any push.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
