"""Resources of the five types tagged with the stack but gone from its spec are orphans:
listed by plan, deleted by `apply --prune`, a queue holding messages refused."""

from __future__ import annotations

import boto3

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from tests.resources import lifecycle as lc

FULL = """
stack: orph
region: us-east-1
topics:
  alerts: {name: orph-alerts}
queues:
  work: {name: orph-work}
  busy: {name: orph-busy}
log_groups:
  app: {name: /orph/app}
alarms:
  depth:
    name: orph-depth
    namespace: AWS/SQS
    metric: ApproximateNumberOfMessagesVisible
    threshold: 1
dashboards:
  ops:
    name: orph-ops
    body: {widgets: []}
"""

EMPTY = """
stack: orph
region: us-east-1
"""


def test_orphans_are_listed_and_pruned_with_the_message_guard(aws, tmp_path):
    ctx, log = aws
    lc.converge(ctx, log, tmp_path, FULL)
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="orph-busy")["QueueUrl"],
                     MessageBody="keep me")
    empty = lc.load(tmp_path, EMPTY)
    result = make_plan(empty, ctx, RunOptions(prune=True))
    orphans = {c.address: c.action for c in result.plan.changes if c.orphan}
    # Dashboards cannot be tagged: never found as orphans (docs/monitoring-and-messaging.md).
    assert orphans == {"topics.alerts": Action.DELETE, "queues.work": Action.DELETE,
                       "queues.busy": Action.REFUSED, "log_groups.app": Action.DELETE,
                       "alarms.depth": Action.DELETE}
    assert "holds about 1 messages" in result.plan.by_key()["queues.busy#orph-busy"].reason
    report = apply_plan(empty, result, ctx, RunOptions(prune=True))
    assert [o.address for o in report.failures] == ["queues.busy"]
    assert [u.rsplit("/", 1)[-1] for u in sqs.list_queues()["QueueUrls"]] == ["orph-busy"]
    assert boto3.client("sns", region_name="us-east-1").list_topics()["Topics"] == []
    logs = boto3.client("logs", region_name="us-east-1")
    assert logs.describe_log_groups(logGroupNamePrefix="/orph")["logGroups"] == []
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    assert cloudwatch.describe_alarms(AlarmNames=["orph-depth"])["MetricAlarms"] == []
