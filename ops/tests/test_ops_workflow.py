"""The pull-request check runs `make check-api` against the base branch, which its checkout fetched."""

import shlex

import yaml

from ops.api_diff import REPO_ROOT

TEST_WORKFLOW = REPO_ROOT / ".github" / "workflows" / "test.yml"


def steps() -> list[dict]:
    workflow = yaml.safe_load(TEST_WORKFLOW.read_text(encoding="utf-8"))
    return workflow["jobs"]["test"]["steps"]


def test_pull_requests_compare_their_api_document_with_the_base_branch():
    [step] = [s for s in steps() if s.get("run", "").startswith("make check-api")]
    assert step["if"] == "github.event_name == 'pull_request'"
    assert step["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert shlex.split(step["run"]) == [
        "make",
        "check-api",
        "BASE=origin/$BASE_REF",
        "SUMMARY=$GITHUB_STEP_SUMMARY",
    ]


def test_the_checkout_fetches_the_base_branch_before_the_check():
    checkout = steps()[0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0  # every branch as origin/<name> (actions/checkout README)
    assert checkout["with"]["persist-credentials"] is False


def test_every_deploy_runs_the_contract_suite_after_its_smoke_test():
    workflow = yaml.safe_load(
        (REPO_ROOT / ".github" / "workflows" / "deploy-stage.yml").read_text(encoding="utf-8")
    )
    runs = [step.get("run", "") for step in workflow["jobs"]["deploy"]["steps"]]
    smoke = next(i for i, run in enumerate(runs) if run.startswith("make smoke-test"))
    remote = next(i for i, run in enumerate(runs) if run.startswith("make test-remote"))
    assert smoke < remote
    assert shlex.split(runs[remote]) == [
        "make",
        "test-remote",
        "STAGE=$STAGE",
        "SUMMARY=$GITHUB_STEP_SUMMARY",
    ]
