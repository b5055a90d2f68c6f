"""The S3 bucket behind the DVC remote: private, versioned, encrypted, TLS-only, kept on delete."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_constructs.checkov_skips import skip_check
from infra_constructs.private_bucket import private_bucket_options


class DvcBucket(Construct):
    """The DVC remote bucket and the bucket receiving its server access logs.

    Models and data are the project's memory: the bucket outlives the stack (RETAIN), and an
    overwritten or deleted object stays recoverable for `noncurrent_version_days` before it expires.
    Access logs record who pulled or pushed what; that bucket is versioned too, so a deleted or
    overwritten log also stays recoverable for `noncurrent_version_days` (logs expire after
    `access_log_days`, then linger that long as old versions).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        noncurrent_version_days: int,
        access_log_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            **private_bucket_options(),
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-logs",
                    expiration=Duration.days(access_log_days),
                    noncurrent_version_expiration=Duration.days(noncurrent_version_days),
                )
            ],
        )
        skip_check(
            self.access_logs,
            "CKV_AWS_18",
            "This bucket is the access-log destination itself: logging it into itself would log every "
            "log delivery, and into another bucket only moves the question. Its writer is the S3 "
            "logging service alone.",
        )
        self.bucket = s3.Bucket(
            self,
            "Remote",
            **private_bucket_options(),
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="dvc-remote/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-old-versions",
                    noncurrent_version_expiration=Duration.days(noncurrent_version_days),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                    expired_object_delete_marker=True,
                )
            ],
        )
