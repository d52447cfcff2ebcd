"""Keys and alarms take their tags from the plan's stack-wide tag index (one paginated
Tagging API read): no tag call per resource on a no-op plan. The index lags tag writes
on AWS, so a difference it shows is confirmed with the type's own tag call first."""

from __future__ import annotations

from awsprov.aws.tag_index import TagIndex
from awsprov.resources import registry
from tests.resources import lifecycle as lc

SPEC = """\
stack: idx
region: us-east-1
tags: {Team: core}
keys:
  data: {alias: alias/idx-data}
alarms:
  depth: {name: idx-depth, namespace: AWS/SQS, metric: ApproximateNumberOfMessagesVisible,
          threshold: 10}
"""


def _fresh_types(monkeypatch) -> None:
    """As a new process: the alarms forget which tags this process wrote."""
    monkeypatch.setitem(registry.all_types(), "alarms", type(registry.get("alarms"))())


def test_no_op_plan_reads_no_tags_per_key_or_alarm(aws, tmp_path, monkeypatch):
    ctx, log = aws
    stack = lc.converge(ctx, log, tmp_path, SPEC)
    _fresh_types(monkeypatch)
    log.clear()
    assert lc.changed(lc.plan(ctx, stack)) == {}
    calls = log.count()
    assert calls["ListResourceTags"] == 0 and calls["ListTagsForResource"] == 0
    assert calls["DescribeKey"] == 1 and calls["DescribeAlarms"] == 1
    assert calls["GetResources"] >= 1  # the stack's index, shared with the orphan search


def test_a_stale_index_is_confirmed_at_the_source_not_reported(aws, tmp_path, monkeypatch):
    ctx, log = aws
    stack = lc.converge(ctx, log, tmp_path, SPEC)
    _fresh_types(monkeypatch)
    real_get = TagIndex.get

    def stale(self, arn):  # the Tagging API not yet showing the Team tag
        found = real_get(self, arn)
        return {k: v for k, v in found.items() if k != "Team"} if found else found

    monkeypatch.setattr(TagIndex, "get", stale)
    log.clear()
    assert lc.changed(lc.plan(ctx, stack)) == {}
    calls = log.count()
    assert calls["ListResourceTags"] == 1 and calls["ListTagsForResource"] == 1
    assert log.writes == []
