"""dvc.yaml's train stage lists every file the training run reads code from.

A module missing from the stage's deps is a change DVC cannot see: editing it would leave the committed
model in place, trained by code that no longer exists, and `make check-lock` would not notice.
"""

import json
import subprocess
import sys
from pathlib import Path

import yaml

from training import REPO_ROOT


def _train_stage_deps() -> set[str]:
    stages = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    return set(stages["train"]["deps"])


def _modules_loaded_by_training() -> set[str]:
    """The repository files imported by `python -m training.train`, as paths relative to the root."""
    script = (
        "import json, sys, training.train\n"
        "print(json.dumps([getattr(m, '__file__', None) for m in list(sys.modules.values())]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    files = set()
    for name in json.loads(result.stdout):
        if name and name.startswith(str(REPO_ROOT)) and "/.venv/" not in name:
            files.add(Path(name).relative_to(REPO_ROOT).as_posix())
    return files


def test_every_module_the_training_run_imports_is_a_dependency_of_the_train_stage():
    loaded = {path for path in _modules_loaded_by_training() if not path.endswith("__init__.py")}
    assert "training/train.py" in loaded and "training/fit.py" in loaded
    missing = sorted(loaded - _train_stage_deps())
    assert missing == [], f"add to dvc.yaml's train deps: {missing}"
