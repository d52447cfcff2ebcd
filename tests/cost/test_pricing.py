"""Every cost component against the catalogue, with the expected figure worked out by
hand in each docstring (us-east-1 unless named). These are the prices in
src/awsprov/data/prices.yaml: a change there must show up here."""

from __future__ import annotations

import pytest

from awsprov.cost import cloudwatch, dynamodb, kms, messaging, s3, secrets
from awsprov.cost.catalogue import Prices
from awsprov.cost.model import ResourceCost


@pytest.fixture
def use1() -> Prices:
    return Prices("us-east-1")


def by_name(components) -> dict:
    return {c.name: c for c in components}


def total(components) -> float:
    return ResourceCost("x.y", "x", "y", components).monthly


# ---- DynamoDB ---------------------------------------------------------------------------

def test_on_demand_table_with_indexes_pitr_and_stream(use1):
    """reads 10M x $0.125/M = 1.25; table writes 2M x $0.625/M = 1.25;
    index by-kind gets the 0.5M writes given: 0.5 x 0.625 = 0.3125;
    index by-user gets every table write (amplification): 2 x 0.625 = 1.25;
    storage 20 GB x 0.25 = 5.00; PITR on the table's size 20 x 0.20 = 4.00;
    stream reads 300k = 3 x $0.02/100k = 0.06.  Total 13.1225."""
    props = {"hash_key": "id", "point_in_time_recovery": True, "stream": "NEW_IMAGE",
             "global_indexes": {"by-user": {"hash_key": "user"},
                                "by-kind": {"hash_key": "kind"}}}
    usage = {"reads_per_month": 10_000_000, "writes_per_month": 2_000_000,
             "index_writes_per_month": {"by-kind": 500_000}, "storage_gb": 20,
             "stream_reads_per_month": 300_000}
    parts = by_name(dynamodb.table_cost(props, usage, use1))
    assert parts["Read request units"].monthly == pytest.approx(1.25)
    assert parts["Write request units (table)"].monthly == pytest.approx(1.25)
    assert parts["Write request units (index by-kind)"].monthly == pytest.approx(0.3125)
    assert parts["Write request units (index by-user)"].monthly == pytest.approx(1.25)
    assert "every table write" in parts["Write request units (index by-user)"].note
    assert parts["Storage"].monthly == pytest.approx(5.00)
    assert parts["Point-in-time recovery"].monthly == pytest.approx(4.00)
    assert parts["Stream reads"].monthly == pytest.approx(0.06)
    assert total(parts.values()) == pytest.approx(13.1225)
    assert all(c.usage_based for c in parts.values())


def test_provisioned_table_with_two_indexes_bills_every_index_capacity(use1):
    """RCU-hours: table 10, a 5, b 2 → 17 x 730 = 12,410 x $0.00013 = 1.6133;
    WCU-hours: table 5, a 5, b 1 → 11 x 730 = 8,030 x $0.00065 = 5.2195;
    storage 2 GB x 0.25 = 0.50.  Total 7.3328; capacity is fixed cost, storage usage."""
    props = {"hash_key": "id", "billing_mode": "PROVISIONED",
             "capacity": {"read": 10, "write": 5},
             "global_indexes": {"a": {"hash_key": "x", "capacity": {"read": 5, "write": 5}},
                                "b": {"hash_key": "y", "capacity": {"read": 2, "write": 1}}}}
    components = dynamodb.table_cost(props, {"storage_gb": 2}, use1)
    parts = by_name(components)
    assert parts["Read capacity (table)"].quantity == 7300
    assert parts["Read capacity (table)"].monthly == pytest.approx(0.949)
    assert parts["Read capacity (index a)"].monthly == pytest.approx(0.4745)
    assert parts["Read capacity (index b)"].monthly == pytest.approx(0.1898)
    assert parts["Write capacity (table)"].monthly == pytest.approx(2.3725)
    assert parts["Write capacity (index a)"].monthly == pytest.approx(2.3725)
    assert parts["Write capacity (index b)"].monthly == pytest.approx(0.4745)
    resource = ResourceCost("tables.t", "tables", "t", components)
    assert resource.part(usage_based=False) == pytest.approx(1.6133 + 5.2195)
    assert resource.part(usage_based=True) == pytest.approx(0.50)
    assert resource.monthly == pytest.approx(7.3328)
    assert "Read request units" not in parts  # covered by capacity


def test_standard_ia_table_class(use1):
    """IA: reads 4M x 0.15625 = 0.625; writes 1M x 0.78125; storage 100 GB x 0.10 = 10.
    Total 11.40625; the IA request prices are derived (1.25 x Standard) and say so."""
    props = {"hash_key": "id", "table_class": "STANDARD_INFREQUENT_ACCESS"}
    usage = {"reads_per_month": 4_000_000, "writes_per_month": 1_000_000, "storage_gb": 100}
    parts = by_name(dynamodb.table_cost(props, usage, use1))
    assert parts["Read request units"].monthly == pytest.approx(0.625)
    assert parts["Write request units (table)"].monthly == pytest.approx(0.78125)
    assert parts["Storage (Standard-IA class)"].monthly == pytest.approx(10.0)
    assert parts["Read request units"].price_status == "unverified"
    assert any("dynamodb.ia.on_demand.reads" in w for w in use1.warnings())


def test_region_prices_differ():
    """eu-west-2 reads 10M x 0.1485 = 1.485; ap-south-1 10M x 0.1425 = 1.425."""
    props = {"hash_key": "id"}
    usage = {"reads_per_month": 10_000_000}
    london = by_name(dynamodb.table_cost(props, usage, Prices("eu-west-2")))
    mumbai = by_name(dynamodb.table_cost(props, usage, Prices("ap-south-1")))
    assert london["Read request units"].monthly == pytest.approx(1.485)
    assert mumbai["Read request units"].monthly == pytest.approx(1.425)


def test_unknown_usage_is_unknown_and_zero_is_zero(use1):
    """No usage: every request/storage line has no quantity and no monthly, but keeps its
    unit price; usage given as 0 costs $0.00 and is complete."""
    unknown = dynamodb.table_cost({"hash_key": "id"}, {}, use1)
    assert [c.quantity for c in unknown] == [None, None, None]
    assert [c.monthly for c in unknown] == [None, None, None]
    assert [c.unit_price for c in unknown] == [0.125, 0.625, 0.25]
    resource = ResourceCost("tables.t", "tables", "t", unknown)
    assert resource.complete is False
    assert resource.monthly == 0
    zero = dynamodb.table_cost({"hash_key": "id"}, {"reads_per_month": 0,
                                                    "writes_per_month": 0, "storage_gb": 0},
                               use1)
    assert ResourceCost("tables.t", "tables", "t", zero).complete is True
    assert [c.monthly for c in zero] == [0, 0, 0]


# ---- S3 ---------------------------------------------------------------------------------

GLACIER_RULE = {"id": "archive", "transitions": [{"days": 30, "storage_class": "STANDARD_IA"},
                                                 {"days": 90, "storage_class": "GLACIER"}],
                "expiration_days": 365}


def test_bucket_whose_lifecycle_moves_data_to_glacier(use1):
    """1,000 GB aged evenly over 365 days: Standard 30/365 = 82.1918 GB x 0.023 = 1.890411;
    Standard-IA 60/365 = 164.3836 GB x 0.0125 = 2.054795; Glacier 275/365 = 753.4247 GB x
    0.0036 = 2.712329.  PUT 50k = 50 x 0.005 = 0.25; GET 200k = 200 x 0.0004 = 0.08.
    Each of 100,000 objects moves once per life: 100,000 x (730/24)/365 = 8,333.33 a month
    per transition → IA 8.3333 x 0.01 = 0.083333, Glacier 8.3333 x 0.03 = 0.25.
    Glacier overhead: 100,000 x 275/365 = 75,342.47 objects; x 32 KB = 2.299263 GB x 0.0036
    = 0.008277; x 8 KB = 0.574816 GB at Standard x 0.023 = 0.013221.  Total 7.342366."""
    props = {"name": "b", "lifecycle": [GLACIER_RULE]}
    usage = {"storage_gb": 1000, "objects": 100_000, "put_requests_per_month": 50_000,
             "get_requests_per_month": 200_000}
    components = s3.bucket_cost(props, usage, use1)
    parts = by_name(components)
    assert parts["Storage (STANDARD)"].monthly == pytest.approx(1.890411, abs=1e-6)
    assert parts["Storage (STANDARD_IA)"].monthly == pytest.approx(2.054795, abs=1e-6)
    assert parts["Storage (GLACIER)"].monthly == pytest.approx(2.712329, abs=1e-6)
    assert parts["PUT/COPY/POST/LIST requests"].monthly == pytest.approx(0.25)
    assert parts["GET and other requests"].monthly == pytest.approx(0.08)
    assert parts["Lifecycle transitions to STANDARD_IA"].monthly == pytest.approx(0.083333,
                                                                                 abs=1e-6)
    assert parts["Lifecycle transitions to GLACIER"].monthly == pytest.approx(0.25)
    assert parts["Archive overhead (GLACIER)"].monthly == pytest.approx(0.008277, abs=1e-6)
    assert parts["Archive index at Standard (GLACIER)"].monthly == pytest.approx(0.013221,
                                                                                abs=1e-6)
    assert total(components) == pytest.approx(7.342366, abs=1e-5)


def test_bucket_without_lifecycle_is_all_standard(use1):
    """10 GB x 0.023 = 0.23; requests not given stay unknown."""
    parts = by_name(s3.bucket_cost({"name": "b", "versioning": True}, {"storage_gb": 10},
                                   use1))
    assert parts["Storage (STANDARD)"].monthly == pytest.approx(0.23)
    assert "noncurrent versions" in parts["Storage (STANDARD)"].note
    assert parts["PUT/COPY/POST/LIST requests"].monthly is None
    assert set(parts) == {"Storage (STANDARD)", "PUT/COPY/POST/LIST requests",
                          "GET and other requests"}


def test_bucket_storage_per_class_as_given(use1):
    """Given per class: Standard 100 x 0.023 = 2.30, Deep Archive 1,000 x 0.00099 = 0.99;
    transitions given: 2,000 to Deep Archive = 2 x 0.05 = 0.10."""
    rule = {"id": "cold", "transitions": [{"days": 180, "storage_class": "DEEP_ARCHIVE"}]}
    usage = {"storage_gb": {"STANDARD": 100, "DEEP_ARCHIVE": 1000},
             "transitions_per_month": {"DEEP_ARCHIVE": 2000}}
    parts = by_name(s3.bucket_cost({"name": "b", "lifecycle": [rule]}, usage, use1))
    assert parts["Storage (STANDARD)"].monthly == pytest.approx(2.30)
    assert parts["Storage (DEEP_ARCHIVE)"].monthly == pytest.approx(0.99)
    assert parts["Lifecycle transitions to DEEP_ARCHIVE"].monthly == pytest.approx(0.10)
    assert parts["Archive overhead (DEEP_ARCHIVE)"].monthly is None  # objects not given


def test_bucket_lifecycle_that_never_expires_cannot_be_split(use1):
    """Without expiration there is no steady state: one storage figure stays unknown per
    class, and the note says to give storage per class."""
    rule = {"id": "cold", "transitions": [{"days": 30, "storage_class": "GLACIER"}]}
    parts = by_name(s3.bucket_cost({"name": "b", "lifecycle": [rule]}, {"storage_gb": 50},
                                   use1))
    assert parts["Storage (STANDARD)"].monthly is None
    assert parts["Storage (GLACIER)"].monthly is None
    assert "per class" in parts["Storage (STANDARD)"].note


# ---- KMS and Secrets Manager ----------------------------------------------------------

def test_key_with_a_million_requests(use1):
    """Key-month $1.00 (fixed) + 1,000,000 requests = 100 x $0.03/10k = 3.00.  Total 4.00;
    rotation (default 365 days) noted: 2x from month 12, 3x from month 24."""
    components = kms.key_cost({"alias": "alias/a"}, {"requests_per_month": 1_000_000}, use1)
    parts = by_name(components)
    assert parts["Customer managed key"].monthly == 1.00
    assert parts["Customer managed key"].usage_based is False
    assert parts["Requests"].quantity == 100
    assert parts["Requests"].monthly == pytest.approx(3.00)
    assert total(components) == pytest.approx(4.00)
    assert "month 12" in parts["Customer managed key"].note
    assert "month 24" in parts["Customer managed key"].note


def test_asymmetric_key_requests_and_no_rotation(use1):
    """RSA_4096: 20,000 requests = 2 x $0.15/10k = 0.30, plus the key-month 1.00."""
    components = kms.key_cost({"alias": "alias/a", "key_spec": "RSA_4096", "rotation": False},
                              {"requests_per_month": 20_000}, use1)
    assert total(components) == pytest.approx(1.30)
    assert "no rotation" in components[0].note


def test_secret_with_api_calls(use1):
    """Secret-month 0.40 + 50,000 calls = 5 x $0.05/10k = 0.25.  Total 0.65."""
    components = secrets.secret_cost({"name": "s"}, {"api_calls_per_month": 50_000}, use1)
    assert [c.monthly for c in components] == pytest.approx([0.40, 0.25])
    assert total(components) == pytest.approx(0.65)


# ---- CloudWatch ---------------------------------------------------------------------------

@pytest.mark.parametrize(("props", "price", "kind"), [
    ({"statistic": "Average", "period": 300}, 0.10, "standard resolution"),
    ({"statistic": "p99", "period": 60}, 0.10, "standard resolution"),
    ({"statistic": "p99.9", "period": 10}, 0.30, "high resolution"),
    ({"statistic": "Maximum", "period": 30}, 0.30, "high resolution"),
])
def test_alarms_by_resolution_percentiles_cost_the_same(use1, props, price, kind):
    """One alarm metric: $0.10 at a period of 60 s or more, $0.30 (high resolution) below;
    p99 costs what Average costs."""
    [component] = cloudwatch.alarm_cost({"name": "a", **props}, {}, use1)
    assert component.monthly == pytest.approx(price)
    assert kind in component.name
    assert component.usage_based is False
    assert ("percentile" in component.note) == props["statistic"].startswith("p")


def test_dashboard(use1):
    """$3.00 a dashboard-month, fixed."""
    [component] = cloudwatch.dashboard_cost({"name": "d", "body": {}}, {}, use1)
    assert (component.monthly, component.usage_based) == (3.00, False)


def test_log_group_ingestion_and_storage():
    """us-east-1: 10 GB x 0.50 + 30 GB x 0.03 = 5.00 + 0.90 = 5.90;
    eu-west-2: 10 x 0.5985 + 30 x 0.0315 = 5.985 + 0.945 = 6.93;
    Insights 200 GB scanned x 0.005 = 1.00 (only when given)."""
    usage = {"ingested_gb": 10, "stored_gb": 30}
    props = {"name": "/app", "retention_days": 90}
    assert total(cloudwatch.log_group_cost(props, usage, Prices("us-east-1"))) == \
        pytest.approx(5.90)
    assert total(cloudwatch.log_group_cost(props, usage, Prices("eu-west-2"))) == \
        pytest.approx(6.93)
    scanned = by_name(cloudwatch.log_group_cost(props, {**usage, "insights_scanned_gb": 200},
                                                Prices("us-east-1")))
    assert scanned["Logs Insights scans"].monthly == pytest.approx(1.00)


# ---- SNS and SQS ----------------------------------------------------------------------------

def test_topic_publishes_and_deliveries_per_protocol(use1):
    """2M publishes x $0.50/M = 1.00; email: 2M deliveries = 20 x $2.00/100k = 40.00;
    https x 2 subscriptions: 4M x $0.60/M = 2.40; sqs: 2M x $0 = 0.  Total 43.40."""
    props = {"name": "t", "subscriptions": [
        {"protocol": "email", "endpoint": "a@example.com"},
        {"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:1:q"},
        {"protocol": "https", "endpoint": "https://a.example.com"},
        {"protocol": "https", "endpoint": "https://b.example.com"}]}
    components = messaging.topic_cost(props, {"publishes_per_month": 2_000_000}, use1)
    parts = by_name(components)
    assert parts["Publishes"].monthly == pytest.approx(1.00)
    assert parts["Deliveries (email)"].monthly == pytest.approx(40.00)
    assert parts["Deliveries (http)"].monthly == pytest.approx(2.40)
    assert parts["Deliveries (sqs)"].monthly == 0
    assert total(components) == pytest.approx(43.40)


def test_topic_deliveries_given_win(use1):
    """deliveries.email 1,000 = 0.01 x 2.00 = 0.02 (not publishes x subscriptions)."""
    props = {"name": "t", "subscriptions": [{"protocol": "email", "endpoint": "a@b.c"}]}
    parts = by_name(messaging.topic_cost(props, {"publishes_per_month": 10,
                                                 "deliveries": {"email": 1000}}, use1))
    assert parts["Deliveries (email)"].monthly == pytest.approx(0.02)


@pytest.mark.parametrize(("props", "usage", "expected"), [
    ({"name": "q"}, {"requests_per_month": 3_000_000}, 1.20),          # 3 x 0.40
    ({"name": "q.fifo", "fifo": True}, {"requests_per_month": 3_000_000}, 1.50),  # 3 x 0.50
    ({"name": "q"}, {"requests_per_month": 3_000_000, "message_size_kb": 100}, 2.40),  # 6M
])
def test_queue_requests_standard_fifo_and_chunks(use1, props, usage, expected):
    """Standard $0.40/M, FIFO $0.50/M; a 100 KB message is two 64 KB chunks."""
    assert total(messaging.queue_cost(props, usage, use1)) == pytest.approx(expected)


def test_transition_after_expiration_never_happens(use1):
    """A rule expiring at 60 days with a transition at 90: all storage stays Standard
    (10 GB x 0.023 = 0.23) and the transition costs $0."""
    rule = {"id": "short", "transitions": [{"days": 90, "storage_class": "GLACIER"}],
            "expiration_days": 60}
    parts = by_name(s3.bucket_cost({"name": "b", "lifecycle": [rule]},
                                   {"storage_gb": 10, "objects": 1000}, use1))
    assert parts["Storage (STANDARD)"].monthly == pytest.approx(0.23)
    assert parts["Lifecycle transitions to GLACIER"].monthly == 0
