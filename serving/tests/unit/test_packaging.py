"""The image holds the handler, the model and the locked runtime dependencies: nothing from training.

Docker cannot run in every environment, so the Dockerfile is checked as text, read by the local runtime's
reader (local_runtime/dockerfile.py, which lays the task root out from it): what it copies, what it
installs and what it runs. A fresh interpreter checks what importing the handler actually loads.
"""

import ast
import fnmatch
import os
import re
import shutil
import subprocess
import sys
from pathlib import PurePosixPath

import pytest

from local_runtime.dockerfile import TASK_ROOT, instructions, parse_dockerfile
from local_runtime.paths import APP_DIR, REPO_ROOT

DOCKERFILE = APP_DIR / "Dockerfile"
RUNTIME_PACKAGES = {"numpy"}
ARTIFACT_FILES = {"data/model.npz", "data/model.json"}


def arguments_of(name: str) -> list[str]:
    """The arguments of every `name` instruction (FROM, RUN, CMD, ...), as written."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    return [arguments for _, keyword, arguments in instructions(text) if keyword == name]


def copies() -> list[tuple[str, PurePosixPath]]:
    image = parse_dockerfile(DOCKERFILE)
    assert all(len(copy.sources) == 1 for copy in image.copies), "one source and one destination per COPY"
    return [(copy.sources[0], copy.destination) for copy in image.copies]


def app_modules() -> set[str]:
    return {path.name for path in APP_DIR.glob("*.py")}


def test_base_image_is_aws_python_3_12():
    (base,) = arguments_of("FROM")
    assert re.fullmatch(r"public\.ecr\.aws/lambda/python:3\.12(@sha256:[0-9a-f]{64})?", base)


def test_cmd_is_the_handler():
    (cmd,) = arguments_of("CMD")
    assert cmd == '["handler.lambda_handler"]'  # the exec form: no shell between Lambda and the handler
    assert parse_dockerfile(DOCKERFILE).handler == "handler.lambda_handler"
    tree = ast.parse((APP_DIR / "handler.py").read_text(encoding="utf-8"))
    assert "lambda_handler" in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_copies_every_module_the_openapi_document_and_the_artifact_into_the_task_root():
    sources = {source for source, _ in copies()}
    assert sources == app_modules() | {"openapi.json", "playground.html", "requirements.txt"} | ARTIFACT_FILES
    for source, destination in copies():
        assert destination == TASK_ROOT / source


def test_copies_nothing_from_training_or_outside_the_app():
    for source, _ in copies():
        assert ".." not in source and not source.startswith("/") and "training" not in source
        assert (APP_DIR / source).is_file() or source in ARTIFACT_FILES


def test_dockerignore_lets_exactly_the_copied_files_through():
    patterns = [line.strip() for line in (APP_DIR / ".dockerignore").read_text(encoding="utf-8").splitlines()]
    patterns = [p for p in patterns if p and not p.startswith("#")]

    def included(path: str) -> bool:
        verdict = True
        for pattern in patterns:
            negated = pattern.startswith("!")
            if fnmatch.fnmatch(path, pattern.lstrip("!")):
                verdict = negated
        return verdict

    for source, _ in copies():
        assert included(source), source
    for unwanted in ("data/model.npz.dvc", "__pycache__/handler.cpython-312.pyc", "notes.txt", ".env"):
        assert not included(unwanted), unwanted


def test_installs_exactly_the_locked_requirements():
    (install,) = [run for run in arguments_of("RUN") if "pip install" in run]
    assert "--require-hashes" in install and "--no-cache-dir" in install
    assert "-r requirements.txt" in install


def test_app_modules_import_only_the_standard_library_numpy_metrics_and_each_other():
    local = {name.removesuffix(".py") for name in app_modules()}
    allowed = set(sys.stdlib_module_names) | RUNTIME_PACKAGES | local
    for path in APP_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def imported_packages(path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_data_flows_one_way_training_to_the_app_and_no_product_code_uses_a_tool():
    """training writes the artifact, serving/app reads it; the tools beside them (the local runtime, the
    load test, the demo, the benchmark) use the product, never the other way round."""
    tools = {"local_runtime", "loadtest", "demo", "bench"}
    for path in APP_DIR.glob("*.py"):
        assert not imported_packages(path) & (tools | {"training", "serving"}), path.name
    for path in (REPO_ROOT / "training").glob("*.py"):
        assert not imported_packages(path) & (tools | {"serving"}), path.name


def uv_executable() -> str:
    """The repository's pinned uv (installed by `make setup`), else one on PATH."""
    pinned = REPO_ROOT / ".tools" / "bin" / "uv"
    found = str(pinned) if pinned.exists() else shutil.which("uv")
    assert found, "uv is needed to check requirements.txt against uv.lock: run `make setup`"
    return found


def requirement_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_requirements_txt_is_the_export_of_the_lock():
    command = [uv_executable(), "export", "--frozen", "--only-group", "serve", "--format", "requirements-txt"]
    exported = subprocess.run(
        [*command, "--no-emit-project", "--quiet"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    committed = (APP_DIR / "requirements.txt").read_text(encoding="utf-8")
    assert requirement_lines(committed) == requirement_lines(exported), "run `make requirements`"
    pinned = [line for line in requirement_lines(committed) if not line.startswith(" ")]
    assert {line.split("==")[0] for line in pinned} == {"numpy"}
    assert not any(name in committed for name in ("scikit-learn", "scipy", "joblib", "pytest", "aiohttp"))


@pytest.fixture(scope="module")
def fresh_import(bbc_model_dir) -> str:
    """Imports the handler in a new interpreter (as Lambda's init does) and lists the loaded packages."""
    code = "import handler, sys; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    env = {
        **os.environ,
        "MODEL_DIR": str(bbc_model_dir),
        "AWS_EMF_ENVIRONMENT": "Local",
        "PYTHONPATH": str(APP_DIR),
    }
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return result.stdout.splitlines()[-1]


def test_importing_the_handler_loads_no_training_library(fresh_import):
    loaded = set(fresh_import.split())
    assert "numpy" in loaded and "handler" in loaded
    assert not loaded & {"sklearn", "scipy", "joblib", "pandas", "training", "yaml"}


def test_a_broken_model_stops_the_init_with_instructions(tmp_path):
    env = {
        **os.environ,
        "MODEL_DIR": str(tmp_path),
        "AWS_EMF_ENVIRONMENT": "Local",
        "PYTHONPATH": str(APP_DIR),
    }
    result = subprocess.run([sys.executable, "-c", "import handler"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "ModelLoadError" in result.stderr and "make train" in result.stderr
    logged = [line for line in result.stdout.splitlines() if '"level": "ERROR"' in line]
    assert len(logged) == 1 and "model.json" in logged[0] and "dvc pull" in logged[0]
