"""An apply stopped before any of its write calls, then run again, converges.

A botocore `before-call` hook raises a BaseException (not caught by the executor, as a
kill -9 would not be) just before the k-th write call, for every k of a clean apply. The
next apply must finish the job: plan empty, zero writes on a third run, no duplicates.
"""

from __future__ import annotations

import boto3
import pytest

from tests.helpers import apply_killing_at, assert_converges_after_each_kill, write_spec

BEFORE = """
stack: crash
region: us-east-1
tags: {Team: ledger}
tables:
  ledger:
    name: crash-ledger
    hash_key: id
    range_key: ts
    attributes: {id: S, ts: N, kind: S, owner: S}
    global_indexes:
      by-kind: {hash_key: kind, range_key: ts}
      by-owner: {hash_key: owner, projection: KEYS_ONLY}
    ttl: expires_at
    point_in_time_recovery: {enabled: true, recovery_period_days: 7}
    deletion_protection: true
  audit:
    name: crash-audit
    hash_key: id
    attributes: {id: S}
    tags: {Ledger: "${tables.ledger.name}"}
"""

AFTER = """
stack: crash
region: us-east-1
tags: {Team: ledger-v2}
tables:
  ledger:
    name: crash-ledger
    hash_key: id
    range_key: ts
    attributes: {id: S, ts: N, kind: S, region: S}
    billing_mode: PROVISIONED
    capacity: {read: 5, write: 5}
    global_indexes:
      by-kind: {hash_key: kind, range_key: ts, capacity: {read: 2, write: 2}}
      by-region: {hash_key: region, capacity: {read: 1, write: 1}}
    ttl: expires_at
    point_in_time_recovery: false
    stream: NEW_IMAGE
    deletion_protection: false
  audit:
    name: crash-audit
    hash_key: id
    attributes: {id: S}
    tags: {Ledger: "${tables.ledger.name}"}
"""


def _tables_once() -> None:
    names = boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    assert sorted(names) == ["crash-audit", "crash-ledger"]


@pytest.mark.parametrize("scenario", ["create", "update"])
def test_apply_killed_before_any_write_then_rerun_converges(tmp_path, scenario):
    before = write_spec(tmp_path, BEFORE, "before.yaml")
    target = write_spec(tmp_path, AFTER, "after.yaml") if scenario == "update" else before
    setup = (lambda: apply_killing_at(before)) if scenario == "update" else None
    # The update turns point-in-time recovery off: its backups are lost, by choice.
    writes = assert_converges_after_each_kill(target, setup=setup, check=_tables_once,
                                              allow_data_loss=scenario == "update")
    assert len(writes) >= 4, writes  # the scenario really has several steps to cut between
