"""SQS queues against moto: create, no-op, every attribute, drift, the data guard."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.planner import make_destroy_plan
from awsprov.resources import registry
from awsprov.resources.base import Desired
from tests.helpers import make_context
from tests.resources import lifecycle as lc

V1 = """
stack: msg
region: us-east-1
queues:
  dlq:
    name: msg-dlq
    retention_seconds: 1209600
  work:
    name: msg-work
    visibility_timeout: 300
    retention_seconds: 345600
    receive_wait_seconds: 20
    dead_letter: {queue: "${queues.dlq}", max_receive_count: 3}
    kms_key: alias/aws/sqs
"""

V2 = """
stack: msg
region: us-east-1
queues:
  dlq:
    name: msg-dlq
    retention_seconds: 1209600
  work:
    name: msg-work
    visibility_timeout: 60
    retention_seconds: 86400
    receive_wait_seconds: 5
    delay_seconds: 10
    max_message_size: 262144
    dead_letter: {queue: "${queues.dlq.arn}", max_receive_count: 5}
    policy:
      Version: "2012-10-17"
      Statement:
        - {Sid: Owner, Effect: Allow, Principal: {AWS: "123456789012"}, Action: "sqs:*",
           Resource: "arn:aws:sqs:us-east-1:123456789012:msg-work"}
    force_destroy: true
    tags: {Tier: gold}
"""


def _attributes(name: str) -> dict[str, str]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_queue_lifecycle(aws, tmp_path):
    ctx, log = aws
    lc.converge(ctx, log, tmp_path, V1)
    attrs = _attributes("msg-work")
    assert (attrs["VisibilityTimeout"], attrs["ReceiveMessageWaitTimeSeconds"]) == ("300", "20")
    assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] == 3
    assert attrs["KmsMasterKeyId"] == "alias/aws/sqs"
    assert _attributes("msg-dlq")["MessageRetentionPeriod"] == "1209600"

    v2 = lc.load(tmp_path, V2)
    result = lc.plan(ctx, v2)
    assert lc.changed(result) == {"queues.work": Action.UPDATE}
    assert lc.paths(result, "queues.work") >= {
        "visibility_timeout", "retention_seconds", "receive_wait_seconds", "delay_seconds",
        "max_message_size", "dead_letter.max_receive_count", "kms_key", "policy",
        "tags.Tier"}
    log.clear()
    lc.apply(ctx, v2)
    assert log.count()["SetQueueAttributes"] == 1  # every attribute in one call
    lc.assert_converged(ctx, log, v2)
    attrs = _attributes("msg-work")
    assert "KmsMasterKeyId" not in attrs or attrs["KmsMasterKeyId"] == ""
    assert attrs["DelaySeconds"] == "10"

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="msg-work")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "999"})
    assert "visibility_timeout" in lc.drift_paths(ctx, v2)["queues.work"]
    lc.apply(ctx, v2)
    assert _attributes("msg-work")["VisibilityTimeout"] == "60"
    lc.assert_converged(ctx, log, v2)

    sqs.send_message(QueueUrl=url, MessageBody="x")
    lc.destroy(ctx, v2)  # force_destroy: true on work; dlq is empty
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_a_queue_holding_messages_is_not_deleted(aws, tmp_path):
    ctx, log = aws
    stack = lc.converge(ctx, log, tmp_path, V1)
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="msg-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    result = make_destroy_plan(stack, ctx, RunOptions())
    change = result.plan.by_address()["queues.dlq"]
    assert change.action is Action.REFUSED
    assert "holds about 1 messages" in change.reason and "force_destroy" in change.reason
    assert "1 messages visible" in change.data_at_risk
    assert result.plan.by_address()["queues.work"].action is Action.DELETE


def test_fifo_queue_with_fifo_dead_letter(aws, tmp_path):
    ctx, log = aws
    lc.converge(ctx, log, tmp_path, """
        stack: msg
        region: us-east-1
        queues:
          dlq: {name: msg-dlq.fifo, fifo: true}
          orders:
            name: msg-orders.fifo
            fifo: true
            dead_letter: {queue: "${queues.dlq}", max_receive_count: 2}
        """)
    assert _attributes("msg-orders.fifo")["FifoQueue"] == "true"


def test_recreate_waits_out_queue_deleted_recently():
    """AWS refuses a deleted queue's name for 60 s; moto does not (KNOWN_EMULATOR_GAPS)."""
    ctx, _log = make_context("us-east-1")
    ctx._account_id = "123456789012"
    sqs = ctx.client("sqs")
    rtype = registry.get("queues")
    desired = Desired("queues", "work", "msg-work", {"name": "msg-work"},
                      rtype.desired_state({"name": "msg-work"}), {"awsprov:stack": "msg"})
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/msg-work"
    attributes = {"QueueArn": "arn:aws:sqs:us-east-1:123456789012:msg-work",
                  "VisibilityTimeout": "30", "MessageRetentionPeriod": "345600",
                  "ReceiveMessageWaitTimeSeconds": "0", "DelaySeconds": "0",
                  "MaximumMessageSize": "1048576"}
    progress: list[str] = []
    with Stubber(sqs) as stub:
        for _ in range(2):
            stub.add_client_error("create_queue",
                                  "AWS.SimpleQueueService.QueueDeletedRecently",
                                  "You must wait 60 seconds after deleting a queue")
        stub.add_response("create_queue", {"QueueUrl": url})
        for _ in range(2):  # the first matching read, then one confirmation
            stub.add_response("get_queue_attributes", {"Attributes": attributes})
        rtype.create(ctx, desired, progress.append)
        stub.assert_no_pending_responses()
    assert any("60 s" in p for p in progress)


def test_propagation_is_awaited_until_two_matching_reads():
    ctx, _log = make_context("us-east-1")
    ctx._account_id = "123456789012"
    sqs = ctx.client("sqs")
    rtype = registry.get("queues")
    props = {"name": "msg-work", "visibility_timeout": 60}
    desired = Desired("queues", "work", "msg-work", props, rtype.desired_state(props), {})
    base = {"QueueArn": "arn:aws:sqs:us-east-1:123456789012:msg-work",
            "MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0",
            "DelaySeconds": "0", "MaximumMessageSize": "1048576"}
    with Stubber(sqs) as stub:
        stub.add_response("create_queue", {"QueueUrl": "https://q/msg-work"})
        stub.add_response("get_queue_attributes", {"Attributes": {**base,
                                                                  "VisibilityTimeout": "30"}})
        for _ in range(2):
            stub.add_response("get_queue_attributes", {"Attributes": {**base,
                                                                      "VisibilityTimeout": "60"}})
        rtype.create(ctx, desired, lambda _m: None)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(("props", "path"), [
    ({"name": "q", "fifo": True}, ("name",)),
    ({"name": "q.fifo"}, ("name",)),
])
def test_fifo_and_name_agree(props, path):
    assert [p.path for p in registry.get("queues").check(props)] == [path]


def test_encryption_switched_off_behind_the_back_is_drift_and_reverted(aws, tmp_path):
    ctx, log = aws
    stack = lc.converge(ctx, log, tmp_path, "stack: msg\nregion: us-east-1\nqueues:\n"
                                            "  plain: {name: msg-plain}\n")
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="msg-plain")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"SqsManagedSseEnabled": "false"})
    assert lc.drift_paths(ctx, stack) == {"queues.plain": {"kms_key"}}
    lc.apply(ctx, stack)
    assert _attributes("msg-plain")["SqsManagedSseEnabled"] == "true"
    lc.assert_converged(ctx, log, stack)
