"""The calls a no-op plan makes per resource, as docs/monitoring-and-messaging.md states
them (a fresh alarm type stands for a new process: nothing tagged by it)."""

from __future__ import annotations

from collections import Counter

from awsprov.resources import registry
from tests.resources import lifecycle as lc

SPEC = """
stack: calls
region: us-east-1
topics:
  alerts:
    name: calls-alerts
    subscriptions:
      - {protocol: sqs, endpoint: "${queues.work}"}
      - {protocol: email, endpoint: ops@example.com}
queues:
  work: {name: calls-work}
log_groups:
  app: {name: /calls/app, retention_days: 7}
alarms:
  depth:
    name: calls-depth
    namespace: AWS/SQS
    metric: ApproximateNumberOfMessagesVisible
    threshold: 1
    actions: ["${topics.alerts}"]
dashboards:
  ops: {name: calls-ops, body: {widgets: []}}
"""


def test_no_op_plan_calls_per_resource(aws, tmp_path, monkeypatch):
    ctx, log = aws
    stack = lc.converge(ctx, log, tmp_path, SPEC)
    monkeypatch.setitem(registry.all_types(), "alarms", type(registry.get("alarms"))())
    log.clear()
    assert lc.changed(lc.plan(ctx, stack)) == {}
    by_service = Counter(log.calls)
    assert by_service == Counter({
        ("sts", "GetCallerIdentity"): by_service[("sts", "GetCallerIdentity")],
        # topic: 3 + one per confirmed subscription
        ("sns", "GetTopicAttributes"): 1, ("sns", "ListTagsForResource"): 1,
        ("sns", "ListSubscriptionsByTopic"): 1, ("sns", "GetSubscriptionAttributes"): 2,
        # queue: 3
        ("sqs", "GetQueueUrl"): 1, ("sqs", "GetQueueAttributes"): 1,
        ("sqs", "ListQueueTags"): 1,
        # log group: 2
        ("logs", "DescribeLogGroups"): 1, ("logs", "ListTagsForResource"): 1,
        # alarms: one DescribeAlarms per 100; their tags from the stack's tag index
        ("cloudwatch", "DescribeAlarms"): 1,
        ("resourcegroupstaggingapi", "GetResources"): 1,  # the index (orphan search)
        # dashboard: 1
        ("cloudwatch", "GetDashboard"): 1,
    })
