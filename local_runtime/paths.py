"""Where things are in the repository, computed once for the local runtime, the tools and their tests.

`training` (its own REPO_ROOT in training/__init__.py) and the CDK app (infrastructure/stacks/settings.py)
are separate import roots and keep their own; every other tool and test imports these.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# The Lambda function: the image's build context (Dockerfile, handler modules, openapi.json, data/).
APP_DIR = REPO_ROOT / "serving" / "app"
