"""Opt-in capture of classified texts: the record the handler writes, and where it is kept.

Off by default. With ``CAPTURE_RATE`` above 0 (per stage: ``capture_rate`` in the CDK settings), the
handler writes, for that share of the texts it classifies (drawn per text), one JSON log line whose
``message`` is ``MESSAGE`` and whose other keys are ``FIELDS``. It makes no network call: in AWS a
CloudWatch Logs subscription filter (``FILTER_PATTERN``) sends those lines through Kinesis Data Firehose
to the stage's capture bucket, under ``FIREHOSE_PREFIX``; locally ``make serve`` with ``CAPTURE_RATE``
writes the same lines under ``$CAPTURE_DIR`` in the same date layout (``partition``). ``make drift`` and
``make relabel`` read both (``monitoring.captures``). Imports nothing.
"""

RATE_ENV = "CAPTURE_RATE"
# Local only: the folder `make serve` keeps captured lines in (the bucket's stand-in), relative to the
# working directory unless absolute.
LOCAL_DIR_ENV = "CAPTURE_DIR"
DEFAULT_LOCAL_DIR = "captures"

# The log line's `message`: what the subscription filter selects on, and what readers check.
MESSAGE = "capture"
# CloudWatch Logs filter syntax for JSON log events (docs: "Using filter patterns to match terms in JSON
# log events").
FILTER_PATTERN = f'{{ $.message = "{MESSAGE}" }}'
# Bumped when a field changes meaning or goes; readers refuse versions they do not know.
FORMAT_VERSION = 1
# A capture line's keys besides `timestamp` (ISO 8601, UTC), `level` and `message`:
#   captureVersion  FORMAT_VERSION
#   requestId       Lambda's request id (one request may capture several texts of a batch)
#   modelVersion    the model that answered
#   text            the text as received
#   label           the predicted label
#   scores          the answer's top classes, {label: probability}, most probable first
#   probability, margin, coverage   the text's model-quality figures (families.protocol.Quality)
FIELDS = (
    "captureVersion",
    "requestId",
    "modelVersion",
    "text",
    "label",
    "scores",
    "probability",
    "margin",
    "coverage",
)

# Object keys and local files: KEY_PREFIX, then the record's UTC date as `partition` formats it. Firehose
# writes the same layout from its arrival timestamp (custom prefixes with `!{timestamp:...}`).
KEY_PREFIX = "captures/"
_FIREHOSE_DATE = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
FIREHOSE_PREFIX = KEY_PREFIX + _FIREHOSE_DATE
# Where Firehose puts what it could not deliver or process (a separate prefix, never read as captures).
FIREHOSE_ERROR_PREFIX = "capture-errors/!{firehose:error-output-type}/" + _FIREHOSE_DATE


def partition(year: int, month: int, day: int) -> str:
    """The folder (key prefix) of one UTC day's captures, e.g. ``captures/year=2026/month=12/day=07/``."""
    return f"{KEY_PREFIX}year={year:04d}/month={month:02d}/day={day:02d}/"
