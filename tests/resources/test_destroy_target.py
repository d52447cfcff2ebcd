"""`destroy --target X` on the VaultLink example (specs/vaultlink, env dev): X and what
depends on X, transitively, dependents first; never what X depends on. A key is deleted
only after its users are, and refused (naming them) when one of them stays."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_destroy_plan, make_plan
from awsprov.errors import SpecError
from awsprov.spec.loader import load_stack
from tests.helpers import run_cli
from tests.test_examples import EXAMPLE_ENV

ROOT = Path(__file__).resolve().parents[2]
VAULTLINK = ROOT / "specs" / "vaultlink"
ALARMS = {f"alarms.{n}" for n in ("api_5xx", "api_latency", "function_errors",
                                  "function_throttles", "table_read_throttles",
                                  "table_write_throttles", "oldest_message", "queue_depth",
                                  "dead_letters")}


@pytest.fixture
def vaultlink(aws, monkeypatch):
    """VaultLink dev applied to the in-process emulator: (context, stack)."""
    for name, value in EXAMPLE_ENV.items():
        monkeypatch.setenv(name, value)
    ctx, _log = aws
    stack = load_stack(VAULTLINK, env="dev")
    report = apply_plan(stack, make_plan(stack, ctx, RunOptions()), ctx, RunOptions())
    assert report.failures == []
    return ctx, stack


def _destroy_plan(ctx, stack, *targets: str):
    return make_destroy_plan(stack, ctx, RunOptions(targets=targets))


def _planned(result) -> dict[str, Action]:
    return {c.address: c.action for c in result.plan.changes if c.is_change}


def _destroy(ctx, stack, result):
    return apply_plan(stack, result, ctx, RunOptions(prune=True))


def _live_after(ctx, stack) -> dict[str, Action]:
    """What a plan would do now: deleted resources come back as create/restore."""
    return _planned(make_plan(stack, ctx, RunOptions()))


def test_the_dashboard_a_leaf_is_destroyed_alone(vaultlink):
    ctx, stack = vaultlink
    result = _destroy_plan(ctx, stack, "dashboards.operational")
    assert _planned(result) == {"dashboards.operational": Action.DELETE}
    assert _destroy(ctx, stack, result).failures == []
    assert _live_after(ctx, stack) == {"dashboards.operational": Action.CREATE}


def test_an_alarm_takes_only_what_depends_on_it_never_what_it_references(vaultlink):
    """The dead-letter alarm references the queue, the topic (and through them the key):
    those stay. Only the dashboard, which shows the alarm, goes with it."""
    ctx, stack = vaultlink
    result = _destroy_plan(ctx, stack, "alarms.dead_letters")
    assert _planned(result) == {"alarms.dead_letters": Action.DELETE,
                                "dashboards.operational": Action.DELETE}
    report = _destroy(ctx, stack, result)
    assert report.failures == []
    # dependents first: the dashboard that shows the alarm goes before the alarm
    done = [o.address for o in report.outcomes]
    assert done.index("dashboards.operational") < done.index("alarms.dead_letters")
    assert _live_after(ctx, stack) == {"alarms.dead_letters": Action.CREATE,
                                       "dashboards.operational": Action.CREATE}


def test_a_key_is_destroyed_with_all_its_users_listed_before_the_confirmation(
        vaultlink, capsys):
    ctx, stack = vaultlink
    users = {"queues.prism_delivery", "queues.prism_dlq", "topics.alerts"}
    expected = {"keys.messaging", *users, *ALARMS, "dashboards.operational"}
    result = _destroy_plan(ctx, stack, "keys.messaging")
    assert _planned(result) == dict.fromkeys(expected, Action.DELETE)
    # the key waits for every resource encrypted with it
    assert users <= result.deps["keys.messaging"]

    # The CLI prints the whole plan, then asks (no terminal here: it stops, nothing done).
    code, out, err = run_cli(capsys, "destroy", str(VAULTLINK), "--env", "dev",
                             "--target", "keys.messaging")
    assert code == 1 and "confirm with --yes" in err
    listed = {line.split()[1] for line in out.splitlines() if line.strip().startswith("- ")}
    assert listed == expected
    assert "14 to delete" in out
    assert _live_after(ctx, stack) == {}, "nothing was deleted without confirmation"

    report = _destroy(ctx, stack, result)
    assert report.failures == []
    done = [o.address for o in report.outcomes]
    assert all(done.index(u) < done.index("keys.messaging") for u in users)
    after = _live_after(ctx, stack)
    assert after == {**dict.fromkeys(expected - {"keys.messaging"}, Action.CREATE),
                     "keys.messaging": Action.RESTORE}


def test_a_key_is_refused_naming_a_user_that_stays(vaultlink):
    """The documents bucket holds an object (no force_destroy): it is refused, so the data
    key it is encrypted with must stay too; the key's other users are deleted."""
    ctx, stack = vaultlink
    bucket = f"vaultlink-documents-dev-{ctx.account_id}"
    s3 = boto3.client("s3", region_name="us-east-1")
    # The emulator refuses every PutObject under the deny-insecure-transport statement
    # (KNOWN_EMULATOR_GAPS "buckets.enforce_tls (object writes)"): the object is written
    # with the policy lifted for a moment; destroy compares no policy.
    s3.delete_bucket_policy(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="invoice.pdf", Body=b"keep me")

    result = _destroy_plan(ctx, stack, "keys.data")
    planned = _planned(result)
    users = {"buckets.customer_configs", "buckets.documents", "secrets.stripe_secret_key",
             "secrets.stripe_webhook_secret", "secrets.prism_api_key",
             "secrets.slack_webhook_url"}
    assert planned == {**dict.fromkeys(users - {"buckets.documents"}, Action.DELETE),
                       "buckets.documents": Action.REFUSED, "keys.data": Action.REFUSED}
    key = result.plan.by_address()["keys.data"]
    assert "buckets.documents" in key.reason and "still used by" in key.reason
    assert "secrets" not in key.reason  # deleted first: not a reason to keep the key

    report = _destroy(ctx, stack, result)
    assert {o.address for o in report.failures} == {"buckets.documents", "keys.data"}
    kms = boto3.client("kms", region_name="us-east-1")
    data_key = kms.describe_key(KeyId="alias/vaultlink-data-dev")["KeyMetadata"]
    assert data_key["KeyState"] == "Enabled"
    assert s3.get_object(Bucket=bucket, Key="invoice.pdf")["Body"].read() == b"keep me"


def test_an_unknown_destroy_target_is_a_spec_error(vaultlink):
    ctx, stack = vaultlink
    with pytest.raises(SpecError, match="no such resource"):
        _destroy_plan(ctx, stack, "alarms.nope")


def test_plan_target_keeps_its_meaning_the_target_and_what_it_needs(vaultlink):
    ctx, stack = vaultlink
    result = make_plan(stack, ctx, RunOptions(targets=("alarms.dead_letters",)))
    assert {c.address for c in result.plan.changes} == {
        "alarms.dead_letters", "queues.prism_dlq", "topics.alerts", "keys.messaging"}
