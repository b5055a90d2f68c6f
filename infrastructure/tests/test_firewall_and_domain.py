"""The optional AWS WAF firewall and custom domain of a stage: synthesized with and without each, with
cdk-nag on (a finding fails the synthesis) and cfn-lint, and their settings refused where undeployable."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint
from infra_constructs.serving_function import MODEL_FILES
from infra_constructs.web_firewall import (
    BODY_SIZE_RULE,
    BODY_SIZE_RULE_LIMIT_BYTES,
    COMMON_RULES,
    IP_REPUTATION,
    KNOWN_BAD_INPUTS,
    MANAGED_RULE_GROUPS,
    counted_common_rules,
)
from infra_support import TAGGING, Service, new_app, only, ref, resources
from stacks.app_builder import register_nag
from stacks.names import DOMAIN_TARGET_OUTPUT, SERVICE_URL_OUTPUT, service_stack_name
from stacks.service_stack import ServiceStack
from stacks.settings import (
    WAF_RATE_LIMIT_MAX,
    WAF_RATE_LIMIT_MIN,
    DomainSettings,
    FirewallSettings,
    ServiceSettings,
    SettingsError,
)
from stacks.stages import STAGES, service_settings
from test_execution_policy import lacking_permissions

from ops import smoke_test
from serving.app.api_contract import MAX_BODY_BYTES
from serving.app.contracts import api

ZONE_ID, ZONE = "Z0123456789ABCDEFGHIJ", "example.com"
CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-90ab-cdef-1234-567890abcdef"
ALLOWED = ("203.0.113.0/24", "198.51.100.7/32", "2001:db8::/32")
LINT_CONFIG = ManualArgs(ignore_checks=["W3005"], regions=["us-east-1"])


def _synth(outdir: Path, settings: ServiceSettings) -> Template:
    """One service stack, synthesized for real: cdk-nag fails the synthesis on an unacknowledged finding."""
    image_dir = outdir / "image"
    (image_dir / "data").mkdir(parents=True)
    (image_dir / "Dockerfile").write_text('FROM scratch\nCMD ["handler.lambda_handler"]\n', encoding="utf-8")
    for name in MODEL_FILES:
        (image_dir / name).write_bytes(b"model")
    settings = replace(settings, function=replace(settings.function, image_directory=image_dir))
    app = new_app(outdir / "cdk.out")
    stack = ServiceStack(app, service_stack_name(settings.stage), settings=settings, tagging=TAGGING)
    register_nag(app)
    app.synth()
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Service:
    """dev with the firewall on, an IPv4 and IPv6 allow-list, and a domain in a Route 53 zone, at a base
    path."""
    base = service_settings("dev")
    settings = replace(
        base,
        firewall=FirewallSettings(enabled=True, rate_limit_per_5_minutes=4000, allowed_cidrs=ALLOWED),
        domain=DomainSettings(
            domain_name="api.example.com", hosted_zone_id=ZONE_ID, zone_name=ZONE, base_path="classifier"
        ),
    )
    outdir = tmp_path_factory.mktemp("guarded")
    return Service("guarded", settings, _synth(outdir, settings), outdir)


@pytest.fixture(scope="module")
def own_certificate(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """prod (firewall on, no allow-list) under a domain whose certificate exists and whose DNS is
    elsewhere."""
    settings = replace(
        STAGES["prod"], domain=DomainSettings(domain_name="ml.acme.io", certificate_arn=CERTIFICATE)
    )
    return _synth(tmp_path_factory.mktemp("own-certificate"), settings)


def _web_acl(template: Template) -> dict[str, Any]:
    return only(template, "AWS::WAFv2::WebACL")[1]


def _rules(template: Template) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in _web_acl(template)["Rules"]}


def _stage_id(template: Template) -> str:
    return only(template, "AWS::ApiGateway::Stage")[0]


# --- the firewall -------------------------------------------------------------------------------------


def test_the_firewall_follows_each_stages_settings(service: Service):
    """On every variant of the shared synthesis (dev, prod, prod uncapped): a web ACL exactly where the
    settings turn it on, associated with the stage, limiting each address at the configured rate."""
    template, firewall = service.template, service.settings.firewall
    if not firewall.enabled:
        assert not resources(template, "AWS::WAFv2::WebACL")
        assert not resources(template, "AWS::WAFv2::WebACLAssociation")
        return
    acl_id, acl = only(template, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    _, association = only(template, "AWS::WAFv2::WebACLAssociation")
    assert association["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    stage_arn = json.dumps(association["ResourceArn"])
    assert f'"/stages/", {json.dumps(ref(_stage_id(template)))}' in stage_arn
    rate = _rules(template)["RateLimitPerIp"]["Statement"]["RateBasedStatement"]
    assert rate == {
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": 300,
        "Limit": firewall.rate_limit_per_5_minutes,
    }
    assert bool(resources(template, "AWS::WAFv2::IPSet")) is bool(firewall.allowed_cidrs)


def test_prod_has_the_firewall_and_dev_does_not():
    """The decision docs/deploying.md argues: about $10 a month is worth it where other teams' products
    call the API, not on a development stage."""
    assert STAGES["prod"].firewall.enabled and not STAGES["dev"].firewall.enabled
    assert service_settings("alice").firewall == STAGES["dev"].firewall


def test_the_managed_rule_groups_keep_their_own_actions_and_publish_metrics(guarded: Service):
    rules = _rules(guarded.template)
    assert set(MANAGED_RULE_GROUPS) <= set(rules)
    for name in MANAGED_RULE_GROUPS:
        statement = rules[name]["Statement"]["ManagedRuleGroupStatement"]
        assert (statement["VendorName"], statement["Name"]) == ("AWS", name)
        assert rules[name]["OverrideAction"] == {"None": {}}  # a group override to Count would disarm it
    for rule in [*rules.values(), _web_acl(guarded.template)]:
        visibility = rule["VisibilityConfig"]
        assert visibility["CloudWatchMetricsEnabled"] is True and visibility["SampledRequestsEnabled"] is True
    assert "RuleActionOverrides" not in rules[KNOWN_BAD_INPUTS]["Statement"]["ManagedRuleGroupStatement"]
    assert "RuleActionOverrides" not in rules[IP_REPUTATION]["Statement"]["ManagedRuleGroupStatement"]
    metric_names = [rule["VisibilityConfig"]["MetricName"] for rule in rules.values()]
    assert len(set(metric_names)) == len(metric_names)


def test_bodies_the_api_accepts_are_not_blocked_for_their_size(guarded: Service):
    """The core rule set blocks bodies over 8 KB; the API takes up to MAX_BODY_BYTES (a batch of long
    texts), so that one rule only counts, and every other rule of the set still blocks."""
    assert MAX_BODY_BYTES > BODY_SIZE_RULE_LIMIT_BYTES
    common = _rules(guarded.template)[COMMON_RULES]["Statement"]["ManagedRuleGroupStatement"]
    assert common["RuleActionOverrides"] == [{"Name": BODY_SIZE_RULE, "ActionToUse": {"Count": {}}}]
    assert counted_common_rules(BODY_SIZE_RULE_LIMIT_BYTES) == ()  # an API within 8 KB keeps the block


def test_the_allow_list_blocks_every_other_address_first(guarded: Service):
    template = guarded.template
    ip_sets = resources(template, "AWS::WAFv2::IPSet")
    by_version = {s["Properties"]["IPAddressVersion"]: s["Properties"]["Addresses"] for s in ip_sets.values()}
    assert by_version == {"IPV4": ["203.0.113.0/24", "198.51.100.7/32"], "IPV6": ["2001:db8::/32"]}
    assert all(s["Properties"]["Scope"] == "REGIONAL" for s in ip_sets.values())
    allow_list = _rules(template)["AllowList"]
    assert allow_list["Priority"] == min(rule["Priority"] for rule in _rules(template).values())
    assert allow_list["Action"] == {"Block": {}}
    listed = allow_list["Statement"]["NotStatement"]["Statement"]["OrStatement"]["Statements"]
    arns = {json.dumps(s["IPSetReferenceStatement"]["Arn"]) for s in listed}
    assert arns == {json.dumps({"Fn::GetAtt": [set_id, "Arn"]}) for set_id in ip_sets}


def test_one_address_family_needs_no_or(tmp_path: Path):
    settings = replace(
        service_settings("dev"), firewall=FirewallSettings(enabled=True, allowed_cidrs=("203.0.113.0/24",))
    )
    template = _synth(tmp_path, settings)
    (set_id,) = resources(template, "AWS::WAFv2::IPSet")
    negated = _rules(template)["AllowList"]["Statement"]["NotStatement"]["Statement"]
    assert negated == {"IPSetReferenceStatement": {"Arn": {"Fn::GetAtt": [set_id, "Arn"]}}}


def test_a_blocked_request_gets_the_apis_json_error(guarded: Service):
    found = guarded.template.find_resources(
        "AWS::ApiGateway::GatewayResponse", {"Properties": {"ResponseType": "WAF_FILTERED"}}
    )
    ((_, response),) = found.items()
    assert response["Properties"]["StatusCode"] == "403"
    assert '"code": "forbidden"' in response["Properties"]["ResponseTemplates"]["application/json"]


# --- the custom domain ----------------------------------------------------------------------------------


def test_without_a_domain_the_service_url_is_the_execute_api_url(service: Service):
    outputs = service.template.to_json()["Outputs"]
    assert outputs[SERVICE_URL_OUTPUT]["Value"] == outputs["ApiUrl"]["Value"]
    assert DOMAIN_TARGET_OUTPUT not in outputs
    assert not resources(service.template, "AWS::ApiGateway::DomainName")
    assert smoke_test.URL_OUTPUT == SERVICE_URL_OUTPUT  # the smoke test calls the stable URL


def test_a_domain_in_a_hosted_zone_gets_a_dns_validated_certificate_and_an_alias(guarded: Service):
    template, domain = guarded.template, guarded.settings.domain
    assert domain is not None
    cert_id, certificate = only(template, "AWS::CertificateManager::Certificate")
    assert certificate["DomainName"] == domain.domain_name
    assert certificate["ValidationMethod"] == "DNS"
    assert certificate["DomainValidationOptions"] == [
        {"DomainName": domain.domain_name, "HostedZoneId": ZONE_ID}
    ]
    domain_id, domain_name = only(template, "AWS::ApiGateway::DomainName")
    assert domain_name["DomainName"] == domain.domain_name
    assert domain_name["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert domain_name["SecurityPolicy"] == "TLS_1_2"
    assert domain_name["RegionalCertificateArn"] == ref(cert_id)
    _, mapping = only(template, "AWS::ApiGateway::BasePathMapping")
    assert mapping["DomainName"] == ref(domain_id)
    assert mapping["BasePath"] == "classifier"
    assert mapping["Stage"] == ref(_stage_id(template))
    _, record = only(template, "AWS::Route53::RecordSet")
    assert (record["Type"], record["HostedZoneId"]) == ("A", ZONE_ID)
    assert record["Name"] == f"{domain.domain_name}."
    assert record["AliasTarget"]["DNSName"] == {"Fn::GetAtt": [domain_id, "RegionalDomainName"]}


def test_the_service_url_is_the_domains_and_the_classify_url_follows(guarded: Service):
    outputs = guarded.template.to_json()["Outputs"]
    assert outputs[SERVICE_URL_OUTPUT]["Value"] == "https://api.example.com/classifier/"
    assert outputs["ClassifyUrl"]["Value"] == f"https://api.example.com/classifier{api.CLASSIFY}"
    assert outputs["ApiUrl"]["Value"] != outputs[SERVICE_URL_OUTPUT]["Value"]  # execute-api still answers


def test_an_existing_certificate_is_used_and_the_dns_target_is_an_output(own_certificate: Template):
    assert not resources(own_certificate, "AWS::CertificateManager::Certificate")
    assert not resources(own_certificate, "AWS::Route53::RecordSet")
    domain_id, domain_name = only(own_certificate, "AWS::ApiGateway::DomainName")
    assert domain_name["RegionalCertificateArn"] == CERTIFICATE
    _, mapping = only(own_certificate, "AWS::ApiGateway::BasePathMapping")
    assert "BasePath" not in mapping  # the API at the domain's root
    outputs = own_certificate.to_json()["Outputs"]
    assert outputs[SERVICE_URL_OUTPUT]["Value"] == "https://ml.acme.io/"
    assert outputs[DOMAIN_TARGET_OUTPUT]["Value"] == {"Fn::GetAtt": [domain_id, "RegionalDomainName"]}
    assert resources(own_certificate, "AWS::WAFv2::WebACL")  # prod's firewall, without an allow-list
    assert not resources(own_certificate, "AWS::WAFv2::IPSet")


def test_the_variants_pass_cfn_lint(guarded: Service, own_certificate: Template):
    for template in (guarded.template, own_certificate):
        assert [
            f"{m.rule.id} {m.message}" for m in lint(json.dumps(template.to_json()), config=LINT_CONFIG)
        ] == []


def test_the_execution_policy_covers_the_firewall_and_the_domain(guarded: Service, own_certificate: Template):
    """What CloudFormation calls to deploy these resources, `make bootstrap`'s execution policy allows."""
    templates = [guarded.template.to_json(), own_certificate.to_json()]
    types = {r["Type"] for t in templates for r in t["Resources"].values()}
    assert {"AWS::WAFv2::IPSet", "AWS::CertificateManager::Certificate", "AWS::Route53::RecordSet"} <= types
    assert lacking_permissions(templates) == {}


# --- settings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: FirewallSettings(enabled=True, rate_limit_per_5_minutes=WAF_RATE_LIMIT_MIN - 1), "10 to"),
        (lambda: FirewallSettings(enabled=True, rate_limit_per_5_minutes=WAF_RATE_LIMIT_MAX + 1), "10 to"),
        (lambda: FirewallSettings(enabled=True, allowed_cidrs=("203.0.113.0/33",)), "not a CIDR block"),
        (lambda: FirewallSettings(enabled=True, allowed_cidrs=("203.0.113.7/24",)), "host bits"),
        (lambda: FirewallSettings(enabled=True, allowed_cidrs=("example.com",)), "not a CIDR block"),
        (lambda: FirewallSettings(enabled=True, allowed_cidrs=("0.0.0.0/0",)), "leave the list empty"),
        (lambda: FirewallSettings(enabled=True, allowed_cidrs=("::/0",)), "leave the list empty"),
        (
            lambda: FirewallSettings(
                enabled=True, allowed_cidrs=tuple(f"10.{i // 256}.{i % 256}.0/24" for i in range(10_001))
            ),
            "at most 10,000",
        ),
        (lambda: FirewallSettings(enabled=True, allowed_cidrs="203.0.113.0/24"), "tuple"),
        (lambda: FirewallSettings(enabled=True, allowed_cidrs=("10.0.0.0/8", "10.0.0.0/8")), "twice"),
        (lambda: FirewallSettings(enabled=False, allowed_cidrs=("10.0.0.0/8",)), "not be enforced"),
        (
            lambda: replace(
                STAGES["prod"], firewall=FirewallSettings(enabled=True, rate_limit_per_5_minutes=100)
            ),
            "below what one API key may send",
        ),
        (lambda: DomainSettings(domain_name="api.example.com"), "hosted zone"),
        (
            lambda: DomainSettings(domain_name="https://api.example.com", certificate_arn=CERTIFICATE),
            "host name",
        ),
        (lambda: DomainSettings(domain_name="*.example.com", certificate_arn=CERTIFICATE), "wildcard"),
        (lambda: DomainSettings(domain_name="API.example.com", certificate_arn=CERTIFICATE), "lower case"),
        (lambda: DomainSettings(domain_name="api.example.com", hosted_zone_id=ZONE_ID), "go together"),
        (
            lambda: DomainSettings(domain_name="api.example.org", hosted_zone_id=ZONE_ID, zone_name=ZONE),
            "not inside",
        ),
        (
            lambda: DomainSettings(domain_name="api.example.com", hosted_zone_id="zone-1", zone_name=ZONE),
            "zone ID",
        ),
        (lambda: DomainSettings(domain_name="api.example.com", certificate_arn="arn:aws:iam::1:x"), "ACM"),
        (
            lambda: DomainSettings(
                domain_name="api.example.com", certificate_arn=CERTIFICATE, base_path="v1/x"
            ),
            "one path segment",
        ),
    ],
)
def test_undeployable_firewall_and_domain_settings_are_refused(make, message: str):
    with pytest.raises(SettingsError, match=message):
        make()


def test_deployable_edge_values_are_accepted():
    assert FirewallSettings(enabled=True, rate_limit_per_5_minutes=WAF_RATE_LIMIT_MAX, allowed_cidrs=ALLOWED)
    assert ServiceSettings(stage="x", firewall=FirewallSettings(enabled=True, rate_limit_per_5_minutes=3000))
    apex = DomainSettings(domain_name="example.com", hosted_zone_id=ZONE_ID, zone_name="example.com.")
    assert apex.url == "https://example.com/"
    assert DomainSettings(
        domain_name="a-b.c.example.com", certificate_arn=CERTIFICATE, base_path="ml_v1"
    ).url == ("https://a-b.c.example.com/ml_v1/")
