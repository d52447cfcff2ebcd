"""Apply schedules by dependency, not by layer: a resource starts as soon as what it
depends on is done, never waiting for the slowest resource of its layer; a failure skips
only its dependents; --parallelism bounds what runs at once. The AWS writes are replaced by
a fake `_execute` that records events, so the tests observe order, not timings."""

from __future__ import annotations

import threading

import pytest

from awsprov.core.run import RunOptions
from awsprov.engine import executor
from awsprov.engine.executor import Reporter, apply_plan
from awsprov.engine.planner import make_plan
from awsprov.errors import AwsprovError
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec

PATIENCE_S = 10  # how long a fake write waits for an event before giving up (never, if right)


def _alarm(logical: str, table: str) -> str:
    return f"""
  {logical}:
    name: rq-{logical}
    namespace: AWS/DynamoDB
    metric: ThrottledRequests
    dimensions: {{TableName: "${{tables.{table}.name}}"}}
    statistic: Sum
    threshold: 0
    comparison: ">"
"""


def _spec(tables: list[str], alarms: dict[str, str]) -> str:
    lines = ["stack: readyq", "region: us-east-1", "tables:"]
    lines += [f"  {t}: {{name: rq-{t}, hash_key: id, attributes: {{id: S}}}}" for t in tables]
    text = "\n".join(lines) + "\n"
    if alarms:
        text += "alarms:" + "".join(_alarm(a, t) for a, t in alarms.items())
    return text


class Events:
    """What the fake writes saw, in order, under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: list[str] = []
        self.started = {}
        self.running = 0
        self.most_running = 0

    def started_event(self, address: str) -> threading.Event:
        with self.lock:
            return self.started.setdefault(address, threading.Event())

    def begin(self, address: str) -> None:
        with self.lock:
            self.log.append(f"start {address}")
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        self.started_event(address).set()

    def end(self, address: str) -> None:
        with self.lock:
            self.log.append(f"end {address}")
            self.running -= 1


def fake_writes(monkeypatch, events: Events, behaviour: dict) -> None:
    """`_execute` replaced: each resource logs its start and end; `behaviour[address]`,
    if any, runs between them (waits for an event, or raises)."""

    def execute(_stack, change, *_rest) -> None:
        events.begin(change.address)
        try:
            action = behaviour.get(change.address)
            if action is not None:
                action()
        finally:
            events.end(change.address)

    monkeypatch.setattr(executor, "_execute", execute)


def _plan(aws, tmp_path, text: str):
    ctx, _log = aws
    stack = load_stack(write_spec(tmp_path, text))
    return stack, make_plan(stack, ctx, RunOptions()), ctx


def test_a_resource_starts_when_its_dependency_ends_not_when_its_layer_does(
        aws, tmp_path, monkeypatch):
    # a (slow) and b share the first layer; c depends on b only
    stack, result, ctx = _plan(aws, tmp_path, _spec(["a", "b"], {"c": "b"}))
    assert result.order == [["tables.a", "tables.b"], ["alarms.c"]]
    events = Events()
    c_started = events.started_event("alarms.c")
    saw_c_start: list[bool] = []
    fake_writes(monkeypatch, events,
                {"tables.a": lambda: saw_c_start.append(c_started.wait(PATIENCE_S))})
    report = apply_plan(stack, result, ctx, RunOptions(parallelism=2))
    assert report.failures == []
    assert saw_c_start == [True]  # a was still running when c started
    log = events.log
    assert log.index("end tables.b") < log.index("start alarms.c") < log.index("end tables.a")


def test_a_failure_skips_only_what_depends_on_it(aws, tmp_path, monkeypatch):
    stack, result, ctx = _plan(aws, tmp_path,
                               _spec(["a", "b"], {"on_a": "a", "on_b": "b"}))
    events = Events()
    on_b_started = events.started_event("alarms.on_b")

    def fail_once_on_b_started() -> None:
        on_b_started.wait(PATIENCE_S)
        raise AwsprovError("boom")

    fake_writes(monkeypatch, events, {"tables.a": fail_once_on_b_started})
    report = apply_plan(stack, result, ctx, RunOptions(parallelism=4))
    outcomes = {o.address: (o.ok, o.message) for o in report.outcomes}
    assert outcomes["tables.a"] == (False, "boom")
    assert outcomes["alarms.on_a"] == (False, "skipped: depends on tables.a, which failed")
    assert outcomes["tables.b"] == (True, "") and outcomes["alarms.on_b"] == (True, "")
    assert "start alarms.on_a" not in events.log
    # on_b did not wait for a (its layer sibling's dependency) to fail first
    assert events.log.index("start alarms.on_b") < events.log.index("end tables.a")


def test_parallelism_bounds_what_runs_at_once(aws, tmp_path, monkeypatch):
    tables = [f"t{i}" for i in range(6)]
    stack, result, ctx = _plan(aws, tmp_path, _spec(tables, {"on_t0": "t0"}))
    events = Events()
    together = threading.Barrier(2, timeout=PATIENCE_S)  # each table overlaps another
    fake_writes(monkeypatch, events, {f"tables.{t}": together.wait for t in tables})
    report = apply_plan(stack, result, ctx, RunOptions(parallelism=2))
    assert report.failures == []
    assert len(report.outcomes) == 7
    assert events.most_running == 2


def test_parallelism_one_runs_in_plan_order(aws, tmp_path, monkeypatch):
    stack, result, ctx = _plan(aws, tmp_path, _spec(["a", "b", "c"], {"on_a": "a"}))
    events = Events()
    fake_writes(monkeypatch, events, {})
    apply_plan(stack, result, ctx, RunOptions(parallelism=1))
    assert [e for e in events.log if e.startswith("start")] == [
        "start tables.a", "start tables.b", "start tables.c", "start alarms.on_a"]
    assert events.most_running == 1


class Waits(Reporter):
    def __init__(self) -> None:
        self.waits: list[tuple[str, list[str]]] = []

    def waiting(self, change, on: list[str]) -> None:
        self.waits.append((change.address, on))


@pytest.mark.parametrize("parallelism", [1, 4])
def test_progress_says_what_waits_on_what(aws, tmp_path, monkeypatch, parallelism):
    stack, result, ctx = _plan(aws, tmp_path, _spec(["a", "b"], {"on_a": "a"}))
    fake_writes(monkeypatch, Events(), {})
    reporter = Waits()
    apply_plan(stack, result, ctx, RunOptions(parallelism=parallelism), reporter)
    assert reporter.waits == [("alarms.on_a", ["tables.a"])]
