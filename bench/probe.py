"""One fresh Lambda execution environment, simulated: run as a script in a new interpreter by bench/run.py.

    python bench/probe.py cold MODULE EVENTS_JSON RESULT_JSON
    python bench/probe.py warm MODULE EVENTS_JSON RESULT_JSON CALLS BATCHES [explained]

`cold`: what a cold start costs, as Lambda's init phase and first invocation do it: import the handler
module MODULE (which loads its model; the caller puts its task root on PYTHONPATH, as Lambda's runtime
does) and answer one API Gateway event. The parent times the whole process, interpreter start-up
included; the probe writes its peak memory to RESULT_JSON.
`warm`: then answer the single-text event CALLS times and, after one first batch timed on its own (a
warm environment has answered one), the batch event BATCHES times, timing each call, and write the
timings to RESULT_JSON; with `explained`, also answer the explained event (the
single text with "explain") CALLS times, after one first call timed on its own (it names the features,
once per execution environment). The handler's log lines go to /dev/null, as they would go to Lambda's
log pipe.

Only the standard library is imported here, so the measurement adds nothing to the cold start.
"""

import importlib
import json
import os
import sys
import time


class Context:
    """The one attribute of Lambda's context object the handlers read."""

    aws_request_id = "bench-0000"


def answer(handler, event) -> None:
    response = handler.lambda_handler(event, Context())
    if response["statusCode"] != 200:
        raise SystemExit(f"the handler answered {response['statusCode']}: {response['body'][:300]}")


def timed_calls(handler, event, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        answer(handler, event)
        seconds.append(time.perf_counter() - started)
    return seconds


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (exec).

    Linux's VmHWM, not getrusage: a child's ru_maxrss starts at its parent's size at fork, which would
    credit the benchmark's own memory to the handler.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024.0
    except OSError:  # not Linux: the best figure available
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(mode: str, module: str, events_path: str, result_path: str, *rest: str) -> None:
    with open(events_path, encoding="utf-8") as stream:
        events = json.load(stream)
    handler = importlib.import_module(module)
    answer(handler, events["single"])
    if mode == "cold":
        with open(result_path, "w", encoding="utf-8") as stream:
            json.dump({"peak_rss_mb": peak_rss_mb()}, stream)
        return
    calls, batches = int(rest[0]), int(rest[1])
    explained = rest[2:] == ("explained",)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives as long as the process)
    single_seconds = timed_calls(handler, events["single"], calls)
    batch_first_seconds = timed_calls(handler, events["batch"], 1)[0]  # warms what only a batch uses
    results = {
        "single_seconds": single_seconds,
        "batch_first_seconds": batch_first_seconds,
        "batch_seconds": timed_calls(handler, events["batch"], batches),
        "batch_size": len(json.loads(events["batch"]["body"])["texts"]),
    }
    if explained:
        results["explained_first_seconds"] = timed_calls(handler, events["explained"], 1)[0]
        results["explained_seconds"] = timed_calls(handler, events["explained"], calls)
    with open(result_path, "w", encoding="utf-8") as stream:
        json.dump(results, stream)


if __name__ == "__main__":
    main(*sys.argv[1:])
