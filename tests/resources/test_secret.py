"""Secrets against in-process moto: create, no-op, every update, drift, delete, restore."""

from __future__ import annotations

import boto3
import pytest

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_destroy_plan, make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import wait_for_tag_index, write_spec

SPEC = """
stack: vault
region: us-east-1
tags: {Team: security}
keys:
  main:
    alias: alias/vault-main
  other:
    alias: alias/vault-other
secrets:
  api:
    name: vault/api
    description: API credentials
    kms_key: ${keys.main}
    value: {from_env: VAULT_API}
    tags: {Kind: api}
  cert:
    name: vault/cert
    value: {from_file: files/cert.pem}
  jwt:
    name: vault/jwt
    value: {generate: {length: 40, exclude_punctuation: true}}
  slot:
    name: vault/slot
"""


@pytest.fixture
def spec(tmp_path, monkeypatch):
    monkeypatch.setenv("VAULT_API", "api-value-1")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "cert.pem").write_text("-----BEGIN CERT-----\nabc\n")
    return tmp_path


def _apply(ctx, path, **options):
    stack = load_stack(path)
    result = make_plan(stack, ctx, RunOptions(**options))
    report = apply_plan(stack, result, ctx, RunOptions(**options))
    assert report.failures == []
    return result


def _changes(ctx, path):
    result = make_plan(load_stack(path), ctx, RunOptions())
    return {c.address: c for c in result.plan.changes if c.is_change}


def _assert_converged(ctx, log, path):
    log.clear()
    assert _changes(ctx, path) == {}
    assert log.writes == []


def _sm():
    return boto3.client("secretsmanager", region_name="us-east-1")


def _value(name):
    return _sm().get_secret_value(SecretId=name)["SecretString"]


def test_create_each_value_source_then_no_op(aws, spec):
    ctx, log = aws
    path = write_spec(spec, SPEC)
    result = _apply(ctx, path)
    created = {c.address: c for c in result.plan.changes}
    value = next(a for a in created["secrets.api"].attributes if a.path == "value")
    assert value.sensitive
    assert _value("vault/api") == "api-value-1"
    assert _value("vault/cert") == "-----BEGIN CERT-----\nabc\n"  # relative to the spec
    jwt = _value("vault/jwt")
    assert len(jwt) == 40 and jwt.isalnum()
    with pytest.raises(_sm().exceptions.ResourceNotFoundException):
        _sm().get_secret_value(SecretId="vault/slot")  # created empty
    described = _sm().describe_secret(SecretId="vault/api")
    main_arn = boto3.client("kms", region_name="us-east-1").describe_key(
        KeyId="alias/vault-main")["KeyMetadata"]["Arn"]
    assert described["KmsKeyId"] == main_arn
    tags = {t["Key"]: t["Value"] for t in described["Tags"]}
    assert tags == {"Team": "security", "Kind": "api", "awsprov:stack": "vault",
                    "awsprov:address": "secrets.api"}
    jwt_tags = {t["Key"] for t in _sm().describe_secret(SecretId="vault/jwt")["Tags"]}
    assert "awsprov:generated" in jwt_tags
    assert log.count()["GetRandomPassword"] == 1
    assert "TagResource" not in log.writes  # tags in CreateSecret itself
    _assert_converged(ctx, log, path)
    assert _value("vault/jwt") == jwt  # generated once


def test_updates_then_drift_reverted_and_value_written_only_when_different(aws, spec,
                                                                          monkeypatch):
    ctx, log = aws
    path = write_spec(spec, SPEC)
    _apply(ctx, path)
    api_arn = _sm().describe_secret(SecretId="vault/api")["ARN"]
    changed = write_spec(spec, SPEC.replace("description: API credentials",
                                            "description: API credentials v2")
                         .replace("kms_key: ${keys.main}", "kms_key: ${keys.other.alias}")
                         .replace("{Kind: api}", "{Kind: api2}"), "changed.yaml")
    monkeypatch.setenv("VAULT_API", "api-value-2")
    change = _changes(ctx, changed)["secrets.api"]
    assert {a.path for a in change.attributes} == {"description", "kms_key", "value",
                                                   "tags.Kind"}
    value = next(a for a in change.attributes if a.path == "value")
    assert value.sensitive
    log.clear()
    _apply(ctx, changed)
    assert log.count()["PutSecretValue"] == 1
    assert _value("vault/api") == "api-value-2"
    assert _sm().describe_secret(SecretId="vault/api")["Description"] == "API credentials v2"
    _assert_converged(ctx, log, changed)

    # Behind awsprov's back: value changed, key switched back, generated value changed.
    _sm().put_secret_value(SecretId="vault/api", SecretString="tampered")
    _sm().update_secret(SecretId="vault/api", KmsKeyId="alias/vault-main")
    _sm().put_secret_value(SecretId="vault/jwt", SecretString="rotated-by-hand")
    drift = _changes(ctx, changed)
    assert set(drift) == {"secrets.api"}  # a generated value is left alone
    assert {a.path for a in drift["secrets.api"].attributes} == {"value", "kms_key"}
    _apply(ctx, changed)
    assert _value("vault/api") == "api-value-2"
    assert _sm().describe_secret(SecretId="vault/api")["ARN"] == api_arn
    _assert_converged(ctx, log, changed)

    # Same value again from a new source: no PutSecretValue.
    (spec / "files" / "api.txt").write_text("api-value-2")
    from_file = write_spec(spec, SPEC.replace("{from_env: VAULT_API}",
                                              "{from_file: files/api.txt}")
                           .replace("kms_key: ${keys.main}", "kms_key: ${keys.other.id}")
                           .replace("description: API credentials",
                                    "description: API credentials v2")
                           .replace("{Kind: api}", "{Kind: api2}"), "file.yaml")
    _assert_converged(ctx, log, from_file)


def test_switching_to_generate_keeps_the_value_and_marks_it(aws, spec):
    ctx, log = aws
    path = write_spec(spec, SPEC)
    _apply(ctx, path)
    generated = write_spec(spec, SPEC.replace("{from_env: VAULT_API}", "{generate: {}}"),
                           "gen.yaml")
    change = _changes(ctx, generated)["secrets.api"]
    assert [a.note for a in change.attributes] == ["the current value is kept and marked "
                                                   "generated"]
    log.clear()
    _apply(ctx, generated)
    assert "PutSecretValue" not in log.writes and "GetRandomPassword" not in log.operations
    assert _value("vault/api") == "api-value-1"
    _assert_converged(ctx, log, generated)
    # An empty secret that becomes generated gets a value, once.
    filled = write_spec(spec, SPEC.replace("name: vault/slot",
                                           "name: vault/slot\n    value: {generate: {}}"),
                        "fill.yaml")
    _apply(ctx, filled)
    assert len(_value("vault/slot")) == 32
    _assert_converged(ctx, log, filled)


def test_removed_then_restored_keeps_the_same_arn(aws, spec):
    ctx, log = aws
    path = write_spec(spec, SPEC)
    _apply(ctx, path)
    arn = _sm().describe_secret(SecretId="vault/api")["ARN"]
    key_id = boto3.client("kms", region_name="us-east-1").describe_key(
        KeyId="alias/vault-main")["KeyMetadata"]["KeyId"]
    empty = write_spec(spec, "stack: vault\nregion: us-east-1\n", "empty.yaml")
    wait_for_tag_index("vault")  # the plan finds what the spec no longer names through it
    _apply(ctx, empty, prune=True)
    assert "DeletedDate" in _sm().describe_secret(SecretId="vault/api")
    changes = _changes(ctx, path)
    assert changes["secrets.api"].action is Action.RESTORE
    assert changes["keys.main"].action is Action.RESTORE
    log.clear()
    _apply(ctx, path)
    assert "RestoreSecret" in log.writes and "CreateSecret" not in log.writes
    assert _sm().describe_secret(SecretId="vault/api")["ARN"] == arn
    assert _value("vault/api") == "api-value-1"
    assert boto3.client("kms", region_name="us-east-1").describe_key(
        KeyId="alias/vault-main")["KeyMetadata"]["KeyId"] == key_id
    _assert_converged(ctx, log, path)


def test_destroy_honours_the_recovery_window(aws, spec):
    ctx, log = aws
    path = write_spec(spec, SPEC.replace("name: vault/slot",
                                         "name: vault/slot\n    recovery_window_days: 0")
                      .replace("name: vault/cert", "name: vault/cert\n"
                                                   "    recovery_window_days: 7"))
    _apply(ctx, path)
    stack = load_stack(path)
    result = make_destroy_plan(stack, ctx, RunOptions())
    api = next(c for c in result.plan.changes if c.address == "secrets.api")
    assert api.action is Action.DELETE and "1 secret version" in api.data_at_risk
    report = apply_plan(stack, result, ctx, RunOptions(prune=True))
    assert report.failures == []
    with pytest.raises(_sm().exceptions.ResourceNotFoundException):
        _sm().describe_secret(SecretId="vault/slot")  # forced: gone at once
    cert = _sm().describe_secret(SecretId="vault/cert")
    assert 6 <= (cert["DeletedDate"] - cert["LastChangedDate"]).days <= 7
    api_deleted = _sm().describe_secret(SecretId="vault/api")
    assert (api_deleted["DeletedDate"] - api_deleted["LastChangedDate"]).days >= 29
    log.clear()
    assert not make_destroy_plan(stack, ctx, RunOptions()).plan.has_changes


def test_ignore_changes_leaves_a_value_managed_elsewhere(aws, spec):
    ctx, log = aws
    path = write_spec(spec, SPEC.replace("value: {from_env: VAULT_API}",
                                         "value: {from_env: VAULT_API}\n"
                                         "    ignore_changes: [value]"))
    _apply(ctx, path)
    _sm().put_secret_value(SecretId="vault/api", SecretString="rotated-by-lambda")
    _assert_converged(ctx, log, path)
    assert _value("vault/api") == "rotated-by-lambda"


# ---- the property table and the typed live shape ------------------------------------------

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:vault/api-AbCdEf"


def _live_secret(value: bytes | None, generated: bool = False, pending: bool = False):
    from awsprov.resources.base import Live
    from awsprov.resources.secret import SecretDetails, digest

    return Live("vault/api", SECRET_ARN,
                {"description": "", "kms_key": None, "value": "set" if value else None,
                 "value_version": "v1"},
                {"awsprov:stack": "vault", "awsprov:address": "secrets.api"},
                pending_deletion=pending,
                details=SecretDetails(digest(value) if value else None, generated))


def test_the_secret_table_declares_the_value_sensitive_and_keeps_settings_out_of_state():
    from awsprov.resources.secret import Secret

    assert Secret.sensitive_fields == frozenset({"value"})
    assert Secret.fields == {}
    assert Secret().desired_state({"name": "n", "recovery_window_days": 0,
                                   "kms_key": "alias/aws/secretsmanager"}) == {
        "description": "", "kms_key": None, "value": None}


@pytest.mark.parametrize("pending", [False, True], ids=["update", "restore"])
def test_a_changed_value_is_marked_sensitive_by_the_table_on_update_and_restore(
        monkeypatch, pending):
    from types import SimpleNamespace

    from awsprov.engine.planner import classify
    from awsprov.resources.base import Desired
    from awsprov.resources.secret import Secret

    monkeypatch.setenv("VAULT_API", "new-s3cr3t-2718")
    rtype, live = Secret(), _live_secret(b"old-s3cr3t-3141", pending=pending)
    stack = SimpleNamespace(name="vault", env=None, region="us-east-1", resources={})
    props = {"name": "vault/api", "value": {"from_env": "VAULT_API"}}
    desired = Desired("secrets", "api", "vault/api", props, rtype.desired_state(props),
                      dict(live.tags))
    change = classify(stack, rtype, desired, live, RunOptions())
    assert change.action is (Action.RESTORE if pending else Action.UPDATE)
    value = next(a for a in change.attributes if a.path == "value")
    assert value.sensitive
    assert "s3cr3t" not in str(change.to_json())


def test_the_value_digest_stays_out_of_the_live_details_repr():
    import dataclasses

    live = _live_secret(b"hunter2", generated=True)
    copy = dataclasses.replace(live, state={})
    assert copy.details == live.details and copy.details.generated
    assert copy.details.value_digest not in repr(copy.details)
