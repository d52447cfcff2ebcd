"""Ctrl-C during apply (no new resource starts, the message names what was done and what
was not, exit 130) and the heartbeat of long waits ("still creating… [1m10s elapsed]")."""

from __future__ import annotations

import dataclasses
import signal
import threading
import time

import pytest

from awsprov.aws.waiters import (
    WaitAbandoned,
    WaitPolicy,
    Watch,
    elapsed_text,
    retry_when,
    wait_until,
    watching,
)
from awsprov.core.run import RunOptions
from awsprov.engine.executor import Interrupted, Reporter, apply_plan
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec

SPEC = """
stack: ctrlc
region: us-east-1
tables:
  a: {name: ctrlc-a, hash_key: id, attributes: {id: S}}
  b: {name: ctrlc-b, hash_key: id, attributes: {id: S}}
  c: {name: ctrlc-c, hash_key: id, attributes: {id: S}}
alarms:
  throttles:
    name: ctrlc-a-throttles
    namespace: AWS/DynamoDB
    metric: ThrottledRequests
    dimensions: {TableName: "${tables.a.name}"}
    statistic: Sum
    threshold: 0
    comparison: ">"
"""


class CtrlCWhenStarting(Reporter):
    """Sends this process a real SIGINT when `address` starts, as a terminal's Ctrl-C does."""

    def __init__(self, address: str):
        self.address = address
        self.started_addresses: list[str] = []

    def started(self, change) -> None:
        self.started_addresses.append(change.address)
        if change.address == self.address:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            time.sleep(0.5)  # the main thread takes the interrupt before this one finishes


def test_ctrl_c_starts_nothing_more_and_names_done_and_not_done(aws, tmp_path):
    ctx, log = aws
    stack = load_stack(write_spec(tmp_path, SPEC))
    result = make_plan(stack, ctx, RunOptions())
    reporter = CtrlCWhenStarting("tables.b")
    with pytest.raises(Interrupted) as caught:
        apply_plan(stack, result, ctx, RunOptions(parallelism=1), reporter)
    interrupted = caught.value
    assert interrupted.exit_code == 130
    # b was in flight: its calls finished; c (queued) and the alarm (next batch) never began
    assert reporter.started_addresses == ["tables.a", "tables.b"]
    assert [o.address for o in interrupted.report.done] == ["tables.a", "tables.b"]
    assert interrupted.not_started == ["tables.c", "alarms.throttles"]
    message = str(interrupted).splitlines()
    assert "done: tables.a, tables.b" in message
    assert "not started: tables.c, alarms.throttles" in message
    assert message[-1] == "run apply again to converge"
    assert log.count()["CreateTable"] == 2 and "PutMetricAlarm" not in log.writes


def test_the_run_after_an_interrupt_does_the_rest(aws, tmp_path):
    ctx, _log = aws
    stack = load_stack(write_spec(tmp_path, SPEC))
    with pytest.raises(Interrupted) as caught:
        apply_plan(stack, make_plan(stack, ctx, RunOptions()), ctx,
                   RunOptions(parallelism=1), CtrlCWhenStarting("tables.a"))
    assert [o.address for o in caught.value.report.done] == ["tables.a"]
    again = make_plan(stack, ctx, RunOptions())
    assert [c.address for c in again.plan.changes if c.is_change] == [
        "tables.b", "tables.c", "alarms.throttles"]
    report = apply_plan(stack, again, ctx, RunOptions())
    assert report.failures == []
    assert not make_plan(stack, ctx, RunOptions()).plan.has_changes


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_long_wait_says_it_is_still_going_every_interval():
    clock = FakeClock()
    said: list[str] = []
    polls = iter(range(20))

    def read() -> int:
        clock.now += 5  # each poll takes 5 s of the fake clock
        return next(polls)

    watch = Watch(said.append, "creating", interval=10, clock=clock)
    with watching(watch):
        wait_until(read, lambda n: n == 14, "table ACTIVE", WaitPolicy(delay=0))
    assert said == [f"still creating… [{t}s elapsed] (waiting for table ACTIVE)"
                    for t in (10, 20, 30, 40, 50)] + [
        f"still creating… [1m{t}s elapsed] (waiting for table ACTIVE)" for t in (0, 10)]


def test_retries_say_it_too():
    from botocore.exceptions import ClientError

    clock = FakeClock()
    said: list[str] = []
    calls = iter(range(5))

    def call() -> str:
        clock.now += 10
        if next(calls) < 3:
            raise ClientError({"Error": {"Code": "Busy", "Message": "later"}}, "Op")
        return "ok"

    with watching(Watch(said.append, "deleting", interval=10, clock=clock)):
        assert retry_when(call, ("Busy",), "the name to be free", WaitPolicy(delay=0)) == "ok"
    assert said == [f"still deleting… [{t}s elapsed] (waiting for the name to be free)"
                    for t in (10, 20, 30)]


def test_no_heartbeat_outside_an_apply_and_none_for_short_waits():
    said: list[str] = []
    polls = iter(range(3))
    wait_until(lambda: next(polls), lambda n: n == 2, "x", WaitPolicy(delay=0))
    with watching(Watch(said.append, "creating", interval=10)):
        polls = iter(range(3))
        wait_until(lambda: next(polls), lambda n: n == 2, "x", WaitPolicy(delay=0))
    assert said == []


def test_a_pending_wait_is_abandoned_at_once_when_apply_is_stopped():
    stop = threading.Event()
    watch = Watch(lambda _: None, "creating", stop)
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    with watching(watch), pytest.raises(WaitAbandoned, match="waiting for table ACTIVE"):
        wait_until(lambda: "CREATING", lambda s: s == "ACTIVE", "table ACTIVE",
                   WaitPolicy(delay=30))
    assert time.monotonic() - started < 5  # not the 30 s poll delay


def test_a_wait_already_done_when_stopped_is_not_abandoned():
    stop = threading.Event()
    stop.set()
    with watching(Watch(lambda _: None, "creating", stop)):
        assert wait_until(lambda: "ACTIVE", lambda s: s == "ACTIVE", "x",
                          WaitPolicy(delay=30)) == "ACTIVE"


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (9.9, "9s"), (70, "1m10s"),
                                               (3723, "1h2m3s")])
def test_elapsed_reads_as_terraform_writes_it(seconds, text):
    assert elapsed_text(seconds) == text


class Steps(Reporter):
    def __init__(self) -> None:
        self.steps: list[tuple[str, str]] = []

    def step(self, address: str, message: str) -> None:
        self.steps.append((address, message))


QUEUE = """
stack: beat
region: us-east-1
queues:
  work: {name: beat-work, visibility_timeout: VT}
"""


def test_apply_passes_heartbeats_of_a_resource_wait_to_the_reporter(aws, tmp_path):
    ctx, _log = aws
    first = load_stack(write_spec(tmp_path, QUEUE.replace("VT", "30")))
    apply_plan(first, make_plan(first, ctx, RunOptions()), ctx, RunOptions())
    changed = load_stack(write_spec(tmp_path, QUEUE.replace("VT", "60")))
    every_pause = dataclasses.replace(ctx, wait=WaitPolicy(delay=0.01, timeout=10,
                                                           heartbeat=0))
    reporter = Steps()
    report = apply_plan(changed, make_plan(changed, every_pause, RunOptions()), every_pause,
                        RunOptions(), reporter)
    assert report.failures == []
    beats = [m for a, m in reporter.steps if m.startswith("still ")]
    assert beats and all(a == "queues.work" for a, m in reporter.steps if m in beats)
    assert beats[0] == ("still updating… [0s elapsed] "
                        "(waiting for beat-work: attributes applied)")
