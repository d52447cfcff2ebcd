"""Waits back off from a short first pause up to the policy's delay, confirm at the
interval CONFIRMATIONS gives (with AWS's reason), and do not confirm where no earlier state
can pass for done."""

from __future__ import annotations

import itertools

import pytest

from awsprov.aws import waiters
from awsprov.aws.waiters import CONFIRMATIONS, WaitPolicy, retry_when, wait_until


@pytest.fixture
def pauses(monkeypatch) -> list[float]:
    taken: list[float] = []
    monkeypatch.setattr(waiters, "_pause", lambda policy, what: taken.append(policy.delay))
    return taken


def test_pauses_double_from_the_first_up_to_the_delay():
    policy = WaitPolicy(delay=5.0)
    assert list(itertools.islice(policy.pauses(), 7)) == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_a_shrunk_delay_caps_the_first_pause_too():
    assert list(itertools.islice(WaitPolicy(delay=0.01).pauses(), 3)) == [0.01] * 3


def test_a_poll_backs_off_while_the_state_is_not_there(pauses):
    reads = iter(["CREATING"] * 4 + ["ACTIVE"])
    wait_until(lambda: next(reads), lambda s: s == "ACTIVE", "x", WaitPolicy(delay=5.0))
    assert pauses == [0.25, 0.5, 1.0, 2.0]


def test_a_retry_backs_off_too(pauses):
    from botocore.exceptions import ClientError

    calls = iter(range(4))

    def call() -> str:
        if next(calls) < 3:
            raise ClientError({"Error": {"Code": "NotYet", "Message": "later"}}, "Op")
        return "ok"

    assert retry_when(call, ("NotYet",), "x", WaitPolicy(delay=5.0)) == "ok"
    assert pauses == [0.25, 0.5, 1.0]


def test_a_named_confirmation_reads_again_after_its_own_interval(pauses):
    reads = iter(["old", "new", "new"])
    wait_until(lambda: next(reads), lambda s: s == "new", "x", WaitPolicy(delay=5.0),
               confirm="s3.lifecycle")
    assert pauses == [0.25, CONFIRMATIONS["s3.lifecycle"].interval]


def test_a_confirmation_that_disagrees_starts_over(pauses):
    reads = iter(["new", "old", "new", "new"])
    wait_until(lambda: next(reads), lambda s: s == "new", "x", WaitPolicy(delay=5.0),
               confirm="sqs.attributes")
    interval = CONFIRMATIONS["sqs.attributes"].interval
    assert pauses == [interval, 0.25, interval]


def test_an_unnamed_confirmation_keeps_the_full_delay(pauses):
    reads = iter(["new", "new", "new"])
    wait_until(lambda: next(reads), lambda s: s == "new", "x", WaitPolicy(delay=5.0),
               consecutive=3)
    assert pauses == [5.0, 5.0]


def test_no_confirming_read_is_shorter_than_the_aws_window_it_cites():
    # SQS: "wait at least one second after the queue is created to be able to use it"
    assert CONFIRMATIONS["sqs.attributes"].interval >= 1.0
    assert all(c.reads >= 1 and c.reason for c in CONFIRMATIONS.values())
    assert CONFIRMATIONS["dynamodb.active_after_update"].reads == 2


def _table(ctx) -> str:
    ctx.client("dynamodb").create_table(
        TableName="t1", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    return "t1"


@pytest.mark.parametrize(("after", "expected"), [
    ("create", []),  # no earlier state looks ACTIVE: the first ACTIVE is believed
    ("update", [CONFIRMATIONS["dynamodb.active_after_update"].interval]),
    (None, []),  # before a change of ours: nothing to confirm
])
def test_a_table_active_is_confirmed_only_after_an_update(aws, pauses, after, expected):
    from awsprov.resources.dynamodb_table import api

    ctx, calls = aws
    ctx.wait = WaitPolicy(delay=5.0)
    name = _table(ctx)
    calls.clear()
    api.wait_active(ctx, name, lambda _: None, "ACTIVE", after=after)
    assert pauses == expected
    assert calls.count()["DescribeTable"] == 1 + len(expected)
