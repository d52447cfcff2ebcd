"""Drift made behind awsprov's back, setting by setting: `verify` exits 2 naming each,
`apply` puts it back, `verify` is clean again. Through the real CLI entry point."""

from __future__ import annotations

import json

import boto3
import pytest

from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.engine.verify import verify
from awsprov.spec.loader import load_stack
from tests.helpers import run_cli, write_spec

NAME = "drift-data-bucket"
LOGS = "drift-logs-bucket"
SPEC = f"""
stack: drift
region: us-east-1
tags: {{Project: Drift}}
buckets:
  logs:
    name: {LOGS}
    policy:
      Statement:
        - Sid: Delivery
          Effect: Allow
          Principal: {{Service: logging.s3.amazonaws.com}}
          Action: s3:PutObject
          Resource: arn:aws:s3:::{LOGS}/*
  data:
    name: {NAME}
    versioning: true
    encryption: {{sse: aws:kms, bucket_key: true}}
    policy:
      Statement:
        - Sid: AccountRead
          Effect: Allow
          Principal: {{AWS: "arn:aws:iam::123456789012:root"}}
          Action: s3:GetObject
          Resource: arn:aws:s3:::{NAME}/*
    lifecycle:
      - id: expire-tmp
        prefix: tmp/
        expiration_days: 7
    cors:
      - allowed_origins: ["https://app.example.com"]
        allowed_methods: [GET]
    logging: {{target_bucket: "${{buckets.logs.name}}", prefix: data/}}
    tags: {{Team: payments}}
"""


def _edit_policy(s3):
    doc = json.loads(s3.get_bucket_policy(Bucket=NAME)["Policy"])
    for statement in doc["Statement"]:
        if statement.get("Sid") == "AccountRead":
            statement["Action"] = "s3:*"
    s3.put_bucket_policy(Bucket=NAME, Policy=json.dumps(doc))


# (what is changed by hand, the attribute verify must name)
DRIFTS = {
    "versioning suspended": (lambda s3: s3.put_bucket_versioning(
        Bucket=NAME, VersioningConfiguration={"Status": "Suspended"}), "versioning"),
    "encryption deleted": (lambda s3: s3.delete_bucket_encryption(Bucket=NAME), "encryption"),
    "public access block deleted": (lambda s3: s3.delete_public_access_block(Bucket=NAME),
                                    "public_access_block"),
    "policy edited": (_edit_policy, "policy"),
    "lifecycle removed": (lambda s3: s3.delete_bucket_lifecycle(Bucket=NAME), "lifecycle"),
    "cors changed": (lambda s3: s3.put_bucket_cors(Bucket=NAME, CORSConfiguration={
        "CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "PUT"]}]}), "cors"),
    "tags changed": (lambda s3: s3.put_bucket_tagging(Bucket=NAME, Tagging={"TagSet": [
        {"Key": "Team", "Value": "someone-else"},
        {"Key": "awsprov:stack", "Value": "drift"},
        {"Key": "awsprov:address", "Value": "buckets.data"}]}), "tags.Team"),
    "ownership changed": (lambda s3: s3.put_bucket_ownership_controls(
        Bucket=NAME, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}),
        "ownership"),
    "logging turned off": (lambda s3: s3.put_bucket_logging(Bucket=NAME,
                                                           BucketLoggingStatus={}), "logging"),
}


def test_every_setting_drifted_at_once_is_named_by_verify_and_reverted(moto, fast_cli,
                                                                        tmp_path, capsys):
    spec = str(write_spec(tmp_path, SPEC))
    code, out, err = run_cli(capsys, "apply", spec, "--yes")
    assert code == 0, out + err
    assert run_cli(capsys, "verify", spec)[0] == 0
    s3 = boto3.client("s3", region_name="us-east-1")
    for change, _path in DRIFTS.values():
        change(s3)
    code, out, _ = run_cli(capsys, "verify", spec, "--output", "json")
    assert code == 2
    report = json.loads(out)
    [drifted] = report["drift"]
    assert drifted["address"] == "buckets.data"
    paths = {a["path"] for a in drifted["attributes"]}
    for _change, path in DRIFTS.values():
        assert path in paths or any(p.startswith(path + ".") for p in paths), path
    code, out, err = run_cli(capsys, "apply", spec, "--yes")
    assert code == 0, out + err
    assert run_cli(capsys, "verify", spec)[0] == 0
    assert s3.get_bucket_versioning(Bucket=NAME)["Status"] == "Enabled"
    assert s3.get_bucket_logging(Bucket=NAME)["LoggingEnabled"]["TargetBucket"] == LOGS


@pytest.mark.parametrize("drift", sorted(DRIFTS))
def test_one_drift_is_found_and_reverted(aws, tmp_path, drift):
    """The same, one setting at a time, through the engine (the CLI is proven above)."""
    stack = load_stack(write_spec(tmp_path, SPEC))
    ctx, log = aws
    assert apply_plan(stack, make_plan(stack, ctx, RunOptions()), ctx,
                      RunOptions()).failures == []
    change, path = DRIFTS[drift]
    change(boto3.client("s3", region_name="us-east-1"))
    report = verify(make_plan(stack, ctx, RunOptions()))
    [drifted] = report.drift
    paths = {a.path for a in drifted.attributes}
    assert drifted.address == "buckets.data"
    assert path in paths or any(p.startswith(path + ".") for p in paths), paths
    result = make_plan(stack, ctx, RunOptions())
    assert apply_plan(stack, result, ctx, RunOptions()).failures == []
    log.clear()
    assert verify(make_plan(stack, ctx, RunOptions())).clean
    assert log.writes == []
