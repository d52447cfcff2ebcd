"""One address, one live resource (SPEC.md "Identity"): the old half of a rename and a
duplicate never take the spec's place in a plan; apply, prune, verify and destroy treat them
as what they are. Against in-process moto."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import jsonschema
import pytest
from rich.console import Console

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_destroy_plan, make_plan
from awsprov.engine.verify import verify
from awsprov.render.text import render_plan
from awsprov.resources import registry
from awsprov.spec.loader import load_stack
from tests.helpers import stack_tables, write_spec

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parents[2]

QUEUE_AND_TABLE = """
stack: ident
region: us-east-1
tables:
  docs:
    name: {table}
    hash_key: id
    attributes: {{id: S}}
queues:
  jobs: {{name: {queue}}}
"""
KEY = """
stack: ident
region: us-east-1
keys:
  messaging:
    alias: alias/ident-messaging
    description: {description}
"""


def _stack(tmp_path, text: str, **values):
    return load_stack(write_spec(tmp_path, text.format(**values)))


def _plan(ctx, stack, **options):
    return make_plan(stack, ctx, RunOptions(**options))


def _apply(ctx, stack, prune: bool = False):
    result = _plan(ctx, stack, prune=prune)
    report = apply_plan(stack, result, ctx, RunOptions(prune=prune))
    return result, report


def _v1(tmp_path):
    return _stack(tmp_path, QUEUE_AND_TABLE, table="ident-docs-v1", queue="ident-jobs-v1")


def _v2(tmp_path):
    return _stack(tmp_path, QUEUE_AND_TABLE, table="ident-docs-v2", queue="ident-jobs-v2")


def _tables() -> list[str]:
    return stack_tables(boto3.client("dynamodb", region_name=REGION))  # not the lease's


def _queues() -> list[str]:
    urls = boto3.client("sqs", region_name=REGION).list_queues().get("QueueUrls", [])
    return sorted(url.rsplit("/", 1)[-1] for url in urls)


def _plan_schema() -> jsonschema.Draft202012Validator:
    schema = json.loads((ROOT / "docs" / "plan-output.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


# ---- item 1: the old half of a rename -------------------------------------------------------

def test_a_rename_plans_one_create_per_address_and_lists_the_old_one_as_an_orphan(aws,
                                                                                  tmp_path):
    ctx, _log = aws
    _apply(ctx, _v1(tmp_path))
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName="ident-docs-v1", Item={"id": {"S": "1"}})
    result = _plan(ctx, _v2(tmp_path))
    spec_entries = result.plan.by_address()
    assert set(spec_entries) == {"tables.docs", "queues.jobs"}
    docs = spec_entries["tables.docs"]
    assert (docs.action, docs.name, docs.orphan) == (Action.CREATE, "ident-docs-v2", False)
    assert docs.renamed_from == "ident-docs-v1"
    assert "renamed from ident-docs-v1" in docs.reason
    assert "1 item" in docs.data_at_risk  # what the old one holds (not copied)
    orphans = {(c.address, c.name) for c in result.plan.changes if c.orphan}
    assert orphans == {("tables.docs", "ident-docs-v1"), ("queues.jobs", "ident-jobs-v1")}
    assert result.plan.summary()["create"] == 2
    assert result.plan.summary()["orphans_kept"] == 2
    doc = result.plan.to_json()
    _plan_schema().validate(doc)
    assert sorted((c["address"], c["name"], c.get("orphan", False)) for c in doc["changes"]) == [
        ("queues.jobs", "ident-jobs-v1", True), ("queues.jobs", "ident-jobs-v2", False),
        ("tables.docs", "ident-docs-v1", True), ("tables.docs", "ident-docs-v2", False)]


def test_a_rename_applied_without_prune_creates_the_new_one_and_keeps_the_old(aws, tmp_path):
    ctx, _log = aws
    _apply(ctx, _v1(tmp_path))
    v2 = _v2(tmp_path)
    _result, report = _apply(ctx, v2)
    assert report.failures == []
    assert sorted(_tables()) == ["ident-docs-v1", "ident-docs-v2"]
    assert _queues() == ["ident-jobs-v1", "ident-jobs-v2"]
    after = verify(_plan(ctx, v2), include_orphans=False)
    assert after.clean, [(c.address, c.reason) for c in after.drift]
    again = _plan(ctx, v2)
    assert not again.plan.has_changes
    assert {(c.address, c.name) for c in again.plan.changes if c.orphan} == {
        ("tables.docs", "ident-docs-v1"), ("queues.jobs", "ident-jobs-v1")}


def test_a_rename_with_prune_creates_first_then_deletes_the_old_one_once(aws, tmp_path):
    ctx, log = aws
    _apply(ctx, _v1(tmp_path))
    log.clear()
    _result, report = _apply(ctx, _v2(tmp_path), prune=True)
    assert report.failures == []
    writes = log.writes
    assert writes.count("DeleteTable") == 1 and writes.count("DeleteQueue") == 1, writes
    assert writes.index("CreateTable") < writes.index("DeleteTable")
    assert writes.index("CreateQueue") < writes.index("DeleteQueue")
    assert _tables() == ["ident-docs-v2"]
    assert _queues() == ["ident-jobs-v2"]
    assert not _plan(ctx, _v2(tmp_path), prune=True).plan.has_changes


def test_a_rename_keeps_the_old_one_when_the_new_one_could_not_be_created(aws, tmp_path,
                                                                          monkeypatch):
    ctx, _log = aws
    _apply(ctx, _v1(tmp_path))
    queues = registry.get("queues")

    def fail(*_args, **_kwargs):
        raise RuntimeError("CreateQueue failed")

    monkeypatch.setattr(type(queues), "create", fail)
    _result, report = _apply(ctx, _v2(tmp_path), prune=True)
    failed = {o.address: o.message for o in report.failures}
    assert set(failed) == {"queues.jobs"}, failed
    skipped = [o for o in report.outcomes if o.address == "queues.jobs" and o.key != o.address]
    assert [o.ok for o in skipped] == [False]
    assert "skipped" in skipped[0].message
    assert _queues() == ["ident-jobs-v1"]  # the old one is all there is: kept
    assert _tables() == ["ident-docs-v2"]  # the table's rename went through


# ---- item 2: several live resources on one address ------------------------------------------

def _second_key_tagged_like(stack_name: str, address: str) -> str:
    """A key from a CreateKey whose answer was lost: tagged, never aliased."""
    kms = boto3.client("kms", region_name=REGION)
    meta = kms.create_key(Tags=[{"TagKey": "awsprov:stack", "TagValue": stack_name},
                                {"TagKey": "awsprov:address", "TagValue": address}])
    return meta["KeyMetadata"]["Arn"]


def _aliased_key_arn() -> str:
    kms = boto3.client("kms", region_name=REGION)
    return kms.describe_key(KeyId="alias/ident-messaging")["KeyMetadata"]["Arn"]


def test_a_duplicate_key_never_takes_the_place_of_the_aliased_one(aws, tmp_path):
    ctx, _log = aws
    _apply(ctx, _stack(tmp_path, KEY, description="v1"))
    real = _aliased_key_arn()
    duplicate = _second_key_tagged_like("ident", "keys.messaging")
    v2 = _stack(tmp_path, KEY, description="v2")
    result = _plan(ctx, v2)
    entry = result.plan.by_address()["keys.messaging"]
    assert entry.action is Action.UPDATE and entry.arn == real
    assert entry.duplicates == [duplicate]
    [dup] = [c for c in result.plan.changes if c.orphan]
    assert (dup.address, dup.duplicate, dup.arn, dup.name_points_at) == (
        "keys.messaging", True, duplicate, real)
    assert dup.created  # keys tell their creation date
    doc = result.plan.to_json()
    _plan_schema().validate(doc)
    [dup_doc] = [c for c in doc["changes"] if c.get("duplicate")]
    assert dup_doc["address"] == "keys.messaging" and dup_doc["orphan"] is True
    assert dup_doc["arn"] == duplicate and dup_doc["name_points_at"] == real
    assert dup_doc["created"]

    _result, report = _apply(ctx, v2)
    assert report.failures == []
    kms = boto3.client("kms", region_name=REGION)
    assert kms.describe_key(KeyId=real)["KeyMetadata"]["Description"] == "v2"
    assert kms.describe_key(KeyId=duplicate)["KeyMetadata"]["Description"] == ""
    report = verify(_plan(ctx, v2))
    assert [(f.address, f.rule) for f in report.findings] == [("keys.messaging", "duplicate")]
    assert duplicate in report.findings[0].message

    _result, pruned = _apply(ctx, v2, prune=True)
    assert pruned.failures == []
    assert kms.describe_key(KeyId=duplicate)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert kms.describe_key(KeyId=real)["KeyMetadata"]["KeyState"] == "Enabled"
    assert verify(_plan(ctx, v2)).clean


def test_destroy_deletes_the_key_and_its_duplicate_without_crashing(aws, tmp_path):
    ctx, _log = aws
    stack = _stack(tmp_path, KEY, description="v1")
    _apply(ctx, stack)
    real = _aliased_key_arn()
    duplicate = _second_key_tagged_like("ident", "keys.messaging")
    result = make_destroy_plan(stack, ctx, RunOptions())
    entries = sorted((c.address, c.arn, c.action) for c in result.plan.changes)
    assert entries == sorted([("keys.messaging", real, Action.DELETE),
                              ("keys.messaging", duplicate, Action.DELETE)])
    report = apply_plan(stack, result, ctx, RunOptions(prune=True))
    assert report.failures == []
    kms = boto3.client("kms", region_name=REGION)
    for arn in (real, duplicate):
        assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_two_orphans_on_one_address_are_both_listed(aws, tmp_path):
    """A resource renamed once, then removed: both old names are orphans of one address."""
    ctx, _log = aws
    _apply(ctx, _v1(tmp_path))
    _apply(ctx, _v2(tmp_path))
    empty = load_stack(write_spec(tmp_path, "stack: ident\nregion: us-east-1\n"))
    result = _plan(ctx, empty, prune=True)
    assert sorted((c.address, c.name) for c in result.plan.changes if c.orphan) == [
        ("queues.jobs", "ident-jobs-v1"), ("queues.jobs", "ident-jobs-v2"),
        ("tables.docs", "ident-docs-v1"), ("tables.docs", "ident-docs-v2")]
    report = apply_plan(empty, result, ctx, RunOptions(prune=True))
    assert report.failures == []
    assert _tables() == [] and _queues() == []


# ---- item 7: summaries count what will really happen ----------------------------------------

def test_prune_counts_orphans_as_deletes_in_json_and_text(aws, tmp_path):
    ctx, _log = aws
    _apply(ctx, _v1(tmp_path))
    empty = load_stack(write_spec(tmp_path, "stack: ident\nregion: us-east-1\n"))
    kept = _plan(ctx, empty)
    assert kept.plan.summary()["delete"] == 0
    assert kept.plan.summary()["orphans_kept"] == 2
    pruned = _plan(ctx, empty, prune=True)
    summary = pruned.plan.to_json()["summary"]
    assert summary["delete"] == 2 and summary["orphans_kept"] == 0
    console = Console(record=True, width=200)
    render_plan(pruned.plan, console)
    assert "2 to delete" in console.export_text()
    console = Console(record=True, width=200)
    render_plan(kept.plan, console)
    text = console.export_text()
    assert "0 to delete" in text or "No changes" in text
    assert "2 orphans kept" in text


@pytest.mark.parametrize("prune", [False, True])
def test_plan_json_validates_with_orphans(aws, tmp_path, prune):
    ctx, _log = aws
    _apply(ctx, _v1(tmp_path))
    doc = _plan(ctx, _v2(tmp_path), prune=prune).plan.to_json()
    _plan_schema().validate(doc)
    assert doc["summary"]["delete"] == (2 if prune else 0)


# ---- the commands, through the real entry point in process ----------------------------------

@pytest.fixture
def quick_cli(monkeypatch):
    from awsprov.cli import context as cli_context
    from tests.helpers import FAST_WAITS

    real = cli_context.aws_context

    def quick(*args, **kwargs):
        ctx = real(*args, **kwargs)
        ctx.wait = FAST_WAITS
        return ctx

    monkeypatch.setattr(cli_context, "aws_context", quick)


def test_cli_rename_apply_verifies_clean_and_plan_json_lists_both(moto, quick_cli, capsys,
                                                                  tmp_path):
    from tests.helpers import run_cli

    spec = write_spec(tmp_path, QUEUE_AND_TABLE.format(table="ident-docs-v1",
                                                       queue="ident-jobs-v1"))
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    spec = write_spec(tmp_path, QUEUE_AND_TABLE.format(table="ident-docs-v2",
                                                       queue="ident-jobs-v2"))
    code, out, _err = run_cli(capsys, "plan", str(spec), "-o", "json", "--no-cost")
    doc = json.loads(out)
    _plan_schema().validate(doc)
    assert (doc["summary"]["create"], doc["summary"]["orphans_kept"]) == (2, 2)
    code, out, err = run_cli(capsys, "apply", str(spec), "--yes")
    assert code == 0, err
    assert sorted(_tables()) == ["ident-docs-v1", "ident-docs-v2"]
    code, out, _err = run_cli(capsys, "plan", str(spec), "--prune", "-o", "json", "--no-cost")
    assert (json.loads(out)["summary"]["delete"], json.loads(out)["summary"]["orphans_kept"]) \
        == (2, 0)
    saved = tmp_path / "pruning.plan"
    assert run_cli(capsys, "plan", str(spec), "--prune", "--out", str(saved), "--no-cost")[0] == 0
    code, out, err = run_cli(capsys, "apply", str(saved))
    assert code == 0, err
    assert _tables() == ["ident-docs-v2"] and _queues() == ["ident-jobs-v2"]
    assert run_cli(capsys, "verify", str(spec))[0] == 0


def test_cli_plan_verify_destroy_with_a_duplicate_key(moto, quick_cli, capsys, tmp_path):
    from tests.helpers import run_cli

    spec = write_spec(tmp_path, KEY.format(description="v1"))
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    real = _aliased_key_arn()
    duplicate = _second_key_tagged_like("ident", "keys.messaging")
    code, out, err = run_cli(capsys, "plan", str(spec), "--no-cost")
    assert code == 0, err
    assert "duplicate" in out and duplicate in out
    changed = write_spec(tmp_path, KEY.format(description="v2"), "changed.yaml")
    code, _out, err = run_cli(capsys, "apply", str(changed), "--yes")
    assert code == 0, err
    kms = boto3.client("kms", region_name=REGION)
    assert kms.describe_key(KeyId=real)["KeyMetadata"]["Description"] == "v2"
    code, out, _err = run_cli(capsys, "verify", str(changed), "-o", "json")
    assert code == 2
    report = json.loads(out)
    assert report["drift"] == []
    assert [f["rule"] for f in report["findings"]] == ["duplicate"]
    code, out, err = run_cli(capsys, "destroy", str(changed), "--yes")
    assert code == 0, err
    for arn in (real, duplicate):
        assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"
