"""`make rollback`: the `live` alias moves to the previous or the named version, and says so."""

import pytest
from aws_stubs import FUNCTION, STAGE, StubbedSession

from ops import rollback
from ops.stage import StageError

VERSIONS = ["$LATEST", "5", "6", "7"]
# Model versions are content hashes (hex), not secrets.
LIVE_MODEL = "71ff0dc98f3d"  # pragma: allowlist secret
EARLIER_MODEL = "5e2a90c1d4b7"  # pragma: allowlist secret


def stub_state(session: StubbedSession, live: str = "7", weights: dict | None = None) -> None:
    stub = session.stub("lambda")
    alias = {"Name": "live", "FunctionVersion": live}
    if weights:
        alias["RoutingConfig"] = {"AdditionalVersionWeights": weights}
    stub.add_response("get_alias", alias, {"FunctionName": FUNCTION, "Name": "live"})
    stub.add_response(
        "list_versions_by_function",
        {"Versions": [{"Version": v} for v in VERSIONS[:2]], "NextMarker": "m"},
        {"FunctionName": FUNCTION},
    )
    stub.add_response(
        "list_versions_by_function",
        {"Versions": [{"Version": v} for v in VERSIONS[2:]]},
        {"FunctionName": FUNCTION, "Marker": "m"},
    )


def stub_models(session: StubbedSession, *pairs: tuple[str, dict]) -> None:
    for version, configuration in pairs:
        session.stub("lambda").add_response(
            "get_function_configuration", configuration, {"FunctionName": FUNCTION, "Qualifier": version}
        )


def stub_move(session: StubbedSession, to: str) -> None:
    session.stub("lambda").add_response(
        "update_alias",
        {"Name": "live", "FunctionVersion": to},
        {
            "FunctionName": FUNCTION,
            "Name": "live",
            "FunctionVersion": to,
            "RoutingConfig": {"AdditionalVersionWeights": {}},
        },
    )


def test_without_to_the_alias_goes_to_the_previous_version_and_names_both_models(capsys):
    session = StubbedSession()
    session.stack_outputs()
    stub_state(session)
    stub_models(
        session,
        ("7", {"Environment": {"Variables": {rollback.MODEL_VERSION_ENV: LIVE_MODEL}}}),
        ("6", {"Description": f"Text classifier (opstest), model {EARLIER_MODEL}"}),
    )
    stub_move(session, "6")
    assert rollback.main(["--stage", STAGE], session=session) == 0
    assert capsys.readouterr().out.strip() == (
        f"rollback: {FUNCTION}:live moved from version 7 (model {LIVE_MODEL}) "
        f"to version 6 (model {EARLIER_MODEL})"
    )
    session.assert_done()


def test_to_names_the_version_and_a_model_nobody_recorded_is_unknown():
    session = StubbedSession()
    stub_state(session)
    stub_models(session, ("7", {}), ("5", {"Description": "Text classifier (opstest)"}))
    stub_move(session, "5")
    said = rollback.rollback(session.client("lambda"), FUNCTION, "5")
    assert said.endswith("from version 7 (model unknown) to version 5 (model unknown)")
    session.assert_done()


def test_a_split_left_by_a_gradual_deployment_is_cleared_and_reported():
    session = StubbedSession()
    stub_state(session, live="6", weights={"7": 0.1})
    stub_models(session, ("6", {}), ("5", {}))
    stub_move(session, "5")
    said = rollback.rollback(session.client("lambda"), FUNCTION)
    assert "(it also sent 10% to version 7; now cleared) to version 5" in said
    session.assert_done()


def test_a_dry_run_changes_nothing():
    session = StubbedSession()
    stub_state(session)
    stub_models(session, ("7", {}), ("6", {}))
    said = rollback.rollback(session.client("lambda"), FUNCTION, dry_run=True)
    assert "would move from version 7" in said
    session.assert_done()  # no update_alias was stubbed: calling it would have raised


@pytest.mark.parametrize(
    ("live", "to", "reason"),
    [
        ("7", "9", r"TO=9: not a published version \(published: 5, 6, 7\)"),
        ("7", "7", "already serves version 7"),
        ("5", None, "no version before 5"),
    ],
)
def test_an_impossible_rollback_says_why_and_moves_nothing(live, to, reason, capsys):
    session = StubbedSession()
    session.stack_outputs()
    stub_state(session, live=live)
    arguments = ["--stage", STAGE] + (["--to", to] if to else [])
    assert rollback.main(arguments, session=session) == 1
    assert "rollback: FAIL" in capsys.readouterr().err
    with pytest.raises(StageError, match=reason):
        rollback.choose_target(int(live), [5, 6, 7], to)
    session.assert_done()
