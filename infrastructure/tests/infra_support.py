"""Helpers for the infrastructure tests: the app under test, its settings, and template look-ups."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Template
from stacks.app_builder import AppSettings, BuiltApp
from stacks.settings import DataSettings, GitHubSettings, ServiceSettings, Tagging
from stacks.stages import DEFAULT_STAGES, STAGES, service_settings

INFRA_DIR = Path(__file__).resolve().parents[1]

REPOSITORY = "acme-ml/text-classifier"
# GitHub's immutable IDs of the owner and the repository, as `gh api repos/acme-ml/text-classifier` would
# print them.
OWNER_ID, REPOSITORY_ID = "4711", "90210"
ALARM_EMAIL = "oncall@example.com"
TAGGING = Tagging(project="text-classifier", owner="ml-team")


def cdk_json_context() -> dict[str, Any]:
    """The context (feature flags) `cdk synth` gets from cdk.json, so tests synthesize the same app."""
    return json.loads((INFRA_DIR / "cdk.json").read_text(encoding="utf-8"))["context"]


def new_app(outdir: Path) -> App:
    return App(context=cdk_json_context(), outdir=str(outdir))


def app_settings() -> AppSettings:
    """The settings the shared synthesis uses: the real stages, plus a repository and an e-mail."""
    github = GitHubSettings(
        repository=REPOSITORY,
        owner_id=OWNER_ID,
        repository_id=REPOSITORY_ID,
        deploy_environments=DEFAULT_STAGES,
    )
    return AppSettings(
        data=DataSettings(github=github),
        services=tuple(service_settings(stage, alarm_email=ALARM_EMAIL) for stage in DEFAULT_STAGES),
        tagging=TAGGING,
    )


@dataclass(frozen=True)
class Synthesized:
    """A synthesized app: its stacks, their templates and the cloud assembly directory."""

    built: BuiltApp
    settings: AppSettings
    outdir: Path

    def template(self, stage: str) -> Template:
        return Template.from_stack(self.built.services[stage])

    def data_template(self) -> Template:
        return Template.from_stack(self.built.data)

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.outdir / "manifest.json").read_text(encoding="utf-8"))

    def validation_report(self) -> dict[str, Any]:
        return json.loads((self.outdir / "validation-report.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Service:
    """One synthesized service stack and the settings it was built from (what its template must reflect)."""

    name: str  # the test id: the stage, or the variant
    settings: ServiceSettings
    template: Template
    outdir: Path

    def assets(self) -> dict[str, Any]:
        path = self.outdir / f"TextClassifier-{self.settings.stage}.assets.json"
        return json.loads(path.read_text(encoding="utf-8"))


def resources(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource (Type, Properties, ...) for every resource of `resource_type`."""
    return template.find_resources(resource_type)


def only(template: Template, resource_type: str) -> tuple[str, dict[str, Any]]:
    """The single resource of `resource_type`: (logical id, properties)."""
    found = resources(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    ((logical_id, resource),) = found.items()
    return logical_id, resource.get("Properties", {})


def serving_function(template: Template) -> tuple[str, dict[str, Any]]:
    """The function that serves the model (the container image), beside the pre-traffic hook's."""
    found = [
        (logical_id, resource["Properties"])
        for logical_id, resource in resources(template, "AWS::Lambda::Function").items()
        if resource["Properties"].get("PackageType") == "Image"
    ]
    assert len(found) == 1, f"expected one image function, found {found}"
    return found[0]


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def as_list(value: Any) -> list[Any]:
    """An IAM policy's Action or Resource, which is a single value or a list."""
    return value if isinstance(value, list) else [value]


def every_stage(path: str, *, where: Callable[[ServiceSettings], bool] = lambda settings: True) -> set[str]:
    """Construct `path` in the stack of every default stage whose settings meet `where` (`{stage}` in
    `path` becomes the stage name): where a finding is acknowledged, derived from the settings."""
    return {
        f"TextClassifier-{stage}/{path.format(stage=stage)}"
        for stage in DEFAULT_STAGES
        if where(STAGES[stage])
    }
