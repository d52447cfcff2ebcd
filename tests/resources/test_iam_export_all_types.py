"""`awsprov iam-policy` and `awsprov export` across all nine types, through the real CLI.

A stack of every type (with the settings that bring extra calls: a stream, TTL, PITR,
lifecycle, CORS, a key, a generated value, a subscription, a dead-letter queue, an alarm
action) is planned, applied, changed, verified and destroyed against moto, every call
recorded: each call's IAM action must be among those the printed policy grants, and
`--read-only` must grant what plan and verify call. Then its resources are exported, and
the exported spec must plan nothing but taking them over (the ownership tags).
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers import run_cli, write_spec

SPEC = """
stack: iamcheck
region: us-east-1
keys:
  k: {alias: alias/iamcheck-k}
tables:
  t:
    name: iamcheck-t
    hash_key: id
    attributes: {id: S}
    stream: NEW_IMAGE
    ttl: expires
    point_in_time_recovery: true
    encryption: ${keys.k}
buckets:
  b:
    name: iamcheck-b-4711
    versioning: VERSIONING
    lifecycle: [{id: old, expiration_days: 30}]
    cors: [{allowed_origins: ["https://example.com"], allowed_methods: [GET]}]
secrets:
  s: {name: iamcheck/s, kms_key: "${keys.k}", value: {generate: {length: 20}}}
topics:
  alerts:
    name: iamcheck-alerts
    subscriptions: [{protocol: sqs, endpoint: "${queues.q}"}]
queues:
  dlq: {name: iamcheck-dlq}
  q:
    name: iamcheck-q
    visibility_timeout: VISIBILITY
    dead_letter: {queue: "${queues.dlq}", max_receive_count: 3}
log_groups:
  l: {name: /iamcheck/l, retention_days: RETENTION}
alarms:
  a:
    name: iamcheck-a
    namespace: AWS/SQS
    metric: ApproximateNumberOfMessagesVisible
    dimensions: {QueueName: iamcheck-q}
    threshold: 10
    actions: ["${topics.alerts}"]
dashboards:
  d:
    name: iamcheck-d
    body: {widgets: [{type: text, x: 0, y: 0, width: 6, height: 2, properties: {markdown: TEXT}}]}
"""
FIRST = {"VERSIONING": "true", "VISIBILITY": "30", "RETENTION": "7", "TEXT": "one"}
CHANGED = {"VERSIONING": "true", "VISIBILITY": "60", "RETENTION": "14", "TEXT": "two"}

# Where an IAM action is not `<prefix>:<OperationName>` (the S3 authorization reference).
S3_ACTIONS = {
    "HeadBucket": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "ListObjectsV2": "s3:ListBucket",
    "ListMultipartUploads": "s3:ListBucketMultipartUploads",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
    "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
    "GetBucketCors": "s3:GetBucketCORS",
    "PutBucketCors": "s3:PutBucketCORS",
    "DeleteBucketCors": "s3:PutBucketCORS",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
    "DeleteBucketTagging": "s3:PutBucketTagging",
    "DeleteObjects": "s3:DeleteObject",
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy",
}
PREFIX = {"resourcegroupstaggingapi": "tag", "monitoring": "cloudwatch"}


def iam_action(service: str, operation: str) -> str:
    operation = operation.removeprefix("Lease.")  # the apply lease's calls need granting too
    if service == "s3" and operation in S3_ACTIONS:
        return S3_ACTIONS[operation]
    return f"{PREFIX.get(service, service)}:{operation}"


def granted(policy: dict) -> set[str]:
    actions: set[str] = set()
    for statement in policy["Statement"]:
        actions.update(statement["Action"])
    return actions


def _spec(tmp_path, values: dict[str, str]):
    text = SPEC
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return str(write_spec(tmp_path, text))


def _missing(calls: list[tuple[str, str]], policy: dict) -> list[str]:
    have = granted(policy)
    return sorted({iam_action(s, op) for s, op in calls} - have)


@pytest.fixture
def policies(capsys, tmp_path):
    spec = _spec(tmp_path, FIRST)
    both = []
    for extra in ((), ("--read-only",)):
        code, out, err = run_cli(capsys, "iam-policy", spec, "--account-id", "123456789012",
                                 *extra)
        assert code == 0, err
        both.append(json.loads(out))
    return both


def test_iam_policy_grants_every_call_of_the_lifecycle(moto, fast_cli, capsys, tmp_path,
                                                      policies):
    full, read_only = policies
    first = _spec(tmp_path, FIRST)
    calls, reads = [], []

    def run(*argv: str, read: bool = False) -> int:
        fast_cli.clear()
        code, out, err = run_cli(capsys, *argv)
        calls.extend(fast_cli.calls)
        if read:
            reads.extend(fast_cli.calls)
        assert code in (0, 2), out + err
        return code

    run("plan", first, read=True)
    run("apply", first, "--yes")
    changed = _spec(tmp_path, CHANGED)
    run("plan", changed, read=True)
    run("apply", changed, "--yes")
    run("verify", changed, "--baseline", read=True)
    run("destroy", changed, "--yes")
    called = {iam_action(s, op) for s, op in calls}
    # Not vacuous: every type's create, update and delete calls were made.
    assert {"dynamodb:DeleteTable", "kms:ScheduleKeyDeletion", "s3:DeleteBucket",
            "secretsmanager:DeleteSecret", "sns:DeleteTopic", "sqs:SetQueueAttributes",
            "logs:DeleteLogGroup", "cloudwatch:DeleteAlarms",
            "cloudwatch:DeleteDashboards"} <= called
    assert _missing(calls, full) == []
    assert _missing(reads, read_only) == []


NAMES = {"keys": ["alias/iamcheck-k"], "tables": ["iamcheck-t"], "buckets": ["iamcheck-b-4711"],
         "secrets": ["iamcheck/s"], "topics": ["iamcheck-alerts"],
         "queues": ["iamcheck-dlq", "iamcheck-q"], "log_groups": ["/iamcheck/l"],
         "alarms": ["iamcheck-a"], "dashboards": ["iamcheck-d"]}


def test_exported_resources_of_every_type_plan_only_tag_changes(moto, fast_cli, capsys,
                                                                tmp_path):
    """Export, applied as a spec, reproduces live: taking the resources over (another
    stack's, hence --force-adopt) changes nothing but the ownership tags."""
    code, _out, err = run_cli(capsys, "apply", _spec(tmp_path, FIRST), "--yes")
    assert code == 0, err
    exported: dict = {}
    for section, names in NAMES.items():
        code, out, err = run_cli(capsys, "export", section, *names)
        assert code == 0, err
        exported.update(yaml.safe_load(out))
    spec = tmp_path / "exported.yaml"
    spec.write_text(yaml.safe_dump(exported))
    code, out, err = run_cli(capsys, "plan", str(spec), "--force-adopt", "--output", "json")
    assert code == 0, err
    plan = json.loads(out)
    managed = plan["changes"]
    for change in managed:
        assert change["action"] == "adopt", change
        paths = {a["path"] for a in change["attributes"]}
        assert paths == {"tags.awsprov:stack", "tags.awsprov:address"}, change
    # every resource but the dashboard (untaggable: the same dashboard, no change at all)
    assert sorted(c["name"] for c in managed) == sorted(
        n for section, names in NAMES.items() if section != "dashboards" for n in names)
    assert plan["summary"]["unchanged"] == 1
