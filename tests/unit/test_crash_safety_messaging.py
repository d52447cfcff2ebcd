"""An apply of topics, queues, log groups, alarms and a dashboard, stopped before each of
its write calls and run again, converges: plan empty, zero writes, no duplicates."""

from __future__ import annotations

import boto3

from tests.helpers import assert_converges_after_each_kill, thread_safe_moto, write_spec

SPEC = """
stack: crash
region: us-east-1
topics:
  alerts:
    name: crash-alerts
    display_name: Crash
    subscriptions:
      - {protocol: sqs, endpoint: "${queues.work}", raw_message_delivery: true}
      - {protocol: email, endpoint: ops@example.com}
queues:
  dlq: {name: crash-dlq, retention_seconds: 1209600}
  work:
    name: crash-work
    visibility_timeout: 120
    dead_letter: {queue: "${queues.dlq}", max_receive_count: 3}
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {Service: sns.amazonaws.com}
          Action: sqs:SendMessage
          Resource: arn:aws:sqs:us-east-1:${account_id}:crash-work
          Condition:
            ArnEquals: {"aws:SourceArn": "arn:aws:sns:us-east-1:${account_id}:crash-alerts"}
log_groups:
  app: {name: /crash/app, retention_days: 14}
alarms:
  depth:
    name: crash-depth
    namespace: AWS/SQS
    metric: ApproximateNumberOfMessagesVisible
    dimensions: {QueueName: "${queues.work.name}"}
    threshold: 10
    actions: ["${topics.alerts}"]
dashboards:
  ops:
    name: crash-ops
    body: {widgets: [{type: alarm, properties: {alarms: ["${alarms.depth}"]}}]}
"""


def _no_duplicates() -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    assert len(sns.list_topics()["Topics"]) == 1
    arn = sns.list_topics()["Topics"][0]["TopicArn"]
    assert len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]) == 2
    assert len(boto3.client("sqs", region_name="us-east-1").list_queues()["QueueUrls"]) == 2


def test_apply_killed_before_each_write_then_rerun_converges(tmp_path):
    thread_safe_moto()
    writes = assert_converges_after_each_kill(write_spec(tmp_path, SPEC),
                                              check=_no_duplicates)
    assert len(writes) >= 7, writes
