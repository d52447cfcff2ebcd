"""A key create or restore killed before any of its writes converges on the next run,
without a second key: the key is found by its awsprov:* tags while its alias is missing
(in the style of test_crash_safety.py)."""

from __future__ import annotations

import boto3
import pytest

from awsprov.engine.executor import ApplyOptions, apply_plan
from awsprov.engine.planner import PlanOptions, make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import is_write, make_context, write_spec

SPEC = """
stack: crashkey
region: us-east-1
keys:
  data:
    alias: alias/crash-data
    description: crash me
    enabled: false
tables:
  docs:
    name: crash-docs
    hash_key: id
    attributes: {id: S}
    encryption: ${keys.data}
"""
EMPTY = "stack: crashkey\nregion: us-east-1\n"


class Killed(BaseException):
    """Stands for kill -9: nothing in awsprov catches it."""


def _apply(path, kill_at: int | None = None, prune: bool = False) -> list[str]:
    stack = load_stack(path)
    ctx, _log = make_context("us-east-1")
    writes: list[str] = []

    def maybe_kill(model=None, **_):
        if model is not None and is_write(model.name):
            if kill_at is not None and len(writes) == kill_at:
                raise Killed(model.name)
            writes.append(model.name)

    ctx.clients.on("before-call", maybe_kill)
    result = make_plan(stack, ctx, PlanOptions(parallelism=1, prune=prune))
    report = apply_plan(stack, result, ctx, ApplyOptions(parallelism=1, prune=prune))
    assert report.failures == []
    return writes


def _customer_keys() -> list[dict]:
    kms = boto3.client("kms", region_name="us-east-1")
    metas = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
             for k in kms.list_keys()["Keys"]]
    return [m for m in metas if m["KeyManager"] == "CUSTOMER"]


def _assert_converged(path) -> None:
    stack = load_stack(path)
    ctx, log = make_context("us-east-1")
    assert not make_plan(stack, ctx, PlanOptions()).plan.has_changes
    assert log.writes == []
    assert len(_customer_keys()) == 1


def test_killed_between_create_key_and_create_alias_makes_no_second_key(tmp_path):
    from moto import mock_aws

    path = write_spec(tmp_path, SPEC)
    with mock_aws():
        writes = _apply(path)
    assert writes[:2] == ["CreateKey", "CreateAlias"]
    with mock_aws():
        with pytest.raises(Killed):
            _apply(path, kill_at=1)  # CreateKey done, CreateAlias never sent
        assert len(_customer_keys()) == 1
        _apply(path)
        _assert_converged(path)


def test_create_killed_before_each_write_converges(tmp_path):
    from moto import mock_aws

    path = write_spec(tmp_path, SPEC)
    with mock_aws():
        writes = _apply(path)
    assert len(writes) >= 4, writes
    for k in range(len(writes)):
        with mock_aws():
            with pytest.raises(Killed):
                _apply(path, kill_at=k)
            _apply(path)
            _assert_converged(path)


def test_restore_killed_before_each_write_converges(tmp_path):
    from moto import mock_aws

    path = write_spec(tmp_path, SPEC.split("tables:")[0])
    empty = write_spec(tmp_path, EMPTY, "empty.yaml")

    def setup():
        _apply(path)
        _apply(empty, prune=True)
        assert _customer_keys()[0]["KeyState"] == "PendingDeletion"

    with mock_aws():
        setup()
        writes = _apply(path)
    assert writes[0] == "CancelKeyDeletion"
    for k in range(len(writes)):
        with mock_aws():
            setup()
            key_id = _customer_keys()[0]["KeyId"]
            with pytest.raises(Killed):
                _apply(path, kill_at=k)
            _apply(path)
            _assert_converged(path)
            assert _customer_keys()[0]["KeyId"] == key_id
