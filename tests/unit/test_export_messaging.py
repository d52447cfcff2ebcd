"""`awsprov export` for topics, queues, log groups, alarms and dashboards: the exported
spec of a hand-made resource plans as an adoption with nothing but the ownership tags
(a dashboard, untaggable, plans no change at all)."""

from __future__ import annotations

import json

import boto3
import pytest
import yaml

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.export import export_resources
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec

OWNERSHIP = {"tags.awsprov:stack", "tags.awsprov:address"}


def _hand_made(region: str = "us-east-1") -> None:
    sqs = boto3.client("sqs", region_name=region)
    dlq = sqs.create_queue(QueueName="hand-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sqs.create_queue(QueueName="hand-work", Attributes={
        "VisibilityTimeout": "90", "ReceiveMessageWaitTimeSeconds": "10",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 4})},
        tags={"Owner": "ops"})
    sns = boto3.client("sns", region_name=region)
    topic = sns.create_topic(Name="hand-topic", Attributes={"DisplayName": "Hand"})["TopicArn"]
    work_arn = dlq_arn.replace("hand-dlq", "hand-work")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=work_arn,
                  Attributes={"RawMessageDelivery": "true"})
    logs = boto3.client("logs", region_name=region)
    logs.create_log_group(logGroupName="/hand/app")
    logs.put_retention_policy(logGroupName="/hand/app", retentionInDays=30)
    cloudwatch = boto3.client("cloudwatch", region_name=region)
    cloudwatch.put_metric_alarm(
        AlarmName="hand-alarm", Namespace="AWS/SQS", MetricName="NumberOfMessagesSent",
        Dimensions=[{"Name": "QueueName", "Value": "hand-work"}], ExtendedStatistic="p90",
        Period=60, EvaluationPeriods=2, Threshold=7, ComparisonOperator="LessThanThreshold",
        AlarmActions=[topic])
    cloudwatch.put_dashboard(DashboardName="hand-board", DashboardBody=json.dumps(
        {"widgets": [{"type": "text", "properties": {"markdown": "hi"}}]}))


@pytest.mark.parametrize(("section", "name", "expect"), [
    ("queues", "hand-work", {"visibility_timeout": 90, "receive_wait_seconds": 10}),
    ("topics", "hand-topic", {"display_name": "Hand"}),
    ("log_groups", "/hand/app", {"retention_days": 30}),
    ("alarms", "hand-alarm", {"statistic": "p90", "comparison": "<", "threshold": 7}),
    ("dashboards", "hand-board", {}),
])
def test_exported_spec_adopts_with_only_ownership_tags(aws, tmp_path, section, name, expect):
    ctx, _log = aws
    _hand_made()
    document = export_resources(ctx, section, [name])
    [props] = document[section].values()
    assert {k: props[k] for k in expect} == expect
    spec = write_spec(tmp_path, yaml.safe_dump({**document, "stack": "adopted"}))
    plan = make_plan(load_stack(spec), ctx, RunOptions()).plan
    [change] = [c for c in plan.changes if not c.orphan]
    if section == "dashboards":
        assert change.action is Action.NOOP
    else:
        assert change.action is Action.ADOPT
        assert {a.path for a in change.attributes} == OWNERSHIP
