"""`python -m serving.load`: a bounded, headless load test of the local service or of a deployed URL.

Without `--url` it starts the local service (`python -m serving.local`, `--workers` environments,
provisioned) on a free port, runs locust against it and stops it. With `--url` it loads that API
instead (set `API_KEY` in the environment for a deployed stage). It prints requests per second and the
p50/p95/p99 latencies per endpoint, and exits non-zero if any request failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

from serving.load.local_service import REPO_ROOT, ServiceFailed, local_service
from serving.load.summary import format_stats, read_failures, read_stats

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
# Two environments per core: one computes while another's request and answer cross the gateway.
DEFAULT_WORKERS = 4


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    output = args.output_dir or Path(tempfile.mkdtemp(prefix="load-test-"))
    output.mkdir(parents=True, exist_ok=True)
    service = (
        nullcontext(args.url.rstrip("/"))
        if args.url
        else local_service(args.workers, output / "service.log", args.model_dir)
    )
    try:
        with service as url:
            target = url if args.url else f"{url} (local service, {args.workers} environments)"
            print(f"load test: {args.users} users for {args.duration} against {target}", flush=True)
            locust_exit = _run_locust(args, url, output)
    except ServiceFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        endpoints, total = read_stats(output / "locust.json")
    except FileNotFoundError as error:
        print(f"error: {error} (see {output / 'locust.log'})", file=sys.stderr)
        return 2
    print(format_stats(endpoints, total))
    print(f"details: {output}", flush=True)
    if total.failures or locust_exit != 0:
        failures = read_failures(output / "locust_failures.csv") or [f"see {output / 'locust.log'}"]
        print(f"FAILED: {total.failures} of {total.requests} requests failed", file=sys.stderr)
        print("\n".join(failures), file=sys.stderr)
        return 1
    print("failures: none")
    return 0


def _run_locust(args: argparse.Namespace, url: str, output: Path) -> int:
    """Runs locust headless for the set users and time; its own output goes to locust.log."""
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary"]
    command += ["--host", url, "--users", str(args.users), "--spawn-rate", str(args.spawn_rate)]
    command += ["--run-time", args.duration, "--user-rate", str(args.user_rate)]
    command += ["--csv", str(output / "locust"), "--json-file", str(output / "locust")]
    command += ["--exit-code-on-error", "1", "--stop-timeout", "10"]
    with (output / "locust.log").open("w", encoding="utf-8") as log:
        finished = subprocess.run(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, check=False)
    return finished.returncode


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m serving.load", description=__doc__)
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
    parser.add_argument("--output-dir", type=Path, help="where locust's CSV files and the logs go")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


if __name__ == "__main__":
    sys.exit(main())
