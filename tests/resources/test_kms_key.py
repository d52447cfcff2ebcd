"""KMS keys against in-process moto: create, no-op, every update, drift, delete, restore."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_destroy_plan, make_plan
from awsprov.resources import policy as policies
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec

BASE = """
stack: vault
region: us-east-1
tags: {Team: security}
keys:
  data:
    alias: alias/vault-data
    description: data key
    tags: {Purpose: data}
"""

CHANGED = """
stack: vault
region: us-east-1
tags: {Team: security}
keys:
  data:
    alias: alias/vault-data
    description: data key, v2
    rotation: false
    enabled: false
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: Root
          Effect: Allow
          Principal: {AWS: "arn:aws:iam::${account_id}:root"}
          Action: "kms:*"
          Resource: "*"
        - Sid: Auditors
          Effect: Allow
          Principal: {AWS: "arn:aws:iam::${account_id}:role/auditor"}
          Action: [kms:DescribeKey, kms:GetKeyPolicy]
          Resource: "*"
    tags: {Purpose: data-v2}
"""


def _plan(ctx, path, **options):
    stack = load_stack(path)
    return stack, make_plan(stack, ctx, RunOptions(**options))


def _apply(ctx, path, **options):
    stack, result = _plan(ctx, path, **options)
    report = apply_plan(stack, result, ctx, RunOptions(**options))
    assert report.failures == []
    return result


def _changes(result):
    return {c.address: c for c in result.plan.changes if c.is_change}


def _assert_converged(ctx, log, path):
    log.clear()
    _stack, result = _plan(ctx, path)
    assert _changes(result) == {}
    assert log.writes == []
    return result


def _key_id(alias="alias/vault-data"):
    return boto3.client("kms", region_name="us-east-1").describe_key(
        KeyId=alias)["KeyMetadata"]["KeyId"]


def test_create_tags_in_create_key_then_no_op(aws, tmp_path):
    ctx, log = aws
    path = write_spec(tmp_path, BASE)
    result = _apply(ctx, path)
    assert _changes(result)["keys.data"].action is Action.CREATE
    assert log.writes[:2] == ["CreateKey", "CreateAlias"]
    kms = boto3.client("kms", region_name="us-east-1")
    key_id = _key_id()
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
    # The creation marker finds the key of a CreateKey whose answer was lost (a marker:
    # never diffed, never shown as a user's tag).
    assert len(tags.pop("awsprov:creation")) == 24
    assert tags == {"Team": "security", "Purpose": "data", "awsprov:stack": "vault",
                    "awsprov:address": "keys.data"}
    assert "TagResource" not in log.writes  # tagged in CreateKey itself
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    converged = _assert_converged(ctx, log, path)
    assert len(log.operations) <= 6, log.operations  # the no-op plan stays cheap
    assert converged.plan.summary()["unchanged"] == 1


def test_every_update_then_drift_is_reverted(aws, tmp_path):
    ctx, log = aws
    path = write_spec(tmp_path, BASE)
    _apply(ctx, path)
    key_id = _key_id()
    changed = write_spec(tmp_path, CHANGED, "changed.yaml")
    _stack, result = _plan(ctx, changed)
    paths = {a.path for a in _changes(result)["keys.data"].attributes}
    assert {"description", "rotation", "rotation_period_days", "enabled", "policy",
            "tags.Purpose"} <= paths
    log.clear()
    _apply(ctx, changed)
    writes = log.writes
    # Rotation and every other change before DisableKey: AWS refuses to modify a
    # disabled key's rotation.
    assert writes[-1] == "DisableKey"
    assert writes.index("DisableKeyRotation") < writes.index("DisableKey")
    kms = boto3.client("kms", region_name="us-east-1")
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (meta["Description"], meta["KeyState"]) == ("data key, v2", "Disabled")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    assert _assert_converged(ctx, log, changed)

    # back to BASE: EnableKey first, then the rest (rotation needs an enabled key)
    log.clear()
    _apply(ctx, path)
    assert log.writes[0] == "EnableKey"
    assert log.writes.index("EnableKeyRotation") > 0
    _assert_converged(ctx, log, path)

    # behind awsprov's back: rotation off, policy edited, description changed
    kms.disable_key_rotation(KeyId=key_id)
    edited = policies.with_statements(
        json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]),
        [{"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
          "Resource": "*"}])
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(edited))
    kms.update_key_description(KeyId=key_id, Description="edited by hand")
    code, out, _err = run_cli_plan(path)
    assert code == 2
    assert "rotation: false → true" in out
    assert "policy:" in out and "description" in out
    code, out, _err = _run_cli_plain("verify", str(path), "--output", "json")
    assert code == 2
    drifted = {a["path"] for d in json.loads(out)["drift"] for a in d["attributes"]}
    assert {"rotation", "rotation_period_days", "policy", "description"} <= drifted
    _apply(ctx, path)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    live_policy = kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
    assert "Everyone" not in live_policy
    _assert_converged(ctx, log, path)
    assert _key_id() == key_id  # never a second key


def run_cli_plan(path, *extra):
    return _run_cli_plain("plan", str(path), "--detailed-exitcode", *extra)


def _run_cli_plain(*argv):
    """The real entry point in process (moto intercepts its calls), output captured."""
    import contextlib
    import io

    from awsprov.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
    return code, out.getvalue(), err.getvalue()


def test_policy_compared_by_meaning_and_default_policy_is_no_change(aws, tmp_path):
    ctx, log = aws
    path = write_spec(tmp_path, BASE)
    _apply(ctx, path)
    # The default policy, spelled differently: account id instead of the root ARN, a
    # one-item list for Action, another Id.
    spelled = BASE + """    policy:
      Id: mine
      Statement:
        Sid: Enable IAM User Permissions
        Effect: Allow
        Principal: {AWS: ["${account_id}"]}
        Action: ["kms:*"]
        Resource: ["*"]
"""
    _assert_converged(ctx, log, write_spec(tmp_path, spelled, "spelled.yaml"))


def test_delete_removes_alias_first_then_schedules_deletion(aws, tmp_path):
    ctx, log = aws
    path = write_spec(tmp_path, BASE.replace("tags: {Purpose: data}",
                                             "deletion_window_days: 7"))
    _apply(ctx, path)
    key_id = _key_id()
    stack = load_stack(path)
    result = make_destroy_plan(stack, ctx, RunOptions())
    assert _changes(result)["keys.data"].action is Action.DELETE
    assert "unreadable" in _changes(result)["keys.data"].data_at_risk
    log.clear()
    report = apply_plan(stack, result, ctx, RunOptions(prune=True))
    assert report.failures == []
    assert log.writes == ["DeleteAlias", "ScheduleKeyDeletion"]
    kms = boto3.client("kms", region_name="us-east-1")
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    days = (meta["DeletionDate"] - meta["CreationDate"]).days
    assert 6 <= days <= 7  # the spec's deletion_window_days, not the default 30
    assert kms.list_aliases(KeyId=key_id)["Aliases"] == []
    # destroy again: nothing to do (a pending key is not an orphan, not re-deleted)
    again = make_destroy_plan(stack, ctx, RunOptions())
    assert again.plan.has_changes is False


def test_removed_then_restored_keeps_the_same_key(aws, tmp_path):
    ctx, log = aws
    path = write_spec(tmp_path, BASE)
    _apply(ctx, path)
    key_id = _key_id()
    empty = write_spec(tmp_path, "stack: vault\nregion: us-east-1\n", "empty.yaml")
    _stack, orphaned = _plan(ctx, empty)
    orphan = next(c for c in orphaned.plan.changes if c.orphan)
    assert (orphan.action, orphan.address, orphan.name) == (Action.DELETE, "keys.data",
                                                            "alias/vault-data")
    _apply(ctx, empty, prune=True)
    kms = boto3.client("kms", region_name="us-east-1")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"

    _stack, back = _plan(ctx, path)
    change = _changes(back)["keys.data"]
    assert change.action is Action.RESTORE
    log.clear()
    _apply(ctx, path)
    assert log.writes[:3] == ["CancelKeyDeletion", "EnableKey", "CreateAlias"]
    assert "CreateKey" not in log.writes
    assert _key_id() == key_id
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    _assert_converged(ctx, log, path)


def test_key_spec_change_is_refused_with_reason_in_text_and_json(aws, tmp_path):
    ctx, log = aws
    path = write_spec(tmp_path, BASE)
    _apply(ctx, path)
    signing = write_spec(tmp_path, BASE.replace(
        "description: data key", "description: data key\n    key_spec: RSA_2048\n"
                                 "    key_usage: SIGN_VERIFY\n    rotation: false"), "rsa.yaml")
    log.clear()
    code, out, _err = _run_cli_plain("plan", str(signing))
    assert code == 0
    assert "keys.data (refused)" in out
    assert "key_spec" in out and "re-encrypt" in out and "unreadable" in out
    code, out, _err = _run_cli_plain("plan", str(signing), "--output", "json")
    doc = json.loads(out)
    change = next(c for c in doc["changes"] if c["address"] == "keys.data")
    assert change["action"] == "refused"
    assert "key_spec (SYMMETRIC_DEFAULT → RSA_2048)" in change["reason"]
    assert doc["summary"]["refused"] == 1 and doc["summary"]["replace"] == 0
    code, _out, err = _run_cli_plain("apply", str(signing), "--yes")
    assert code == 1
    assert "key_spec" in err
    assert log.writes == []
    assert _key_id()  # the key is still there


def test_alias_rename_keeps_the_key(aws, tmp_path):
    ctx, log = aws
    path = write_spec(tmp_path, BASE)
    _apply(ctx, path)
    key_id = _key_id()
    renamed = write_spec(tmp_path, BASE.replace("alias/vault-data", "alias/vault-main"),
                         "renamed.yaml")
    _stack, result = _plan(ctx, renamed)
    change = _changes(result)["keys.data"]
    assert change.action is Action.UPDATE
    assert any("alias/vault-data is deleted" in w for w in change.warnings)
    _apply(ctx, renamed)
    assert _key_id("alias/vault-main") == key_id
    kms = boto3.client("kms", region_name="us-east-1")
    assert [a["AliasName"] for a in kms.list_aliases(KeyId=key_id)["Aliases"]] == [
        "alias/vault-main"]
    _assert_converged(ctx, log, renamed)


def test_rotation_change_on_a_key_that_stays_disabled_is_refused(aws, tmp_path):
    ctx, _log = aws
    disabled = BASE.replace("tags: {Purpose: data}", "enabled: false")
    _apply(ctx, write_spec(tmp_path, disabled))
    no_rotation = write_spec(tmp_path, disabled.replace("enabled: false",
                                                        "enabled: false\n    rotation: false"),
                             "norot.yaml")
    _stack, result = _plan(ctx, no_rotation)
    change = _changes(result)["keys.data"]
    assert change.action is Action.REFUSED
    assert "disabled" in change.reason


def test_table_encrypted_with_a_key_reference_plans_known_after_apply(aws, tmp_path):
    ctx, log = aws
    spec = BASE + """tables:
  docs:
    name: vault-docs
    hash_key: id
    attributes: {id: S}
    encryption: ${keys.data}
  notes:
    name: vault-notes
    hash_key: id
    attributes: {id: S}
    encryption: ${keys.data.alias}
"""
    path = write_spec(tmp_path, spec)
    _stack, result = _plan(ctx, path)
    docs = _changes(result)["tables.docs"]
    encryption = next(a for a in docs.attributes if a.path == "encryption")
    assert repr(encryption.after) == "(known after apply)"
    assert result.order[0] == ["keys.data"]  # the key first
    _apply(ctx, path)
    arn = boto3.client("kms", region_name="us-east-1").describe_key(
        KeyId="alias/vault-data")["KeyMetadata"]["Arn"]
    sse = boto3.client("dynamodb", region_name="us-east-1").describe_table(
        TableName="vault-docs")["Table"]["SSEDescription"]
    assert sse["KMSMasterKeyArn"] == arn
    _assert_converged(ctx, log, path)


@pytest.mark.parametrize("attribute", ["id", "alias", "arn", "name"])
def test_key_reference_attributes_resolve(aws, tmp_path, attribute):
    ctx, _log = aws
    spec = BASE + f"""tables:
  docs:
    name: vault-docs
    hash_key: id
    attributes: {{id: S}}
    tags: {{Key: "${{keys.data.{attribute}}}"}}
"""
    path = write_spec(tmp_path, spec)
    _apply(ctx, path)
    meta = boto3.client("kms", region_name="us-east-1").describe_key(
        KeyId="alias/vault-data")["KeyMetadata"]
    expected = {"id": meta["KeyId"], "arn": meta["Arn"], "alias": "alias/vault-data",
                "name": "alias/vault-data"}[attribute]
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    arn = ddb.describe_table(TableName="vault-docs")["Table"]["TableArn"]
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]}
    assert tags["Key"] == expected


def test_create_alias_is_retried_while_the_new_key_is_not_visible(aws, tmp_path):
    from botocore.exceptions import ClientError

    ctx, log = aws
    refusals = []

    def not_yet(**_):
        if len(refusals) < 2:
            refusals.append(1)
            raise ClientError({"Error": {"Code": "NotFoundException",
                                         "Message": "Key not found"}}, "CreateAlias")

    answers = Counter()

    def answered(http_response=None, parsed=None, **_):
        code = (parsed or {}).get("Error", {}).get("Code")
        answers["accepted" if http_response.status_code < 300 else code] += 1

    ctx.clients.on("before-call.kms.CreateAlias", not_yet)
    ctx.clients.on("after-call.kms.CreateAlias", answered)
    _apply(ctx, write_spec(tmp_path, BASE))
    # botocore runs the specific hook before CallLog's: only the calls after these two are
    # logged. Under the realism layer KMS itself may still answer NotFoundException for a
    # moment (the key's eventual consistency): those are logged too, and nothing else is.
    assert len(refusals) == 2 and answers["accepted"] == 1
    assert log.count()["CreateAlias"] == 1 + answers["NotFoundException"]
    assert set(answers) <= {"accepted", "NotFoundException"}
    assert log.count()["CreateKey"] == 1
    assert _key_id()


# ---- the property table and the typed live shape ------------------------------------------

ACCOUNT_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _rsa_live(**state):
    from awsprov.resources.base import Live
    from awsprov.resources.kms_key import KeyDetails, default_policy

    return Live("alias/signing", ACCOUNT_ARN, {
        "alias": "alias/signing", "key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT",
        "description": "", "enabled": True, "rotation": False, "rotation_period_days": None,
        "policy": policies.canonical(default_policy("123456789012")), **state},
        {"Owner": "ops", "awsprov:stack": "vault"}, attributes={"id": "1234abcd"},
        details=KeyDetails("1234abcd"))


def test_the_key_table_gives_kinds_and_keeps_the_deletion_window_out_of_state():
    from awsprov.core.changes import FieldKind
    from awsprov.resources.kms_key import KmsKey

    assert KmsKey.fields == {"key_spec": FieldKind.REFUSE, "key_usage": FieldKind.REFUSE}
    assert KmsKey.sensitive_fields == frozenset()
    state = KmsKey().desired_state({"alias": "alias/a", "deletion_window_days": 7})
    assert list(state) == ["alias", "key_spec", "key_usage", "description", "enabled",
                           "rotation", "rotation_period_days", "policy"]
    assert state["rotation"] is True and state["rotation_period_days"] == 365
    hmac = KmsKey().desired_state({"alias": "alias/m", "key_spec": "HMAC_256"})
    assert hmac["key_usage"] == "GENERATE_VERIFY_MAC" and hmac["rotation"] is False
    assert hmac["rotation_period_days"] is None


def test_export_leaves_out_what_the_key_spec_and_account_imply():
    from awsprov.resources.kms_key import KmsKey

    assert KmsKey().export(_rsa_live()) == {"alias": "alias/signing", "key_spec": "RSA_2048",
                                           "tags": {"Owner": "ops"}}
    exported = KmsKey().export(_rsa_live(key_usage="SIGN_VERIFY", enabled=False,
                                         description="signs"))
    assert exported == {"alias": "alias/signing", "description": "signs",
                        "key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY", "enabled": False,
                        "tags": {"Owner": "ops"}}


def test_the_key_id_survives_a_copy_of_the_live_key():
    import dataclasses

    from awsprov.resources.kms_key import KmsKey

    copy = dataclasses.replace(_rsa_live(), state={"alias": None})
    assert copy.details.key_id == "1234abcd"
    assert "1234abcd" in KmsKey().identifiers(copy)
