"""The lost-answer sweep: every write an apply, an update apply and a destroy send, for a
stack holding every type, has its answer dropped once after the write took effect.

The list of writes is not written down: it is recorded, at collection time, from clean
runs of the three scenarios in in-process moto (tests/lost_answers.py drops the answers),
so a write a type starts to send is swept without anyone adding it here.

After each lost answer (botocore resends the call, as on AWS), that same apply must
succeed and leave the stack converged: a fresh plan is empty and sends no write, and
every address has exactly one resource (no second key); a destroy leaves nothing live.
"""

from __future__ import annotations

import functools
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws

from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_destroy_plan, make_plan
from awsprov.spec.loader import load_stack
from tests.cli.kill9 import assert_exactly_one_of_everything
from tests.helpers import (
    honour_create_bucket_tags,
    keep_queue_policy_on_set_attributes,
    make_context,
    thread_safe_moto,
)
from tests.lost_answers import LoseAnswer, index_changes_refused_as_on_aws, no_retry_backoff

SPECS = Path(__file__).parent.parent / "cli" / "specs"
V1, V2 = SPECS / "kill9.yaml", SPECS / "kill9-v2.yaml"  # every type; V2 changes each
TOKENS = {V1: "sweep-token-value", V2: "sweep-token-value-v2"}
SCENARIOS = ("create", "update", "destroy")


def _destroyable(folder: Path) -> Path:
    """kill9.yaml without the queue policy naming the topic: destroy refuses that stack
    (the topic subscribes the queue, the queue's policy names the topic: a cycle)."""
    document = yaml.safe_load(V1.read_text(encoding="utf-8"))
    del document["queues"]["work"]["policy"]
    path = folder / "destroyable.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


DESTROYABLE = _destroyable(Path(tempfile.mkdtemp(prefix="awsprov-sweep-")))
TOKENS[DESTROYABLE] = TOKENS[V1]


@dataclass(frozen=True)
class LostCall:
    scenario: str
    operation: str
    nth: int

    def __str__(self) -> str:
        return f"{self.scenario}-{self.operation}#{self.nth}"


def _run(scenario: str, step: str, monkeypatch, hook: LoseAnswer | None = None):
    """One apply (or destroy) of the scenario's `step`: "setup" brings moto to the state the
    scenario starts from, "swept" is the run whose answer is lost. Returns (report, log)."""
    spec = _spec(scenario, step)
    monkeypatch.setenv("KILLTEST_API_TOKEN", TOKENS[spec])
    stack = load_stack(spec)
    ctx, log = make_context()
    if hook is not None:
        hook.install(ctx.clients)
    if scenario == "destroy" and step == "swept":
        result = make_destroy_plan(stack, ctx, RunOptions(parallelism=1))
        options = RunOptions(parallelism=1, prune=True)
    else:
        result = make_plan(stack, ctx, RunOptions(parallelism=1))
        options = RunOptions(parallelism=1, allow_data_loss=True)
    return apply_plan(stack, result, ctx, options), log


def _spec(scenario: str, step: str) -> Path:
    if scenario == "destroy":
        return DESTROYABLE
    return V2 if scenario == "update" and step == "swept" else V1


def _emulator_like_aws(monkeypatch) -> None:
    thread_safe_moto()
    honour_create_bucket_tags(monkeypatch)
    keep_queue_policy_on_set_attributes(monkeypatch)
    index_changes_refused_as_on_aws(monkeypatch)


def _start(scenario: str, monkeypatch) -> None:
    if scenario in ("update", "destroy"):
        report, _ = _run(scenario, "setup", monkeypatch)
        assert report.failures == []


@functools.cache
def recorded_writes(scenario: str) -> list[LostCall]:
    """Every write of a clean run of the scenario, each with its occurrence number."""
    monkeypatch = pytest.MonkeyPatch()
    try:
        _emulator_like_aws(monkeypatch)
        with mock_aws():
            _start(scenario, monkeypatch)
            report, log = _run(scenario, "swept", monkeypatch)
            assert report.failures == [], [(o.address, o.message) for o in report.failures]
    finally:
        monkeypatch.undo()
    seen: Counter = Counter()
    calls = []
    for operation in log.writes:
        seen[operation] += 1
        calls.append(LostCall(scenario, operation, seen[operation]))
    return calls


def pytest_generate_tests(metafunc):
    if "lost" in metafunc.fixturenames:
        calls = [call for scenario in SCENARIOS for call in recorded_writes(scenario)]
        metafunc.parametrize("lost", calls, ids=str)


@pytest.fixture
def moto_like_aws(monkeypatch):
    _emulator_like_aws(monkeypatch)
    no_retry_backoff(monkeypatch)
    with mock_aws():
        yield


def test_a_lost_answer_converges_in_the_same_apply(lost: LostCall, moto_like_aws,
                                                   monkeypatch):
    _start(lost.scenario, monkeypatch)
    hook = LoseAnswer(lost.operation, lost.nth)
    report, _ = _run(lost.scenario, "swept", monkeypatch, hook)
    assert hook.lost == [lost.operation], "the answer was not dropped"
    assert report.failures == [], [(o.address, o.message) for o in report.failures]
    if lost.scenario == "destroy":
        _assert_nothing_live(monkeypatch)
    else:
        _assert_converged(lost.scenario, monkeypatch)


def _assert_converged(scenario: str, monkeypatch) -> None:
    spec = _spec(scenario, "swept")
    monkeypatch.setenv("KILLTEST_API_TOKEN", TOKENS[spec])
    ctx, log = make_context()
    again = make_plan(load_stack(spec), ctx, RunOptions())
    changes = [c.address for c in again.plan.changes if c.is_change]
    assert changes == [], [a.to_json() for c in again.plan.changes for a in c.attributes]
    assert log.writes == []
    # One key (tagged keys.x, the alias on it), one secret holding this run's value, one
    # subscription, and exactly the tables, buckets, queues, topics, ... the spec names.
    assert_exactly_one_of_everything(TOKENS[spec])


def _assert_nothing_live(monkeypatch) -> None:
    ctx, _ = make_context()
    again = make_plan(load_stack(DESTROYABLE), ctx, RunOptions())
    left = [c.address for c in again.plan.changes if c.action.value not in ("create", "restore")]
    assert left == []
    assert _live_keys() == 0


def _live_keys() -> int:
    """Customer managed keys not pending deletion: each address must have one."""
    kms = boto3.client("kms", region_name="us-east-1")
    states = [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
              for k in kms.list_keys()["Keys"]]
    return sum(1 for m in states if m["KeyManager"] == "CUSTOMER"
               and m["KeyState"] not in ("PendingDeletion", "PendingReplicaDeletion"))


def test_the_sweep_covers_every_type_s_create_update_and_delete():
    """The recording found the calls it must (else the sweep would silently shrink)."""
    operations = {(c.scenario, c.operation) for s in SCENARIOS for c in recorded_writes(s)}
    for create in ("CreateKey", "CreateAlias", "CreateTable", "CreateBucket", "CreateSecret",
                   "CreateTopic", "Subscribe", "CreateQueue", "CreateLogGroup",
                   "PutMetricAlarm", "PutDashboard"):
        assert ("create", create) in operations
    for update in ("UpdateTable", "PutSecretValue", "SetQueueAttributes", "PutDashboard"):
        assert ("update", update) in operations
    for delete in ("ScheduleKeyDeletion", "DeleteTable", "DeleteBucket", "DeleteSecret",
                   "DeleteTopic", "DeleteQueue", "DeleteLogGroup", "DeleteAlarms",
                   "DeleteDashboards"):
        assert ("destroy", delete) in operations
