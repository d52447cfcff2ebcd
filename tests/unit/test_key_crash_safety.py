"""A key create or restore killed before any of its writes converges on the next run,
without a second key: the key is found by its awsprov:* tags while its alias is missing
(the crash harness of tests/helpers.py)."""

from __future__ import annotations

import boto3
import pytest

from tests.helpers import (
    Killed,
    apply_killing_at,
    assert_converges_after_each_kill,
    assert_plans_clean,
    write_spec,
)

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


def _customer_keys() -> list[dict]:
    kms = boto3.client("kms", region_name="us-east-1")
    metas = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
             for k in kms.list_keys()["Keys"]]
    return [m for m in metas if m["KeyManager"] == "CUSTOMER"]


def _one_key() -> None:
    assert len(_customer_keys()) == 1


def test_killed_between_create_key_and_create_alias_makes_no_second_key(tmp_path):
    from moto import mock_aws

    path = write_spec(tmp_path, SPEC)
    with mock_aws():
        writes = apply_killing_at(path)
    assert writes[:2] == ["CreateKey", "CreateAlias"]
    with mock_aws():
        with pytest.raises(Killed):
            apply_killing_at(path, kill_at=1)  # CreateKey done, CreateAlias never sent
        _one_key()
        apply_killing_at(path)
        assert_plans_clean(path)
        _one_key()


def test_create_killed_before_each_write_converges(tmp_path):
    writes = assert_converges_after_each_kill(write_spec(tmp_path, SPEC), check=_one_key)
    assert len(writes) >= 4, writes


def test_restore_killed_before_each_write_converges(tmp_path):
    path = write_spec(tmp_path, SPEC.split("tables:")[0])
    empty = write_spec(tmp_path, EMPTY, "empty.yaml")
    scheduled: list[str] = []  # the key id each run starts from

    def setup():
        apply_killing_at(path)
        apply_killing_at(empty, prune=True)
        assert _customer_keys()[0]["KeyState"] == "PendingDeletion"
        scheduled.append(_customer_keys()[0]["KeyId"])

    def same_key_back():
        _one_key()
        assert _customer_keys()[0]["KeyId"] == scheduled[-1]

    writes = assert_converges_after_each_kill(path, setup=setup, check=same_key_back)
    assert writes[0] == "CancelKeyDeletion"
