"""Tier 2: every bucket property created, changed and converged, in us-east-1 and
eu-west-2; each apply is followed by a plan with no change and zero write calls."""

from __future__ import annotations

import json

import boto3
import pytest

from awsprov.core.changes import Action, FieldKind
from awsprov.resources.s3_bucket import FORCE_DESTROY_TAG, TLS_SID
from tests.resources.bucket_harness import Harness

KEY_ARN = "arn:aws:kms:{region}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(params=["aws", "aws_london"])
def region_aws(request):
    return request.getfixturevalue(request.param)


def _policy(s3, name: str) -> dict:
    return json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])


def _sids(s3, name: str) -> set[str]:
    return {s.get("Sid") for s in _policy(s3, name)["Statement"]}


def _change(result, address: str):
    return result.plan.by_address()[address]


def test_new_bucket_gets_secure_defaults_where_the_emulator_lacks_them(region_aws, tmp_path):
    h = Harness(region_aws, tmp_path)
    name = f"life-{h.region}-defaults"
    h.converge({"data": {"name": name}})
    s3 = boto3.client("s3", region_name=h.region)
    location = s3.get_bucket_location(Bucket=name)["LocationConstraint"]
    assert location == (None if h.region == "us-east-1" else h.region)
    rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert set(s3.get_public_access_block(Bucket=name)[
        "PublicAccessBlockConfiguration"].values()) == {True}
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    [tls] = _policy(s3, name)["Statement"]
    assert tls["Sid"] == TLS_SID and tls["Effect"] == "Deny"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
    assert tags == {"awsprov:stack": "life", "awsprov:address": "buckets.data"}


def test_versioning_enable_is_irreversible_and_suspend_is_not(region_aws, tmp_path):
    h = Harness(region_aws, tmp_path)
    name = f"life-{h.region}-versions"
    s3 = boto3.client("s3", region_name=h.region)
    h.converge({"data": {"name": name}})
    versioned = {"data": {"name": name, "versioning": True}}
    result, report = h.apply(versioned)
    [change] = [a for a in _change(result, "buckets.data").attributes if a.path == "versioning"]
    assert change.kind is FieldKind.IRREVERSIBLE
    assert "--allow-irreversible" in report.failures[0].message
    assert "Status" not in s3.get_bucket_versioning(Bucket=name)
    h.converge(versioned, allow_irreversible=True)
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    suspended = {"data": {"name": name, "versioning": False}}
    result = h.converge(suspended)
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"
    # Back on after a suspension: versioning was on before, nothing new is irreversible.
    result = h.converge(versioned)
    assert [a.kind for a in _change(result, "buckets.data").attributes
            if a.path == "versioning"] == [FieldKind.UPDATE]
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"


def test_each_setting_changes_in_place_and_converges(region_aws, tmp_path):
    h = Harness(region_aws, tmp_path)
    region = h.region
    name, logs = f"life-{region}-data", f"life-{region}-logs"
    s3 = boto3.client("s3", region_name=region)
    logs_bucket = {"name": logs, "policy": {"Statement": [{
        "Sid": "Delivery", "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{logs}/*"}]}}
    spec = {"name": name, "versioning": True}
    h.converge({"data": spec, "logs": logs_bucket})

    spec["encryption"] = {"kms_key": KEY_ARN.format(region=region), "bucket_key": True}
    h.converge({"data": spec, "logs": logs_bucket})
    rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule == {"ApplyServerSideEncryptionByDefault": {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN.format(region=region)},
        "BucketKeyEnabled": True}

    spec["encryption"] = {"sse": "AES256"}
    h.converge({"data": spec, "logs": logs_bucket})
    rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}

    # Public: the block goes first, then the public policy S3 would otherwise refuse.
    spec["public_access_block"] = False
    spec["policy"] = {"Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                                     "Action": "s3:GetObject",
                                     "Resource": f"arn:aws:s3:::{name}/public/*"}]}
    h.log.clear()
    h.converge({"data": spec, "logs": logs_bucket})
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_public_access_block(Bucket=name)
    assert _sids(s3, name) == {"PublicRead", TLS_SID}

    spec["public_access_block"] = True
    spec["policy"]["Statement"][0]["Principal"] = {"AWS": "123456789012"}
    h.converge({"data": spec, "logs": logs_bucket})
    assert set(s3.get_public_access_block(Bucket=name)[
        "PublicAccessBlockConfiguration"].values()) == {True}

    spec["enforce_tls"] = False
    h.converge({"data": spec, "logs": logs_bucket})
    assert _sids(s3, name) == {"PublicRead"}

    spec["ownership"] = "BucketOwnerPreferred"
    h.converge({"data": spec, "logs": logs_bucket})
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerPreferred"}]

    spec["lifecycle"] = [
        {"id": "archive", "prefix": "docs/",
         "transitions": [{"days": 30, "storage_class": "STANDARD_IA"},
                         {"days": 90, "storage_class": "GLACIER"}],
         "expiration_days": 2555, "noncurrent_transitions": [
             {"days": 30, "storage_class": "GLACIER_IR"}],
         "noncurrent_expiration_days": 365, "abort_incomplete_multipart_days": 7},
        {"id": "tmp", "prefix": "tmp/", "enabled": False, "expiration_days": 1}]
    h.converge({"data": spec, "logs": logs_bucket})
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]}
    assert rules["archive"]["Transitions"] == [{"Days": 30, "StorageClass": "STANDARD_IA"},
                                               {"Days": 90, "StorageClass": "GLACIER"}]
    assert rules["tmp"]["Status"] == "Disabled"

    spec["lifecycle"] = [{"id": "archive", "prefix": "docs/", "expiration_days": 400}]
    result = h.converge({"data": spec, "logs": logs_bucket})
    assert "the whole lifecycle document is replaced" in _change(result, "buckets.data").warnings
    rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    assert [(r["ID"], r["Expiration"]["Days"]) for r in rules] == [("archive", 400)]

    spec["cors"] = [{"allowed_origins": ["https://a.example"], "allowed_methods": ["GET", "PUT"],
                     "allowed_headers": ["*"], "expose_headers": ["ETag"],
                     "max_age_seconds": 600}]
    h.converge({"data": spec, "logs": logs_bucket})
    [cors] = s3.get_bucket_cors(Bucket=name)["CORSRules"]
    assert sorted(cors["AllowedMethods"]) == ["GET", "PUT"] and cors["MaxAgeSeconds"] == 600

    spec["cors"][0]["allowed_origins"] = ["https://b.example"]
    h.converge({"data": spec, "logs": logs_bucket})
    assert s3.get_bucket_cors(Bucket=name)["CORSRules"][0]["AllowedOrigins"] == [
        "https://b.example"]

    spec["logging"] = {"target_bucket": "${buckets.logs.name}", "prefix": "data/"}
    h.converge({"data": spec, "logs": logs_bucket})
    assert s3.get_bucket_logging(Bucket=name)["LoggingEnabled"] == {
        "TargetBucket": logs, "TargetPrefix": "data/"}

    spec["tags"] = {"Team": "payments", "Tier": "gold"}
    h.converge({"data": spec, "logs": logs_bucket})
    spec["tags"] = {"Team": "ledger"}
    h.converge({"data": spec, "logs": logs_bucket})
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
    assert tags == {"Team": "ledger", "awsprov:stack": "life", "awsprov:address": "buckets.data"}

    spec["force_destroy"] = True
    h.converge({"data": spec, "logs": logs_bucket})
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
    assert tags[FORCE_DESTROY_TAG] == "true" and tags["Team"] == "ledger"

    for key in ("lifecycle", "cors", "logging", "policy"):
        del spec[key]
    h.converge({"data": spec, "logs": logs_bucket})
    for call, code in ((s3.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration"),
                       (s3.get_bucket_cors, "NoSuchCORSConfiguration"),
                       (s3.get_bucket_policy, "NoSuchBucketPolicy")):
        with pytest.raises(s3.exceptions.ClientError) as caught:
            call(Bucket=name)
        assert caught.value.response["Error"]["Code"] == code
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=name)


def test_object_lock_at_create_and_on_an_existing_bucket(region_aws, tmp_path):
    h = Harness(region_aws, tmp_path)
    s3 = boto3.client("s3", region_name=h.region)
    locked, later = f"life-{h.region}-locked", f"life-{h.region}-later"
    buckets = {"locked": {"name": locked, "object_lock": {"mode": "GOVERNANCE", "days": 5}},
               "later": {"name": later, "versioning": True}}
    h.converge(buckets)
    config = s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"]
    assert config["ObjectLockEnabled"] == "Enabled"
    assert config["Rule"]["DefaultRetention"]["Mode"] == "GOVERNANCE"
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"

    buckets["locked"]["object_lock"] = {"mode": "COMPLIANCE", "years": 1}
    result = h.converge(buckets)
    assert {a.kind for a in _change(result, "buckets.locked").attributes} == {FieldKind.UPDATE}
    retention = s3.get_object_lock_configuration(Bucket=locked)[
        "ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention["Mode"] == "COMPLIANCE" and retention["Years"] == 1

    buckets["later"]["object_lock"] = {"mode": "GOVERNANCE", "days": 1}
    result, report = h.apply(buckets)
    assert "--allow-irreversible" in report.failures[0].message
    h.converge(buckets, allow_irreversible=True)
    assert s3.get_object_lock_configuration(Bucket=later)[
        "ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"

    # No way back: removing object_lock or suspending versioning is refused in the plan.
    del buckets["later"]["object_lock"]
    change = _change(h.plan(buckets), "buckets.later")
    assert change.action is Action.REFUSED and "cannot be turned off" in change.reason
    buckets["later"]["object_lock"] = {"mode": "GOVERNANCE", "days": 1}
    buckets["later"]["versioning"] = False
    with pytest.raises(Exception, match="object lock needs versioning"):
        h.plan(buckets)


def test_destroy_deletes_empty_buckets(region_aws, tmp_path):
    from awsprov.core.run import RunOptions
    from awsprov.engine.executor import apply_plan
    from awsprov.engine.planner import make_destroy_plan

    h = Harness(region_aws, tmp_path)
    name = f"life-{h.region}-gone"
    h.converge({"data": {"name": name, "versioning": True}})
    stack = h.load({"data": {"name": name, "versioning": True}})
    result = make_destroy_plan(stack, h.ctx, RunOptions())
    [change] = result.plan.changes
    assert change.action is Action.DELETE
    assert change.data_at_risk == "empty (no objects, versions or delete markers)"
    report = apply_plan(stack, result, h.ctx, RunOptions(prune=True))
    assert report.failures == []
    s3 = boto3.client("s3", region_name=h.region)
    assert name not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
