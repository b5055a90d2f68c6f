"""Where the setup's files are: the CDK app's directory, its cdk.json and its output directory."""

from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parents[1]
CDK_JSON = INFRA_DIR / "cdk.json"
OUT_DIR = INFRA_DIR / "cdk.out"
