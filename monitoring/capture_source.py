"""Where `make drift` and `make relabel` read captures from: the local folder, or a deployed stage's bucket.

Locally, the folder `make serve` writes captures to (``$CAPTURE_DIR``, by default
contracts.capture.DEFAULT_LOCAL_DIR). For a stage, the capture bucket its stack names in the
``BUCKET_OUTPUT`` output, found the way every ops command finds a stage (ops.stage: the deploy's outputs
file, else CloudFormation), read with the caller's AWS credentials (read-only access suffices).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from monitoring.captures import CapturedText, CaptureError, read_bucket, read_local
from monitoring.window import Window
from serving.app.contracts import capture

# The stack output that names a stage's capture bucket.
BUCKET_OUTPUT = "CaptureBucketName"


def default_folder() -> Path:
    """The folder `make serve` writes captures to: $CAPTURE_DIR, else the contract's default."""
    return Path(os.environ.get(capture.LOCAL_DIR_ENV) or capture.DEFAULT_LOCAL_DIR)


def read_captures(
    window: Window, folder: Path | None = None, stage: str | None = None, session: Any = None
) -> tuple[list[CapturedText], str]:
    """The window's captures from ``stage``'s bucket when a stage is named, else from ``folder``; and
    where they were read from, for messages."""
    if stage is None:
        folder = folder or default_folder()
        return read_local(folder, window.first, window.last), str(folder)
    bucket = stage_bucket(stage, session)
    s3 = _session(session).client("s3")
    return read_bucket(s3, bucket, window.first, window.last), f"s3://{bucket}"


def stage_bucket(stage: str, session: Any = None) -> str:
    """The stage's capture bucket, from its stack's outputs."""
    from ops.stage import stack_name, stage_outputs

    outputs = stage_outputs(stage, _session(session).client("cloudformation"))
    if BUCKET_OUTPUT not in outputs:
        raise CaptureError(
            f"stack {stack_name(stage)} has no {BUCKET_OUTPUT} output: deploy a version with capture "
            f"(capture_rate above 0 in the stage's settings), or read a local folder with CAPTURES=..."
        )
    return outputs[BUCKET_OUTPUT]


def _session(session: Any) -> Any:
    if session is not None:
        return session
    import boto3  # only for a stage: reading a local folder needs no AWS library

    return boto3.Session()
