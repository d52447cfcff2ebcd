"""An apply stopped before any of its write calls, then run again, converges.

A botocore `before-call` hook raises a BaseException (not caught by the executor, as a
kill -9 would not be) just before the k-th write call, for every k of a clean apply. The
next apply must finish the job: plan empty, zero writes on a third run, no duplicates.
"""

from __future__ import annotations

import boto3
import pytest

from awsprov.engine.executor import ApplyOptions, apply_plan
from awsprov.engine.planner import PlanOptions, make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import is_write, make_context, write_spec

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


class Killed(BaseException):
    """Stands for kill -9: nothing in awsprov catches it."""


def _apply(tmp_path, text: str, kill_at: int | None = None) -> list[str]:
    stack = load_stack(write_spec(tmp_path, text))
    ctx, _log = make_context("us-east-1")
    writes: list[str] = []

    def maybe_kill(model=None, **_):
        if model is not None and is_write(model.name):
            if kill_at is not None and len(writes) == kill_at:
                raise Killed(model.name)
            writes.append(model.name)

    ctx.clients.on("before-call", maybe_kill)
    result = make_plan(stack, ctx, PlanOptions(parallelism=1))
    report = apply_plan(stack, result, ctx, ApplyOptions(parallelism=1))
    assert report.failures == []
    return writes


def _assert_converged(tmp_path, text: str) -> None:
    stack = load_stack(write_spec(tmp_path, text))
    ctx, log = make_context("us-east-1")
    assert not make_plan(stack, ctx, PlanOptions()).plan.has_changes
    assert log.writes == []
    names = boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    assert sorted(names) == ["crash-audit", "crash-ledger"]


def _clean_writes(text: str, tmp_path, before: str | None = None) -> list[str]:
    from moto import mock_aws

    with mock_aws():
        if before:
            _apply(tmp_path, before)
        return _apply(tmp_path, text)



@pytest.mark.parametrize("scenario", ["create", "update"])
def test_apply_killed_before_any_write_then_rerun_converges(tmp_path, scenario):
    from moto import mock_aws

    before = BEFORE if scenario == "update" else None
    target = AFTER if scenario == "update" else BEFORE
    writes = _clean_writes(target, tmp_path, before)
    assert len(writes) >= 4, writes  # the scenario really has several steps to cut between
    for k in range(len(writes)):
        with mock_aws():
            if before:
                _apply(tmp_path, before)
            with pytest.raises(Killed):
                _apply(tmp_path, target, kill_at=k)
            _apply(tmp_path, target)
            _assert_converged(tmp_path, target)
