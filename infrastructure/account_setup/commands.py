"""Running `gh` and `aws`: one function, so that the setup's decisions can be tested with a fake."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any


class SetupError(Exception):
    """Something `make bootstrap` cannot decide or do by itself; the message says what to do."""


class CommandFailed(Exception):
    """A command exited non-zero (its stderr is the message) or is not installed (`missing`)."""

    def __init__(self, message: str, *, missing: bool = False):
        super().__init__(message)
        self.missing = missing


Run = Callable[[list[str]], str]


def run(command: list[str]) -> str:
    """The command's stdout; CommandFailed when it cannot run or exits non-zero."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except FileNotFoundError as error:
        raise CommandFailed(f"{command[0]} is not installed", missing=True) from error
    if result.returncode != 0:
        raise CommandFailed(result.stderr.strip() or f"{' '.join(command)} exited {result.returncode}")
    return result.stdout


def run_json(run_command: Run, command: list[str]) -> Any:
    """The command's stdout, parsed as JSON."""
    return json.loads(run_command(command) or "null")
