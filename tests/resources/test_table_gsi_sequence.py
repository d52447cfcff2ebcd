"""GSI sequencing with DynamoDB's transitional states injected into moto's model.

moto is ACTIVE at once (KNOWN_EMULATOR_GAPS). Here its backend is patched in-process so
that, like AWS, a table is CREATING after CreateTable, UPDATING with the index CREATING
(backfilling) or DELETING after UpdateTable, and DELETING after DeleteTable, for POLLS
DescribeTable calls each; and, like AWS, it refuses an UpdateTable while the table is
not ACTIVE, and more than one index create or delete per UpdateTable. So awsprov passes
only if it sends one index operation per call, in Terraform's order, and really waits.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import pytest

from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_destroy_plan, make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec

POLLS = 3


@dataclass
class Transition:
    table_status: str
    remaining: int = POLLS
    creating: str | None = None        # index shown CREATING / backfilling
    deleting: dict | None = None       # index description shown DELETING


@dataclass
class Transitions:
    """The transitional state of each table, consumed one DescribeTable at a time."""

    pending: dict[str, Transition] = field(default_factory=dict)
    deleted: dict[str, object] = field(default_factory=dict)   # name -> moto Table
    shown: list[tuple[str, str]] = field(default_factory=list)  # (table, status) served
    refused: list[str] = field(default_factory=list)

    def busy(self, name: str) -> bool:
        state = self.pending.get(name)
        return state is not None and state.remaining > 0

    def consume(self, name: str, table: dict) -> dict:
        state = self.pending.get(name)
        if state is None or state.remaining <= 0:
            return table
        state.remaining -= 1
        table = copy.deepcopy(table)
        table["TableStatus"] = state.table_status
        for index in table.get("GlobalSecondaryIndexes") or []:
            if index["IndexName"] == state.creating:
                index["IndexStatus"] = "CREATING"
                index["Backfilling"] = True
        if state.deleting:
            table.setdefault("GlobalSecondaryIndexes", []).append(
                {**state.deleting, "IndexStatus": "DELETING"})
        self.shown.append((name, state.table_status))
        return table


@pytest.fixture
def transitions(moto, monkeypatch):
    from moto.dynamodb.exceptions import (
        MockValidationException,
        ResourceInUseException,
        ResourceNotFoundException,
    )
    from moto.dynamodb.models import DynamoDBBackend

    states = Transitions()
    create, update = DynamoDBBackend.create_table, DynamoDBBackend.update_table
    delete, describe = DynamoDBBackend.delete_table, DynamoDBBackend.describe_table

    def create_table(self, name, *args, **kwargs):
        table = create(self, name, *args, **kwargs)
        states.pending[name] = Transition("CREATING")
        return table

    def update_table(self, name, *args, **kwargs):
        if states.busy(name):
            states.refused.append(name)
            raise ResourceInUseException(f"Attempt to change a resource which is still in "
                                         f"use: Table is being updated: {name}")
        updates = kwargs.get("global_index") or []
        operations = [u for u in updates if "Create" in u or "Delete" in u]
        if len(operations) > 1:
            raise MockValidationException("Subscriber limit exceeded: Only 1 online index "
                                          "can be created or deleted simultaneously per table")
        before = {i["IndexName"]: i for i in describe(self, name)["Table"].get(
            "GlobalSecondaryIndexes") or []}
        table = update(self, name, *args, **kwargs)
        state = Transition("UPDATING")
        for operation in operations:
            if "Create" in operation:
                state.creating = operation["Create"]["IndexName"]
            else:
                state.deleting = before[operation["Delete"]["IndexName"]]
        states.pending[name] = state
        return table

    def delete_table(self, name):
        if states.busy(name):
            raise ResourceInUseException(f"Table is being updated: {name}")
        table = delete(self, name)
        states.deleted[name] = table
        states.pending[name] = Transition("DELETING")
        return table

    def describe_table(self, name):
        if name not in self.tables and states.busy(name) and name in states.deleted:
            return {"Table": states.consume(
                name, states.deleted[name].describe(base_key="Table")["Table"])}
        if name not in self.tables:
            raise ResourceNotFoundException(table_name=name)
        return {"Table": states.consume(name, describe(self, name)["Table"])}

    monkeypatch.setattr(DynamoDBBackend, "create_table", create_table)
    monkeypatch.setattr(DynamoDBBackend, "update_table", update_table)
    monkeypatch.setattr(DynamoDBBackend, "delete_table", delete_table)
    monkeypatch.setattr(DynamoDBBackend, "describe_table", describe_table)
    return states


BEFORE = """
stack: seq
region: us-east-1
tables:
  docs:
    name: seq-docs
    hash_key: id
    attributes: {id: S, owner: S, kind: S}
    global_indexes:
      by-owner: {hash_key: owner}
      by-kind: {hash_key: kind}
"""
AFTER = """
stack: seq
region: us-east-1
tables:
  docs:
    name: seq-docs
    hash_key: id
    attributes: {id: S, owner: S, day: S, state: S}
    global_indexes:
      by-owner: {hash_key: owner}
      by-day: {hash_key: day}
      by-state: {hash_key: state, projection: KEYS_ONLY}
"""


def _apply(ctx, tmp_path, text: str):
    stack = load_stack(write_spec(tmp_path, text))
    result = make_plan(stack, ctx, RunOptions())
    report = apply_plan(stack, result, ctx, RunOptions())
    assert report.failures == [], report.failures
    return result


def test_create_waits_out_creating(aws, transitions, tmp_path):
    ctx, log = aws
    _apply(ctx, tmp_path, BEFORE)
    assert transitions.shown == [("seq-docs", "CREATING")] * POLLS
    calls = log.operations
    after_create = calls[calls.index("CreateTable") + 1:]
    assert after_create.count("DescribeTable") >= POLLS + 1  # then ACTIVE


def test_two_index_creates_and_one_delete_are_three_waited_update_tables(aws, transitions,
                                                                         tmp_path, monkeypatch):
    ctx, log = aws
    _apply(ctx, tmp_path, BEFORE)
    requests: list[list[dict]] = []

    def record(params, **_):
        requests.append(params.get("GlobalSecondaryIndexUpdates"))

    ctx.clients.on("before-parameter-build.dynamodb.UpdateTable", record)
    transitions.shown.clear()
    log.clear()
    result = _apply(ctx, tmp_path, AFTER)
    change = result.plan.changes[0]
    assert any("3 index operations" in w for w in change.warnings)
    # Terraform's order: the delete first, then each create, one per UpdateTable
    assert requests == [
        [{"Delete": {"IndexName": "by-kind"}}],
        [{"Create": {"IndexName": "by-day", "KeySchema": [{"AttributeName": "day",
                                                           "KeyType": "HASH"}],
                     "Projection": {"ProjectionType": "ALL"}}}],
        [{"Create": {"IndexName": "by-state", "KeySchema": [{"AttributeName": "state",
                                                             "KeyType": "HASH"}],
                     "Projection": {"ProjectionType": "KEYS_ONLY"}}}],
    ]
    calls = log.operations
    updates = [i for i, op in enumerate(calls) if op == "UpdateTable"]
    # after each UpdateTable: POLLS transitional reads, then the settled state (the index
    # gone, or ACTIVE) before the next
    polls = [calls[first + 1:second].count("DescribeTable")
             for first, second in zip(updates, [*updates[1:], len(calls)], strict=True)]
    assert all(p >= POLLS + 1 for p in polls), calls
    assert transitions.shown == [("seq-docs", "UPDATING")] * (3 * POLLS)
    assert transitions.refused == []  # never sent an UpdateTable while UPDATING
    # and it converged
    log.clear()
    again = make_plan(load_stack(write_spec(tmp_path, AFTER)), ctx, RunOptions())
    assert not again.plan.has_changes
    assert log.writes == []


def test_index_rebuild_deletes_then_creates_with_waits(aws, transitions, tmp_path):
    ctx, log = aws
    _apply(ctx, tmp_path, BEFORE)
    log.clear()
    rebuilt = BEFORE.replace("by-kind: {hash_key: kind}",
                             "by-kind: {hash_key: kind, projection: KEYS_ONLY}")
    _apply(ctx, tmp_path, rebuilt)
    calls = log.operations
    updates = [i for i, op in enumerate(calls) if op == "UpdateTable"]
    assert len(updates) == 2
    assert calls[updates[0] + 1:updates[1]].count("DescribeTable") >= POLLS + 1


def test_settings_and_index_create_are_separate_waited_calls(aws, transitions, tmp_path):
    ctx, log = aws
    _apply(ctx, tmp_path, BEFORE)
    log.clear()
    changed = BEFORE.replace("kind: S}", "kind: S, day: S}").replace(
        "      by-kind: {hash_key: kind}\n",
        "      by-kind: {hash_key: kind}\n      by-day: {hash_key: day}\n") + \
        "    deletion_protection: true\n"
    _apply(ctx, tmp_path, changed)
    assert log.writes == ["UpdateTable", "UpdateTable"]
    assert transitions.refused == []


def test_destroy_waits_out_deleting(aws, transitions, tmp_path):
    ctx, log = aws
    _apply(ctx, tmp_path, BEFORE)
    transitions.shown.clear()
    stack = load_stack(write_spec(tmp_path, BEFORE))
    result = make_destroy_plan(stack, ctx, RunOptions())
    report = apply_plan(stack, result, ctx, RunOptions(prune=True))
    assert report.failures == []
    assert transitions.shown == [("seq-docs", "DELETING")] * POLLS
    assert log.operations[-1] == "DescribeTable"
