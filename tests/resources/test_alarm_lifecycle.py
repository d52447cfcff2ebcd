"""CloudWatch alarms against moto: full-object writes, percentiles, batch reads."""

from __future__ import annotations

import boto3

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.resources import registry
from tests.helpers import wait_for_tag_index
from tests.resources import lifecycle as lc

V1 = """
stack: mon
region: us-east-1
topics:
  alerts: {name: mon-alerts}
  oncall: {name: mon-oncall}
alarms:
  latency:
    name: mon-api-latency
    namespace: AWS/ApiGateway
    metric: Latency
    dimensions: {ApiName: vaultlink-api}
    statistic: p95
    period: 300
    evaluation_periods: 3
    threshold: 1000
    comparison: ">"
    actions: ["${topics.alerts}"]
    description: API latency p95 above one second
"""

V2 = """
stack: mon
region: us-east-1
topics:
  alerts: {name: mon-alerts}
  oncall: {name: mon-oncall}
alarms:
  latency:
    name: mon-api-latency
    namespace: AWS/ApiGateway
    metric: Latency
    dimensions: {ApiName: vaultlink-api, Stage: prod}
    statistic: p99.9
    period: 60
    evaluation_periods: 5
    datapoints_to_alarm: 4
    threshold: 2500.5
    comparison: GreaterThanOrEqualToThreshold
    treat_missing_data: notBreaching
    actions: ["${topics.alerts}", "${topics.oncall.arn}"]
    ok_actions: ["${topics.alerts}"]
    insufficient_data_actions: ["${topics.oncall}"]
    tags: {Severity: high}
"""


def _alarm(name: str = "mon-api-latency") -> dict:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    return cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def test_alarm_lifecycle(aws, tmp_path):
    ctx, log = aws
    stack = lc.converge(ctx, log, tmp_path, V1)
    alarm = _alarm()
    assert alarm["ExtendedStatistic"] == "p95" and "Statistic" not in alarm
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["AlarmActions"] == [ctx.arn("sns", "mon-alerts")]

    v2 = lc.load(tmp_path, V2)
    result = lc.plan(ctx, v2)
    assert lc.changed(result) == {"alarms.latency": Action.UPDATE}
    assert lc.paths(result, "alarms.latency") == {
        "dimensions.Stage", "statistic", "period", "evaluation_periods",
        "datapoints_to_alarm", "threshold", "comparison", "treat_missing_data", "actions",
        "ok_actions", "insufficient_data_actions", "description", "tags.Severity"}
    log.clear()
    lc.apply(ctx, v2)
    assert log.count()["PutMetricAlarm"] == 1
    lc.assert_converged(ctx, log, v2)
    alarm = _alarm()
    assert (alarm["ExtendedStatistic"], alarm["Threshold"], alarm["DatapointsToAlarm"]) == \
        ("p99.9", 2500.5, 4)
    assert "AlarmDescription" not in alarm or not alarm["AlarmDescription"]

    # Behind awsprov's back: someone raises the threshold (PutMetricAlarm, as the console).
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    request = {k: alarm[k] for k in ("AlarmName", "Namespace", "MetricName", "Dimensions",
                                     "ExtendedStatistic", "Period", "EvaluationPeriods",
                                     "ComparisonOperator")}
    cloudwatch.put_metric_alarm(**request, Threshold=9999)
    assert lc.drift_paths(ctx, v2)["alarms.latency"] >= {"threshold"}
    lc.apply(ctx, v2)
    assert _alarm()["Threshold"] == 2500.5
    assert _alarm()["OKActions"] == [ctx.arn("sns", "mon-alerts")]
    lc.assert_converged(ctx, log, v2)

    lc.destroy(ctx, stack)
    assert cloudwatch.describe_alarms(AlarmNames=["mon-api-latency"])["MetricAlarms"] == []


def test_same_named_alarm_made_elsewhere_follows_ownership(aws, tmp_path):
    ctx, _log = aws
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    common = {"Namespace": "AWS/SQS", "MetricName": "M", "Statistic": "Sum", "Period": 60,
              "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "LessThanThreshold"}
    cloudwatch.put_metric_alarm(AlarmName="mon-mine", **common)
    cloudwatch.put_metric_alarm(AlarmName="mon-theirs", **common,
                                Tags=[{"Key": "awsprov:stack", "Value": "other"}])
    stack = lc.load(tmp_path, """
        stack: mon
        region: us-east-1
        alarms:
          mine: {name: mon-mine, namespace: AWS/SQS, metric: M, threshold: 1}
          theirs: {name: mon-theirs, namespace: AWS/SQS, metric: M, threshold: 1}
        """)
    result = lc.plan(ctx, stack)
    assert lc.changed(result) == {"alarms.mine": Action.ADOPT, "alarms.theirs": Action.REFUSED}
    report = apply_plan(stack, result, ctx, RunOptions())
    assert [o.address for o in report.failures] == ["alarms.theirs"]
    assert _alarm("mon-theirs")["ComparisonOperator"] == "LessThanThreshold"  # untouched
    assert _alarm("mon-mine")["ComparisonOperator"] == "GreaterThanThreshold"


def _many_alarms(count: int) -> str:
    body = "\n".join(f"  a{i:03d}: {{name: mon-alarm-{i:03d}, namespace: AWS/SQS, "
                     f"metric: ApproximateNumberOfMessagesVisible, threshold: {i}}}"
                     for i in range(count))
    return f"stack: mon\nregion: us-east-1\nalarms:\n{body}\n"


def test_no_op_plan_of_150_alarms_reads_them_in_batches(aws, tmp_path, monkeypatch):
    ctx, log = aws
    stack = lc.converge(ctx, log, tmp_path, _many_alarms(150))
    wait_for_tag_index("mon")  # the index AWS promises no freshness of: these counts need it
    fresh = type(registry.get("alarms"))()  # a new process: nothing tagged here
    monkeypatch.setitem(registry.all_types(), "alarms", fresh)
    log.clear()
    assert lc.changed(lc.plan(ctx, stack)) == {}
    calls = log.count()
    assert calls["DescribeAlarms"] <= 2
    # Tags: one Tagging API call per 100 alarms on AWS, none per alarm.
    assert calls["ListTagsForResource"] == 0
    by_tagging_api = calls["GetResources"]
    fresh.tags_from_tagging_api = False
    log.clear()
    assert lc.changed(lc.plan(ctx, stack)) == {}
    per_alarm = log.count()
    assert per_alarm["DescribeAlarms"] <= 2 and per_alarm["ListTagsForResource"] == 150
    # The orphan search pages through the stack's tags either way, and the alarms take
    # theirs from that index: no Tagging API call of their own.
    assert by_tagging_api == per_alarm["GetResources"] > 0
    # Without the index (--target), one GetResources per 100 alarms (ResourceARNList) on
    # AWS; 2 on moto, which pages each answer at 100 tags (2 per alarm).
    fresh.tags_from_tagging_api = True
    log.clear()
    targeted = make_plan(stack, ctx, RunOptions(targets=("alarms.a000", "alarms.a001")))
    assert lc.changed(targeted) == {}
    assert log.count()["GetResources"] == 1 and log.count()["ListTagsForResource"] == 0


def test_comparison_shorthands_and_percentiles_normalize():
    rtype = registry.get("alarms")
    base = {"name": "a", "namespace": "N", "metric": "M", "threshold": 1}
    for short, long in (("<", "LessThanThreshold"), ("<=", "LessThanOrEqualToThreshold"),
                        (">=", "GreaterThanOrEqualToThreshold")):
        assert rtype.desired_state({**base, "comparison": short})["comparison"] == long
    state = rtype.desired_state({**base, "statistic": "p99.9", "evaluation_periods": 4})
    assert (state["statistic"], state["datapoints_to_alarm"]) == ("p99.9", 4)


def test_actions_disabled_behind_the_back_are_drift_and_reverted(aws, tmp_path):
    ctx, log = aws
    stack = lc.converge(ctx, log, tmp_path, V1)
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    cloudwatch.disable_alarm_actions(AlarmNames=["mon-api-latency"])
    assert lc.drift_paths(ctx, stack) == {"alarms.latency": {"actions_enabled"}}
    lc.apply(ctx, stack)
    assert _alarm()["ActionsEnabled"] is True
    lc.assert_converged(ctx, log, stack)


def test_ignored_properties_are_sent_as_live_has_them(aws, tmp_path):
    """PutMetricAlarm replaces the whole alarm: an ignored threshold must survive it."""
    ctx, log = aws
    lc.converge(ctx, log, tmp_path, V1)
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    alarm = _alarm()
    request = {k: alarm[k] for k in ("AlarmName", "Namespace", "MetricName", "Dimensions",
                                     "ExtendedStatistic", "Period", "EvaluationPeriods",
                                     "ComparisonOperator", "AlarmActions", "AlarmDescription")}
    cloudwatch.put_metric_alarm(**request, Threshold=4321)  # tuned by hand
    tuned = lc.load(tmp_path, V1.replace("    threshold: 1000\n", "    threshold: 1000\n"
                                         "    ignore_changes: [threshold]\n")
                    .replace("evaluation_periods: 3", "evaluation_periods: 4"))
    result = lc.plan(ctx, tuned)
    assert lc.paths(result, "alarms.latency") == {"evaluation_periods", "datapoints_to_alarm"}
    lc.apply(ctx, tuned)
    assert (_alarm()["Threshold"], _alarm()["EvaluationPeriods"]) == (4321, 4)
    lc.assert_converged(ctx, log, tuned)
