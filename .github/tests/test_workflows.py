"""CI runs what a laptop runs: every `run:` step of the workflows is one Make target or one allowed command.

GitHub Actions cannot be run locally, so the workflows must stay thin: each shell step names a Makefile
target (checked here against the Makefile's own target lines) or one of a few plain tool calls. Steps
get untrusted data only through `env:`, never through `${{ }}` inside the shell line, and every action
is pinned to a full commit SHA with its version in a comment.

The loop's order is held here too, on the parsed workflows: a deploy stage needs the test job of its own
run on every trigger; the lock check runs in the test job and in each stage before anything ships; the
training inputs come from the team bucket, verified (`make pull-inputs REMOTE=s3`), never from an
`actions/cache` of scikit-learn's download; a deploy pulls the artifact alone and runs no test that
unpickles; the quality gate against the base branch is part of the required job; the train workflow
starts for every input of the data fingerprint, posts its report before it pushes, and pushes only with a
token that starts workflows; each job assumes the one AWS role meant for it, chosen per event with no
fallback to another; deploys by push and by hand queue in one group.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
import yaml

from local_runtime.paths import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
ACTIONS = REPO_ROOT / ".github" / "actions"
DEPENDABOT = REPO_ROOT / ".github" / "dependabot.yml"
# The only shell commands besides `make <target>`, each for a reason no Make target serves better. (An
# upload is `make push-model`, which also fails when the remote lacks a file: a plain `dvc push` only warns.)
ALLOWED_COMMANDS = {
    (
        ".venv/bin/dvc",
        "pull",
    ): "fetch the model dvc.lock names, so that an unchanged pipeline is not retrained",
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


def all_steps(document: dict) -> list[dict]:
    """The steps of every job of a workflow, or of a composite action."""
    jobs = document.get("jobs") or {}
    steps = [step for job in jobs.values() for step in job.get("steps", [])]
    return steps + (document.get("runs") or {}).get("steps", [])


def run_steps(document: dict) -> list[str]:
    """Every `run:` of a workflow (all jobs) or of a composite action."""
    return [step["run"] for step in all_steps(document) if "run" in step]


def workflow_problems(text: str, targets: set[str]) -> list[str]:
    return [problem for run in run_steps(yaml.safe_load(text)) for problem in run_problems(run, targets)]


def _definitions() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted(ACTIONS.glob("*/action.yml"))


# --- reading the workflows' structure ----------------------------------------------------------------------

# Any status check function in `if:` (even `success()`, which may then be or-ed away) replaces the default
# `success()` that otherwise requires every needed job to have succeeded (docs.github.com, "Evaluate
# expressions in workflows and actions", status check functions).
STATUS_FUNCTION = re.compile(r"\b(?:always|cancelled|failure|success)\(\s*\)")
PERMISSION_LEVELS = {"none": 0, "read": 1, "write": 2}


def load_workflow(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def triggers(document: dict) -> dict:
    """The `on:` events as a mapping; PyYAML reads the bare key `on` as the boolean True (YAML 1.1)."""
    on = document.get("on", document.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on or {}


def make_call(step: dict) -> tuple[str, list[str]] | None:
    """(target, variable assignments) of a `make <target> ...` step, else None."""
    words = shlex.split(str(step.get("run", "")))
    if len(words) < 2 or words[0] != "make":
        return None
    return words[1], [word for word in words[2:] if "=" in word]


def runs_make(target: str, *assignments: str) -> Callable[[dict], bool]:
    def matches(step: dict) -> bool:
        call = make_call(step)
        return call is not None and call[0] == target and set(assignments) <= set(call[1])

    return matches


def pulls_from_s3(step: dict) -> bool:
    words = shlex.split(str(step.get("run", "")))
    return words[:2] == [".venv/bin/dvc", "pull"] and "s3" in words and "-r" in words


def uses_action(name: str) -> Callable[[dict], bool]:
    return lambda step: str(step.get("uses", "")).split("@")[0] == name


def order_problems(steps: list[dict], *expected: tuple[str, Callable[[dict], bool]]) -> list[str]:
    """Each named step is there, and each comes (first) before the next one named."""
    positions = []
    problems = []
    for name, matches in expected:
        index = next((i for i, step in enumerate(steps) if matches(step)), None)
        if index is None:
            problems.append(f"no step {name}")
        positions.append((name, index))
    for (first, i), (then, j) in pairwise(positions):
        if i is not None and j is not None and i >= j:
            problems.append(f"{first} must come before {then}")
    return problems


def needs_of(job: dict) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


def upstream_jobs(jobs: dict, job_id: str) -> set[str]:
    """Every job `job_id` needs, directly or through the jobs it needs."""
    seen: set[str] = set()
    pending = needs_of(jobs[job_id])
    while pending:
        need = pending.pop()
        if need not in seen:
            seen.add(need)
            pending.extend(needs_of(jobs[need]))
    return seen


def calls_workflow(job: dict, file_name: str) -> bool:
    return str(job.get("uses", "")).startswith("./.github/workflows/") and job["uses"].endswith(
        f"/{file_name}"
    )


def condition_text(job: dict) -> str:
    text = str(job.get("if", "")).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    return " ".join(text.split())


def top_level_conjuncts(condition: str) -> list[str]:
    """The operands of the outermost `&&`s: each must hold for the whole condition to hold."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(condition):
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and condition.startswith("&&", i):
            parts.append(condition[start:i])
            start = i + 2
    parts.append(condition[start:])
    return [" ".join(part.split()) for part in parts]


def deploy_gate_problems(document: dict) -> list[str]:
    """Why a deploy stage could start without its run's test job having passed; empty when it cannot.

    A stage job must need (directly or transitively) a job calling test.yml, that test job must run on
    every trigger (no `if:`), and any job on the way whose `if:` uses a status function (which drops the
    implicit success() requirement) must require the test job's success as a top-level condition.
    """
    jobs = document.get("jobs") or {}
    tests = {job_id for job_id, job in jobs.items() if calls_workflow(job, "test.yml")}
    stages = [job_id for job_id, job in jobs.items() if calls_workflow(job, "deploy-stage.yml")]
    if not tests:
        return ["no job calls test.yml"]
    if not stages:
        return ["no job calls deploy-stage.yml"]
    problems = [
        f"{test}: the test job must run on every trigger (no if:)" for test in tests if "if" in jobs[test]
    ]
    for stage in stages:
        upstream = upstream_jobs(jobs, stage)
        gate = upstream & tests
        if not gate:
            problems.append(f"{stage}: needs no test job, directly or through another job")
            continue
        required = {f"needs.{test}.result == 'success'" for test in gate}
        for job_id in sorted({stage} | (upstream - tests)):
            condition = condition_text(jobs[job_id])
            if STATUS_FUNCTION.search(condition) and not required & set(top_level_conjuncts(condition)):
                problems.append(
                    f"{job_id}: its if: overrides success(), so it must require "
                    f"{' or '.join(sorted(required))} (a top-level && condition)"
                )
    return problems


def _permissions(block: object) -> dict[str, str]:
    return block if isinstance(block, dict) else {}


def caller_permission_problems(
    document: dict, load_called: Callable[[str], dict] = load_workflow
) -> list[str]:
    """A called workflow only gets what its calling job grants: each called job's permissions must fit."""
    problems = []
    for job_id, job in (document.get("jobs") or {}).items():
        uses = str(job.get("uses", ""))
        if not uses.startswith("./.github/workflows/"):
            continue
        granted = _permissions(job.get("permissions"))
        called = load_called(uses.rsplit("/", 1)[1])
        for called_id, called_job in (called.get("jobs") or {}).items():
            for scope, level in _permissions(called_job.get("permissions")).items():
                if PERMISSION_LEVELS[level] > PERMISSION_LEVELS.get(granted.get(scope, "none"), 0):
                    problems.append(f"{job_id}: {uses} job {called_id} needs {scope}: {level}")
    return problems


def _env_blocks(document: dict) -> list[dict]:
    jobs = (document.get("jobs") or {}).values()
    blocks = [
        document.get("env"),
        *(job.get("env") for job in jobs),
        *(step.get("env") for step in all_steps(document)),
    ]
    return [block for block in blocks if isinstance(block, dict)]


def newsgroups_source_problems(document: dict) -> list[str]:
    """Ways a workflow could take 20 Newsgroups from anywhere but the team bucket (or say so when it can't).

    No `actions/cache` of scikit-learn's download folder, every `make fetch-newsgroups` or `make
    pull-inputs` with REMOTE=s3, and SCIKIT_LEARN_DATA, where set, naming the DVC-tracked folder
    training/data, not a download cache.
    """
    problems = []
    for step in all_steps(document):
        if uses_action("actions/cache")(step) and "scikit_learn_data" in str(
            (step.get("with") or {}).get("path")
        ):
            problems.append(
                f"{step.get('name', step['uses'])}: a cache of scikit-learn's 20 Newsgroups download"
            )
        call = make_call(step)
        if call and call[0] in ("fetch-newsgroups", "pull-inputs") and "REMOTE=s3" not in call[1]:
            problems.append(f"{step['run']!r}: fetch from the team bucket: REMOTE=s3")
    for block in _env_blocks(document):
        value = block.get("SCIKIT_LEARN_DATA")
        if value is not None and not str(value).rstrip("/").endswith("/training/data"):
            problems.append(f"SCIKIT_LEARN_DATA={value}: name the DVC-tracked folder (…/training/data)")
    return problems


# --- roles, concurrency and the path filter -----------------------------------------------------------------

ROLE_VARIABLE = re.compile(r"^\$\{\{\s*vars\.([A-Z0-9_]+)\s*\}\}$")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def assumed_roles(document: dict) -> list[tuple[str, dict, str]]:
    """(job id, job, role-to-assume) for every step of the workflow that assumes an AWS role."""
    return [
        (job_id, job, str((step.get("with") or {}).get("role-to-assume", "")))
        for job_id, job in (document.get("jobs") or {}).items()
        for step in job.get("steps", [])
        if uses_action("aws-actions/configure-aws-credentials")(step)
    ]


def role_variable(role: str) -> str | None:
    """The one variable a role-to-assume names; None for anything else (a choice, a fallback, a literal)."""
    match = ROLE_VARIABLE.match(role.strip())
    return match.group(1) if match else None


def concurrency_group(block: dict | str, context: dict[str, str]) -> str:
    """A concurrency group with its `${{ name }}` expressions replaced from `context` (names only)."""
    group = block if isinstance(block, str) else str(block["group"])

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in context:
            raise KeyError(f"{group}: no value for {name} in this test's context")
        return context[name]

    return EXPRESSION.sub(value, group)


def _glob_regex(pattern: str) -> re.Pattern:
    """GitHub's filter pattern syntax: `**` any characters, `*` any but "/", `?` zero or one, `[]` a class
    (docs.github.com, "Workflow syntax for GitHub Actions", filter pattern cheat sheet)."""
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif pattern[i] == "?":
            regex, i = regex + "[^/]?", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            regex, i = regex + pattern[i : end + 1], end + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return re.compile(regex)


def path_filter_matches(patterns: list[str], path: str) -> bool:
    """Whether a changed file starts the workflow: the last pattern that matches decides (`!` excludes)."""
    matched = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _glob_regex(pattern.removeprefix("!")).fullmatch(path):
            matched = not negated
    return matched


def filter_misses(patterns: list[str], inputs: list[str], folders: set[str]) -> list[str]:
    """The inputs a change of which would not start the workflow (for a folder: a file anywhere in it)."""
    probe = {path: f"{path}/any/file.txt" if path in folders else path for path in inputs}
    return [path for path in inputs if not path_filter_matches(patterns, probe[path])]


def unjustified_patterns(patterns: list[str], inputs: list[str], folders: set[str]) -> list[str]:
    """Patterns that match no input: stale entries that start the workflow for nothing it reads."""
    probes = [f"{path}/any/file.txt" if path in folders else path for path in inputs]
    return [
        pattern
        for pattern in patterns
        if not pattern.startswith("!") and not any(path_filter_matches([pattern], probe) for probe in probes)
    ]


def pipeline_inputs(root: Path = REPO_ROOT) -> list[str]:
    """What the committed model is computed from, in the repository: dvc.yaml, every stage's deps, and
    every input of the data fingerprint for the committed params (training.fingerprint.input_paths)."""
    from training.fingerprint import input_paths
    from training.params import load_params

    pipeline = yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))
    deps = {dep for stage in pipeline["stages"].values() for dep in stage.get("deps", [])}
    data = load_params(root / "params.yaml")["data"]
    return sorted(
        {"dvc.yaml", *deps, *input_paths(data["source"], data["test_source"], data["extra_sources"])}
    )


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
    loop |= {"pull-inputs", "check-lock", "push-model", "push-branch"}
    assert loop | {"pull-artifact", "test-artifact", "deploy", "smoke-test"} <= called <= targets


@pytest.mark.parametrize("path", _definitions(), ids=lambda path: path.relative_to(REPO_ROOT).as_posix())
def test_every_action_is_pinned_to_a_commit_with_its_version(path):
    for line in path.read_text(encoding="utf-8").splitlines():
        uses = line.strip().removeprefix("- ")
        if uses.startswith("uses:") and not uses.startswith("uses: ./"):
            assert PINNED_USES.fullmatch(uses), f"{path.name}: {uses}"


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda path: path.name)
def test_workflows_grant_nothing_by_default(path):
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["permissions"] == {}


# --- the loop's order on the repository's workflows -------------------------------------------------------


def test_tests_run_on_pull_requests_and_when_deploy_calls_them():
    assert {"pull_request", "workflow_call"} <= set(triggers(load_workflow("test.yml")))


def test_deploy_runs_on_pushes_to_main_and_by_hand_in_one_run_with_its_tests():
    on = triggers(load_workflow("deploy.yml"))
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    for path in sorted(WORKFLOWS.glob("*.yml")):
        assert "workflow_run" not in triggers(yaml.safe_load(path.read_text("utf-8"))), path.name


def test_every_deploy_stage_needs_the_test_job_of_its_run():
    assert deploy_gate_problems(load_workflow("deploy.yml")) == []


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda path: path.name)
def test_called_workflows_get_the_permissions_their_jobs_ask_for(path):
    assert caller_permission_problems(yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_the_test_job_checks_the_lock_with_the_data_in_place_before_training():
    [job] = load_workflow("test.yml")["jobs"].values()
    assert (
        order_problems(
            job["steps"],
            ("AWS credentials", uses_action("aws-actions/configure-aws-credentials")),
            ("make pull-inputs REMOTE=s3", runs_make("pull-inputs", "REMOTE=s3")),
            ("make check-lock", runs_make("check-lock")),
            ("make train", runs_make("train")),
            ("make test", runs_make("test")),
        )
        == []
    )


def test_the_required_job_gates_pull_requests_against_the_base_branch_and_reports_the_numbers():
    """The comparison with the base branch's model is in "lint and test", the check to require."""
    [job] = load_workflow("test.yml")["jobs"].values()
    base = "BASE=origin/$BASE_REF"
    steps = job["steps"]
    assert (
        order_problems(
            steps,
            ("make train", runs_make("train")),
            ("make metrics-report into the job summary", runs_make("metrics-report", base)),
            ("make check-model BASE=origin/<base branch>", runs_make("check-model", base)),
            ("make test", runs_make("test")),
        )
        == []
    )
    for step in steps:
        call = make_call(step)
        if call and call[0] in ("metrics-report", "check-model") and base in call[1]:
            assert condition_text(step) == "github.event_name == 'pull_request'", step
            assert step["env"] == {"BASE_REF": "${{ github.base_ref }}"}
    [report] = [step for step in steps if runs_make("metrics-report")(step)]
    assert "OUTPUT=$GITHUB_STEP_SUMMARY" in make_call(report)[1]
    # Elsewhere (main, through deploy.yml) the floor alone, on every other event.
    [floor] = [step for step in steps if make_call(step) == ("check-model", [])]
    assert condition_text(floor) == "github.event_name != 'pull_request'"
    # The base branch's history comes with the checkout, which keeps no credentials for a later fetch.
    [checkout] = [step for step in steps if uses_action("actions/checkout")(step)]
    assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}


def test_the_test_job_reads_the_bucket_with_the_read_role_only_where_github_gives_a_token():
    [job] = load_workflow("test.yml")["jobs"].values()
    [(_, _, role)] = assumed_roles(load_workflow("test.yml"))
    assert role_variable(role) == "AWS_READ_ROLE_ARN"
    [credentials] = [
        step for step in job["steps"] if uses_action("aws-actions/configure-aws-credentials")(step)
    ]
    condition = condition_text(credentials)
    # Each event named: pushes and deploys by hand (deploy.yml), pull requests from this repository only.
    for event in ("push", "workflow_dispatch", "pull_request"):
        assert f"github.event_name == '{event}'" in condition
    assert "github.event_name !=" not in condition
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert "github.actor != 'dependabot[bot]'" in condition
    assert "vars.AWS_READ_ROLE_ARN != ''" in top_level_conjuncts(condition)
    assert job["permissions"] == {"contents": "read", "id-token": "write"}


@pytest.mark.parametrize(
    ("workflow", "variable"),
    [
        ("test.yml", "AWS_READ_ROLE_ARN"),
        ("train.yml", "AWS_TRAIN_ROLE_ARN"),
        ("deploy-stage.yml", "AWS_DEPLOY_ROLE_ARN"),
    ],
)
def test_each_job_assumes_the_one_role_meant_for_it(workflow, variable):
    roles = assumed_roles(load_workflow(workflow))
    assert roles, f"{workflow} assumes no role"
    assert [role_variable(role) for _, _, role in roles] == [variable] * len(roles)
    # No other workflow names the role.
    for path in sorted(WORKFLOWS.glob("*.yml")):
        if path.name != workflow:
            assert variable not in path.read_text(encoding="utf-8"), f"{path.name} names {variable}"


def test_deploy_jobs_take_the_role_of_their_own_environment():
    """AWS_DEPLOY_ROLE_ARN is an environment variable of `dev` and `prod`: each stage's job reads its own."""
    for _, job, _ in assumed_roles(load_workflow("deploy-stage.yml")):
        assert job["environment"] == "${{ inputs.stage }}"
    callers = load_workflow("deploy.yml")["jobs"]
    stages = [job["with"]["stage"] for job in callers.values() if calls_workflow(job, "deploy-stage.yml")]
    assert sorted(stages) == ["dev", "prod"]


def test_each_deploy_stage_pulls_the_artifact_alone_verified_and_refuses_a_stale_lock_before_it_deploys():
    [job] = load_workflow("deploy-stage.yml")["jobs"].values()
    assert (
        order_problems(
            job["steps"],
            ("AWS credentials", uses_action("aws-actions/configure-aws-credentials")),
            ("make pull-inputs REMOTE=s3", runs_make("pull-inputs", "REMOTE=s3")),
            ("make pull-artifact REMOTE=s3", runs_make("pull-artifact", "REMOTE=s3")),
            ("make check-lock", runs_make("check-lock")),
            ("make test-artifact", runs_make("test-artifact")),
            ("make deploy", runs_make("deploy")),
        )
        == []
    )
    # Nothing that pulls everything (the pickled pipeline with it) or runs the tests that unpickle.
    runs = [str(step.get("run", "")) for step in job["steps"]]
    assert not [run for run in runs if run.startswith(".venv/bin/dvc")], runs
    assert not [step for step in job["steps"] if runs_make("test-service")(step) or runs_make("test")(step)]


def test_the_deploys_test_target_leaves_out_the_tests_that_unpickle():
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ntest-artifact:", 1)[1].split("\n\n", 1)[0]
    assert '-m "not unpickles"' in recipe and "serving/tests" in recipe


@pytest.mark.parametrize("path", _definitions(), ids=lambda path: path.relative_to(REPO_ROOT).as_posix())
def test_20_newsgroups_comes_from_the_team_bucket(path):
    assert newsgroups_source_problems(yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_the_train_workflow_reports_before_it_pushes_and_pushes_last():
    jobs = load_workflow("train.yml")["jobs"]
    # One job, the push its last step: the bot's commit starts a run that cancels this one, and nothing is
    # left to cancel.
    assert list(jobs) == ["train"]
    steps = jobs["train"]["steps"]
    comments = uses_action("actions/github-script")
    assert (
        order_problems(
            steps,
            ("AWS credentials", uses_action("aws-actions/configure-aws-credentials")),
            ("make pull-inputs REMOTE=s3", runs_make("pull-inputs", "REMOTE=s3")),
            ("make train", runs_make("train")),
            ("make metrics-report", runs_make("metrics-report")),
            ("make check-model", runs_make("check-model")),
            ("the report comment", comments),
            ("make test-service", runs_make("test-service")),
            ("make push-model REMOTE=s3", runs_make("push-model", "REMOTE=s3")),
            ("make commit-model", runs_make("commit-model")),
            ("make push-branch", runs_make("push-branch")),
        )
        == []
    )
    assert runs_make("push-branch")(steps[-1])
    [comment] = [step for step in steps if comments(step)]
    # Also when the gate refused the model: the comment says why.
    assert condition_text(comment) == "!cancelled() && steps.report.outcome == 'success'"
    assert jobs["train"]["permissions"]["pull-requests"] == "write"


def test_the_bot_pushes_only_with_a_token_that_starts_workflows():
    """No fallback to GITHUB_TOKEN, whose push would start no check; ops.push_branch fails without one."""
    [push] = [
        step
        for step in load_workflow("train.yml")["jobs"]["train"]["steps"]
        if runs_make("push-branch")(step)
    ]
    token = push["env"]["PUSH_TOKEN"]
    assert token == "${{ steps.app-token.outputs.token || secrets.MODEL_BOT_TOKEN }}"
    assert "github.token" not in token and "GITHUB_TOKEN" not in token


def test_the_train_workflow_starts_for_every_input_of_the_model():
    """The path filter, derived: every input the fingerprint and dvc.yaml declare starts train.yml, and
    every pattern of the filter covers one of them."""
    patterns = triggers(load_workflow("train.yml"))["pull_request"]["paths"]
    inputs = pipeline_inputs()
    folders = {path for path in inputs if (REPO_ROOT / path).is_dir()}
    assert {"serving/app/openapi.json", "uv.lock", "params.yaml", "training/data/newsgroups.dvc"} <= set(
        inputs
    )
    assert filter_misses(patterns, inputs, folders) == [], (
        "add these inputs of the model to train.yml's paths, or `make check-lock` asks for a retraining "
        "that never starts"
    )
    assert unjustified_patterns(patterns, inputs, folders) == []


def test_the_train_workflow_skips_forks_and_dependabot():
    document = load_workflow("train.yml")
    assert set(triggers(document)) == {"pull_request"}
    condition = condition_text(document["jobs"]["train"])
    # Pull requests from forks and Dependabot's skip: they have no token to train with.
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert "github.actor != 'dependabot[bot]'" in condition


def test_deploys_of_a_stage_are_never_cancelled_and_pull_request_tests_are_superseded():
    [stage] = load_workflow("deploy-stage.yml")["jobs"].values()
    assert stage["concurrency"]["cancel-in-progress"] is False
    deploy_jobs = load_workflow("deploy.yml")["jobs"].values()
    assert all(job.get("concurrency", {}).get("cancel-in-progress", False) is False for job in deploy_jobs)
    test = load_workflow("test.yml")["concurrency"]
    assert test["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    # Equal groups in a calling job and the workflow it calls deadlock.
    callers = [job["concurrency"]["group"] for job in deploy_jobs if calls_workflow(job, "test.yml")]
    assert test["group"] not in callers


def test_deploys_by_push_and_by_hand_queue_in_one_group():
    """So commit order holds across them: a run's tests, then its stages, queue behind the run before."""
    push = {"github.event_name": "push", "github.ref": "refs/heads/main"}
    by_hand = {"github.event_name": "workflow_dispatch", "github.ref": "refs/heads/main"}
    [tests] = [job for job in load_workflow("deploy.yml")["jobs"].values() if calls_workflow(job, "test.yml")]
    assert concurrency_group(tests["concurrency"], push) == concurrency_group(tests["concurrency"], by_hand)
    [stage] = load_workflow("deploy-stage.yml")["jobs"].values()
    for name in ("dev", "prod"):
        groups = {
            concurrency_group(stage["concurrency"], context | {"inputs.stage": name})
            for context in (push, by_hand)
        }
        assert groups == {f"deploy-{name}"}


def test_dependabot_updates_the_pins_of_every_composite_action():
    [entry] = [
        update
        for update in yaml.safe_load(DEPENDABOT.read_text(encoding="utf-8"))["updates"]
        if update["package-ecosystem"] == "github-actions"
    ]
    actions = {"/" + path.parent.relative_to(REPO_ROOT).as_posix() for path in ACTIONS.glob("*/action.y*ml")}
    assert actions, "no composite action found: the check would pass vacuously"
    assert {"/"} | actions <= set(entry.get("directories") or [entry.get("directory")])


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
        'make push-branch BRANCH="$HEAD_REF" CHECKED_OUT="$HEAD_SHA"',
    )
    assert workflow_problems(workflow, {"check-model", "push-branch"}) == []


@pytest.mark.parametrize(
    ("run", "reason"),
    [
        ("make lint && make test", "no shell operators"),
        ("make test > out.txt", "no shell operators"),
        ("pytest serving/tests", "neither a Make target nor an allowed command"),
        (".venv/bin/dvc gc -w", "neither a Make target nor an allowed command"),
        # The bot's push goes through `make push-branch`, which refuses to push without a token.
        ('git push "https://github.com/${GITHUB_REPOSITORY}.git" HEAD:main', "neither a Make target"),
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


# --- the order checks themselves, on synthetic workflows ---------------------------------------------------

GATED_DEPLOY = """\
on: {push: {branches: [main]}, workflow_dispatch: {}}
jobs:
  test: {uses: ./.github/workflows/test.yml}
  dev: {needs: test, if: "github.event_name == 'push'", uses: ./.github/workflows/deploy-stage.yml}
  prod:
    needs: [test, dev]
    if: >-
      !cancelled() && needs.test.result == 'success' &&
      (needs.dev.result == 'success' || needs.dev.result == 'skipped')
    uses: ./.github/workflows/deploy-stage.yml
"""


def _gated_jobs() -> dict:
    return yaml.safe_load(GATED_DEPLOY)


def test_a_deploy_gated_on_its_tests_passes():
    assert deploy_gate_problems(_gated_jobs()) == []


def test_a_stage_may_need_the_tests_through_another_stage():
    document = _gated_jobs()
    document["jobs"]["prod"] = {"needs": "dev", "uses": "./.github/workflows/deploy-stage.yml"}
    assert deploy_gate_problems(document) == []


@pytest.mark.parametrize(
    ("job", "change", "reason"),
    [
        ("dev", {"needs": []}, "dev: needs no test job"),
        ("test", {"if": "github.event_name == 'push'"}, "test: the test job must run on every trigger"),
        ("test", {"uses": "./.github/workflows/lint.yml"}, "no job calls test.yml"),
        # A skipped dev (prod chosen by hand) would let prod through without the tests.
        (
            "prod",
            {"if": "!cancelled() && needs.dev.result != 'failure'"},
            "prod: its if: overrides success()",
        ),
        # The tests' success only on one side of an ||: not required.
        (
            "prod",
            {"if": "!cancelled() && (needs.test.result == 'success' || needs.dev.result == 'skipped')"},
            "prod: its if: overrides success()",
        ),
        # Transitively: prod needs only dev, whose `always()` lets it run after failed tests.
        ("dev", {"if": "always()"}, "dev: its if: overrides success()"),
        ("dev", {"if": "success() || inputs.stage == 'dev'"}, "dev: its if: overrides success()"),
        (
            "prod",
            {"needs": "dev", "if": "${{ !cancelled() && needs.dev.result == 'success' }}"},
            "prod: its if: overrides success()",
        ),
    ],
)
def test_a_deploy_that_could_skip_its_tests_fails(job, change, reason):
    document = _gated_jobs()
    document["jobs"][job].update(change)
    problems = deploy_gate_problems(document)
    assert any(reason in problem for problem in problems), problems


def test_steps_out_of_order_or_missing_fail():
    steps = [{"run": "make fetch-newsgroups REMOTE=s3"}, {"run": "make train"}, {"run": "make check-lock"}]
    expected = [
        ("fetch", runs_make("fetch-newsgroups", "REMOTE=s3")),
        ("check-lock", runs_make("check-lock")),
        ("train", runs_make("train")),
    ]
    assert order_problems(steps, *expected) == ["check-lock must come before train"]
    assert order_problems(steps[:2], *expected) == ["no step check-lock"]
    assert order_problems([{"run": "make fetch-newsgroups"}, *steps[1:]], *expected) == [
        "no step fetch",
        "check-lock must come before train",
    ]
    assert order_problems([steps[0], steps[2], steps[1]], *expected) == []


def test_a_called_workflow_needing_more_than_its_caller_grants_fails():
    called = {"jobs": {"test": {"permissions": {"contents": "read", "id-token": "write"}}}}
    caller = {"jobs": {"test": {"uses": "./.github/workflows/test.yml", "permissions": {"contents": "read"}}}}
    assert caller_permission_problems(caller, lambda name: called) == [
        "test: ./.github/workflows/test.yml job test needs id-token: write"
    ]
    caller["jobs"]["test"]["permissions"]["id-token"] = "write"
    assert caller_permission_problems(caller, lambda name: called) == []


def test_20_newsgroups_from_a_cache_or_upstream_fails():
    workflow = {
        "env": {"SCIKIT_LEARN_DATA": "~/scikit_learn_data"},
        "jobs": {
            "ci": {
                "steps": [
                    {
                        "name": "Restore the 20 Newsgroups cache",
                        "uses": "actions/cache@0400d5f644dc74513175e3cd8d07132dd4860809",
                        "with": {"path": "~/scikit_learn_data", "key": "k"},
                    },
                    {"run": "make fetch-newsgroups"},
                ]
            }
        },
    }
    assert newsgroups_source_problems(workflow) == [
        "Restore the 20 Newsgroups cache: a cache of scikit-learn's 20 Newsgroups download",
        "'make fetch-newsgroups': fetch from the team bucket: REMOTE=s3",
        "SCIKIT_LEARN_DATA=~/scikit_learn_data: name the DVC-tracked folder (…/training/data)",
    ]
    fixed = {
        "env": {"SCIKIT_LEARN_DATA": "${{ github.workspace }}/training/data"},
        "jobs": {"ci": {"steps": [{"run": "make fetch-newsgroups REMOTE=s3"}]}},
    }
    assert newsgroups_source_problems(fixed) == []


def test_a_bare_on_key_is_read_as_triggers():
    assert set(triggers(yaml.safe_load("on: [push, workflow_dispatch]\njobs: {}"))) == {
        "push",
        "workflow_dispatch",
    }
    assert set(triggers(yaml.safe_load("on: pull_request\njobs: {}"))) == {"pull_request"}


# --- roles, concurrency groups and path filters, on synthetic input ----------------------------------------


@pytest.mark.parametrize(
    ("role", "variable"),
    [
        ("${{ vars.AWS_READ_ROLE_ARN }}", "AWS_READ_ROLE_ARN"),
        ("${{vars.AWS_TRAIN_ROLE_ARN}}", "AWS_TRAIN_ROLE_ARN"),
        # A choice inside the expression falls back to another role when one variable is unset.
        (
            "${{ github.event_name == 'pull_request' && vars.AWS_TRAIN_ROLE_ARN"
            " || vars.AWS_DEPLOY_ROLE_ARN }}",
            None,
        ),
        ("${{ vars.AWS_READ_ROLE_ARN || vars.AWS_DEPLOY_ROLE_ARN }}", None),
        ("arn:aws:iam::123456789012:role/ci", None),
        ("${{ secrets.ROLE }}", None),
    ],
)
def test_a_role_is_one_variable_never_a_choice(role, variable):
    assert role_variable(role) == variable


def test_a_group_that_names_the_event_splits_push_and_by_hand_deploys():
    push = {"github.event_name": "push", "github.ref": "refs/heads/main"}
    by_hand = push | {"github.event_name": "workflow_dispatch"}
    old = {"group": "deploy-tests-${{ github.event_name }}-${{ github.ref }}"}
    assert concurrency_group(old, push) != concurrency_group(old, by_hand)
    assert concurrency_group("deploy-${{ github.ref }}", push) == "deploy-refs/heads/main"
    with pytest.raises(KeyError, match=re.escape("github.run_id")):
        concurrency_group("t-${{ github.run_id }}", push)


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [
        (["training/**"], "training/data/newsgroups.dvc", True),
        (["training/*"], "training/data/newsgroups.dvc", False),
        (["**.dvc"], "data/tickets.csv.dvc", True),
        (["**.dvc"], "tickets.dvc", True),
        (["*.dvc"], "data/tickets.csv.dvc", False),
        (["uv.lock"], "uv.lock", True),
        (["uv.lock"], "infrastructure/uv.lock", False),
        (["serving/app/openapi.json"], "serving/app/openapi.jsonx", False),
        (["training/**", "!training/reports/**"], "training/reports/data.json", False),
        (
            ["training/**", "!training/reports/**", "training/reports/keep.json"],
            "training/reports/keep.json",
            True,
        ),
        (["data/[ab].csv"], "data/b.csv", True),
    ],
)
def test_path_filters_match_as_github_reads_them(patterns, path, expected):
    assert path_filter_matches(patterns, path) is expected


def test_an_input_outside_the_filter_is_named_and_a_stale_pattern_too():
    """As when a team trains on data/tickets.csv committed to git, which the filter does not cover."""
    patterns = ["training/**", "**.dvc", "docs/**"]
    inputs = ["training/fit.py", "data/tickets.csv", "data/reviews.dvc", "corpus"]
    assert filter_misses(patterns, inputs, folders={"corpus"}) == ["data/tickets.csv", "corpus"]
    assert unjustified_patterns(patterns, inputs, folders={"corpus"}) == ["docs/**"]
    assert filter_misses([*patterns, "data/tickets.csv", "corpus/**"], inputs, folders={"corpus"}) == []
