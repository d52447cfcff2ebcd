"""SNS topics against moto: create, no-op, every updatable property, drift, destroy."""

from __future__ import annotations

import json

import boto3
import pytest

from awsprov.core.changes import Action
from awsprov.resources import registry
from tests.resources import lifecycle as lc

V1 = """
stack: msg
region: us-east-1
tags: {Team: ops}
topics:
  alerts:
    name: msg-alerts
    display_name: Alerts
    kms_key: alias/aws/sns
    subscriptions:
      - {protocol: sqs, endpoint: "${queues.inbox}", raw_message_delivery: true}
      - {protocol: email, endpoint: ops@example.com}
queues:
  inbox: {name: msg-inbox}
  audit: {name: msg-audit}
"""

V2 = """
stack: msg
region: us-east-1
tags: {Team: platform}
topics:
  alerts:
    name: msg-alerts
    display_name: Alerts v2
    kms_key: KEY_ARN
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: OwnerPublishes
          Effect: Allow
          Principal: {AWS: "123456789012"}
          Action: sns:Publish
          Resource: arn:aws:sns:us-east-1:123456789012:msg-alerts
    subscriptions:
      - protocol: sqs
        endpoint: "${queues.inbox}"
        filter_policy: {severity: [critical]}
      - {protocol: sqs, endpoint: "${queues.audit.arn}", raw_message_delivery: true}
queues:
  inbox: {name: msg-inbox}
  audit: {name: msg-audit}
"""


def _topic(ctx):
    return boto3.client("sns", region_name="us-east-1"), ctx.arn("sns", "msg-alerts")


def _key() -> str:
    return boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]


def test_topic_lifecycle(aws, tmp_path):
    ctx, log = aws
    stack = lc.converge(ctx, log, tmp_path, V1)
    sns, arn = _topic(ctx)
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["DisplayName"] == "Alerts"
    assert attributes["KmsMasterKeyId"] == "alias/aws/sns"
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"Team": "ops", "awsprov:stack": "msg", "awsprov:address": "topics.alerts"}
    subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert sorted(s["Protocol"] for s in subs) == ["email", "sqs"]

    key = _key()
    v2 = lc.load(tmp_path, V2.replace("KEY_ARN", key))
    result = lc.plan(ctx, v2)
    assert lc.changed(result)["topics.alerts"] is Action.UPDATE
    assert lc.paths(result, "topics.alerts") >= {"display_name", "kms_key", "subscriptions",
                                                  "tags.Team"}
    log.clear()
    lc.apply(ctx, v2)
    # SetTopicAttributes takes one attribute per call: display name, key, policy.
    assert log.count()["SetTopicAttributes"] == 3
    assert log.count()["Unsubscribe"] == 1
    lc.assert_converged(ctx, log, v2)
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["KmsMasterKeyId"] == key
    assert json.loads(attributes["Policy"])["Statement"][0]["Sid"] == "OwnerPublishes"
    subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert sorted(s["Endpoint"].rsplit(":", 1)[-1] for s in subs) == ["msg-audit", "msg-inbox"]
    inbox = next(s for s in subs if s["Endpoint"].endswith("msg-inbox"))
    sub_attrs = sns.get_subscription_attributes(SubscriptionArn=inbox["SubscriptionArn"])
    assert json.loads(sub_attrs["Attributes"]["FilterPolicy"]) == {"severity": ["critical"]}
    assert sub_attrs["Attributes"].get("RawMessageDelivery") == "false"

    # Behind awsprov's back: the key is removed and the policy rewritten.
    sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue="")
    drift = lc.drift_paths(ctx, v2)
    assert "kms_key" in drift["topics.alerts"]
    lc.apply(ctx, v2)
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"] == key
    lc.assert_converged(ctx, log, v2)

    # Back to V1: the policy returns to SNS's default, the key to alias/aws/sns.
    lc.apply(ctx, stack)
    lc.assert_converged(ctx, log, stack)
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert policy["Statement"][0]["Sid"] == "__default_statement_ID"

    lc.destroy(ctx, stack)
    assert not any(t["TopicArn"] == arn for t in sns.list_topics()["Topics"])


PENDING = """
stack: msg
region: us-east-1
topics:
  alerts:
    name: msg-alerts
    subscriptions: SUBS
"""


def _pending_email(parsed, **_):
    """AWS lists an unconfirmed subscription with the ARN `PendingConfirmation` (moto
    confirms email subscriptions at once: KNOWN_EMULATOR_GAPS)."""
    for sub in parsed.get("Subscriptions", []):
        if sub["Protocol"] == "email":
            sub["SubscriptionArn"] = "PendingConfirmation"


def test_unconfirmed_subscription_is_not_removed_and_the_plan_says_so(aws, tmp_path):
    ctx, log = aws
    email = '[{protocol: email, endpoint: ops@example.com}]'
    lc.converge(ctx, log, tmp_path, PENDING.replace("SUBS", email))
    ctx.clients.on("after-call.sns.ListSubscriptionsByTopic", _pending_email)
    without = lc.load(tmp_path, PENDING.replace("SUBS", "[]"))
    result = lc.plan(ctx, without)
    change = result.plan.by_address()["topics.alerts"]
    assert change.action is Action.UPDATE
    assert any("pending confirmation" in w and "cannot delete" in w for w in change.warnings)
    log.clear()
    lc.apply(ctx, without)
    assert "Unsubscribe" not in log.operations
    sns, arn = _topic(ctx)
    assert len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]) == 1


def test_fifo_topic_and_refusals_before_aws(aws, tmp_path):
    ctx, log = aws
    lc.converge(ctx, log, tmp_path, """
        stack: msg
        region: us-east-1
        topics:
          events: {name: msg-events.fifo, fifo: true}
        """)
    sns = boto3.client("sns", region_name="us-east-1")
    attributes = sns.get_topic_attributes(TopicArn=ctx.arn("sns", "msg-events.fifo"))
    assert attributes["Attributes"]["FifoTopic"] == "true"
    assert registry.get("topics").fields["fifo"].value == "replace"


def test_adopts_an_untagged_topic_and_refuses_another_stacks(aws, tmp_path):
    ctx, _log = aws
    sns = boto3.client("sns", region_name="us-east-1")
    sns.create_topic(Name="msg-alerts")
    sns.create_topic(Name="msg-theirs", Tags=[{"Key": "awsprov:stack", "Value": "other"}])
    stack = lc.load(tmp_path, """
        stack: msg
        region: us-east-1
        topics:
          alerts: {name: msg-alerts}
          theirs: {name: msg-theirs}
        """)
    assert lc.changed(lc.plan(ctx, stack)) == {"topics.alerts": Action.ADOPT,
                                               "topics.theirs": Action.REFUSED}


@pytest.mark.parametrize("protocol", ["email", "sms"])
def test_raw_delivery_is_refused_for_protocols_without_it(protocol):
    problems = registry.get("topics").check({"name": "t", "subscriptions": [
        {"protocol": protocol, "endpoint": "ops@example.com", "raw_message_delivery": True}]})
    assert [p.path for p in problems] == [("subscriptions", 0, "raw_message_delivery")]
