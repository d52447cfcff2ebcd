"""The table type's data (issue 11): index operations carried as data, not found in note
text; a typed live shape (TableDetails) in place of Live.raw, kept by dataclasses.replace."""

from __future__ import annotations

import dataclasses

import boto3

from awsprov.resources import registry
from awsprov.resources.base import Desired, Live
from awsprov.resources.dynamodb_table.checks import index_operations
from awsprov.resources.dynamodb_table.settings import TableDetails
from tests.resources import lifecycle as lc

TABLES = registry.get("tables")


def _props(indexes: dict, billing: str = "PAY_PER_REQUEST") -> dict:
    attributes = {"id": "S", **{ix["hash_key"]: "S" for ix in indexes.values()}}
    props = {"name": "t", "hash_key": "id", "attributes": attributes, "billing_mode": billing,
             "global_indexes": indexes}
    if billing == "PROVISIONED":
        props["capacity"] = {"read": 1, "write": 1}
    return props


def _pair(before: dict, after: dict) -> tuple[Desired, Live, list]:
    desired = Desired("tables", "x", "t", after, TABLES.desired_state(after), {})
    live = Live(name="t", arn="arn:aws:dynamodb:us-east-1:1:table/t",
                state=TABLES.desired_state(before), tags={})
    return desired, live, TABLES.diff(desired, live)


def test_index_operations_are_counted_from_the_states_not_the_notes():
    desired, live, changes = _pair(_props({}), _props({"by-a": {"hash_key": "a"},
                                                       "by-b": {"hash_key": "b"}}))
    for change in changes:
        change.note = ""  # what a note says is for people, not for the count
    notes = TABLES.change_notes(desired, live, changes)
    assert any(n.startswith("2 index operations") for n in notes), notes


def test_a_rebuild_is_one_operation_deleted_then_created():
    before = _props({"by-a": {"hash_key": "a"}, "gone": {"hash_key": "g"}})
    after = _props({"by-a": {"hash_key": "a", "projection": "KEYS_ONLY"},
                    "new": {"hash_key": "n"}})
    desired, live, changes = _pair(before, after)
    ops = index_operations(desired.state, live.state, changes)
    assert ops.deletes == ("gone", "by-a") and ops.creates == ("new", "by-a")
    assert ops.count == 3
    assert any(n.startswith("3 index operations")
               for n in TABLES.change_notes(desired, live, changes))


def test_an_index_name_with_dots_is_one_index():
    capacity = {"read": 1, "write": 1}
    before = _props({"by.a.b": {"hash_key": "a", "capacity": capacity}}, "PROVISIONED")
    after = _props({"by.a.b": {"hash_key": "a", "capacity": {"read": 2, "write": 1}}},
                   "PROVISIONED")
    desired, live, changes = _pair(before, after)
    assert [c.path for c in changes] == ["global_indexes.by.a.b.capacity.read"]
    ops = index_operations(desired.state, live.state, changes)
    assert (ops.deletes, ops.creates, ops.resized) == ((), (), frozenset({"by.a.b"}))


SPEC = """
stack: shape
region: us-east-1
tables:
  orders:
    name: shape-orders
    hash_key: id
    range_key: at
    attributes: {id: S, at: N, owner: S}
    billing_mode: PROVISIONED
    capacity: {read: 1, write: 1}
    global_indexes:
      by.owner: {hash_key: owner, projection: [at], capacity: {read: 1, write: 1}}
    local_indexes:
      by-at: {range_key: at, projection: KEYS_ONLY}
    tags: {team: data}
"""


def test_a_dotted_index_capacity_change_is_sent_for_that_index(aws, tmp_path):
    ctx, log = aws
    lc.converge(ctx, log, tmp_path, SPEC)
    lc.converge(ctx, log, tmp_path, SPEC.replace(
        "by.owner: {hash_key: owner, projection: [at], capacity: {read: 1",
        "by.owner: {hash_key: owner, projection: [at], capacity: {read: 3"))
    table = boto3.client("dynamodb", region_name="us-east-1").describe_table(
        TableName="shape-orders")["Table"]
    [index] = table["GlobalSecondaryIndexes"]
    assert index["ProvisionedThroughput"]["ReadCapacityUnits"] == 3


def test_the_live_read_carries_typed_details_that_replace_keeps(aws, tmp_path):
    ctx, log = aws
    lc.converge(ctx, log, tmp_path, SPEC)
    live = TABLES.read(ctx, "shape-orders")
    assert isinstance(live.details, TableDetails) and not hasattr(live, "raw")
    assert live.details.attributes == {"id": "S", "at": "N", "owner": "S"}
    assert live.details.ttl_status == "DISABLED"
    copy = dataclasses.replace(live, tags={"team": "data"})
    assert copy.details is live.details
    assert TABLES.export(copy) == {
        "name": "shape-orders", "hash_key": "id", "range_key": "at",
        "attributes": {"id": "S", "at": "N", "owner": "S"},
        "billing_mode": "PROVISIONED", "capacity": {"read": 1, "write": 1},
        "global_indexes": {"by.owner": {"hash_key": "owner", "projection": ["at"],
                                        "capacity": {"read": 1, "write": 1}}},
        "local_indexes": {"by-at": {"range_key": "at", "projection": "KEYS_ONLY"}},
        "tags": {"team": "data"}}


def test_a_ttl_sample_is_taken_once_per_live_read():
    asked = []
    details = TableDetails(expired_sampler=lambda attribute: asked.append(attribute) or 0)
    assert [details.expired_sample("exp"), details.expired_sample("exp")] == [0, 0]
    assert asked == ["exp"]
