"""A create whose answer is lost after it took effect (tests/lost_answers.py): no second
resource, and "already exists" is success only for the resource the create itself made.

The sweep over every write of every type is tests/resources/test_lost_answer_sweep.py;
these are the cases it cannot show: CreateKey never resent by botocore, a CreateKey lost
before it reached KMS, the Tagging API lagging behind a killed apply's key, what the
lookup costs, and a resource made by someone else between plan and apply.
"""

from __future__ import annotations

import boto3
import pytest

from awsprov.aws.waiters import WaitPolicy
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import make_context, write_spec
from tests.lost_answers import LoseAnswer, no_retry_backoff

KEY = """
stack: vault
region: us-east-1
keys:
  data:
    alias: alias/vault-data
    description: data key
"""

TABLE_AND_LOGS = """
stack: vault
region: us-east-1
tables:
  orders:
    name: vault-orders
    hash_key: id
    attributes: {id: S}
log_groups:
  app:
    name: /vault/app
    retention_days: 7
"""


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    no_retry_backoff(monkeypatch)


def _apply(ctx, path, hook: LoseAnswer | None = None):
    if hook is not None:
        hook.install(ctx.clients)
    stack = load_stack(path)
    report = apply_plan(stack, make_plan(stack, ctx, RunOptions()), ctx, RunOptions())
    return report


def _assert_converged(path) -> None:
    ctx, log = make_context()
    again = make_plan(load_stack(path), ctx, RunOptions())
    assert not again.plan.has_changes
    assert log.writes == []


def _customer_keys() -> list[dict]:
    kms = boto3.client("kms", region_name="us-east-1")
    metas = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"] for k in kms.list_keys()["Keys"]]
    return [m for m in metas if m["KeyManager"] == "CUSTOMER"]


@pytest.mark.parametrize("timeout", [False, True], ids=["connection-reset", "read-timeout"])
def test_a_lost_create_key_answer_is_never_resent_and_makes_one_key(moto, tmp_path, timeout):
    path = write_spec(tmp_path, KEY)
    ctx, _ = make_context()
    hook = LoseAnswer("CreateKey", timeout=timeout)
    report = _apply(ctx, path, hook)
    assert report.failures == []
    assert hook.lost == ["CreateKey"]
    assert hook.seen["CreateKey"] == 1, "botocore resent CreateKey"
    keys = _customer_keys()
    assert len(keys) == 1
    alias = boto3.client("kms", region_name="us-east-1").describe_key(KeyId="alias/vault-data")
    assert alias["KeyMetadata"]["KeyId"] == keys[0]["KeyId"]
    _assert_converged(path)


def test_a_key_at_the_tag_limit_is_found_by_its_ownership_tags(moto, tmp_path):
    """No room for the creation marker (AWS takes 50 tags): the lost key is the one with
    this address's tags that is not pending deletion."""
    user_tags = "".join(f"\n      t{n}: v" for n in range(48))
    path = write_spec(tmp_path, KEY + f"    tags:{user_tags}\n")
    ctx, _ = make_context()
    hook = LoseAnswer("CreateKey")
    assert _apply(ctx, path, hook).failures == []
    assert hook.seen["CreateKey"] == 1
    keys = _customer_keys()
    assert len(keys) == 1
    tags = boto3.client("kms", region_name="us-east-1").list_resource_tags(
        KeyId=keys[0]["KeyId"])["Tags"]
    assert len(tags) == 50 and "awsprov:creation" not in {t["TagKey"] for t in tags}
    _assert_converged(path)


def test_a_create_key_lost_before_it_reached_kms_is_sent_once_more(moto, tmp_path):
    path = write_spec(tmp_path, KEY)
    ctx, _ = make_context()
    ctx.wait = WaitPolicy(delay=0.01, timeout=0.3)  # the marker search gives up quickly
    hook = LoseAnswer("CreateKey", reaches_service=False)
    report = _apply(ctx, path, hook)
    assert report.failures == []
    assert hook.seen["CreateKey"] == 2  # ours, after no key carried the marker
    assert len(_customer_keys()) == 1
    _assert_converged(path)


def _hide_from_tagging_api(monkeypatch) -> None:
    """The Tagging API lagging behind new tags, with no freshness promise: it knows none."""
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend

    monkeypatch.setattr(ResourceGroupsTaggingAPIBackend, "get_resources",
                        lambda self, *args, **kwargs: (None, []))


def _killed_apply_key() -> str:
    """What an apply killed between CreateKey and CreateAlias leaves: a tagged key, no alias."""
    kms = boto3.client("kms", region_name="us-east-1")
    return kms.create_key(Description="data key", Tags=[
        {"TagKey": "awsprov:stack", "TagValue": "vault"},
        {"TagKey": "awsprov:address", "TagValue": "keys.data"}])["KeyMetadata"]["KeyId"]


def test_a_killed_apply_s_key_is_found_while_the_tagging_api_lags(moto, tmp_path,
                                                                  monkeypatch):
    key_id = _killed_apply_key()
    _hide_from_tagging_api(monkeypatch)
    path = write_spec(tmp_path, KEY)
    ctx, log = make_context()
    assert _apply(ctx, path).failures == []
    assert "CreateKey" not in log.writes
    assert [k["KeyId"] for k in _customer_keys()] == [key_id]
    alias = boto3.client("kms", region_name="us-east-1").describe_key(KeyId="alias/vault-data")
    assert alias["KeyMetadata"]["KeyId"] == key_id


def test_looking_for_a_key_by_its_tags_reads_only_keys_without_an_alias(moto, tmp_path,
                                                                        monkeypatch):
    """The cost of the fallback: ListAliases, ListKeys, one ListResourceTags per key no
    alias points at (never one per key of the account)."""
    kms = boto3.client("kms", region_name="us-east-1")
    for n in range(3):
        kms.create_alias(AliasName=f"alias/other-{n}",
                         TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    kms.create_key(Description="someone's key without an alias")
    _hide_from_tagging_api(monkeypatch)
    ctx, log = make_context()
    make_plan(load_stack(write_spec(tmp_path, KEY)), ctx, RunOptions())
    assert log.count()["ListResourceTags"] == 1
    assert log.count()["ListKeys"] == 1


@pytest.mark.parametrize("section", ["tables", "log_groups"])
def test_already_exists_for_what_another_made_after_the_plan_still_fails(moto, tmp_path,
                                                                        section):
    path = write_spec(tmp_path, TABLE_AND_LOGS)
    stack = load_stack(path)
    ctx, _ = make_context()
    result = make_plan(stack, ctx, RunOptions())
    if section == "tables":  # made between plan and apply, by someone else (no tags of ours)
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName="vault-orders", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    else:
        boto3.client("logs", region_name="us-east-1").create_log_group(logGroupName="/vault/app")
    report = apply_plan(stack, result, ctx, RunOptions())
    failed = {o.address: o.message for o in report.failures}
    address = "tables.orders" if section == "tables" else "log_groups.app"
    assert list(failed) == [address]
    assert "already exists" in failed[address]


@pytest.mark.parametrize("operation", ["CreateTable", "CreateLogGroup"])
def test_a_lost_create_answer_then_already_exists_is_this_create_s_success(moto, tmp_path,
                                                                           operation):
    path = write_spec(tmp_path, TABLE_AND_LOGS)
    ctx, log = make_context()
    hook = LoseAnswer(operation)  # sees every attempt (before-send), the log every call
    report = _apply(ctx, path, hook)
    assert report.failures == []
    assert hook.lost == [operation]
    assert hook.seen[operation] == 2  # botocore resent it, AWS said "already exists"
    assert "PutRetentionPolicy" in log.writes  # the rest of the create still ran
    _assert_converged(path)


def test_the_single_attempt_client_is_a_client_of_its_own_that_never_resends(moto):
    ctx, _ = make_context()
    hook = LoseAnswer("ListKeys")
    hook.install(ctx.clients)  # before the clients exist: each gets it when it is built
    once = ctx.client("kms", single_attempt=True)
    assert once is not ctx.client("kms")
    assert once is ctx.client("kms", single_attempt=True)
    assert once.meta.config.retries["total_max_attempts"] == 1
    with pytest.raises(Exception, match="Connection was closed"):
        once.list_keys()
    assert hook.seen["ListKeys"] == 1
    assert ctx.client("kms").list_keys()["Keys"] == []  # the usual client resends
