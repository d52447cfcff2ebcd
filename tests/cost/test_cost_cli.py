"""`awsprov cost-estimate` end to end through the entry point: offline, every format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cost.shape import check_estimate
from tests.helpers import forbid_aws_clients, run_cli, write_spec

ROOT = Path(__file__).resolve().parents[2]
USAGE_SPEC = str(ROOT / "specs/examples/table-cost-usage.yaml")

PROVISIONED = """\
stack: costs
region: us-east-1
tables:
  orders:
    name: orders
    hash_key: id
    attributes: {id: S, status: S, day: S}
    billing_mode: PROVISIONED
    capacity: {read: 10, write: 5}
    global_indexes:
      by-a: {hash_key: status, capacity: {read: 5, write: 5}}
      by-b: {hash_key: day, capacity: {read: 2, write: 1}}
    usage: {storage_gb: 2}
  events:
    name: events
    hash_key: id
    attributes: {id: S}
"""


@pytest.fixture
def offline(monkeypatch):
    """Any AWS client at all fails the test."""
    return forbid_aws_clients(monkeypatch)


def test_json_is_spec_shaped_and_sums_what_is_known(capsys, tmp_path, offline):
    """orders: capacity 1.6133 + 5.2195 + storage 0.50 = 7.3328, complete;
    events: no usage → three unknown components, left out: total 7.3328, incomplete."""
    spec = write_spec(tmp_path, PROVISIONED)
    code, out, _err = run_cli(capsys, "cost-estimate", str(spec), "--output", "json")
    assert code == 0
    doc = json.loads(out)
    check_estimate(doc)
    assert doc["prices_as_of"] == "2026-10-06"
    assert doc["total"] == {**doc["total"], "monthly": pytest.approx(7.3328),
                            "complete": False, "fixed": pytest.approx(6.8328),
                            "usage_based": pytest.approx(0.5), "unknown_components": 3}
    resources = {r["address"]: r for r in doc["resources"]}
    assert resources["tables.orders"]["complete"] is True
    assert resources["tables.events"]["complete"] is False
    assert resources["tables.events"]["monthly"] is None  # nothing known
    assert [c["unit_price"] for c in resources["tables.events"]["components"]] == \
        [0.125, 0.625, 0.25]
    assert offline == []


def test_text_groups_by_section_with_subtotals_unknowns_and_date(capsys, tmp_path, offline):
    spec = write_spec(tmp_path, PROVISIONED)
    code, out, _err = run_cli(capsys, "--no-color", "cost-estimate", str(spec))
    assert code == 0
    assert "prices as of 2026-10-06" in out
    assert "tables.orders orders" in out and "$7.33" in out
    assert "Read capacity (index by-b)" in out
    assert "usage unknown" in out
    assert "Total $7.33/month (fixed $6.83, usage-based $0.50)" in out
    assert "incomplete: 3 components have unknown usage" in out


def test_markdown_for_pull_requests(capsys, tmp_path, offline):
    spec = write_spec(tmp_path, PROVISIONED)
    code, out, _err = run_cli(capsys, "cost-estimate", str(spec), "-o", "markdown")
    assert code == 0
    assert out.startswith("### Monthly cost: costs")
    assert "| Resource | Component | Kind | Quantity | Unit | Unit price | Monthly |" in out
    assert "| | Write capacity (index by-a) | fixed | 3,650 | WCU-hour | $0.00065 | $2.37 |" in out
    assert "prices as of 2026-10-06" in out
    assert "**Total $7.33/month" in out


def test_compare_environments_side_by_side(capsys, offline):
    """dev (us-east-1): reads 2M x 0.125 = 0.25, writes 0.5M x 0.625 = 0.3125, index
    0.1M x 0.625 = 0.0625, storage 1 x 0.25 → 0.875.  prod (eu-west-2): reads 50M x
    0.1485 = 7.425, writes 10M x 0.7423 = 7.423, index 0.1M x 0.7423 = 0.07423, storage
    40 x 0.29715 = 11.886, PITR 40 x 0.23772 = 9.5088 → 36.31703."""
    code, out, _err = run_cli(capsys, "cost-estimate", USAGE_SPEC, "--env", "dev",
                              "--compare", "prod", "-o", "json")
    assert code == 0
    doc = json.loads(out)
    check_estimate(doc)
    check_estimate(doc["compare"])
    assert (doc["env"], doc["region"]) == ("dev", "us-east-1")
    assert (doc["compare"]["env"], doc["compare"]["region"]) == ("prod", "eu-west-2")
    assert doc["total"]["monthly"] == pytest.approx(0.875)
    assert doc["compare"]["total"]["monthly"] == pytest.approx(36.31703)
    assert any("unverified price dynamodb.on_demand.reads" in w
               for w in doc["compare"]["warnings"])
    code, out, _err = run_cli(capsys, "--no-color", "cost-estimate", USAGE_SPEC, "--env", "dev",
                              "--compare", "prod")
    assert "dev (us-east-1) vs prod (eu-west-2)" in out
    assert "+$35.44" in out
    code, out, _err = run_cli(capsys, "cost-estimate", USAGE_SPEC, "--env", "dev",
                              "--compare", "prod", "-o", "markdown")
    assert "| tables.orders | $0.88 | $36.32 | +$35.44 |" in out


def test_usage_file_wins_over_usage_blocks(capsys, tmp_path, offline):
    """events given 4M reads (0.50) and 0 writes and 0 GB: complete, $0.50."""
    spec = write_spec(tmp_path, PROVISIONED)
    usage = tmp_path / "usage.yaml"
    usage.write_text("tables.events: {reads_per_month: 4000000, writes_per_month: 0, "
                     "storage_gb: 0}\ntables.orders: {storage_gb: 10}\n")
    code, out, _err = run_cli(capsys, "cost-estimate", str(spec), "--usage", str(usage),
                              "-o", "json")
    assert code == 0
    doc = json.loads(out)
    resources = {r["address"]: r for r in doc["resources"]}
    assert resources["tables.events"]["monthly"] == pytest.approx(0.50)
    assert resources["tables.orders"]["monthly"] == pytest.approx(6.8328 + 2.50)
    assert doc["total"]["complete"] is True


@pytest.mark.parametrize(("text", "message"), [
    ("tables.nope: {reads_per_month: 1}\n", "usage.yaml:1: tables.nope: no resource"),
    ("tables.events:\n  reads_per_month: -1\n", "usage.yaml:2: tables.events.reads_per_month"),
    ("tables.events: {reeds_per_month: 1}\n", "usage.yaml:1: tables.events: Additional"),
])
def test_bad_usage_file_is_one_line_with_file_and_line(capsys, tmp_path, offline, text,
                                                       message):
    spec = write_spec(tmp_path, PROVISIONED)
    usage = tmp_path / "usage.yaml"
    usage.write_text(text)
    code, out, err = run_cli(capsys, "cost-estimate", str(spec), "--usage", str(usage))
    assert code == 1
    assert message in err
    assert "Traceback" not in err and out == ""


def test_usage_blocks_are_validated_per_type(capsys, tmp_path, offline):
    """`usage:` is strict per type: a bucket's key on a table is an error at its line."""
    spec = write_spec(tmp_path, PROVISIONED.replace("usage: {storage_gb: 2}",
                                                    "usage: {put_requests_per_month: 2}"))
    code, _out, err = run_cli(capsys, "validate", str(spec))
    assert code == 1
    assert "tables.orders.usage" in err and "put_requests_per_month" in err


def test_a_region_the_catalogue_lacks_is_an_error_not_another_price(capsys, tmp_path, offline):
    spec = write_spec(tmp_path, PROVISIONED)
    code, out, err = run_cli(capsys, "--region", "eu-central-1", "cost-estimate", str(spec))
    assert code == 1
    assert "no prices for region eu-central-1" in err
    assert "us-east-1, eu-west-2, ap-south-1" in err
    assert out == ""


def test_runs_without_boto3_or_credentials(tmp_path):
    """The default path never imports boto3/botocore: no credentials, no network."""
    spec = write_spec(tmp_path, PROVISIONED)
    script = (
        "import sys\n"
        "from awsprov.cli.app import main\n"
        "try:\n"
        f"    main(['cost-estimate', {str(spec)!r}, '-o', 'json'])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore'))\n"
        "assert not loaded, loaded\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWSPROV_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"]["monthly"] == pytest.approx(7.3328)


KEY_AND_SECRET = """\
stack: costs
region: us-east-1
keys:
  data:
    alias: alias/costs-data
    usage: {requests_per_month: 1000000}
secrets:
  api:
    name: costs/api
    kms_key: ${keys.data}
    usage: {api_calls_per_month: 50000}
"""


def test_keys_and_secrets_priced_through_their_types(capsys, tmp_path, offline):
    """Key: 1.00 + 1M requests = 100 x 0.03 = 3.00 → 4.00. Secret: 0.40 + 50k calls =
    5 x 0.05 = 0.25 → 0.65.  Total 4.65, of which fixed 1.40."""
    spec = write_spec(tmp_path, KEY_AND_SECRET)
    code, out, err = run_cli(capsys, "cost-estimate", str(spec), "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    check_estimate(doc)
    assert {r["address"]: r["monthly"] for r in doc["resources"]} == {
        "keys.data": pytest.approx(4.00), "secrets.api": pytest.approx(0.65)}
    assert doc["total"]["fixed"] == pytest.approx(1.40)
    assert doc["total"]["complete"] is True


GLACIER_BUCKET = """\
stack: costs
region: us-east-1
buckets:
  archive:
    name: costs-archive-bucket
    lifecycle:
      - id: archive
        transitions:
          - {days: 30, storage_class: STANDARD_IA}
          - {days: 90, storage_class: GLACIER}
        expiration_days: 365
    usage: {storage_gb: 1000, objects: 100000, put_requests_per_month: 50000,
            get_requests_per_month: 200000}
"""


def test_bucket_priced_through_its_type_following_the_lifecycle(capsys, tmp_path, offline):
    """The figures of tests/cost/test_pricing.py's Glacier bucket: 7.342366 a month."""
    spec = write_spec(tmp_path, GLACIER_BUCKET)
    code, out, err = run_cli(capsys, "cost-estimate", str(spec), "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    check_estimate(doc)
    [bucket] = doc["resources"]
    assert bucket["monthly"] == pytest.approx(7.342366, abs=1e-5)
    names = [c["name"] for c in bucket["components"]]
    assert names[:3] == ["Storage (STANDARD)", "Storage (STANDARD_IA)", "Storage (GLACIER)"]
    assert "Archive overhead (GLACIER)" in names


def test_no_region_at_all_is_an_error(capsys, tmp_path, offline, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    spec = write_spec(tmp_path, PROVISIONED.replace("region: us-east-1\n", ""))
    code, _out, err = run_cli(capsys, "cost-estimate", str(spec))
    assert code == 1
    assert "no region to price" in err


MONITORING = """\
stack: costs
region: us-east-1
topics:
  alerts:
    name: costs-alerts
    subscriptions:
      - {protocol: email, endpoint: ops@example.com}
      - {protocol: https, endpoint: "https://hooks.example.com/alerts"}
    usage: {publishes_per_month: 2000000}
queues:
  work:
    name: costs-work
    usage: {requests_per_month: 3000000}
log_groups:
  app:
    name: /costs/app
    retention_days: 90
    usage: {ingested_gb: 10, stored_gb: 30}
alarms:
  latency:
    name: costs-latency-p999
    namespace: Costs/App
    metric: Latency
    statistic: p99.9
    period: 10
    threshold: 1000
    comparison: ">"
  errors:
    name: costs-errors
    namespace: Costs/App
    metric: Errors
    statistic: Sum
    threshold: 1
    comparison: ">="
dashboards:
  ops:
    name: costs-ops
    body: {widgets: []}
"""


def test_messaging_and_monitoring_priced_through_their_types(capsys, tmp_path, offline):
    """topic: 2M publishes 1.00 + email 2M deliveries 40.00 + https 2M 1.20 = 42.20;
    queue 3M x 0.40 = 1.20; log group 10 x 0.50 + 30 x 0.03 = 5.90; alarms: p99.9 at 10 s
    (high resolution) 0.30 + Sum at 300 s 0.10; dashboard 3.00.  Total 52.70, fixed 3.40."""
    spec = write_spec(tmp_path, MONITORING)
    code, out, err = run_cli(capsys, "cost-estimate", str(spec), "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    check_estimate(doc)
    assert {r["address"]: r["monthly"] for r in doc["resources"]} == pytest.approx({
        "topics.alerts": 42.20, "queues.work": 1.20, "log_groups.app": 5.90,
        "alarms.latency": 0.30, "alarms.errors": 0.10, "dashboards.ops": 3.00})
    assert doc["total"]["monthly"] == pytest.approx(52.70)
    assert doc["total"]["fixed"] == pytest.approx(3.40)
    assert doc["total"]["complete"] is True


def test_free_tier_view_is_labelled_account_wide_and_never_in_the_total(capsys, tmp_path,
                                                                        offline):
    """orders: 17 RCU x 730 = 12,410 RCU-hours, all inside 25 x 730 = 18,250 free: 1.6133;
    11 WCU → 8,030 WCU-hours, all free: 5.2195; 2 GB of the 25 free: 0.50.  The saving
    7.3328 takes the known total to 0.00; the total itself stays 7.3328."""
    spec = write_spec(tmp_path, PROVISIONED)
    code, out, _err = run_cli(capsys, "cost-estimate", str(spec), "-o", "json", "--free-tier")
    assert code == 0
    doc = json.loads(out)
    check_estimate(doc)
    assert doc["total"]["monthly"] == pytest.approx(7.3328)
    view = doc["free_tier"]
    assert "account-wide" in view["scope"]
    assert view["monthly_saving"] == pytest.approx(7.3328)
    assert view["monthly_after"] == pytest.approx(0)
    assert {a["allowance"]: a["monthly"] for a in view["applied"]} == pytest.approx({
        "25 RCU (x 730 h)": 1.6133, "25 WCU (x 730 h)": 5.2195,
        "25 GB of Standard table storage": 0.50})
    code, out, _err = run_cli(capsys, "--no-color", "cost-estimate", str(spec), "--free-tier")
    assert "Free tier (account-wide" in out and "-$7.33 → $0.00/month" in out
    code, out, _err = run_cli(capsys, "cost-estimate", str(spec), "-o", "json")
    assert "free_tier" not in json.loads(out)


def test_free_tier_allowances_are_used_once_across_resources(tmp_path):
    """Two queues of 0.8M requests each: 1.6M x 0.40 = 0.64; the free 1M covers 0.8M of
    the first and 0.2M of the second: saving 0.40, after 0.24."""
    from awsprov.cost.catalogue import Prices
    from awsprov.cost.free_tier import free_tier_view
    from awsprov.engine.estimate import estimate
    from awsprov.spec.loader import load_stack

    spec = write_spec(tmp_path, "stack: q\nregion: us-east-1\nqueues:\n"
                      "  a: {name: qa, usage: {requests_per_month: 800000}}\n"
                      "  b: {name: qb, usage: {requests_per_month: 800000}}\n")
    result = estimate(load_stack(spec), Prices("us-east-1"))
    view = free_tier_view(result)
    assert result.monthly == pytest.approx(0.64)
    assert view["monthly_saving"] == pytest.approx(0.40)
    assert view["monthly_after"] == pytest.approx(0.24)
