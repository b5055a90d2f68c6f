"""`python -m account_setup COMMAND`, from infrastructure/: the steps of `make bootstrap` that are not `cdk`.

    data-stack-context --repository OWNER/REPO   the `-c key=value` arguments of the data stack's deploy
    execution-policy-template PATH               write the CloudFormation execution policy's template
    deploy-execution-policy                      deploy it (AWS CLI) and print its ARN for `cdk bootstrap`
    github-variables OUTPUTS_JSON                the GitHub variables to set, from the data stack's outputs

Results go to stdout, explanations to stderr; a decision the setup cannot take exits 2 with what to do.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from stacks.names import CDK_BOOTSTRAP_QUALIFIER

from account_setup import account_switches, execution_policy, github_identity
from account_setup.commands import CommandFailed, SetupError, run
from account_setup.github_variables import current_region, deploy_stages, github_variable_commands
from account_setup.paths import OUT_DIR


def data_stack_context(repository: str) -> str:
    identity = github_identity.find_identity(repository, os.environ)
    owned = account_switches.data_stack_resources()
    context = (
        identity.context()
        + account_switches.oidc_provider_context(os.environ, owned)
        + account_switches.logging_role_context(os.environ, owned)
    )
    return " ".join(f"-c {item}" for item in context)


def write_template(path: Path, qualifier: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(execution_policy.template(qualifier), indent=1) + "\n", encoding="utf-8")
    return path


def deploy_execution_policy(qualifier: str) -> str:
    """Creates or updates the policy's stack; returns its ARN, for `cdk bootstrap
    --cloudformation-execution-policies`."""
    template = write_template(OUT_DIR / "execution-policy.template.json", qualifier)
    stack = execution_policy.POLICY_STACK_NAME
    print(f"Deploying {stack} (the CloudFormation execution policy) ...", file=sys.stderr)
    deploy = ["aws", "cloudformation", "deploy", "--stack-name", stack, "--template-file", str(template)]
    run([*deploy, "--capabilities", "CAPABILITY_IAM", "--no-fail-on-empty-changeset"])
    query = f"Stacks[0].Outputs[?OutputKey=='{execution_policy.POLICY_OUTPUT}'].OutputValue"
    arn = run(
        [
            "aws",
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            stack,
            "--query",
            query,
            "--output",
            "text",
        ]
    )
    return arn.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m account_setup", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("data-stack-context").add_argument("--repository", required=True)
    commands.add_parser("execution-policy-template").add_argument("path", type=Path)
    commands.add_parser("deploy-execution-policy")
    commands.add_parser("github-variables").add_argument("outputs", type=Path)
    args = parser.parse_args(argv)
    qualifier = CDK_BOOTSTRAP_QUALIFIER
    try:
        if args.command == "data-stack-context":
            print(data_stack_context(args.repository))
        elif args.command == "execution-policy-template":
            write_template(args.path, qualifier)
        elif args.command == "deploy-execution-policy":
            print(deploy_execution_policy(qualifier))
        else:
            outputs = json.loads(args.outputs.read_text(encoding="utf-8"))
            print("\n".join(github_variable_commands(outputs, deploy_stages(), current_region())))
    except (SetupError, CommandFailed) as error:
        print(f"make bootstrap: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
