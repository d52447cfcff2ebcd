"""CloudWatch dashboards against moto: body compared by meaning, drift, warnings."""

from __future__ import annotations

import json

import boto3
from botocore.stub import Stubber

from awsprov.core.changes import Action
from awsprov.resources import registry
from awsprov.resources.base import Desired
from tests.helpers import make_context
from tests.resources import lifecycle as lc

SPEC = """
stack: mon
region: us-east-1
tags: {Team: ops}
queues:
  work: {name: mon-work}
dashboards:
  ops:
    name: mon-ops
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: Queue depth
            region: us-east-1
            stat: Maximum
            period: 300
            metrics:
              - [AWS/SQS, ApproximateNumberOfMessagesVisible, QueueName, "${queues.work.name}"]
        - type: text
          x: 12
          y: 0
          width: 12
          height: 6
          properties: {markdown: "TITLE"}
"""


def _body() -> dict:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    return json.loads(cloudwatch.get_dashboard(DashboardName="mon-ops")["DashboardBody"])


def test_dashboard_lifecycle(aws, tmp_path):
    ctx, log = aws
    stack = lc.converge(ctx, log, tmp_path, SPEC.replace("TITLE", "Runbook: see wiki"))
    body = _body()
    assert body["widgets"][0]["properties"]["metrics"][0][3] == "mon-work"

    v2 = lc.load(tmp_path, SPEC.replace("TITLE", "Runbook v2"))
    result = lc.plan(ctx, v2)
    assert lc.changed(result) == {"dashboards.ops": Action.UPDATE}
    assert lc.paths(result, "dashboards.ops") == {"body.widgets[1]"}
    lc.apply(ctx, v2)
    lc.assert_converged(ctx, log, v2)

    # Same meaning, other spelling: keys reordered, spacing changed. Not drift.
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    text = json.dumps({"widgets": _body()["widgets"]}, indent=4, sort_keys=False)
    cloudwatch.put_dashboard(DashboardName="mon-ops", DashboardBody=text)
    assert lc.drift_paths(ctx, v2) == {}

    # Behind awsprov's back: a widget removed.
    cloudwatch.put_dashboard(DashboardName="mon-ops",
                             DashboardBody=json.dumps({"widgets": _body()["widgets"][:1]}))
    assert lc.drift_paths(ctx, v2) == {"dashboards.ops": {"body.widgets[1]"}}
    lc.apply(ctx, v2)
    assert len(_body()["widgets"]) == 2
    lc.assert_converged(ctx, log, v2)

    lc.destroy(ctx, stack)
    assert cloudwatch.list_dashboards()["DashboardEntries"] == []


def test_a_same_named_dashboard_is_taken_as_the_specs(aws, tmp_path):
    """Dashboards have no tags: the name is the identity (no adopt, no orphan)."""
    ctx, log = aws
    boto3.client("cloudwatch", region_name="us-east-1").put_dashboard(
        DashboardName="mon-ops", DashboardBody=json.dumps({"widgets": []}))
    stack = lc.load(tmp_path, SPEC.replace("TITLE", "x"))
    result = lc.plan(ctx, stack)
    assert result.plan.by_address()["dashboards.ops"].action is Action.UPDATE
    lc.apply(ctx, stack)
    lc.assert_converged(ctx, log, stack)
    assert "TagResource" not in log.operations


def test_validation_messages_are_shown_as_warnings():
    ctx, _log = make_context("us-east-1")
    cloudwatch = ctx.client("cloudwatch")
    rtype = registry.get("dashboards")
    props = {"name": "mon-ops", "body": {"widgets": [{"type": "metric", "properties": {}}]}}
    desired = Desired("dashboards", "ops", "mon-ops", props, rtype.desired_state(props), {})
    progress: list[str] = []
    with Stubber(cloudwatch) as stub:
        stub.add_response("put_dashboard", {"DashboardValidationMessages": [
            {"DataPath": "/widgets/0/properties", "Message": "Should have required property "
                                                             "'metrics'"}]})
        rtype.create(ctx, desired, progress.append)
    assert progress[-1] == ("warning: CloudWatch says /widgets/0/properties: Should have "
                            "required property 'metrics'")
