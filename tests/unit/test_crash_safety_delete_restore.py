"""The delete, restore and replace paths under kill: an apply killed just before each of
its writes (the crash harness of tests/helpers.py), then run again, converges with no
orphan, no duplicate and nothing refused half way."""

from __future__ import annotations

import boto3
import pytest

from tests.helpers import apply_killing_at, assert_converges_after_each_kill, write_spec
from tests.resources.test_table_gsi_sequence import transitions  # noqa: F401 (fixture)

REGION = "us-east-1"
FULL = """
stack: killpaths
region: us-east-1
keys:
  data:
    alias: alias/killpaths-data
    deletion_window_days: 7
secrets:
  api:
    name: killpaths/api
    value: {from_env: KILLPATHS_API}
    recovery_window_days: 7
buckets:
  files:
    name: killpaths-files
    versioning: true
    force_destroy: true
    enforce_tls: false  # else moto refuses every PutObject (KNOWN_EMULATOR_GAPS)
queues:
  jobs:
    name: killpaths-jobs
"""
EMPTY = "stack: killpaths\nregion: us-east-1\n"
KEY_AND_SECRET = FULL.split("buckets:")[0]
TABLE = """
stack: killpaths
region: us-east-1
tables:
  events:
    name: killpaths-events
    hash_key: id
    range_key: {range_key}
    attributes: {{id: S, {range_key}: S}}
"""


def _kms():
    return boto3.client("kms", region_name=REGION)


def _sm():
    return boto3.client("secretsmanager", region_name=REGION)


def _customer_keys() -> list[dict]:
    metas = [_kms().describe_key(KeyId=k["KeyId"])["KeyMetadata"]
             for k in _kms().list_keys()["Keys"]]
    return [m for m in metas if m["KeyManager"] == "CUSTOMER"]


def _aliases_of(key_id: str) -> list[str]:
    return [a["AliasName"] for a in _kms().list_aliases()["Aliases"]
            if a.get("TargetKeyId") == key_id]


def _secrets() -> list[dict]:
    return _sm().list_secrets(IncludePlannedDeletion=True)["SecretList"]


def _fill_bucket() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    for body in (b"v1", b"v2"):  # two versions of one object
        s3.put_object(Bucket="killpaths-files", Key="doc.txt", Body=body)
    s3.put_object(Bucket="killpaths-files", Key="other.txt", Body=b"x")
    s3.delete_object(Bucket="killpaths-files", Key="other.txt")  # a delete marker too


@pytest.fixture
def api_value(monkeypatch):
    monkeypatch.setenv("KILLPATHS_API", "value-1")
    return "value-1"


def test_prune_killed_before_each_write_converges(tmp_path, api_value):
    full = write_spec(tmp_path, FULL, "full.yaml")
    empty = write_spec(tmp_path, EMPTY, "empty.yaml")

    def setup():
        apply_killing_at(full)
        _fill_bucket()

    def everything_gone_once():
        keys = _customer_keys()
        assert len(keys) == 1, keys  # no second key
        assert keys[0]["KeyState"] == "PendingDeletion"
        assert _aliases_of(keys[0]["KeyId"]) == []
        assert not any(a["AliasName"] == "alias/killpaths-data"
                       for a in _kms().list_aliases()["Aliases"])
        secrets = _secrets()
        assert [s["Name"] for s in secrets] == ["killpaths/api"]
        assert "DeletedDate" in secrets[0]
        assert boto3.client("s3", region_name=REGION).list_buckets()["Buckets"] == []
        assert boto3.client("sqs", region_name=REGION).list_queues().get("QueueUrls",
                                                                         []) == []

    writes = assert_converges_after_each_kill(empty, setup=setup, prune=True,
                                              check=everything_gone_once)
    assert {"DeleteAlias", "ScheduleKeyDeletion", "DeleteSecret", "DeleteBucket",
            "DeleteQueue"} <= set(writes), writes


def test_restore_killed_before_each_write_converges(tmp_path, api_value):
    spec = write_spec(tmp_path, KEY_AND_SECRET, "spec.yaml")
    empty = write_spec(tmp_path, EMPTY, "empty.yaml")
    before: list[tuple[str, str]] = []  # (key id, secret ARN) each run starts from

    def setup():
        apply_killing_at(spec)
        apply_killing_at(empty, prune=True)
        [key] = _customer_keys()
        [secret] = _secrets()
        assert key["KeyState"] == "PendingDeletion" and "DeletedDate" in secret
        before.append((key["KeyId"], secret["ARN"]))

    def same_key_and_secret_back():
        key_id, arn = before[-1]
        keys = _customer_keys()
        assert [k["KeyId"] for k in keys] == [key_id]
        assert keys[0]["KeyState"] == "Enabled"
        assert _aliases_of(key_id) == ["alias/killpaths-data"]
        secrets = _secrets()
        assert [s["ARN"] for s in secrets] == [arn]
        assert "DeletedDate" not in secrets[0]
        assert _sm().get_secret_value(SecretId=arn)["SecretString"] == api_value

    writes = assert_converges_after_each_kill(spec, setup=setup,
                                              check=same_key_and_secret_back)
    assert {"CancelKeyDeletion", "EnableKey", "CreateAlias", "RestoreSecret"} <= set(
        writes), writes


def test_replace_killed_before_each_write_converges(tmp_path):
    old = write_spec(tmp_path, TABLE.format(range_key="at"), "old.yaml")
    new = write_spec(tmp_path, TABLE.format(range_key="seq"), "new.yaml")

    def one_table_with_new_keys():
        ddb = boto3.client("dynamodb", region_name=REGION)
        assert ddb.list_tables()["TableNames"] == ["killpaths-events"]
        schema = ddb.describe_table(TableName="killpaths-events")["Table"]["KeySchema"]
        assert {(k["AttributeName"], k["KeyType"]) for k in schema} == {("id", "HASH"),
                                                                       ("seq", "RANGE")}

    writes = assert_converges_after_each_kill(new, setup=lambda: apply_killing_at(old),
                                              allow_replace=True,
                                              check=one_table_with_new_keys)
    assert writes[:2] == ["DeleteTable", "CreateTable"], writes


def test_replace_killed_while_the_old_table_is_deleting_creates_on_rerun(transitions,  # noqa: F811
                                                                        monkeypatch,
                                                                        tmp_path):
    """moto deletes a table at once; with the old table DELETING for a few polls and
    CreateTable refused meanwhile (as AWS does: transitions of test_table_gsi_sequence), a
    replacement killed while waiting for DeleteTable is, on re-run, a create that waits
    the old table out (it is not refused, nor sent a second DeleteTable)."""
    from moto.dynamodb.exceptions import ResourceInUseException
    from moto.dynamodb.models import DynamoDBBackend

    from awsprov.core.run import RunOptions
    from awsprov.engine.executor import apply_plan
    from awsprov.engine.planner import make_plan
    from awsprov.spec.loader import load_stack
    from tests.helpers import Killed, assert_plans_clean, is_write, make_context

    create = DynamoDBBackend.create_table

    def refused_while_deleting(self, name, *args, **kwargs):
        if name in transitions.deleted and transitions.busy(name):
            raise ResourceInUseException(f"Table already exists: {name}")
        return create(self, name, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "create_table", refused_while_deleting)
    old = write_spec(tmp_path, TABLE.format(range_key="at"), "old.yaml")
    new = write_spec(tmp_path, TABLE.format(range_key="seq"), "new.yaml")
    apply_killing_at(old)
    ctx, _ = make_context(REGION)
    sent: list[str] = []

    def kill_in_the_delete_wait(model=None, **_):
        if model.name == "DescribeTable" and sent == ["DeleteTable"]:
            raise Killed("waiting: table deleted")
        if is_write(model.name):
            sent.append(model.name)

    ctx.clients.on("before-call", kill_in_the_delete_wait)
    stack = load_stack(new)
    with pytest.raises(Killed):
        apply_plan(stack, make_plan(stack, ctx, RunOptions()), ctx,
                   RunOptions(allow_replace=True))
    assert transitions.busy("killpaths-events")  # the old table is still DELETING

    writes = apply_killing_at(new, allow_replace=True)
    assert writes[0] == "CreateTable" and "DeleteTable" not in writes, writes
    assert ("killpaths-events", "DELETING") in transitions.shown
    assert_plans_clean(new)
    ddb = boto3.client("dynamodb", region_name=REGION)
    assert ddb.list_tables()["TableNames"] == ["killpaths-events"]
    schema = ddb.describe_table(TableName="killpaths-events")["Table"]["KeySchema"]
    assert {k["AttributeName"] for k in schema} == {"id", "seq"}
