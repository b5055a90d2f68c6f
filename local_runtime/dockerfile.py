"""Reads what a Lambda container image is made of from its Dockerfile: files, environment, handler.

The local runtime lays the task root out exactly as `docker build` would, so a file the image forgets to
COPY is missing here too. Only the instructions that shape the task root and the function's process are
interpreted (COPY, ADD of local files, ENV, ARG, WORKDIR, CMD); the rest (FROM, RUN pip install, ...) is
what the locked virtual environment already provides.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# What the AWS Lambda base images define before the Dockerfile's own instructions run.
TASK_ROOT = PurePosixPath("/var/task")
BASE_IMAGE_ENV = {"LAMBDA_TASK_ROOT": str(TASK_ROOT), "LAMBDA_RUNTIME_DIR": "/var/runtime"}

_VARIABLE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


class DockerfileError(ValueError):
    """The Dockerfile uses something the local runtime cannot reproduce faithfully."""


@dataclass(frozen=True)
class Copy:
    """One COPY: context-relative source patterns and the destination inside the image.

    `destination_is_directory` is what the instruction itself says (a trailing slash or several
    sources); a destination that already exists as a directory in the image is one too, as in Docker.
    """

    sources: tuple[str, ...]
    destination: PurePosixPath
    destination_is_directory: bool


@dataclass
class ImageSpec:
    """The parts of an image that matter to the function: its files, environment and handler."""

    copies: list[Copy] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    handler: str | None = None


def parse_dockerfile(path: Path) -> ImageSpec:
    """Returns the image's copies, ENV and CMD handler; raises DockerfileError with what to fix."""
    if not path.is_file():
        raise DockerfileError(f"no Dockerfile at {path}: pass the image's build context with --context DIR")
    spec = ImageSpec()
    variables = dict(BASE_IMAGE_ENV)
    workdir = TASK_ROOT
    for number, instruction, arguments in instructions(path.read_text(encoding="utf-8")):
        where = f"{path}:{number}"
        if instruction in ("COPY", "ADD"):
            spec.copies.append(_parse_copy(arguments, variables, workdir, where))
        elif instruction == "ENV":
            assigned = _parse_assignments(_substitute(arguments, variables), where)
            variables.update(assigned)
            spec.env.update(assigned)
        elif instruction == "ARG":
            name, _, default = arguments.strip().partition("=")
            variables.setdefault(name.strip(), _substitute(default.strip().strip("\"'"), variables))
        elif instruction == "WORKDIR":
            workdir = workdir / _substitute(arguments.strip(), variables)
        elif instruction == "CMD":
            spec.handler = _parse_cmd(arguments, where)
    if spec.handler is None:
        raise DockerfileError(f'{path}: no CMD naming the handler (e.g. CMD ["handler.lambda_handler"])')
    return spec


def instructions(text: str) -> list[tuple[int, str, str]]:
    """Splits a Dockerfile into (line number, INSTRUCTION, arguments), joining backslash continuations.

    The one Dockerfile reader: `parse_dockerfile` and the image's packaging tests both read through it.
    """
    instructions = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, arguments = pending.partition(" ")
        instructions.append((start, keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def _substitute(text: str, variables: dict[str, str]) -> str:
    """Expands $NAME and ${NAME} like Docker does (an unknown variable becomes empty)."""
    return _VARIABLE.sub(lambda match: variables.get(match["braced"] or match["bare"], ""), text)


def _parse_copy(arguments: str, variables: dict[str, str], workdir: PurePosixPath, where: str) -> Copy:
    words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
    flags = [word for word in words if word.startswith("--")]
    if any(flag.startswith("--from") for flag in flags):
        raise DockerfileError(
            f"{where}: COPY --from (multi-stage builds) is not supported by the local runtime"
        )
    paths = [_substitute(word, variables) for word in words if not word.startswith("--")]
    if len(paths) < 2:
        raise DockerfileError(f"{where}: COPY needs at least one source and a destination")
    if any(re.match(r"^[a-z]+://", source) for source in paths[:-1]):
        raise DockerfileError(f"{where}: ADD of a URL is not supported by the local runtime")
    destination = workdir / paths[-1]
    if destination != TASK_ROOT and TASK_ROOT not in destination.parents:
        raise DockerfileError(
            f"{where}: the local runtime only lays out {TASK_ROOT}; {destination} is outside the task root"
        )
    return Copy(tuple(paths[:-1]), destination, paths[-1].endswith("/") or len(paths) > 2)


def _parse_assignments(arguments: str, where: str) -> dict[str, str]:
    words = shlex.split(arguments)
    if words and "=" not in words[0]:
        if len(words) < 2:
            raise DockerfileError(f"{where}: ENV needs a value")
        return {words[0]: " ".join(words[1:])}
    assignments = {}
    for word in words:
        name, separator, value = word.partition("=")
        if not separator:
            raise DockerfileError(f"{where}: cannot read ENV assignment {word!r}")
        assignments[name] = value
    return assignments


def _parse_cmd(arguments: str, where: str) -> str:
    try:
        words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
    except json.JSONDecodeError as error:
        raise DockerfileError(f"{where}: CMD is not a valid JSON array: {error}") from error
    if len(words) != 1 or "." not in words[0]:
        raise DockerfileError(f"{where}: CMD must name one handler as module.function, got {words!r}")
    return words[0]
