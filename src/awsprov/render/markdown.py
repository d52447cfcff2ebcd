"""A plan as GitHub/GitLab-flavoured markdown, for a pull-request comment.

Built from the same lines as the text plan (render/text.py), so a sensitive value shows as
"(sensitive)" here exactly as it does in the terminal: no value a plan hides reaches the
comment. Each resource's attributes sit in a collapsed <details> block so that a large
plan stays readable in a review.
"""

from __future__ import annotations

from awsprov.core.changes import SUMMARY_KEYS, Action, Plan, ResourceChange
from awsprov.render.text import _lines

# The order rows appear in: what destroys data first, so a reviewer sees it.
ACTION_ORDER = ("replace", "delete", "refused", "update", "restore", "adopt", "create")
ACTION_LABEL = {
    "create": "🟢 create", "update": "🟡 update", "replace": "🟠 replace",
    "delete": "🔴 delete", "adopt": "🔵 adopt", "restore": "🟣 restore",
    "refused": "⛔ refused",
}


def cell(text: str) -> str:
    """Text safe inside a table cell: pipes escaped, line breaks folded."""
    return text.replace("|", "\\|").replace("\n", " ")


def code_span(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"


def render_plan_markdown(plan: Plan) -> str:
    env = plan.env or "-"
    lines = [f"### awsprov plan: `{cell(plan.stack)}` · env {cell(env)} · region "
             f"{cell(plan.region)}", ""]
    changes = _shown_changes(plan)
    if not changes:
        unchanged = plan.summary()["unchanged"]
        lines.append(f"**No changes.** Live matches the spec ({unchanged} resources).")
        return _with_cost([*lines, *_orphans_left(plan)], plan)
    lines += _summary_table(plan)
    lines += _risks(changes)
    lines += ["", "| | Resource | Name | Why |", "|---|---|---|---|"]
    for change in changes:
        lines.append(f"| {ACTION_LABEL.get(change.action.value, change.action.value)} | "
                     f"{code_span(change.address)} | {cell(change.name)} | "
                     f"{cell(change.reason)} |")
    lines.append("")
    for change in changes:
        lines += _details(change)
    return _with_cost([*lines, *_orphans_left(plan)], plan)


def _orphans_left(plan: Plan) -> list[str]:
    """Orphans this plan does not delete: named, so the review sees them."""
    if plan.prune:
        return []
    orphans = [c.address for c in plan.changes if c.orphan and c.is_change]
    if not orphans:
        return []
    return ["", f"Orphans (tagged with this stack, gone from the spec; `apply --prune` "
                f"deletes them): {', '.join(code_span(a) for a in orphans)}"]


def _shown_changes(plan: Plan) -> list[ResourceChange]:
    """What apply would do: orphans only when this plan prunes them."""
    shown = [c for c in plan.changes if c.is_change and (plan.prune or not c.orphan)]
    order = {action: i for i, action in enumerate(ACTION_ORDER)}
    return sorted(shown, key=lambda c: order.get(c.action.value, len(order)))


def _summary_table(plan: Plan) -> list[str]:
    summary = plan.summary()
    keys = SUMMARY_KEYS
    return ["| " + " | ".join(keys) + " |", "|" + "---:|" * len(keys),
            "| " + " | ".join(str(summary[k]) for k in keys) + " |"]


def _risks(changes: list[ResourceChange]) -> list[str]:
    at_risk = [c for c in changes if c.data_at_risk]
    if not at_risk:
        return []
    lines = ["", "> [!CAUTION]", "> **Data at risk** (apply refuses without "
             "`--allow-replace`):"]
    lines += [f"> - {code_span(c.address)}: {cell(c.data_at_risk or '')}" for c in at_risk]
    return lines


def _details(change: ResourceChange) -> list[str]:
    body = [line for attribute in change.attributes
            for line in _lines(attribute, change.action is Action.CREATE)]
    body += [f"note: {warning}" for warning in change.warnings]
    if not body:
        return []
    summary = f"{change.action.symbol} {change.address} ({change.action.value})"
    fence = "~~~~" if any("~~~" in line for line in body) else "~~~"
    return ["<details>", f"<summary>{_html(summary)}</summary>", "", f"{fence}text",
            *body, fence, "", "</details>", ""]


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _with_cost(lines: list[str], plan: Plan) -> str:
    while lines and not lines[-1]:
        lines.pop()
    if plan.cost_delta:
        from awsprov.render.cost import plan_cost_line

        lines += ["", f"**{cell(plan_cost_line(plan.cost_delta))}**"]
    return "\n".join(lines) + "\n"
