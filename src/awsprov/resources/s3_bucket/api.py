"""Reading a bucket: HeadBucket, then ten independent sub-reads run concurrently
(versioning, encryption, public access block, ownership, policy, lifecycle, CORS, object
lock, logging, tags), so a no-op plan of one bucket costs about two round trips, not
eleven. The listing of what it holds waits until someone asks (live.Contents)."""

from __future__ import annotations

from typing import Any

from awsprov.aws import errors
from awsprov.aws.waiters import retry_when
from awsprov.errors import AwsprovError
from awsprov.resources import tags as tagging
from awsprov.resources.s3_bucket import settings
from awsprov.resources.s3_bucket.lifecycle import DEFAULT_MIN_OBJECT_SIZE
from awsprov.resources.s3_bucket.live import BucketDetails, BucketLive, Contents, ObjectCount
from awsprov.resources.s3_bucket.tls import bucket_arn

# A bounded listing: the plan says "≥ 10,000 objects" rather than scanning a huge bucket.
COUNT_PAGE_SIZE = 1000
COUNT_MAX_PAGES = 10
# Right after CreateBucket, sub-reads may answer NoSuchBucket for a while (TF
# retryWhenNoSuchBucketError; s3BucketPropagationTimeout 2 min).
BUCKET_PROPAGATION_TIMEOUT = 120


def head_bucket(s3, name: str) -> dict | None:
    """HeadBucket: None when no such bucket; a clear error when someone else owns it."""
    try:
        return s3.head_bucket(Bucket=name)
    except errors.ClientError as exc:
        if errors.is_code(exc, "404", "NoSuchBucket", "NotFound"):
            return None
        if errors.is_code(exc, "403", "AccessDenied", "Forbidden"):
            raise AwsprovError(f"bucket '{name}' exists but HeadBucket is denied: another "
                               f"AWS account owns that name (bucket names are global), or "
                               f"these credentials lack s3:ListBucket on it") from None
        raise


def read(aws, name: str, owner=None) -> BucketLive | None:
    head = head_bucket(aws.client("s3"), name)
    if head is None:
        return None
    region = head.get("BucketRegion") or aws.region
    if region != aws.region and owner is None:
        return None  # an orphan search looks at this region's buckets only
    s3 = aws.client("s3", region)
    futures = {key: aws.sub_reads.start(_settled_read, reader, s3, name, aws.wait)
               for key, reader in SUB_READS.items()}
    answers = {key: future.result() for key, future in futures.items()}
    return live_of(name, region, aws.region, answers,
                   lister=lambda: count_objects(s3, name))


def live_of(name: str, region: str, stack_region: str, answers: dict[str, Any],
            lister=None) -> BucketLive:
    """The live bucket from its sub-reads' answers; `lister` lists what it holds."""
    all_tags = answers["tags"]
    arn = bucket_arn(name, region)
    details = BucketDetails(region=region, stack_region=stack_region,
                            creating=all_tags.get(settings.CREATING_TAG) == "true",
                            versioning_status=answers["versioning"],
                            object_lock_enabled=answers["object_lock"] is not None,
                            contents=Contents(lister))
    return BucketLive(
        name=name, arn=arn, state=settings.live_state(answers),
        tags={k: v for k, v in all_tags.items() if k not in settings.MARKER_TAGS},
        attributes={"arn": arn, "name": name,
                    "domain_name": f"{name}.s3.{region}.amazonaws.com"},
        details=details)


def _optional(call, *missing: str) -> Any:
    """A sub-read whose 'not configured' error means None."""
    try:
        return call()
    except errors.ClientError as exc:
        if errors.is_code(exc, *missing):
            return None
        raise


def _settled_read(reader, s3, name: str, wait) -> Any:
    # "HeadBucket can occasionally return no error after a bucket has been deleted" and
    # sub-reads right after CreateBucket may answer NoSuchBucket: retry, bounded.
    return retry_when(lambda: reader(s3, name), ("NoSuchBucket",), f"{name} readable",
                      wait, timeout=BUCKET_PROPAGATION_TIMEOUT)


def _read_versioning(s3, name: str) -> str | None:
    return s3.get_bucket_versioning(Bucket=name).get("Status")


def _read_encryption(s3, name: str) -> dict | None:
    result = _optional(lambda: s3.get_bucket_encryption(Bucket=name),
                       "ServerSideEncryptionConfigurationNotFoundError")
    return result["ServerSideEncryptionConfiguration"] if result else None


def _read_pab(s3, name: str) -> dict | None:
    result = _optional(lambda: s3.get_public_access_block(Bucket=name),
                       "NoSuchPublicAccessBlockConfiguration")
    return result["PublicAccessBlockConfiguration"] if result else None


def _read_ownership(s3, name: str) -> str | None:
    result = _optional(lambda: s3.get_bucket_ownership_controls(Bucket=name),
                       "OwnershipControlsNotFoundError")
    rules = (result or {}).get("OwnershipControls", {}).get("Rules") or []
    return rules[0].get("ObjectOwnership") if rules else None


def _read_policy(s3, name: str) -> str | None:
    result = _optional(lambda: s3.get_bucket_policy(Bucket=name), "NoSuchBucketPolicy")
    return result["Policy"] if result else None


def read_lifecycle(s3, name: str) -> dict | None:
    result = _optional(lambda: s3.get_bucket_lifecycle_configuration(Bucket=name),
                       "NoSuchLifecycleConfiguration")
    if not result or not result.get("Rules"):
        return None
    return {"Rules": result["Rules"], "TransitionDefaultMinimumObjectSize":
            result.get("TransitionDefaultMinimumObjectSize", DEFAULT_MIN_OBJECT_SIZE)}


def _read_cors(s3, name: str) -> list | None:
    result = _optional(lambda: s3.get_bucket_cors(Bucket=name), "NoSuchCORSConfiguration")
    return result.get("CORSRules") if result else None


def read_lock(s3, name: str) -> dict | None:
    result = _optional(lambda: s3.get_object_lock_configuration(Bucket=name),
                       "ObjectLockConfigurationNotFoundError")
    config = (result or {}).get("ObjectLockConfiguration")
    return config if config and config.get("ObjectLockEnabled") == "Enabled" else None


def _read_logging(s3, name: str) -> dict:
    return s3.get_bucket_logging(Bucket=name)


def _read_tags(s3, name: str) -> dict[str, str]:
    result = _optional(lambda: s3.get_bucket_tagging(Bucket=name), "NoSuchTagSet")
    return tagging.as_dict((result or {}).get("TagSet"))


SUB_READS = {
    "versioning": _read_versioning, "encryption": _read_encryption,
    "public_access_block": _read_pab, "ownership": _read_ownership, "policy": _read_policy,
    "lifecycle": read_lifecycle, "cors": _read_cors, "object_lock": read_lock,
    "logging": _read_logging, "tags": _read_tags,
}


def count_objects(s3, name: str) -> ObjectCount:
    objects = versions = markers = size = 0
    kwargs: dict[str, Any] = {"Bucket": name, "MaxKeys": COUNT_PAGE_SIZE}
    for _ in range(COUNT_MAX_PAGES):
        page = s3.list_object_versions(**kwargs)
        for version in page.get("Versions") or []:
            versions += 1
            size += version.get("Size", 0)
            objects += 1 if version.get("IsLatest") else 0
        markers += len(page.get("DeleteMarkers") or [])
        if not page.get("IsTruncated"):
            return ObjectCount(objects, versions, markers, size, complete=True)
        kwargs["KeyMarker"] = page.get("NextKeyMarker")
        kwargs["VersionIdMarker"] = page.get("NextVersionIdMarker")
    return ObjectCount(objects, versions, markers, size, complete=False)
