"""CI runs what a laptop runs: every `run:` step of the workflows is one Make target or one allowed command.

GitHub Actions cannot be run locally, so the workflows must stay thin: each shell step names a Makefile
target (checked here against the Makefile's own target lines) or one of a few plain tool calls. Steps
get untrusted data only through `env:`, never through `${{ }}` inside the shell line, and every action
is pinned to a full commit SHA with its version in a comment.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
ACTIONS = REPO_ROOT / ".github" / "actions"
# The only shell commands besides `make <target>`, each for a reason no Make target serves better.
ALLOWED_COMMANDS = {
    (".venv/bin/dvc", "pull"): "fetch the model dvc.lock names from the team remote",
    (".venv/bin/dvc", "push"): "upload a retrained model to the team remote",
    ("git", "push"): "push the train workflow's commit with an explicit token",
}
SHELL_OPERATORS = ("&&", "||", ";", "|", "`", "$(", ">", "<", "&")
TARGET_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_-]*)\s*:(?!=)", re.MULTILINE)
PINNED_USES = re.compile(r"uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def make_targets(makefile_text: str) -> set[str]:
    """Target names from the Makefile's rule lines (`name: prerequisites`), not variables or file rules."""
    return set(TARGET_LINE.findall(makefile_text))


def run_problems(run: str, targets: set[str]) -> list[str]:
    """Why a `run:` line is not one Make target (or one allowed command); empty when it is."""
    line = run.strip()
    if "\n" in line:
        return [f"{line.splitlines()[0]!r}...: one command per step, not a script"]
    if "${{" in line:
        return [f"{line!r}: pass expressions through env:, not into the shell line"]
    if any(operator in line for operator in SHELL_OPERATORS):
        return [f"{line!r}: one command per step, no shell operators"]
    words = shlex.split(line)
    if words[0] == "make":
        named = [word for word in words[1:] if "=" not in word and not word.startswith("-")]
        if not named:
            return [f"{line!r}: name the Make target"]
        return [f"{line!r}: no Make target {name!r}" for name in named if name not in targets]
    if tuple(words[:2]) not in ALLOWED_COMMANDS:
        return [f"{line!r}: neither a Make target nor an allowed command"]
    return []


def run_steps(document: dict) -> list[str]:
    """Every `run:` of a workflow (all jobs) or of a composite action."""
    jobs = document.get("jobs") or {}
    steps = [step for job in jobs.values() for step in job.get("steps", [])]
    steps += (document.get("runs") or {}).get("steps", [])
    return [step["run"] for step in steps if "run" in step]


def workflow_problems(text: str, targets: set[str]) -> list[str]:
    return [problem for run in run_steps(yaml.safe_load(text)) for problem in run_problems(run, targets)]


def _definitions() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted(ACTIONS.glob("*/action.yml"))


@pytest.fixture(scope="module")
def targets() -> set[str]:
    return make_targets((REPO_ROOT / "Makefile").read_text(encoding="utf-8"))


# --- the repository's workflows ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", _definitions(), ids=lambda path: path.relative_to(REPO_ROOT).as_posix())
def test_every_run_step_is_a_make_target_or_an_allowed_command(path, targets):
    assert workflow_problems(path.read_text(encoding="utf-8"), targets) == []


def test_the_workflows_run_the_loop_through_make(targets):
    """Guards the test above against passing vacuously: the loop's steps really are there."""
    runs = [run for path in _definitions() for run in run_steps(yaml.safe_load(path.read_text("utf-8")))]
    called = {shlex.split(run)[1] for run in runs if run.startswith("make ")}
    loop = {"lint", "test", "train", "check-model", "metrics-report", "test-service", "commit-model"}
    assert loop | {"deploy", "smoke-test"} <= called <= targets


@pytest.mark.parametrize("path", _definitions(), ids=lambda path: path.relative_to(REPO_ROOT).as_posix())
def test_every_action_is_pinned_to_a_commit_with_its_version(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        uses = line.strip().removeprefix("- ")
        if uses.startswith("uses:") and not uses.startswith("uses: ./"):
            assert PINNED_USES.fullmatch(uses), f"{path.name}: {uses}"


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda path: path.name)
def test_workflows_grant_nothing_by_default(path):
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["permissions"] == {}


# --- the check itself, on synthetic input ----------------------------------------------------------------

SYNTHETIC_MAKEFILE = """\
UV := .tools/bin/uv
PORT ?= 3000
.PHONY: lint test
$(UV):
\tpython3 -m venv .tools
.venv/.synced: $(UV) uv.lock
\t$(UV) sync
lint: setup ## lint
\truff check .
test: setup infra-setup
\tpytest
"""


def _workflow(*runs: str) -> str:
    steps = "\n".join(f"      - run: {run}" for run in runs)
    return f"on: push\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n{steps}\n"


def test_targets_are_rule_names_not_variables_or_files():
    assert make_targets(SYNTHETIC_MAKEFILE) == {"lint", "test"}


def test_a_workflow_naming_a_missing_target_fails():
    problems = workflow_problems(_workflow("make lint", "make deploy-everything STAGE=prod"), {"lint"})
    assert problems == ["'make deploy-everything STAGE=prod': no Make target 'deploy-everything'"]


def test_targets_with_variables_and_allowed_commands_pass():
    workflow = _workflow(
        'make check-model BASE="origin/$BASE_REF"',
        ".venv/bin/dvc pull -r s3 --allow-missing",
        'git push "https://x-access-token:${PUSH_TOKEN}@github.com/${GITHUB_REPOSITORY}.git" HEAD:main',
    )
    assert workflow_problems(workflow, {"check-model"}) == []


@pytest.mark.parametrize(
    ("run", "reason"),
    [
        ("make lint && make test", "no shell operators"),
        ("make test > out.txt", "no shell operators"),
        ("pytest serving/tests", "neither a Make target nor an allowed command"),
        (".venv/bin/dvc gc -w", "neither a Make target nor an allowed command"),
        ("make", "name the Make target"),
        ("make check-model BASE=${{ github.event.pull_request.base.ref }}", "through env:"),
    ],
)
def test_anything_else_in_a_run_step_fails(run, reason):
    [problem] = workflow_problems(_workflow(run), {"lint", "test"})
    assert reason in problem


def test_a_multi_line_script_fails():
    workflow = (
        "on: push\njobs:\n  ci:\n    steps:\n      - run: |\n          make lint\n          make test\n"
    )
    [problem] = workflow_problems(workflow, {"lint", "test"})
    assert "not a script" in problem


def test_composite_action_steps_are_checked_too():
    action = "runs:\n  using: composite\n  steps:\n    - run: make nothing-here\n      shell: bash\n"
    assert workflow_problems(action, {"lint"}) == ["'make nothing-here': no Make target 'nothing-here'"]
