"""Writing a bucket: CreateBucket, then the per-setting PUT/DELETE phases and their waits.

Writes run in an order AWS accepts: tags (first, so a converge cut short leaves a bucket
this stack owns) → ownership → versioning → object lock → encryption →
public access block → policy (a public policy is refused with 403 while the block is on,
TF #31363) → lifecycle → CORS → logging. Create is CreateBucket (tags, ownership and
object lock in the call itself), then the same converge step against what AWS reports, so
a new bucket on real AWS (SSE-S3, block on, BucketOwnerEnforced already) gets no write for
those, and one on an emulator that lacks the defaults gets them set."""

from __future__ import annotations

import dataclasses
from typing import Any

from awsprov.aws import errors
from awsprov.aws.waiters import botocore_wait, retry_when, visible, wait_until
from awsprov.core.changes import AttributeChange, is_unknown
from awsprov.errors import AwsprovError
from awsprov.resources import policy as policies
from awsprov.resources import tags as tagging
from awsprov.resources.base import Desired, Live, Progress, leaf_diff
from awsprov.resources.s3_bucket import api, lifecycle
from awsprov.resources.s3_bucket.live import details_of
from awsprov.resources.s3_bucket.settings import CREATING_TAG, FORCE_DESTROY_TAG, PAB_FLAGS

# Versioning and lifecycle reads lag their writes (TF bucketVersioningStableTimeout 1 min,
# lifecycleConfigurationRulesSteadyTimeout 2 min); how many lifecycle reads must agree,
# and how far apart: waiters.CONFIRMATIONS["s3.lifecycle"].
VERSIONING_STABLE_TIMEOUT = 60
LIFECYCLE_STEADY_TIMEOUT = 180
PUBLIC_POLICY_TIMEOUT = 60


def client_of(aws, live: Live):
    """An S3 client in the bucket's own region."""
    return aws.client("s3", details_of(live).region or aws.region)


# ---- create ------------------------------------------------------------------------------

def create(bucket, aws, desired: Desired, progress: Progress) -> None:
    """CreateBucket unless an earlier apply did, then converge what AWS reports to
    `desired` through `bucket` (the S3Bucket: its diff and update)."""
    s3 = aws.client("s3")
    name, state = desired.name, desired.state
    if api.head_bucket(s3, name) is None:
        _create_bucket(aws, desired, progress)
    else:
        # In us-east-1 CreateBucket on a bucket we own succeeds and resets its ACLs:
        # never send it twice (a killed apply, run again, lands here).
        progress("bucket already exists (an earlier apply); converging it")
    progress("waiting: bucket exists")
    botocore_wait(s3, "bucket_exists", aws.wait, Bucket=name)
    live = bucket.read(aws, name)
    if live is None:
        raise AwsprovError(f"bucket {name} vanished right after CreateBucket")
    desired = dataclasses.replace(desired, ignore=frozenset())  # ignored once it exists
    changes = bucket.diff(desired, live) + [
        AttributeChange(p, b, a) for p, b, a in leaf_diff("tags", live.tags, desired.tags)]
    if state["object_lock"] and live.state["object_lock"] is None and \
            not live.details.creating:
        raise AwsprovError(f"bucket {name} exists without object lock; enabling it on an "
                           f"existing bucket needs apply --allow-irreversible")
    live = dataclasses.replace(live, details=dataclasses.replace(live.details, creating=True))
    # Right after CreateBucket its configuration writes may answer NoSuchBucket; each
    # is a PUT of the desired setting, so the whole converge step is safe to repeat.
    visible("s3.bucket", lambda: bucket.update(aws, desired, live, changes, progress),
            f"{name} writable after CreateBucket", aws.wait)


def _create_bucket(aws, desired: Desired, progress: Progress) -> None:
    s3 = aws.client("s3")
    configuration: dict[str, Any] = {
        "Tags": tagging.as_pairs(tag_set(desired, creating=True))}
    if aws.region != "us-east-1":  # us-east-1 takes no LocationConstraint
        configuration["LocationConstraint"] = aws.region
    request: dict[str, Any] = {"Bucket": desired.name,
                               "CreateBucketConfiguration": configuration,
                               "ObjectOwnership": desired.state["ownership"]}
    if desired.state["object_lock"] is not None:
        request["ObjectLockEnabledForBucket"] = True
    progress("CreateBucket")
    try:
        try:
            _send_create(aws, s3, request)
        except errors.ClientError as exc:
            # A partition without tags-on-create: create, and the converge step tags.
            if not errors.is_code(exc, "InvalidArgument", "MalformedXML", "NotImplemented"):
                raise
            configuration.pop("Tags")
            _send_create(aws, s3, request)
    except errors.ClientError as exc:
        if errors.is_code(exc, "BucketAlreadyOwnedByYou"):
            return
        if errors.is_code(exc, "BucketAlreadyExists"):
            raise AwsprovError(f"bucket name '{desired.name}' is taken by another AWS "
                               f"account (bucket names are global): choose another") from None
        raise


def _send_create(aws, s3, request: dict) -> None:
    # OperationAborted: a conflicting operation on this name (it was just freed).
    retry_when(lambda: s3.create_bucket(**request), ("OperationAborted",),
               f"{request['Bucket']}: name free to create", aws.wait,
               timeout=api.BUCKET_PROPAGATION_TIMEOUT)


# ---- update ------------------------------------------------------------------------------

def update(aws, desired: Desired, live: Live, changes: list[AttributeChange],
           progress: Progress) -> None:
    creating = details_of(live).creating
    if not changes and not creating:
        return
    s3 = client_of(aws, live)
    if is_unknown(desired.state):
        raise AwsprovError(f"{desired.address}: a referenced value is still unknown")
    retag = any(c.path == "force_destroy" or (c.path.startswith("tags.") and
                                              c.path != f"tags.{CREATING_TAG}")
                for c in changes)
    if retag:
        # First: a converge cut short leaves a bucket this stack owns, not an adoptee.
        progress("PutBucketTagging")
        s3.put_bucket_tagging(Bucket=desired.name, Tagging={
            "TagSet": tagging.as_pairs(tag_set(desired, creating))})
    _apply_settings(aws, s3, desired, live, {c.prop for c in changes}, progress)
    if creating:
        progress("PutBucketTagging (create complete)")
        s3.put_bucket_tagging(Bucket=desired.name, Tagging={
            "TagSet": tagging.as_pairs(tag_set(desired))})


def _apply_settings(aws, s3, desired: Desired, live: Live, changed: set[str],
                    progress: Progress) -> None:
    name, want = desired.name, desired.state
    if "ownership" in changed:
        progress(f"PutBucketOwnershipControls ({want['ownership']})")
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
            "Rules": [{"ObjectOwnership": want["ownership"]}]})
    if "versioning" in changed or ("object_lock" in changed and not live.state["versioning"]):
        _set_versioning(aws, s3, name, want["versioning"], progress)
    if "object_lock" in changed:
        progress("PutObjectLockConfiguration")
        s3.put_object_lock_configuration(Bucket=name,
                                         ObjectLockConfiguration=_lock_request(
                                             want["object_lock"]))
    if "encryption" in changed:
        progress(f"PutBucketEncryption ({want['encryption']['sse']})")
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=(
            _encryption_request(want["encryption"])))
    if "public_access_block" in changed:
        _set_public_access_block(s3, name, want["public_access_block"], progress)
    if "policy" in changed:
        _set_policy(aws, s3, name, want["policy"], progress)
    if changed & {"lifecycle", "lifecycle_min_object_size"}:
        _set_lifecycle(aws, s3, name, want, progress)
    if "cors" in changed:
        _set_cors(s3, name, want["cors"], progress)
    if "logging" in changed:
        _set_logging(s3, name, want["logging"], progress)


def tag_set(desired: Desired, creating: bool = False) -> dict[str, str]:
    tags = dict(desired.tags)
    if desired.state["force_destroy"]:
        tags[FORCE_DESTROY_TAG] = "true"
    if creating:
        tags[CREATING_TAG] = "true"
    return tags


def set_tags(aws, live: Live, tags: dict[str, str]) -> None:
    if live.state.get("force_destroy"):
        tags = {**tags, FORCE_DESTROY_TAG: "true"}
    client_of(aws, live).put_bucket_tagging(Bucket=live.name,
                                            Tagging={"TagSet": tagging.as_pairs(tags)})


# ---- one setting each --------------------------------------------------------------------

def _set_versioning(aws, s3, name: str, enabled: bool, progress: Progress) -> None:
    status = "Enabled" if enabled else "Suspended"
    progress(f"PutBucketVersioning ({status})")
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    wait_until(lambda: s3.get_bucket_versioning(Bucket=name).get("Status"),
               lambda s: s == status, f"{name}: versioning {status}", aws.wait,
               timeout=VERSIONING_STABLE_TIMEOUT)


def _lock_request(lock: dict) -> dict:
    retention: dict[str, Any] = {"Mode": lock["mode"]}
    if lock["days"]:
        retention["Days"] = lock["days"]
    if lock["years"]:
        retention["Years"] = lock["years"]
    return {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}}


def _encryption_request(encryption: dict) -> dict:
    default: dict[str, Any] = {"SSEAlgorithm": encryption["sse"]}
    if encryption["kms_key"]:
        default["KMSMasterKeyID"] = encryption["kms_key"]
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default,
                       "BucketKeyEnabled": encryption["bucket_key"]}]}


def _set_public_access_block(s3, name: str, block: bool, progress: Progress) -> None:
    if block:
        progress("PutPublicAccessBlock (all four flags on)")
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(
            PAB_FLAGS, True))
    else:
        progress("DeletePublicAccessBlock")
        s3.delete_public_access_block(Bucket=name)


def _set_policy(aws, s3, name: str, document: dict | None, progress: Progress) -> None:
    if document is None:
        progress("DeleteBucketPolicy")
        s3.delete_bucket_policy(Bucket=name)
        return
    progress("PutBucketPolicy")
    put = lambda: s3.put_bucket_policy(Bucket=name,  # noqa: E731
                                      Policy=policies.to_json(document))
    if not policies.public_statements(document):
        put()
        return
    # A public policy right after the block came off: S3 answers 403 until the
    # block's removal has propagated.
    retry_when(put, ("AccessDenied",), f"{name}: public access block lifted", aws.wait,
               timeout=PUBLIC_POLICY_TIMEOUT)


def _set_lifecycle(aws, s3, name: str, want: dict, progress: Progress) -> None:
    rules = want["lifecycle"]
    if not rules:
        progress("DeleteBucketLifecycle")
        s3.delete_bucket_lifecycle(Bucket=name)
        return
    progress(f"PutBucketLifecycleConfiguration ({len(rules)} rules, whole document)")
    s3.put_bucket_lifecycle_configuration(
        Bucket=name, LifecycleConfiguration={
            "Rules": [lifecycle.rule_request(rid, rule) for rid, rule in rules.items()]},
        TransitionDefaultMinimumObjectSize=want["lifecycle_min_object_size"])
    # GET may return the old rules for a while: wait for agreeing new answers, the rules
    # themselves (an update that keeps the rule ids must not pass on the old ones).
    wait_until(lambda: api.read_lifecycle(s3, name),
               lambda doc: bool(doc) and lifecycle.live_rules(doc) == rules,
               f"{name}: lifecycle rules", aws.wait, timeout=LIFECYCLE_STEADY_TIMEOUT,
               confirm="s3.lifecycle")


def _set_cors(s3, name: str, rules: list | None, progress: Progress) -> None:
    if not rules:
        progress("DeleteBucketCors")
        s3.delete_bucket_cors(Bucket=name)
        return
    progress(f"PutBucketCors ({len(rules)} rules)")
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={
        "CORSRules": [_cors_request(r) for r in rules]})


def _cors_request(rule: dict) -> dict:
    request: dict[str, Any] = {"AllowedOrigins": rule["allowed_origins"],
                               "AllowedMethods": rule["allowed_methods"]}
    if rule["allowed_headers"]:
        request["AllowedHeaders"] = rule["allowed_headers"]
    if rule["expose_headers"]:
        request["ExposeHeaders"] = rule["expose_headers"]
    if rule["max_age_seconds"] is not None:
        request["MaxAgeSeconds"] = rule["max_age_seconds"]
    return request


def _set_logging(s3, name: str, logging: dict | None, progress: Progress) -> None:
    if logging is None:
        progress("PutBucketLogging (off)")
        s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={})
        return
    target = logging["target_bucket"]
    if api.head_bucket(s3, target) is None:
        raise AwsprovError(f"logging target bucket '{target}' does not exist")
    if api.read_lock(s3, target) is not None:
        raise AwsprovError(f"logging target bucket '{target}' has object lock: S3 cannot "
                           f"deliver access logs to it")
    progress(f"PutBucketLogging (→ {target}/{logging['prefix']})")
    s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": target, "TargetPrefix": logging["prefix"]}})
