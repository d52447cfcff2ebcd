"""CloudWatch log groups against moto; the key association against Stubber (moto lacks
AssociateKmsKey/DisassociateKmsKey: KNOWN_EMULATOR_GAPS)."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from awsprov.core.changes import Action
from awsprov.resources import registry
from awsprov.resources.base import Desired, Live
from tests.helpers import make_context
from tests.resources import lifecycle as lc

SPEC = """
stack: logs
region: us-east-1
tags: {Team: ops}
log_groups:
  api:
    name: /aws/apigateway/logs-api
    RETENTION
    KMS
"""

ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/logs-api"


def _spec(retention: str = "", kms: str = "", tags: str = "") -> str:
    return SPEC.replace("RETENTION", retention).replace("KMS", kms) + tags


def _group() -> dict:
    logs = boto3.client("logs", region_name="us-east-1")
    return logs.describe_log_groups(logGroupNamePrefix="/aws/apigateway/logs-api")["logGroups"][0]


def test_log_group_lifecycle(aws, tmp_path):
    ctx, log = aws
    key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    stack = lc.converge(ctx, log, tmp_path, _spec("retention_days: 90", f"kms_key: {key}"))
    group = _group()
    assert (group["retentionInDays"], group["kmsKeyId"]) == (90, key)
    logs = boto3.client("logs", region_name="us-east-1")
    # Tagged through the ARN without `:*`.
    assert logs.list_tags_for_resource(resourceArn=ARN)["tags"]["awsprov:stack"] == "logs"

    v2 = lc.load(tmp_path, _spec("retention_days: 365", f"kms_key: {key}",
                                 "    tags: {Owner: sre}\n"))
    result = lc.plan(ctx, v2)
    assert lc.changed(result) == {"log_groups.api": Action.UPDATE}
    assert lc.paths(result, "log_groups.api") == {"retention_days", "tags.Owner"}
    lc.apply(ctx, v2)
    lc.assert_converged(ctx, log, v2)
    assert logs.list_tags_for_resource(resourceArn=ARN)["tags"]["Owner"] == "sre"

    logs.put_retention_policy(logGroupName="/aws/apigateway/logs-api", retentionInDays=7)
    assert lc.drift_paths(ctx, v2) == {"log_groups.api": {"retention_days"}}
    lc.apply(ctx, v2)
    assert _group()["retentionInDays"] == 365
    lc.assert_converged(ctx, log, v2)

    forever = lc.load(tmp_path, _spec("", f"kms_key: {key}"))
    lc.apply(ctx, forever)
    assert "retentionInDays" not in _group()
    lc.assert_converged(ctx, log, forever)

    lc.destroy(ctx, stack)
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/apigateway")["logGroups"] == []


def test_a_prefix_sibling_is_not_taken_for_the_group(aws):
    ctx, _log = aws
    boto3.client("logs", region_name="us-east-1").create_log_group(
        logGroupName="/aws/apigateway/logs-api-old")
    assert registry.get("log_groups").read(ctx, "/aws/apigateway/logs-api") is None


def _live(key: str | None) -> Live:
    return Live(name="/aws/apigateway/logs-api", arn=ARN,
                state={"retention_days": None, "kms_key": key}, tags={})


def _desired(key: str | None) -> Desired:
    props = {"name": "/aws/apigateway/logs-api", **({"kms_key": key} if key else {})}
    rtype = registry.get("log_groups")
    return Desired("log_groups", "api", props["name"], props, rtype.desired_state(props), {})


KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def stubbed():
    """(context, stub): the context's logs client answers only what the test queues."""
    ctx, _log = make_context("us-east-1")
    with Stubber(ctx.client("logs")) as stub:
        yield ctx, stub


def test_key_change_uses_associate_kms_key(stubbed):
    ctx, stub = stubbed
    rtype = registry.get("log_groups")
    desired, live = _desired(KEY), _live(None)
    changes = rtype.diff(desired, live)
    assert [c.path for c in changes] == ["kms_key"]
    stub.add_response("associate_kms_key", {},
                      {"logGroupName": "/aws/apigateway/logs-api", "kmsKeyId": KEY})
    _shows_key(stub, KEY, KEY)
    rtype.update(ctx, desired, live, changes, lambda _m: None)
    stub.assert_no_pending_responses()


def _shows_key(stub, *keys: str | None) -> None:
    """DescribeLogGroups answers, one per key given (None: no key shown)."""
    for key in keys:
        group = {"logGroupName": "/aws/apigateway/logs-api", "arn": ARN + ":*"}
        if key:
            group["kmsKeyId"] = key
        stub.add_response("describe_log_groups", {"logGroups": [group]},
                          {"logGroupNamePrefix": "/aws/apigateway/logs-api"})


def test_key_change_waits_until_describe_shows_it(stubbed):
    """AssociateKmsKey "can take up to 5 minutes ... to take effect": until then
    DescribeLogGroups shows the old key, and a plan right after would show drift."""
    ctx, stub = stubbed
    rtype = registry.get("log_groups")
    desired, live = _desired(KEY), _live(None)
    changes = rtype.diff(desired, live)
    stub.add_response("associate_kms_key", {},
                      {"logGroupName": "/aws/apigateway/logs-api", "kmsKeyId": KEY})
    _shows_key(stub, None, None, KEY, None, KEY, KEY)  # stale, a lagging replica, settled
    rtype.update(ctx, desired, live, changes, lambda _m: None)
    stub.assert_no_pending_responses()


def test_key_removal_uses_disassociate_and_warns_about_old_events(stubbed):
    ctx, stub = stubbed
    rtype = registry.get("log_groups")
    desired, live = _desired(None), _live(KEY)
    changes = rtype.diff(desired, live)
    assert any("old key" in n for n in rtype.change_notes(desired, live, changes))
    stub.add_response("disassociate_kms_key", {}, {"logGroupName": "/aws/apigateway/logs-api"})
    _shows_key(stub, KEY, None, None)
    rtype.update(ctx, desired, live, changes, lambda _m: None)
    stub.assert_no_pending_responses()


def test_create_retries_while_a_new_key_is_not_yet_usable(stubbed):
    ctx, stub = stubbed
    stub.add_client_error("create_log_group", "AccessDeniedException",
                          f"The specified KMS key does not exist or is not allowed to be "
                          f"used with Arn '{KEY}'")
    stub.add_response("create_log_group", {})
    registry.get("log_groups").create(ctx, _desired(KEY), lambda _m: None)
    stub.assert_no_pending_responses()


def test_a_refusal_that_is_not_about_the_key_is_not_retried(stubbed):
    ctx, stub = stubbed
    stub.add_client_error("create_log_group", "AccessDeniedException",
                          "User is not authorized to perform logs:CreateLogGroup")
    with pytest.raises(ClientError, match="not authorized"):
        registry.get("log_groups").create(ctx, _desired(KEY), lambda _m: None)
    stub.assert_no_pending_responses()


def test_the_stream_check_is_asked_once_and_survives_a_replace(aws):
    ctx, _log = aws
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="/aws/apigateway/logs-api", tags={})
    logs.put_retention_policy(logGroupName="/aws/apigateway/logs-api", retentionInDays=90)
    logs.create_log_stream(logGroupName="/aws/apigateway/logs-api", logStreamName="s")
    rtype = registry.get("log_groups")
    live = rtype.read(ctx, "/aws/apigateway/logs-api")
    assert live.state == {"retention_days": 90, "kms_key": None}
    asked = []
    ctx.client("logs").meta.events.register(
        "before-call.logs.DescribeLogStreams", lambda **_kwargs: asked.append(1))
    desired = Desired("log_groups", "api", live.name, {"retention_days": 1},
                      rtype.desired_state({"retention_days": 1}), {})
    copy = replace(live, tags={"Team": "ops"})
    for each in (live, copy):
        assert rtype.data_loss(desired, each, rtype.diff(desired, each)) == [
            "retention 90 days → 1 day: stored events older than 1 day are deleted"]
    assert asked == [1]
