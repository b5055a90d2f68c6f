"""The `sub` claims GitHub Actions OIDC tokens carry: the strings the CI roles' trust policies name.

A token's subject is `<prefix>:<context>`, and GitHub writes the prefix in one of two formats:

- immutable: `repo:OWNER@OWNER_ID/REPO@REPO_ID`, the numeric IDs appended to the names with `@`. The
  default for repositories created or renamed on or after 2026-07-15, and an opt-in before then
  (GitHub changelog 2026-04-23 "Immutable subject claims for GitHub Actions OIDC tokens"; the
  "Immutable subject claims" section github/docs PR #45221 adds to the OIDC reference:
  `repo:octocat@123456/my-repo@456789:ref:refs/heads/main`). The IDs "never change, and they are never
  reused if an account or repository is deleted", so a repository of the same name made by someone else
  later does not get the same subject.
- legacy: `repo:OWNER/REPO`, names only; what older repositories still send until they opt in.

Only the prefix differs: PR #45221 says the IDs are "appended to each name", and the context after the
prefix is the one GitHub's OIDC reference documents for the default subject, in either format
(`repo:<orgName/repoName>:environment:<environmentName>`, `...:pull_request`, `...:ref:refs/heads/<branch>`;
an environment replaces the branch). A repository sends one format at a time; GitHub's repository OIDC
endpoint (`gh api repos/OWNER/REPO/actions/oidc/customization/sub`) reports which (`use_immutable_subject`)
and the prefix itself (`sub_claim_prefix`), which `make bootstrap` compares with `immutable_prefix`.

Pure functions, no CDK: the roles, `make bootstrap` and the tests build subjects only here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PULL_REQUEST = "pull_request"
# GitHub's account and repository IDs are positive integers; checked so that no wildcard or separator
# can ever reach a trust policy through a setting.
NUMERIC_ID = re.compile(r"^[1-9][0-9]{0,19}$")


@dataclass(frozen=True)
class GitHubRepository:
    """One repository as the token names it: `owner/name` and the two immutable IDs."""

    full_name: str  # owner/name
    owner_id: str
    repository_id: str

    def __post_init__(self) -> None:
        for label, value in (("owner id", self.owner_id), ("repository id", self.repository_id)):
            if not NUMERIC_ID.match(value):
                raise ValueError(f"GitHub {label} {value!r} is not a number")
        if self.full_name.count("/") != 1:
            raise ValueError(f"GitHub repository {self.full_name!r} is not owner/name")

    @property
    def owner(self) -> str:
        return self.full_name.split("/")[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/")[1]


def immutable_prefix(repository: GitHubRepository) -> str:
    """`repo:OWNER@OWNER_ID/REPO@REPO_ID`, the prefix of every subject under immutable subject claims."""
    return f"repo:{repository.owner}@{repository.owner_id}/{repository.name}@{repository.repository_id}"


def legacy_prefix(repository: GitHubRepository) -> str:
    """`repo:OWNER/REPO`, the names-only prefix of repositories that have not moved to immutable claims."""
    return f"repo:{repository.full_name}"


def branch(name: str) -> str:
    """The context of a job on branch `name` that runs in no environment."""
    return f"ref:refs/heads/{name}"


def environment(name: str) -> str:
    """The context of a job that runs in GitHub environment `name`."""
    return f"environment:{name}"


def subjects(repository: GitHubRepository, contexts: list[str], *, legacy: bool) -> list[str]:
    """Every subject a token of `repository` may carry for `contexts`: the immutable ones, and the legacy
    ones too only when the repository still sends them (`legacy`)."""
    prefixes = [immutable_prefix(repository)] + ([legacy_prefix(repository)] if legacy else [])
    return [f"{prefix}:{context}" for prefix in prefixes for context in contexts]
