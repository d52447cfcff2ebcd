"""The stack's tag index (GetResources by the stack's tag): one query while it takes at
most two pages; past that, for a stack of several types, the rest is read by type, one
paginated call per type filter, started together, instead of one serial chain of pages.
(moto pages at 100 tags; each resource here carries one.)"""

from __future__ import annotations

import threading

import boto3

from awsprov.engine import planner
from awsprov.resources import registry

STACK = "split"
TAG = {"awsprov:stack": STACK}
PATIENCE_S = 10  # only a failing run waits this long


def _record_get_resources(ctx) -> list[tuple[tuple[str, ...], str]]:
    calls: list[tuple[tuple[str, ...], str]] = []  # (type filters, thread)
    lock = threading.Lock()

    def record(params=None, **_):
        with lock:
            calls.append((tuple(params["ResourceTypeFilters"]),
                          threading.current_thread().name))

    client = ctx.client("resourcegroupstaggingapi")
    client.meta.events.register("provide-client-params.*.GetResources", record)
    return calls


def _make(queues: int, topics: int) -> set[str]:
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    arns = set()
    for i in range(queues):
        url = sqs.create_queue(QueueName=f"split-q{i}", tags=TAG)["QueueUrl"]
        arns.add(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
                 ["Attributes"]["QueueArn"])
    for i in range(topics):
        arns.add(sns.create_topic(Name=f"split-t{i}", Tags=[
            {"Key": "awsprov:stack", "Value": STACK}])["TopicArn"])
    return arns


def _filters() -> tuple[str, ...]:
    return tuple(sorted({t.tagging_type for t in registry.all_types().values()
                         if t.taggable}))


def test_one_page_is_one_call(aws):
    ctx, _log = aws
    arns = _make(3, 3)
    calls = _record_get_resources(ctx)
    assert set(dict(planner._tagged_with_stack(ctx, STACK, registry.all_types()))) == arns
    assert [filters for filters, _thread in calls] == [_filters()]


def test_two_pages_are_two_calls(aws):
    ctx, _log = aws
    arns = _make(80, 80)
    calls = _record_get_resources(ctx)
    assert set(dict(planner._tagged_with_stack(ctx, STACK, registry.all_types()))) == arns
    assert [filters for filters, _thread in calls] == [_filters(), _filters()]


def test_more_than_a_page_is_read_by_type_at_once(aws):
    ctx, _log = aws
    arns = _make(120, 120)  # 240 tagged: more than the two pages of 100
    calls = _record_get_resources(ctx)
    found = dict(planner._tagged_with_stack(ctx, STACK, registry.all_types()))
    assert set(found) == arns and found[min(arns)] == TAG
    assert [c[0] for c in calls[:2]] == [_filters()] * 2  # the first two pages, every type
    by_type = sorted(filters for filters, _thread in calls[2:])
    # one query per type filter (sqs and sns page on), each started in its own thread
    assert {f for (f,) in by_type} == set(_filters())
    assert by_type.count(("sqs",)) >= 1 and by_type.count(("sns",)) >= 1


def test_the_types_are_read_at_the_same_time(aws):
    ctx, _log = aws
    _make(120, 120)
    started = {"sqs": threading.Event(), "sns": threading.Event()}
    met: list[bool] = []

    def meet(params=None, **_):
        """The first sqs and sns queries each wait for the other to start: read one
        after the other, the first would wait in vain."""
        filters = params["ResourceTypeFilters"]
        if len(filters) == 1 and filters[0] in started and not started[filters[0]].is_set():
            mine, other = filters[0], ({"sqs", "sns"} - {filters[0]}).pop()
            started[mine].set()
            met.append(started[other].wait(PATIENCE_S))

    client = ctx.client("resourcegroupstaggingapi")
    client.meta.events.register("provide-client-params.*.GetResources", meet)
    assert len(dict(planner._tagged_with_stack(ctx, STACK, registry.all_types()))) == 240
    assert met == [True, True]


def test_a_stack_of_one_type_pages_on_as_one_query(aws):
    ctx, _log = aws
    _make(240, 0)
    calls = _record_get_resources(ctx)
    assert len(dict(planner._tagged_with_stack(ctx, STACK, registry.all_types()))) == 240
    assert {filters for filters, _thread in calls} == {_filters()} and len(calls) == 3
