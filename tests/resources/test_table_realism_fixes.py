"""The table fixes under the realism layer (tests/realism): AWS's indexed-table CREATING
limit and its table states (CREATING/UPDATING refuse DeleteTable), with botocore's own
retries off so that only awsprov's handling carries the apply."""

from __future__ import annotations

import pytest

from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import make_context, write_spec
from tests.realism import Realism, activate


def _only(*names: str) -> Realism:
    everything = {b.name for b in Realism().table}
    return Realism(off=frozenset(everything - set(names)))


@pytest.fixture
def layer(moto, monkeypatch, request):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    realism = _only(*request.param)
    previous = activate(realism)
    yield realism, make_context("us-east-1")
    activate(previous)


def _apply(ctx, tmp_path, text: str, **options):
    stack = load_stack(write_spec(tmp_path, text))
    report = apply_plan(stack, make_plan(stack, ctx, RunOptions()), ctx, RunOptions(**options))
    assert report.failures == [], report.failures
    return stack


def _indexed(count: int) -> str:
    return "stack: rl\nregion: us-east-1\ntables:" + "".join(f"""
  t{i}:
    name: rl-{i}
    hash_key: id
    attributes: {{id: S, g: S}}
    global_indexes:
      by-g: {{hash_key: g}}
""" for i in range(count))


@pytest.mark.parametrize("layer", [("dynamodb.indexed-table-creating-limit",
                                    "dynamodb.table-states")], indirect=True)
def test_many_indexed_tables_converge_under_the_creating_limit(layer, tmp_path):
    realism, (ctx, _) = layer
    stack = _apply(ctx, tmp_path, _indexed(5))
    assert realism["dynamodb.indexed-table-creating-limit"].fired > 0  # the limit was hit
    assert not make_plan(stack, ctx, RunOptions()).plan.has_changes


@pytest.mark.parametrize("layer", [("dynamodb.table-states",)], indirect=True)
def test_replacement_right_after_an_update_waits_for_active(layer, tmp_path):
    realism, (ctx, _) = layer
    spec = "stack: rl\nregion: us-east-1\ntables:\n  t:\n    name: rl-t\n    hash_key: id\n" \
           "    attributes: {id: S}\n"
    _apply(ctx, tmp_path, spec)
    # a change someone else started: the table is UPDATING when the replacement runs
    ctx.client("dynamodb").update_table(TableName="rl-t", DeletionProtectionEnabled=False)
    _apply(ctx, tmp_path, spec.replace("{id: S}", "{id: N}"), allow_replace=True)
    assert realism["dynamodb.table-states"].fired > 0
