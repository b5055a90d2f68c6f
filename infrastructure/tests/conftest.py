"""Shared fixtures: the whole CDK app synthesized once, in process, offline, with cdk-nag on.

Synthesis takes seconds, so one session-wide synthesis of the real app (data stack plus the dev and
prod stages, built from the real serving directory and request schema) serves most assertions. The
`service` fixture adds a third variant, prod as `-c low_concurrency_quota=true` builds it, so every
per-stage invariant is checked on dev, prod and an uncapped stage alike.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template
from infra_support import TAGGING, Service, Synthesized, app_settings, cdk_json_context, new_app
from stacks.app_builder import build_app, register_nag, settings_from_context
from stacks.names import service_stack_name
from stacks.service_stack import ServiceStack

SERVICE_VARIANTS = ("dev", "prod", "prod-low-quota")


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir)
    settings = app_settings()
    built = build_app(app, settings)
    app.synth()  # raises if cdk-nag reports an unacknowledged finding
    return Synthesized(built=built, settings=settings, outdir=outdir)


@pytest.fixture(scope="session")
def low_quota(tmp_path_factory: pytest.TempPathFactory) -> Service:
    """prod, with the setting as the CDK CLI passes it; synthesized for real, so cdk-nag runs."""
    outdir = tmp_path_factory.mktemp("low-quota")
    app = App(
        context={**cdk_json_context(), "stage": "prod", "low_concurrency_quota": "true"}, outdir=str(outdir)
    )
    (settings,) = settings_from_context(app).services
    stack = ServiceStack(app, service_stack_name(settings.stage), settings=settings, tagging=TAGGING)
    register_nag(app)
    app.synth()
    return Service("prod-low-quota", settings, Template.from_stack(stack), outdir)


@pytest.fixture(scope="session")
def capturing(tmp_path_factory: pytest.TempPathFactory) -> Service:
    """dev with capture on, as `-c capture_rate=0.05` builds it (and 14 days' retention); synthesized for
    real, so cdk-nag runs."""
    outdir = tmp_path_factory.mktemp("capture")
    # Construct paths in the template's metadata, as the CDK CLI writes them: the acknowledgement tests
    # name resources by path.
    context = {
        **cdk_json_context(),
        "stage": "dev",
        "capture_rate": "0.05",
        "aws:cdk:enable-path-metadata": True,
    }
    app = App(context=context, outdir=str(outdir))
    (settings,) = settings_from_context(app).services
    settings = replace(settings, capture_retention_days=14)
    stack = ServiceStack(app, service_stack_name(settings.stage), settings=settings, tagging=TAGGING)
    register_nag(app)
    app.synth()  # raises on an unacknowledged cdk-nag finding
    return Service("dev-capture", settings, Template.from_stack(stack), outdir)


@pytest.fixture(scope="session", params=SERVICE_VARIANTS)
def service(request: pytest.FixtureRequest, synthesized: Synthesized) -> Service:
    if request.param == "prod-low-quota":
        return request.getfixturevalue("low_quota")
    (settings,) = [s for s in synthesized.settings.services if s.stage == request.param]
    return Service(request.param, settings, synthesized.template(request.param), synthesized.outdir)


@pytest.fixture(scope="session")
def dev(synthesized: Synthesized) -> Template:
    return synthesized.template("dev")


@pytest.fixture(scope="session")
def data(synthesized: Synthesized) -> Template:
    return synthesized.data_template()
