"""The real function running too long or dying: the gateway answers as API Gateway does and never hangs.

Timeout: the largest batch the contract allows (MAX_TEXTS texts, just under the 1 MiB body limit) keeps
the real handler busy for a fifth of a second or more on a laptop-class CPU; the integration timeout
here is 10 ms, a margin of about twentyfold. Nothing is timed by the test: the configuration only makes
the handler the slow side. The environment is provisioned, so no cold start counts toward the timeout.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable

from fault_service import post_json

from serving.app.api_contract import MAX_BODY_BYTES, MAX_TEXTS

INTERNAL_ERROR = {"message": "Internal server error"}
SPORT = "The striker scored twice in the cup final and the fans cheered the team"
# Short, common words: the most tokens (the handler's work) per byte of body.
SENTENCE = "The bank said on Monday it is to cut 10 of its 90 UK jobs as the market fell by 2% in a day. "


def _largest_batch() -> list[str]:
    """MAX_TEXTS news-like texts whose JSON body stays just under MAX_BODY_BYTES."""
    per_text = (MAX_BODY_BYTES - 1024) // MAX_TEXTS - 4  # room for quotes, commas and the envelope
    return [(SENTENCE * (per_text // len(SENTENCE) + 1))[:per_text] for _ in range(MAX_TEXTS)]


def _lambda_request_id(access_line: str) -> str:
    return access_line.split("lambda_request_id=")[1].split()[0]


def _wait_until(condition: Callable[[], bool], limit_s: float = 30) -> bool:
    """Polls `condition` until it holds (True) or `limit_s` passes (False): a hang fails, never blocks."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


def test_a_handler_past_the_integration_timeout_is_a_504(start_service, bbc_model_dir) -> None:
    service = start_service(bbc_model_dir, workers=1, provisioned=1, integration_timeout_s=0.01)
    reply = post_json(service.url, {"texts": _largest_batch()})
    assert (reply.status, reply.json()) == (504, {"message": "Endpoint request timed out"})
    access = service.log.access_lines()[-1]
    assert " 504 " in access and "integration timed out after 0.01 s" in access
    # As on AWS, the function is not stopped: it finishes the batch and reports it, then stays warm.
    finished = f"END RequestId: {_lambda_request_id(access)}"
    assert _wait_until(lambda: finished in service.log.text())
    assert [worker.name for worker in service.gateway.workers] == ["worker-1"]


def test_a_worker_that_dies_between_requests_is_replaced(start_service, bbc_model_dir) -> None:
    service = start_service(bbc_model_dir, workers=1, provisioned=1)
    (worker,) = service.gateway.workers
    before = post_json(service.url, {"text": SPORT})
    assert before.status == 200
    os.kill(worker.pid, signal.SIGKILL)  # e.g. killed for running out of memory while idle
    assert _wait_until(lambda: not worker.alive)
    after = post_json(service.url, {"text": SPORT})
    assert (after.status, after.json()) == (200, before.json())
    assert " worker-2 cold " in service.log.access_lines()[-1]


def test_a_worker_that_dies_mid_request_answers_502_and_is_replaced(start_service, bbc_model_dir) -> None:
    """The in-flight request gets API Gateway's 502 at once (no hang), the next one a fresh environment.

    The kill lands within milliseconds of the batch's START line, while the largest batch keeps the
    handler busy for a fifth of a second or more.
    """
    service = start_service(bbc_model_dir, workers=1, provisioned=1)
    (worker,) = service.gateway.workers
    before = post_json(service.url, {"text": SPORT})
    started = service.log.text().count("START RequestId")
    replies = []
    sender = threading.Thread(
        target=lambda: replies.append(post_json(service.url, {"texts": _largest_batch()}))
    )
    sender.start()
    assert _wait_until(lambda: service.log.text().count("START RequestId") > started)
    os.kill(worker.pid, signal.SIGKILL)
    sender.join(60)
    (reply,) = replies
    assert (reply.status, reply.json()) == (502, INTERNAL_ERROR)
    assert "Runtime exited" in service.log.access_lines()[-1]
    after = post_json(service.url, {"text": SPORT})
    assert (after.status, after.json()) == (200, before.json())
    assert " worker-2 cold " in service.log.access_lines()[-1]
