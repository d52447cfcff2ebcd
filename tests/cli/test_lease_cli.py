"""The apply lease through the real entry point, in process against moto: apply and destroy
refuse (naming the holder) or wait while another holds it, --no-lock skips it, `unlock`
breaks it after confirmation, and it is released after success and after failure."""

from __future__ import annotations

import json
import time
import types

import boto3
import pytest

from awsprov.engine import lease
from awsprov.resources import sqs_queue
from tests.cli.test_json_output import check
from tests.helpers import make_context, run_cli, write_spec

KEY = lease.LeaseKey("leased", None, "us-east-1")
STACK = """
    stack: leased
    region: us-east-1
    queues:
      work: {name: leased-work}
    """


@pytest.fixture(autouse=True)
def fast_queues(monkeypatch):
    monkeypatch.setattr(sqs_queue, "PROPAGATION_POLL_SECONDS", 0.01)
    monkeypatch.setattr(lease, "POLL_S", 0.05)


@pytest.fixture
def spec(tmp_path):
    return write_spec(tmp_path, STACK)


@pytest.fixture
def other(moto):
    """Another apply of the stack, holding its lease."""
    held = lease.Lease(make_context()[0], KEY, "apply")
    holder = held.acquire()
    yield held, holder
    held.release()


def _queues() -> list[str]:
    return boto3.client("sqs", region_name="us-east-1").list_queues().get("QueueUrls", [])


def test_apply_while_another_holds_the_lease_fails_naming_it_and_changes_nothing(
        other, spec, capsys):
    _held, holder = other
    code, _out, err = run_cli(capsys, "apply", str(spec), "--yes")
    assert code == 1
    assert err.count("error:") == 1, err
    line = " ".join(err.split())  # as one line, however wide the terminal
    assert 'error: stack "leased" (region us-east-1) is locked by another apply' in line
    assert holder.who in line and f"pid {holder.pid}" in line
    assert lease.utc(holder.since) in line
    assert _queues() == []
    assert "Traceback" not in err


def test_the_refusal_is_a_locked_error_document(other, spec, capsys):
    code, out, _err = run_cli(capsys, "apply", str(spec), "--yes", "--output", "json")
    doc = json.loads(out)
    check(doc, "error-output.schema.json")
    assert (code, doc["error"]["kind"], doc["error"]["exit_code"]) == (1, "locked", 1)


def test_apply_waits_for_the_lease_and_proceeds_when_it_is_released(other, spec, capsys,
                                                                    monkeypatch):
    held, _holder = other
    released = []

    def release_then_sleep(seconds: float) -> None:
        # the holder lets go once apply has found it and started waiting (no timer: on a
        # loaded machine apply could start after a timer fired, and never wait)
        if not released:
            released.append(held.release())
        time.sleep(seconds)

    clock = types.SimpleNamespace(**{name: getattr(time, name) for name in dir(time)
                                     if not name.startswith("_")})
    clock.sleep = release_then_sleep
    monkeypatch.setattr(lease, "time", clock)
    code, _out, err = run_cli(capsys, "apply", str(spec), "--yes", "--lock-timeout", "20s")
    assert code == 0, err
    assert "lease: waiting up to 20s for the lease" in err
    assert len(_queues()) == 1
    assert lease.read(make_context()[0], KEY) is None  # and released after


def test_no_lock_applies_alongside_the_holder(other, spec, capsys):
    _held, holder = other
    code, _out, err = run_cli(capsys, "apply", str(spec), "--yes", "--no-lock")
    assert code == 0, err
    assert len(_queues()) == 1
    assert lease.read(make_context()[0], KEY).token == holder.token  # untouched


def test_destroy_takes_the_lease_too(other, spec, capsys):
    _held, holder = other
    code, _out, err = run_cli(capsys, "destroy", str(spec), "--yes")
    assert code == 1 and holder.who in err and "locked by another apply" in err


def test_plan_and_verify_need_no_lease(other, spec, capsys):
    assert run_cli(capsys, "plan", str(spec))[0] == 0
    assert run_cli(capsys, "verify", str(spec))[0] == 2  # drift: nothing applied yet


def test_the_lease_is_released_after_apply_and_after_a_failed_apply(moto, spec, capsys,
                                                                   monkeypatch):
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0
    aws = make_context()[0]
    assert lease.read(aws, KEY) is None

    from awsprov.engine import executor

    def crash(*_args, **_kwargs):
        raise RuntimeError("the network went away")

    monkeypatch.setattr(executor, "apply_plan", crash)
    write_spec(spec.parent, STACK + "  more: {name: leased-more}\n")
    code, _out, err = run_cli(capsys, "apply", str(spec), "--yes")
    assert code == 1 and "the network went away" in err
    assert lease.read(aws, KEY) is None


def test_the_lease_is_released_on_ctrl_c(moto, spec, capsys, monkeypatch):
    from awsprov.engine import executor

    def ctrl_c(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(executor, "apply_plan", ctrl_c)
    code, _out, _err = run_cli(capsys, "destroy", str(spec), "--yes")  # nothing to delete
    assert code == 0
    code, _out, err = run_cli(capsys, "apply", str(spec), "--yes")
    assert code == 130, err
    assert lease.read(make_context()[0], KEY) is None


def test_unlock_breaks_a_stale_lease_after_confirmation(other, spec, capsys):
    _held, holder = other
    code, out, err = run_cli(capsys, "unlock", "leased")  # no terminal to ask on
    assert code == 1 and "confirm with --yes" in err
    assert lease.read(make_context()[0], KEY) is not None
    code, out, err = run_cli(capsys, "unlock", "leased", "--yes")
    assert code == 0, err
    assert holder.who in err and out.strip() == 'lease of stack "leased" (region ' \
        'us-east-1) broken'
    assert lease.read(make_context()[0], KEY) is None
    assert run_cli(capsys, "apply", str(spec), "--yes")[0] == 0


def test_unlock_by_spec_path_with_json_output(other, spec, capsys):
    _held, holder = other
    code, out, _err = run_cli(capsys, "unlock", str(spec), "--yes", "--output", "json")
    doc = json.loads(out)
    check(doc, "unlock-output.schema.json")
    assert code == 0 and doc["broken"] is True and doc["stack"] == "leased"
    assert doc["lease"]["who"] == holder.who and doc["lease"]["pid"] == holder.pid


def test_unlock_with_no_lease_says_so_and_creates_nothing(moto, capsys):
    code, out, _err = run_cli(capsys, "unlock", "leased", "--env", "dev", "--output", "json")
    doc = json.loads(out)
    check(doc, "unlock-output.schema.json")
    assert (code, doc["broken"], doc["lease"], doc["env"]) == (0, False, None, "dev")
    assert boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"] == []


def test_a_bad_lock_timeout_is_a_usage_error(spec, capsys, monkeypatch):
    from tests.helpers import forbid_aws_clients

    asked = forbid_aws_clients(monkeypatch)
    code, _out, err = run_cli(capsys, "apply", str(spec), "--lock-timeout", "soon")
    assert code == 1 and "'soon' is not a duration" in err and asked == []


@pytest.mark.parametrize(("text", "seconds"), [("0", 0), ("0s", 0), ("30s", 30), ("5m", 300),
                                               ("1m30s", 90), ("1h", 3600), ("2.5", 2.5)])
def test_lock_timeout_reads_terraform_durations(text, seconds):
    from awsprov.cli.lease_cmd import parse_duration

    assert parse_duration(text) == seconds


def test_cost_estimate_notes_the_lease_outside_the_total(spec, capsys):
    code, out, _err = run_cli(capsys, "cost-estimate", str(spec), "--output", "json")
    doc = json.loads(out)
    check(doc, "cost-estimate-output.schema.json")
    assert code == 0 and any("awsprov-locks" in n for n in doc["notes"])
    code, out, _err = run_cli(capsys, "cost-estimate", str(spec))
    assert "note: apply and destroy hold a lease" in " ".join(out.split())


def test_iam_policy_includes_the_lease_for_apply(spec, capsys):
    code, out, _err = run_cli(capsys, "iam-policy", str(spec), "--account-id", "123456789012")
    sids = {s["Sid"] for s in json.loads(out)["Statement"]}
    assert code == 0 and "AwsprovApplyLease" in sids
    code, out, _err = run_cli(capsys, "iam-policy", str(spec), "--read-only")
    assert "AwsprovApplyLease" not in {s["Sid"] for s in json.loads(out)["Statement"]}
