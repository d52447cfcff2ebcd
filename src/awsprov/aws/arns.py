"""ARNs in the partition of their region (aws, aws-cn, aws-us-gov, ...), built offline.

iam-policy, cost-estimate and plan's checks run without AWS calls, so the partition comes
from the region's name, the way botocore's endpoint data groups regions.
"""

from __future__ import annotations

DEFAULT_PARTITION = "aws"
# Longest prefix first: us-isob- is not us-iso-.
_PARTITION_BY_PREFIX = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
)


def partition_of(region: str | None) -> str:
    """The partition of a region name; `aws` for no region or a wildcard."""
    for prefix, partition in _PARTITION_BY_PREFIX:
        if (region or "").startswith(prefix):
            return partition
    return DEFAULT_PARTITION


def make_arn(service: str, region: str, account: str, resource: str,
        partition_region: str | None = None) -> str:
    """`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`. A global resource's ARN has no
    region ("") but lives in the partition of `partition_region` (the stack's region)."""
    partition = partition_of(partition_region if partition_region is not None else region)
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"
