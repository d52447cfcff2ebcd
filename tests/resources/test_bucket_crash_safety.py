"""An apply killed just before each of its bucket writes, then run again, converges:
plan empty, zero writes on the next run, one bucket per name, and no refusal to finish
versioning or object lock (they are part of the create, not irreversible changes)."""

from __future__ import annotations

import boto3
import pytest

from awsprov.engine.executor import ApplyOptions, apply_plan
from awsprov.engine.planner import PlanOptions, make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import is_write, make_context, write_spec

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


class Killed(BaseException):
    """Stands for kill -9: nothing in awsprov catches it."""


def _apply(tmp_path, text: str, kill_at: int | None = None) -> list[str]:
    stack = load_stack(write_spec(tmp_path, text))
    ctx, _log = make_context("eu-west-2")
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
    ctx, log = make_context("eu-west-2")
    assert not make_plan(stack, ctx, PlanOptions()).plan.has_changes
    assert log.writes == []
    names = [b["Name"] for b in boto3.client("s3", region_name="eu-west-2").list_buckets()[
        "Buckets"]]
    assert sorted(names) == ["crash-docs-bucket", "crash-vault-bucket"]


@pytest.mark.parametrize("scenario", ["create", "update"])
def test_bucket_apply_killed_before_any_write_then_rerun_converges(tmp_path, scenario,
                                                                  create_bucket_tags):
    from moto import mock_aws

    before = BEFORE if scenario == "update" else None
    target = AFTER if scenario == "update" else BEFORE
    with mock_aws():
        if before:
            _apply(tmp_path, before)
        writes = _apply(tmp_path, target)
    assert len(writes) >= 3, writes
    for k in range(len(writes)):
        with mock_aws():
            if before:
                _apply(tmp_path, before)
            with pytest.raises(Killed):
                _apply(tmp_path, target, kill_at=k)
            _apply(tmp_path, target)
            _assert_converged(tmp_path, target)
