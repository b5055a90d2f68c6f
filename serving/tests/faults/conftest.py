"""Fixtures for the fault tests: `start_service` runs the real app with a given model directory."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from fault_service import Service, real_service


@pytest.fixture
def start_service() -> Iterator[Callable[..., Service]]:
    """`start_service(model_dir, **settings)` serves the real app; every service is stopped afterwards."""
    with contextlib.ExitStack() as services:
        yield lambda model_dir, **settings: services.enter_context(real_service(model_dir, **settings))
