"""`make rollback STAGE=dev [TO=version]`: point the function's `live` alias at an earlier version.

API Gateway invokes the `live` alias, so moving it is the whole rollback: the earlier version's image,
model and settings answer the next request (a version is immutable), with no build and no deploy. Without
TO the alias goes to the newest version older than the one it serves. Any weighted routing left by an
interrupted gradual deployment is cleared, so all traffic goes to the chosen version. It prints what it
did: the alias, from which version to which, and each version's model when the version's environment
(MODEL_VERSION_ENV) or description ("model <hash>") names it.

The next `make deploy` publishes the commit's version and moves the alias forward again: roll back, then
revert or fix on main. A CodeDeploy deployment in progress must be stopped first
(`aws deploy stop-deployment`), or it keeps shifting traffic.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ops.stage import StageError, function_name

LIVE_ALIAS = "live"
# Where a version can say which model it serves; "unknown" when it does not.
MODEL_VERSION_ENV = "MODEL_VERSION"
_MODEL_IN_DESCRIPTION = re.compile(r"\bmodel[ :=]+([0-9a-f]{6,64})\b")


def published_versions(lambda_client: Any, function: str) -> list[int]:
    """The function's published versions (never $LATEST), oldest first."""
    versions: list[int] = []
    for page in lambda_client.get_paginator("list_versions_by_function").paginate(FunctionName=function):
        versions += [int(v["Version"]) for v in page.get("Versions", []) if v["Version"].isdigit()]
    return sorted(versions)


def choose_target(current: int, versions: list[int], requested: str | None) -> int:
    """TO when given (a published version other than the live one), else the newest one before it."""
    if requested:
        if not requested.isdigit() or int(requested) not in versions:
            raise StageError(f"TO={requested}: not a published version (published: {_listed(versions)})")
        if int(requested) == current:
            raise StageError(f"the {LIVE_ALIAS} alias already serves version {current}")
        return int(requested)
    earlier = [v for v in versions if v < current]
    if not earlier:
        raise StageError(f"no version before {current} to roll back to (published: {_listed(versions)})")
    return earlier[-1]


def _listed(versions: list[int]) -> str:
    return ", ".join(map(str, versions)) or "none"


def model_version(lambda_client: Any, function: str, version: int) -> str:
    """The model a version serves, as its environment or description names it, else 'unknown'."""
    configuration = lambda_client.get_function_configuration(FunctionName=function, Qualifier=str(version))
    variables = (configuration.get("Environment") or {}).get("Variables") or {}
    if variables.get(MODEL_VERSION_ENV):
        return variables[MODEL_VERSION_ENV]
    match = _MODEL_IN_DESCRIPTION.search(configuration.get("Description") or "")
    return match.group(1) if match else "unknown"


def rollback(lambda_client: Any, function: str, requested: str | None = None, dry_run: bool = False) -> str:
    """Moves the alias (unless dry_run) and returns the sentence that says what happened."""
    alias = lambda_client.get_alias(FunctionName=function, Name=LIVE_ALIAS)
    current = int(alias["FunctionVersion"])
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    target = choose_target(current, published_versions(lambda_client, function), requested)
    before = model_version(lambda_client, function, current)
    after = model_version(lambda_client, function, target)
    if not dry_run:
        lambda_client.update_alias(
            FunctionName=function,
            Name=LIVE_ALIAS,
            FunctionVersion=str(target),
            RoutingConfig={"AdditionalVersionWeights": {}},
        )
    split = f" (it also sent {_weights(weights)}; now cleared)" if weights else ""
    verb = "would move" if dry_run else "moved"
    return (
        f"{function}:{LIVE_ALIAS} {verb} from version {current} (model {before}){split} "
        f"to version {target} (model {after})"
    )


def _weights(weights: dict[str, float]) -> str:
    return ", ".join(f"{share:.0%} to version {version}" for version, share in weights.items())


def main(argv: list[str] | None = None, session: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--to", help="the version to serve (default: the one before the live one)")
    parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    args = parser.parse_args(argv)
    if session is None:
        import boto3

        session = boto3.Session()
    try:
        function = function_name(args.stage, session.client("cloudformation"))
        print(f"rollback: {rollback(session.client('lambda'), function, args.to, args.dry_run)}")
    except (StageError, BotoCoreError, ClientError) as error:
        print(f"rollback: FAIL: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
