"""Reads locust's final statistics and prints the figures that matter: throughput, latency, failures.

Locust's `--json-file` holds, per request name, the final counts and a histogram of response times
(written once, at the end of the run; its CSV files are only refreshed every second and can miss the
last requests). Percentiles are computed from the histograms with locust's own function, so they are
the numbers locust itself reports. The failure messages come from its `_failures.csv`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from locust.stats import calculate_response_time_percentile

COLUMNS = (("requests", 9), ("failures", 9), ("req/s", 8), ("p50", 7), ("p95", 7), ("p99", 7), ("max", 7))
NAME_WIDTH = 24


@dataclass(frozen=True)
class EndpointStats:
    name: str
    requests: int
    failures: int
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def read_stats(path: Path) -> tuple[list[EndpointStats], EndpointStats]:
    """(one entry per request name, the total over all of them) from locust's `--json-file` output."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: locust did not finish its run")
    entries = json.loads(path.read_text(encoding="utf-8"))
    endpoints = sorted((_stats(f"{e['method']} {e['name']}", [e]) for e in entries), key=lambda s: s.name)
    return endpoints, _stats("all", entries)


def format_stats(endpoints: list[EndpointStats], total: EndpointStats) -> str:
    """A fixed-width table: one line per endpoint, then the total; latencies in milliseconds."""
    header = f"{'endpoint':<{NAME_WIDTH}}" + "".join(f" {name:>{width}}" for name, width in COLUMNS)
    lines = [header + "  (ms)", "-" * len(header)]
    for stats in [*endpoints, total]:
        values = (
            stats.requests,
            stats.failures,
            f"{stats.requests_per_s:.1f}",
            *(f"{ms:.0f}" for ms in (stats.p50_ms, stats.p95_ms, stats.p99_ms, stats.max_ms)),
        )
        cells = "".join(f" {value:>{width}}" for value, (_, width) in zip(values, COLUMNS, strict=True))
        lines.append(f"{stats.name:<{NAME_WIDTH}}{cells}")
    return "\n".join(lines)


def _stats(name: str, entries: list[dict]) -> EndpointStats:
    """Merges the histograms of `entries`; requests/s over the span from first start to last request."""
    histogram: dict[int, int] = {}
    for entry in entries:
        for milliseconds, count in entry["response_times"].items():
            histogram[int(milliseconds)] = histogram.get(int(milliseconds), 0) + count
    requests = sum(e["num_requests"] for e in entries)
    span_s = max((e["last_request_timestamp"] or 0 for e in entries), default=0) - min(
        (e["start_time"] for e in entries), default=0
    )

    def percentile(fraction: float) -> float:
        return calculate_response_time_percentile(histogram, requests, fraction) if requests else float("nan")

    return EndpointStats(
        name=name,
        requests=requests,
        failures=sum(e["num_failures"] for e in entries),
        requests_per_s=requests / span_s if span_s > 0 else 0.0,
        p50_ms=percentile(0.50),
        p95_ms=percentile(0.95),
        p99_ms=percentile(0.99),
        max_ms=max((e["max_response_time"] or 0 for e in entries), default=0),
    )


def read_failures(path: Path) -> list[str]:
    """`METHOD NAME: error` for each distinct failure in locust's `_failures.csv` (counts: see the table)."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        return [f"{row['Method']} {row['Name']}: {row['Error']}" for row in csv.DictReader(file)]
