"""Puts the app together: which stacks exist, under which names, checked by cdk-nag on every synth.

`app.py` feeds it the CDK context (`cdk.json`, `-c key=value`); the tests feed it settings directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from stacks.data_stack import DataStack
from stacks.names import DATA_STACK_NAME, service_stack_name
from stacks.service_stack import ServiceStack
from stacks.settings import DataSettings, GitHubSettings, ServiceSettings, SettingsError, Tagging
from stacks.stages import DEFAULT_STAGES, service_settings


@dataclass(frozen=True)
class AppSettings:
    """Everything the app is built from."""

    data: DataSettings
    services: tuple[ServiceSettings, ...]
    tagging: Tagging = field(default_factory=Tagging)
    environment: Environment | None = None


@dataclass(frozen=True)
class BuiltApp:
    data: DataStack
    services: dict[str, ServiceStack]


def build_app(app: App, settings: AppSettings) -> BuiltApp:
    """Add the data stack and one service stack per stage to `app`, and register cdk-nag.

    cdk-nag's AwsSolutions findings make synthesis fail unless acknowledged, with a reason, next to
    the construct that causes them (see `infra_constructs.nag.acknowledge`).
    """
    data = DataStack(
        app, DATA_STACK_NAME, settings=settings.data, tagging=settings.tagging, env=settings.environment
    )
    services = {
        service.stage: ServiceStack(
            app,
            service_stack_name(service.stage),
            settings=service,
            tagging=settings.tagging,
            env=settings.environment,
        )
        for service in settings.services
    }
    register_nag(app)
    return BuiltApp(data=data, services=services)


def register_nag(app: App) -> None:
    """Run the cdk-nag AwsSolutions pack on every synthesis of `app`; a finding fails it."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))


def settings_from_context(app: App) -> AppSettings:
    """Read the app's settings from CDK context; every key is optional.

    stage                       one stage or a comma-separated list (default: dev,prod)
    alarm_email                 e-mail subscribed to the alarm topic
    github_repository           owner/repo whose workflows may assume the CI roles
    github_owner_id             GitHub's numeric IDs of the owner and the repository, which today's token
    github_repository_id        subjects carry (`gh api repos/OWNER/REPO --jq '.owner.id, .id'`); the CI
                                roles exist only once the repository and both IDs are set
    github_legacy_subjects      true: also trust the names-only subjects of a repository that has not
                                moved to immutable subject claims (default: false)
    github_oidc_provider_arn    use the account's existing GitHub OIDC provider instead of creating one
    github_deploy_branch        branch whose test jobs may read the DVC remote (default: main)
    github_deploy_environments  comma-separated stages deployed from GitHub, each by jobs in the GitHub
                                environment of its name (default: the stage names, dev and prod)
    api_gateway_logging_role    false: leave the account's API Gateway CloudWatch role alone (default:
                                true, the data stack sets it)
    owner                       value of the `owner` tag
    account, region             pin the stacks to one account/region (default: environment-agnostic)
    low_concurrency_quota       true on an account whose Lambda concurrency quota is still 10: no
                                reserved and no provisioned concurrency in any stage (default: false)
    capture_rate                the share of classified texts every synthesized stage captures, 0 to 1
                                (default: each stage's own capture_rate in stacks/stages.py, 0: off)
    """
    github = GitHubSettings(
        repository=_text(app, "github_repository"),
        owner_id=_text(app, "github_owner_id"),
        repository_id=_text(app, "github_repository_id"),
        legacy_subjects=_flag(app, "github_legacy_subjects"),
        oidc_provider_arn=_text(app, "github_oidc_provider_arn"),
        deploy_branch=_text(app, "github_deploy_branch") or "main",
        deploy_environments=_names(app, "github_deploy_environments") or DEFAULT_STAGES,
    )
    alarm_email = _text(app, "alarm_email")
    low_concurrency_quota = _flag(app, "low_concurrency_quota")
    stages = _names(app, "stage") or DEFAULT_STAGES
    owner = _text(app, "owner")
    account, region = _text(app, "account"), _text(app, "region")
    return AppSettings(
        data=DataSettings(
            github=github,
            manage_api_gateway_logging_role=_flag(app, "api_gateway_logging_role", default=True),
        ),
        services=tuple(
            service_settings(
                stage,
                alarm_email=alarm_email,
                low_concurrency_quota=low_concurrency_quota,
                capture_rate=_number(app, "capture_rate"),
            )
            for stage in stages
        ),
        tagging=Tagging(owner=owner) if owner else Tagging(),
        environment=Environment(account=account, region=region) if account or region else None,
    )


def _text(app: App, key: str) -> str | None:
    value = app.node.try_get_context(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _flag(app: App, key: str, *, default: bool = False) -> bool:
    """A yes/no key: JSON true/false in cdk.json, or the text `true`/`false` that `-c key=...` passes.

    Absent means `default`. Anything else stops the synthesis: a typo read as the default would silently
    deploy what the user meant to change.
    """
    value = app.node.try_get_context(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise SettingsError(
        f"{key}={value!r}: use true or false (in cdk.json's context, or -c {key}=true on the command line)."
    )


def _number(app: App, key: str) -> float | None:
    """A number given in cdk.json or as `-c key=0.01`; absent is None, anything else stops the synthesis."""
    value = app.node.try_get_context(key)
    if value is None:
        return None
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        return float(value)
    except (TypeError, ValueError):
        raise SettingsError(
            f"{key}={value!r}: give a number (in cdk.json's context, or -c {key}=0.01)."
        ) from None


def _names(app: App, key: str) -> tuple[str, ...]:
    """A list given either as a JSON list (cdk.json) or as a comma-separated string (-c key=a,b)."""
    value = app.node.try_get_context(key)
    if value is None:
        return ()
    items: Sequence[object] = value if isinstance(value, list) else str(value).split(",")
    return tuple(name for name in (str(item).strip() for item in items) if name)
