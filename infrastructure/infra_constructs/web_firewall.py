"""An AWS WAF web ACL in front of one API Gateway stage: managed rules, a rate limit, an optional allow-list.

Rules, in the order WAF evaluates them (the first that blocks ends the evaluation):
  0. AllowList        (only with `allowed_cidrs`) blocks every address outside the list;
  1. AWSManagedRulesAmazonIpReputationList  addresses AWS knows for bots and attacks;
  2. RateLimitPerIp                         an address that sent more than the limit in the last 5 minutes;
  3. AWSManagedRulesKnownBadInputsRuleSet   request patterns of known exploits, Log4j's among them;
  4. AWSManagedRulesCommonRuleSet           AWS's core rule set, its body-size rule counted instead of
                                            blocking when the API accepts bodies above 8 KB (BODY_SIZE_RULE).
Anything else is allowed. Every rule publishes CloudWatch metrics and sampled requests, so a block can be
traced to its rule. Together they use about 930 of the 1,500 web ACL capacity units a web ACL gets
without extra charge ("Web ACL capacity units (WCUs) in AWS WAF", AWS WAF developer guide).
"""

from __future__ import annotations

import ipaddress

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct
from stacks.names import CHOSEN_NAME_PREFIX
from stacks.settings import WAF_RATE_WINDOW_SECONDS, FirewallSettings

from serving.app.api_contract import MAX_BODY_BYTES

SCOPE = "REGIONAL"  # API Gateway REST API stages take regional web ACLs
# The AWS managed rule groups, by the rule name each gets in the web ACL.
IP_REPUTATION = "AWSManagedRulesAmazonIpReputationList"
KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"
COMMON_RULES = "AWSManagedRulesCommonRuleSet"
MANAGED_RULE_GROUPS = (IP_REPUTATION, KNOWN_BAD_INPUTS, COMMON_RULES)
# The core rule set's SizeRestrictions_BODY blocks bodies over 8 KB ("Core rule set (CRS) managed rule
# group", AWS WAF developer guide). The API accepts bodies up to api_contract.MAX_BODY_BYTES (a batch of
# long texts), so above that size the rule only counts: the handler refuses oversized bodies itself, with
# a 413 in its JSON shape.
BODY_SIZE_RULE = "SizeRestrictions_BODY"
BODY_SIZE_RULE_LIMIT_BYTES = 8 * 1024


def counted_common_rules(max_body_bytes: int = MAX_BODY_BYTES) -> tuple[str, ...]:
    """The core rule set's rules that only count: the body-size rule when the API takes larger bodies."""
    return (BODY_SIZE_RULE,) if max_body_bytes > BODY_SIZE_RULE_LIMIT_BYTES else ()


class WebFirewall(Construct):
    """A regional web ACL built from `settings`, associated with the stage whose ARN is `stage_arn`."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: FirewallSettings, stage: str, stage_arn: str
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = f"{CHOSEN_NAME_PREFIX}-{stage}"
        self.ip_sets = self._ip_sets(settings.allowed_cidrs)
        rules = [
            _managed_rule(IP_REPUTATION, priority=1),
            self._rate_limit(settings.rate_limit_per_5_minutes, priority=2),
            _managed_rule(KNOWN_BAD_INPUTS, priority=3),
            _managed_rule(COMMON_RULES, priority=4, counted=counted_common_rules()),
        ]
        if self.ip_sets:
            rules.insert(0, self._allow_list(priority=0))
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=self.name,
            description=f"Firewall of the text classifier API, stage {stage}",
            scope=SCOPE,
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            visibility_config=_visibility(self.name),
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage_arn, web_acl_arn=self.web_acl.attr_arn
        )

    def _ip_sets(self, cidrs: tuple[str, ...]) -> list[wafv2.CfnIPSet]:
        """One IP set per address family in the allow-list (WAF keeps IPv4 and IPv6 in separate sets)."""
        by_version: dict[int, list[str]] = {}
        for cidr in cidrs:
            by_version.setdefault(ipaddress.ip_network(cidr).version, []).append(cidr)
        return [
            wafv2.CfnIPSet(
                self,
                f"AllowedIpv{version}",
                name=f"{self.name}-allowed-ipv{version}",
                description="The only addresses allowed to call the API",
                scope=SCOPE,
                ip_address_version=f"IPV{version}",
                addresses=addresses,
            )
            for version, addresses in sorted(by_version.items())
        ]

    def _allow_list(self, priority: int) -> wafv2.CfnWebACL.RuleProperty:
        references = [
            wafv2.CfnWebACL.StatementProperty(
                ip_set_reference_statement=wafv2.CfnWebACL.IPSetReferenceStatementProperty(
                    arn=ip_set.attr_arn
                )
            )
            for ip_set in self.ip_sets
        ]
        listed = (
            references[0]
            if len(references) == 1
            else wafv2.CfnWebACL.StatementProperty(
                or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=references)
            )
        )
        return wafv2.CfnWebACL.RuleProperty(
            name="AllowList",
            priority=priority,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=listed)
            ),
            visibility_config=_visibility("AllowList"),
        )

    def _rate_limit(self, limit: int, priority: int) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name="RateLimitPerIp",
            priority=priority,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP", limit=limit, evaluation_window_sec=WAF_RATE_WINDOW_SECONDS
                )
            ),
            visibility_config=_visibility("RateLimitPerIp"),
        )


def _managed_rule(name: str, *, priority: int, counted: tuple[str, ...] = ()) -> wafv2.CfnWebACL.RuleProperty:
    """An AWS managed rule group as one rule, its own actions kept (override none) but for `counted`."""
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in counted
                ]
                or None,
            )
        ),
        visibility_config=_visibility(name),
    )


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, sampled_requests_enabled=True, metric_name=metric_name
    )
