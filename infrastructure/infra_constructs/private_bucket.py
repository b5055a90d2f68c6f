"""What every bucket of the app shares: private, encrypted, TLS-only, and kept when its stack goes."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_s3 as s3


def private_bucket_options() -> dict[str, object]:
    """No public access, no ACLs, SSE-S3 encryption (encrypted at rest at no cost; server access logs can
    only be delivered to SSE-S3 buckets), TLS-only. Retained when the stack is deleted (or capture turned
    off): a bucket holding objects cannot be deleted, and a lifecycle rule goes on emptying it."""
    return {
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
        "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        "encryption": s3.BucketEncryption.S3_MANAGED,
        "enforce_ssl": True,
        "removal_policy": RemovalPolicy.RETAIN,
    }
