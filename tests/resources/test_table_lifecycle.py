"""DynamoDB tables against in-process moto (DESIGN.md tier 2): every property created,
changed, re-applied with ZERO writes, drifted with plain boto3, found and reverted."""

from __future__ import annotations

import boto3
import pytest

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import PlanResult, make_destroy_plan, make_plan
from awsprov.engine.verify import verify
from awsprov.spec.loader import load_stack
from tests.helpers import wait_for_tag_index, write_spec

REGION = "us-east-1"
NAME = "life-orders"

BASE = """
stack: life
region: us-east-1
tables:
  orders:
    name: life-orders
    hash_key: id
"""


def spec(body: str = "    attributes: {id: S}\n", head: str = BASE) -> str:
    return head.lstrip() + body


class Harness:
    """Plan and apply spec texts against moto through one AwsContext, counting calls."""

    def __init__(self, ctx, log, tmp_path):
        self.ctx, self.log, self.tmp_path = ctx, log, tmp_path
        self.ddb = boto3.client("dynamodb", region_name=REGION)

    def stack(self, text: str):
        return load_stack(write_spec(self.tmp_path, text))

    def plan(self, text: str, **options) -> PlanResult:
        return make_plan(self.stack(text), self.ctx, RunOptions(**options))

    def apply(self, text: str, plan_options: dict | None = None, **options):
        stack = self.stack(text)
        result = make_plan(stack, self.ctx, RunOptions(**(plan_options or {})))
        self.log.clear()
        report = apply_plan(stack, result, self.ctx, RunOptions(**options))
        return result, report

    def converge(self, text: str, **options) -> PlanResult:
        """Apply, then plan and apply again: the second round must write nothing."""
        result, report = self.apply(text, **options)
        assert report.failures == [], report.failures
        self.log.clear()
        again, report = self.apply(text, **options)
        assert [c.address for c in again.plan.changes if c.is_change and not c.orphan] == [], \
            [(c.address, c.reason, c.attributes) for c in again.plan.changes]
        assert self.log.writes == []
        return result

    def change(self, text: str) -> dict:
        """The one change a plan makes to tables.orders: {path: (before, after)}."""
        result = self.plan(text)
        changes = [c for c in result.plan.changes if c.is_change]
        assert [c.address for c in changes] == ["tables.orders"], changes
        return {a.path: (a.before, a.after) for a in changes[0].attributes}

    def table(self) -> dict:
        return self.ddb.describe_table(TableName=NAME)["Table"]

    def tags(self) -> dict:
        arn = self.table()["TableArn"]
        return {t["Key"]: t["Value"]
                for t in self.ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}


@pytest.fixture
def h(aws, tmp_path):
    return Harness(*aws, tmp_path)


def test_create_minimal_then_zero_writes(h):
    result = h.converge(spec())
    assert [c.action for c in result.plan.changes] == [Action.CREATE]
    shown = {a.path: a.after for a in result.plan.changes[0].attributes}
    assert shown["tags"] == {"awsprov:stack": "life", "awsprov:address": "tables.orders"}
    assert h.log.writes == []
    table = h.table()
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert h.tags() == {"awsprov:stack": "life", "awsprov:address": "tables.orders"}


def test_create_tags_in_the_create_call_itself(h):
    h.apply(spec())
    assert h.log.writes == ["CreateTable"]


PROVISIONED = """\
    attributes: {id: S, owner: S}
    billing_mode: PROVISIONED
    capacity: {read: 5, write: 3}
    global_indexes:
      by-owner: {hash_key: owner, capacity: {read: 2, write: 1}}
"""
ON_DEMAND = """\
    attributes: {id: S, owner: S}
    global_indexes:
      by-owner: {hash_key: owner}
"""


def test_billing_switch_both_ways_with_capacity(h):
    h.converge(spec(ON_DEMAND))
    change = h.change(spec(PROVISIONED))
    assert change["billing_mode"] == ("PAY_PER_REQUEST", "PROVISIONED")
    assert change["capacity"] == (None, {"read": 5, "write": 3})
    h.converge(spec(PROVISIONED))
    table = h.table()
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    # capacity alone, table and index, in one UpdateTable
    h.apply(spec(PROVISIONED.replace("read: 5", "read: 7").replace("read: 2", "read: 4")))
    assert h.log.writes == ["UpdateTable"]
    assert h.table()["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    h.converge(spec(PROVISIONED.replace("read: 5", "read: 7").replace("read: 2", "read: 4")))
    assert h.change(spec(ON_DEMAND))["billing_mode"] == ("PROVISIONED", "PAY_PER_REQUEST")
    h.converge(spec(ON_DEMAND))
    assert h.table()["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


GSIS = """\
    attributes: {id: S, owner: S}
    global_indexes:
      by-owner: {hash_key: owner}
"""


def test_gsi_add_remove_and_rebuild(h):
    h.converge(spec())
    h.converge(spec(GSIS))
    assert [ix["IndexName"] for ix in h.table()["GlobalSecondaryIndexes"]] == ["by-owner"]
    added = GSIS.replace("owner: S}", "owner: S, kind: S}") + \
        "      by-kind: {hash_key: kind, projection: KEYS_ONLY}\n"
    h.converge(spec(added))
    assert sorted(ix["IndexName"] for ix in h.table()["GlobalSecondaryIndexes"]) == [
        "by-kind", "by-owner"]
    rebuilt = added.replace("projection: KEYS_ONLY", "projection: [owner]")
    plan = h.plan(spec(rebuilt)).plan.changes[0]
    assert any("index rebuild: by-kind" in w for w in plan.warnings)
    h.apply(spec(rebuilt))
    assert h.log.writes == ["UpdateTable", "UpdateTable"]  # delete, then create
    h.converge(spec(rebuilt))
    index = next(ix for ix in h.table()["GlobalSecondaryIndexes"] if ix["IndexName"] == "by-kind")
    assert index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["owner"]}
    h.converge(spec(GSIS))
    assert [ix["IndexName"] for ix in h.table()["GlobalSecondaryIndexes"]] == ["by-owner"]


def test_ttl_on_and_off(h):
    h.converge(spec())
    assert h.change(spec("    attributes: {id: S}\n    ttl: expires_at\n")) == {
        "ttl": (None, "expires_at")}
    h.converge(spec("    attributes: {id: S}\n    ttl: expires_at\n"))
    ttl = h.ddb.describe_time_to_live(TableName=NAME)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")
    h.converge(spec())
    ttl = h.ddb.describe_time_to_live(TableName=NAME)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_ttl_attribute_rename_is_refused_before_aws(h):
    h.converge(spec("    attributes: {id: S}\n    ttl: expires_at\n"))
    change = h.plan(spec("    attributes: {id: S}\n    ttl: gone_at\n")).plan.changes[0]
    assert change.action is Action.REFUSED
    assert "one TTL change per table per hour" in change.reason


def test_pitr_with_recovery_period(h):
    h.converge(spec())
    seven = "    attributes: {id: S}\n    point_in_time_recovery: {enabled: true, " \
            "recovery_period_days: 7}\n"
    h.converge(spec(seven))
    desc = h.ddb.describe_continuous_backups(TableName=NAME)["ContinuousBackupsDescription"]
    pitr = desc["PointInTimeRecoveryDescription"]
    assert (pitr["PointInTimeRecoveryStatus"], pitr["RecoveryPeriodInDays"]) == ("ENABLED", 7)
    assert h.change(spec(seven.replace("7}", "14}"))) == {
        "point_in_time_recovery.recovery_period_days": (7, 14)}
    h.converge(spec(seven.replace("7}", "14}")))
    # `true` means the AWS default period, 35 days
    assert h.change(spec("    attributes: {id: S}\n    point_in_time_recovery: true\n")) == {
        "point_in_time_recovery.recovery_period_days": (14, 35)}
    h.converge(spec(), allow_data_loss=True)  # turning PITR off loses its backups
    desc = h.ddb.describe_continuous_backups(TableName=NAME)["ContinuousBackupsDescription"]
    assert desc["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


def test_stream_on_and_off_and_stream_arn_reference(h):
    h.converge(spec())
    streamed = "    attributes: {id: S}\n    stream: NEW_AND_OLD_IMAGES\n"
    h.converge(spec(streamed))
    table = h.table()
    assert table["StreamSpecification"] == {"StreamEnabled": True,
                                            "StreamViewType": "NEW_AND_OLD_IMAGES"}
    consumer = spec(streamed) + ("  consumer:\n    name: life-consumer\n    hash_key: id\n"
                                 "    attributes: {id: S}\n"
                                 "    tags: {Source: '${tables.orders.stream_arn}'}\n")
    h.converge(consumer)
    arn = h.ddb.describe_table(TableName="life-consumer")["Table"]["TableArn"]
    tags = {t["Key"]: t["Value"] for t in h.ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags["Source"] == table["LatestStreamArn"]
    h.converge(spec())  # the consumer is now an orphan, left alone without --prune
    assert "StreamSpecification" not in h.table() or \
        not h.table()["StreamSpecification"]["StreamEnabled"]


def test_deletion_protection_on_and_off(h):
    h.converge(spec())
    protected = "    attributes: {id: S}\n    deletion_protection: true\n"
    assert h.change(spec(protected)) == {"deletion_protection": (False, True)}
    h.converge(spec(protected))
    assert h.table()["DeletionProtectionEnabled"] is True
    h.converge(spec())
    assert h.table()["DeletionProtectionEnabled"] is False


def test_tags_added_changed_removed_per_key(h):
    tagged = spec("    attributes: {id: S}\n    tags: {Team: a, Env: dev}\n",
                  BASE.replace("region: us-east-1", "region: us-east-1\ntags: {Project: P}"))
    h.converge(tagged)
    assert h.tags() == {"Project": "P", "Team": "a", "Env": "dev", "awsprov:stack": "life",
                        "awsprov:address": "tables.orders"}
    changed = tagged.replace("Team: a, Env: dev", "Team: b")
    assert h.change(changed) == {"tags.Team": ("a", "b"), "tags.Env": ("dev", None)}
    h.apply(changed)
    assert sorted(h.log.writes) == ["TagResource", "UntagResource"]
    h.converge(changed)
    assert h.tags()["Team"] == "b" and "Env" not in h.tags()


def test_ignore_changes_leaves_live_capacity_alone(h):
    managed = spec(PROVISIONED + "    ignore_changes: [capacity]\n")
    h.converge(managed)
    h.ddb.update_table(TableName=NAME, ProvisionedThroughput={"ReadCapacityUnits": 50,
                                                              "WriteCapacityUnits": 50})
    h.ddb.update_table(TableName=NAME, GlobalSecondaryIndexUpdates=[{"Update": {
        "IndexName": "by-owner", "ProvisionedThroughput": {"ReadCapacityUnits": 9,
                                                           "WriteCapacityUnits": 9}}}])
    h.converge(managed)
    assert h.table()["ProvisionedThroughput"]["ReadCapacityUnits"] == 50
    # without ignore_changes the same drift is found
    assert h.change(spec(PROVISIONED))["capacity.read"] == (50, 5)


def test_drift_made_with_boto3_is_found_by_verify_and_reverted(h):
    text = spec("    attributes: {id: S}\n    ttl: expires_at\n    tags: {Team: a}\n")
    h.converge(text)
    arn = h.table()["TableArn"]
    h.ddb.update_continuous_backups(TableName=NAME, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})
    h.ddb.update_table(TableName=NAME, DeletionProtectionEnabled=True)
    h.ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "Owner", "Value": "someone"}])
    h.ddb.update_time_to_live(TableName=NAME, TimeToLiveSpecification={
        "Enabled": False, "AttributeName": "expires_at"})
    report = verify(h.plan(text))
    assert not report.clean
    [drift] = report.drift
    paths = {a.path: (a.before, a.after) for a in drift.attributes}
    assert paths == {"point_in_time_recovery.enabled": (True, False),
                     "point_in_time_recovery.recovery_period_days": (35, None),
                     "deletion_protection": (True, False),
                     "tags.Owner": ("someone", None),
                     "ttl": (None, "expires_at")}
    h.converge(text, allow_data_loss=True)  # reverting the PITR drift drops its backups
    assert verify(h.plan(text)).clean
    assert "Owner" not in h.tags()
    assert h.table()["DeletionProtectionEnabled"] is False


# ---- identity: adoption, other stacks, orphans -------------------------------------------

def _make_by_hand(ddb, name: str = NAME, tags: list | None = None) -> None:
    extra = {"Tags": tags} if tags else {}
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", **extra)


def test_table_made_with_plain_boto3_is_adopted(h):
    _make_by_hand(h.ddb, tags=[{"Key": "Team", "Value": "legacy"}])
    text = spec("    attributes: {id: S}\n    tags: {Team: legacy}\n")
    change = h.plan(text).plan.changes[0]
    assert change.action is Action.ADOPT
    assert {a.path for a in change.attributes} == {"tags.awsprov:stack", "tags.awsprov:address"}
    h.apply(text)
    assert h.log.writes == ["TagResource"]
    h.converge(text)
    assert h.tags()["awsprov:stack"] == "life"


def test_table_of_another_stack_is_refused_unless_force_adopt(h):
    _make_by_hand(h.ddb, tags=[{"Key": "awsprov:stack", "Value": "billing"},
                               {"Key": "awsprov:address", "Value": "tables.ledger"}])
    change = h.plan(spec()).plan.changes[0]
    assert change.action is Action.REFUSED
    assert "belongs to stack 'billing'" in change.reason and "--force-adopt" in change.reason
    _result, report = h.apply(spec())
    assert [o.address for o in report.failures] == ["tables.orders"]
    assert h.log.writes == []
    assert h.tags()["awsprov:stack"] == "billing"
    forced = h.plan(spec(), force_adopt=True).plan.changes[0]
    assert forced.action is Action.ADOPT
    _result, report = h.apply(spec(), plan_options={"force_adopt": True})
    assert report.failures == []
    assert h.tags() == {"awsprov:stack": "life", "awsprov:address": "tables.orders"}
    h.converge(spec())


TWO = spec() + "  archive:\n    name: life-archive\n    hash_key: id\n    attributes: {id: S}\n"


def test_orphan_is_found_by_tag_and_deleted_only_with_prune(h):
    h.converge(TWO)
    h.ddb.put_item(TableName="life-archive", Item={"id": {"S": "1"}})
    wait_for_tag_index("life")  # an orphan is found through the Tagging API alone
    result = h.plan(spec())
    [orphan] = [c for c in result.plan.changes if c.orphan]
    assert (orphan.address, orphan.name, orphan.action) == ("tables.archive", "life-archive",
                                                           Action.DELETE)
    assert "apply --prune" in orphan.reason
    assert orphan.data_at_risk.startswith("1 item, ")
    assert not result.plan.has_changes  # an orphan is not a change unless pruning
    _result, report = h.apply(spec())
    assert h.log.writes == [] and report.outcomes == []
    assert "life-archive" in h.ddb.list_tables()["TableNames"]
    _result, report = h.apply(spec(), plan_options={"prune": True}, prune=True)
    assert report.failures == []
    assert h.log.writes == ["DeleteTable"]
    assert h.ddb.list_tables()["TableNames"] == [NAME]


def test_renaming_a_logical_name_only_retags(h):
    h.converge(spec())
    renamed = spec().replace("  orders:", "  purchases:")
    change = [c for c in h.plan(renamed).plan.changes if c.is_change or c.orphan]
    assert [(c.address, c.action) for c in change] == [("tables.purchases", Action.UPDATE)]
    h.converge(renamed)
    assert h.tags()["awsprov:address"] == "tables.purchases"


def test_protected_orphan_is_refused_not_deleted(h):
    h.converge(TWO.replace("    attributes: {id: S}\n", "    attributes: {id: S}\n"
                           "    deletion_protection: true\n", 2))
    wait_for_tag_index("life")  # an orphan is found through the Tagging API alone
    [orphan] = [c for c in h.plan(spec()).plan.changes if c.orphan]
    assert orphan.action is Action.REFUSED
    _result, report = h.apply(spec(), plan_options={"prune": True}, prune=True)
    assert [o.address for o in report.failures] == ["tables.archive"]
    assert "life-archive" in h.ddb.list_tables()["TableNames"]
    assert "DeleteTable" not in h.log.writes


# ---- replacement and destroy -------------------------------------------------------------

RANGED = "    range_key: ts\n    attributes: {id: S, ts: N}\n"


def test_replace_refused_without_allow_replace_and_shows_data_at_risk(h):
    h.converge(spec())
    h.ddb.put_item(TableName=NAME, Item={"id": {"S": "a"}})
    h.ddb.put_item(TableName=NAME, Item={"id": {"S": "b"}})
    change = h.plan(spec(RANGED)).plan.changes[0]
    assert change.action is Action.REPLACE
    assert change.reason == "range_key changed"
    assert change.data_at_risk.startswith("2 items, ")
    _result, report = h.apply(spec(RANGED))
    [failure] = report.failures
    assert "--allow-replace" in failure.message and "2 items" in failure.message
    assert h.log.writes == []
    h.converge(spec(RANGED), allow_replace=True)
    assert [k["AttributeName"] for k in h.table()["KeySchema"]] == ["id", "ts"]
    assert h.table()["ItemCount"] == 0


def test_replace_refused_under_deletion_protection_even_with_allow_replace(h):
    h.converge(spec("    attributes: {id: S}\n    deletion_protection: true\n"))
    h.ddb.put_item(TableName=NAME, Item={"id": {"S": "a"}})
    change = h.plan(spec(RANGED + "    deletion_protection: true\n")).plan.changes[0]
    assert change.action is Action.REFUSED
    assert "deletion protection is on" in change.reason
    assert change.data_at_risk.startswith("1 item, ")
    _result, report = h.apply(spec(RANGED + "    deletion_protection: true\n"),
                              allow_replace=True)
    assert len(report.failures) == 1
    assert h.log.writes == []
    assert h.table()["ItemCount"] == 1


def test_destroy_honours_deletion_protection(h):
    h.converge(TWO.replace("  archive:\n    name: life-archive\n    hash_key: id\n"
                           "    attributes: {id: S}\n",
                           "  archive:\n    name: life-archive\n    hash_key: id\n"
                           "    attributes: {id: S}\n    deletion_protection: true\n"))
    _make_by_hand(h.ddb, "life-unmanaged")
    stack = h.stack(TWO)
    result = make_destroy_plan(stack, h.ctx, RunOptions())
    actions = {c.address: c.action for c in result.plan.changes}
    assert actions == {"tables.orders": Action.DELETE, "tables.archive": Action.REFUSED}
    h.log.clear()
    report = apply_plan(stack, result, h.ctx, RunOptions(prune=True))
    assert h.log.writes == ["DeleteTable"]
    assert [o.address for o in report.failures] == ["tables.archive"]
    assert sorted(h.ddb.list_tables()["TableNames"]) == ["life-archive", "life-unmanaged"]


def test_ignore_changes_tags_keeps_live_tags_but_still_owns_the_table(h):
    _make_by_hand(h.ddb, tags=[{"Key": "CostCentre", "Value": "42"}])
    text = spec("    attributes: {id: S}\n    tags: {Team: a}\n    ignore_changes: [tags]\n")
    change = h.plan(text).plan.changes[0]
    assert change.action is Action.ADOPT
    assert {a.path for a in change.attributes} == {"tags.awsprov:stack", "tags.awsprov:address"}
    h.converge(text)
    assert h.tags() == {"CostCentre": "42", "awsprov:stack": "life",
                        "awsprov:address": "tables.orders"}
    arn = h.table()["TableArn"]
    h.ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "Added", "Value": "by-hand"}])
    h.converge(text)
    assert h.tags()["Added"] == "by-hand"
