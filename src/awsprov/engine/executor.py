"""Execute a plan: dependency batches in order, resources of a batch in parallel.

One resource's failure does not stop independent ones: its dependents are skipped,
everything else runs, and every failure is reported at the end. Deletes of orphans run
after everything else, each after the orphans that still use it (engine/guards.py).
Each write is safe to repeat: a killed apply, run again, reads live state afresh and
converges.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from awsprov.aws import errors
from awsprov.aws.context import AwsContext
from awsprov.engine import graph, guards
from awsprov.engine.changes import Action, FieldKind, ResourceChange
from awsprov.engine.planner import PlannedResource, PlanResult, build_desired, diff_with_tags
from awsprov.errors import AwsprovError
from awsprov.resources.base import Owner
from awsprov.spec.model import Stack


@dataclass
class ApplyOptions:
    allow_replace: bool = False
    allow_irreversible: bool = False
    prune: bool = False
    parallelism: int = 16
    allow_data_loss: bool = False


@dataclass
class Outcome:
    address: str
    action: Action
    ok: bool
    message: str = ""
    seconds: float = 0.0
    key: str = ""  # the plan entry's key (an orphan's differs from its address)

    def __post_init__(self) -> None:
        self.key = self.key or self.address


@dataclass
class ApplyReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def done(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]


class Reporter:
    """Where progress goes (stderr in the CLI). Called from worker threads."""

    def started(self, change: ResourceChange) -> None: ...
    def step(self, address: str, message: str) -> None: ...
    def finished(self, outcome: Outcome) -> None: ...


class Refused(AwsprovError):
    pass


def apply_plan(stack: Stack, result: PlanResult, aws: AwsContext, options: ApplyOptions,
               reporter: Reporter | None = None) -> ApplyReport:
    reporter = reporter or Reporter()
    report = ApplyReport()
    changes = result.plan.by_key()
    blocked: dict[str, str] = {}
    attributes: dict[str, dict[str, Any]] = {
        k: dict(r.live.attributes) for k, r in result.resources.items()
        if r.live and not changes[k].orphan}

    def run(key: str) -> Outcome:
        change = changes[key]
        address = change.address
        if key in blocked and change.action is not Action.REFUSED:
            # (a refusal the plan already gave is the better reason: reported as such)
            return Outcome(address, change.action, False, blocked[key], key=key)
        reporter.started(change)
        start = time.monotonic()
        try:
            _execute(stack, change, result.resources[key], attributes, aws, options,
                     lambda msg: reporter.step(address, msg))
            outcome = Outcome(address, change.action, True, seconds=time.monotonic() - start,
                              key=key)
        except AwsprovError as exc:
            outcome = Outcome(address, change.action, False, exc.message,
                              time.monotonic() - start, key)
        except Exception as exc:  # one resource's failure must not stop the others
            outcome = Outcome(address, change.action, False, str(errors.describe(exc)),
                              time.monotonic() - start, key)
        reporter.finished(outcome)
        return outcome

    def run_layer(layer: list[str]) -> None:
        todo = [a for a in layer if _needs_work(changes[a], options)]
        with ThreadPoolExecutor(max_workers=max(1, options.parallelism),
                                thread_name_prefix="apply") as pool:
            for outcome in pool.map(run, todo):
                report.outcomes.append(outcome)
                if not outcome.ok:
                    for dependent in graph.dependents(result.deps, outcome.key):
                        blocked.setdefault(dependent, f"skipped: depends on {outcome.address}, "
                                                      f"which failed")

    for layer in result.order:
        run_layer(layer)
    ordered = {k for layer in result.order for k in layer}
    orphans = [c.key for c in result.plan.changes if c.orphan and c.key not in ordered]
    if orphans and options.prune:
        _keep_claimed_orphans(changes, orphans, report, blocked)
        # after everything else; among themselves, a user before what it uses
        for layer in guards.execution_layers(result, orphans):
            run_layer(layer)
    return report


def _keep_claimed_orphans(changes: dict[str, ResourceChange], orphans: list[str],
                          report: ApplyReport, blocked: dict[str, str]) -> None:
    """The old half of a rename (or a duplicate) goes only after the spec's own entry for
    its address went through: while the new one does not exist, the old one is all there
    is, and it stays."""
    failed = {o.key for o in report.failures} | set(blocked)
    for key in orphans:
        address = changes[key].address
        if address in changes and not changes[address].orphan and address in failed:
            blocked.setdefault(key, f"skipped: {changes[key].name} is kept, as "
                                    f"{address} did not apply")


def _needs_work(change: ResourceChange, options: ApplyOptions) -> bool:
    if change.orphan:
        return options.prune and change.action in (Action.DELETE, Action.REFUSED)
    return change.action is not Action.NOOP


def _execute(stack: Stack, change: ResourceChange, planned: PlannedResource,
             attributes: dict[str, dict[str, Any]], aws: AwsContext, options: ApplyOptions,
             progress: Callable[[str], None]) -> None:
    rtype, live = planned.rtype, planned.live
    if change.action is Action.REFUSED:
        raise Refused(f"refused: {change.reason}")
    if change.action is Action.DELETE:
        if planned.desired is not None:
            live = dataclasses.replace(live, spec_props=planned.desired.props)
        rtype.delete(aws, live, progress)
        return
    if planned.spec is None or planned.desired is None:
        raise AwsprovError(f"nothing to apply for {change.address}")
    desired = build_desired(stack, planned.spec, rtype, planned.desired.name, attributes, aws,
                            live)
    if change.action is Action.REPLACE:
        if not options.allow_replace:
            raise Refused(f"replacement refused ({change.reason}; data at risk: "
                          f"{change.data_at_risk or 'unknown'}): rerun with --allow-replace")
        rtype.delete(aws, live, progress)
        live = None
    if live is None:
        rtype.create(aws, desired, progress)
    else:
        if change.action is Action.RESTORE:
            rtype.restore(aws, desired, live, progress)
            live = rtype.read(aws, desired.name, _owner(stack, change)) or live
        todo = diff_with_tags(rtype, desired, live)
        irreversible = [c.path for c in todo if c.kind is FieldKind.IRREVERSIBLE]
        if irreversible and not options.allow_irreversible:
            raise Refused(f"irreversible change to {', '.join(irreversible)}: rerun with "
                          f"--allow-irreversible")
        lost = rtype.data_loss(desired, live, todo)
        if lost and not options.allow_data_loss:
            raise Refused(f"data loss refused ({'; '.join(lost)}): rerun with "
                          f"--allow-data-loss")
        rtype.update(aws, desired, live, todo, progress)
    fresh = rtype.read(aws, desired.name, _owner(stack, change))
    if fresh is not None:
        attributes[change.address] = dict(fresh.attributes)


def _owner(stack: Stack, change: ResourceChange) -> Owner:
    return Owner(stack.name, change.address, stack.env)
