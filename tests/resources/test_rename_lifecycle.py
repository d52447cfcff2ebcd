"""A rename of every type with a physical name (docs/spec.md "Identity and ownership"):
`name:` (a key's `alias:`) changed, logical name kept, then plan + apply without and with
--prune, against in-process moto. The table of cases is checked against the registry, so
a new type cannot be left out.

- Without --prune: the new one is created, the old one is kept and listed as an orphan of
  the same address, its data kept; the next plan shows only that orphan.
- With --prune: the old one is deleted after the new one exists, under the data-loss
  guards (a bucket with objects needs force_destroy, a queue holding messages is kept).
- Keys: the alias is renamed on the same key (an update, never a second key).
- Dashboards cannot be tagged: the new one is created and the old one is not found again
  (never an orphan, never deleted by awsprov), as documented.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import pytest

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.resources import registry
from awsprov.spec.loader import load_stack
from tests.helpers import wait_for_tag_index, write_spec

REGION = "us-east-1"
STACK = "ren"


def _client(service: str):
    return boto3.client(service, region_name=REGION)


# ---- what each type lists, holds and is filled with -----------------------------------------

def _tables() -> list[str]:
    return _client("dynamodb").list_tables()["TableNames"]


def _table_fill(name: str) -> None:
    _client("dynamodb").put_item(TableName=name, Item={"id": {"S": "kept"}})


def _table_holds(name: str) -> bool:
    return _client("dynamodb").scan(TableName=name)["Count"] == 1


def _buckets() -> list[str]:
    return [b["Name"] for b in _client("s3").list_buckets()["Buckets"]]


def _bucket_fill(name: str) -> None:
    _client("s3").put_object(Bucket=name, Key="kept.txt", Body=b"kept")


def _bucket_holds(name: str) -> bool:
    return _client("s3").get_object(Bucket=name, Key="kept.txt")["Body"].read() == b"kept"


def _live_keys() -> list[dict]:
    kms = _client("kms")
    metas = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    return [m for m in metas if m["KeyManager"] == "CUSTOMER" and m["KeyState"] == "Enabled"]


def _keys() -> list[str]:
    """The aliases of live customer keys (one entry per key: its aliases joined)."""
    kms = _client("kms")
    aliases = kms.list_aliases()["Aliases"]
    return [",".join(sorted(a["AliasName"] for a in aliases if a.get("TargetKeyId") ==
                            m["KeyId"])) for m in _live_keys()]


_CIPHERTEXT: dict[str, bytes] = {}


def _key_fill(alias: str) -> None:
    _CIPHERTEXT["blob"] = _client("kms").encrypt(KeyId=alias, Plaintext=b"kept")["CiphertextBlob"]


def _key_holds(_alias: str) -> bool:
    return _client("kms").decrypt(CiphertextBlob=_CIPHERTEXT["blob"])["Plaintext"] == b"kept"


def _secrets() -> list[str]:
    return [s["Name"] for s in _client("secretsmanager").list_secrets()["SecretList"]]


def _secret_holds(name: str) -> bool:
    return _client("secretsmanager").get_secret_value(SecretId=name)["SecretString"] == "kept"


def _topics() -> list[str]:
    return [t["TopicArn"].rsplit(":", 1)[-1] for t in _client("sns").list_topics()["Topics"]]


def _queues() -> list[str]:
    return [u.rsplit("/", 1)[-1] for u in _client("sqs").list_queues().get("QueueUrls", [])]


def _queue_fill(name: str) -> None:
    sqs = _client("sqs")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"], MessageBody="kept")


def _queue_holds(name: str) -> bool:
    sqs = _client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages"])["Attributes"]
    return attributes["ApproximateNumberOfMessages"] == "1"


def _log_groups() -> list[str]:
    return [g["logGroupName"] for g in _client("logs").describe_log_groups()["logGroups"]]


def _log_fill(name: str) -> None:
    logs = _client("logs")
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    logs.put_log_events(logGroupName=name, logStreamName="s", logEvents=[
        {"timestamp": int(time.time() * 1000), "message": "kept"}])


def _log_holds(name: str) -> bool:
    events = _client("logs").get_log_events(logGroupName=name, logStreamName="s")["events"]
    return [e["message"] for e in events] == ["kept"]


def _alarms() -> list[str]:
    return [a["AlarmName"] for a in _client("cloudwatch").describe_alarms()["MetricAlarms"]]


def _dashboards() -> list[str]:
    return [d["DashboardName"] for d in _client("cloudwatch").list_dashboards()["DashboardEntries"]]


@dataclass
class Case:
    body: str                      # the resource's YAML, `{name}` where its name goes
    old: str
    new: str
    inventory: Callable[[], list[str]]
    fill: Callable[[str], None] | None = None
    holds: Callable[[str], bool] | None = None
    mode: str = "orphan"           # orphan | same-resource (keys) | untaggable (dashboards)
    # With data in it, a prune of the old one is refused (the guard); else it is deleted.
    guarded: bool = False


CASES: dict[str, Case] = {
    "keys": Case("{{alias: {name}}}", "alias/ren-v1", "alias/ren-v2", _keys, _key_fill, _key_holds,
                 mode="same-resource"),
    "tables": Case("{{name: {name}, hash_key: id, attributes: {{id: S}}}}", "ren-v1", "ren-v2",
                   _tables, _table_fill, _table_holds),
    "buckets": Case("{{name: {name}, enforce_tls: false}}", "awsprov-ren-v1", "awsprov-ren-v2",
                    _buckets, _bucket_fill, _bucket_holds, guarded=True),
    "secrets": Case("{{name: {name}, value: {{from_env: REN_SECRET}}}}", "ren/v1", "ren/v2",
                    _secrets, None, _secret_holds),
    "topics": Case("{{name: {name}}}", "ren-v1", "ren-v2", _topics),
    "queues": Case("{{name: {name}}}", "ren-v1", "ren-v2", _queues, _queue_fill, _queue_holds,
                   guarded=True),
    "log_groups": Case("{{name: {name}}}", "/ren/v1", "/ren/v2", _log_groups, _log_fill,
                       _log_holds),
    "alarms": Case("{{name: {name}, namespace: AWS/SQS, metric: ApproximateNumberOfMessagesVisible,"
                   " threshold: 10}}", "ren-v1", "ren-v2", _alarms),
    "dashboards": Case("{{name: {name}, body: {{widgets: [{{type: text, x: 0, y: 0, width: 6, "
                       "height: 3, properties: {{markdown: hi}}}}]}}}}", "ren-v1", "ren-v2",
                       _dashboards, mode="untaggable"),
}


def test_every_type_has_a_rename_case():
    assert set(CASES) == set(registry.sections())
    for section, case in CASES.items():
        rtype = registry.get(section)
        assert (case.mode == "untaggable") == (not rtype.taggable), section
        assert (case.mode == "same-resource") == rtype.found_by_tags, section


# ---- the runs ---------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def secret_value(monkeypatch):
    monkeypatch.setenv("REN_SECRET", "kept")


def _spec(tmp_path, section: str, name: str, extra: str = ""):
    body = CASES[section].body.format(name=name)
    if extra:
        body = f"{body[:-1]}, {extra}}}"
    text = f"stack: {STACK}\nregion: {REGION}\n{section}:\n  thing: {body}\n"
    return load_stack(write_spec(tmp_path, text))


def _apply(ctx, stack, prune: bool = False):
    result = make_plan(stack, ctx, RunOptions(prune=prune))
    report = apply_plan(stack, result, ctx, RunOptions(prune=prune))
    return result, report


def _start(ctx, tmp_path, section: str, extra: str = ""):
    case = CASES[section]
    _result, report = _apply(ctx, _spec(tmp_path, section, case.old, extra))
    assert report.failures == []
    if case.fill:
        case.fill(case.old)
    # A user's next command comes later: by then the Tagging API, through which alone the
    # plan finds the old name, lists it (AWS promises no freshness; the realism layer lags)
    wait_for_tag_index(STACK)
    return case


ADDRESS = "{section}.thing"


@pytest.mark.parametrize("section", registry.sections())
def test_rename_without_prune_creates_the_new_one_and_keeps_the_old(aws, tmp_path, section):
    ctx, _log = aws
    case = _start(ctx, tmp_path, section)
    address = ADDRESS.format(section=section)
    new = _spec(tmp_path, section, case.new)
    result = make_plan(new, ctx, RunOptions())
    entry = result.plan.by_address()[address]
    orphans = [c for c in result.plan.changes if c.orphan]
    if case.mode == "same-resource":
        assert entry.action is Action.UPDATE and orphans == []
    else:
        assert entry.action is Action.CREATE and entry.name == case.new
        if case.mode == "orphan":
            assert entry.renamed_from == case.old
            assert [(c.address, c.name) for c in orphans] == [(address, case.old)]
        else:
            assert entry.renamed_from is None and orphans == []

    _result, report = _apply(ctx, new)
    assert report.failures == [], [(o.key, o.message) for o in report.failures]
    inventory = case.inventory()
    if case.mode == "same-resource":
        assert inventory == [case.new]  # one key, its alias renamed
    else:
        assert sorted(inventory) == sorted([case.old, case.new])
    if case.holds:
        assert case.holds(case.old if case.mode != "same-resource" else case.new)

    again = make_plan(new, ctx, RunOptions())
    assert not again.plan.has_changes
    assert [e.address for e in again.plan.changes if not e.orphan] == [address]
    kept = [(c.address, c.name) for c in again.plan.changes if c.orphan]
    assert kept == ([(address, case.old)] if case.mode == "orphan" else [])


@pytest.mark.parametrize("section", registry.sections())
def test_rename_with_prune_deletes_the_old_one_after_the_new_one_exists(aws, tmp_path, section):
    ctx, log = aws
    case = _start(ctx, tmp_path, section)
    new = _spec(tmp_path, section, case.new)
    log.clear()
    _result, report = _apply(ctx, new, prune=True)
    writes = log.writes
    inventory = case.inventory()
    if case.mode == "same-resource":
        assert report.failures == [] and inventory == [case.new]
        assert case.holds(case.new)
        return
    if case.mode == "untaggable":
        assert report.failures == [] and sorted(inventory) == sorted([case.old, case.new])
        return
    creates = [i for i, w in enumerate(writes) if w.startswith(("Create", "Put"))]
    deletes = [i for i, w in enumerate(writes) if w.startswith(("Delete", "Schedule"))]
    if case.guarded:  # holds data the spec gave no flag for: kept, and said so
        assert [o.key for o in report.failures] == [f"{section}.thing#{case.old}"]
        assert deletes == [] and sorted(inventory) == sorted([case.old, case.new])
        assert case.holds(case.old)
        return
    assert report.failures == [], [(o.key, o.message) for o in report.failures]
    assert creates and deletes and max(creates) < min(deletes), writes
    assert inventory == [case.new]
    assert not make_plan(new, ctx, RunOptions(prune=True)).plan.has_changes


def test_a_bucket_with_objects_goes_on_rename_with_prune_once_force_destroy_was_applied(
        aws, tmp_path):
    ctx, _log = aws
    case = _start(ctx, tmp_path, "buckets", extra="force_destroy: true")
    _result, report = _apply(ctx, _spec(tmp_path, "buckets", case.new, "force_destroy: true"),
                             prune=True)
    assert report.failures == []
    assert _buckets() == [case.new]


def test_an_empty_queue_goes_on_rename_with_prune(aws, tmp_path):
    ctx, _log = aws
    _result, report = _apply(ctx, _spec(tmp_path, "queues", "ren-v1"))
    wait_for_tag_index(STACK)
    _result, report = _apply(ctx, _spec(tmp_path, "queues", "ren-v2"), prune=True)
    assert report.failures == []
    assert _queues() == ["ren-v2"]


def test_a_protected_table_is_kept_on_rename_with_prune(aws, tmp_path):
    ctx, _log = aws
    _start(ctx, tmp_path, "tables", extra="deletion_protection: true")
    _result, report = _apply(ctx, _spec(tmp_path, "tables", "ren-v2"), prune=True)
    assert [o.key for o in report.failures] == ["tables.thing#ren-v1"]
    assert "deletion protection" in report.failures[0].message
    assert sorted(_tables()) == ["ren-v1", "ren-v2"]
    assert _table_holds("ren-v1")
