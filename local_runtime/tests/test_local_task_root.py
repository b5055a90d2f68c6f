"""The task root is laid out as `docker build` would copy it, and only with what the image contains."""

from pathlib import Path

import pytest

from local_runtime.dockerfile import parse_dockerfile
from local_runtime.task_root import BuildContextError, build_task_root


def _context(tmp_path: Path, dockerfile: str, files: dict[str, str]) -> Path:
    context = tmp_path / "context"
    for name, text in {**files, "Dockerfile": dockerfile}.items():
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        (context / name).write_text(text, encoding="utf-8")
    return context


def _files(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def _build(context: Path, destination: Path, model_dir: Path | None = None) -> set[str]:
    build_task_root(context, parse_dockerfile(context / "Dockerfile"), destination, model_dir)
    return _files(destination)


def test_copies_files_directory_contents_and_renames_like_docker(tmp_path: Path) -> None:
    context = _context(
        tmp_path,
        "COPY handler.py lib.py ${LAMBDA_TASK_ROOT}/\n"
        "COPY data ${LAMBDA_TASK_ROOT}/data\n"
        "COPY settings.txt ${LAMBDA_TASK_ROOT}/config.txt\n"
        "COPY extra/*.py ${LAMBDA_TASK_ROOT}\n"
        'CMD ["handler.lambda_handler"]\n',
        {
            "handler.py": "h",
            "lib.py": "l",
            "data/model.json": "{}",
            "data/nested/part.bin": "b",
            "settings.txt": "s",
            "extra/plugin.py": "p",
            "extra/readme.md": "r",
            "tests/test_handler.py": "never copied",
        },
    )
    task_root = tmp_path / "task"
    assert _build(context, task_root) == {
        "handler.py",
        "lib.py",
        "data/model.json",
        "data/nested/part.bin",
        "config.txt",
        "plugin.py",
    }
    assert (task_root / "config.txt").read_text() == "s"


def test_dockerignore_excludes_and_reincludes(tmp_path: Path) -> None:
    context = _context(
        tmp_path,
        'COPY . ${LAMBDA_TASK_ROOT}/\nCMD ["handler.lambda_handler"]\n',
        {
            ".dockerignore": "**/__pycache__\ntests\n*.md\n!KEEP.md\nDockerfile\n",
            "handler.py": "h",
            "__pycache__/handler.cpython-312.pyc": "c",
            "pkg/__pycache__/x.pyc": "c",
            "pkg/mod.py": "m",
            "tests/test_x.py": "t",
            "NOTES.md": "n",
            "KEEP.md": "k",
        },
    )
    assert _build(context, tmp_path / "task") == {".dockerignore", "handler.py", "pkg/mod.py", "KEEP.md"}


def test_model_dir_replaces_data(tmp_path: Path) -> None:
    context = _context(
        tmp_path,
        'COPY handler.py ${LAMBDA_TASK_ROOT}/\nCOPY data/ ${LAMBDA_TASK_ROOT}/data/\nCMD ["handler.f"]\n',
        {"handler.py": "h", "data/model.json": "old", "data/stale.npz": "old"},
    )
    model_dir = tmp_path / "other-model"
    model_dir.mkdir()
    (model_dir / "model.json").write_text("new")
    task_root = tmp_path / "task"
    assert _build(context, task_root, model_dir) == {"handler.py", "data/model.json"}
    assert (task_root / "data" / "model.json").read_text() == "new"


def test_model_dir_serves_a_context_that_has_no_model_yet(tmp_path: Path) -> None:
    """A fresh clone has no trained model in the build context; --model-dir must be enough."""
    context = _context(
        tmp_path,
        "COPY handler.py ${LAMBDA_TASK_ROOT}/\nCOPY data/model.npz ${LAMBDA_TASK_ROOT}/data/model.npz\n"
        'CMD ["handler.f"]\n',
        {"handler.py": "h"},
    )
    with pytest.raises(BuildContextError):
        _build(context, tmp_path / "without-model-dir")
    model_dir = tmp_path / "trained"
    model_dir.mkdir()
    (model_dir / "model.npz").write_text("weights")
    assert _build(context, tmp_path / "task", model_dir) == {"handler.py", "data/model.npz"}


@pytest.mark.parametrize("source", ["missing.py", "../outside.py"])
def test_missing_or_outside_sources_fail_like_docker_build(tmp_path: Path, source: str) -> None:
    (tmp_path / "outside.py").write_text("x")
    context = _context(tmp_path, f'COPY {source} ${{LAMBDA_TASK_ROOT}}/\nCMD ["handler.f"]\n', {})
    with pytest.raises(BuildContextError):
        _build(context, tmp_path / "task")
