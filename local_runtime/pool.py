"""Lambda's concurrency model: one invocation per environment, at most N environments, cold starts on demand.

A request takes the most recently used idle environment (warm); if none is idle and fewer than N exist,
a new one starts (cold: its init runs first); if all N are busy the request waits, up to a bound, for one
to come free. As in Lambda, an environment is idle only once its runtime asks for the next event, so a
runtime that dies after answering never receives another one. Dead environments (crashed, timed out,
failed init) leave the pool, so the next request gets a fresh one instead of hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from local_runtime.invocation import Invocation
from local_runtime.worker import RETURN_GRACE_S, Worker

WorkerFactory = Callable[[str, Callable[[Worker], None]], Worker]


class Throttled(Exception):
    """Every environment stayed busy for the whole wait: the concurrency limit was reached."""


class InitFailed(RuntimeError):
    """A provisioned environment could not initialize."""


class WorkerPool:
    def __init__(self, max_workers: int, make_worker: WorkerFactory) -> None:
        if max_workers < 1:
            raise ValueError("at least one worker is needed")
        self._max_workers = max_workers
        self._make_worker = make_worker
        self._condition = threading.Condition()
        self._workers: list[Worker] = []
        self._idle: list[Worker] = []
        self._started = 0
        self._stopped = False

    @property
    def workers(self) -> list[Worker]:
        with self._condition:
            return list(self._workers)

    def invoke(self, event: bytes, trace_id: str, wait_s: float) -> Invocation:
        """Hands `event` to an environment, waiting up to `wait_s` for one; raises Throttled otherwise."""
        deadline = time.monotonic() + wait_s
        with self._condition:
            while not self._stopped:
                returning = any(worker.returning for worker in self._workers)
                idle = self._take_idle()
                worker = idle or (None if returning else self._start_worker())
                if worker is not None:  # the event that starts an environment is its cold start
                    return worker.invoke(event, trace_id, cold=idle is None)
                if returning:  # an environment that just answered beats a cold start
                    self._condition.wait(RETURN_GRACE_S)
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._condition.wait(remaining)
        raise Throttled(f"all {self._max_workers} environments stayed busy")

    def provision(self, count: int) -> None:
        """Starts `count` environments and waits for their init, like provisioned concurrency."""
        with self._condition:
            workers = [self._start_worker() for _ in range(min(count, self._max_workers))]
        for worker in workers:
            assert worker is not None
            if not worker.wait_until_ready():
                raise InitFailed(
                    f"{worker.name} failed to initialize: {worker.init_error or 'unknown error'}"
                )

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            workers, self._workers, self._idle = self._workers, [], []
            self._condition.notify_all()
        for worker in workers:
            worker.stop()

    def _take_idle(self) -> Worker | None:
        while self._idle:
            worker = self._idle.pop()  # most recently used first, as Lambda reuses warm environments
            if worker.available:
                return worker
            if not worker.alive:
                self._forget(worker)
        return None

    def _start_worker(self) -> Worker | None:
        if len(self._workers) >= self._max_workers:
            return None
        self._started += 1
        worker = self._make_worker(f"worker-{self._started}", self._worker_changed)
        self._workers.append(worker)
        try:
            worker.start()
        except BaseException:
            self._forget(worker)
            worker.stop()
            raise
        return worker

    def _worker_changed(self, worker: Worker) -> None:
        """Called by a worker when an invocation ended or its process died."""
        with self._condition:
            if not worker.alive:
                self._forget(worker)
            elif worker.available and worker in self._workers and worker not in self._idle:
                self._idle.append(worker)
            self._condition.notify_all()

    def _forget(self, worker: Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        if worker in self._idle:
            self._idle.remove(worker)
