"""An apply of topics, queues, log groups, alarms and a dashboard, stopped before each of
its write calls and run again, converges: plan empty, zero writes, no duplicates."""

from __future__ import annotations

import boto3
import pytest

from awsprov.engine.executor import ApplyOptions, apply_plan
from awsprov.engine.planner import PlanOptions, make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import is_write, make_context, thread_safe_moto, write_spec

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


class Killed(BaseException):
    """Stands for kill -9: nothing in awsprov catches it."""


def _apply(tmp_path, kill_at: int | None = None) -> list[str]:
    stack = load_stack(write_spec(tmp_path, SPEC))
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


def _assert_converged(tmp_path) -> None:
    stack = load_stack(write_spec(tmp_path, SPEC))
    ctx, log = make_context("us-east-1")
    assert not make_plan(stack, ctx, PlanOptions()).plan.has_changes
    assert log.writes == []
    sns = boto3.client("sns", region_name="us-east-1")
    assert len(sns.list_topics()["Topics"]) == 1
    arn = sns.list_topics()["Topics"][0]["TopicArn"]
    assert len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]) == 2
    assert len(boto3.client("sqs", region_name="us-east-1").list_queues()["QueueUrls"]) == 2


def test_apply_killed_before_each_write_then_rerun_converges(tmp_path):
    from moto import mock_aws

    thread_safe_moto()
    with mock_aws():
        writes = _apply(tmp_path)
    assert len(writes) >= 7, writes
    for k in range(len(writes)):
        with mock_aws():
            with pytest.raises(Killed):
                _apply(tmp_path, kill_at=k)
            _apply(tmp_path)
            _assert_converged(tmp_path)
