"""Tags that go on every resource of a stack: who owns it, which project and which stage it serves."""

from __future__ import annotations

from aws_cdk import Tags
from constructs import IConstruct

from stacks.settings import Tagging


def stack_tags(tagging: Tagging, stage: str) -> dict[str, str]:
    """The tag set of one stack; `stage` is `shared` for the once-per-account stack."""
    return {"project": tagging.project, "stage": stage, "owner": tagging.owner}


def tag_everything(scope: IConstruct, tags: dict[str, str]) -> None:
    """Tag every taggable resource under `scope`, so they show in the template and in cost reports."""
    for key, value in tags.items():
        Tags.of(scope).add(key, value)
