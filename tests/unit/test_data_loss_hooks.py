"""The pure `data_loss` hook of each type, and how generic code shows and enforces it."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from awsprov.core.changes import Action, Plan, ResourceChange
from awsprov.render import text
from awsprov.resources import registry
from awsprov.resources.base import Desired, Live
from awsprov.resources.dynamodb_table.settings import TableDetails
from awsprov.resources.log_group import LogGroupDetails
from awsprov.resources.s3_bucket import BucketDetails, BucketLive, Contents, ObjectCount
from awsprov.resources.sqs_queue import QueueDetails


def _pair(section: str, before: dict, after: dict, live_cls=Live, **live_extra):
    """(rtype, desired, live, changes) for a resource going from props `before` to `after`."""
    rtype = registry.get(section)
    desired = Desired(section, "x", after["name"], after, rtype.desired_state(after), {})
    live = live_cls(name=before["name"], arn="arn:aws:x", state=rtype.desired_state(before),
                    tags={}, **live_extra)
    return rtype, desired, live, rtype.diff(desired, live)


def _loss(section: str, before: dict, after: dict, **kwargs) -> list[str]:
    rtype, desired, live, changes = _pair(section, before, after, **kwargs)
    return rtype.data_loss(desired, live, changes)


def test_the_contract_default_loses_nothing():
    assert registry.get("dashboards").data_loss(None, None, []) == []


# ---- log groups ---------------------------------------------------------------------------

LOG = {"name": "/g"}


@pytest.mark.parametrize(("before", "after", "lost"), [
    (90, 1, ["retention 90 days → 1 day: stored events older than 1 day are deleted"]),
    (None, 3653, ["retention never expire → 3,653 days: stored events older than 3,653 days "
                  "are deleted"]),
    (1, 90, []), (90, None, []), (30, 30, []),
])
def test_log_group_retention(before, after, lost):
    props = lambda days: {**LOG, **({"retention_days": days} if days else {})}  # noqa: E731
    assert _loss("log_groups", props(before), props(after)) == lost


# ---- queues -------------------------------------------------------------------------------

@pytest.mark.parametrize(("before", "after", "messages", "lost"), [
    (345600, 60, 5, True), (345600, 60, 0, False), (60, 345600, 5, False),
])
def test_queue_retention(before, after, messages, lost):
    got = _loss("queues", {"name": "q", "retention_seconds": before},
                {"name": "q", "retention_seconds": after},
                details=QueueDetails(url="https://sqs/q", messages=messages))
    assert bool(got) is lost
    if lost:
        assert got == [f"retention {before} → {after} s: messages older than {after} s are "
                       f"deleted (the queue holds about {messages} messages)"]


# ---- buckets ------------------------------------------------------------------------------

def _bucket(**props) -> dict:
    return {"name": "b", **props}


def _rule(**rule) -> dict:
    return {"id": "r", **rule}


@pytest.mark.parametrize(("before", "after", "lost"), [
    ([], [_rule(expiration_days=30)], ["lifecycle rule 'r' expires every object after 30 days"]),
    ([_rule(expiration_days=30)], [_rule(expiration_days=7)],
     ["lifecycle rule 'r' expires every object after 7 days (was 30 days)"]),
    ([_rule(expiration_days=7)], [_rule(expiration_days=30)], []),
    ([_rule(expiration_days=7)], [_rule(id="other", expiration_days=30)], []),
    ([], [_rule(prefix="logs/", expiration_days=1)], []),
    ([], [_rule(prefix="", expiration_days=1)], ["lifecycle rule 'r' expires every object "
                                                 "after 1 day"]),
    ([], [_rule(enabled=False, expiration_days=1)], []),
    ([_rule(enabled=False, expiration_days=1)], [_rule(expiration_days=1)],
     ["lifecycle rule 'r' expires every object after 1 day"]),
    ([_rule(prefix="tmp/", expiration_days=1)], [_rule(expiration_days=10)],
     ["lifecycle rule 'r' expires every object after 10 days"]),
    ([], [_rule(abort_incomplete_multipart_days=1)], []),
], ids=["new", "shortened", "lengthened", "renamed-longer", "prefix", "empty-prefix",
        "disabled", "enabled", "prefix-widened", "no-expiry"])
def test_bucket_expire_all_lifecycle(before, after, lost):
    assert _loss("buckets", _bucket(lifecycle=before), _bucket(lifecycle=after)) == lost


def test_bucket_noncurrent_expiry_counts_on_a_versioned_bucket_only():
    rule = [_rule(noncurrent_expiration_days=14)]
    assert _loss("buckets", _bucket(versioning=True), _bucket(versioning=True,
                                                             lifecycle=rule)) == [
        "lifecycle rule 'r' expires every noncurrent object version 14 days after it is "
        "replaced"]


def test_bucket_live_rule_with_a_tag_filter_does_not_count_as_expiring_everything():
    rtype, desired, live, _ = _pair("buckets", _bucket(), _bucket(
        lifecycle=[_rule(expiration_days=30)]))
    live.state["lifecycle"] = {"tagged": {**desired.state["lifecycle"]["r"],
                                          "other": {"filter": {"Tag": {"Key": "k"}}}}}
    assert rtype.data_loss(desired, live, rtype.diff(desired, live)) == [
        "lifecycle rule 'r' expires every object after 30 days"]


def _counted(count: ObjectCount | None):
    listed = []

    def counter():
        listed.append(1)
        return count
    return counter, listed


@pytest.mark.parametrize(("count", "lost"), [
    (ObjectCount(2, 3, 1, 7, complete=True),
     ["versioning suspended on a bucket holding 2 objects (3 versions, 1 delete marker), "
      "7 bytes: an object overwritten or deleted from now on loses its previous content for "
      "good"]),
    (ObjectCount(0, 0, 0, 0, complete=True), []),
])
def test_bucket_versioning_suspended(count, lost):
    counter, listed = _counted(count)
    assert _loss("buckets", _bucket(versioning=True), _bucket(versioning=False),
                 live_cls=BucketLive,
                 details=BucketDetails(contents=Contents(counter))) == lost
    assert listed == [1]


def test_bucket_without_versioning_change_never_lists_objects():
    counter, listed = _counted(ObjectCount(1, 1, 0, 1, complete=True))
    assert _loss("buckets", _bucket(versioning=True), _bucket(versioning=True,
                                                             public_access_block=False),
                 live_cls=BucketLive,
                 details=BucketDetails(contents=Contents(counter))) == []
    assert listed == []


# ---- tables -------------------------------------------------------------------------------

def _table(**props) -> dict:
    return {"name": "t", "hash_key": "id", "attributes": {"id": "S"}, **props}


@pytest.mark.parametrize(("before", "after", "lost"), [
    (True, False, ["point-in-time recovery turned off: the continuous backups of the last 35 "
                   "days are lost"]),
    ({"recovery_period_days": 20}, {"recovery_period_days": 3},
     ["point-in-time recovery period 20 → 3 days: restore points older than 3 days are lost"]),
    ({"recovery_period_days": 3}, True, []),
    (False, True, []),
])
def test_table_pitr(before, after, lost):
    assert _loss("tables", _table(point_in_time_recovery=before),
                 _table(point_in_time_recovery=after)) == lost


@pytest.mark.parametrize(("sampled", "lost", "note"), [
    (3, True, None),
    (0, False, "a sample of 100 items found none, the rest is unknown"),
    (None, False, "not sampled (no dynamodb:Scan permission)"),
])
def test_table_ttl_added(sampled, lost, note):
    asked = []

    def sampler(attribute):
        asked.append(attribute)
        return sampled
    rtype, desired, live, changes = _pair("tables", _table(), _table(ttl="expires_at"),
                                          details=TableDetails(expired_sampler=sampler))
    got = rtype.data_loss(desired, live, changes)
    notes = rtype.change_notes(desired, live, changes)
    assert bool(got) is lost
    if lost:
        assert got == ["TTL on `expires_at`: 3 items of a 100-item sample already hold a past "
                       "expiry time; DynamoDB deletes them, and every other such item, within "
                       "days"]
    else:
        [line] = [n for n in notes if n.startswith("data at risk")]
        assert note in line
    assert asked == ["expires_at"]  # sampled once per plan, however often asked


def test_table_ttl_removed_samples_nothing():
    rtype, desired, live, changes = _pair("tables", _table(ttl="expires_at"), _table(),
                                          details=TableDetails(expired_sampler=pytest.fail))
    assert rtype.data_loss(desired, live, changes) == []


# ---- generic: plan marking, JSON, text ----------------------------------------------------

def _risky_change() -> ResourceChange:
    change = ResourceChange("log_groups.api", "log_groups", "/g", Action.UPDATE,
                            "retention_days changed")
    change.data_loss = ["retention 90 days → 1 day: stored events older than 1 day are "
                        "deleted"]
    change.data_at_risk = change.data_loss[0]
    return change


def test_json_keeps_data_at_risk_and_adds_the_reasons():
    doc = _risky_change().to_json()
    assert doc["data_at_risk"].startswith("retention 90 days")
    assert doc["data_loss"] == [doc["data_at_risk"]]
    plain = ResourceChange("log_groups.b", "log_groups", "/b", Action.UPDATE).to_json()
    assert "data_loss" not in plain and "data_at_risk" not in plain


def test_plan_output_schema_accepts_the_reasons():
    import json
    from pathlib import Path

    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" /
                         "plan-output.schema.json").read_text())
    plan = Plan("s", None, "us-east-1", [_risky_change()])
    jsonschema.validate(plan.to_json(), schema)
    assert schema["$defs"]["change"]["properties"]["data_loss"]["type"] == "array"


def test_text_plan_shows_the_reason_and_the_flag():
    out = io.StringIO()
    text.render_plan(Plan("s", None, "us-east-1", [_risky_change()]),
                     Console(file=out, width=200, no_color=True))
    lines = out.getvalue().splitlines()
    assert "      data at risk: retention 90 days → 1 day: stored events older than 1 day " \
           "are deleted" in lines
    assert "      apply refuses this change without --allow-data-loss" in lines


@pytest.mark.parametrize(("streams", "lost"), [(True, True), (False, False)])
def test_log_group_retention_cut_counts_only_where_events_can_be(streams, lost):
    asked = []

    def has_streams():
        asked.append(1)
        return streams
    got = _loss("log_groups", {**LOG, "retention_days": 90}, {**LOG, "retention_days": 1},
                details=LogGroupDetails(has_streams))
    assert bool(got) is lost
    assert asked == [1]


def test_a_bucket_whose_create_was_cut_short_loses_nothing():
    assert _loss("buckets", _bucket(), _bucket(lifecycle=[_rule(expiration_days=1)]),
                 live_cls=BucketLive, details=BucketDetails(creating=True)) == []
