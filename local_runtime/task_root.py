"""Lays out a Lambda task root from a build context the way `docker build` copies files into /var/task.

Running the function from a fresh copy instead of the source tree is the point: a module or data file
the Dockerfile does not COPY (or that .dockerignore drops) is missing locally as it would be in the image.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from local_runtime.dockerfile import TASK_ROOT, Copy, ImageSpec
from serving.app.contracts.artifact import MODEL_DIRECTORY


class BuildContextError(ValueError):
    """A COPY source is missing or outside the build context, as `docker build` would also refuse."""


def build_task_root(
    context: Path, image: ImageSpec, destination: Path, model_dir: Path | None = None
) -> Path:
    """Copies the image's files from `context` into `destination`.

    `model_dir` stands in for the context's model folder (data/): the task root is what the image would
    hold had the context held that model, wherever the Dockerfile puts it. The context itself need not
    hold a model at all.
    """
    if model_dir is None:
        _copy_image_files(context, image, destination)
        return destination
    if not model_dir.is_dir():
        raise BuildContextError(f"--model-dir {model_dir} is not a directory")
    with tempfile.TemporaryDirectory(prefix="build-context-") as scratch:
        overlay = Path(scratch) / "context"
        shutil.copytree(context, overlay, symlinks=True)
        shutil.rmtree(overlay / MODEL_DIRECTORY, ignore_errors=True)
        shutil.copytree(model_dir, overlay / MODEL_DIRECTORY)
        _copy_image_files(overlay, image, destination)
    return destination


def _copy_image_files(context: Path, image: ImageSpec, destination: Path) -> None:
    ignore = DockerIgnore.load(context)
    destination.mkdir(parents=True, exist_ok=True)
    for copy in image.copies:
        _apply_copy(context.resolve(), copy, destination, ignore)


def _apply_copy(context: Path, copy: Copy, task_root: Path, ignore: DockerIgnore) -> None:
    target = task_root / copy.destination.relative_to(TASK_ROOT)
    for source in _expand_sources(context, copy.sources, ignore):
        if source.is_dir():
            _copy_tree(source, context, target, ignore)
        elif copy.destination_is_directory or target.is_dir():
            _copy_file(source, target / source.name)
        else:
            _copy_file(source, target)


def _expand_sources(context: Path, patterns: tuple[str, ...], ignore: DockerIgnore) -> list[Path]:
    sources = []
    for pattern in patterns:
        relative = os.path.normpath(pattern).lstrip("/")
        matches = sorted(context.glob(relative)) if relative not in ("", ".") else [context]
        matches = [path for path in matches if not ignore.excludes(_relative(path, context))]
        if not matches:
            raise BuildContextError(f"COPY source {pattern!r} not found in build context {context}")
        sources.extend(matches)
    return sources


def _relative(path: Path, context: Path) -> str:
    resolved = path.resolve()
    if resolved != context and context not in resolved.parents:
        raise BuildContextError(f"COPY source {path} is outside the build context {context}")
    return resolved.relative_to(context).as_posix()


def _copy_tree(source: Path, context: Path, target: Path, ignore: DockerIgnore) -> None:
    """Copies a directory's contents (not the directory itself), as COPY does."""
    target.mkdir(parents=True, exist_ok=True)
    for directory, _subdirectories, files in os.walk(source):
        for name in files:
            path = Path(directory, name)
            if not ignore.excludes(_relative(path, context)):
                _copy_file(path, target / path.relative_to(source))


def _copy_file(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


class DockerIgnore:
    """The build context's .dockerignore: later patterns win, `!` re-includes, a parent match counts."""

    def __init__(self, patterns: list[tuple[bool, re.Pattern[str]]]) -> None:
        self._patterns = patterns

    @classmethod
    def load(cls, context: Path) -> DockerIgnore:
        path = context / ".dockerignore"
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        patterns = []
        for line in (line.strip() for line in lines):
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
            patterns.append((negated, re.compile(_translate(pattern))))
        return cls(patterns)

    def excludes(self, relative_path: str) -> bool:
        if relative_path in ("", "."):
            return False
        parts = relative_path.split("/")
        candidates = ["/".join(parts[: index + 1]) for index in range(len(parts))]
        excluded = False
        for negated, pattern in self._patterns:
            if any(pattern.fullmatch(candidate) for candidate in candidates):
                excluded = not negated
        return excluded


def _translate(pattern: str) -> str:
    """Go filepath.Match syntax plus `**` (Docker's flavour) as a regular expression."""
    regex, index = "", 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            regex, index = regex + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            regex, index = regex + ".*", index + 2
        elif char == "*":
            regex, index = regex + "[^/]*", index + 1
        elif char == "?":
            regex, index = regex + "[^/]", index + 1
        elif char == "[":
            end = pattern.find("]", index + 1)
            if end < 0:
                regex, index = regex + re.escape(char), index + 1
            else:
                body = pattern[index + 1 : end].replace("\\", "\\\\")
                regex, index = regex + "[" + ("^" + body[1:] if body.startswith("^") else body) + "]", end + 1
        else:
            regex, index = regex + re.escape(char), index + 1
    return regex
