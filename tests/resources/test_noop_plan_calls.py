"""The calls of a no-op plan for keys, secrets and buckets, as their docs state them
(docs/keys-and-secrets.md: 4 per key, 2 per secret, + DescribeKey and ListAliases for a
secret under a customer key; docs/buckets.md: 11 per bucket). Tables and the five
monitoring and messaging types are pinned in test_table_reads.py and
test_messaging_read_calls.py."""

from __future__ import annotations

from collections import Counter

from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec


def _noop_plan_calls(aws, tmp_path, body: str) -> Counter:
    ctx, log = aws
    stack = load_stack(write_spec(tmp_path, "stack: calls\nregion: us-east-1\n" + body))
    assert apply_plan(stack, make_plan(stack, ctx, RunOptions()), ctx,
                      RunOptions()).failures == []
    log.clear()
    assert not make_plan(stack, ctx, RunOptions()).plan.has_changes
    counts = Counter(log.operations)
    counts.pop("GetResources", None)  # the stack's one orphan search / tag index
    return counts


def test_key_no_op_plan_is_three_calls(aws, tmp_path):
    """Its tags come from the stack's tag index (GetResources, popped above)."""
    assert _noop_plan_calls(aws, tmp_path, "keys:\n  k: {alias: alias/calls-k}\n") == {
        "DescribeKey": 1, "GetKeyRotationStatus": 1, "GetKeyPolicy": 1}


def test_secret_no_op_plan_is_two_calls(aws, tmp_path):
    assert _noop_plan_calls(aws, tmp_path, "secrets:\n  s: {name: calls/s}\n") == {
        "DescribeSecret": 1, "GetSecretValue": 1}


def test_secret_under_a_customer_key_adds_the_key_names(aws, tmp_path):
    counts = _noop_plan_calls(aws, tmp_path, "keys:\n  k: {alias: alias/calls-k}\n"
                              "secrets:\n  s: {name: calls/s, kms_key: '${keys.k}'}\n")
    # the key's own three, the secret's two, and one DescribeKey + ListAliases for the
    # secret's key names
    assert counts == {"DescribeKey": 2, "GetKeyRotationStatus": 1, "GetKeyPolicy": 1,
                      "DescribeSecret": 1, "GetSecretValue": 1,
                      "ListAliases": 1}


def test_bucket_no_op_plan_is_eleven_calls(aws, tmp_path):
    counts = _noop_plan_calls(aws, tmp_path, "buckets:\n  b: {name: calls-b-4711}\n")
    assert sum(counts.values()) == 11, counts
    assert counts["HeadBucket"] == 1 and all(n == 1 for n in counts.values())
