"""The apply lease (engine/lease.py) against in-process moto: taken with a conditional write,
refused or waited for while held, taken over once expired or once its holder's process is
gone, renewed by its heartbeat, released at the end and on failure, broken by unlock."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import boto3
import pytest

from awsprov.engine import lease
from awsprov.engine.iam import stack_policy
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec

KEY = lease.LeaseKey("orders", "prod", "us-east-1")


def _item() -> dict | None:
    return boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=lease.LOCK_TABLE, Key={"lease_id": {"S": KEY.id}}).get("Item")


def _lease(aws, **kwargs) -> lease.Lease:
    kwargs.setdefault("poll", 0.02)
    return lease.Lease(aws[0], KEY, "apply", **kwargs)


def test_the_first_lease_creates_the_lock_table_and_records_its_holder(aws):
    taken = _lease(aws)
    holder = taken.acquire()
    try:
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        table = ddb.describe_table(TableName=lease.LOCK_TABLE)["Table"]
        assert table["TableStatus"] == "ACTIVE"
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        tags = ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
        assert {"Key": "awsprov:purpose", "Value": "lock"} in tags
        assert not [t for t in tags if t["Key"] == "awsprov:stack"]  # nobody's orphan
        item = _item()
        assert item["token"]["S"] == holder.token
        assert item["who"]["S"].startswith("arn:aws:") and item["pid"]["N"] == str(
            __import__("os").getpid())
        assert item["region"]["S"] == "us-east-1" and item["endpoint"]["S"].startswith("http")
        assert float(item["expires_at"]["N"]) > time.time() + lease.TTL_S - 5
    finally:
        taken.release()
    assert _item() is None


def test_a_second_lease_is_refused_at_once_naming_the_holder(aws):
    first = _lease(aws)
    holder = first.acquire()
    try:
        with pytest.raises(lease.LeaseHeld) as refused:
            _lease(aws).acquire(timeout=0)
        message = str(refused.value)
        assert 'stack "orders" (env prod, region us-east-1) is locked' in message
        assert holder.who in message and holder.host in message
        assert f"pid {holder.pid}" in message and lease.utc(holder.since) in message
        assert "awsprov --region us-east-1 unlock orders --env prod" in message
        assert "\n" not in message
        assert _item()["token"]["S"] == holder.token  # the refused one changed nothing
    finally:
        first.release()


def test_a_second_lease_waits_and_proceeds_when_the_first_is_released(aws):
    first = _lease(aws)
    first.acquire()
    threading.Timer(0.3, first.release).start()
    said: list[str] = []
    started = time.monotonic()
    second = _lease(aws, notify=said.append)
    holder = second.acquire(timeout=10)
    try:
        assert 0.25 < time.monotonic() - started < 5
        assert _item()["token"]["S"] == holder.token
        assert len(said) == 1 and said[0].startswith("waiting up to 10s for the lease")
    finally:
        second.release()


def test_a_wait_that_runs_out_fails_naming_the_holder(aws):
    first = _lease(aws)
    first.acquire()
    try:
        started = time.monotonic()
        with pytest.raises(lease.LeaseHeld, match=r"after waiting 0\.3s"):
            _lease(aws).acquire(timeout=0.3)
        assert time.monotonic() - started >= 0.3
    finally:
        first.release()


def test_an_expired_lease_is_taken_over_and_its_late_release_deletes_nothing(aws):
    stale = _lease(aws, ttl=0.2, heartbeat=60)  # its heartbeat never comes in time
    stale.acquire()
    time.sleep(0.3)
    fresh = _lease(aws)
    holder = fresh.acquire(timeout=0)
    try:
        stale.release()  # the old holder wakes up: its token no longer matches
        assert _item()["token"]["S"] == holder.token
    finally:
        fresh.release()


def test_a_holder_killed_on_this_host_is_taken_over_at_once(aws):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    killed = _lease(aws)
    killed.acquire()
    killed._stop.set()  # its process "dies": no heartbeat, no release
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.update_item(TableName=lease.LOCK_TABLE, Key={"lease_id": {"S": KEY.id}},
                    UpdateExpression="SET pid = :pid",
                    ExpressionAttributeValues={":pid": {"N": str(dead_pid)}})
    said: list[str] = []
    successor = _lease(aws, notify=said.append)
    started = time.monotonic()
    holder = successor.acquire(timeout=0)
    assert _item()["token"]["S"] == holder.token
    assert said and f"pid {dead_pid} on this host, which is gone" in said[0]
    # What the killed apply made moments ago may not show yet: the successor reads after
    # KMS's usual window, not at once.
    assert time.monotonic() - started >= lease.KILLED_HOLDER_SETTLE_S
    assert "for what the killed apply made to show" in said[1]
    successor.release()


def test_a_lease_free_or_expired_is_taken_without_a_settle(aws):
    said: list[str] = []
    started = time.monotonic()
    taken = _lease(aws, notify=said.append)
    taken.acquire()
    assert time.monotonic() - started < lease.KILLED_HOLDER_SETTLE_S and said == []
    taken.release()


def test_a_live_holder_on_another_host_is_never_judged_gone(aws):
    first = _lease(aws)
    first.acquire()
    try:
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.update_item(TableName=lease.LOCK_TABLE, Key={"lease_id": {"S": KEY.id}},
                        UpdateExpression="SET host_id = :other, pid = :pid",
                        ExpressionAttributeValues={":other": {"S": "another-machine"},
                                                   ":pid": {"N": "999999"}})
        with pytest.raises(lease.LeaseHeld):
            _lease(aws).acquire(timeout=0)
    finally:
        first.release()


def test_the_heartbeat_keeps_the_lease_alive_through_a_long_wait(aws):
    held = _lease(aws, ttl=0.5, heartbeat=0.1)
    held.acquire()
    try:
        first_expiry = float(_item()["expires_at"]["N"])
        time.sleep(1.0)  # twice the TTL: without renewals it would have expired
        assert held.renewals >= 4
        assert float(_item()["expires_at"]["N"]) > first_expiry + 0.5
        with pytest.raises(lease.LeaseHeld):
            _lease(aws).acquire(timeout=0)
    finally:
        held.release()


def test_the_lease_is_released_when_the_block_fails(aws):
    with pytest.raises(RuntimeError), lease.hold(aws[0], KEY, "apply"):
        assert _item() is not None
        raise RuntimeError("an apply failed")
    assert _item() is None


def test_the_lease_is_released_on_ctrl_c(aws):
    with pytest.raises(KeyboardInterrupt), lease.hold(aws[0], KEY, "destroy"):
        raise KeyboardInterrupt
    assert _item() is None


def test_a_broken_lease_is_noticed_by_its_holder_and_never_deletes_the_next(aws):
    said: list[str] = []
    first = _lease(aws, ttl=5, heartbeat=0.05, notify=said.append)
    holder = first.acquire()
    assert lease.break_lease(aws[0], KEY, holder)
    second = _lease(aws)
    successor = second.acquire(timeout=0)
    time.sleep(0.3)
    assert first.lost and any("was broken" in s for s in said)
    first.release()
    assert _item()["token"]["S"] == successor.token
    second.release()


def test_unlock_breaks_only_the_lease_it_was_shown(aws):
    first = _lease(aws)
    shown = first.acquire()
    first.release()
    second = _lease(aws)
    second.acquire()
    try:
        assert not lease.break_lease(aws[0], KEY, shown)
        assert lease.read(aws[0], KEY) is not None
    finally:
        second.release()


def test_reading_with_no_lock_table_creates_nothing(aws):
    assert lease.read(aws[0], KEY) is None
    assert boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"] == []


def test_two_first_uses_at_once_both_find_the_table(aws):
    errors: list[BaseException] = []

    def ensure():
        try:
            lease.ensure_table(aws[0])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=ensure) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    tables = boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    assert tables == [lease.LOCK_TABLE]


def test_iam_policy_grants_the_lease_to_apply_not_to_read_only(tmp_path):
    stack = load_stack(write_spec(tmp_path, """
        stack: s
        region: eu-west-2
        queues:
          q: {name: s-q}
        """))
    statements = {s["Sid"]: s for s in stack_policy(stack, "eu-west-2", "123456789012")[
        "Statement"]}
    grant = statements["AwsprovApplyLease"]
    assert grant["Resource"] == "arn:aws:dynamodb:eu-west-2:123456789012:table/awsprov-locks"
    assert set(grant["Action"]) == {f"dynamodb:{a}" for a in (
        "CreateTable", "DescribeTable", "TagResource", "GetItem", "PutItem", "UpdateItem",
        "DeleteItem")}
    read_only = stack_policy(stack, "eu-west-2", "123456789012", read_only=True)
    assert "AwsprovApplyLease" not in {s["Sid"] for s in read_only["Statement"]}
