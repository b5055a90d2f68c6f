"""Prints how many cases the fuzz properties ran and how many failed; enforces FUZZ_MIN_CASES."""

from __future__ import annotations

import pytest

from serving.tests.fuzz.fuzz_settings import CASES, min_cases

_SHORTFALL: list[str] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A long run that ran fewer cases than asked (e.g. a property stopped early) fails."""
    total, wanted = sum(CASES.values()), min_cases()
    if wanted and total < wanted:
        _SHORTFALL.append(f"fuzz: only {total:,} cases ran, fewer than FUZZ_MIN_CASES={wanted:,}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not CASES:
        return
    failed = [report for report in terminalreporter.stats.get("failed", []) if "/fuzz/" in report.nodeid]
    terminalreporter.write_sep("=", "fuzz summary")
    for name, count in sorted(CASES.items()):
        terminalreporter.write_line(f"  {name}: {count:,} cases")
    terminalreporter.write_line(
        f"fuzz: {sum(CASES.values()):,} cases in {len(CASES)} properties, {len(failed)} failures"
    )
    for line in _SHORTFALL:
        terminalreporter.write_line(line, red=True)
