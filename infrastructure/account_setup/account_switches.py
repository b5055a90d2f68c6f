"""The two account-level settings the data stack touches, decided from what the account already has.

- GitHub's OIDC provider: an account holds at most one for `token.actions.githubusercontent.com`. If one
  exists that the data stack did not create, the stack uses it (`github_oidc_provider_arn`) instead of
  failing to create a second; `GITHUB_OIDC_PROVIDER_ARN` names one explicitly.
- API Gateway's CloudWatch role: one per account and region, shared by every REST API there. If the
  account already has one that the data stack did not set, replacing it is a decision for the account's
  owner: the setup stops and names the switch (`API_GATEWAY_LOGGING_ROLE=false` leaves it alone, `true`
  lets the data stack set its own, which is the default where the account has none).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from stacks.names import DATA_STACK_NAME

from account_setup.commands import CommandFailed, Run, SetupError, run, run_json

OIDC_PROVIDER_ENV = "GITHUB_OIDC_PROVIDER_ARN"
LOGGING_ROLE_ENV = "API_GATEWAY_LOGGING_ROLE"
GITHUB_PROVIDER = "oidc-provider/token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"


def data_stack_resources(run_command: Run = run) -> dict[str, set[str]]:
    """Resource type -> physical ids of what the data stack holds now (nothing if it does not exist yet)."""
    try:
        found = run_json(
            run_command,
            [
                "aws",
                "cloudformation",
                "describe-stack-resources",
                "--stack-name",
                DATA_STACK_NAME,
                "--output",
                "json",
            ],
        )
    except CommandFailed as error:
        if "does not exist" in str(error):
            return {}
        raise SetupError(f"Could not read the {DATA_STACK_NAME} stack: {error}") from error
    resources: dict[str, set[str]] = {}
    for resource in found.get("StackResources", []):
        resources.setdefault(resource["ResourceType"], set()).add(resource.get("PhysicalResourceId", ""))
    return resources


def oidc_provider_context(
    environ: Mapping[str, str], owned: dict[str, set[str]], run_command: Run = run
) -> list[str]:
    """`github_oidc_provider_arn=...` when the data stack must use a provider it does not own; else none."""
    explicit = environ.get(OIDC_PROVIDER_ENV, "").strip()
    if explicit:
        return [f"github_oidc_provider_arn={explicit}"]
    listed = run_json(run_command, ["aws", "iam", "list-open-id-connect-providers", "--output", "json"])
    arns = [
        p["Arn"] for p in listed.get("OpenIDConnectProviderList", []) if p["Arn"].endswith(GITHUB_PROVIDER)
    ]
    if not arns or arns[0] in owned.get("AWS::IAM::OIDCProvider", set()):
        return []  # none yet, or the data stack's own: it creates or keeps it
    arn = arns[0]
    provider = run_json(
        run_command,
        [
            "aws",
            "iam",
            "get-open-id-connect-provider",
            "--open-id-connect-provider-arn",
            arn,
            "--output",
            "json",
        ],
    )
    if STS_AUDIENCE not in provider.get("ClientIDList", []):
        raise SetupError(
            f"The account's GitHub OIDC provider {arn} does not accept the audience {STS_AUDIENCE}, which "
            "aws-actions/configure-aws-credentials asks for. Add it with\n"
            f"  aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn {arn} "
            f"--client-id {STS_AUDIENCE}"
        )
    print(f"Using the account's existing GitHub OIDC provider {arn} ({OIDC_PROVIDER_ENV}).", file=sys.stderr)
    return [f"github_oidc_provider_arn={arn}"]


def logging_role_context(
    environ: Mapping[str, str], owned: dict[str, set[str]], run_command: Run = run
) -> list[str]:
    """`api_gateway_logging_role=true|false`: whether the data stack sets the account's API Gateway role."""
    explicit = environ.get(LOGGING_ROLE_ENV, "").strip()
    if explicit and explicit not in ("true", "false"):
        raise SetupError(f"{LOGGING_ROLE_ENV}={explicit!r}: use true or false.")
    role_arn = run_json(run_command, ["aws", "apigateway", "get-account", "--output", "json"]).get(
        "cloudwatchRoleArn"
    )
    if explicit == "false" and not role_arn:
        raise SetupError(
            f"{LOGGING_ROLE_ENV}=false, but API Gateway has no CloudWatch role in this account and region: "
            "stages that write access logs cannot deploy without one. Leave the switch unset (or true)."
        )
    if explicit:
        return [f"api_gateway_logging_role={explicit}"]
    ours = owned.get("AWS::IAM::Role", set())
    if role_arn and role_arn.rsplit("/", 1)[-1] not in ours:
        raise SetupError(
            f"API Gateway in this account and region already writes its logs with {role_arn}, which the "
            f"{DATA_STACK_NAME} stack did not create. Choose, and run again with:\n"
            f"  {LOGGING_ROLE_ENV}=false  leave it alone (recommended: it is shared by every REST API here)\n"
            f"  {LOGGING_ROLE_ENV}=true   let the data stack replace it with its own role"
        )
    return ["api_gateway_logging_role=true"]
