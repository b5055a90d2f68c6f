"""The CI helpers live in .github/scripts, which is not a package: make them importable for their tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
