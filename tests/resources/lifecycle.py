"""Shared steps of the lifecycle tests: converge, plan, drift, destroy."""

from __future__ import annotations

from pathlib import Path

from awsprov.core.changes import Action
from awsprov.core.run import RunOptions
from awsprov.engine.executor import apply_plan
from awsprov.engine.planner import PlanResult, make_destroy_plan, make_plan
from awsprov.engine.verify import verify
from awsprov.spec.loader import load_stack
from awsprov.spec.model import Stack
from tests.helpers import write_spec


def load(tmp_path: Path, text: str, env: str | None = None) -> Stack:
    return load_stack(write_spec(tmp_path, text), env=env)


def plan(ctx, stack: Stack) -> PlanResult:
    return make_plan(stack, ctx, RunOptions())


def changed(result: PlanResult) -> dict[str, Action]:
    return {c.address: c.action for c in result.plan.changes if c.is_change}


def paths(result: PlanResult, address: str) -> set[str]:
    return {a.path for a in result.plan.by_address()[address].attributes}


def apply(ctx, stack: Stack, **options) -> PlanResult:
    result = plan(ctx, stack)
    report = apply_plan(stack, result, ctx, RunOptions(**options))
    assert report.failures == [], [(o.address, o.message) for o in report.failures]
    return result


def converge(ctx, log, tmp_path: Path, text: str) -> Stack:
    """Apply the spec, then prove a second plan is empty and makes no write call."""
    stack = load(tmp_path, text)
    apply(ctx, stack)
    assert_converged(ctx, log, stack)
    return stack


def assert_converged(ctx, log, stack: Stack) -> None:
    log.clear()
    again = plan(ctx, stack)
    assert changed(again) == {}, [a.to_json() for c in again.plan.changes for a in c.attributes]
    assert log.writes == []


def drift_paths(ctx, stack: Stack) -> dict[str, set[str]]:
    report = verify(plan(ctx, stack))
    return {c.address: {a.path for a in c.attributes} for c in report.drift}


def destroy(ctx, stack: Stack) -> PlanResult:
    result = make_destroy_plan(stack, ctx, RunOptions())
    report = apply_plan(stack, result, ctx, RunOptions(prune=True))
    assert report.failures == [], [(o.address, o.message) for o in report.failures]
    return result
