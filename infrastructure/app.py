"""Entry point of the CDK app; `cdk synth` runs it (see `cdk.json`) with the project's Python.

Stacks: TextClassifier-Data (once per account) and TextClassifier-<stage> for each stage
(default dev and prod; pick with `-c stage=dev`). Settings: stacks/stages.py and CDK context.
"""

from __future__ import annotations


def main() -> None:
    try:
        from aws_cdk import App
    except ModuleNotFoundError as error:
        raise SystemExit(
            "aws-cdk-lib is not importable from this Python. Run the CDK CLI inside the project "
            "environment, e.g. `uv run --locked npx --no-install cdk synth` from infrastructure/."
        ) from error
    from stacks.app_builder import build_app, settings_from_context

    app = App()
    build_app(app, settings_from_context(app))
    app.synth()


if __name__ == "__main__":
    main()
