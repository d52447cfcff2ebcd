"""Property: whatever sequence of spec edits (add, remove, rename, change a property, change
a reference), each followed by plan -> apply with or without --prune, live keeps exactly one
resource per address, nothing outside the spec is deleted unless --prune was given, nothing
holding data is deleted without its flag, and the next plan is empty apart from the orphans
kept. A small stack (queues, topics, log groups, a table, an alarm) against in-process moto,
fresh for every example."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import boto3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import make_context, thread_safe_moto, write_spec

REGION = "us-east-1"
STACK = "prop"
# address -> the values its one changeable property takes
SLOTS = {
    "queues.a": ("visibility_timeout", (30, 60, 90)),
    "queues.b": ("visibility_timeout", (30, 60, 90)),
    "topics.a": ("display_name", ("one", "two")),
    "topics.b": ("display_name", ("one", "two")),
    "log_groups.a": ("retention_days", (1, 7, 14)),
    "tables.a": ("hash_key", ("id",)),  # no property change: a new key is a replacement
    "alarms.a": ("threshold", (1, 2, 3)),
}


@dataclass(frozen=True)
class Resource:
    name: str
    value: object
    ref: str | None = None  # alarms: the topic address their action points at


def _body(address: str, res: Resource) -> str:
    section = address.split(".")[0]
    prop = SLOTS[address][0]
    if section == "tables":
        return f"{{name: {res.name}, hash_key: id, attributes: {{id: S}}}}"
    if section == "alarms":
        return (f"{{name: {res.name}, namespace: AWS/SQS, metric: ApproximateNumberOfMessages"
                f"Visible, threshold: {res.value}, actions: ['${{{res.ref}}}']}}")
    return f"{{name: {res.name}, {prop}: {res.value}}}"


def _spec_text(spec: dict[str, Resource]) -> str:
    lines = [f"stack: {STACK}", f"region: {REGION}"]
    for section in sorted({a.split(".")[0] for a in spec}):
        lines.append(f"{section}:")
        for address in sorted(a for a in spec if a.startswith(section + ".")):
            lines.append(f"  {address.split('.')[1]}: {_body(address, spec[address])}")
    return "\n".join(lines) + "\n"


# ---- what is live -----------------------------------------------------------------------------

_CLIENTS: dict[str, object] = {}


def _client(service: str):
    """One client per service and example (building clients is most of a step's time)."""
    if service not in _CLIENTS:
        _CLIENTS[service] = boto3.client(service, REGION)
    return _CLIENTS[service]


def _inventory() -> set[tuple[str, str]]:
    """(section, name) of everything live, of the five types."""
    sqs, sns, logs = _client("sqs"), _client("sns"), _client("logs")
    ddb, cloudwatch = _client("dynamodb"), _client("cloudwatch")
    found = {("queues", u.rsplit("/", 1)[-1]) for u in sqs.list_queues().get("QueueUrls", [])}
    found |= {("topics", t["TopicArn"].rsplit(":", 1)[-1]) for t in sns.list_topics()["Topics"]}
    found |= {("log_groups", g["logGroupName"])
              for g in logs.describe_log_groups()["logGroups"]}
    found |= {("tables", n) for n in ddb.list_tables()["TableNames"]}
    found |= {("alarms", a["AlarmName"])
              for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    return found


def _fill_queue(name: str) -> None:
    sqs = _client("sqs")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"], MessageBody="x")


# ---- edits ------------------------------------------------------------------------------------

def _referenced(spec: dict[str, Resource]) -> set[str]:
    return {r.ref for r in spec.values() if r.ref}


def _edits(spec: dict[str, Resource]) -> list[str]:
    topics = [a for a in spec if a.startswith("topics.")]
    edits = []
    if any(a not in spec and (not a.startswith("alarms.") or topics) for a in SLOTS):
        edits.append("add")
    if set(spec) - _referenced(spec):
        edits.append("remove")
    if spec:
        edits += ["rename", "change"]
    if "alarms.a" in spec and len(topics) > 1:
        edits.append("reference")
    return edits


def _apply_edit(data, spec: dict[str, Resource], names) -> dict[str, Resource]:
    spec = dict(spec)
    edit = data.draw(st.sampled_from(_edits(spec)), label="edit")
    topics = sorted(a for a in spec if a.startswith("topics."))
    if edit == "add":
        choices = sorted(a for a in SLOTS if a not in spec
                         and (not a.startswith("alarms.") or topics))
        address = data.draw(st.sampled_from(choices), label="add")
        ref = data.draw(st.sampled_from(topics)) if address.startswith("alarms.") else None
        spec[address] = Resource(next(names), SLOTS[address][1][0], ref)
    elif edit == "remove":
        address = data.draw(st.sampled_from(sorted(set(spec) - _referenced(spec))),
                            label="remove")
        del spec[address]
    elif edit == "rename":
        address = data.draw(st.sampled_from(sorted(spec)), label="rename")
        spec[address] = replace(spec[address], name=next(names))
    elif edit == "change":
        address = data.draw(st.sampled_from(sorted(spec)), label="change")
        spec[address] = replace(spec[address],
                                value=data.draw(st.sampled_from(SLOTS[address][1])))
    else:
        alarm = spec["alarms.a"]
        spec["alarms.a"] = replace(alarm, ref=data.draw(st.sampled_from(
            [t for t in topics if t != alarm.ref]), label="reference"))
    return spec


# ---- the property -----------------------------------------------------------------------------

def _step(tmp_path, ctx, spec: dict[str, Resource], prune: bool,
          holding: set[str]) -> None:
    stack = load_stack(write_spec(tmp_path, _spec_text(spec)))
    before = _inventory()
    wanted = {(a.split(".")[0], r.name) for a, r in spec.items()}
    result = make_plan(stack, ctx, RunOptions(prune=prune))
    assert set(result.plan.by_address()) == set(spec)
    report = apply_plan(stack, result, ctx, RunOptions(prune=prune))
    # The only failures allowed: orphans holding data (queues with messages) kept by the guard.
    for outcome in report.failures:
        assert outcome.key != outcome.address and outcome.key.split("#", 1)[1] in holding, \
            (outcome.key, outcome.message)
    live = _inventory()
    guarded = {(s, n) for s, n in before - wanted if s == "queues" and n in holding}
    expected = (wanted | guarded) if prune else (before | wanted)
    assert live == expected, {"missing": expected - live, "extra": live - expected}

    again = make_plan(stack, ctx, RunOptions(prune=prune))
    entries = [c for c in again.plan.changes if not c.orphan]
    assert sorted(c.address for c in entries) == sorted(spec)  # one entry per address
    assert [c.address for c in entries if c.is_change] == []
    assert all(again.resources[c.key].live is not None for c in entries)
    orphans = {(c.section, c.name) for c in again.plan.changes if c.orphan}
    assert orphans == live - wanted
    if prune:
        assert {c.action for c in again.plan.changes if c.orphan} <= {Action.REFUSED}


@settings(max_examples=16, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_edits_then_apply_keep_one_resource_per_address(tmp_path, data):
    thread_safe_moto()
    names = (f"prop-{n}" for n in itertools.count(1))
    start = data.draw(st.sets(st.sampled_from(sorted(a for a in SLOTS if "alarms" not in a)),
                              min_size=1, max_size=4), label="start")
    spec = {a: Resource(next(names), SLOTS[a][1][0]) for a in sorted(start)}
    holding: set[str] = set()
    _CLIENTS.clear()
    with mock_aws():
        ctx, _log = make_context(REGION)
        _step(tmp_path, ctx, spec, False, holding)
        for _ in range(data.draw(st.integers(1, 3), label="steps")):
            queues = sorted(r.name for a, r in spec.items() if a.startswith("queues."))
            if queues and data.draw(st.booleans(), label="fill a queue"):
                name = data.draw(st.sampled_from(queues))
                _fill_queue(name)
                holding.add(name)
            spec = _apply_edit(data, spec, names)
            _step(tmp_path, ctx, spec, data.draw(st.booleans(), label="prune"), holding)
