"""What moto cannot show for keys, against botocore's Stubber: the rotation period
(moto ignores RotationPeriodInDays and never returns it)."""

from __future__ import annotations

import datetime as dt

from botocore.stub import Stubber

from awsprov.engine.planner import build_desired
from awsprov.resources import registry
from awsprov.resources.kms_key import default_policy
from awsprov.spec.loader import load_stack
from tests.helpers import emulator_gap, make_context, write_spec

ACCOUNT = "123456789012"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY_ID}"
SPEC = """
stack: stub
region: us-east-1
keys:
  data:
    alias: alias/stub-data
    rotation_period_days: 180
"""


def _stub_read(stubber: Stubber, period: int) -> None:
    stubber.add_response("describe_key", {"KeyMetadata": {
        "KeyId": KEY_ID, "Arn": ARN, "KeyState": "Enabled", "Enabled": True,
        "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT", "Description": "",
        "KeyManager": "CUSTOMER", "Origin": "AWS_KMS",
        "CreationDate": dt.datetime(2026, 1, 1)}}, {"KeyId": "alias/stub-data"})
    stubber.add_response("get_key_rotation_status", {
        "KeyRotationEnabled": True, "RotationPeriodInDays": period}, {"KeyId": KEY_ID})
    import json

    stubber.add_response("get_key_policy", {"Policy": json.dumps(default_policy(ACCOUNT))},
                         {"KeyId": KEY_ID, "PolicyName": "default"})
    stubber.add_response("list_resource_tags", {"Tags": [
        {"TagKey": "awsprov:stack", "TagValue": "stub"},
        {"TagKey": "awsprov:address", "TagValue": "keys.data"}], "Truncated": False},
        {"KeyId": KEY_ID})


def test_rotation_period_is_read_diffed_and_sent(tmp_path):
    assert emulator_gap("keys.rotation_period_days")
    stack = load_stack(write_spec(tmp_path, SPEC))
    ctx, _log = make_context("us-east-1")
    ctx._account_id = ACCOUNT
    kms = ctx.client("kms")
    rtype = registry.get("keys")
    spec = stack.resources["keys.data"]
    with Stubber(kms) as stubber:
        _stub_read(stubber, 365)
        live = rtype.read(ctx, "alias/stub-data")
        desired = build_desired(stack, spec, rtype, "alias/stub-data", {}, ctx)
        changes = rtype.diff(desired, live)
        assert [(c.path, c.before, c.after) for c in changes] == [
            ("rotation_period_days", 365, 180)]
        stubber.add_response("enable_key_rotation", {},
                             {"KeyId": KEY_ID, "RotationPeriodInDays": 180})
        rtype.update(ctx, desired, live, changes, lambda _msg: None)
        stubber.assert_no_pending_responses()

        _stub_read(stubber, 180)
        live = rtype.read(ctx, "alias/stub-data")
        assert rtype.diff(desired, live) == []
