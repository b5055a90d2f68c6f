"""Where `make drift` and `make relabel` read captures from: the local folder, or a deployed stage's bucket.

Locally, the folder `make serve` writes captures to (``$CAPTURE_DIR``, by default
contracts.capture.DEFAULT_LOCAL_DIR). For a stage, the capture bucket its stack names in its outputs
(``ops.stage.capture_bucket``: the deploy's outputs file, else CloudFormation), read with the caller's AWS
credentials (read-only access suffices). Both commands take the same options for it (``add_arguments``)
over the same window of days (``monitoring.window``).
"""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path
from typing import Any

from monitoring.captures import CapturedText, CaptureError, read_bucket, read_local
from monitoring.window import DEFAULT_SINCE, Window, parse_window
from serving.app.contracts import capture


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose the captures: a folder or a stage, and the window of days."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--captures",
        type=Path,
        help=f"local capture folder (default ${capture.LOCAL_DIR_ENV}, else {capture.DEFAULT_LOCAL_DIR})",
    )
    source.add_argument("--stage", help="read the deployed stage's capture bucket (AWS credentials)")
    parser.add_argument("--since", help=f"the last N days, today included (default {DEFAULT_SINCE})")
    parser.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (UTC; instead of --since)")
    parser.add_argument("--to", dest="last", help="last day, included, YYYY-MM-DD (UTC; default today)")


def window(args: argparse.Namespace, now: date | None = None) -> Window:
    """The window ``add_arguments``' options name, up to ``now`` (today, UTC, by default)."""
    return parse_window(args.since, args.first, args.last, now)


def default_folder() -> Path:
    """The folder `make serve` writes captures to: $CAPTURE_DIR, else the contract's default."""
    return Path(os.environ.get(capture.LOCAL_DIR_ENV) or capture.DEFAULT_LOCAL_DIR)


def read_captures(
    window: Window, folder: Path | None = None, stage: str | None = None, session: Any = None
) -> tuple[list[CapturedText], str]:
    """The window's captures from ``stage``'s bucket when a stage is named, else from ``folder``; and
    where they were read from, for messages. A missing folder is an error that says how to fill it."""
    if stage is None:
        folder = folder or default_folder()
        if not folder.is_dir():
            raise CaptureError(
                f"no captures folder {folder}: serve with capture on (make serve CAPTURE_RATE=1 "
                f"{capture.LOCAL_DIR_ENV}={folder}) and send it traffic, or name the folder with CAPTURES=..."
            )
        return read_local(folder, window.first, window.last), f"folder {folder}"
    from ops.stage import capture_bucket  # raises ops.stage.StageError for a stage without captures

    session = _session(session)
    bucket = capture_bucket(stage, session.client("cloudformation"))
    texts = read_bucket(session.client("s3"), bucket, window.first, window.last)
    return texts, f"stage {stage} (s3://{bucket})"


def _session(session: Any) -> Any:
    if session is not None:
        return session
    import boto3  # only for a stage: reading a local folder needs no AWS library

    return boto3.Session()
