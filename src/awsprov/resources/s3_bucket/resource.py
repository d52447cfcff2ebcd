"""The S3Bucket type: the contract's hooks, each handing over to the module that does
the work (settings, checks, api, writes, empty)."""

from __future__ import annotations

from typing import Any

from awsprov.core.changes import AttributeChange, BaselineFinding
from awsprov.cost import s3 as pricing
from awsprov.resources.base import (
    Deletion,
    Desired,
    Live,
    Problem,
    Progress,
    ResourceType,
    leaf_diff,
)
from awsprov.resources.s3_bucket import api, checks, empty, settings, tls, writes
from awsprov.resources.s3_bucket.live import BucketLive, details_of
from awsprov.resources.s3_bucket.settings import CREATING_TAG


class S3Bucket(ResourceType):
    section = "buckets"
    kind = "S3 bucket"
    service = "s3"
    tagging_type = "s3"
    holds_data = True
    reference_attributes = ("arn", "name", "domain_name")
    props = settings.PROPS
    permissions = {
        "read": ("s3:ListBucket", "s3:GetBucketVersioning", "s3:GetEncryptionConfiguration",
                 "s3:GetBucketPublicAccessBlock", "s3:GetBucketOwnershipControls",
                 "s3:GetBucketPolicy", "s3:GetLifecycleConfiguration", "s3:GetBucketCORS",
                 "s3:GetBucketObjectLockConfiguration", "s3:GetBucketLogging",
                 "s3:GetBucketTagging", "s3:ListBucketVersions"),
        "write": ("s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketVersioning",
                  "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock",
                  "s3:PutBucketOwnershipControls", "s3:PutBucketPolicy",
                  "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration",
                  "s3:PutBucketCORS", "s3:PutBucketObjectLockConfiguration",
                  "s3:PutBucketLogging", "s3:PutBucketTagging", "s3:TagResource",
                  "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention",
                  "s3:ListBucketMultipartUploads", "s3:AbortMultipartUpload"),
    }
    usage_properties = pricing.USAGE_PROPERTIES

    def cost(self, props, usage, prices):
        return pricing.bucket_cost(props, usage, prices)

    # ---- pure --------------------------------------------------------------------------

    def check(self, props: dict[str, Any]) -> list[Problem]:
        return checks.check(props)

    def check_stack(self, address: str, props: dict[str, Any], stack) -> list[Problem]:
        return checks.check_stack(self.section, props, stack)

    def desired_state(self, props: dict[str, Any]) -> dict[str, Any]:
        return settings.desired_state(props)

    def diff(self, desired: Desired, live: Live) -> list[AttributeChange]:
        changes: list[AttributeChange] = []
        ignore = set(desired.ignore)
        if "lifecycle" in ignore:  # the minimum size is part of the lifecycle document
            ignore.add("lifecycle_min_object_size")
        for key, after in desired.state.items():
            if key in ignore:
                continue
            before = live.state.get(key)
            if key == "policy":
                if "enforce_tls" in desired.ignore:  # the TLS statement lives in the policy
                    continue
                if not tls.same_policy(before, after):
                    changes.append(AttributeChange("policy", before, after))
                continue
            kind = checks.field_kind(key, before, after, live)
            changes.extend(AttributeChange(p, b, a, kind)
                           for p, b, a in leaf_diff(key, before, after))
        if details_of(live).creating:
            changes.append(AttributeChange(f"tags.{CREATING_TAG}", "true", None,
                                           note="an earlier apply stopped mid-create"))
        return changes

    def refusal(self, desired: Desired, live: Live,
                changes: list[AttributeChange]) -> str | None:
        return checks.refusal(desired, live, changes)

    def change_notes(self, desired: Desired, live: Live,
                     changes: list[AttributeChange]) -> list[str]:
        return checks.change_notes(changes)

    def data_loss(self, desired: Desired, live: Live,
                  changes: list[AttributeChange]) -> list[str]:
        return checks.data_loss(desired, live, changes)

    def deletion(self, live: Live, props: dict[str, Any] | None) -> Deletion:
        return checks.deletion(live, props)

    def baseline(self, live: Live) -> list[BaselineFinding]:
        return checks.baseline(live)

    def name_from_arn(self, arn: str) -> str:
        return arn.rsplit(":", 1)[-1]

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        arn = tls.bucket_arn(name, region)
        return [arn, f"{arn}/*"]

    def export(self, live: Live) -> dict[str, Any]:
        return settings.export(live.name, live.state, live.tags)

    # ---- AWS ---------------------------------------------------------------------------

    def read(self, aws, name: str, owner=None) -> BucketLive | None:
        return api.read(aws, name, owner)

    def create(self, aws, desired: Desired, progress: Progress) -> None:
        writes.create(self, aws, desired, progress)

    def update(self, aws, desired: Desired, live: Live, changes: list[AttributeChange],
               progress: Progress) -> None:
        writes.update(aws, desired, live, changes, progress)

    def delete(self, aws, live: Live, how: Deletion, progress: Progress) -> None:
        empty.delete(aws, live, how, progress)

    def set_tags(self, aws, live: Live, tags: dict[str, str]) -> None:
        writes.set_tags(aws, live, tags)
