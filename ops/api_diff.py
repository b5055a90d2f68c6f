"""The breaking-change check: this commit's OpenAPI document against a base commit's (`make check-api`).

Other teams' code calls this API, so a pull request may not break it silently. The check compares the
document at OPENAPI_DOCUMENT in the work tree with the same file at a git revision (`git show BASE:path`)
and sorts every difference into one of two lists:

- breaking: a client written against the base document can fail. A removed or moved path or operation
  (moved: the same operationId under a new path; its contents are then compared too), a removed media type
  or response status; a removed field (request or response); a newly required request field, or a response
  field no longer always present; a narrowed request value (a type dropped, a lower maxLength, maxItems or
  maximum, a higher minimum, an enum value removed, a pattern added or changed, additionalProperties
  closed); a widened response value (a new type, a higher maximum: clients validate what they receive);
  a changed error shape (the same rules applied to error responses).
- additive: an added path, operation, optional field, response status, enum value or a relaxed limit.

Breaking changes fail the check unless the major part of `info.version` increases with them (semantic
versioning: a new major version is how this API announces a break). Both lists go into a Markdown report
(a pull request's job summary).

The rules work on the document's structure, not on the set of values a schema accepts: properties are
compared by name across a schema and its allOf/oneOf/anyOf branches (so moving fields into branches is
not a change), required fields as alternatives (each `oneOf` branch is one way to write a request).
A narrowing inside a single branch that the merged view cannot see is not reported.

Maintained tools were tried first: the npm `openapi-diff` (0.24.1) reports no change when a request
field's maxLength is lowered, one of the rules this API needs most (its limits are its contract).

    python -m ops.api_diff --base origin/main [--summary FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# The one place the ops tools name the API's document (relative to the repository root).
OPENAPI_DOCUMENT = "serving/app/openapi.json"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
REQUEST, RESPONSE = "request", "response"
# Limits whose lower value narrows what is allowed, and those whose higher value does.
UPPER_LIMITS = ("maxLength", "maxItems", "maxProperties", "maximum")
LOWER_LIMITS = ("minLength", "minItems", "minProperties", "minimum")
COMBINATORS = ("allOf", "oneOf", "anyOf")


class ApiDiffError(RuntimeError):
    """A document cannot be read or has no usable info.version; the message names which and why."""


@dataclass
class Changes:
    """What differs between the base document and the new one, in words a reviewer can act on."""

    breaking: list[str] = field(default_factory=list)
    additive: list[str] = field(default_factory=list)

    def change(self, direction: str, narrows: bool, where: str, what: str) -> None:
        """A narrowing breaks a request; a widening breaks a response (clients check what they get)."""
        breaks = narrows if direction == REQUEST else not narrows
        (self.breaking if breaks else self.additive).append(f"{where}: {what}")


# --- Reading schemas ---------------------------------------------------------------------------------


def resolve(document: dict, schema: object) -> dict:
    """The schema a local `$ref` (`#/components/...`) points at, followed to the end."""
    seen: set[str] = set()
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if ref in seen or not ref.startswith("#/"):
            raise ApiDiffError(f"cannot follow $ref {ref!r} (only local, non-circular references)")
        seen.add(ref)
        schema = document
        for part in ref[2:].split("/"):
            schema = schema[part.replace("~1", "/").replace("~0", "~")]
    return schema if isinstance(schema, dict) else {}


def branches(document: dict, schema: dict, keyword: str) -> list[dict]:
    return [resolve(document, branch) for branch in schema.get(keyword, [])]


def merged_properties(document: dict, schema: dict) -> dict[str, list[dict]]:
    """Each property name, with every schema it has in this schema and its allOf/oneOf/anyOf branches."""
    merged: dict[str, list[dict]] = {}
    for name, sub in (schema.get("properties") or {}).items():
        merged.setdefault(name, []).append(sub)
    for keyword in COMBINATORS:
        for branch in branches(document, schema, keyword):
            for name, subs in merged_properties(document, branch).items():
                merged.setdefault(name, []).extend(subs)
    return merged


def required_alternatives(document: dict, schema: dict) -> list[frozenset[str]]:
    """The sets of fields a valid object must all have: one set per way through oneOf/anyOf branches."""
    alternatives = [frozenset(schema.get("required", []))]
    for branch in branches(document, schema, "allOf"):
        alternatives = [a | b for a in alternatives for b in required_alternatives(document, branch)]
    for keyword in ("oneOf", "anyOf"):
        options = [
            alt
            for branch in branches(document, schema, keyword)
            for alt in required_alternatives(document, branch)
        ]
        if options:
            alternatives = [a | b for a in alternatives for b in options]
    return alternatives


def types(document: dict, schema: dict) -> set[str] | None:
    """The JSON types a schema allows (with its branches'); None when it does not restrict the type."""
    found: set[str] = set()
    if "type" in schema:
        declared = schema["type"]
        found |= set(declared if isinstance(declared, list) else [declared])
        if schema.get("nullable"):
            found.add("null")
    alternatives = branches(document, schema, "oneOf") + branches(document, schema, "anyOf")
    if alternatives:
        branch_types = [types(document, branch) for branch in alternatives]
        if any(t is None for t in branch_types):
            return found or None
        found |= set().union(*branch_types)
    for branch in branches(document, schema, "allOf"):
        if "type" in branch and "type" not in schema:
            found |= types(document, branch) or set()
    return found or None


def _allows(allowed: set[str], kind: str) -> bool:
    return kind in allowed or (kind == "integer" and "number" in allowed)


def closed(document: dict, schema: dict) -> bool:
    """Whether unknown fields are refused: by the schema itself, by an allOf branch, or by every one of its
    oneOf/anyOf branches (one closed schema per request shape)."""
    if schema.get("additionalProperties") is False:
        return True
    if any(closed(document, branch) for branch in branches(document, schema, "allOf")):
        return True
    alternatives = branches(document, schema, "oneOf") + branches(document, schema, "anyOf")
    return bool(alternatives) and all(closed(document, branch) for branch in alternatives)


def keyword_values(document: dict, schema: dict, keyword: str) -> list[object]:
    """A keyword's values in a schema and its allOf/oneOf/anyOf branches (how limits sit in `explain`)."""
    values = [schema[keyword]] if keyword in schema else []
    for combinator in COMBINATORS:
        for branch in branches(document, schema, combinator):
            values += keyword_values(document, branch, keyword)
    return values


# --- Comparing schemas -------------------------------------------------------------------------------


def compare_schemas(
    document_base: dict,
    document_new: dict,
    old: object,
    new: object,
    where: str,
    direction: str,
    changes: Changes,
    depth: int = 0,
) -> None:
    """Every difference between two schemas of the same place, judged for `direction`."""
    old, new = resolve(document_base, old), resolve(document_new, new)
    if depth > 32:  # a recursive schema: what lies deeper was compared at a shallower level
        return
    _compare_types(document_base, document_new, old, new, where, direction, changes)
    _compare_limits(document_base, document_new, old, new, where, direction, changes)
    _compare_enum(document_base, document_new, old, new, where, direction, changes)
    _compare_objects(document_base, document_new, old, new, where, direction, changes, depth)
    if "items" in old and "items" in new:
        compare_schemas(
            document_base,
            document_new,
            old["items"],
            new["items"],
            f"{where}[]",
            direction,
            changes,
            depth + 1,
        )


def _compare_types(
    db: dict, dn: dict, old: dict, new: dict, where: str, direction: str, changes: Changes
) -> None:
    old_types, new_types = types(db, old), types(dn, new)
    if old_types == new_types:
        return
    if new_types is None or (old_types is not None and all(_allows(new_types, t) for t in old_types)):
        changes.change(
            direction, False, where, f"type widened from {_names(old_types)} to {_names(new_types)}"
        )
    else:
        changes.change(
            direction, True, where, f"type changed from {_names(old_types)} to {_names(new_types)}"
        )


def _names(kinds: set[str] | None) -> str:
    return "any" if kinds is None else "/".join(sorted(kinds))


def _compare_limits(
    db: dict, dn: dict, old: dict, new: dict, where: str, direction: str, changes: Changes
) -> None:
    for keyword in UPPER_LIMITS + LOWER_LIMITS:
        old_values, new_values = keyword_values(db, old, keyword), keyword_values(dn, new, keyword)
        pick = max if keyword in UPPER_LIMITS else min  # the loosest limit among the branches
        before = pick(old_values) if old_values else None
        after = pick(new_values) if new_values else None
        if before == after:
            continue
        if after is None:
            narrows = False
        elif before is None:
            narrows = True
        else:
            narrows = after < before if keyword in UPPER_LIMITS else after > before
        changes.change(direction, narrows, where, f"{keyword} {_shown(before)} -> {_shown(after)}")
    old_pattern, new_pattern = old.get("pattern"), new.get("pattern")
    if old_pattern != new_pattern:
        changes.change(
            direction, new_pattern is not None, where, f"pattern {old_pattern!r} -> {new_pattern!r}"
        )


def _shown(value: object) -> str:
    return "none" if value is None else json.dumps(value)


def _compare_enum(
    db: dict, dn: dict, old: dict, new: dict, where: str, direction: str, changes: Changes
) -> None:
    old_enum, new_enum = keyword_values(db, old, "enum"), keyword_values(dn, new, "enum")
    before = {json.dumps(v) for values in old_enum for v in values} if old_enum else None
    after = {json.dumps(v) for values in new_enum for v in values} if new_enum else None
    if before == after:
        return
    if after is None:
        changes.change(direction, False, where, "enum removed (any value allowed)")
    elif before is None:
        changes.change(direction, True, where, f"enum added: {', '.join(sorted(after))}")
    else:
        if before - after:
            changes.change(
                direction, True, where, f"enum values removed: {', '.join(sorted(before - after))}"
            )
        if after - before:
            # New values are the way an API grows (a new error code): listed, never a failure on their own.
            changes.additive.append(f"{where}: enum values added: {', '.join(sorted(after - before))}")


def _compare_objects(
    db: dict, dn: dict, old: dict, new: dict, where: str, direction: str, changes: Changes, depth: int
) -> None:
    old_props, new_props = merged_properties(db, old), merged_properties(dn, new)
    for name in sorted(old_props.keys() - new_props.keys()):
        changes.breaking.append(f"{where}.{name}: {direction} field removed")
    for name in sorted(new_props.keys() - old_props.keys()):
        changes.additive.append(f"{where}.{name}: {direction} field added")
    for name in sorted(old_props.keys() & new_props.keys()):
        for old_sub, new_sub in zip(old_props[name], new_props[name], strict=False):
            compare_schemas(db, dn, old_sub, new_sub, f"{where}.{name}", direction, changes, depth + 1)
    _compare_required(db, dn, old, new, where, direction, changes)
    was_closed, is_closed = closed(db, old), closed(dn, new)
    if not was_closed and is_closed:
        changes.change(direction, True, where, "additionalProperties closed (unknown fields refused)")
    elif was_closed and not is_closed:
        changes.change(direction, False, where, "additionalProperties opened")


def _compare_required(
    db: dict, dn: dict, old: dict, new: dict, where: str, direction: str, changes: Changes
) -> None:
    """Requests: every way of writing a base request must still be valid. Responses: every new shape
    must still carry all the fields of some base shape."""
    old_alts, new_alts = required_alternatives(db, old), required_alternatives(dn, new)
    if set(old_alts) == set(new_alts):
        return
    breaking_before = len(changes.breaking)
    if direction == REQUEST:
        for alt in old_alts:
            if not any(candidate <= alt for candidate in new_alts):
                extra = min((candidate - alt for candidate in new_alts), key=len)
                changes.breaking.append(
                    f"{where}: newly required request field(s) {', '.join(sorted(extra))}"
                )
    else:
        for alt in new_alts:
            if not any(base <= alt for base in old_alts):
                missing = min((base - alt for base in old_alts), key=len)
                changes.breaking.append(
                    f"{where}: response field(s) {', '.join(sorted(missing))} no longer required"
                )
    if len(changes.breaking) == breaking_before:
        changes.additive.append(f"{where}: required fields changed compatibly")


# --- Comparing documents -----------------------------------------------------------------------------


def operations(document: dict) -> dict[tuple[str, str], dict]:
    return {
        (path, method): operation
        for path, item in (document.get("paths") or {}).items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def compare_documents(base: dict, new: dict) -> Changes:
    """Every difference between the base and the new document, sorted into breaking and additive."""
    changes = Changes()
    old_ops, new_ops = operations(base), operations(new)
    moves = _moves(old_ops, new_ops)
    for path, method in sorted(old_ops.keys() - new_ops.keys()):
        if (path, method) in moves:
            new_path = moves[(path, method)][0]
            changes.breaking.append(f"{method.upper()} {path}: operation moved to {new_path}")
            where = f"{method.upper()} {new_path}"
            _compare_operation(
                base, new, old_ops[(path, method)], new_ops[moves[(path, method)]], where, changes
            )
        else:
            changes.breaking.append(f"{method.upper()} {path}: operation removed")
    for path, method in sorted(new_ops.keys() - old_ops.keys() - set(moves.values())):
        changes.additive.append(f"{method.upper()} {path}: operation added")
    for key in sorted(old_ops.keys() & new_ops.keys()):
        _compare_operation(base, new, old_ops[key], new_ops[key], f"{key[1].upper()} {key[0]}", changes)
    return changes


def _moves(old_ops: dict, new_ops: dict) -> dict[tuple[str, str], tuple[str, str]]:
    """Operations that left their path for a new one under the same operationId and method (e.g. /v1/)."""
    added = {
        (operation.get("operationId"), key[1]): key
        for key, operation in new_ops.items()
        if key not in old_ops and operation.get("operationId")
    }
    return {
        key: added[(operation.get("operationId"), key[1])]
        for key, operation in old_ops.items()
        if key not in new_ops and (operation.get("operationId"), key[1]) in added
    }


def _compare_operation(
    base: dict, new: dict, old_op: dict, new_op: dict, where: str, changes: Changes
) -> None:
    _compare_parameters(base, new, old_op, new_op, where, changes)
    old_body, new_body = (
        resolve(base, old_op.get("requestBody", {})),
        resolve(new, new_op.get("requestBody", {})),
    )
    if new_body.get("required") and not old_body.get("required"):
        changes.breaking.append(f"{where}: request body now required")
    _compare_content(base, new, old_body, new_body, f"{where} request", REQUEST, changes)
    old_responses, new_responses = old_op.get("responses") or {}, new_op.get("responses") or {}
    for status in sorted(old_responses.keys() - new_responses.keys()):
        changes.breaking.append(f"{where}: response {status} removed")
    for status in sorted(new_responses.keys() - old_responses.keys()):
        changes.additive.append(f"{where}: response {status} added")
    for status in sorted(old_responses.keys() & new_responses.keys()):
        old_response, new_response = resolve(base, old_responses[status]), resolve(new, new_responses[status])
        _compare_content(base, new, old_response, new_response, f"{where} {status}", RESPONSE, changes)


def _compare_parameters(
    base: dict, new: dict, old_op: dict, new_op: dict, where: str, changes: Changes
) -> None:
    def by_name(document: dict, operation: dict) -> dict[tuple[str, str], dict]:
        resolved = (resolve(document, p) for p in operation.get("parameters", []))
        return {(p.get("in", ""), p.get("name", "")): p for p in resolved}

    old_params, new_params = by_name(base, old_op), by_name(new, new_op)
    for key in sorted(new_params.keys() - old_params.keys()):
        required = bool(new_params[key].get("required"))
        kind = "required" if required else "optional"
        (changes.breaking if required else changes.additive).append(
            f"{where}: {kind} {key[0]} parameter {key[1]} added"
        )
    for key in sorted(old_params.keys() - new_params.keys()):
        changes.breaking.append(f"{where}: {key[0]} parameter {key[1]} removed")
    for key in sorted(old_params.keys() & new_params.keys()):
        if new_params[key].get("required") and not old_params[key].get("required"):
            changes.breaking.append(f"{where}: {key[0]} parameter {key[1]} now required")
        compare_schemas(
            base,
            new,
            old_params[key].get("schema", {}),
            new_params[key].get("schema", {}),
            f"{where} {key[0]} parameter {key[1]}",
            REQUEST,
            changes,
        )


def _compare_content(
    base: dict, new: dict, old: dict, new_part: dict, where: str, direction: str, changes: Changes
) -> None:
    old_content, new_content = old.get("content") or {}, new_part.get("content") or {}
    for media in sorted(old_content.keys() - new_content.keys()):
        changes.breaking.append(f"{where}: media type {media} removed")
    for media in sorted(new_content.keys() - old_content.keys()):
        changes.additive.append(f"{where}: media type {media} added")
    for media in sorted(old_content.keys() & new_content.keys()):
        old_schema, new_schema = old_content[media].get("schema", {}), new_content[media].get("schema", {})
        compare_schemas(base, new, old_schema, new_schema, f"{where} {media}", direction, changes)


# --- The verdict -------------------------------------------------------------------------------------

SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")


def major_version(document: dict, name: str) -> int:
    version = str((document.get("info") or {}).get("version", ""))
    match = SEMVER.match(version)
    if not match:
        raise ApiDiffError(f"{name}: info.version {version!r} is not a semantic version (MAJOR.MINOR.PATCH)")
    return int(match.group(1))


@dataclass(frozen=True)
class Verdict:
    changes: Changes
    base_version: str
    new_version: str
    major_bumped: bool

    @property
    def passed(self) -> bool:
        return not self.changes.breaking or self.major_bumped


def judge(base: dict, new: dict) -> Verdict:
    """Breaking changes pass only with a higher major version in the new document."""
    bumped = major_version(new, "this commit's document") > major_version(base, "the base document")
    return Verdict(compare_documents(base, new), base["info"]["version"], new["info"]["version"], bumped)


def report_markdown(verdict: Verdict, base_name: str) -> str:
    """The pull request's report: the verdict, then every breaking and additive change."""
    if not verdict.changes.breaking:
        headline = "no breaking change"
    elif verdict.major_bumped:
        versions = f"{verdict.base_version} -> {verdict.new_version}"
        headline = f"breaking changes, announced by the major version ({versions})"
    else:
        headline = (
            f"**FAIL**: breaking changes without a new major version (info.version {verdict.base_version} -> "
            f"{verdict.new_version}; raise it to the next major or make the change additive)"
        )
    lines = [f"### API changes against `{base_name}`: {headline}", ""]
    for title, items in (("Breaking", verdict.changes.breaking), ("Additive", verdict.changes.additive)):
        lines.append(f"**{title}** ({len(items)})")
        lines += [f"- {item}" for item in items] or ["- none"]
        lines.append("")
    return "\n".join(lines)


# --- Reading the documents ---------------------------------------------------------------------------


def load_at_revision(revision: str, path: str = OPENAPI_DOCUMENT, root: Path = REPO_ROOT) -> tuple[dict, str]:
    """The document at `revision` and the path it was read from.

    When the file has moved since `revision`, the base's only `openapi.json` is used instead (and named),
    so that the pull request that moves it is still compared.
    """
    candidates = [path]
    listing = _git(root, "ls-tree", "-r", "--name-only", revision)
    if path not in listing.splitlines():
        candidates = [
            name for name in listing.splitlines() if name.endswith("/openapi.json") and "/tests/" not in name
        ]
        if len(candidates) != 1:
            raise ApiDiffError(
                f"{revision} has no {path} and not exactly one other openapi.json: {candidates}"
            )
    text = _git(root, "show", f"{revision}:{candidates[0]}")
    return _parse(text, f"{revision}:{candidates[0]}"), candidates[0]


def _git(root: Path, *arguments: str) -> str:
    result = subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ApiDiffError(
            f"git {' '.join(arguments)} failed: {result.stderr.strip()} (fetch the base branch first, e.g. "
            "git fetch origin main, and name it as BASE=origin/main)"
        )
    return result.stdout


def _parse(text: str, name: str) -> dict:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ApiDiffError(f"{name} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ApiDiffError(f"{name} is not a JSON object")
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, help="git revision to compare with, e.g. origin/main")
    parser.add_argument("--document", default=OPENAPI_DOCUMENT, help="the document's path in the repository")
    parser.add_argument("--summary", type=Path, help="append the Markdown report to this file")
    args = parser.parse_args(argv)
    try:
        base, base_path = load_at_revision(args.base, args.document, REPO_ROOT)
        new = _parse((REPO_ROOT / args.document).read_text(encoding="utf-8"), args.document)
        verdict = judge(base, new)
    except (ApiDiffError, OSError) as error:
        print(f"check-api: {error}", file=sys.stderr)
        return 2
    report = report_markdown(verdict, f"{args.base}:{base_path}")
    print(report)
    if args.summary:
        with args.summary.open("a", encoding="utf-8") as summary:
            summary.write(report + "\n")
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
