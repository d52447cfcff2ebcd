"""Bucket behaviour beyond the lifecycle: AWS defaults as unset, the CreateBucket request,
policies by meaning, references not known yet, regions, errors, concurrent sub-reads."""

from __future__ import annotations

import dataclasses
import json
import time

import boto3
import jsonschema
import pytest
from botocore.stub import Stubber
from rich.console import Console

from awsprov.core.changes import KNOWN_AFTER_APPLY, Action
from awsprov.core.run import RunOptions
from awsprov.engine.planner import classify
from awsprov.errors import AwsprovError
from awsprov.render import text
from awsprov.resources import s3_bucket
from awsprov.resources.base import Desired
from awsprov.resources.s3_bucket import (
    TLS_SID,
    BucketDetails,
    BucketLive,
    Contents,
    ObjectCount,
    S3Bucket,
    writes,
)
from tests.helpers import emulator_gap
from tests.resources.bucket_harness import Harness

BUCKETS = S3Bucket()


@pytest.fixture
def aws_like_defaults(monkeypatch, create_bucket_tags):
    """New buckets as real AWS makes them since 2023: SSE-S3, the four public access
    blocks on, BucketOwnerEnforced (the emulator has none of the three), tagged by the
    CreateBucket call itself."""
    from moto.s3.models import PublicAccessBlock, S3Backend

    real = S3Backend.create_bucket

    def create_bucket(self, *args, **kwargs):
        bucket = real(self, *args, **kwargs)
        bucket.encryption = {"Rule": {"ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "AES256"}, "BucketKeyEnabled": "false"}}
        bucket.public_access_block = PublicAccessBlock("true", "true", "true", "true")
        bucket.ownership_rule = "BucketOwnerEnforced"
        return bucket

    monkeypatch.setattr(S3Backend, "create_bucket", create_bucket)


def test_an_empty_spec_on_aws_writes_nothing_beyond_create_and_tags(aws, aws_like_defaults,
                                                                    tmp_path):
    h = Harness(aws, tmp_path)
    h.log.clear()
    _, report = h.apply({"plain": {"name": "defaults-only", "enforce_tls": False}})
    assert report.failures == []
    # The one PutBucketTagging drops the awsprov:creating marker CreateBucket set.
    assert h.log.writes == ["CreateBucket", "PutBucketTagging"]


def test_an_empty_spec_adopts_an_aws_default_bucket_with_tags_only(aws, aws_like_defaults,
                                                                    tmp_path):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="hand-made-bucket")
    h = Harness(aws, tmp_path)
    change = h.plan({"found": {"name": "hand-made-bucket", "enforce_tls": False}}).plan.changes[0]
    assert change.action is Action.ADOPT
    assert {a.path for a in change.attributes} == {"tags.awsprov:stack", "tags.awsprov:address"}


def test_emulator_buckets_lacking_defaults_get_them(aws, tmp_path):
    h = Harness(aws, tmp_path)
    _, report = h.apply({"plain": {"name": "defaults-missing", "enforce_tls": False}})
    assert report.failures == []
    assert {"PutBucketEncryption", "PutPublicAccessBlock"} <= set(h.log.writes)
    # Ownership rides in CreateBucket itself (ObjectOwnership): no separate write.
    assert "PutBucketOwnershipControls" not in h.log.writes


@pytest.mark.parametrize(("fixture", "location"), [("aws", None), ("aws_london", "eu-west-2")])
def test_create_request_carries_tags_ownership_and_location(request, tmp_path, fixture,
                                                           location):
    ctx, _log = request.getfixturevalue(fixture)
    sent: dict = {}

    def capture(model=None, params=None, **_):
        if model is not None and model.name == "CreateBucket":
            sent.update(params)

    ctx.clients.on("before-call", capture)
    h = Harness((ctx, _log), tmp_path)
    h.converge({"data": {"name": f"create-{ctx.region}", "ownership": "ObjectWriter",
                         "object_lock": {"mode": "GOVERNANCE", "days": 1},
                         "tags": {"Team": "a"}}})
    body = sent["body"]
    text_body = body.decode() if isinstance(body, bytes) else str(body)
    assert "<Key>awsprov:stack</Key>" in text_body and "<Key>Team</Key>" in text_body
    assert ("LocationConstraint" in text_body) is (location is not None)
    assert sent["headers"]["x-amz-object-ownership"] == "ObjectWriter"
    assert sent["headers"]["x-amz-bucket-object-lock-enabled"].lower() == "true"


def test_policy_rewritten_by_aws_is_no_change(aws, tmp_path):
    h = Harness(aws, tmp_path)
    statement = {"Sid": "Read", "Effect": "Allow", "Principal": {"AWS": "123456789012"},
                 "Action": "s3:GetObject", "Resource": "arn:aws:s3:::meaning-bucket/*"}
    spec = {"data": {"name": "meaning-bucket", "policy": {"Statement": [statement]}}}
    h.converge(spec)
    s3 = boto3.client("s3", region_name="us-east-1")
    live = json.loads(s3.get_bucket_policy(Bucket="meaning-bucket")["Policy"])
    # What AWS hands back: statements reordered, account as root ARN, lists for singles.
    for s in live["Statement"]:
        if s["Sid"] == "Read":
            s["Principal"] = {"AWS": ["arn:aws:iam::123456789012:root"]}
            s["Action"] = ["S3:GetObject"]
    live["Statement"].reverse()
    s3.put_bucket_policy(Bucket="meaning-bucket", Policy=json.dumps(live))
    assert not h.plan(spec).plan.has_changes
    live["Statement"][0]["Effect"] = "Allow" if live["Statement"][0]["Effect"] == "Deny" \
        else "Deny"
    s3.put_bucket_policy(Bucket="meaning-bucket", Policy=json.dumps(live))
    assert [a.path for a in h.plan(spec).plan.changes[0].attributes] == ["policy"]


def test_tls_statement_is_merged_and_replaces_a_user_statement_of_the_same_sid():
    user = {"Statement": [{"Sid": TLS_SID, "Effect": "Allow", "Principal": "*",
                           "Action": "s3:GetObject", "Resource": "x"},
                          {"Sid": "Mine", "Effect": "Allow", "Principal": {"AWS": "1"},
                           "Action": "s3:GetObject", "Resource": "y"}]}
    state = BUCKETS.desired_state({"name": "merge-bucket", "policy": user})
    by_sid = {s["Sid"]: s for s in state["policy"]["Statement"]}
    assert set(by_sid) == {TLS_SID, "Mine"}
    assert by_sid[TLS_SID]["Effect"] == "Deny"
    assert by_sid[TLS_SID]["Resource"] == ["arn:aws:s3:::merge-bucket",
                                           "arn:aws:s3:::merge-bucket/*"]
    assert BUCKETS.desired_state({"name": "b", "enforce_tls": False})["policy"] is None


def test_a_kms_key_not_created_yet_shows_known_after_apply(aws, tmp_path):
    h = Harness(aws, tmp_path)
    stack = h.load({"data": {"name": "later-key"}})
    props = {"name": "later-key", "encryption": {"kms_key": KNOWN_AFTER_APPLY,
                                                 "bucket_key": True}}
    desired = Desired("buckets", "data", "later-key", props, BUCKETS.desired_state(props), {})
    change = classify(stack, BUCKETS, desired, None, RunOptions())
    console = Console(record=True, width=200)
    text.render_plan(_plan_of(change), console)
    shown = console.export_text()
    assert 'encryption.sse: "aws:kms"' in shown
    assert "encryption.kms_key: (known after apply)" in shown


def _plan_of(change):
    from awsprov.core.changes import Plan

    return Plan("life", None, "us-east-1", [change])


def test_schema_accepts_a_keys_reference_for_the_kms_key():
    encryption = S3Bucket.properties["encryption"]
    jsonschema.validate({"kms_key": "${keys.data}", "bucket_key": True}, encryption)
    jsonschema.validate({"kms_key": "${keys.data.arn}"}, encryption)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"kms_key": "alias/data"}, encryption)


def test_a_bucket_in_another_region_is_refused_not_moved(aws, tmp_path):
    boto3.client("s3", region_name="eu-west-2").create_bucket(
        Bucket="elsewhere-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    change = Harness(aws, tmp_path).plan({"data": {"name": "elsewhere-bucket"}}).plan.changes[0]
    assert change.action is Action.REFUSED
    assert "exists in eu-west-2, not in us-east-1" in change.reason


def test_orphans_are_looked_for_in_this_region_only(aws, aws_london, tmp_path):
    Harness(aws_london, tmp_path, stack="split").converge({"data": {"name": "london-only"}})
    plan = Harness(aws, tmp_path, stack="split").plan({}).plan
    assert [c.address for c in plan.changes] == []


def test_a_name_owned_by_another_account_is_a_clear_error():
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("head_bucket", service_error_code="403", http_status_code=403)
        with pytest.raises(AwsprovError, match="another AWS account owns that name"):
            s3_bucket.head_bucket(client, "taken-name")


def test_sub_reads_right_after_create_retry_no_such_bucket(aws, tmp_path, monkeypatch):
    h = Harness(aws, tmp_path)
    h.converge({"data": {"name": "lagging-bucket"}})
    real = s3_bucket.SUB_READS["cors"]
    failures = []

    def lagging(s3, name):
        if not failures:
            failures.append(name)
            s3.get_bucket_cors(Bucket="no-such-bucket-anywhere")  # raises NoSuchBucket
        return real(s3, name)

    monkeypatch.setitem(s3_bucket.SUB_READS, "cors", lagging)
    live = BUCKETS.read(h.ctx, "lagging-bucket")
    assert failures == ["lagging-bucket"] and live.state["cors"] is None


def test_one_bucket_s_sub_reads_run_concurrently(aws, tmp_path):
    h = Harness(aws, tmp_path)
    h.converge({"data": {"name": "concurrent-bucket"}})
    latency = 0.1
    h.ctx.clients.on("before-send", lambda **_: time.sleep(latency))
    start = time.perf_counter()
    BUCKETS.read(h.ctx, "concurrent-bucket")
    elapsed = time.perf_counter() - start
    # HeadBucket, then ten sub-reads side by side: about 2 latencies, never 11.
    assert elapsed < 5 * latency, elapsed


def test_lifecycle_min_object_size_is_sent_and_read_back(aws, tmp_path):
    ctx, _log = aws
    sent: list = []
    ctx.clients.on("provide-client-params.s3.PutBucketLifecycleConfiguration",
                   lambda params=None, **_: sent.append(dict(params)))
    h = Harness(aws, tmp_path)
    h.apply({"data": {"name": "min-size", "lifecycle_min_object_size": "varies_by_storage_class",
                      "lifecycle": [{"id": "x", "expiration_days": 3}]}})
    assert sent[0]["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    answers = {key: None for key in s3_bucket.SUB_READS}
    answers.update(tags={}, lifecycle={"Rules": [{"ID": "x", "Status": "Enabled", "Filter": {
        "Prefix": ""}, "Expiration": {"Days": 3}}], "TransitionDefaultMinimumObjectSize":
        "varies_by_storage_class"})
    live = s3_bucket.live_of("min-size", "us-east-1", "us-east-1", answers)
    assert live.state["lifecycle_min_object_size"] == "varies_by_storage_class"


@pytest.mark.xfail(strict=True, reason=emulator_gap("buckets.lifecycle_min_object_size"))
def test_lifecycle_min_object_size_converges_on_the_emulator(aws, tmp_path):
    Harness(aws, tmp_path).converge({"data": {
        "name": "min-size-moto", "lifecycle_min_object_size": "varies_by_storage_class",
        "lifecycle": [{"id": "x", "expiration_days": 3}]}})


@pytest.mark.parametrize(("name", "ok"), [
    ("my-bucket.logs", True), ("a" * 63, True), ("app-${account_id}", True),
    ("My-bucket", False), ("a" * 64, False), ("10.0.0.1", False), ("sthree-x", False),
    ("amzn-s3-demo-x", False), ("x.mrap", False), ("x--x-s3", False), ("x--table-s3", False),
    (".dot-first", False), ("under_score", False)])
def test_bucket_naming_rules(name, ok):
    assert (s3_bucket.name_problems(name) == []) is ok


def test_exported_bucket_adopts_with_only_tag_changes(aws, tmp_path):
    import yaml

    from awsprov.engine.export import export_resources

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="hand-made-export")
    # What AWS gives every bucket (the emulator does not): default SSE-S3.
    s3.put_bucket_encryption(Bucket="hand-made-export", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_versioning(Bucket="hand-made-export",
                             VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_lifecycle_configuration(Bucket="hand-made-export", LifecycleConfiguration={
        "Rules": [{"ID": "old", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
                   "Expiration": {"Days": 30}}]})
    s3.put_bucket_tagging(Bucket="hand-made-export",
                          Tagging={"TagSet": [{"Key": "Owner", "Value": "ops"}]})
    ctx, _log = aws
    document = export_resources(ctx, "buckets", ["hand-made-export"])
    exported = document["buckets"]["hand_made_export"]
    assert exported["versioning"] is True and exported["enforce_tls"] is False
    assert exported["public_access_block"] is False  # the emulator made it without one
    assert exported["lifecycle"] == [{"id": "old", "prefix": "logs/", "expiration_days": 30}]
    spec = tmp_path / "exported.yaml"
    spec.write_text(yaml.safe_dump({**document, "stack": "adopted"}))
    from awsprov.spec.loader import load_stack

    [change] = make_plan_for(load_stack(spec), ctx).plan.changes
    assert change.action is Action.ADOPT
    assert {a.path for a in change.attributes} == {"tags.awsprov:stack", "tags.awsprov:address"}


def _hand_written_tls_deny(bucket: str, sid: str = "DenyPlainHttp") -> dict:
    """A non-TLS deny as people write it by hand: another Sid, Principal {"AWS": "*"},
    the bucket and its objects, the condition value a boolean."""
    arn = f"arn:aws:s3:::{bucket}"
    return {"Sid": sid, "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
            "Resource": [f"{arn}/*", arn], "Condition": {"Bool": {"aws:SecureTransport": False}}}


def test_an_exported_bucket_whose_policy_already_denies_plain_http_plans_only_tags(
        aws, tmp_path, monkeypatch):
    import yaml

    from awsprov.core.run import RunOptions
    from awsprov.engine.executor import apply_plan
    from awsprov.engine.export import export_resources
    from awsprov.spec.loader import load_stack

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="hand-tls-export")
    s3.put_bucket_encryption(Bucket="hand-tls-export", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    reader = {"Sid": "AuditRead", "Effect": "Allow",
              "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
              "Action": "s3:GetObject", "Resource": "arn:aws:s3:::hand-tls-export/*"}
    s3.put_bucket_policy(Bucket="hand-tls-export", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [reader, _hand_written_tls_deny("hand-tls-export")]}))
    ctx, log = aws
    document = export_resources(ctx, "buckets", ["hand-tls-export"])
    exported = document["buckets"]["hand_tls_export"]
    assert "enforce_tls" not in exported  # the hand-written deny is TLS enforced
    spec = tmp_path / "exported.yaml"
    spec.write_text(yaml.safe_dump({**document, "stack": "adopted"}))
    [change] = make_plan_for(load_stack(spec), ctx).plan.changes
    assert change.action is Action.ADOPT
    assert {a.path for a in change.attributes} == {"tags.awsprov:stack", "tags.awsprov:address"}
    log.clear()
    stack = load_stack(spec)
    report = apply_plan(stack, make_plan_for(stack, ctx), ctx, RunOptions())
    assert report.failures == []
    assert "PutBucketPolicy" not in log.operations
    statements = json.loads(s3.get_bucket_policy(Bucket="hand-tls-export")["Policy"])
    assert [s["Sid"] for s in statements["Statement"]] == ["AuditRead", "DenyPlainHttp"]


@pytest.mark.parametrize(("change", "equivalent"), [
    ({}, True),
    ({"Principal": "*"}, True),
    ({"Action": ["s3:*"], "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}, True),
    ({"Action": "*"}, True),
    ({"Resource": "arn:aws:s3:::b*"}, True),
    ({"Resource": "*"}, True),
    ({"Condition": {"Bool": {"aws:securetransport": "false"}}}, True),
    ({"Resource": "arn:aws:s3:::b/*"}, False),      # the bucket itself left out
    ({"Action": "s3:GetObject"}, False),            # not every action
    ({"Principal": {"AWS": "arn:aws:iam::123456789012:root"}}, False),  # not everyone
    ({"Effect": "Allow"}, False),
    ({"Condition": {"Bool": {"aws:SecureTransport": "false"},
                    "StringEquals": {"aws:SourceVpce": "vpce-1"}}}, False),  # narrower
    ({"Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}}, False),
])
def test_enforce_tls_recognises_an_equivalent_statement_whatever_its_sid(change, equivalent):
    statement = {**_hand_written_tls_deny("b"), **change}
    state = BUCKETS.desired_state({"name": "b", "policy": {"Statement": [statement]}})
    sids = [s.get("Sid") for s in state["policy"]["Statement"]]
    assert sids == (["DenyPlainHttp"] if equivalent else ["DenyPlainHttp", TLS_SID])


def make_plan_for(stack, ctx):
    from awsprov.engine.planner import make_plan

    return make_plan(stack, ctx, RunOptions())


def test_iam_policy_scopes_bucket_actions_to_the_spec_buckets(capsys):
    from tests.helpers import run_cli

    code, out, _ = run_cli(capsys, "iam-policy", "specs/p2p-automation.yaml")
    assert code == 0
    [statement] = [s for s in json.loads(out)["Statement"] if s["Sid"] == "AwsprovBuckets"]
    bucket = "arn:aws:s3:::p2p-payment-xml-storage-20250721-005155-6839"
    assert statement["Resource"] == [bucket, f"{bucket}/*"]
    assert {"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteObjectVersion"} <= set(
        statement["Action"])


def test_ignore_changes_leaves_live_alone_once_the_bucket_exists(aws, tmp_path):
    h = Harness(aws, tmp_path)
    spec = {"data": {"name": "ignored-bucket", "ignore_changes": ["lifecycle", "enforce_tls"],
                     "lifecycle": [{"id": "a", "expiration_days": 5}]}}
    h.converge(spec)
    s3 = boto3.client("s3", region_name="us-east-1")
    # Set at create all the same, as Terraform does.
    assert s3.get_bucket_lifecycle_configuration(Bucket="ignored-bucket")["Rules"][0]["ID"] == "a"
    assert _sids_of(s3, "ignored-bucket") == {TLS_SID}
    s3.delete_bucket_lifecycle(Bucket="ignored-bucket")
    s3.delete_bucket_policy(Bucket="ignored-bucket")
    assert not h.plan(spec).plan.has_changes


def _sids_of(s3, name: str) -> set:
    return {s.get("Sid") for s in json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])[
        "Statement"]}


def test_verify_baseline_names_bucket_rules(moto, tmp_path, capsys):
    from tests.helpers import run_cli, write_spec

    spec = write_spec(tmp_path, "stack: base\nregion: us-east-1\nbuckets:\n  open:\n"
                                "    name: baseline-bucket\n    enforce_tls: false\n")
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    code, out, _ = run_cli(capsys, "verify", str(spec), "--baseline")
    assert code == 2
    assert "[bucket-tls]" in out and "[bucket-versioning]" in out
    assert "[bucket-access-logging]" in out


def test_plan_marks_enabling_versioning_irreversible(moto, tmp_path, capsys):
    from tests.helpers import run_cli, write_spec

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="mark-bucket")
    spec = write_spec(tmp_path, "stack: mark\nregion: us-east-1\nbuckets:\n  data:\n"
                                "    name: mark-bucket\n    versioning: true\n")
    code, out, _ = run_cli(capsys, "plan", str(spec))
    assert code == 0
    assert "versioning: false → true # ! irreversible" in " ".join(out.split())
    assert "--allow-irreversible" in " ".join(out.split())


def test_lifecycle_cost_traps_are_warnings_with_file_and_line(tmp_path, capsys, monkeypatch):
    from tests.helpers import forbid_aws_clients, run_cli, write_spec

    spec = write_spec(tmp_path, """
stack: warn
region: us-east-1
buckets:
  a:
    name: warn-bucket
    lifecycle:
      - id: short-glacier
        transitions: [{days: 30, storage_class: GLACIER}]
        expiration_days: 60
      - id: noncurrent
        noncurrent_expiration_days: 30
""")
    forbid_aws_clients(monkeypatch)
    code, _out, err = run_cli(capsys, "validate", str(spec))
    assert code == 0
    err = " ".join(err.split())
    assert f"{spec}:9: buckets.a.lifecycle[0].expiration_days: objects expire 30 days after " \
           f"moving to GLACIER, which bills at least 90 days" in err
    assert f"{spec}:10: buckets.a.lifecycle[1]: lifecycle rule 'noncurrent' acts on " \
           f"noncurrent versions of an unversioned bucket" in err


def test_a_logging_target_outside_the_stack_must_exist_at_apply(aws, tmp_path):
    h = Harness(aws, tmp_path)
    _result, report = h.apply({"data": {"name": "logs-nowhere", "logging": {
        "target_bucket": "no-such-log-target"}}})
    assert "logging target bucket 'no-such-log-target' does not exist" in \
        report.failures[0].message


def test_create_falls_back_without_tags_where_create_tags_are_refused(aws, tmp_path,
                                                                      monkeypatch):
    from botocore.exceptions import ClientError

    real = writes._send_create
    sent: list[bool] = []

    def refuse_tags(aws_ctx, s3, request):
        sent.append("Tags" in request["CreateBucketConfiguration"])
        if "Tags" in request["CreateBucketConfiguration"]:
            raise ClientError({"Error": {"Code": "InvalidArgument"}}, "CreateBucket")
        return real(aws_ctx, s3, request)

    monkeypatch.setattr(writes, "_send_create", refuse_tags)
    Harness(aws, tmp_path).converge({"data": {"name": "no-create-tags"}})
    assert sent == [True, False]
    tags = {t["Key"] for t in boto3.client("s3", region_name="us-east-1").get_bucket_tagging(
        Bucket="no-create-tags")["TagSet"]}
    assert tags == {"awsprov:stack", "awsprov:address"}


# ---- the typed live shape ------------------------------------------------------------------

def _listed_bucket(listed: list, count: ObjectCount) -> BucketLive:
    def lister():
        listed.append(1)
        return count
    return BucketLive(name="b", arn="arn:aws:s3:::b", state={}, tags={},
                      details=BucketDetails(region="us-east-1", stack_region="us-east-1",
                                            contents=Contents(lister)))


def test_a_copy_of_a_live_bucket_keeps_its_object_count_and_lists_nothing():
    listed: list = []
    count = ObjectCount(1, 2, 0, 5, complete=True)
    live = _listed_bucket(listed, count)
    copy = dataclasses.replace(live, tags={"team": "data"})
    assert listed == []  # neither making the live bucket nor copying it lists objects
    assert copy.object_count() == count and copy.data_at_risk == str(count)
    assert live.object_count() is copy.object_count() and live.data_at_risk == str(count)
    assert listed == [1]  # one listing, shared by the copy
    assert copy.tags == {"team": "data"} and copy.details is live.details


def test_a_copy_of_a_read_bucket_still_refuses_its_delete(aws, tmp_path):
    h = Harness(aws, tmp_path)
    h.converge({"data": {"name": "copied-bucket", "enforce_tls": False}})
    boto3.client("s3", region_name="us-east-1").put_object(Bucket="copied-bucket", Key="k",
                                                           Body=b"123")
    _ctx, log = aws
    live = BUCKETS.read(h.ctx, "copied-bucket")
    copy = dataclasses.replace(live, tags={})
    before = log.count()["ListObjectVersions"]
    how = BUCKETS.deletion(copy, {"name": "copied-bucket"})
    assert how.refusal and "bucket holds 1 object" in how.refusal
    assert copy.data_at_risk == live.data_at_risk == str(live.object_count())
    assert log.count()["ListObjectVersions"] == before + 1  # listed once, for both


def test_a_data_at_risk_is_never_written_over():
    live = _listed_bucket([], ObjectCount(0, 0, 0, 0, complete=True))
    with pytest.raises(AttributeError):
        live.data_at_risk = "nothing"


def test_an_update_keeping_the_rule_ids_waits_for_the_new_rules(aws, tmp_path, monkeypatch):
    """S3: "there might be some lag before a new or updated Lifecycle configuration is
    fully propagated": a read may still answer the old rules, under the same ids. The
    wait compares the rules, not their ids, so apply ends with the new ones showing."""
    from awsprov.resources.s3_bucket import api, writes

    h = Harness(aws, tmp_path)
    bucket = {"name": "lag-rules", "lifecycle": [{"id": "x", "expiration_days": 30}]}
    h.converge({"data": bucket})
    real, served = api.read_lifecycle, []
    stale = real(h.ctx.client("s3"), "lag-rules")  # what a lagging replica still answers

    def lagging(s3, name):
        if len(served) < 3:  # the first reads after the write: the old rules
            served.append("old")
            return stale
        return real(s3, name)

    monkeypatch.setattr(writes.api, "read_lifecycle", lagging)
    h.apply({"data": {**bucket, "lifecycle": [{"id": "x", "expiration_days": 60}]}})
    assert served == ["old", "old", "old"]  # polled past the stale answers
    monkeypatch.setattr(writes.api, "read_lifecycle", real)
    assert not h.plan({"data": {**bucket, "lifecycle": [{"id": "x", "expiration_days": 60}]}}
                      ).plan.has_changes
