"""The shipped price catalogue: complete, sourced, dated, and region-strict."""

from __future__ import annotations

import datetime as dt

import pytest

from awsprov.cost import cloudwatch, dynamodb, kms, messaging, s3, secrets
from awsprov.cost.catalogue import Prices, PricingError, raw_catalogue

REGIONS = ("us-east-1", "eu-west-2", "ap-south-1")


def test_every_component_is_priced_sourced_and_dated_in_every_region():
    data = raw_catalogue()
    assert set(REGIONS) <= set(data["regions"])
    dt.date.fromisoformat(data["as_of"])
    for key, entry in data["prices"].items():
        assert entry["unit"], key
        for region in REGIONS:
            figure = entry[region]
            assert isinstance(figure["usd"], (int, float)) and figure["usd"] >= 0, (key, region)
            assert figure["status"] in ("verified", "secondary", "unverified"), (key, region)
            sources = figure["source"] if isinstance(figure["source"], list) \
                else [figure["source"]]
            assert set(sources) <= set(data["sources"]), (key, region)
            dt.date.fromisoformat(figure["as_of"])
            if figure["status"] == "unverified":
                assert figure["method"] in data["methods"] or " " in figure["method"], key


def test_dynamodb_on_demand_prices_are_after_the_november_2024_cut():
    """On-demand throughput was halved from 2024-11-01: $1.25 → $0.625 per million WRU,
    $0.25 → $0.125 per million RRU in us-east-1. Provisioned capacity did not change."""
    prices = Prices("us-east-1")
    assert prices.get("dynamodb.on_demand.writes").usd == 0.625
    assert prices.get("dynamodb.on_demand.reads").usd == 0.125
    for key in ("dynamodb.on_demand.writes", "dynamodb.on_demand.reads"):
        for region in REGIONS:
            assert Prices(region).get(key).as_of >= "2024-11-01", (key, region)
    assert prices.get("dynamodb.provisioned.wcu").usd == 0.00065


def test_unknown_region_is_an_error_never_another_regions_price():
    with pytest.raises(PricingError, match="no prices for region sa-east-1"):
        Prices("sa-east-1")


def test_unverified_figures_used_are_warned_about():
    prices = Prices("eu-west-2")
    prices.get("dynamodb.provisioned.wcu")  # verified: no warning
    assert prices.warnings() == []
    prices.get("cloudwatch.alarm.high_resolution")
    [warning] = prices.warnings()
    assert "unverified price cloudwatch.alarm.high_resolution = $0.3" in warning
    assert "eu-west-2" in warning


FULL = {
    "tables": (dynamodb.table_cost, [
        {"hash_key": "id", "stream": "KEYS_ONLY", "point_in_time_recovery": True,
         "global_indexes": {"gsi": {"hash_key": "g"}}},
        {"hash_key": "id", "billing_mode": "PROVISIONED", "capacity": {"read": 1, "write": 1},
         "table_class": "STANDARD_INFREQUENT_ACCESS", "stream": "NEW_IMAGE",
         "global_indexes": {"gsi": {"hash_key": "g", "capacity": {"read": 1, "write": 1}}}},
        {"hash_key": "id", "table_class": "STANDARD_INFREQUENT_ACCESS"}]),
    "buckets": (s3.bucket_cost, [{"name": "b", "lifecycle": [{
        "id": "all", "expiration_days": 3650, "transitions": [
            {"days": d, "storage_class": c} for d, c in (
                (30, "STANDARD_IA"), (60, "ONEZONE_IA"), (90, "INTELLIGENT_TIERING"),
                (120, "GLACIER_IR"), (200, "GLACIER"), (400, "DEEP_ARCHIVE"))]}]}]),
    "keys": (kms.key_cost, [{"alias": "alias/k"},
                            {"alias": "alias/k", "key_spec": "ECC_NIST_P256"}]),
    "secrets": (secrets.secret_cost, [{"name": "s"}]),
    "alarms": (cloudwatch.alarm_cost, [{"name": "a"}, {"name": "a", "period": 10}]),
    "dashboards": (cloudwatch.dashboard_cost, [{"name": "d"}]),
    "log_groups": (cloudwatch.log_group_cost, [{"name": "l"}]),
    "topics": (messaging.topic_cost, [
        {"name": "t", "subscriptions": [{"protocol": p, "endpoint": "x"} for p in (
            "http", "email", "sqs", "lambda", "firehose", "application", "sms")]},
        {"name": "t.fifo", "fifo": True}]),
    "queues": (messaging.queue_cost, [{"name": "q"}, {"name": "q.fifo", "fifo": True}]),
}
USAGE = {"reads_per_month": 1, "writes_per_month": 1, "storage_gb": 1, "objects": 1,
         "stream_reads_per_month": 1, "insights_scanned_gb": 1, "publishes_per_month": 1}


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("section", sorted(FULL))
def test_every_component_of_every_type_has_a_price_in_every_region(region, section):
    cost, variants = FULL[section]
    for props in variants:
        components = cost(props, USAGE, Prices(region))
        assert components, section
        assert all(c.unit_price >= 0 and c.unit for c in components)


def test_every_registered_type_prices_itself():
    """cost is part of the resource type contract (DESIGN.md): a type that lands without
    it would be estimated as free. Its pricing rules wait in src/awsprov/cost/."""
    from awsprov.resources import registry
    from awsprov.resources.base import ResourceType

    ready = {"buckets": "s3.bucket_cost", "topics": "messaging.topic_cost",
             "queues": "messaging.queue_cost", "log_groups": "cloudwatch.log_group_cost",
             "alarms": "cloudwatch.alarm_cost", "dashboards": "cloudwatch.dashboard_cost"}
    for section, rtype in registry.all_types().items():
        hint = ready.get(section, "a pricing function")
        assert type(rtype).cost is not ResourceType.cost, \
            f"{section}: add cost() (and usage_properties) calling awsprov.cost.{hint}"


def test_free_tier_allowances_name_catalogued_prices():
    data = raw_catalogue()
    for rule in data["free_tier"]["allowances"]:
        assert rule["allowance"] > 0 and rule["what"]
        assert set(rule["keys"]) <= set(data["prices"]), rule
