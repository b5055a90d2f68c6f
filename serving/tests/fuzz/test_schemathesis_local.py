"""schemathesis, with the committed OpenAPI document, against the local runtime serving the real handler.

`make fuzz` runs the same with many more cases per operation; here a short seeded run keeps every
landing honest about the document and the service agreeing.
"""

from serving.tests.fuzz import api_fuzz


def test_schemathesis_finds_no_failure_against_the_local_service(capfd):
    exit_code = api_fuzz.main(["--max-examples", "25", "--seed", "20261129"])
    output = capfd.readouterr().out
    assert exit_code == 0, output[-4000:]
    assert "Operations:       4 selected / 4 total" in output
    assert "No issues found" in output
