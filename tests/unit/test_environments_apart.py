"""Two environments of one stack in one region keep apart (the awsprov:env tag).

Without the env tag, `plan --env dev` would list every prod resource as an orphan of the
stack, and `apply --prune` would delete what it could of prod.
"""

from __future__ import annotations

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.resources import tags as tagging
from awsprov.spec.loader import load_stack
from tests.helpers import make_context, write_spec

SPEC = """
stack: apart
region: us-east-1
environments:
  dev: {}
  prod: {}
tables:
  orders:
    name: orders-${env}
    hash_key: id
    attributes: {id: S}
"""

SHARED_NAME = """
stack: apart
region: us-east-1
environments:
  dev: {}
  prod: {}
tables:
  orders:
    name: orders-shared
    hash_key: id
    attributes: {id: S}
"""


def _apply(path, env):
    stack = load_stack(path, env=env)
    ctx, _ = make_context("us-east-1")
    result = make_plan(stack, ctx, RunOptions(prune=True))
    report = apply_plan(stack, result, ctx, RunOptions(prune=True))
    assert report.failures == []
    return stack, ctx


def test_each_environment_sees_only_its_own_resources(moto, tmp_path):
    path = write_spec(tmp_path, SPEC)
    _apply(path, "dev")
    _apply(path, "prod")
    for env in ("dev", "prod"):
        stack = load_stack(path, env=env)
        ctx, _log = make_context("us-east-1")
        plan = make_plan(stack, ctx, RunOptions(prune=True)).plan
        assert [c.address for c in plan.changes if c.orphan] == []
        assert not plan.has_changes
    live = ctx.client("dynamodb").list_tags_of_resource(
        ResourceArn=ctx.arn("dynamodb", "table/orders-prod"))["Tags"]
    assert tagging.as_dict(live)[tagging.ENV_TAG] == "prod"


def test_a_resource_of_another_environment_is_refused_not_taken(moto, tmp_path):
    path = write_spec(tmp_path, SHARED_NAME)
    _apply(path, "dev")
    stack = load_stack(path, env="prod")
    ctx, _ = make_context("us-east-1")
    change = make_plan(stack, ctx, RunOptions()).plan.by_address()["tables.orders"]
    assert change.action is Action.REFUSED
    assert "environment 'dev'" in change.reason
    forced = make_plan(stack, ctx, RunOptions(force_adopt=True)).plan
    assert forced.by_address()["tables.orders"].action is Action.ADOPT
