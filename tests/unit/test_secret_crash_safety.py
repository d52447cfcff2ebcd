"""A secret create or update killed before any of its writes converges on the next run:
no second secret, no value written twice (in the style of test_crash_safety.py)."""

from __future__ import annotations

import boto3
import pytest

from awsprov.engine.executor import ApplyOptions, apply_plan
from awsprov.engine.planner import PlanOptions, make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import is_write, make_context, write_spec

BEFORE = """
stack: crashsecret
region: us-east-1
keys:
  a:
    alias: alias/crash-a
secrets:
  api:
    name: crash/api
    description: v1
    value: {from_env: CRASH_API}
  jwt:
    name: crash/jwt
"""
AFTER = """
stack: crashsecret
region: us-east-1
keys:
  a:
    alias: alias/crash-a
secrets:
  api:
    name: crash/api
    description: v2
    kms_key: ${keys.a}
    value: {from_env: CRASH_API}
    tags: {Rotated: "yes"}
  jwt:
    name: crash/jwt
    value: {generate: {length: 20}}
"""


class Killed(BaseException):
    """Stands for kill -9: nothing in awsprov catches it."""


def _apply(path, kill_at: int | None = None) -> list[str]:
    stack = load_stack(path)
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


def _assert_converged(path) -> None:
    ctx, log = make_context("us-east-1")
    assert not make_plan(load_stack(path), ctx, PlanOptions()).plan.has_changes
    assert log.writes == []
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    assert sorted(s["Name"] for s in sm.list_secrets()["SecretList"]) == ["crash/api",
                                                                          "crash/jwt"]
    versions = sm.list_secret_version_ids(SecretId="crash/api")["Versions"]
    assert len(versions) <= 2  # v1, then v2 once: never written again


def test_secret_update_killed_before_each_write_converges(tmp_path, monkeypatch):
    from moto import mock_aws

    before = write_spec(tmp_path, BEFORE, "before.yaml")
    after = write_spec(tmp_path, AFTER, "after.yaml")

    def setup():
        monkeypatch.setenv("CRASH_API", "value-1")
        _apply(before)
        monkeypatch.setenv("CRASH_API", "value-2")

    with mock_aws():
        setup()
        writes = _apply(after)
    assert {"UpdateSecret", "PutSecretValue", "TagResource"} <= set(writes), writes
    for k in range(len(writes)):
        with mock_aws():
            setup()
            with pytest.raises(Killed):
                _apply(after, kill_at=k)
            _apply(after)
            _assert_converged(after)
