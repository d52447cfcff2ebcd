"""An apply killed just before each of its bucket writes, then run again, converges:
plan empty, zero writes on the next run, one bucket per name, and no refusal to finish
versioning or object lock (they are part of the create, not irreversible changes)."""

from __future__ import annotations

import boto3
import pytest

from tests.helpers import apply_killing_at, assert_converges_after_each_kill, write_spec

BEFORE = """
stack: crash
region: eu-west-2
tags: {Team: vault}
buckets:
  docs:
    name: crash-docs-bucket
    versioning: true
  vault:
    name: crash-vault-bucket
    versioning: true
    object_lock: {mode: GOVERNANCE, days: 3}
    encryption: {sse: aws:kms, bucket_key: true}
    lifecycle: [{id: tmp, prefix: tmp/, expiration_days: 3}]
    tags: {Data: secret}
"""

AFTER = BEFORE.replace("days: 3}", "days: 9}").replace("expiration_days: 3",
                                                        "expiration_days: 30") \
    .replace("Team: vault", "Team: vault-2")


REGION = "eu-west-2"


def _buckets_once() -> None:
    names = [b["Name"] for b in boto3.client("s3", region_name=REGION).list_buckets()[
        "Buckets"]]
    assert sorted(names) == ["crash-docs-bucket", "crash-vault-bucket"]


@pytest.mark.parametrize("scenario", ["create", "update"])
def test_bucket_apply_killed_before_any_write_then_rerun_converges(tmp_path, scenario,
                                                                  create_bucket_tags):
    before = write_spec(tmp_path, BEFORE, "before.yaml")
    target = write_spec(tmp_path, AFTER, "after.yaml") if scenario == "update" else before
    setup = (lambda: apply_killing_at(before, region=REGION)) if scenario == "update" \
        else None
    writes = assert_converges_after_each_kill(target, region=REGION, setup=setup,
                                              check=_buckets_once)
    assert len(writes) >= 3, writes
