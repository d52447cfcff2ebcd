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

import pytest

from awsprov.engine.executor import ApplyOptions, apply_plan
from awsprov.engine.planner import PlanOptions, make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec


def _apply(ctx, tmp_path, text: str, **options):
    stack = load_stack(write_spec(tmp_path, text))
    result = make_plan(stack, ctx, PlanOptions(**options.pop("plan", {})))
    report = apply_plan(stack, result, ctx, ApplyOptions(**options))
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
                      PlanOptions())
    assert not again.plan.has_changes
