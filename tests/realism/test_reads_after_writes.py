"""Reads after writes (issue 12, item 3), under the realism layer: each of these failed
before awsprov waited out AWS's documented not-found windows (aws/waiters.py VISIBILITY)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from awsprov.aws import waiters
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import make_context
from tests.realism import Realism, activate, behaviours

EXAMPLES = Path(__file__).resolve().parents[2] / "specs" / "examples"


def only(*names: str) -> Realism:
    """A Realism with just the named behaviours on."""
    return Realism(off=frozenset(b.name for b in behaviours()) - set(names))


@pytest.fixture
def layer(request):
    realism = request.param
    previous = activate(realism)
    yield realism
    activate(previous)


def _apply(spec: Path):
    stack = load_stack(spec)
    aws, log = make_context(stack.region or "us-east-1")
    report = apply_plan(stack, make_plan(stack, aws, RunOptions()), aws, RunOptions())
    return report, aws, stack, log


def _converged(stack, aws) -> list[str]:
    again = make_plan(stack, aws, RunOptions())
    return [c.address for c in again.plan.changes if c.is_change]


@pytest.mark.parametrize("layer", [only("dynamodb.describe-after-create")], indirect=True)
def test_a_table_not_yet_described_after_create_is_waited_for(moto, layer):
    """Was: 'DescribeTable failed: ResourceNotFoundException' (_wait_active)."""
    report, aws, stack, _ = _apply(EXAMPLES / "table-minimal.yaml")
    assert report.failures == []
    assert layer["dynamodb.describe-after-create"].fired
    assert _converged(stack, aws) == []


@pytest.mark.parametrize("layer", [only("dynamodb.describe-after-create",
                                        "dynamodb.table-states")], indirect=True)
def test_a_table_through_its_states_converges(moto, layer):
    report, aws, stack, _ = _apply(EXAMPLES / "table-ttl-pitr.yaml")
    assert report.failures == []
    assert layer["dynamodb.table-states"].fired
    assert _converged(stack, aws) == []


@pytest.mark.parametrize("layer", [only("sqs.queue-usable-after-a-second")], indirect=True)
def test_a_new_queue_is_waited_for_before_its_attributes_are_read(moto, layer):
    """Was: 'GetQueueAttributes failed: ...NonExistentQueue' (_await_attributes), and the
    queue using it as dead-letter target skipped."""
    report, aws, stack, _ = _apply(EXAMPLES / "queue-dead-letter.yaml")
    assert report.failures == []
    assert layer["sqs.queue-usable-after-a-second"].fired
    assert _converged(stack, aws) == []


@pytest.mark.parametrize("layer", [only("kms.key-eventually-consistent",
                                        "tagging.get-resources-lag")], indirect=True)
@pytest.mark.parametrize("spec", ["secret-generated.yaml", "log-group-retention.yaml"])
def test_dependents_of_a_key_not_yet_visible_get_its_attributes(moto, layer, spec):
    """Was: the read after CreateKey found nothing, no attributes were recorded, and the
    secret failed with 'kms_key is not known yet', the log group with 'invalid request
    parameters: kmsKeyId'."""
    report, aws, stack, _ = _apply(EXAMPLES / spec)
    assert report.failures == []
    assert layer["kms.key-eventually-consistent"].fired
    time.sleep(layer["tagging.get-resources-lag"].window)  # a fresh plan, past the lag
    assert _converged(stack, aws) == []


def _writes_only() -> Realism:
    realism = only("s3.no-such-bucket-after-create")
    # Sub-reads answer at once here, so only the writes meet the window.
    realism["s3.no-such-bucket-after-create"].operations = \
        lambda op: op.startswith(("Put", "Delete")) and op != "DeleteBucket"
    return realism


@pytest.mark.parametrize("layer", [_writes_only()], indirect=True)
@pytest.mark.parametrize("spec", ["bucket-versioned.yaml", "bucket-cors.yaml"])
def test_bucket_writes_right_after_create_wait_for_the_bucket(moto, layer, spec):
    """Was: 'PutBucket... failed: NoSuchBucket' on the first configuration write."""
    report, aws, stack, _ = _apply(EXAMPLES / spec)
    assert report.failures == []
    assert layer["s3.no-such-bucket-after-create"].fired
    assert _converged(stack, aws) == []


@pytest.mark.parametrize("layer", [only()], indirect=True)
def test_a_resource_never_readable_after_its_create_fails_with_one_line(moto, layer,
                                                                        monkeypatch):
    """The executor never records nothing for a resource it just created."""
    monkeypatch.setitem(waiters.VISIBILITY, "any", waiters.Visibility((), 1.0, "test"))
    stack = load_stack(EXAMPLES / "secret-generated.yaml")
    aws, _ = make_context()
    result = make_plan(stack, aws, RunOptions())
    key_type = result.resources["keys.secrets"].rtype
    monkeypatch.setattr(type(key_type), "read", lambda self, aws, name, owner=None: None)
    report = apply_plan(stack, result, aws, RunOptions())
    failures = {o.address: o.message for o in report.failures}
    assert failures["keys.secrets"] == (
        "keys.secrets was written but AWS still does not show it after 1 s (eventual "
        "consistency); run apply again")
    assert failures["secrets.signing"] == "skipped: depends on keys.secrets, which failed"
