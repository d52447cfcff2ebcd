"""Deleting a bucket: emptied first when the plan says so (force_destroy), every object
version and delete marker 1000 per call, multipart uploads aborted; then DeleteBucket."""

from __future__ import annotations

from typing import Any

from awsprov.aws import errors
from awsprov.aws.waiters import botocore_wait
from awsprov.errors import AwsprovError
from awsprov.resources.base import Deletion, Live, Progress
from awsprov.resources.s3_bucket.live import details_of
from awsprov.resources.s3_bucket.writes import client_of

DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys


def delete(aws, live: Live, how: Deletion, progress: Progress) -> None:
    s3 = client_of(aws, live)
    if how.empty_first:
        empty_bucket(s3, live.name, details_of(live).object_lock_enabled, progress)
    progress("DeleteBucket")
    try:
        s3.delete_bucket(Bucket=live.name)
    except errors.ClientError as exc:
        if errors.is_code(exc, "NoSuchBucket"):
            return
        if errors.is_code(exc, "BucketNotEmpty"):
            raise AwsprovError(f"bucket {live.name} is not empty (objects were written "
                               f"after the plan): not deleted") from None
        raise
    progress("waiting: bucket gone")
    botocore_wait(s3, "bucket_not_exists", aws.wait, Bucket=live.name)


def empty_bucket(s3, name: str, locked: bool, progress: Progress) -> None:
    """Delete every object version and delete marker (force_destroy), 1000 per call.
    Governance-mode retention is bypassed; compliance-mode retention cannot be, and stops
    the delete with the count of what is left."""
    removed = 0
    while True:
        page = s3.list_object_versions(Bucket=name, MaxKeys=DELETE_BATCH)
        entries = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                   for v in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])]
        if not entries:
            break
        progress(f"DeleteObjects ({len(entries)} versions and markers; {removed} so far)")
        request: dict[str, Any] = {"Bucket": name,
                                   "Delete": {"Objects": entries, "Quiet": True}}
        if locked:
            request["BypassGovernanceRetention"] = True
        failed = s3.delete_objects(**request).get("Errors") or []
        if failed:
            first = failed[0]
            raise AwsprovError(f"bucket {name}: {len(failed)} versions could not be deleted "
                               f"({first.get('Code')}: {first.get('Message')}, e.g. "
                               f"{first.get('Key')}); the bucket is kept")
        removed += len(entries)
    uploads = s3.list_multipart_uploads(Bucket=name).get("Uploads") or []
    for upload in uploads:
        s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    if removed or uploads:
        progress(f"emptied: {removed} versions and markers, {len(uploads)} uploads aborted")
