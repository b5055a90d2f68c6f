"""The repository as GitHub's OIDC tokens name it: its numeric IDs, and which subject format it sends.

Today's tokens carry `repo:OWNER@OWNER_ID/REPO@REPO_ID:...` (immutable subject claims; the default for
repositories created or renamed on or after 2026-07-15); older repositories may still send the names-only
`repo:OWNER/REPO:...` (stacks/github_subjects.py). Both facts come from GitHub's API through `gh`, or from
the environment (`GITHUB_REPOSITORY_OWNER_ID`, `GITHUB_REPOSITORY_ID`, which GitHub Actions also sets, and
`GITHUB_LEGACY_SUBJECTS`); when neither can say, the setup stops with the exact command that finds out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stacks.github_subjects import GitHubRepository, immutable_prefix

from account_setup.commands import CommandFailed, Run, SetupError, run, run_json

OWNER_ID_ENV, REPOSITORY_ID_ENV = "GITHUB_REPOSITORY_OWNER_ID", "GITHUB_REPOSITORY_ID"
LEGACY_ENV = "GITHUB_LEGACY_SUBJECTS"


@dataclass(frozen=True)
class Identity:
    repository: GitHubRepository
    legacy_subjects: bool

    def context(self) -> list[str]:
        """The CDK context the data stack's roles are built from (stacks/app_builder.py)."""
        return [
            f"github_repository={self.repository.full_name}",
            f"github_owner_id={self.repository.owner_id}",
            f"github_repository_id={self.repository.repository_id}",
            f"github_legacy_subjects={'true' if self.legacy_subjects else 'false'}",
        ]


def find_identity(repository: str, environ: Mapping[str, str], run_command: Run = run) -> Identity:
    owner_id, repository_id = _ids(repository, environ, run_command)
    try:
        found = GitHubRepository(repository, owner_id, repository_id)
    except ValueError as error:
        raise SetupError(f"{error}: {_how_to_find_ids(repository)}") from error
    return Identity(found, _legacy_subjects(found, environ, run_command))


def _ids(repository: str, environ: Mapping[str, str], run_command: Run) -> tuple[str, str]:
    given = environ.get(OWNER_ID_ENV, "").strip(), environ.get(REPOSITORY_ID_ENV, "").strip()
    if all(given):
        return given
    if any(given):
        raise SetupError(
            f"Set both {OWNER_ID_ENV} and {REPOSITORY_ID_ENV}, or neither. {_how_to_find_ids(repository)}"
        )
    try:
        lines = run_command(["gh", "api", f"repos/{repository}", "--jq", ".owner.id, .id"]).split()
    except CommandFailed as error:
        raise SetupError(
            f"Could not ask GitHub for the IDs of {repository} ({error}). {_how_to_find_ids(repository)}"
        ) from error
    if len(lines) != 2:
        raise SetupError(f"gh printed {lines!r} for the IDs of {repository}. {_how_to_find_ids(repository)}")
    return lines[0], lines[1]


def _how_to_find_ids(repository: str) -> str:
    return (
        "The CI roles trust the repository by GitHub's numeric owner and repository IDs, which today's OIDC "
        "tokens carry (repo:OWNER@OWNER_ID/REPO@REPO_ID:...). Find them with\n"
        f"  gh api repos/{repository} --jq '.owner.id, .id'\n"
        "or, without gh (a private repository needs -H 'Authorization: Bearer <token>'),\n"
        f"  curl -s https://api.github.com/repos/{repository} | jq '.owner.id, .id'\n"
        "and run again with\n"
        f"  make bootstrap GITHUB_REPOSITORY={repository} {OWNER_ID_ENV}=<first> {REPOSITORY_ID_ENV}=<second>"
    )


def _legacy_subjects(repository: GitHubRepository, environ: Mapping[str, str], run_command: Run) -> bool:
    given = environ.get(LEGACY_ENV, "").strip()
    if given:
        if given not in ("true", "false"):
            raise SetupError(f"{LEGACY_ENV}={given!r}: use true or false.")
        return given == "true"
    endpoint = f"repos/{repository.full_name}/actions/oidc/customization/sub"
    try:
        settings = run_json(run_command, ["gh", "api", endpoint])
    except (CommandFailed, ValueError) as error:
        raise SetupError(
            f"Could not read which subject format {repository.full_name} sends ({error}). "
            + _how_to_choose(endpoint)
        ) from error
    if not isinstance(settings, dict):
        settings = {}
    if settings.get("use_default") is False:
        raise SetupError(
            f"{repository.full_name} customizes its OIDC subject ({settings.get('include_claim_keys')}); the "
            "CI roles trust GitHub's default subject only. Return to it with\n"
            f"  gh api -X PUT {endpoint} -F use_default=true"
        )
    if "use_immutable_subject" not in settings:
        raise SetupError(
            f"gh api {endpoint} did not say whether the repository uses immutable subjects. "
            + _how_to_choose(endpoint)
        )
    if not settings["use_immutable_subject"]:
        return True
    reported = settings.get("sub_claim_prefix")
    if reported and reported.lower() != immutable_prefix(repository).lower():
        raise SetupError(
            f"GitHub names the repository {reported!r} in its tokens, not {immutable_prefix(repository)!r}: "
            "check GITHUB_REPOSITORY and the IDs."
        )
    return False


def _how_to_choose(endpoint: str) -> str:
    return (
        f"Run `gh api {endpoint}` (needs read access to the repository's Actions settings): "
        f'"use_immutable_subject": true means {LEGACY_ENV}=false, false means {LEGACY_ENV}=true. Without '
        "gh: repositories created or renamed on or after 2026-07-15, or opted in to immutable subject "
        f"claims, send them ({LEGACY_ENV}=false); older ones send names-only subjects ({LEGACY_ENV}=true). "
        "Run again with it set."
    )
