"""The real entry point against in-process moto: apply, verify clean, drift made behind
awsprov's back found by `verify` (exit 2, JSON), reverted by `apply`."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from awsprov.resources import sqs_queue
from tests.helpers import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "specs" / "examples"


def test_verify_finds_drift_and_apply_reverts_it(moto, capsys, monkeypatch):
    # The CLI waits with real delays; the queue's 2 s confirming read is not under test.
    monkeypatch.setattr(sqs_queue, "PROPAGATION_POLL_SECONDS", 0.01)
    spec = str(EXAMPLES / "alarm-percentile.yaml")
    code, _out, err = run_cli(capsys, "apply", spec, "--yes")
    assert code == 0, err
    assert run_cli(capsys, "verify", spec)[0] == 0

    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    alarm = cloudwatch.describe_alarms(AlarmNames=["example-work-depth"])["MetricAlarms"][0]
    cloudwatch.put_metric_alarm(
        AlarmName=alarm["AlarmName"], Namespace=alarm["Namespace"],
        MetricName=alarm["MetricName"], Dimensions=alarm["Dimensions"],
        Statistic=alarm["Statistic"], Period=alarm["Period"],
        EvaluationPeriods=alarm["EvaluationPeriods"], Threshold=5,
        ComparisonOperator=alarm["ComparisonOperator"], AlarmActions=alarm["AlarmActions"])
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="example-alarm-work")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "7"})

    code, out, _err = run_cli(capsys, "verify", spec, "--output", "json")
    assert code == 2
    report = json.loads(out)
    drift = {d["address"]: {a["path"]: (a["before"], a["after"]) for a in d["attributes"]}
             for d in report["drift"]}
    assert drift == {"alarms.depth": {"threshold": (5.0, 1000.0)},
                     "queues.work": {"visibility_timeout": (7, 30)}}

    code, _out, err = run_cli(capsys, "apply", spec, "--yes")
    assert code == 0, err
    assert run_cli(capsys, "verify", spec)[0] == 0
    assert cloudwatch.describe_alarms(AlarmNames=["example-work-depth"])[
        "MetricAlarms"][0]["Threshold"] == 1000
