"""`python -m local_runtime`: serve the Lambda image's handler on http://127.0.0.1:PORT, no Docker needed.

Prints `listening on http://HOST:PORT` on stdout once requests can be sent; logs go to stderr. Ctrl-C or
SIGTERM stops the server and every runtime process, then exits 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from local_runtime.dockerfile import DockerfileError
from local_runtime.gateway import DEFAULT_CONTEXT, LocalGateway, Settings
from local_runtime.pool import InitFailed
from local_runtime.task_root import BuildContextError
from serving.app.contracts import capture


def main(argv: list[str] | None = None) -> int:
    try:
        settings = _settings(_parser().parse_args(argv))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    gateway = LocalGateway(settings)
    try:
        url = gateway.start()
    except (DockerfileError, BuildContextError, InitFailed, OSError) as error:  # what the user can fix
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"listening on {url}", flush=True)
    stop.wait()
    print("stopping: shutting down the server and every runtime process", file=sys.stderr, flush=True)
    gateway.stop()
    return 0


def _parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(prog="python -m local_runtime", description=__doc__)
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port, help="0 picks a free port")
    parser.add_argument("--workers", type=int, default=defaults.workers, help="concurrency limit")
    parser.add_argument("--timeout", type=float, default=defaults.timeout_s, help="function timeout, seconds")
    parser.add_argument(
        "--integration-timeout",
        type=float,
        default=defaults.integration_timeout_s,
        help="API Gateway's integration timeout, seconds (504 past it)",
    )
    parser.add_argument(
        "--queue-timeout",
        type=float,
        default=defaults.queue_timeout_s,
        help="how long a request waits when every worker is busy (0: throttle at once, as Lambda does)",
    )
    parser.add_argument(
        "--provisioned", type=int, default=0, help="workers to initialize before listening (pre-warm)"
    )
    parser.add_argument("--memory", type=int, default=defaults.memory_mb, help="reported memory size, MB")
    parser.add_argument("--function-name", default=defaults.function_name)
    parser.add_argument("--stage", default=defaults.stage)
    parser.add_argument(
        "--context", type=Path, default=DEFAULT_CONTEXT, help="build context with a Dockerfile"
    )
    parser.add_argument("--model-dir", type=Path, help="directory that replaces data/ in the task root")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="a function environment variable"
    )
    parser.add_argument(
        "--capture-dir",
        type=Path,
        default=Path(os.environ.get(capture.LOCAL_DIR_ENV) or capture.DEFAULT_LOCAL_DIR),
        help=f"where the function's capture lines (with --env {capture.RATE_ENV}=RATE) are filed by day "
        f"(default ${capture.LOCAL_DIR_ENV}, else ./{capture.DEFAULT_LOCAL_DIR})",
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    env = {}
    for assignment in args.env:
        name, separator, value = assignment.partition("=")
        if not separator or not name:
            sys.exit(f"error: --env expects NAME=VALUE, got {assignment!r}")
        env[name] = value
    return Settings(
        context=args.context,
        host=args.host,
        port=args.port,
        workers=args.workers,
        timeout_s=args.timeout,
        integration_timeout_s=args.integration_timeout,
        queue_timeout_s=args.queue_timeout,
        provisioned=args.provisioned,
        memory_mb=args.memory,
        function_name=args.function_name,
        stage=args.stage,
        model_dir=args.model_dir,
        env=env,
        capture_dir=args.capture_dir.resolve(),
    )


if __name__ == "__main__":
    sys.exit(main())
