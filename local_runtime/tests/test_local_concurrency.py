"""Lambda's concurrency model: one event per environment, up to N environments, init once per environment."""

import os
import threading
from pathlib import Path

from local_runtime.worker import Worker

# Every invocation waits (up to 20 s) until BARRIER_SIZE invocations have arrived, so the requests of
# the first round can only all succeed if they run at the same time in different environments.
BARRIER_HANDLER = """\
import json, os, pathlib, time

INVOCATIONS = 0

def lambda_handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    barrier = pathlib.Path(os.environ["BARRIER_DIR"])
    size = int(os.environ["BARRIER_SIZE"])
    (barrier / context.aws_request_id).touch()
    deadline = time.monotonic() + 20
    while len(list(barrier.iterdir())) < size and time.monotonic() < deadline:
        time.sleep(0.01)
    met = len(list(barrier.iterdir())) >= size
    answer = {"pid": os.getpid(), "invocations": INVOCATIONS, "met": met}
    return {"statusCode": 200, "body": json.dumps(answer)}
"""


def _parallel(count: int, send) -> list:
    results: list = [None] * count

    def run(index: int) -> None:
        results[index] = send()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_parallel_requests_run_in_separate_environments_each_initialized_once(
    serve, http, tmp_path: Path
) -> None:
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    running = serve(BARRIER_HANDLER, workers=3, env={"BARRIER_DIR": str(barrier), "BARRIER_SIZE": "3"})

    first_round = [reply.json() for reply in _parallel(3, lambda: http(running.url, "GET", "/work"))]
    assert all(answer["met"] for answer in first_round)
    pids = {answer["pid"] for answer in first_round}
    assert len(pids) == 3 and os.getpid() not in pids
    assert [answer["invocations"] for answer in first_round] == [1, 1, 1]

    second_round = [http(running.url, "GET", "/again").json() for _ in range(4)]
    assert {answer["pid"] for answer in second_round} <= pids  # warm environments are reused
    assert {worker.pid for worker in running.gateway.workers} == pids
    access = running.log.access_lines()
    assert sum(" cold " in line for line in access) == 3
    assert sum(" warm " in line for line in access) == 4
    assert running.log.text().count("Init Duration:") == 3


def test_the_event_that_starts_an_environment_is_its_cold_start_even_when_init_wins_the_race(
    serve, http, monkeypatch
) -> None:
    """On a busy machine the init can finish before the event is handed over: still a cold start."""
    start = Worker.start

    def start_and_let_the_init_finish(worker: Worker) -> None:
        start(worker)
        assert worker._ready.wait(timeout=30)  # the runtime has asked for its first event

    monkeypatch.setattr(Worker, "start", start_and_let_the_init_finish)
    running = serve()
    assert http(running.url, "GET", "/first").status == 200
    assert http(running.url, "GET", "/second").status == 200
    first, second = running.log.access_lines()
    assert " cold " in first and " warm " in second
    assert running.log.text().count("Init Duration:") == 1


def test_requests_wait_for_a_busy_environment_up_to_the_limit(serve, http) -> None:
    running = serve(workers=1)
    replies = _parallel(2, lambda: http(running.url, "GET", "/slow?sleep=0.3"))
    assert [reply.status for reply in replies] == [200, 200]
    answers = [reply.json() for reply in replies]
    assert answers[0]["pid"] == answers[1]["pid"]
    assert sorted(answer["invocations"] for answer in answers) == [1, 2]


def test_a_request_is_throttled_when_every_environment_stays_busy(serve, http) -> None:
    running = serve(workers=1, queue_timeout_s=0)
    slow: list = []
    thread = threading.Thread(target=lambda: slow.append(http(running.url, "GET", "/slow?sleep=1")))
    thread.start()
    assert running.log.wait_for("START RequestId")
    throttled = http(running.url, "GET", "/fast")
    thread.join(timeout=60)
    assert (throttled.status, throttled.json()) == (500, {"message": "Internal server error"})
    assert "throttled" in running.log.text()
    assert slow[0].status == 200


def test_provisioned_environments_are_initialized_before_the_first_request(serve, http) -> None:
    running = serve(provisioned=1)
    assert len(running.gateway.workers) == 1
    assert "Init Duration" not in running.log.text()  # init happened, but no invocation yet
    answer = http(running.url, "GET", "/").json()
    assert answer["pid"] == running.gateway.workers[0].pid
    assert " warm " in running.log.access_lines()[0]
