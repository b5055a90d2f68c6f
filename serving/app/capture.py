"""Opt-in capture: a sampled share of the classified texts, each written as its own JSON log line.

Off unless ``$CAPTURE_RATE`` (``contracts.capture.RATE_ENV``) is above 0. The rate is read once, at init;
a value that is not a number in [0, 1] stops the init (``CaptureSettingError``), as a broken model does,
rather than capturing more or less than the stage was configured for.

With the rate above 0, each text of an answered POST /v1/classify is captured with that probability,
drawn per text: one line on stdout holding ``timestamp``, ``level``, ``message`` (``contracts.capture.
MESSAGE``) and exactly ``contracts.capture.FIELDS``. Nothing leaves the process here: in AWS the function's
log group carries the line and a subscription filter forwards it to the capture bucket; locally the local
runtime files it. A rate of 0 builds nothing (``from_environment`` returns None), so it costs no work per
request; without ``$CAPTURE_RATE`` the handler does not even import this module. These lines are the one
place request texts are written (``telemetry`` never writes them).
"""

import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .contracts import capture as contract

if TYPE_CHECKING:
    from .families.protocol import Prediction


# The longest capture line written, in bytes (lines are ASCII: JSON escapes the rest). A log event is one
# line, and CloudWatch Logs has capped an event at 256 KB (its API reference now says 1 MB); a line past
# the lower cap could reach the bucket cut, as JSON no reader accepts, so such a text is not captured.
MAX_LINE_BYTES = 256 * 1024


class CaptureSettingError(ValueError):
    """``$CAPTURE_RATE`` holds something other than a number in [0, 1]; the message names it."""


def read_rate(environ: Mapping[str, str]) -> float:
    """The capture rate the environment sets: 0 when unset or empty, else a number in [0, 1]."""
    raw = environ.get(contract.RATE_ENV, "").strip()
    if not raw:
        return 0.0
    try:
        rate = float(raw)
    except ValueError:
        rate = float("nan")
    if not 0.0 <= rate <= 1.0:  # also refuses nan, inf and what is not a number at all
        raise CaptureSettingError(
            f"{contract.RATE_ENV}={raw!r}: the capture rate must be a number from 0 (off) to 1 (every "
            "text), e.g. 0.01 to capture one text in a hundred"
        )
    return rate


class Sampler:
    """Captures each classified text with probability ``rate`` (0 < rate <= 1), writing its line with
    ``write``."""

    def __init__(self, rate: float, write: Callable[[str], None]) -> None:
        import random  # only when capture is on: a rate of 0 never pays for the import

        self.rate = rate
        self._draw = random.Random().random  # seeded from the OS: no two environments draw alike
        self._write = write

    def capture(
        self,
        request_id: str | None,
        model_version: str,
        texts: list[str],
        predictions: "list[Prediction]",
    ) -> int:
        """Writes the capture lines of the sampled texts of one answered request; returns how many.

        Not captured: a prediction without quality figures (a family that measures none), whose record
        would lack the fields every reader needs; and a text whose line would be longer than
        ``MAX_LINE_BYTES``, which could reach the bucket cut.
        """
        captured = 0
        for text, prediction in zip(texts, predictions, strict=True):
            if prediction.quality is not None and self._draw() < self.rate:
                line = record_line(request_id, model_version, text, prediction)
                if len(line) <= MAX_LINE_BYTES:
                    self._write(line)
                    captured += 1
        return captured


def record_line(request_id: str | None, model_version: str, text: str, prediction: "Prediction") -> str:
    """One capture record as a JSON line (ASCII escapes: a lone surrogate in a text stays writable)."""
    assert prediction.quality is not None
    probability, margin, coverage = prediction.quality
    entry = {
        "timestamp": datetime.now(UTC).isoformat(),
        "level": "INFO",
        "message": contract.MESSAGE,
        "captureVersion": contract.FORMAT_VERSION,
        "requestId": request_id,
        "modelVersion": model_version,
        "text": text,
        "label": prediction.label,
        "scores": dict(prediction.scores),
        "probability": probability,
        "margin": margin,
        "coverage": coverage,
    }
    return json.dumps(entry)


def from_environment(
    write: Callable[[str], None], environ: Mapping[str, str] = os.environ
) -> "Sampler | None":
    """The sampler ``$CAPTURE_RATE`` asks for, or None when capture is off (rate 0 or unset)."""
    rate = read_rate(environ)
    return Sampler(rate, write) if rate > 0 else None
