"""Capture lines in the contract's format (serving.app.contracts.capture), written the way `make serve`
and Firehose lay them out, for the monitoring tests."""

from __future__ import annotations

import json
from pathlib import Path

from serving.app.contracts import capture


def capture_line(
    text: str,
    label: str = "sci.space",
    probability: float = 0.9,
    margin: float = 0.8,
    timestamp: str = "2026-12-07T10:00:00.000Z",
    model_version: str = "01c87c85af71",
) -> str:
    record = {
        "timestamp": timestamp,
        "level": "INFO",
        "message": capture.MESSAGE,
        "captureVersion": capture.FORMAT_VERSION,
        "requestId": "req-1",
        "modelVersion": model_version,
        "text": text,
        "label": label,
        "scores": {label: probability},
        "probability": probability,
        "margin": margin,
        "coverage": 0.75,
    }
    assert set(capture.FIELDS) <= set(record)
    return json.dumps(record)


def write_day(folder: Path, year: int, month: int, day: int, lines: list[str], name: str = "a.jsonl") -> Path:
    """One file of capture lines in the day's folder under ``folder``."""
    path = folder / capture.partition(year, month, day) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
