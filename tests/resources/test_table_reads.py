"""What a no-op plan costs, and the stack's tag index (one GetResources pagination) that
spares each table its ListTagsOfResource without breaking adoption or hiding drift."""

from __future__ import annotations

from collections import Counter

import boto3

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec

SPEC = """
stack: reads
region: us-east-1
tables:
""" + "".join(f"  t{i}:\n    name: reads-{i}\n    hash_key: id\n    attributes: {{id: S}}\n"
              f"    tags: {{Team: a}}\n" for i in range(12))


def _converged(aws, tmp_path):
    ctx, log = aws
    stack = load_stack(write_spec(tmp_path, SPEC))
    assert apply_plan(stack, make_plan(stack, ctx, RunOptions()), ctx,
                      RunOptions()).failures == []
    log.clear()
    return ctx, log, stack


def test_no_op_plan_reads_each_table_with_three_calls_and_tags_in_one_pagination(aws,
                                                                                tmp_path):
    ctx, log, stack = _converged(aws, tmp_path)
    assert not make_plan(stack, ctx, RunOptions()).plan.has_changes
    counts = Counter(log.operations)
    assert "GetCallerIdentity" not in counts  # asked once per run, at the first plan
    assert counts.pop("GetResources") >= 1
    assert counts == {"DescribeTable": 12, "DescribeTimeToLive": 12,
                      "DescribeContinuousBackups": 12}


def test_with_targets_there_is_no_pagination_and_tags_are_read_per_table(aws, tmp_path):
    ctx, log, stack = _converged(aws, tmp_path)
    make_plan(stack, ctx, RunOptions(targets=("tables.t3",)))
    assert Counter(log.operations) == {"DescribeTable": 1,
                                       "DescribeTimeToLive": 1, "DescribeContinuousBackups": 1,
                                       "ListTagsOfResource": 1}


def test_untagged_table_is_read_per_table_and_adopted(aws, tmp_path):
    ctx, log, stack = _converged(aws, tmp_path)
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    arn = ddb.describe_table(TableName="reads-5")["Table"]["TableArn"]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["awsprov:stack", "awsprov:address"])
    plan = make_plan(stack, ctx, RunOptions()).plan
    assert [(c.address, c.action) for c in plan.changes if c.is_change] == [
        ("tables.t5", Action.ADOPT)]
    assert log.count()["ListTagsOfResource"] == 1


def test_tag_drift_seen_in_the_index_is_confirmed_at_the_source(aws, tmp_path):
    ctx, log, stack = _converged(aws, tmp_path)
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    arn = ddb.describe_table(TableName="reads-2")["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "Team", "Value": "b"}])
    plan = make_plan(stack, ctx, RunOptions()).plan
    [change] = [c for c in plan.changes if c.is_change]
    assert [(a.path, a.before, a.after) for a in change.attributes] == [("tags.Team", "b", "a")]
    assert log.count()["ListTagsOfResource"] == 1


def test_stale_tags_from_the_tagging_api_are_not_reported_as_drift(aws, tmp_path, monkeypatch):
    """The Tagging API is eventually consistent: it may still show tags changed seconds ago."""
    from awsprov.engine import planner

    ctx, log, stack = _converged(aws, tmp_path)
    real = planner._tagged_with_stack

    def lagging(aws_, name, types):
        for arn, tags in real(aws_, name, types):
            yield arn, ({**tags, "Team": "old"} if arn.endswith("/reads-7") else tags)

    monkeypatch.setattr(planner, "_tagged_with_stack", lagging)
    result = make_plan(stack, ctx, RunOptions())
    assert not result.plan.has_changes
    assert result.resources["tables.t7"].live.tags["Team"] == "a"
    assert log.count()["ListTagsOfResource"] == 1


def test_apply_reads_tags_afresh_after_its_writes(aws, tmp_path):
    ctx, log, _stack = _converged(aws, tmp_path)
    changed = load_stack(write_spec(tmp_path, SPEC.replace("Team: a", "Team: c")))
    result = make_plan(changed, ctx, RunOptions())
    assert ctx.tag_index is None  # the index lives only while a plan reads
    assert apply_plan(changed, result, ctx, RunOptions()).failures == []
    assert set(log.writes) == {"TagResource"}
    assert not make_plan(changed, ctx, RunOptions()).plan.has_changes
