"""SQS's deletion lag, injected into moto's backend in-process: after DeleteQueue a queue
stays visible (GetQueueUrl, GetQueueAttributes answer) for up to 60 s (DeleteQueue, API
reference; moto forgets it at once: KNOWN_EMULATOR_GAPS). A destroy or prune must not
report done while a plan right after would still see the queue."""

from __future__ import annotations

import time

import pytest

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_destroy_plan, make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec

VISIBLE_S = 0.5  # the model's lag (AWS: up to 60 s)

SPEC = """
stack: lag
region: us-east-1
queues:
  jobs:
    name: lag-jobs
"""


@pytest.fixture
def deletion_lag(moto, monkeypatch):
    from moto.sqs.models import SQSBackend

    ghosts: dict[str, tuple[object, float]] = {}
    get_queue, delete_queue = SQSBackend.get_queue, SQSBackend.delete_queue

    def delete(self, queue_name):
        queue = get_queue(self, queue_name)
        delete_queue(self, queue_name)
        ghosts[queue_name] = (queue, time.monotonic() + VISIBLE_S)

    def get(self, queue_name):
        ghost = ghosts.get(queue_name)
        if queue_name not in self.queues and ghost and ghost[1] > time.monotonic():
            return ghost[0]
        return get_queue(self, queue_name)

    monkeypatch.setattr(SQSBackend, "delete_queue", delete)
    monkeypatch.setattr(SQSBackend, "get_queue", get)
    return ghosts


def test_a_plan_right_after_destroy_does_not_see_the_deleted_queue(aws, deletion_lag,
                                                                   tmp_path):
    ctx, _ = aws
    stack = load_stack(write_spec(tmp_path, SPEC))
    report = apply_plan(stack, make_plan(stack, ctx, RunOptions()), ctx, RunOptions())
    assert report.failures == []
    destroy = make_destroy_plan(stack, ctx, RunOptions())
    report = apply_plan(stack, destroy, ctx, RunOptions(prune=True))
    assert report.failures == [], report.failures
    assert "lag-jobs" in deletion_lag
    # right after: the queue is to be created again, not "unchanged"
    again = make_plan(stack, ctx, RunOptions())
    assert [c.action for c in again.plan.changes] == [Action.CREATE]
