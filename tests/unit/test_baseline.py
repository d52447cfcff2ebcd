"""`verify --baseline`: each type's security rules, pure over Live.state (docs/spec.md).

Each live state starts from the type's own normalized defaults (what a spec with only a
name converges to) and changes the one setting a rule is about, so every rule is shown
both firing and silent.
"""

from __future__ import annotations

from typing import Any

import pytest

from awsprov.resources import policy as policies
from awsprov.resources import registry
from awsprov.resources.base import Live

MINIMAL = {
    "keys": {"alias": "alias/k"},
    "tables": {"name": "t", "hash_key": "id", "attributes": {"id": "S"}},
    "buckets": {"name": "b"},
    "secrets": {"name": "s"},
    "topics": {"name": "t"},
    "queues": {"name": "q"},
    "log_groups": {"name": "/l"},
    "alarms": {"name": "a", "namespace": "AWS/SQS", "metric": "m", "threshold": 1},
    "dashboards": {"name": "d", "body": {"widgets": []}},
}
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:alerts"
PUBLIC = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
                         "Resource": "*"}]}
SCOPED = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
                         "Resource": "*", "Condition": {"StringEquals": {
                             "aws:SourceAccount": "123456789012"}}}]}


def rules(section: str, props: dict[str, Any] | None = None, **state: Any) -> set[str]:
    rtype = registry.get(section)
    live_state = rtype.desired_state({**MINIMAL[section], **(props or {})})
    if isinstance(live_state.get("policy"), dict):
        live_state["policy"] = policies.canonical(live_state["policy"])  # as read() has it
    live_state.update(state)
    live = Live(name="x", arn="arn:x", state=live_state, tags={})
    return {finding.rule for finding in rtype.baseline(live)}


def test_every_type_has_baseline_rules():
    silent = [section for section in MINIMAL if not rules(section, **_worst(section))]
    assert silent == []


def _worst(section: str) -> dict[str, Any]:
    return {"keys": {"rotation": False}, "tables": {},
            "buckets": {"versioning": False}, "secrets": {}, "topics": {},
            "queues": {"kms_key": "(unencrypted)"}, "log_groups": {}, "alarms": {},
            "dashboards": {"body": {"widgets": [{"type": "text", "properties": {
                "markdown": "key AKIAIOSFODNN7EXAMPLE"}}]}}}[section]


def test_key_without_rotation_and_with_a_public_policy():
    assert rules("keys") == set()
    assert rules("keys", rotation=False) == {"key-rotation"}
    # Asymmetric keys cannot rotate: no finding for what AWS does not offer.
    assert rules("keys", {"key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY"}) == set()
    open_policy = policies.canonical({"Statement": [{"Effect": "Allow", "Principal": "*",
                                                     "Action": "kms:*", "Resource": "*"}]})
    assert rules("keys", policy=open_policy) == {"key-policy-public"}
    assert rules("keys", policy=policies.canonical(
        {"Statement": [{**open_policy["Statement"][0],
                        "Condition": {"StringEquals": {"kms:CallerAccount": "1"}}}]})) == set()


def test_table_without_pitr_protection_or_own_key():
    assert rules("tables") == {"table-pitr", "table-deletion-protection", "table-kms"}
    hardened = {"point_in_time_recovery": True, "deletion_protection": True,
                "encryption": KEY_ARN}
    assert rules("tables", hardened) == set()
    assert rules("tables", {**hardened, "point_in_time_recovery": False}) == {"table-pitr"}


def test_bucket_versioning_public_access_tls_and_logging():
    assert rules("buckets") == {"bucket-versioning", "bucket-access-logging"}
    hardened = {"versioning": True, "logging": {"target_bucket": "logs"}}
    assert rules("buckets", hardened) == set()
    assert rules("buckets", {**hardened, "enforce_tls": False}) == {"bucket-tls"}
    assert rules("buckets", {**hardened, "public_access_block": False}) == {
        "bucket-public-access"}
    open_policy = {"Statement": [{"Effect": "Allow", "Principal": "*",
                                  "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}
    assert rules("buckets", {**hardened, "public_access_block": False,
                             "policy": open_policy}) == {"bucket-public-access",
                                                         "bucket-policy-public"}
    # Blocked, S3 itself refuses the public statement's effect: the block is what matters.
    assert rules("buckets", {**hardened, "policy": open_policy}) == set()


def test_secret_under_the_aws_managed_key():
    assert rules("secrets") == {"secret-cmk"}
    assert rules("secrets", {"kms_key": KEY_ARN}) == set()


def test_topic_unencrypted_or_open_to_anyone():
    assert rules("topics") == {"topic-kms"}
    assert rules("topics", {"kms_key": KEY_ARN}) == set()
    assert rules("topics", {"kms_key": KEY_ARN, "policy": PUBLIC}) == {"topic-policy-public"}
    assert rules("topics", {"kms_key": KEY_ARN, "policy": SCOPED}) == set()


def test_queue_unencrypted_sse_sqs_or_open_to_anyone():
    assert rules("queues", kms_key="(unencrypted)") == {"queue-encryption"}
    assert rules("queues") == {"queue-kms"}
    assert rules("queues", {"kms_key": KEY_ARN}) == set()
    assert rules("queues", {"kms_key": KEY_ARN, "policy": PUBLIC}) == {"queue-policy-public"}
    assert rules("queues", {"kms_key": KEY_ARN, "policy": SCOPED}) == set()


def test_log_group_without_retention_or_key():
    assert rules("log_groups") == {"log-retention", "log-kms"}
    assert rules("log_groups", {"retention_days": 30, "kms_key": KEY_ARN}) == set()


def test_alarm_nobody_is_told_about():
    assert rules("alarms") == {"alarm-actions"}
    assert rules("alarms", {"actions": [TOPIC_ARN]}) == set()


@pytest.mark.parametrize("text", [
    "AKIAIOSFODNN7EXAMPLE", "session ASIAIOSFODNN7EXAMPLE used",
    "[db](postgres://admin:hunter2@db.internal:5432/app)"])
def test_dashboard_holding_credentials(text):
    body = {"widgets": [{"type": "metric", "properties": {}},
                        {"type": "text", "properties": {"markdown": text}}]}
    rtype = registry.get("dashboards")
    live = Live(name="d", arn="arn:d", state=rtype.desired_state({"body": body}), tags={})
    findings = rtype.baseline(live)
    assert [(f.rule, f.severity) for f in findings] == [("dashboard-credentials", "error")]
    assert "body.widgets[1].properties.markdown" in findings[0].message
    assert text not in findings[0].message  # the finding never repeats the credential


def test_dashboard_without_credentials_is_clean():
    body = {"widgets": [{"type": "text", "properties": {
        "markdown": "Runbook: https://wiki.example.com/runbooks/p2p (AKIA is a prefix)"}}]}
    assert rules("dashboards", {"body": body}) == set()


TLS_ONLY = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
                           "Resource": "*", "Condition": {"Bool": {
                               "aws:SecureTransport": "true"}}}]}
WILDCARD_SOURCE = {"Statement": [{"Effect": "Allow", "Principal": "*",
                                  "Action": "sqs:SendMessage", "Resource": "*",
                                  "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*"}}}]}


def test_a_condition_that_limits_no_source_is_still_public():
    assert rules("queues", {"kms_key": KEY_ARN, "policy": TLS_ONLY}) == {"queue-policy-public"}
    assert rules("topics", {"kms_key": KEY_ARN, "policy": WILDCARD_SOURCE}) == {
        "topic-policy-public"}
    hardened = {"versioning": True, "enforce_tls": True, "public_access_block": False}
    assert "bucket-policy-public" in rules("buckets", {**hardened, "policy": TLS_ONLY})
