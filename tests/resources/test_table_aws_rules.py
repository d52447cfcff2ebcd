"""DynamoDB rules moto does not enforce, injected into its backend in-process, each with
the fix it checks (issue 12, "the individual fixes"):

- a switch to PROVISIONED must carry capacity for every index that exists at that moment,
  and an index update for an index that does not exist is refused (UpdateTable);
- only a limited number of tables with secondary indexes may be CREATING at once
  (CreateTable: LimitExceededException);
- DeleteTable on a CREATING or UPDATING table is refused (ResourceInUseException);
- the TTL wait allows the hour UpdateTimeToLive may take.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field

import pytest

from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_destroy_plan, make_plan
from awsprov.resources import registry
from awsprov.spec.loader import load_stack
from tests.helpers import make_context, write_spec
from tests.resources.test_table_gsi_sequence import (  # transitions: a fixture
    POLLS,
    Transition,
    transitions,  # noqa: F401
)


def _apply(ctx, tmp_path, text: str, **options):
    stack = load_stack(write_spec(tmp_path, text))
    result = make_plan(stack, ctx, RunOptions(**options.pop("plan", {})))
    report = apply_plan(stack, result, ctx, RunOptions(**options))
    return result, report


# ---- 1. index rebuild with a switch to PROVISIONED --------------------------------------

@pytest.fixture
def index_update_rules(moto, monkeypatch):
    """UpdateTable as AWS checks it: an Update of an unknown index is refused, and a switch
    to PROVISIONED without capacity for each existing index is refused."""
    from moto.dynamodb.exceptions import MockValidationException, ResourceNotFoundException
    from moto.dynamodb.models import DynamoDBBackend

    update = DynamoDBBackend.update_table
    sent: list[dict] = []

    def update_table(self, name, *args, **kwargs):
        table = self.get_table(name)
        existing = {ix.name for ix in table.global_indexes}
        updates = kwargs.get("global_index") or []
        sent.append({"billing_mode": kwargs.get("billing_mode"), "indexes": updates})
        for item in updates:
            if "Update" in item and item["Update"]["IndexName"] not in existing:
                raise ResourceNotFoundException(
                    f"Requested resource not found: Index: {item['Update']['IndexName']}")
        if kwargs.get("billing_mode") == "PROVISIONED" and table.billing_mode != "PROVISIONED":
            given = {item["Update"]["IndexName"] for item in updates if "Update" in item}
            for missing in sorted(existing - given):
                raise MockValidationException(f"One or more parameter values were invalid: "
                                              f"ProvisionedThroughput must be specified for "
                                              f"index: {missing}")
        return update(self, name, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_table", update_table)
    return sent


ON_DEMAND = """
stack: gsi
region: us-east-1
tables:
  docs:
    name: gsi-docs
    hash_key: id
    attributes: {id: S, g: S, h: S}
    global_indexes:
      by-g: {hash_key: g}
      by-h: {hash_key: h}
"""
PROVISIONED_WITH_REBUILD = """
stack: gsi
region: us-east-1
tables:
  docs:
    name: gsi-docs
    hash_key: id
    attributes: {id: S, g: S, h: S}
    billing_mode: PROVISIONED
    capacity: {read: 5, write: 5}
    global_indexes:
      by-g: {hash_key: g, projection: KEYS_ONLY, capacity: {read: 2, write: 2}}
      by-h: {hash_key: h, capacity: {read: 3, write: 3}}
"""


def test_switch_to_provisioned_while_rebuilding_an_index(aws, index_update_rules, tmp_path):
    ctx, _ = aws
    _, report = _apply(ctx, tmp_path, ON_DEMAND)
    assert report.failures == []
    index_update_rules.clear()
    _, report = _apply(ctx, tmp_path, PROVISIONED_WITH_REBUILD)
    assert report.failures == [], report.failures
    delete, switch, create = index_update_rules
    assert delete["indexes"] == [{"Delete": {"IndexName": "by-g"}}]
    # the switch names only the index that exists then, with its capacity
    assert switch["billing_mode"] == "PROVISIONED"
    assert switch["indexes"] == [{"Update": {"IndexName": "by-h", "ProvisionedThroughput": {
        "ReadCapacityUnits": 3, "WriteCapacityUnits": 3}}}]
    # the rebuilt index is created with its own capacity
    created = create["indexes"][0]["Create"]
    assert created["IndexName"] == "by-g"
    assert created["ProvisionedThroughput"] == {"ReadCapacityUnits": 2,
                                                "WriteCapacityUnits": 2}
    again = make_plan(load_stack(write_spec(tmp_path, PROVISIONED_WITH_REBUILD)), ctx,
                      RunOptions())
    assert not again.plan.has_changes


# ---- 3. the indexed-table CREATING limit --------------------------------------------------

CREATING_S = 0.3  # how long an indexed table stays CREATING in this model


@dataclass
class CreatingLimit:
    """CreateTable as AWS limits it: at most `limit` tables with secondary indexes
    CREATING at once, more refused with LimitExceededException; a table is CREATING for
    CREATING_S after CreateTable (DescribeTable shows it)."""

    limit: int
    creating: dict[str, float] = field(default_factory=dict)  # name -> ACTIVE at
    refused: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def still_creating(self, name: str) -> bool:
        return self.creating.get(name, 0) > time.monotonic()

    def admit(self, name: str) -> None:
        with self.lock:
            busy = [n for n in self.creating if self.still_creating(n)]
            if len(busy) >= self.limit:
                self.refused += 1
                raise LimitExceeded()
            self.creating[name] = time.monotonic() + CREATING_S
            self.peak = max(self.peak, len(busy) + 1)


class LimitExceeded(Exception):
    pass


@pytest.fixture
def creating_limit(moto, monkeypatch):
    from moto.dynamodb.exceptions import DynamodbException
    from moto.dynamodb.models import DynamoDBBackend

    rule = CreatingLimit(limit=1)
    create, describe = DynamoDBBackend.create_table, DynamoDBBackend.describe_table

    def create_table(self, name, *args, **kwargs):
        if kwargs.get("global_indexes") or kwargs.get("indexes"):
            try:
                rule.admit(name)
            except LimitExceeded:
                raise DynamodbException("LimitExceededException", "Subscriber limit "
                                        "exceeded: There is a limit of tables with "
                                        "secondary indexes in the CREATING state") from None
        return create(self, name, *args, **kwargs)

    def describe_table(self, name):
        answer = describe(self, name)
        if rule.still_creating(name):
            answer = copy.deepcopy(answer)
            answer["Table"]["TableStatus"] = "CREATING"
        return answer

    monkeypatch.setattr(DynamoDBBackend, "create_table", create_table)
    monkeypatch.setattr(DynamoDBBackend, "describe_table", describe_table)
    return rule


@pytest.fixture
def no_botocore_retries(moto, monkeypatch):
    """A context whose clients never retry: what awsprov itself does is all there is
    (with botocore's few retries, a burst of refusals can still slip through by luck)."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    return make_context("us-east-1")


def _indexed_tables(count: int) -> str:
    tables = "".join(f"""
  t{i}:
    name: limit-{i}
    hash_key: id
    attributes: {{id: S, g: S}}
    global_indexes:
      by-g: {{hash_key: g}}
""" for i in range(count))
    return f"stack: limit\nregion: us-east-1\ntables:{tables}"


def test_indexed_creates_are_queued_within_the_limit(no_botocore_retries, creating_limit,
                                                     tmp_path, monkeypatch):
    ctx, _ = no_botocore_retries
    creating_limit.limit = 2
    monkeypatch.setattr(registry.get("tables"), "_indexed_creates",
                        threading.BoundedSemaphore(2))
    _, report = _apply(ctx, tmp_path, _indexed_tables(6), parallelism=16)
    assert report.failures == [], report.failures
    assert creating_limit.refused == 0
    assert creating_limit.peak == 2


def test_a_limit_exceeded_create_is_retried_with_backoff(no_botocore_retries, creating_limit,
                                                         tmp_path):
    ctx, _ = no_botocore_retries
    creating_limit.limit = 1  # below awsprov's own bound: AWS reduced it
    _, report = _apply(ctx, tmp_path, _indexed_tables(4), parallelism=16)
    assert report.failures == [], report.failures
    assert creating_limit.refused > 0
    assert creating_limit.peak == 1


# ---- 4. DeleteTable only once the table is ACTIVE -----------------------------------------

REPLACED = """
stack: repl
region: us-east-1
tables:
  docs:
    name: repl-docs
    hash_key: id
    attributes: {id: S}
"""


@pytest.mark.parametrize("status", ["UPDATING", "CREATING"])
def test_replacement_waits_for_active_before_delete_table(aws, transitions,  # noqa: F811
                                                          tmp_path, status):
    ctx, log = aws
    _, report = _apply(ctx, tmp_path, REPLACED)
    assert report.failures == []
    # someone's change (or a killed apply's create) still in progress when the plan reads
    transitions.pending["repl-docs"] = Transition(status, remaining=POLLS + 2)
    transitions.shown.clear()
    log.clear()
    _, report = _apply(ctx, tmp_path, REPLACED.replace("{id: S}", "{id: N}"),
                       allow_replace=True)
    assert report.failures == [], report.failures
    assert "repl-docs" not in transitions.refused
    calls = log.operations
    assert calls.count("DeleteTable") == 1 and calls.count("CreateTable") == 1
    before_delete = transitions.shown[:transitions.shown.index(("repl-docs", "DELETING"))]
    assert before_delete == [("repl-docs", status)] * (POLLS + 2)  # all waited out


def test_destroy_of_a_table_deleting_already_only_waits(aws, transitions,  # noqa: F811
                                                        tmp_path):
    ctx, log = aws
    _apply(ctx, tmp_path, REPLACED)
    stack = load_stack(write_spec(tmp_path, REPLACED))
    result = make_destroy_plan(stack, ctx, RunOptions())
    ctx.clients.client("dynamodb").delete_table(TableName="repl-docs")  # a killed destroy
    log.clear()
    report = apply_plan(stack, result, ctx, RunOptions(prune=True))
    assert report.failures == [], report.failures
    assert "DeleteTable" not in log.operations


# ---- 5. the TTL wait allows the documented hour --------------------------------------------

class FakeClock:
    """The waits' clock, advanced by each pause instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_ttl_wait_allows_the_hour_update_time_to_live_may_take(aws, monkeypatch, tmp_path):
    from moto.dynamodb.models import DynamoDBBackend

    from awsprov.aws import waiters

    ctx, _ = aws
    clock = FakeClock()
    monkeypatch.setattr(waiters, "time", clock)
    monkeypatch.setattr(waiters, "_pause", lambda policy, what: clock.sleep(policy.delay))
    ctx.wait = waiters.WaitPolicy(delay=60, timeout=30 * 60)  # the default bound
    describe = DynamoDBBackend.describe_time_to_live
    settles_at = clock.now + 50 * 60  # within AWS's hour, beyond the default 30 minutes

    def describe_time_to_live(self, table_name):
        answer = dict(describe(self, table_name))
        if answer.get("TimeToLiveStatus") == "ENABLED" and clock.now < settles_at:
            answer["TimeToLiveStatus"] = "ENABLING"
        return answer

    monkeypatch.setattr(DynamoDBBackend, "describe_time_to_live", describe_time_to_live)
    _, report = _apply(ctx, tmp_path, REPLACED + "    ttl: expires_at\n")
    assert report.failures == [], report.failures
    assert clock.now >= settles_at
