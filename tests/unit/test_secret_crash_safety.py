"""A secret create or update killed before any of its writes converges on the next run:
no second secret, no value written twice (the crash harness of tests/helpers.py)."""

from __future__ import annotations

import boto3

from tests.helpers import apply_killing_at, assert_converges_after_each_kill, write_spec

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


def _no_second_secret_nor_value() -> None:
    sm = boto3.client("secretsmanager", region_name="us-east-1")
    assert sorted(s["Name"] for s in sm.list_secrets()["SecretList"]) == ["crash/api",
                                                                          "crash/jwt"]
    versions = sm.list_secret_version_ids(SecretId="crash/api")["Versions"]
    assert len(versions) <= 2  # v1, then v2 once: never written again


def test_secret_update_killed_before_each_write_converges(tmp_path, monkeypatch):
    before = write_spec(tmp_path, BEFORE, "before.yaml")
    after = write_spec(tmp_path, AFTER, "after.yaml")

    def setup():
        monkeypatch.setenv("CRASH_API", "value-1")
        apply_killing_at(before)
        monkeypatch.setenv("CRASH_API", "value-2")

    writes = assert_converges_after_each_kill(after, setup=setup,
                                              check=_no_second_secret_nor_value)
    assert {"UpdateSecret", "PutSecretValue", "TagResource"} <= set(writes), writes
