"""The scheduled drift workflow: per deployed stage, the model with the read role, the captures with the
drift role, `make drift`, the report as an artifact, and one issue per stage on drift, with no more
permission than that."""

from __future__ import annotations

import shlex

from stacks.stages import DEFAULT_STAGES
from test_workflows import (
    all_steps,
    assumed_roles,
    load_workflow,
    make_call,
    role_variable,
    triggers,
    uses_action,
)

WORKFLOW = "drift.yml"


def _job() -> dict:
    [job] = load_workflow(WORKFLOW)["jobs"].values()
    return job


def _index(steps: list[dict], matches) -> int:
    [index] = [i for i, step in enumerate(steps) if matches(step)]
    return index


def _make(target: str):
    return lambda step: (make_call(step) or ("",))[0] == target


def test_it_runs_on_a_schedule_and_by_hand_only():
    on = triggers(load_workflow(WORKFLOW))
    assert set(on) == {"schedule", "workflow_dispatch"}
    [entry] = on["schedule"]
    assert len(entry["cron"].split()) == 5


def test_each_deployed_stage_is_checked_and_one_failing_stage_does_not_stop_the_other():
    strategy = _job()["strategy"]
    assert sorted(strategy["matrix"]["stage"]) == sorted(DEFAULT_STAGES)
    assert strategy["fail-fast"] is False


def test_the_token_may_read_the_code_fetch_oidc_tokens_and_write_issues_only():
    assert load_workflow(WORKFLOW)["permissions"] == {}
    assert _job()["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}


def test_the_model_comes_with_the_read_role_and_the_captures_with_the_drift_role():
    steps = _job()["steps"]
    roles = [
        (i, role_variable(step["with"]["role-to-assume"]))
        for i, step in enumerate(steps)
        if uses_action("aws-actions/configure-aws-credentials")(step)
    ]
    assert [variable for _, variable in roles] == ["AWS_READ_ROLE_ARN", "AWS_DRIFT_ROLE_ARN"]
    (read, _), (drift, _) = roles
    assert read < _index(steps, _make("pull-artifact")) < drift < _index(steps, _make("drift"))
    assert "REMOTE=s3" in make_call(steps[_index(steps, _make("pull-artifact"))])[1]
    assert [job for job, _, _ in assumed_roles(load_workflow(WORKFLOW))] == ["drift", "drift"]


def test_the_report_is_uploaded_and_the_issue_filed_even_when_drift_fails_the_step():
    job, steps = _job(), _job()["steps"]
    check, upload = _index(steps, _make("drift")), _index(steps, uses_action("actions/upload-artifact"))
    issue = _index(steps, _make("drift-issue"))
    assert check < upload < issue
    for index in (upload, issue):
        assert (
            steps[index]["if"] == "${{ !cancelled() }}"
        )  # after make drift fails on drift, not if cancelled
    # Both read and write the report where make drift wrote it, for the matrix's stage.
    assert shlex.split(steps[check]["run"])[1:] == ["drift", "STAGE=$STAGE", "OUTPUT=$REPORT"]
    assert shlex.split(steps[issue]["run"])[1:] == ["drift-issue", "STAGE=$STAGE", "OUTPUT=$REPORT"]
    assert job["env"]["STAGE"] == "${{ matrix.stage }}"
    assert job["env"]["REPORT"].startswith(steps[upload]["with"]["path"])


def test_only_the_issue_step_holds_the_github_token():
    holders = [step for step in all_steps(load_workflow(WORKFLOW)) if "GH_TOKEN" in (step.get("env") or {})]
    assert [make_call(step)[0] for step in holders] == ["drift-issue"]
    assert "GH_TOKEN" not in _job()["env"]
