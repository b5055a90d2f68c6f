"""A damaged model stops the function at init, says what is wrong, and clients get API Gateway's 502.

The real handler loads the model at import (Lambda's init). Each broken artifact must fail there with
a message that names the file, the problem and the fix, visible in the service log, while the client
sees only API Gateway's `{"message": "Internal server error"}` and never a prediction from a bad model.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import broken_models
import pytest
from fault_service import post_json

from local_runtime.pool import InitFailed
from serving.app.artifact.manifest import FIX
from serving.app.contracts.artifact import FORMAT_VERSION, MANIFEST_FILE

INTERNAL_ERROR = {"message": "Internal server error"}
ARRAYS = broken_models.ARRAYS_FILE


def _expected_problem(fault: str, good: Path) -> str:
    """What the message must say for `fault`, computed from the good model rather than hard-coded."""
    manifest = json.loads((good / MANIFEST_FILE).read_text(encoding="utf-8"))
    size = manifest["artifact"]["bytes"]
    return {
        "arrays_missing": f"{ARRAYS}: the model arrays file is missing",
        "manifest_missing": f"{MANIFEST_FILE}: the model manifest is missing",
        "arrays_truncated": f"{ARRAYS}: is {size // 2} bytes but model.json expects {size} (truncated?)",
        "arrays_bit_flipped": f"but model.json expects {manifest['artifact']['sha256']} (corrupt?)",
        "unsupported_format": (f"format_version {FORMAT_VERSION + 1} is not supported by this serving code"),
        "hash_of_another_model": f"{ARRAYS}: sha256 is {manifest['artifact']['sha256']} but model.json",
        "previous_format": (f"format_version {FORMAT_VERSION - 1} is not supported by this serving code"),
        "word_ids_out_of_range": f"{ARRAYS}: array 'word_ngrams' must hold",
    }[fault]


FAULTS = [
    "arrays_missing",
    "manifest_missing",
    "arrays_truncated",
    "arrays_bit_flipped",
    "unsupported_format",
    "hash_of_another_model",
    "previous_format",
    "word_ids_out_of_range",
]


@pytest.fixture
def broken(bbc_model_dir: Path, tmp_path: Path) -> Callable[[str], tuple[Path, str]]:
    """`broken(fault)` -> (a damaged copy of the session's real model, what the error must say)."""

    def make(fault: str) -> tuple[Path, str]:
        damage = getattr(broken_models, fault)
        return damage(bbc_model_dir, tmp_path / fault), _expected_problem(fault, bbc_model_dir)

    return make


@pytest.mark.parametrize("fault", FAULTS)
def test_broken_model_fails_init_and_answers_502(start_service, broken, fault: str) -> None:
    model_dir, problem = broken(fault)
    service = start_service(model_dir)
    reply = post_json(service.url, {"text": "The central bank raised interest rates again"})
    assert (reply.status, reply.json()) == (502, INTERNAL_ERROR)
    # The operator sees why: in the gateway's line for the request, and in the handler's own JSON log.
    (access,) = service.log.access_lines()
    assert " 502 " in access and "init error" in access and problem in access and FIX in access
    (logged,) = [r for r in service.log.json_records() if r.get("message") == "model failed to load"]
    assert logged["level"] == "ERROR" and problem in logged["error"]


@pytest.mark.parametrize("fault", FAULTS)
def test_broken_model_stops_a_provisioned_start(start_service, broken, fault: str) -> None:
    """With environments initialized before listening (provisioned concurrency), nothing is served."""
    model_dir, problem = broken(fault)
    with pytest.raises(InitFailed) as failure:
        start_service(model_dir, provisioned=1)
    assert problem in str(failure.value) and FIX in str(failure.value)


def test_the_good_model_serves(start_service, bbc_model_dir: Path) -> None:
    """The same service with the undamaged model answers, so the failures above are the damage's."""
    service = start_service(bbc_model_dir)
    reply = post_json(service.url, {"text": "The central bank raised interest rates again"})
    assert reply.status == 200 and reply.json()["label"] == "business"
