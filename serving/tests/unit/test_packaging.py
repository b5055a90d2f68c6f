"""The image holds the handler, the model and the locked runtime dependencies: nothing from training.

Docker cannot run in every environment, so the Dockerfile is checked as text, read by the local runtime's
reader (local_runtime/dockerfile.py, which lays the task root out from it): what it copies, what it
installs and what it runs. A fresh interpreter checks what importing the handler actually loads.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from local_runtime.dockerfile import TASK_ROOT, instructions, parse_dockerfile
from local_runtime.paths import APP_DIR, REPO_ROOT
from local_runtime.task_root import build_task_root
from serving.app.contracts.artifact import ARRAYS_FILE, MANIFEST_FILE, MODEL_DIRECTORY

DOCKERFILE = APP_DIR / "Dockerfile"
RUNTIME_PACKAGES = {"numpy"}
ARTIFACT_FILES = {f"{MODEL_DIRECTORY}/{ARRAYS_FILE}", f"{MODEL_DIRECTORY}/{MANIFEST_FILE}"}
# What a developer may leave in the folder that must never reach the image (nor may the Dockerfile and
# .dockerignore themselves).
STRAYS = (
    "data/model.npz.dvc",
    "data/.gitignore",
    "__pycache__/handler.cpython-312.pyc",
    "tfidf/__pycache__/x.pyc",
    "notes.txt",
    ".env",
    "data/old-model.npz",
)


def arguments_of(name: str) -> list[str]:
    """The arguments of every `name` instruction (FROM, RUN, CMD, ...), as written."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    return [arguments for _, keyword, arguments in instructions(text) if keyword == name]


def package_files() -> set[str]:
    """The serving package's own files (modules, the OpenAPI document, the page, the pins), by path
    inside the folder: what the image must carry beside the model."""
    patterns = ("*.py", "openapi.json", "playground.html", "requirements.txt")
    found = {
        path for pattern in patterns for path in APP_DIR.rglob(pattern) if "__pycache__" not in path.parts
    }
    return {path.relative_to(APP_DIR).as_posix() for path in found if MODEL_DIRECTORY not in path.parts}


def package_modules() -> list:
    return sorted(path for path in APP_DIR.rglob("*.py") if "__pycache__" not in path.parts)


def image_package() -> str:
    """The package the image's CMD names: `app` in `app.handler.lambda_handler`."""
    return parse_dockerfile(DOCKERFILE).handler.split(".")[0]


@pytest.fixture(scope="module")
def task_root(tmp_path_factory) -> Path:
    """The task root the image would hold, laid out by the local runtime from the Dockerfile, from a copy
    of the build context with a model and every stray file added."""
    context = tmp_path_factory.mktemp("context") / "app"
    shutil.copytree(APP_DIR, context, ignore=shutil.ignore_patterns(MODEL_DIRECTORY))
    for name in (*ARTIFACT_FILES, *STRAYS):
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        (context / name).write_text("x", encoding="utf-8")
    root = tmp_path_factory.mktemp("task_root")
    build_task_root(context, parse_dockerfile(context / "Dockerfile"), root)
    return root


def test_base_image_is_aws_python_3_12():
    (base,) = arguments_of("FROM")
    assert re.fullmatch(r"public\.ecr\.aws/lambda/python:3\.12(@sha256:[0-9a-f]{64})?", base)


def test_cmd_is_the_packages_handler():
    (cmd,) = arguments_of("CMD")
    assert cmd == '["app.handler.lambda_handler"]'  # the exec form: no shell between Lambda and the handler
    assert parse_dockerfile(DOCKERFILE).handler == "app.handler.lambda_handler"
    tree = ast.parse((APP_DIR / "handler.py").read_text(encoding="utf-8"))
    assert "lambda_handler" in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_the_image_holds_the_pins_and_the_package_with_its_model_and_nothing_else(task_root):
    package = image_package()
    held = {path.relative_to(task_root).as_posix() for path in task_root.rglob("*") if path.is_file()}
    expected = {f"{package}/{name}" for name in package_files() | ARTIFACT_FILES}
    assert held == expected | {"requirements.txt"}


def test_copies_the_pins_then_the_package_as_one_folder():
    copies = [(copy.sources, copy.destination) for copy in parse_dockerfile(DOCKERFILE).copies]
    assert copies == [
        (("requirements.txt",), TASK_ROOT / "requirements.txt"),
        ((".",), TASK_ROOT / image_package()),
    ]


def test_installs_exactly_the_locked_requirements():
    (install,) = [run for run in arguments_of("RUN") if "pip install" in run]
    assert "--require-hashes" in install and "--no-cache-dir" in install
    assert "-r requirements.txt" in install


def imports(path: Path) -> list[ast.Import | ast.ImportFrom]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


def absolute_imports(path: Path) -> set[str]:
    """The modules ``path`` imports by absolute name (relative imports are the package's own)."""
    names: set[str] = set()
    for node in imports(path):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_package_modules_import_only_the_standard_library_numpy_and_each_other_relatively():
    """Relative imports only, inside the package: it works under its repository name (serving.app) and
    its image name (app) alike."""
    allowed = set(sys.stdlib_module_names) | RUNTIME_PACKAGES
    for path in package_modules():
        for name in absolute_imports(path):
            assert name.split(".")[0] in allowed, f"{path.relative_to(APP_DIR)} imports {name}"


def test_the_contracts_import_nothing():
    """Training and the CDK app read them: importing one must cost nothing and load no serving code."""
    for path in (APP_DIR / "contracts").glob("*.py"):
        assert not imports(path), f"{path.name} imports something"


# The training modules that run serving code: the baseline, measured with serving's loader, and the
# exporter, which names the model's version with the loader's own function (one definition).
SERVED_BY_TRAINING = {
    "training/baseline.py": "serving.app.artifact.loader",
    "training/export.py": "serving.app.artifact.manifest",
}


def test_data_flows_one_way_training_to_the_app_and_no_product_code_uses_a_tool():
    """training writes the artifact, serving/app reads it; the tools beside them (the local runtime, the
    load test, the demo, the benchmark) use the product, never the other way round. Training and the CDK
    app share facts with serving through its contracts only, but for the model-quality baseline, which
    training measures on the model as serving loads and runs it (one definition of each figure), and the
    model's version, which the exporter computes as the loader checks it."""
    tools = {"local_runtime", "loadtest", "demo", "bench"}
    for path in package_modules():
        assert not {name.split(".")[0] for name in absolute_imports(path)} & (tools | {"training"}), path
    others = [*(REPO_ROOT / "training").rglob("*.py"), *(REPO_ROOT / "infrastructure").rglob("*.py")]
    for path in others:
        if {"tests", "node_modules", "cdk.out"} & set(path.parts):
            continue
        for name in absolute_imports(path):
            assert name.split(".")[0] not in tools, f"{path} imports {name}"
            if name.split(".")[0] == "serving":
                allowed = SERVED_BY_TRAINING.get(
                    path.relative_to(REPO_ROOT).as_posix(), "serving.app.contracts"
                )
                assert name.startswith(("serving.app.contracts", allowed)), f"{path} imports {name}"


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
    code = (
        "import sys; from serving.app import handler; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    env = {**os.environ, "MODEL_DIR": str(bbc_model_dir), "AWS_EMF_ENVIRONMENT": "Local"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return result.stdout.splitlines()[-1]


def test_importing_the_handler_loads_no_training_library(fresh_import):
    loaded = set(fresh_import.split())
    assert "numpy" in loaded and "serving" in loaded
    assert not loaded & {"sklearn", "scipy", "joblib", "pandas", "training", "yaml"}


def import_levels(importtime_log: str) -> dict[str, int]:
    """Each module's nesting level in ``python -X importtime``'s log: 0 for what the command imported,
    1 for what that imported directly, and so on (two spaces of indent per level)."""
    levels = {}
    for line in importtime_log.splitlines():
        if line.startswith("import time:") and "|" in line and not line.endswith("package"):
            name = line.rsplit("|", 1)[1]
            levels[name.strip()] = (len(name) - len(name.lstrip()) - 1) // 2
    return levels


def test_the_handler_imports_numpy_itself_from_its_shallowest_frame(bbc_model_dir):
    """numpy reached through the package's chain of imports ran its own at a depth where CPython 3.12
    maps and unmaps a frame-stack chunk at every call (handler.py says why): the handler imports it
    first, directly."""
    env = {**os.environ, "MODEL_DIR": str(bbc_model_dir), "AWS_EMF_ENVIRONMENT": "Local"}
    command = [sys.executable, "-X", "importtime", "-c", "import serving.app.handler"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    levels = import_levels(result.stderr)
    assert levels["serving.app.handler"] == 0
    assert levels["numpy"] == 1


def test_a_broken_model_stops_the_init_with_instructions(tmp_path):
    env = {**os.environ, "MODEL_DIR": str(tmp_path), "AWS_EMF_ENVIRONMENT": "Local"}
    code = "from serving.app import handler"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "ModelLoadError" in result.stderr and "make train" in result.stderr
    logged = [line for line in result.stdout.splitlines() if '"level": "ERROR"' in line]
    assert len(logged) == 1 and "model.json" in logged[0] and "dvc pull" in logged[0]
