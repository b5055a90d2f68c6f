"""Opt-in capture delivery: the function's capture lines, from its log group to a private, expiring bucket.

The handler writes a sampled share of the texts it classifies as JSON log lines (serving/app/capture.py,
the format in serving/app/contracts/capture.py) and makes no network call for it. Here a CloudWatch Logs
subscription filter selects those lines (`FILTER_PATTERN`) and hands them to a Kinesis Data Firehose
stream, which unpacks them and writes them, gzip-compressed, to the stage's capture bucket under one
prefix per UTC day (`FIREHOSE_PREFIX`), where `make drift` and `make relabel` read them.

Only built when the stage's `capture_rate` is above 0. Texts may be personal data: the bucket blocks
public access, refuses plain HTTP, is encrypted (SSE-S3, as the DVC remote) and expires every object
after `capture_retention_days`; it is not versioned, so an expired text leaves no old version behind. Its
server access logs record every read. Two roles can write, each to one thing: CloudWatch Logs to this
stream, Firehose to this bucket's two prefixes. Nobody is granted read here: reading takes an
account principal whose own IAM policy allows it (docs/monitoring.md, "Capture").
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_constructs.checkov_skips import skip_check
from infra_constructs.nag import acknowledge
from infra_constructs.private_bucket import private_bucket_options
from serving.app.contracts import capture as contract

# What Firehose names its objects (`ExtendedS3DestinationConfiguration.FileExtension`): gzip JSON lines;
# monitoring.captures decompresses names ending in `.gz`.
FILE_EXTENSION = ".jsonl.gz"
# The key prefixes Firehose may write under: captures, and what it could not deliver or process.
CAPTURE_KEY_ROOT = contract.KEY_PREFIX
ERROR_KEY_ROOT = contract.FIREHOSE_ERROR_PREFIX.split("!", 1)[0]
# Access logs say who read which captured text; kept longer than the texts themselves.
ACCESS_LOG_DAYS = 365

# Firehose's processing of CloudWatch Logs records, as the AWS::KinesisFirehose::DeliveryStream Processor
# and ProcessorParameter properties spell it (CloudFormation user guide; the same parameters the CDK's
# DecompressionProcessor and CloudWatchLogProcessor produce): the subscription delivers gzip-compressed
# batches of log events; `Decompression` unpacks them, `CloudWatchLogProcessing` with
# `DataMessageExtraction` keeps only each event's message (the capture line itself), and
# `AppendDelimiterToRecord` ends each record with a newline, so that objects hold one JSON line per capture
# (Firehose concatenates records without a delimiter otherwise: "Data Delivery Format", Firehose
# developer guide).
PROCESSORS = [
    firehose.CfnDeliveryStream.ProcessorProperty(
        type="Decompression",
        parameters=[
            firehose.CfnDeliveryStream.ProcessorParameterProperty(
                parameter_name="CompressionFormat", parameter_value="GZIP"
            )
        ],
    ),
    firehose.CfnDeliveryStream.ProcessorProperty(
        type="CloudWatchLogProcessing",
        parameters=[
            firehose.CfnDeliveryStream.ProcessorParameterProperty(
                parameter_name="DataMessageExtraction", parameter_value="true"
            )
        ],
    ),
    firehose.CfnDeliveryStream.ProcessorProperty(type="AppendDelimiterToRecord"),
]


class ModelCapture(Construct):
    """The capture bucket, the Firehose stream writing to it and the subscription filter feeding it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_group: logs.ILogGroup,
        retention_days: int,
        stage: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = self._access_log_bucket()
        self.bucket = self._capture_bucket(retention_days)
        delivery_role = iam.Role(
            self,
            "DeliveryRole",
            # The confused-deputy guard Firehose documents for its role: only this account's streams.
            assumed_by=iam.ServicePrincipal(
                "firehose.amazonaws.com", conditions={"StringEquals": {"sts:ExternalId": Aws.ACCOUNT_ID}}
            ),
            description=f"Firehose writes the text classifier's captures ({stage}) to their bucket.",
        )
        delivery_policy = iam.Policy(
            self,
            "DeliveryPolicy",
            roles=[delivery_role],
            statements=[
                iam.PolicyStatement(
                    actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                    resources=[self.bucket.bucket_arn],
                ),
                iam.PolicyStatement(
                    actions=["s3:AbortMultipartUpload", "s3:PutObject"],
                    resources=[
                        self.bucket.arn_for_objects(CAPTURE_KEY_ROOT + "*"),
                        self.bucket.arn_for_objects(ERROR_KEY_ROOT + "*"),
                    ],
                ),
            ],
        )
        bucket_id = Stack.of(self).get_logical_id(self.bucket.node.default_child)
        for root in (CAPTURE_KEY_ROOT, ERROR_KEY_ROOT):
            acknowledge(
                delivery_policy,
                f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{root}*]",
                "Firehose names each object it delivers (date prefix, stream name, time, random part), so "
                "writing needs a key wildcard; it is limited to one prefix of this one bucket.",
            )
        self.stream = firehose.CfnDeliveryStream(
            self,
            "Stream",
            delivery_stream_type="DirectPut",
            delivery_stream_encryption_configuration_input=firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty(
                key_type="AWS_OWNED_CMK"
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=self.bucket.bucket_arn,
                role_arn=delivery_role.role_arn,
                prefix=contract.FIREHOSE_PREFIX,
                error_output_prefix=contract.FIREHOSE_ERROR_PREFIX,
                compression_format="GZIP",
                file_extension=FILE_EXTENSION,
                processing_configuration=firehose.CfnDeliveryStream.ProcessingConfigurationProperty(
                    enabled=True, processors=PROCESSORS
                ),
            ),
        )
        self.stream.node.add_dependency(delivery_policy)  # it can write before it receives anything
        skip_check(
            self.stream,
            "CKV_AWS_241",
            "The stream is encrypted at rest with an AWS-owned key; the bucket it writes to is encrypted "
            "too. A customer-managed KMS key would add a monthly fee and a key policy without narrowing "
            "who can read the captures: that is decided by IAM on the bucket.",
        )
        self.subscription_role = iam.Role(
            self,
            "SubscriptionRole",
            # CloudWatch Logs assumes it for subscriptions of this account only (the trust policy of the
            # CloudWatch Logs user guide's "Subscription filters with Amazon Data Firehose").
            assumed_by=iam.ServicePrincipal(
                "logs.amazonaws.com",
                conditions={
                    "StringLike": {
                        "aws:SourceArn": f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:*"
                    },
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                },
            ),
            description=f"CloudWatch Logs sends the text classifier's capture lines ({stage}) to Firehose.",
        )
        subscription_policy = iam.Policy(
            self,
            "SubscriptionPolicy",
            roles=[self.subscription_role],
            statements=[
                iam.PolicyStatement(
                    actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
                    resources=[self.stream.attr_arn],
                )
            ],
        )
        self.subscription = logs.CfnSubscriptionFilter(
            self,
            "Subscription",
            log_group_name=log_group.log_group_name,
            filter_pattern=contract.FILTER_PATTERN,
            destination_arn=self.stream.attr_arn,
            role_arn=self.subscription_role.role_arn,
        )
        # CloudWatch Logs checks, when the filter is created, that the role may put records.
        self.subscription.node.add_dependency(subscription_policy)

    def _capture_bucket(self, retention_days: int) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "Bucket",
            **private_bucket_options(),
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="capture-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-captures",
                    expiration=Duration.days(retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )
        skip_check(
            bucket,
            "CKV_AWS_21",
            "Not versioned on purpose: captured texts must be gone after capture_retention_days, and "
            "versioning would keep every deleted or expired text as an old version.",
        )
        return bucket

    def _access_log_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            **private_bucket_options(),
            lifecycle_rules=[s3.LifecycleRule(id="expire-logs", expiration=Duration.days(ACCESS_LOG_DAYS))],
        )
        skip_check(
            bucket,
            "CKV_AWS_18",
            "This bucket is the access-log destination itself: logging it into itself would log every "
            "log delivery, and into another bucket only moves the question. Its writer is the S3 "
            "logging service alone.",
        )
        skip_check(
            bucket,
            "CKV_AWS_21",
            "Access logs are written once by the S3 logging service and expire after a year; nothing "
            "overwrites them, so versioning would only keep expired logs longer.",
        )
        return bucket
