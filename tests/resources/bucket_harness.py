"""A small driver for bucket tests: write a spec, plan, apply, and prove convergence."""

from __future__ import annotations

from pathlib import Path

import yaml

from awsprov.core.run import RunOptions
from awsprov.engine.executor import ApplyReport, apply_plan
from awsprov.engine.planner import PlanResult, make_plan
from awsprov.spec.loader import load_stack
from tests.helpers import write_spec


class Harness:
    def __init__(self, aws, tmp_path: Path, stack: str = "life"):
        self.ctx, self.log = aws
        self.region = self.ctx.region
        self.tmp_path = tmp_path
        self.stack_name = stack

    def load(self, buckets: dict, **top):
        doc = {"stack": self.stack_name, "region": self.region, **top, "buckets": buckets}
        return load_stack(write_spec(self.tmp_path, yaml.safe_dump(doc, sort_keys=False)))

    def plan(self, buckets: dict, **options) -> PlanResult:
        return make_plan(self.load(buckets), self.ctx, RunOptions(**options))

    def apply(self, buckets: dict, **options) -> tuple[PlanResult, ApplyReport]:
        stack = self.load(buckets)
        prune = options.get("prune", False)
        result = make_plan(stack, self.ctx, RunOptions(prune=prune))
        return result, apply_plan(stack, result, self.ctx, RunOptions(**options))

    def converge(self, buckets: dict, **options) -> PlanResult:
        """Apply, then plan again: no change, and not one write call."""
        result, report = self.apply(buckets, **options)
        assert report.failures == [], report.failures
        self.log.clear()
        again = self.plan(buckets)
        assert [(c.address, c.attributes) for c in again.plan.changes if c.is_change] == []
        assert self.log.writes == []
        return result
