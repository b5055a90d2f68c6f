"""IAM's policy logic, as far as the tests need it: which statements allow a request.

The tests evaluate the synthesized policies against requests (a GitHub token's claims, an action on a
resource) instead of comparing how the policies happen to be spelt, so that they say what may happen.
Only the operators the app uses are known; any other fails the test rather than being ignored.

IAM's rules used here (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html):
StringEquals is exact, StringEqualsIgnoreCase ignores case, StringLike is case-sensitive with `*` for any
characters and `?` for one; every operator and key in a Condition must hold, and one of a key's values is
enough. Action names compare ignoring case, with the same wildcards.
"""

from __future__ import annotations

import re
from typing import Any


def like(value: str, pattern: str, *, ignore_case: bool = False) -> bool:
    """IAM's StringLike: `*` stands for any characters and `?` for any one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None


_OPERATORS = {
    "StringEquals": lambda value, wanted: value == wanted,
    "StringEqualsIgnoreCase": lambda value, wanted: value.lower() == wanted.lower(),
    "StringLike": like,
    "ArnEquals": lambda value, wanted: value == wanted,
    "ArnLike": like,
}


def as_list(value: Any) -> list[Any]:
    """A policy element that holds one value or a list of them."""
    return value if isinstance(value, list) else [value]


def conditions_hold(condition: dict[str, Any] | None, context: dict[str, str]) -> bool:
    """Whether every operator and key of `condition` holds for the request `context` (claims, keys).

    A key the request does not carry fails its condition, as IAM's operators (without IfExists) do.
    """
    for operator, keys in (condition or {}).items():
        match = _OPERATORS[operator]
        for key, wanted in keys.items():
            if key not in context or not any(match(context[key], value) for value in as_list(wanted)):
                return False
    return True


def action_matches(action: str, patterns: Any) -> bool:
    """Whether `action` (`service:Name`) is one of a statement's Action patterns."""
    return any(like(action, pattern, ignore_case=True) for pattern in as_list(patterns))


def allows(
    statements: list[dict[str, Any]], action: str, resource: str, context: dict[str, str] | None = None
) -> bool:
    """Whether some Allow statement grants `action` on `resource` under `context` (no Deny is used)."""
    assert all(s["Effect"] == "Allow" for s in statements), "these policies use no Deny"
    return any(
        action_matches(action, statement["Action"])
        and any(like(resource, pattern) for pattern in as_list(statement["Resource"]))
        and conditions_hold(statement.get("Condition"), context or {})
        for statement in statements
    )
