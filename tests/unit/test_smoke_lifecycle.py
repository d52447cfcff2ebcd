"""A first end-to-end pass through the engine against in-process moto."""

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec

SPEC = """
stack: smoke
region: us-east-1
tables:
  vendors:
    name: VendorsTable
    hash_key: id
    attributes: {id: S}
"""


def test_create_then_no_op_with_zero_writes(aws, tmp_path):
    ctx, log = aws
    stack = load_stack(write_spec(tmp_path, SPEC))
    result = make_plan(stack, ctx, RunOptions())
    assert [c.action for c in result.plan.changes] == [Action.CREATE]
    report = apply_plan(stack, result, ctx, RunOptions())
    assert not report.failures
    log.clear()
    again = make_plan(stack, ctx, RunOptions())
    assert not again.plan.has_changes
    assert log.writes == []
