"""The settings of each stage, in one place.

`dev` is cheap and quick to replace; `prod` keeps a warm instance, shifts traffic gradually, sits behind
an AWS WAF firewall and is protected against deletion. Neither has a custom domain until one is given
here (`domain=DomainSettings(...)`, docs/deploying.md). Any other stage name (a personal stack such as
`alice`) gets dev's settings under its own name.

Capture of classified texts (docs/monitoring.md, "Capture") is off in every stage: texts may be personal
data. Turn it on for a stage with `capture_rate=0.01` (and `capture_retention_days`) in its settings
below, or for one deploy with `-c capture_rate=0.01`.
"""

from __future__ import annotations

from dataclasses import replace

from aws_cdk import aws_logs as logs

from stacks.settings import (
    METRIC_NAMES,
    AlarmSettings,
    ApiSettings,
    FirewallSettings,
    FunctionSettings,
    ServiceSettings,
    TelemetrySettings,
)

DEFAULT_STAGES = ("dev", "prod")


def _telemetry(stage: str) -> TelemetrySettings:
    """One metrics namespace per stage, so a dev load test never shows up on prod's dashboard."""
    return TelemetrySettings(
        namespace=f"{METRIC_NAMES.DEFAULT_NAMESPACE}/{stage}",
        service_name=f"{METRIC_NAMES.DEFAULT_SERVICE_NAME}-{stage}",
    )


_DEV = ServiceSettings(
    stage="dev",
    function=FunctionSettings(
        reserved_concurrency=5,
        provisioned_concurrency=0,
        log_retention=logs.RetentionDays.ONE_WEEK,
    ),
    api=ApiSettings(
        key_rate_limit=5,
        key_burst_limit=10,
        key_quota_per_day=5_000,
        stage_rate_limit=10,
        stage_burst_limit=20,
        access_log_retention=logs.RetentionDays.ONE_WEEK,
    ),
    alarms=AlarmSettings(),
    telemetry=_telemetry("dev"),
    traffic_shift="ALL_AT_ONCE",
    tracing=False,
    termination_protection=False,
)

_PROD = ServiceSettings(
    stage="prod",
    function=FunctionSettings(
        reserved_concurrency=20,
        provisioned_concurrency=1,
        log_retention=logs.RetentionDays.THREE_MONTHS,
    ),
    api=ApiSettings(
        key_rate_limit=20,
        key_burst_limit=40,
        key_quota_per_day=50_000,
        stage_rate_limit=50,
        stage_burst_limit=100,
        access_log_retention=logs.RetentionDays.THREE_MONTHS,
    ),
    alarms=AlarmSettings(),
    telemetry=_telemetry("prod"),
    # About $10 a month at rest plus $0.60 per million requests (docs/deploying.md, "Firewall"). The
    # per-address limit is what one API key may send (key_rate_limit, 20/s) for 5 minutes.
    firewall=FirewallSettings(enabled=True, rate_limit_per_5_minutes=6_000),
    traffic_shift="CANARY_10_PERCENT_5_MINUTES",
    tracing=True,
    termination_protection=True,
)

STAGES: dict[str, ServiceSettings] = {"dev": _DEV, "prod": _PROD}


def service_settings(
    stage: str,
    *,
    alarm_email: str | None = None,
    low_concurrency_quota: bool = False,
    capture_rate: float | None = None,
) -> ServiceSettings:
    """The settings for `stage`, with what depends on the account (which lives outside the repository).

    `alarm_email` is filled in. `low_concurrency_quota` is for an account whose Lambda concurrency
    quota is still the new-account 10: Lambda refuses any reserved or provisioned concurrency that
    would leave fewer than 100 unreserved, so both are turned off rather than failing the deploy.
    `capture_rate`, when given (`-c capture_rate=...`), replaces the stage's own.
    """
    settings = STAGES.get(stage) or replace(_DEV, stage=stage, telemetry=_telemetry(stage))
    if capture_rate is not None:
        settings = replace(settings, capture_rate=capture_rate)
    if alarm_email:
        settings = replace(settings, alarms=replace(settings.alarms, email=alarm_email))
    if low_concurrency_quota:
        unreserved = replace(settings.function, reserved_concurrency=None, provisioned_concurrency=0)
        settings = replace(settings, function=unreserved)
    return settings
