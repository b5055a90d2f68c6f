"""`python -m loadtest`: a bounded, headless load test of the local service or of a deployed URL.

Without `--url` it starts the local service (`python -m local_runtime` through
`local_runtime.child_service`, `--workers` environments, provisioned) on a free port, runs locust against
it and stops it. With `--url` it loads that API instead (set `API_KEY` in the environment for a deployed
stage). Locust prints its own statistics (requests, failures, percentiles per endpoint and the failures'
messages) and decides the exit code: non-zero if any request failed (`--exit-code-on-error 1`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from local_runtime.child_service import ServiceFailed, child_service
from local_runtime.logs import ServiceLog
from local_runtime.paths import REPO_ROOT

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
# Two environments per core: one computes while another's request and answer cross the gateway.
DEFAULT_WORKERS = 4


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    output = args.output_dir or Path(tempfile.mkdtemp(prefix="load-test-"))
    output.mkdir(parents=True, exist_ok=True)
    service_log = ServiceLog(output / "service.log")
    service: AbstractContextManager[str] = (
        nullcontext(args.url.rstrip("/"))
        if args.url
        else child_service(
            workers=args.workers, provisioned=args.workers, model_dir=args.model_dir, log=service_log
        )
    )
    try:
        with service as url:
            target = url if args.url else f"{url} (local service, {args.workers} environments)"
            print(f"load test: {args.users} users for {args.duration} against {target}", flush=True)
            locust_exit = _run_locust(args, url, output)
    except ServiceFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        service_log.close()
    print(f"details (locust's CSV files, the service's log): {output}", flush=True)
    if locust_exit != 0:
        print(f"FAILED: locust exited with code {locust_exit} (failed requests: see above)", file=sys.stderr)
    return locust_exit


def _run_locust(args: argparse.Namespace, url: str, output: Path) -> int:
    """Runs locust headless for the set users and time; it prints its final statistics itself."""
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary"]
    command += ["--host", url, "--users", str(args.users), "--spawn-rate", str(args.spawn_rate)]
    command += ["--run-time", args.duration, "--user-rate", str(args.user_rate)]
    command += ["--csv", str(output / "locust"), "--exit-code-on-error", "1", "--stop-timeout", "10"]
    return subprocess.run(command, cwd=REPO_ROOT, check=False).returncode


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__)
    parser.add_argument("--url", help="API to load (default: start the local service)")
    parser.add_argument("--users", type=_positive_int, default=50, help="concurrent users (default 50)")
    parser.add_argument("--duration", default="60s", help="how long, e.g. 60s or 2m (default 60s)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started per second (default 10)")
    parser.add_argument(
        "--user-rate",
        type=float,
        default=0,
        help="requests per second per user (default 0: back to back). Keep users x rate under a "
        "deployed stage's throttle, or its 429s count as failures",
    )
    parser.add_argument(
        "--workers", type=_positive_int, default=DEFAULT_WORKERS, help="local service environments"
    )
    parser.add_argument("--model-dir", type=Path, help="model the local service serves (default: its data/)")
    parser.add_argument("--output-dir", type=Path, help="where locust's CSV files and the service's log go")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
