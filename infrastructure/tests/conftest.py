"""Shared fixtures: the whole CDK app synthesized once, in process, offline, with cdk-nag on.

Synthesis takes seconds, so one session-wide synthesis of the real app (data stack plus the dev and
prod stages, built from the real serving directory and request schema) serves most assertions; tests
about other settings synthesize their own small app.
"""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Template
from infra_support import Synthesized, app_settings, new_app
from stacks.app_builder import build_app


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir)
    settings = app_settings()
    built = build_app(app, settings)
    app.synth()  # raises if cdk-nag reports an unacknowledged finding
    return Synthesized(built=built, settings=settings, outdir=outdir)


@pytest.fixture(scope="session")
def dev(synthesized: Synthesized) -> Template:
    return synthesized.template("dev")


@pytest.fixture(scope="session")
def prod(synthesized: Synthesized) -> Template:
    return synthesized.template("prod")


@pytest.fixture(scope="session")
def data(synthesized: Synthesized) -> Template:
    return synthesized.data_template()
