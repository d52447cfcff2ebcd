"""Plans, verify reports and apply progress as text."""

from __future__ import annotations

import difflib
import json
import threading
from typing import Any

from rich.console import Console
from rich.markup import escape

from awsprov.core.changes import KNOWN_AFTER_APPLY, Action, AttributeChange, Plan
from awsprov.engine.executor import ApplyReport, Outcome, Reporter
from awsprov.engine.verify import VerifyReport
from awsprov.resources.sizes import plural


def value_text(value: Any) -> str:
    if value is KNOWN_AFTER_APPLY:
        return "(known after apply)"
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, default=lambda v: repr(v))


MARKERS = {"replace": " # forces replacement", "refuse": " # cannot change",
           "irreversible": " # ! irreversible"}
INLINE_JSON_MAX = 60  # a map or list longer than this on one line is shown indented


def attribute_line(change: AttributeChange, creating: bool) -> str:
    if change.sensitive:
        shown = "sensitive" if creating else "sensitive, changed"
        if change.source:
            shown += f"; {change.source}"
        return f"{change.path}: ({shown})"
    if creating:
        return f"{change.path}: {value_text(change.after)}"
    marker = MARKERS.get(change.kind.value, "")
    return f"{change.path}: {value_text(change.before)} → {value_text(change.after)}{marker}"


def is_document(*values: Any) -> bool:
    """A map or list too long for one line (a policy, a dashboard body)."""
    structured = [v for v in values if isinstance(v, (dict, list))]
    return bool(structured) and any(len(value_text(v)) > INLINE_JSON_MAX for v in structured)


def json_text_lines(value: Any) -> list[str]:
    return json.dumps(value, indent=2, sort_keys=True, default=repr).splitlines()


def json_diff_lines(before: Any, after: Any) -> list[str]:
    """Terraform's jsonencode diff: both sides indented, unchanged lines plain, removed
    lines `-`, added lines `+`. A side that is not a document is one line."""
    old = json_text_lines(before) if before not in (None, KNOWN_AFTER_APPLY) else []
    new = json_text_lines(after) if after is not KNOWN_AFTER_APPLY else ["(known after apply)"]
    if after is None:
        new = []
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines += [f"  {line}" for line in old[i1:i2]]
            continue
        lines += [f"- {line}" for line in old[i1:i2]]
        lines += [f"+ {line}" for line in new[j1:j2]]
    return lines


def attribute_lines(change: AttributeChange, creating: bool) -> list[str]:
    """One line, or a documents' indented (diff) lines under a `path:` heading."""
    if change.sensitive or not is_document(change.before, change.after):
        return [attribute_line(change, creating)]
    if creating:
        return [f"{change.path}:"] + [f"    {line}" for line in json_text_lines(change.after)]
    heading = f"{change.path}:{MARKERS.get(change.kind.value, '')}"
    return [heading] + [f"  {line}" for line in json_diff_lines(change.before, change.after)]


def _lines(change: AttributeChange, creating: bool) -> list[str]:
    """A created resource's maps one entry per line (one level deep), empty ones left out."""
    if not creating or change.sensitive or not isinstance(change.after, dict):
        return attribute_lines(change, creating)
    lines = []
    for key, value in change.after.items():
        if value in (None, {}, []):
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
        nested = AttributeChange(f"{change.path}.{key}", None, value, change.kind)
        lines.extend(attribute_lines(nested, creating))
    return lines


def render_plan(plan: Plan, out: Console, header: bool = True) -> None:
    if header:
        env = plan.env or "-"
        out.print(f"[bold]Stack {escape(plan.stack)}[/] · region {plan.region} · env {env}")
        out.print()
    managed = [c for c in plan.changes if not c.orphan]
    orphans = [c for c in plan.changes if c.orphan]
    for change in managed:
        if change.is_change:
            _render_change(change, out)
    if orphans:
        verb = "deleted by this apply" if plan.prune else "apply --prune deletes them"
        out.print(f"[bold]Orphans[/] (tagged with this stack, gone from the spec; {verb}):")
        for change in orphans:
            _render_change(change, out)
    summary = plan.summary()
    kept = _orphans_kept(summary["orphans_kept"])
    if not plan.has_changes:
        out.print(f"No changes. Live matches the spec ({summary['unchanged']} resources)"
                  f"{kept}.")
        return
    parts = [f"{summary[k]} to {k}" for k in ("create", "update", "replace", "delete",
                                               "adopt", "restore")]
    out.print(f"[bold]Plan:[/] {', '.join(parts)}, {summary['refused']} refused, "
              f"{summary['unchanged']} unchanged{kept}.")


def _orphans_kept(count: int) -> str:
    """The summary's last words, so text counts what JSON counts (summary.orphans_kept)."""
    if not count:
        return ""
    them = "them" if count > 1 else "it"
    return f"; {plural(count, 'orphan')} kept (apply --prune deletes {them})"


def _render_change(change, out: Console) -> None:
    style = change.action.value
    symbol = change.action.symbol
    reason = f" — {escape(change.reason)}" if change.reason else ""
    out.print(f"[{style}]{escape(symbol):>3} {escape(change.address)}[/] "
              f"[{style}]({change.action.value})[/] {escape(change.name)}{reason}")
    creating = change.action is Action.CREATE
    for attribute in change.attributes:
        for line in _lines(attribute, creating):
            out.print(f"      {_styled(line)}")
    if change.duplicate:
        created = f", created {change.created}" if change.created else ""
        out.print(f"      duplicate: {escape(change.arn or change.key)}{escape(created)}")
    if change.data_loss:
        for reason in change.data_loss:
            out.print(f"      [warn]data at risk: {escape(reason)}[/]")
        out.print("      [warn]apply refuses this change without --allow-data-loss[/]")
    elif change.data_at_risk:
        out.print(f"      [warn]data at risk: {escape(change.data_at_risk)}[/]")
    for warning in change.warnings:
        out.print(f"      [warn]note: {escape(warning)}[/]")


def _styled(line: str) -> str:
    """A document diff's removed lines red, added lines green (attribute_lines' prefixes)."""
    style = {"  - ": "delete", "  + ": "create"}.get(line[:4])
    return f"[{style}]{escape(line)}[/]" if style else escape(line)


def render_verify(report: VerifyReport, out: Console) -> None:
    if report.clean and not report.findings:
        out.print(f"[ok]Clean:[/] live matches the spec of stack {escape(report.stack)}.")
        return
    for change in report.drift:
        out.print(f"[update]drift[/] {escape(change.address)} ({change.action.value}) "
                  f"{escape(change.name)} — {escape(change.reason)}")
        for attribute in change.attributes:
            for line in attribute_lines(attribute, change.action is Action.CREATE):
                out.print(f"      {_styled(line)}")
    for finding in report.findings:
        rule = escape(f"[{finding.rule}]")  # escaped: not a rich markup tag
        out.print(f"[warn]{finding.severity}[/] {escape(finding.address)} {rule} "
                  f"{escape(finding.message)}")
    if report.clean:  # only info findings: reported, not failing
        out.print(f"[ok]Clean:[/] live matches the spec of stack {escape(report.stack)} "
                  f"({plural(len(report.findings), 'info finding')}).")
        return
    differ = "differs" if len(report.drift) == 1 else "differ"
    out.print(f"[bold]Drift:[/] {plural(len(report.drift), 'resource')} {differ} from the spec, "
              f"{plural(len(report.findings), 'finding')}.")


# What each command calls itself, and what it did to the resources it touched.
_OUTCOME = {"apply": ("Apply", "changed"), "destroy": ("Destroy", "deleted")}


def render_apply_report(report: ApplyReport, err: Console, command: str = "apply") -> None:
    """The failures, if any. Success is announced by `render_complete`, once it is known
    (for apply: after the verify after apply)."""
    if report.failures:
        name, verb = _OUTCOME[command]
        err.print(f"[error]{name} finished with {plural(len(report.failures), 'failure')}[/] "
                  f"({plural(len(report.done), 'resource')} {verb}):")
        for outcome in report.failures:
            err.print(f"  [error]✗[/] {escape(outcome.address)}: {escape(outcome.message)}")


def render_complete(report: ApplyReport, err: Console, command: str = "apply") -> None:
    name, verb = _OUTCOME[command]
    err.print(f"[ok]{name} complete:[/] {plural(len(report.done), 'resource')} {verb}.")


class ConsoleReporter(Reporter):
    """One line per event on stderr; safe from worker threads."""

    def __init__(self, console: Console, verbose: bool = False):
        self.console = console
        self.verbose = verbose
        self._lock = threading.Lock()

    def _print(self, text: str) -> None:
        with self._lock:
            self.console.print(text)

    def waiting(self, change, on: list[str]) -> None:
        self._print(f"[note]  {escape(change.key)}: waiting on {escape(', '.join(on))}[/]")

    def started(self, change) -> None:
        self._print(f"[{change.action.value}]{escape(change.address)}[/]: "
                    f"{change.action.value} {escape(change.name)}…")

    def step(self, address: str, message: str) -> None:
        self._print(f"[note]  {escape(address)}: {escape(message)}[/]")

    def finished(self, outcome: Outcome) -> None:
        who = escape(outcome.key)  # an orphan's key names it apart from the spec's entry
        if outcome.ok:
            self._print(f"[ok]✓[/] {who} ({outcome.action.value}, {outcome.seconds:.1f}s)")
        else:
            self._print(f"[error]✗[/] {who}: {escape(outcome.message)}")
