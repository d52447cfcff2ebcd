"""Data destroyed by configuration, without any delete (issue 10, item 5), against moto.

For each case: the plan marks the in-place change as data at risk with its reason (text and
JSON), apply without --allow-data-loss refuses that resource's change and leaves it as it
was while independent resources still apply, apply with the flag makes it, and a change
that loses no data is a plain update.
"""

from __future__ import annotations

import time

import boto3
import pytest

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from tests.resources import lifecycle as lc

OTHER = """
  other:
    name: /dataloss/other
    retention_days: OTHER_DAYS
"""


def _with_other(text: str, other_days: int) -> str:
    """The spec plus an independent log group whose retention moves from 30 to 60 days
    (no data lost): it must apply whether or not the risky change is refused."""
    extra = OTHER.replace("OTHER_DAYS", str(other_days))
    if "log_groups:" in text:
        return text + extra
    return text + "log_groups:" + extra


def _other_retention() -> int:
    logs = boto3.client("logs", region_name="us-east-1")
    [group] = logs.describe_log_groups(logGroupNamePrefix="/dataloss/other")["logGroups"]
    return group["retentionInDays"]


def assert_guarded(ctx, tmp_path, before: str, after: str, address: str, reason: str,
                   unchanged, changed, fill=None) -> None:
    """The whole story of one data-losing change. `unchanged()`/`changed()` assert live;
    `fill()` puts data in after the first apply."""
    lc.apply(ctx, lc.load(tmp_path, _with_other(before, 30)))
    if fill:
        fill()
    stack = lc.load(tmp_path, _with_other(after, 60))
    result = lc.plan(ctx, stack)
    change = result.plan.by_address()[address]
    assert change.action is Action.UPDATE
    assert any(reason in r for r in change.data_loss), change.data_loss
    assert reason in change.data_at_risk
    doc = change.to_json()
    assert doc["data_loss"] == change.data_loss and reason in doc["data_at_risk"]

    report = apply_plan(stack, result, ctx, RunOptions())
    [failure] = report.failures
    assert failure.address == address
    assert "--allow-data-loss" in failure.message and reason in failure.message
    unchanged()
    assert _other_retention() == 60  # the independent resource still applied

    again = lc.plan(ctx, stack)
    report = apply_plan(stack, again, ctx, RunOptions(allow_data_loss=True))
    assert report.failures == [], [(o.address, o.message) for o in report.failures]
    changed()
    assert lc.changed(lc.plan(ctx, stack)) == {}


def assert_plain(ctx, tmp_path, before: str, after: str, address: str) -> None:
    """A change that loses no data: an update without data at risk, applied unflagged."""
    lc.apply(ctx, lc.load(tmp_path, before))
    stack = lc.load(tmp_path, after)
    change = lc.plan(ctx, stack).plan.by_address()[address]
    assert change.action is Action.UPDATE
    assert (change.data_loss, change.data_at_risk) == ([], None)
    assert "data_loss" not in change.to_json()
    lc.apply(ctx, stack)
    assert _managed_changes(lc.plan(ctx, stack)) == []


def _managed_changes(result) -> list[str]:
    return [c.address for c in result.plan.changes if c.is_change and not c.orphan]


# ---- log groups ---------------------------------------------------------------------------

LOGS = """
stack: dataloss
region: us-east-1
log_groups:
  api:
    name: /dataloss/api
RETENTION
"""


def _logs(days: int | None) -> str:
    return LOGS.replace("RETENTION", f"    retention_days: {days}" if days else "")


def _write_events() -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_stream(logGroupName="/dataloss/api", logStreamName="app")
    logs.put_log_events(logGroupName="/dataloss/api", logStreamName="app", logEvents=[
        {"timestamp": int(time.time() * 1000), "message": "kept"}])


def _retention() -> int | None:
    logs = boto3.client("logs", region_name="us-east-1")
    [group] = logs.describe_log_groups(logGroupNamePrefix="/dataloss/api")["logGroups"]
    return group.get("retentionInDays")


@pytest.mark.parametrize(("before", "after", "reason"), [
    (90, 1, "retention 90 days → 1 day: stored events older than 1 day are deleted"),
    (None, 7, "retention never expire → 7 days"),
], ids=["shortened", "forever-to-days"])
def test_log_group_retention_cut_needs_the_flag(aws, tmp_path, before, after, reason):
    ctx, _log = aws
    assert_guarded(ctx, tmp_path, _logs(before), _logs(after), "log_groups.api", reason,
                   unchanged=lambda: _retention() == before or pytest.fail("changed"),
                   changed=lambda: _retention() == after or pytest.fail("not changed"),
                   fill=_write_events)


def test_log_group_retention_cut_on_a_group_without_streams_is_a_plain_update(aws, tmp_path):
    """No stream, no event (a group a killed apply made without its retention): nothing
    to lose, so re-running that apply needs no flag."""
    ctx, log = aws
    assert_plain(ctx, tmp_path, _logs(None), _logs(14), "log_groups.api")
    assert _retention() == 14
    assert log.count()["DescribeLogStreams"] >= 1  # asked, not assumed


@pytest.mark.parametrize(("before", "after"), [(90, 365), (7, None)],
                         ids=["lengthened", "to-forever"])
def test_log_group_retention_lengthened_is_a_plain_update(aws, tmp_path, before, after):
    ctx, _log = aws
    assert_plain(ctx, tmp_path, _logs(before), _logs(after), "log_groups.api")
    assert _retention() == after


# ---- buckets ------------------------------------------------------------------------------

BUCKET = "dataloss-bucket-4711"
BUCKETS = f"""
stack: dataloss
region: us-east-1
buckets:
  data:
    name: {BUCKET}
    enforce_tls: false
"""


def _bucket(extra: str = "") -> str:
    return BUCKETS + extra


def _rules() -> dict:
    s3 = boto3.client("s3", region_name="us-east-1")
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    except s3.exceptions.ClientError:
        return {}
    return {r["ID"]: r for r in rules}


def _expires(rule_id: str) -> int | None:
    rule = _rules().get(rule_id)
    return rule and (rule.get("Expiration") or {}).get("Days")


def test_lifecycle_rule_expiring_every_object_needs_the_flag(aws, tmp_path):
    ctx, _log = aws
    rule = "    lifecycle: [{id: all, expiration_days: 30}]\n"
    assert_guarded(ctx, tmp_path, _bucket(), _bucket(rule), "buckets.data",
                   "lifecycle rule 'all' expires every object after 30 days",
                   unchanged=lambda: _rules() == {} or pytest.fail("changed"),
                   changed=lambda: _expires("all") == 30 or pytest.fail("not changed"))


def test_lifecycle_expiry_shortened_needs_the_flag_lengthened_does_not(aws, tmp_path):
    ctx, _log = aws
    rule = "    lifecycle: [{id: all, expiration_days: DAYS}]\n"
    assert_guarded(ctx, tmp_path, _bucket(rule.replace("DAYS", "30")),
                   _bucket(rule.replace("DAYS", "7")), "buckets.data",
                   "lifecycle rule 'all' expires every object after 7 days (was 30 days)",
                   unchanged=lambda: _expires("all") == 30 or pytest.fail("changed"),
                   changed=lambda: _expires("all") == 7 or pytest.fail("not changed"))
    assert_plain(ctx, tmp_path, _bucket(rule.replace("DAYS", "7")),
                 _bucket(rule.replace("DAYS", "60")), "buckets.data")


def test_noncurrent_expiry_on_a_versioned_bucket_needs_the_flag(aws, tmp_path):
    ctx, _log = aws
    versioned = _bucket("    versioning: true\n")
    rule = "    lifecycle: [{id: old, noncurrent_expiration_days: 14}]\n"

    def noncurrent() -> int | None:
        found = _rules().get("old")
        return found and found["NoncurrentVersionExpiration"]["NoncurrentDays"]

    assert_guarded(ctx, tmp_path, versioned, versioned + rule, "buckets.data",
                   "lifecycle rule 'old' expires every noncurrent object version 14 days",
                   unchanged=lambda: _rules() == {} or pytest.fail("changed"),
                   changed=lambda: noncurrent() == 14 or pytest.fail("not changed"))


@pytest.mark.parametrize("rule", [
    "{id: logs, prefix: logs/, expiration_days: 1}",
    "{id: all, enabled: false, expiration_days: 1}",
    "{id: cheap, transitions: [{days: 30, storage_class: STANDARD_IA}]}",
], ids=["with-prefix", "disabled", "transition-only"])
def test_a_lifecycle_rule_that_expires_not_everything_is_a_plain_update(aws, tmp_path, rule):
    ctx, _log = aws
    assert_plain(ctx, tmp_path, _bucket(), _bucket(f"    lifecycle: [{rule}]\n"),
                 "buckets.data")


def _versioning() -> str | None:
    s3 = boto3.client("s3", region_name="us-east-1")
    return s3.get_bucket_versioning(Bucket=BUCKET).get("Status")


def test_versioning_suspended_on_a_bucket_holding_objects_needs_the_flag(aws, tmp_path):
    ctx, _log = aws
    versioned = _bucket("    versioning: true\n")
    lc.apply(ctx, lc.load(tmp_path, versioned))
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=BUCKET, Key="a.txt", Body=b"one")
    s3.put_object(Bucket=BUCKET, Key="a.txt", Body=b"two")
    assert_guarded(ctx, tmp_path, versioned, _bucket("    versioning: false\n"),
                   "buckets.data", "versioning suspended on a bucket holding 1 object "
                   "(2 versions, 0 delete markers)",
                   unchanged=lambda: _versioning() == "Enabled" or pytest.fail("changed"),
                   changed=lambda: _versioning() == "Suspended" or pytest.fail("not changed"))


def test_versioning_suspended_on_an_empty_bucket_is_a_plain_update(aws, tmp_path):
    ctx, _log = aws
    assert_plain(ctx, tmp_path, _bucket("    versioning: true\n"),
                 _bucket("    versioning: false\n"), "buckets.data")
    assert _versioning() == "Suspended"


def test_a_no_op_bucket_plan_lists_no_objects(aws, tmp_path):
    """The object count is read only for a versioning suspension, never for a no-op."""
    ctx, log = aws
    stack = lc.load(tmp_path, _bucket("    versioning: true\n"))
    lc.apply(ctx, stack)
    log.clear()
    assert lc.changed(lc.plan(ctx, stack)) == {}
    assert "ListObjectVersions" not in log.count()


# ---- tables -------------------------------------------------------------------------------

TABLE = "dataloss-orders"
TABLES = f"""
stack: dataloss
region: us-east-1
tables:
  orders:
    name: {TABLE}
    hash_key: id
    attributes: {{id: S}}
"""


def _table(extra: str = "") -> str:
    return TABLES + extra


def _pitr() -> tuple[str, int | None]:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    desc = ddb.describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
    pitr = desc["PointInTimeRecoveryDescription"]
    return pitr["PointInTimeRecoveryStatus"], pitr.get("RecoveryPeriodInDays")


def _ttl() -> str:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    return ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"][
        "TimeToLiveStatus"]


def test_pitr_turned_off_needs_the_flag(aws, tmp_path):
    ctx, _log = aws
    assert_guarded(ctx, tmp_path, _table("    point_in_time_recovery: true\n"), _table(),
                   "tables.orders", "point-in-time recovery turned off: the continuous "
                   "backups of the last 35 days are lost",
                   unchanged=lambda: _pitr()[0] == "ENABLED" or pytest.fail("changed"),
                   changed=lambda: _pitr()[0] == "DISABLED" or pytest.fail("not changed"))


def test_pitr_period_shortened_needs_the_flag(aws, tmp_path):
    ctx, _log = aws
    pitr = "    point_in_time_recovery: {enabled: true, recovery_period_days: DAYS}\n"
    assert_guarded(ctx, tmp_path, _table(pitr.replace("DAYS", "35")),
                   _table(pitr.replace("DAYS", "7")), "tables.orders",
                   "point-in-time recovery period 35 → 7 days: restore points older than "
                   "7 days are lost",
                   unchanged=lambda: _pitr() == ("ENABLED", 35) or pytest.fail("changed"),
                   changed=lambda: _pitr() == ("ENABLED", 7) or pytest.fail("not changed"))


@pytest.mark.parametrize(("before", "after"), [
    ("", "    point_in_time_recovery: true\n"),
    ("    point_in_time_recovery: {enabled: true, recovery_period_days: 7}\n",
     "    point_in_time_recovery: true\n"),
], ids=["turned-on", "lengthened"])
def test_pitr_turned_on_or_lengthened_is_a_plain_update(aws, tmp_path, before, after):
    ctx, _log = aws
    assert_plain(ctx, tmp_path, _table(before), _table(after), "tables.orders")
    assert _pitr() == ("ENABLED", 35)


def _put_items(*expires: int) -> None:
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    for i, when in enumerate(expires):
        ddb.put_item(TableName=TABLE, Item={"id": {"S": f"item-{i}"},
                                            "expires_at": {"N": str(when)}})


def test_ttl_added_over_items_already_expired_needs_the_flag(aws, tmp_path):
    ctx, _log = aws
    lc.apply(ctx, lc.load(tmp_path, _with_other(_table(), 30)))
    now = int(time.time())
    _put_items(now - 86400, now - 3600, now + 86400)
    assert_guarded(ctx, tmp_path, _table(), _table("    ttl: expires_at\n"), "tables.orders",
                   "TTL on `expires_at`: 2 items of a 100-item sample already hold a past "
                   "expiry time",
                   unchanged=lambda: _ttl() == "DISABLED" or pytest.fail("changed"),
                   changed=lambda: _ttl() == "ENABLED" or pytest.fail("not changed"))


def test_ttl_added_over_items_not_expired_is_a_noted_plain_update(aws, tmp_path):
    ctx, _log = aws
    lc.apply(ctx, lc.load(tmp_path, _table()))
    _put_items(int(time.time()) + 86400)
    stack = lc.load(tmp_path, _table("    ttl: expires_at\n"))
    change = lc.plan(ctx, stack).plan.by_address()["tables.orders"]
    assert (change.action, change.data_loss) == (Action.UPDATE, [])
    assert any(w.startswith("data at risk: items whose `expires_at` holds a past time")
               and "a sample of 100 items found none" in w for w in change.warnings)
    lc.apply(ctx, stack)
    assert _ttl() == "ENABLED"


# ---- queues -------------------------------------------------------------------------------

QUEUES = """
stack: dataloss
region: us-east-1
queues:
  work:
    name: dataloss-work
    retention_seconds: SECONDS
"""


def _queue(seconds: int) -> str:
    return QUEUES.replace("SECONDS", str(seconds))


def _queue_retention() -> int:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.get_queue_url(QueueName="dataloss-work")["QueueUrl"]
    return int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "MessageRetentionPeriod"])["Attributes"]["MessageRetentionPeriod"])


def test_queue_retention_cut_on_a_queue_holding_messages_needs_the_flag(aws, tmp_path):
    ctx, _log = aws
    lc.apply(ctx, lc.load(tmp_path, _with_other(_queue(345600), 30)))
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="dataloss-work")["QueueUrl"],
                     MessageBody="kept four days")
    assert_guarded(ctx, tmp_path, _queue(345600), _queue(3600), "queues.work",
                   "retention 345600 → 3600 s: messages older than 3600 s are deleted (the "
                   "queue holds about 1 message)",
                   unchanged=lambda: _queue_retention() == 345600 or pytest.fail("changed"),
                   changed=lambda: _queue_retention() == 3600 or pytest.fail("not changed"))


@pytest.mark.parametrize(("before", "after"), [(345600, 3600), (3600, 1209600)],
                         ids=["cut-on-empty-queue", "lengthened"])
def test_queue_retention_change_losing_nothing_is_a_plain_update(aws, tmp_path, before, after):
    ctx, _log = aws
    assert_plain(ctx, tmp_path, _queue(before), _queue(after), "queues.work")
    assert _queue_retention() == after
