"""A custom domain name for one API stage: the stable URL clients keep when the API is ever replaced.

API Gateway's execute-api URL carries the REST API's random ID, which changes whenever the API is
recreated (a new stack, another region, a disaster recovery). A custom domain name maps a name the team
owns onto the stage instead ("Custom domain names for REST APIs", API Gateway developer guide):

- a REGIONAL domain name, as the API itself is regional, with TLS 1.2 as the minimum protocol;
- its certificate: an existing one (`certificate_arn`, which must be in the stage's region), or a new
  ACM certificate validated through DNS records in the given Route 53 hosted zone;
- a base-path mapping of the stage at the root or under one path segment (`base_path`);
- with a hosted zone, an alias A record from the name to the domain's regional endpoint. Without one,
  point the name (CNAME) at the stack's `DomainTarget` output where the zone lives.
"""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct
from stacks.settings import DomainSettings, SettingsError


class CustomDomain(Construct):
    """`settings.domain_name` in front of `api`'s deployment stage."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DomainSettings, api: apigw.RestApi
    ) -> None:
        super().__init__(scope, construct_id)
        self.url = settings.url
        zone = (
            route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=settings.hosted_zone_id, zone_name=settings.zone_name.rstrip(".")
            )
            if settings.hosted_zone_id is not None and settings.zone_name is not None
            else None
        )
        certificate = self._certificate(settings, zone)
        self.domain = apigw.DomainName(
            self,
            "DomainName",
            domain_name=settings.domain_name,
            certificate=certificate,
            endpoint_type=apigw.EndpointType.REGIONAL,
            security_policy=apigw.SecurityPolicy.TLS_1_2,
        )
        self.domain.add_base_path_mapping(api, base_path=settings.base_path, stage=api.deployment_stage)
        self.record = (
            route53.ARecord(
                self,
                "Alias",
                zone=zone,
                record_name=settings.domain_name,
                target=route53.RecordTarget.from_alias(targets.ApiGatewayDomain(self.domain)),
            )
            if zone is not None
            else None
        )

    def _certificate(self, settings: DomainSettings, zone: route53.IHostedZone | None) -> acm.ICertificate:
        if settings.certificate_arn is not None:
            return acm.Certificate.from_certificate_arn(self, "Certificate", settings.certificate_arn)
        if zone is None:
            raise SettingsError(f"domain {settings.domain_name}: a new certificate needs the hosted zone.")
        return acm.Certificate(
            self,
            "Certificate",
            domain_name=settings.domain_name,
            validation=acm.CertificateValidation.from_dns(zone),
        )
