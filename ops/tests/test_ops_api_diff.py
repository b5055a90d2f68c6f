"""The breaking-change check, one test per rule, on edits of the API's real document."""

import copy
import json
import subprocess

import pytest

from ops import api_diff
from ops.api_diff import OPENAPI_DOCUMENT, REPO_ROOT, compare_documents, judge, report_markdown
from serving.app.contracts import api

BASE = json.loads((REPO_ROOT / OPENAPI_DOCUMENT).read_text(encoding="utf-8"))


def edited(change) -> dict:
    document = copy.deepcopy(BASE)
    change(document)
    return document


def schema(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


# The request's shapes (one text, a batch): each an object schema of its own under ClassifyRequest's oneOf.
SHAPES = ("ClassifyRequest", "ClassifyBatchRequest")


def breaking(change) -> list[str]:
    return compare_documents(BASE, edited(change)).breaking


def additive(change) -> list[str]:
    changes = compare_documents(BASE, edited(change))
    assert changes.breaking == [], changes.breaking
    return changes.additive


def test_the_same_document_has_no_change():
    changes = compare_documents(BASE, copy.deepcopy(BASE))
    assert (changes.breaking, changes.additive) == ([], [])


def test_a_removed_response_field_fails():
    def remove_label(document):
        response = schema(document, "ClassifyResponse")
        del response["properties"]["label"]
        response["required"].remove("label")

    found = breaking(remove_label)
    assert any(
        ".label: response field removed" in item and f"POST {api.CLASSIFY} 200" in item for item in found
    ), found
    verdict = judge(BASE, edited(remove_label))
    assert not verdict.passed


def test_a_removed_request_field_fails():
    def remove_top_k(document):
        for name in SHAPES:
            schema(document, name)["properties"].pop("top_k")

    found = breaking(remove_top_k)
    assert any(item.endswith(".top_k: request field removed") for item in found), found


def test_a_removed_operation_and_path_fail():
    found = breaking(lambda d: d["paths"].pop(api.MODEL))
    assert found == [f"GET {api.MODEL}: operation removed"]


def test_a_removed_response_status_fails():
    found = breaking(lambda d: d["paths"][api.CLASSIFY]["post"]["responses"].pop("413"))
    assert found == [f"POST {api.CLASSIFY}: response 413 removed"]


def test_a_lower_max_length_fails_and_a_higher_one_passes():
    def text_limit(value):
        return lambda d: schema(d, "ClassifyRequest")["properties"]["text"].update(maxLength=value)

    assert any("text: maxLength 100000 -> 1000" in item for item in breaking(text_limit(1000)))
    assert any("text: maxLength 100000 -> 200000" in item for item in additive(text_limit(200000)))


def test_a_lower_max_items_and_maximum_fail():
    assert any(
        "texts: maxItems 256 -> 64" in item
        for item in breaking(
            lambda d: schema(d, "ClassifyBatchRequest")["properties"]["texts"].update(maxItems=64)
        )
    )
    assert any(
        "top_k: maximum 100 -> 10" in item
        for item in breaking(lambda d: schema(d, "TopK").update(maximum=10))
    )


def test_a_higher_minimum_fails():
    found = breaking(lambda d: schema(d, "TopK").update(minimum=2))
    assert any("top_k: minimum 1 -> 2" in item for item in found), found


def test_a_narrowed_limit_inside_a_one_of_branch_fails():
    found = breaking(lambda d: schema(d, "Explain")["oneOf"][1].update(maximum=20))
    assert any("explain: maximum 50 -> 20" in item for item in found), found


def test_a_new_required_parameter_fails_and_an_optional_one_passes():
    def parameter(required):
        parameter = {"in": "query", "name": "lang", "required": required, "schema": {"type": "string"}}
        return lambda d: d["paths"][api.MODEL]["get"].update(parameters=[parameter])

    assert breaking(parameter(True)) == [f"GET {api.MODEL}: required query parameter lang added"]
    assert additive(parameter(False)) == [f"GET {api.MODEL}: optional query parameter lang added"]


def test_a_new_required_request_field_fails():
    def require_top_k(document):
        for name in SHAPES:
            schema(document, name)["required"].append("top_k")

    found = breaking(require_top_k)
    assert any("newly required request field(s) top_k" in item for item in found), found


def test_a_new_required_request_field_with_a_new_property_fails():
    def add_required_language(document):
        request = schema(document, "ClassifyRequest")
        request["properties"]["language"] = {"type": "string"}
        request["required"].append("language")

    found = breaking(add_required_language)
    assert any("newly required request field(s) language" in item for item in found), found


def test_a_response_field_no_longer_required_fails():
    found = breaking(lambda d: schema(d, "ClassifyResponse")["required"].remove("scores"))
    assert any("response field(s) scores no longer required" in item for item in found), found


def test_a_narrowed_type_fails():
    found = breaking(
        lambda d: schema(d, "Explain").pop("oneOf") and schema(d, "Explain").update(type="boolean")
    )
    assert any("explain: type changed from boolean/integer to boolean" in item for item in found), found


def test_a_widened_response_type_fails():
    found = breaking(
        lambda d: schema(d, "ModelDescription")["properties"]["format_version"].update(type="number")
    )
    assert any("format_version: type widened from integer to number" in item for item in found), found


def test_a_removed_request_enum_value_fails_and_an_added_one_passes():
    def with_language(*values):
        return lambda d: schema(d, "ClassifyRequest")["properties"].update(language={"enum": list(values)})

    base = edited(with_language("en", "fr"))
    changes = compare_documents(base, edited(with_language("en")))
    assert any('language: enum values removed: "fr"' in item for item in changes.breaking), changes.breaking
    changes = compare_documents(base, edited(with_language("en", "fr", "de")))
    assert changes.breaking == [] and any('enum values added: "de"' in item for item in changes.additive)


def test_error_codes_may_grow_and_shrink():
    """A new error code is how the API grows; a code the server no longer sends breaks no client."""

    def codes(document):
        return document["components"]["responses"]["BadRequest"]["content"]["application/json"]["schema"][
            "allOf"
        ][1]["properties"]["error"]["properties"]["code"]["enum"]

    assert any(
        'enum values added: "text_empty"' in item
        for item in additive(lambda d: codes(d).append("text_empty"))
    )
    assert any("empty_list" in item for item in additive(lambda d: codes(d).remove("empty_list")))


def test_a_changed_error_shape_fails():
    def rename_code(document):
        error = schema(document, "Error")["properties"]["error"]
        error["properties"]["kind"] = error["properties"].pop("code")
        error["required"] = ["kind", "message"]

    found = breaking(rename_code)
    assert any(item.endswith(".error.code: response field removed") for item in found), found


def test_a_request_shape_opened_to_unknown_fields_is_listed():
    found = additive(lambda d: schema(d, "ClassifyRequest").pop("additionalProperties"))
    assert found == [f"POST {api.CLASSIFY} request application/json: additionalProperties opened"]


def test_a_closed_request_object_and_a_new_pattern_fail():
    found = breaking(
        lambda d: schema(d, "ModelDescription")["properties"]["settings"].update(additionalProperties=False)
    )
    assert found == [], "closing a response object only narrows what the client receives"
    found = breaking(lambda d: schema(d, "ClassifyRequest")["properties"]["text"].update(pattern="^[a-z]+$"))
    assert any("text: pattern" in item for item in found), found


def test_added_optional_fields_and_operations_pass_and_are_listed():
    def grow(document):
        schema(document, "ClassifyRequest")["properties"]["language"] = {"type": "string", "maxLength": 8}
        schema(document, "ModelDescription")["properties"]["trained_at"] = {"type": "string"}
        document["paths"]["/health"] = {"get": {"responses": {"200": {"description": "up"}}}}

    found = additive(grow)
    assert "GET /health: operation added" in found
    assert any(item.endswith(".language: request field added") for item in found), found
    assert any(item.endswith(".trained_at: response field added") for item in found), found
    assert judge(BASE, edited(grow)).passed


def test_one_schema_per_request_shape_is_the_same_contract_as_one_flat_schema():
    """The request's shapes (what generators turn into typed models) against the same fields in one flat
    object whose oneOf only lists the required alternatives: no change either way."""

    def flat(document):
        schemas = document["components"]["schemas"]
        properties = {name: sub for shape in SHAPES for name, sub in schemas[shape]["properties"].items()}
        schemas["ClassifyRequestBody"] = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
            "oneOf": [{"required": ["text"]}, {"required": ["texts"]}],
        }

    for base, new in ((edited(flat), BASE), (BASE, edited(flat))):
        changes = compare_documents(base, new)
        assert (changes.breaking, changes.additive) == ([], []), changes


def test_a_breaking_change_passes_with_a_major_version_bump_only():
    def remove_and_bump(version):
        def change(document):
            document["paths"].pop(api.MODEL)
            document["info"]["version"] = version

        return change

    version = BASE["info"]["version"]
    major, minor, _ = map(int, version.split("."))
    assert not judge(BASE, edited(remove_and_bump(f"{major}.{minor + 1}.0"))).passed
    verdict = judge(BASE, edited(remove_and_bump(f"{major + 1}.0.0")))
    assert verdict.passed and verdict.changes.breaking == [f"GET {api.MODEL}: operation removed"]
    announced = f"announced by the major version ({version} -> {major + 1}.0.0)"
    assert announced in report_markdown(verdict, "origin/main")


def test_the_report_lists_both_kinds():
    verdict = judge(BASE, edited(lambda d: d["paths"].pop(api.MODEL)))
    report = report_markdown(verdict, "origin/main")
    assert (
        "**FAIL**" in report
        and f"- GET {api.MODEL}: operation removed" in report
        and "**Additive** (0)" in report
    )


def test_a_version_that_is_not_semver_is_a_clear_error():
    with pytest.raises(api_diff.ApiDiffError, match="not a semantic version"):
        judge(BASE, edited(lambda d: d["info"].update(version="v1")))


def git(repo, *arguments):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path):
    """A git repository whose first commit holds the API's document."""
    path = tmp_path / OPENAPI_DOCUMENT
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(BASE), encoding="utf-8")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_main_reads_the_base_from_git_and_fails_on_a_break(repo, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(api_diff, "REPO_ROOT", repo)
    (repo / OPENAPI_DOCUMENT).write_text(
        json.dumps(edited(lambda d: d["paths"].pop(api.MODEL))), encoding="utf-8"
    )
    summary = tmp_path / "summary.md"
    assert api_diff.main(["--base", "main", "--summary", str(summary)]) == 1
    assert f"GET {api.MODEL}: operation removed" in summary.read_text(encoding="utf-8")
    (repo / OPENAPI_DOCUMENT).write_text(json.dumps(BASE), encoding="utf-8")
    assert api_diff.main(["--base", "main"]) == 0


def test_main_follows_a_moved_document_and_names_a_missing_base(repo, monkeypatch, capsys):
    monkeypatch.setattr(api_diff, "REPO_ROOT", repo)
    moved = "serving/api/openapi.json"
    (repo / moved).parent.mkdir(parents=True)
    (repo / moved).write_text(json.dumps(BASE), encoding="utf-8")
    assert api_diff.main(["--base", "main", "--document", moved]) == 0
    assert f"main:{OPENAPI_DOCUMENT}" in capsys.readouterr().out
    assert api_diff.main(["--base", "origin/nowhere"]) == 2
    assert "git fetch origin main" in capsys.readouterr().err


def moved_model_route(document):
    document["paths"]["/v2/model"] = document["paths"].pop(api.MODEL)


def test_a_moved_operation_is_breaking_and_its_contents_are_still_compared():
    assert breaking(moved_model_route) == [f"GET {api.MODEL}: operation moved to /v2/model"]

    def move_and_narrow(document):
        moved_model_route(document)
        schema(document, "ModelDescription")["properties"]["format_version"].update(type="number")

    found = breaking(move_and_narrow)
    assert found[0] == f"GET {api.MODEL}: operation moved to /v2/model"
    assert any(item.startswith("GET /v2/model 200") and "type widened" in item for item in found), found


def test_a_moved_operation_passes_only_with_a_major_version_bump():
    major = int(BASE["info"]["version"].split(".")[0])

    def move_and_bump(document):
        moved_model_route(document)
        document["info"]["version"] = f"{major + 1}.0.0"

    assert not judge(BASE, edited(moved_model_route)).passed
    assert judge(BASE, edited(move_and_bump)).passed
