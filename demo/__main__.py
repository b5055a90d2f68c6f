"""`python -m demo` (`make demo`): the whole loop on one machine — train if needed, serve, ask, stop.

It drives the same pieces a user would (the DVC pipeline, the local Lambda runtime, HTTP), so a
passing demo means the product works end to end here, not that a shortcut does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import warnings

from local_runtime.child_service import ServiceFailed, child_service
from local_runtime.client import request_json
from local_runtime.logs import ServiceLog
from local_runtime.paths import APP_DIR, REPO_ROOT
from serving.app.contracts.api import CLASSIFY, MODEL

MODEL_METADATA = APP_DIR / "data" / "model.json"
DEMO_REPORTS = REPO_ROOT / ".demo" / "reports"

SINGLE_TEXTS = [
    "The Seattle Seahawks crushed the Cleveland Browns on Thursday 52-7",
    "NASA launched a new probe to study the sun",
]
BATCH_TEXTS = [
    "The central bank raised interest rates to fight inflation",
    "My new computer's graphics card crashes the software whenever I open a window",
    "The election campaign focused on health care and taxes",
]


def main() -> int:
    args = _parse_args()
    _ensure_model()
    log = ServiceLog()
    print(f"\nStarting the local API Gateway + Lambda runtime on port {args.port} ...")
    try:
        with child_service(port=args.port, log=log) as base_url:
            print(*(f"  [serve] {line}" for line in log.lines), sep="\n")
            failures = _ask(base_url)
    except (ServiceFailed, OSError) as error:  # did not start or stop cleanly, or stopped answering
        print(f"The local service failed: {error}", file=sys.stderr)
        print("Last lines of the local service's log:", log.tail(20), sep="\n", file=sys.stderr)
        return 1
    print("Local service stopped.")
    if failures:
        print("Last lines of the local service's log:", log.tail(20), sep="\n")
        print(f"\nDemo finished with {failures} unexpected answer(s).")
        return 1
    print("\nDemo finished: the service answered every request as expected.")
    return 0


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--port", type=int, default=3000)
    return parser.parse_args()


def _ensure_model() -> None:
    """Train only when there is no model; prefer the configured pipeline, fall back to BBC News offline."""
    if MODEL_METADATA.exists():
        print(f"Model found: {MODEL_METADATA.relative_to(REPO_ROOT)} (run `make train` to retrain).")
        return
    from training.params import load_params
    from training.sources import bbc_news, twenty_newsgroups

    source = load_params()["data"]["source"]
    if source != twenty_newsgroups.NAME or _newsgroups_loadable():
        print(f"No model yet: training on {source!r} through the DVC pipeline (dvc repro).")
        _run(["dvc", "repro"])
        return
    print(
        "NOTICE: no model yet and 20 Newsgroups cannot be loaded here (no cache in SCIKIT_LEARN_DATA and\n"
        "        the download failed). Training a demo model on the BBC News corpus instead; the DVC\n"
        "        pipeline and params.yaml are left untouched, so `make train` still means 20 Newsgroups."
    )
    _run([sys.executable, "-m", "training", "--data", bbc_news.NAME, "--reports-dir", str(DEMO_REPORTS)])


def _newsgroups_loadable() -> bool:
    """True when 20 Newsgroups is cached or can be downloaded now (a closed network fails within seconds)."""
    from training.data_files import DataError
    from training.sources.twenty_newsgroups import load_twenty_newsgroups, twenty_newsgroups_available

    if twenty_newsgroups_available():
        return True
    print("20 Newsgroups is not cached: trying to download it ...")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn's retry notice; the outcome is printed below
            load_twenty_newsgroups()
    except DataError:
        return False
    return True


def _run(command: list[str]) -> None:
    result = subprocess.run(command, cwd=REPO_ROOT, check=False)
    if result.returncode != 0:
        sys.exit(f"Training failed ({' '.join(command)} exited {result.returncode}).")


def _ask(base_url: str) -> int:
    """Sends the demo requests, prints each answer, and counts the answers that were not as expected."""
    failures = 0
    status, model = request_json(base_url, "GET", MODEL)
    failures += _expect(status, 200)
    print(f"\nGET {MODEL} -> {status}")
    print(
        f"  version {model.get('version')}, {len(model.get('classes', []))} classes, "
        f"trained on {model.get('data', {}).get('source')}, "
        f"test accuracy {model.get('metrics', {}).get('accuracy')}"
    )
    for text in SINGLE_TEXTS:
        status, answer = request_json(base_url, "POST", CLASSIFY, {"text": text})
        failures += _expect(status, 200)
        print(f"\nPOST {CLASSIFY} {json.dumps({'text': text})}\n  -> {status} {_describe(answer)}")
    status, answer = request_json(base_url, "POST", CLASSIFY, {"texts": BATCH_TEXTS})
    failures += _expect(status, 200)
    print(f"\nPOST {CLASSIFY} with a batch of {len(BATCH_TEXTS)} texts -> {status}")
    for text, prediction in zip(BATCH_TEXTS, answer.get("predictions", []), strict=False):
        print(f"  {text[:60]!r:64} -> {_describe(prediction)}")
    status, answer = request_json(base_url, "POST", CLASSIFY, raw_body=b"{")
    failures += _expect(status, 400)
    print(f"\nPOST {CLASSIFY} with a malformed body '{{' -> {status} {json.dumps(answer)}")
    return failures


def _describe(prediction: dict) -> str:
    scores = ", ".join(f"{label} {score:.2f}" for label, score in prediction.get("scores", {}).items())
    return f"{prediction.get('label')}  (top scores: {scores})"


def _expect(status: int, expected: int) -> int:
    if status == expected:
        return 0
    print(f"  UNEXPECTED: status {status}, expected {expected}")
    return 1


if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    sys.exit(main())
