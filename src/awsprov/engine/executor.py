"""Execute a plan: each resource starts as soon as what it depends on is done.

One resource's failure does not stop independent ones: its dependents are skipped,
everything else runs, and every failure is reported at the end. Deletes of orphans run
after everything else, each after the orphans that still use it (engine/guards.py).
Each write is safe to repeat: a killed apply, run again, reads live state afresh and
converges.

Ctrl-C (KeyboardInterrupt in the main thread) starts no further resource; the resources in
flight finish the AWS call they are making and stop at their next pending wait; then
`Interrupted` (exit 130) says what was done and what was not. A second Ctrl-C stops
waiting for the resources in flight.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import heapq
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from awsprov.aws import errors, waiters
from awsprov.aws.context import AwsContext
from awsprov.core.changes import Action, FieldKind, ResourceChange
from awsprov.core.run import RunOptions
from awsprov.engine import guards
from awsprov.engine.planner import PlannedResource, PlanResult
from awsprov.engine.resolve import build_desired, diff_with_tags
from awsprov.errors import AwsprovError
from awsprov.resources.base import Owner
from awsprov.spec import graph
from awsprov.spec.model import Stack


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

    def waiting(self, change: ResourceChange, on: list[str]) -> None: ...
    def started(self, change: ResourceChange) -> None: ...
    def step(self, address: str, message: str) -> None: ...
    def finished(self, outcome: Outcome) -> None: ...


class Refused(AwsprovError):
    pass


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells and Terraform report it

DOING = {Action.CREATE: "creating", Action.UPDATE: "updating", Action.REPLACE: "replacing",
         Action.DELETE: "deleting", Action.ADOPT: "adopting", Action.RESTORE: "restoring"}


class Interrupted(AwsprovError):
    """Ctrl-C during apply: what was done, what was cut short, what never started."""

    exit_code = EXIT_INTERRUPTED

    def __init__(self, report: ApplyReport, not_started: list[str], in_flight: list[str]):
        self.report, self.not_started, self.in_flight = report, not_started, in_flight
        # Worker threads still running (a second Ctrl-C): the process must not wait for them.
        self.leaves_threads = bool(in_flight)
        super().__init__(_interrupted_message(report, not_started, in_flight))


def _interrupted_message(report: ApplyReport, not_started: list[str],
                         in_flight: list[str]) -> str:
    def names(addresses: list[str]) -> str:
        return ", ".join(addresses) if addresses else "none"

    lines = ["interrupted: started no further resource",
             f"done: {names([o.key for o in report.done])}"]
    cut_short = [f"{o.key} ({o.message})" for o in report.failures]
    if cut_short:
        lines.append(f"not done (failed or cut short): {names(cut_short)}")
    if in_flight:
        lines.append(f"still in flight, left unfinished: {names(in_flight)}")
    lines.append(f"not started: {names(not_started)}")
    lines.append("run apply again to converge")
    return "\n".join(lines)


def apply_plan(stack: Stack, result: PlanResult, aws: AwsContext, options: RunOptions,
               reporter: Reporter | None = None) -> ApplyReport:
    reporter = reporter or Reporter()
    report = ApplyReport()
    changes = result.plan.by_key()
    blocked: dict[str, str] = {}
    attributes: dict[str, dict[str, Any]] = {
        k: dict(r.live.attributes) for k, r in result.resources.items()
        if r.live and not changes[k].orphan}
    stop = threading.Event()
    running: set[str] = set()  # started and not finished: what a second Ctrl-C leaves
    finished: dict[str, Outcome] = {}

    def run(key: str) -> Outcome | None:
        change = changes[key]
        if stop.is_set():
            return None  # Ctrl-C came while this one was queued: never started
        if key in blocked and change.action is not Action.REFUSED:
            # (a refusal the plan already gave is the better reason: reported as such)
            return Outcome(change.address, change.action, False, blocked[key], key=key)
        running.add(key)
        try:
            outcome = finished[key] = execute(key, change)
        finally:  # after `finished`: the Ctrl-C path reads it once `running` is empty
            running.discard(key)
        return outcome

    def execute(key: str, change: ResourceChange) -> Outcome:
        address = change.address
        reporter.started(change)
        start = time.monotonic()

        def progress(msg: str) -> None:
            reporter.step(address, msg)

        watch = waiters.Watch(progress, DOING.get(change.action, "applying"), stop,
                              aws.wait.heartbeat, started=start)
        try:
            with waiters.watching(watch):
                _execute(stack, change, result.resources[key], attributes, aws, options,
                         progress)
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

    def record(outcome: Outcome | None) -> None:
        if outcome is None or any(o is outcome for o in report.outcomes):
            return
        report.outcomes.append(outcome)
        if not outcome.ok:
            for dependent in graph.dependents(result.deps, outcome.key):
                blocked.setdefault(dependent, f"skipped: depends on {outcome.address}, "
                                              f"which failed")

    pool = ThreadPoolExecutor(max_workers=max(1, options.parallelism),
                              thread_name_prefix="apply")

    def run_phase(layers: list[list[str]]) -> None:
        """Every entry of `layers` as soon as what it waits for is done (a ready queue),
        `parallelism` at a time: no entry waits for the slowest of its layer."""
        todo = [k for layer in layers for k in layer if _needs_work(changes[k], options)]
        schedule = _Schedule(todo, result.deps)
        for key, on in schedule.waiting_on().items():
            reporter.waiting(changes[key], [changes[k].address for k in on])
        in_flight: dict[Future, str] = {}
        try:
            while schedule.pending or in_flight:
                while len(in_flight) < max(1, options.parallelism):
                    key = schedule.next_ready()
                    if key is None:
                        break
                    # one by one: a Ctrl-C here keeps those already submitted
                    in_flight[pool.submit(run, key)] = key
                done, _ = concurrent.futures.wait(in_flight,
                                                  return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    schedule.finish(in_flight.pop(future))
                    record(future.result())
        except KeyboardInterrupt:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            _wait_for_in_flight(list(in_flight), running)
            for key in todo:
                record(finished.get(key))
            raise

    ordered = {k for layer in result.order for k in layer}
    orphans = [c.key for c in result.plan.changes if c.orphan and c.key not in ordered]
    # after everything else; among themselves, a user before what it uses
    orphan_layers = guards.execution_layers(result, orphans) if orphans and options.prune else []
    try:
        run_phase(result.order)
        if orphan_layers:
            _keep_claimed_orphans(changes, orphans, report, blocked)
            run_phase(orphan_layers)
    except KeyboardInterrupt:
        raise _interrupted(report, [*result.order, *orphan_layers], changes, options,
                           set(running)) from None
    finally:
        pool.shutdown(wait=not stop.is_set())
    return report


class _Schedule:
    """Which entries may start: an entry is ready once every entry it waits for (among
    those this phase runs) is finished, failed or skipped. Ready entries start in plan
    order (their layer, then their place in it), so with --parallelism 1 an apply runs as
    the layers read."""

    def __init__(self, todo: list[str], deps: dict[str, set[str]]):
        rank = {key: place for place, key in enumerate(todo)}
        # Only edges to earlier entries: the order the layers give is never contradicted.
        self._waits = {k: {d for d in deps.get(k, ()) if rank.get(d, place) < place}
                       for k, place in rank.items()}
        self._users: dict[str, set[str]] = {}
        for key, on in self._waits.items():
            for dep in on:
                self._users.setdefault(dep, set()).add(key)
        self._rank = rank
        self._ready = [(rank[k], k) for k, on in self._waits.items() if not on]
        heapq.heapify(self._ready)
        self.pending = set(todo)

    def waiting_on(self) -> dict[str, list[str]]:
        """Each entry that cannot start at once, and the entries it waits for."""
        return {k: sorted(on, key=self._rank.__getitem__)
                for k, on in sorted(self._waits.items(), key=lambda i: self._rank[i[0]]) if on}

    def next_ready(self) -> str | None:
        if not self._ready:
            return None
        _place, key = heapq.heappop(self._ready)
        self.pending.discard(key)
        return key

    def finish(self, key: str) -> None:
        for user in self._users.get(key, ()):
            on = self._waits[user]
            on.discard(key)
            if not on:
                heapq.heappush(self._ready, (self._rank[user], user))


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


def _wait_for_in_flight(futures: list[Future], running: set[str]) -> None:
    """Let the resources in flight finish their call (they stop at their next wait);
    a second Ctrl-C stops waiting for them."""
    started = [f for f in futures if not f.cancelled()]  # a cancelled one never completes
    with contextlib.suppress(KeyboardInterrupt):
        concurrent.futures.wait(started)
        while running:  # one whose future the Ctrl-C kept from the list
            time.sleep(0.05)


def _interrupted(report: ApplyReport, layers: list[list[str]],
                 changes: dict[str, ResourceChange], options: RunOptions,
                 running: set[str]) -> Interrupted:
    recorded = {o.key for o in report.outcomes}
    wanted = [k for layer in layers for k in layer if _needs_work(changes[k], options)]
    left = [k for k in wanted if k not in recorded]
    in_flight = [k for k in left if k in running]
    return Interrupted(report, [k for k in left if k not in in_flight], in_flight)


def _needs_work(change: ResourceChange, options: RunOptions) -> bool:
    if change.orphan:
        return options.prune and change.action in (Action.DELETE, Action.REFUSED)
    return change.action is not Action.NOOP


def _execute(stack: Stack, change: ResourceChange, planned: PlannedResource,
             attributes: dict[str, dict[str, Any]], aws: AwsContext, options: RunOptions,
             progress: Callable[[str], None]) -> None:
    rtype, live = planned.rtype, planned.live
    if change.action is Action.REFUSED:
        raise Refused(f"refused: {change.reason}")
    if change.action is Action.DELETE:
        how = planned.deletion or rtype.deletion(live, planned.spec.props if planned.spec
                                                 else None)
        rtype.delete(aws, live, how, progress)
        return
    if planned.spec is None or planned.desired is None:
        raise AwsprovError(f"nothing to apply for {change.address}")
    desired = build_desired(stack, planned.spec, rtype, planned.desired.name, attributes, aws,
                            live)
    if change.action is Action.REPLACE:
        if not options.allow_replace:
            raise Refused(f"replacement refused ({change.reason}; data at risk: "
                          f"{change.data_at_risk or 'unknown'}): rerun with --allow-replace")
        rtype.delete(aws, live, rtype.deletion(live, planned.spec.props), progress)
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
    attributes[change.address] = _read_back(rtype, aws, desired.name, stack, change)


def _read_back(rtype, aws: AwsContext, name: str, stack: Stack,
               change: ResourceChange) -> dict[str, Any]:
    """The attributes of what was just written, for its dependents. AWS may not show a
    resource for a while after its create (eventual consistency): wait for it, bounded;
    never go on with nothing, which would fail dependents for unrelated reasons."""
    window = waiters.VISIBILITY["any"]
    try:
        fresh = waiters.wait_until(lambda: rtype.read(aws, name, _owner(stack, change)),
                                   lambda live: live is not None,
                                   f"{change.address} to be readable", aws.wait,
                                   timeout=window.timeout)
    except waiters.WaitTimeout:
        raise AwsprovError(f"{change.address} was written but AWS still does not show it "
                           f"after {window.timeout:.0f} s (eventual consistency); "
                           f"run apply again") from None
    return dict(fresh.attributes)


def _owner(stack: Stack, change: ResourceChange) -> Owner:
    return Owner(stack.name, change.address, stack.env)
