"""Every deployment tunable of the CDK app, as typed, validated dataclasses with safe defaults.

The values for each stage live in `stacks/stages.py`; this module only says what can be tuned, what
the defaults are and which combinations are refused. A wrong combination fails here, at synth time,
with a message saying what to change, instead of half-way through a CloudFormation deployment.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from aws_cdk import aws_logs as logs

# The names of the handler's metrics (namespace, dimension, metrics, the environment variables that set
# them), defined once in the serving package's import-free contracts; the image carries the same module.
from serving.app.contracts import metrics as METRIC_NAMES
from stacks.github_subjects import NUMERIC_ID, GitHubRepository
from stacks.names import CDK_BOOTSTRAP_QUALIFIER

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVING_APP_DIR = REPO_ROOT / "serving" / "app"
# The API's OpenAPI document, which the handler also serves: its ClassifyRequest schema is API Gateway's
# request model for POST /v1/classify, so the gateway and the handler validate against one source.
OPENAPI_DOCUMENT = SERVING_APP_DIR / "openapi.json"

# API Gateway's REST integration gives up after 29 s; the function must finish (or fail) before that
# so the client gets the handler's own answer rather than a gateway timeout.
API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 29

Architecture = Literal["x86_64", "arm64"]

# Names of the predefined CodeDeploy configurations, as `aws_codedeploy.LambdaDeploymentConfig` spells them.
TrafficShift = Literal[
    "ALL_AT_ONCE",
    "CANARY_10_PERCENT_5_MINUTES",
    "CANARY_10_PERCENT_10_MINUTES",
    "CANARY_10_PERCENT_15_MINUTES",
    "CANARY_10_PERCENT_30_MINUTES",
    "LINEAR_10_PERCENT_EVERY_1_MINUTE",
    "LINEAR_10_PERCENT_EVERY_2_MINUTES",
    "LINEAR_10_PERCENT_EVERY_3_MINUTES",
    "LINEAR_10_PERCENT_EVERY_10_MINUTES",
]

_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
# GitHub owner and repository names: letters, digits, '-', '_' and '.'; no wildcards, so the trust
# policy can only ever name one repository.
_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A fully qualified host name in lower case: labels of letters, digits and inner '-', at least two labels.
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)
# Route 53 hosted zone IDs: `Z` followed by upper-case letters and digits.
_HOSTED_ZONE_ID = re.compile(r"^Z[A-Z0-9]{1,31}$")
_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
# API Gateway's base path of a REST API mapping: one path segment of these characters ("Working with API
# mappings for REST APIs", API Gateway developer guide).
_BASE_PATH = re.compile(r"^[a-zA-Z0-9$_.+!*'()-]+$")

# AWS WAF's bounds of a rate-based rule's limit, per evaluation window (the AWS::WAFv2::WebACL resource
# schema's RateLimit: 10 to 2,000,000,000; "Rate-based rule high-level settings", AWS WAF developer guide).
WAF_RATE_LIMIT_MIN = 10
WAF_RATE_LIMIT_MAX = 2_000_000_000
# The rate-based rule's evaluation window (the default of the valid 60, 120, 300 and 600 s).
WAF_RATE_WINDOW_SECONDS = 300
# An IP set holds up to 10,000 addresses or ranges, of any CIDR prefix but /0 ("IP set match rule
# statement", AWS WAF developer guide).
WAF_IP_SET_MAX_ENTRIES = 10_000


class SettingsError(ValueError):
    """A setting that cannot be deployed; the message says which one and what to do."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise SettingsError(message)


@dataclass(frozen=True)
class Tagging:
    """Tags put on every resource, so cost and ownership can be traced per project, stage and team."""

    project: str = "text-classifier"
    owner: str = "ml-platform"


@dataclass(frozen=True)
class FunctionSettings:
    """The Lambda function that serves the model.

    The defaults fit a numpy-only TF-IDF + logistic-regression model: 1 GB gives enough CPU for a
    ~1 s cold start, and 10 s is far above a warm prediction yet well below API Gateway's 29 s.
    """

    image_directory: Path = SERVING_APP_DIR
    # One value drives both the image platform and the function architecture, so they cannot differ.
    # arm64 (Graviton) costs about 20 % less per GB-second than x86_64; building it on an x86 machine
    # needs QEMU/binfmt emulation for Docker (or an arm64 CI runner).
    architecture: Architecture = "arm64"
    memory_mb: int = 1024
    timeout_seconds: int = 10
    # Hard cap on simultaneous executions: the bill cannot grow past it whatever the traffic.
    # None leaves the function on the account's unreserved pool (needed on accounts whose
    # concurrency quota is still the new-account default of 10: the `low_concurrency_quota`
    # context key does it for every stage, together with provisioned_concurrency=0).
    reserved_concurrency: int | None = 10
    # Pre-initialised environments on the `live` alias: no cold start for that many concurrent
    # requests, and a deploy warms the new version before traffic moves to it. 0 turns it off.
    provisioned_concurrency: int = 0
    log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH

    def __post_init__(self) -> None:
        _require(
            self.architecture in get_args(Architecture),
            f"architecture={self.architecture!r}: choose one of {get_args(Architecture)}.",
        )
        _require(128 <= self.memory_mb <= 10240, f"memory_mb={self.memory_mb}: Lambda allows 128..10240 MB.")
        _require(
            1 <= self.timeout_seconds < API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS,
            f"timeout_seconds={self.timeout_seconds}: keep it between 1 and "
            f"{API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS - 1} s, below API Gateway's integration timeout.",
        )
        _require(self.provisioned_concurrency >= 0, "provisioned_concurrency must be 0 (off) or more.")
        if self.reserved_concurrency is not None:
            _require(self.reserved_concurrency >= 1, "reserved_concurrency must be at least 1, or None.")
            _require(
                self.provisioned_concurrency <= self.reserved_concurrency,
                f"provisioned_concurrency={self.provisioned_concurrency} exceeds "
                f"reserved_concurrency={self.reserved_concurrency}: raise the cap or lower the provisioning.",
            )


@dataclass(frozen=True)
class ApiSettings:
    """The REST API in front of the function: who may call it, how fast, and what is logged."""

    openapi_path: Path = OPENAPI_DOCUMENT
    # Clients must send `x-api-key`; the usage plan below then throttles and meters each key.
    api_key_required: bool = True
    key_rate_limit: float = 10.0  # steady requests per second, per API key
    key_burst_limit: int = 20
    key_quota_per_day: int = 10_000
    # Upper bound for the whole stage, all clients together.
    stage_rate_limit: float = 20.0
    stage_burst_limit: int = 40
    # Browser origins allowed to call the API; empty turns CORS off.
    cors_allow_origins: tuple[str, ...] = ()
    access_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH

    def __post_init__(self) -> None:
        _require(self.key_rate_limit > 0 and self.key_burst_limit > 0, "API key throttles must be positive.")
        _require(self.key_quota_per_day > 0, "key_quota_per_day must be positive.")
        _require(
            self.stage_rate_limit > 0 and self.stage_burst_limit > 0, "Stage throttles must be positive."
        )
        _require(
            self.key_rate_limit <= self.stage_rate_limit and self.key_burst_limit <= self.stage_burst_limit,
            "A single API key may not be allowed more than the whole stage: lower key_* or raise stage_*.",
        )


@dataclass(frozen=True)
class FirewallSettings:
    """An AWS WAF web ACL on the API stage: AWS managed rules, a per-address rate limit, an allow-list.

    Off by default: it costs money at rest (docs/deploying.md, "Firewall"). The API key, usage plan,
    stage throttle and concurrency cap bound the bill without it; the firewall adds what they cannot:
    requests from known-bad addresses and known exploit patterns are refused before they reach the
    stage, and one address cannot use up the stage-wide throttle that every client shares.
    """

    enabled: bool = False
    # Requests one source address may send per 5 minutes; more are refused (403) until its rate falls.
    rate_limit_per_5_minutes: int = 3000
    # When set, only these addresses (CIDR blocks, IPv4 or IPv6) may call the API: every other is refused.
    allowed_cidrs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(
            WAF_RATE_LIMIT_MIN <= self.rate_limit_per_5_minutes <= WAF_RATE_LIMIT_MAX,
            f"firewall rate_limit_per_5_minutes={self.rate_limit_per_5_minutes}: AWS WAF accepts "
            f"{WAF_RATE_LIMIT_MIN} to {WAF_RATE_LIMIT_MAX:,} requests per window.",
        )
        _require(
            isinstance(self.allowed_cidrs, tuple),
            "firewall allowed_cidrs: give a tuple of CIDR blocks, e.g. ('203.0.113.0/24',).",
        )
        for cidr in self.allowed_cidrs:
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError as error:
                raise SettingsError(
                    f"firewall allowed_cidrs: {cidr!r} is not a CIDR block ({error}); write it as "
                    "'203.0.113.0/24' or '2001:db8::/32', host bits zero ('198.51.100.7/32' for one address)."
                ) from None
            _require(
                network.prefixlen > 0,
                f"firewall allowed_cidrs: AWS WAF refuses {cidr!r} (/0); to allow every address, leave the "
                "list empty.",
            )
        for version in (4, 6):  # one IP set per address family
            count = sum(ipaddress.ip_network(cidr).version == version for cidr in self.allowed_cidrs)
            _require(
                count <= WAF_IP_SET_MAX_ENTRIES,
                f"firewall allowed_cidrs has {count} IPv{version} blocks; an AWS WAF IP set holds at most "
                f"{WAF_IP_SET_MAX_ENTRIES:,}: merge them into wider blocks.",
            )
        _require(
            len(set(self.allowed_cidrs)) == len(self.allowed_cidrs),
            f"firewall allowed_cidrs {self.allowed_cidrs}: a block is listed twice.",
        )
        _require(
            self.enabled or not self.allowed_cidrs,
            "firewall allowed_cidrs is set but the firewall is off (enabled=False): the allow-list would "
            "not be enforced. Turn the firewall on, or clear the list.",
        )

    @property
    def rate_limit_per_second(self) -> float:
        """The rate limit as a steady rate, to compare with the API's throttles."""
        return self.rate_limit_per_5_minutes / WAF_RATE_WINDOW_SECONDS


@dataclass(frozen=True)
class DomainSettings:
    """A stable URL for the stage: a custom domain name in front of API Gateway's execute-api URL.

    Give the Route 53 hosted zone (id and name) the name belongs to, and the stack makes a DNS-validated
    certificate and the alias record; or give an existing ACM certificate (in the stage's region) and
    point the name at the stack's `DomainTarget` output yourself; or both (your certificate, our record).
    """

    domain_name: str
    hosted_zone_id: str | None = None
    zone_name: str | None = None
    certificate_arn: str | None = None
    # Where the API lives under the domain: None maps it at the root (https://NAME/v1/classify);
    # "classifier" gives https://NAME/classifier/v1/classify.
    base_path: str | None = None

    def __post_init__(self) -> None:
        _require(
            bool(_HOST_NAME.match(self.domain_name)),
            f"domain_name={self.domain_name!r}: a fully qualified host name in lower case, without "
            "scheme, path, trailing dot or wildcard, e.g. 'api.example.com'.",
        )
        _require(
            (self.hosted_zone_id is None) == (self.zone_name is None),
            "hosted_zone_id and zone_name go together: give both (the Route 53 zone of the domain), "
            "or neither.",
        )
        _require(
            self.hosted_zone_id is not None or self.certificate_arn is not None,
            f"domain {self.domain_name}: give the Route 53 hosted zone (hosted_zone_id and zone_name) to "
            "have a certificate and DNS record made, or the certificate_arn of an existing certificate.",
        )
        if self.hosted_zone_id is not None and self.zone_name is not None:
            _require(
                bool(_HOSTED_ZONE_ID.match(self.hosted_zone_id)),
                f"hosted_zone_id={self.hosted_zone_id!r}: a Route 53 zone ID, e.g. 'Z0123456789ABCDEFGHIJ'.",
            )
            zone = self.zone_name.rstrip(".")
            _require(
                self.domain_name == zone or self.domain_name.endswith("." + zone),
                f"domain_name={self.domain_name!r} is not inside zone_name={self.zone_name!r}.",
            )
        if self.certificate_arn is not None:
            _require(
                bool(_CERTIFICATE_ARN.match(self.certificate_arn)),
                f"certificate_arn={self.certificate_arn!r} is not an ACM certificate ARN "
                "(arn:aws:acm:REGION:ACCOUNT:certificate/ID).",
            )
        if self.base_path is not None:
            _require(
                bool(_BASE_PATH.match(self.base_path)),
                f"base_path={self.base_path!r}: one path segment without '/', of letters, digits and "
                "$_.+!*'()- (or None for the root).",
            )

    @property
    def url(self) -> str:
        """The stage's stable base URL, ending in '/' like API Gateway's own."""
        return f"https://{self.domain_name}/" + (f"{self.base_path}/" if self.base_path else "")


@dataclass(frozen=True)
class AlarmSettings:
    """When to page, and the alarms that also roll a deployment back."""

    email: str | None = None
    server_error_rate: float = 0.05  # share of API requests answered 5XX
    p99_latency_ms: int = 3000
    function_errors: int = 1  # invocations that raised or timed out
    throttles: int = 1
    period_seconds: int = 60
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 2
    # The model-quality alarms (infra_constructs/model_quality.py, thresholds from model.json's baseline):
    # hour-long periods, so that a median or a share rests on enough texts.
    quality_period_seconds: int = 3600
    quality_evaluation_periods: int = 3
    quality_min_texts: int = 20  # fewer texts in a period: no label share is judged
    label_share_factor: float = 2.0
    label_share_slack: float = 0.05

    def __post_init__(self) -> None:
        _require(0 < self.server_error_rate <= 1, "server_error_rate is a fraction between 0 and 1.")
        _require(
            self.period_seconds in (10, 30) or self.period_seconds % 60 == 0, "period: 10, 30 or n*60 s."
        )
        _require(
            1 <= self.datapoints_to_alarm <= self.evaluation_periods,
            "datapoints_to_alarm must be between 1 and evaluation_periods.",
        )
        _require(self.quality_period_seconds % 60 == 0, "quality_period_seconds: n*60 s.")
        _require(self.quality_evaluation_periods >= 1, "quality_evaluation_periods must be at least 1.")
        _require(self.label_share_factor >= 1, "label_share_factor must be at least 1.")
        if self.email is not None:
            _require(bool(_EMAIL.match(self.email)), f"alarm e-mail {self.email!r} is not an e-mail address.")


@dataclass(frozen=True)
class ModelMetric:
    """One metric the handler emits in CloudWatch embedded metric format, and how to chart it."""

    name: str
    statistic: str = "Average"


@dataclass(frozen=True)
class TelemetrySettings:
    """Where the handler's embedded metrics go (passed to it as environment variables), and what is charted.

    The handler puts every metric under one dimension, `service_dimension` = `service_name`. Every name
    comes from serving/app/contracts/metrics.py (`METRIC_NAMES`), the module the handler's telemetry emits
    them from; infrastructure/tests/test_shared_names.py runs the handler to check it.
    """

    namespace: str = METRIC_NAMES.DEFAULT_NAMESPACE
    service_name: str = METRIC_NAMES.DEFAULT_SERVICE_NAME
    model_metrics: tuple[ModelMetric, ...] = (
        ModelMetric(METRIC_NAMES.MODEL_LOAD_TIME, "Maximum"),
        ModelMetric(METRIC_NAMES.LATENCY, "p99"),
        ModelMetric(METRIC_NAMES.BATCH_SIZE, "Average"),
        ModelMetric(METRIC_NAMES.INPUT_CHARACTERS, "Average"),
        ModelMetric(METRIC_NAMES.CLIENT_ERROR, "Average"),
        ModelMetric(METRIC_NAMES.SERVER_ERROR, "Sum"),
    )

    @property
    def service_dimension(self) -> str:
        """The handler's one dimension: not a setting, the handler decides it."""
        return METRIC_NAMES.SERVICE_DIMENSION

    def __post_init__(self) -> None:
        unknown = [m.name for m in self.model_metrics if m.name not in METRIC_NAMES.UNITS]
        _require(
            not unknown,
            f"model_metrics {unknown}: the handler emits only {sorted(METRIC_NAMES.UNITS)} "
            f"(serving/app/contracts/metrics.py).",
        )


@dataclass(frozen=True)
class ServiceSettings:
    """Everything one stage (dev, prod, ...) of the service stack is built from."""

    stage: str
    function: FunctionSettings = field(default_factory=FunctionSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    alarms: AlarmSettings = field(default_factory=AlarmSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    firewall: FirewallSettings = field(default_factory=FirewallSettings)
    # None: clients use API Gateway's execute-api URL.
    domain: DomainSettings | None = None
    traffic_shift: TrafficShift = "CANARY_10_PERCENT_5_MINUTES"
    tracing: bool = False  # AWS X-Ray on the API stage and the function
    # CloudFormation then refuses to delete the stack until protection is turned off by hand.
    termination_protection: bool = False
    # Opt-in capture of classified texts (docs/monitoring.md, "Capture"): the share of texts the handler
    # writes as capture lines, which a subscription filter and Firehose keep in the stage's capture
    # bucket for `capture_retention_days`. 0 (the default) is off: none of its resources exist.
    capture_rate: float = 0.0
    capture_retention_days: int = 30

    def __post_init__(self) -> None:
        _require(
            isinstance(self.capture_rate, int | float)
            and not isinstance(self.capture_rate, bool)
            and 0 <= self.capture_rate <= 1,
            f"stage {self.stage}: capture_rate={self.capture_rate!r}: the share of classified texts to "
            "capture, a number from 0 (off) to 1 (every text), e.g. 0.01.",
        )
        _require(
            isinstance(self.capture_retention_days, int)
            and not isinstance(self.capture_retention_days, bool)
            and self.capture_retention_days >= 1,
            f"stage {self.stage}: capture_retention_days={self.capture_retention_days!r}: how many days "
            "captured texts are kept, a whole number of at least 1.",
        )
        _require(
            self.traffic_shift in get_args(TrafficShift),
            f"traffic_shift={self.traffic_shift!r}: choose one of {get_args(TrafficShift)}.",
        )
        _require(
            bool(_STAGE_NAME.match(self.stage)),
            f"stage {self.stage!r}: use 1-20 lowercase letters, digits or '-', starting with a letter.",
        )
        if self.firewall.enabled:
            # A client may use its whole key rate from one address: the firewall must not refuse
            # (403) what the usage plan allows, or the client sees a firewall block instead of a 429.
            _require(
                self.firewall.rate_limit_per_second >= self.api.key_rate_limit,
                f"stage {self.stage}: firewall rate_limit_per_5_minutes="
                f"{self.firewall.rate_limit_per_5_minutes} is below what one API key may send "
                f"({self.api.key_rate_limit:g}/s = "
                f"{self.api.key_rate_limit * WAF_RATE_WINDOW_SECONDS:g} per 5 minutes): raise it, or lower "
                "api.key_rate_limit.",
            )


@dataclass(frozen=True)
class GitHubSettings:
    """Which GitHub repository's workflows may assume the CI roles, and from which events.

    The roles trust the token subjects GitHub writes today (`infra_constructs/github_subjects.py`):
    `repo:OWNER@OWNER_ID/REPO@REPO_ID:...`, which needs the two numeric IDs, and the names-only
    `repo:OWNER/REPO:...` only with `legacy_subjects` (a repository that has not moved to immutable
    subject claims). `make bootstrap` finds the IDs and the format with `gh`, or says how to.
    """

    # `owner/repo`. None creates no role at all: nothing can be assumed until it is set.
    repository: str | None = None
    # GitHub's immutable IDs of the owner and the repository: `gh api repos/OWNER/REPO --jq '.owner.id, .id'`.
    owner_id: str | None = None
    repository_id: str | None = None
    # Trust the legacy names-only subjects too: only for a repository whose tokens still carry them.
    legacy_subjects: bool = False
    # ARN of the account's existing `token.actions.githubusercontent.com` provider; None creates one
    # (an account holds at most one provider per URL).
    oidc_provider_arn: str | None = None
    # The branch whose test jobs (no environment) may read the DVC remote, besides pull requests.
    deploy_branch: str = "main"
    # The stages deployed from GitHub: one deploy role each, trusted only by jobs that run in the GitHub
    # environment of that name (their tokens carry `environment:NAME` instead of the branch).
    deploy_environments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.repository is not None:
            _require(
                bool(_GITHUB_REPOSITORY.match(self.repository)),
                f"github_repository={self.repository!r}: expected exactly 'owner/repo' (no wildcards).",
            )
        for key, value in (("github_owner_id", self.owner_id), ("github_repository_id", self.repository_id)):
            if value is not None:
                _require(
                    bool(NUMERIC_ID.match(value)),
                    f"{key}={value!r}: GitHub's numeric ID, e.g. from "
                    f"`gh api repos/{self.repository or 'OWNER/REPO'} --jq '.owner.id, .id'`.",
                )
        _require(
            (self.owner_id is None) == (self.repository_id is None),
            "github_owner_id and github_repository_id go together: set both (or neither).",
        )
        _require(
            self.owner_id is None or self.repository is not None,
            "github_owner_id/github_repository_id are set without github_repository=owner/repo.",
        )
        if self.oidc_provider_arn is not None:
            _require(
                self.oidc_provider_arn.startswith("arn:")
                and self.oidc_provider_arn.endswith(":oidc-provider/token.actions.githubusercontent.com"),
                f"github_oidc_provider_arn={self.oidc_provider_arn!r} is not a GitHub OIDC provider ARN.",
            )
        _require(
            bool(self.deploy_branch) and "*" not in self.deploy_branch and "?" not in self.deploy_branch,
            f"github_deploy_branch={self.deploy_branch!r}: give an exact branch name, without wildcards.",
        )
        for name in self.deploy_environments:
            _require(
                bool(_STAGE_NAME.match(name)),
                f"github_deploy_environments: {name!r} must name a stage (its GitHub environment has the "
                "same name): 1-20 lowercase letters, digits or '-', starting with a letter.",
            )

    @property
    def identity(self) -> GitHubRepository | None:
        """The repository as its tokens name it; None until the repository and both IDs are set."""
        if self.repository is None or self.owner_id is None or self.repository_id is None:
            return None
        return GitHubRepository(self.repository, self.owner_id, self.repository_id)


@dataclass(frozen=True)
class DataSettings:
    """The once-per-account stack: the DVC remote bucket and the keyless CI roles."""

    github: GitHubSettings = field(default_factory=GitHubSettings)
    dvc_prefix: str = "dvc"  # the DVC remote is s3://<bucket>/<dvc_prefix>
    noncurrent_version_days: int = 90  # how long an overwritten or deleted object stays recoverable
    access_log_days: int = 365
    # Qualifier of the `cdk bootstrap` roles the deploy role may assume (CDK's default).
    cdk_bootstrap_qualifier: str = CDK_BOOTSTRAP_QUALIFIER
    # Sets the account's API Gateway CloudWatch role, which stage logging needs (one setting per account
    # and region, shared by every REST API there). Off (`-c api_gateway_logging_role=false`) leaves the
    # account's role alone: for an account where something else already manages it.
    manage_api_gateway_logging_role: bool = True
    termination_protection: bool = True

    def __post_init__(self) -> None:
        _require(
            bool(re.match(r"^[a-z0-9][a-z0-9/_-]*[a-z0-9]$", self.dvc_prefix)),
            "dvc_prefix: a plain key prefix such as 'dvc', without leading or trailing '/'.",
        )
        _require(self.noncurrent_version_days >= 1, "noncurrent_version_days must be at least 1.")
        _require(self.access_log_days >= 1, "access_log_days must be at least 1.")
        _require(
            bool(re.match(r"^[a-z0-9]{1,10}$", self.cdk_bootstrap_qualifier)),
            "cdk_bootstrap_qualifier: up to 10 lowercase letters or digits, as `cdk bootstrap` requires.",
        )
