"""cfn-lint passes on every synthesized template (W3005 aside: CDK's own redundant DependsOn)."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import ManualArgs, lint
from infra_support import Service, Synthesized

STACKS = ("TextClassifier-Data", "TextClassifier-dev", "TextClassifier-prod")  # the shared synthesis
# W3005: CDK adds DependsOn entries that a Ref/GetAtt already implies; harmless and not ours to change.
LINT_CONFIG = ManualArgs(ignore_checks=["W3005"], regions=["us-east-1"])


def _lint(template: dict) -> list[str]:
    return [f"{m.rule.id} {m.message}" for m in lint(json.dumps(template), config=LINT_CONFIG)]


def _template(synthesized: Synthesized, stack: str) -> dict:
    return json.loads((synthesized.outdir / f"{stack}.template.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("stack", STACKS)
def test_synthesized_template_passes_cfn_lint(synthesized: Synthesized, stack: str):
    assert _lint(_template(synthesized, stack)) == []


def test_the_uncapped_variant_passes_cfn_lint(low_quota: Service):
    assert _lint(low_quota.template.to_json()) == []


def test_cfn_lint_catches_a_broken_template(synthesized: Synthesized):
    """The lint call really inspects the template: an out-of-range Lambda timeout is reported."""
    template = _template(synthesized, "TextClassifier-dev")
    (function,) = [r for r in template["Resources"].values() if r["Properties"].get("PackageType") == "Image"]
    function["Properties"]["Timeout"] = 100_000
    assert any(finding.startswith("E") for finding in _lint(template))
