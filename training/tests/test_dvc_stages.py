"""dvc.yaml's stages declare exactly what their scripts read: code, params and files.

A module missing from a stage's deps is a change DVC cannot see: editing it would leave the committed
model in place, made by code that no longer exists, and `make check-lock` would not notice. A dep the
stage does not read reruns it for nothing: were the evaluation a dep of `train`, editing it would refit.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from training import REPO_ROOT
from training.export import DEFAULT_OUT_DIR, JSON_NAME, NPZ_NAME
from training.fingerprint import DEFAULT_OUT as DATA_FINGERPRINT
from training.params import SCHEMA
from training.stages.handoff import (
    ANALYZER_CHOICE_NAME,
    CONFUSION_NAME,
    METRICS_NAME,
    PIPELINE_PATH,
    RELIABILITY_NAME,
    REPORTS_DIR,
)

STAGES = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
# The stages that run a script of training/stages/ (`data` only fingerprints, on every repro).
SCRIPT_STAGES = ("train", "evaluate", "export")


def _relative(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix()


def _paths(entries: list) -> list[str]:
    """dvc.yaml entries as paths: a plain path, or {path: options}."""
    return [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]


def _module(stage: str) -> str:
    command = STAGES[stage]["cmd"].split()
    assert command[:2] == ["python", "-m"], STAGES[stage]["cmd"]
    return command[2]


def _modules_loaded_by(module: str) -> set[str]:
    """The repository files a fresh process loads when it imports `module`, relative to the root."""
    script = (
        f"import json, sys, {module}\n"
        "print(json.dumps([getattr(m, '__file__', None) for m in list(sys.modules.values())]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    files = set()
    for name in json.loads(result.stdout):
        if name and name.startswith(str(REPO_ROOT)) and "/.venv/" not in name:
            files.add(_relative(Path(name)))
    return files


def _covers(dep: str, path: str) -> bool:
    return path == dep or path.startswith(dep.rstrip("/") + "/")


@pytest.mark.parametrize("stage", SCRIPT_STAGES)
def test_a_stage_runs_its_own_script(stage):
    assert _module(stage) == f"training.stages.{stage}"


@pytest.mark.parametrize("stage", SCRIPT_STAGES)
def test_the_code_deps_of_a_stage_are_exactly_the_modules_its_script_imports(stage):
    loaded = _modules_loaded_by(_module(stage))
    code_deps = [dep for dep in STAGES[stage]["deps"] if dep.endswith(".py") or (REPO_ROOT / dep).is_dir()]
    missing = sorted(path for path in loaded if not any(_covers(dep, path) for dep in code_deps))
    assert missing == [], f"add to dvc.yaml's {stage} deps: {missing}"
    unused = sorted(dep for dep in code_deps if not any(_covers(dep, path) for path in loaded))
    assert unused == [], f"{stage} does not import these; remove them from its deps: {unused}"


def test_neither_the_evaluation_nor_the_export_is_an_input_of_the_fit():
    """What the split into stages is for: editing either reruns its own stage, never the fit."""
    train_deps = STAGES["train"]["deps"]
    for path in ("training/evaluate.py", "training/stages/evaluate.py", "training/export.py"):
        assert path not in train_deps
    assert "training/export.py" not in STAGES["evaluate"]["deps"]
    assert "training/evaluate.py" not in STAGES["export"]["deps"]


def test_the_stages_hand_each_other_the_files_their_scripts_read_and_write():
    pipeline, data = _relative(PIPELINE_PATH), _relative(DATA_FINGERPRINT)
    metrics, confusion = _relative(REPORTS_DIR / METRICS_NAME), _relative(REPORTS_DIR / CONFUSION_NAME)
    reliability, choice = (
        _relative(REPORTS_DIR / RELIABILITY_NAME),
        _relative(REPORTS_DIR / ANALYZER_CHOICE_NAME),
    )
    assert _paths(STAGES["data"]["outs"]) == [data]
    assert _paths(STAGES["train"]["outs"]) == [pipeline]
    assert _paths(STAGES["train"]["metrics"]) == [choice]
    assert data in STAGES["train"]["deps"]
    assert {pipeline, data} <= set(STAGES["evaluate"]["deps"])
    assert _paths(STAGES["evaluate"]["metrics"]) == [metrics]
    assert _paths(STAGES["evaluate"]["plots"]) == [confusion, reliability]
    assert {pipeline, metrics} <= set(STAGES["export"]["deps"])
    artifact = [_relative(DEFAULT_OUT_DIR / name) for name in (NPZ_NAME, JSON_NAME)]
    assert _paths(STAGES["export"]["outs"]) == artifact


def _keys(*sections: str) -> list[str]:
    return sorted(f"{section}.{key}" for section in sections for key in SCHEMA[section])


def _params(stage: str) -> list[str]:
    names = STAGES[stage]["params"]
    assert len(set(names)) == len(names)
    return sorted(names)


def test_each_stage_names_the_params_it_reads_key_by_key():
    """Dotted keys, each stage its own: the fit reads every data, featurize and train key; the evaluation
    only the data keys (it rebuilds the same test split); the export what model.json records."""
    assert _params("train") == _keys("data", "featurize", "train")
    assert _params("evaluate") == _keys("data")
    assert _params("export") == _keys("data", "featurize", "train")
    assert _params("data") == ["data.extra_sources", "data.source", "data.test_source"]


@pytest.mark.parametrize(
    "module", [*(f"training.stages.{stage}" for stage in SCRIPT_STAGES), "training.__main__"]
)
def test_every_entry_point_that_computes_floats_pins_the_numerics_first(module):
    """A stage that skipped training.pinned_numerics.pin() would write other bytes on another CPU."""
    path = REPO_ROOT / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    blocks = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'"
    ]
    assert len(blocks) == 1, f"{path.name}: expected one `if __name__ == '__main__':` block"
    assert ast.unparse(blocks[0].body[0]) == "pinned_numerics.pin()", f"{path.name}: pin before main()"
