"""Cost estimates as a rich table, markdown (for pull-request comments) and JSON."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from awsprov.cost.model import CostComponent, Estimate, ResourceCost

UNKNOWN = "usage unknown"
NARROW = 120  # columns below which the cost table takes its narrow layout


def money(value: float | None) -> str:
    """Cents, rounded half up as on a bill ($0.625 → $0.63); sub-cent amounts to 4 places."""
    if value is None:
        return UNKNOWN
    if value != 0 and abs(value) < 0.01:
        return f"${value:.4f}"
    cents = Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"${cents:,.2f}"


def signed(value: float) -> str:
    return ("+" if value > 0 else "-" if value < 0 else "±") + money(abs(value))


def unit_price(value: float) -> str:
    """Every digit the catalogue has, and at least cents: $0.10, $0.00065."""
    text = f"{value:.10g}"
    if "e" in text or len(text.partition(".")[2]) < 2:
        text = f"{value:.2f}" if value >= 0.01 or value == 0 else f"{value:.10f}".rstrip("0")
    return f"${text}"


def quantity(component: CostComponent) -> str:
    if component.quantity is None:
        return "unknown"
    return f"{component.quantity:,.4f}".rstrip("0").rstrip(".")


def _header(estimate: Estimate) -> str:
    env = estimate.env or "-"
    return (f"Stack {estimate.stack} · region {estimate.region} · env {env} · "
            f"prices as of {estimate.prices_as_of} ({estimate.pricing_source}), USD, list "
            f"price, no free tier, 730 h/month")


def _total_line(estimate: Estimate) -> str:
    text = (f"Total {money(estimate.monthly)}/month (fixed {money(estimate.part(False))}, "
            f"usage-based {money(estimate.part(True))})")
    if not estimate.complete:
        n = estimate.unknown_components
        text += (f" — incomplete: {n} component{'s have' if n != 1 else ' has'} unknown "
                 f"usage (listed with its price, left out of the total)")
    return text


def _by_section(estimate: Estimate) -> dict[str, list[ResourceCost]]:
    sections: dict[str, list[ResourceCost]] = {}
    for resource in estimate.resources:
        sections.setdefault(resource.section, []).append(resource)
    return sections


def _subtotal(resource: ResourceCost) -> str:
    if not resource.components:
        return "no charge"
    if not resource.any_known:
        return UNKNOWN
    return money(resource.monthly) + ("" if resource.complete else " + unknown")


# ---- text -----------------------------------------------------------------------------

def _wide(out: Console) -> None:
    """A pipe or CI log is not 80 columns: give the table room instead of wrapping it."""
    if not out.is_terminal:
        out.width = max(out.width, 140)


def _table(out: Console) -> Table:
    """A narrow terminal drops the column rules: three more columns for addresses."""
    narrow = out.width < NARROW
    return Table(show_edge=False, pad_edge=False, header_style="bold underline" if narrow
                 else "bold", box=None if narrow else box.HEAVY_HEAD)


def _longest_address(*estimates: Estimate) -> int:
    return min(40, max((len(r.address) for e in estimates for r in e.resources), default=8))


def render_text(estimate: Estimate, out: Console) -> None:
    _wide(out)
    out.print(f"[bold]{escape(_header(estimate))}[/]")
    narrow = out.width < NARROW
    table = _table(out)
    # In 80 columns every address shows whole on a line of its own (the name under it),
    # names and units wrap, and the figures keep their width.
    longest = max((len(r.address) for r in estimate.resources), default=0) + 2
    table.add_column("Resource / component", overflow="fold", ratio=1,
                     min_width=min(longest, 30) if narrow else None)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Qty" if narrow else "Quantity", justify="right", no_wrap=True)
    table.add_column("Unit", overflow="fold", max_width=10 if narrow else None)
    table.add_column("Price" if narrow else "Unit price", justify="right", no_wrap=True)
    table.add_column("Monthly", justify="right", no_wrap=True)
    for section, resources in _by_section(estimate).items():
        table.add_row(f"[bold]{section}[/]", "", "", "", "", "")
        for resource in resources:
            between = "\n  " if narrow else " "
            table.add_row(f"  [bold]{escape(resource.address)}[/]{between}{escape(resource.name)}",
                          "", "", "", "", f"[bold]{_subtotal(resource)}[/]")
            for c in resource.components:
                monthly = money(c.monthly) if c.known else f"[warn]{UNKNOWN}[/]"
                table.add_row(f"    {escape(c.name)}", "usage" if c.usage_based else "fixed",
                              quantity(c), escape(c.unit), unit_price(c.unit_price), monthly)
                if c.note:
                    table.add_row(f"      [note]{escape(c.note)}[/]", "", "", "", "", "")
    out.print(table)
    out.print(f"[bold]{escape(_total_line(estimate))}[/]")
    if estimate.free_tier is not None:
        out.print(escape(free_tier_line(estimate.free_tier)))
    for note in estimate.notes:
        out.print(f"[note]note:[/] {escape(note)}")
    for warning in estimate.warnings:
        out.print(f"[warn]warning:[/] {escape(warning)}")


def render_compare_text(left: Estimate, right: Estimate, out: Console) -> None:
    _wide(out)
    out.print(f"[bold]Stack {escape(left.stack)} · {_env(left)} ({left.region}) vs "
              f"{_env(right)} ({right.region}) · prices as of {left.prices_as_of}[/]")
    table = _table(out)
    table.add_column("Resource", overflow="fold", min_width=_longest_address(left, right))
    table.add_column(_env(left), justify="right", no_wrap=True)
    table.add_column(_env(right), justify="right", no_wrap=True)
    table.add_column("Difference", justify="right", no_wrap=True)
    for address, a, b in _pairs(left, right):
        table.add_row(escape(address), _cell(a), _cell(b),
                      signed((b.monthly if b else 0) - (a.monthly if a else 0)))
    table.add_row("[bold]Total[/]", _total_cell(left), _total_cell(right),
                  signed(right.monthly - left.monthly))
    out.print(table)
    if not (left.complete and right.complete):
        out.print("[warn]incomplete:[/] some usage is unknown; totals sum what is known")
    for warning in dict.fromkeys([*left.warnings, *right.warnings]):
        out.print(f"[warn]warning:[/] {escape(warning)}")


def _env(estimate: Estimate) -> str:
    return estimate.env or "(no env)"


def _pairs(left: Estimate, right: Estimate):
    a = {r.address: r for r in left.resources}
    b = {r.address: r for r in right.resources}
    for address in dict.fromkeys([*a, *b]):
        yield address, a.get(address), b.get(address)


def _cell(resource: ResourceCost | None) -> str:
    return "-" if resource is None else _subtotal(resource)


def _total_cell(estimate: Estimate) -> str:
    return money(estimate.monthly) + ("" if estimate.complete else " + unknown")


# ---- markdown -------------------------------------------------------------------------

def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(estimate: Estimate) -> str:
    lines = [f"### Monthly cost: {_md(estimate.stack)}", "", _md(_header(estimate)), "",
             "| Resource | Component | Kind | Quantity | Unit | Unit price | Monthly |",
             "|---|---|---|---:|---|---:|---:|"]
    for resource in estimate.resources:
        lines.append(f"| **{_md(resource.address)}** | {_md(resource.name)} | | | | | "
                     f"**{_subtotal(resource)}** |")
        for c in resource.components:
            lines.append(f"| | {_md(c.name)} | {'usage' if c.usage_based else 'fixed'} | "
                         f"{quantity(c)} | {_md(c.unit)} | {unit_price(c.unit_price)} | "
                         f"{money(c.monthly)} |")
    lines += ["", f"**{_md(_total_line(estimate))}**"]
    if estimate.free_tier is not None:
        lines += ["", _md(free_tier_line(estimate.free_tier))]
    if estimate.notes:
        lines.append("")
        lines += [f"Note: {_md(n)}" for n in estimate.notes]
    if estimate.warnings:
        lines.append("")
        lines += [f"> ⚠️ {_md(w)}" for w in estimate.warnings]
    return "\n".join(lines) + "\n"


def render_compare_markdown(left: Estimate, right: Estimate) -> str:
    lines = [f"### Monthly cost: {_md(left.stack)}, {_env(left)} vs {_env(right)}", "",
             f"Prices as of {left.prices_as_of}, USD, list price, no free tier.", "",
             f"| Resource | {_env(left)} ({left.region}) | {_env(right)} ({right.region}) "
             "| Difference |", "|---|---:|---:|---:|"]
    for address, a, b in _pairs(left, right):
        lines.append(f"| {_md(address)} | {_cell(a)} | {_cell(b)} | "
                     f"{signed((b.monthly if b else 0) - (a.monthly if a else 0))} |")
    lines.append(f"| **Total** | **{_total_cell(left)}** | **{_total_cell(right)}** | "
                 f"**{signed(right.monthly - left.monthly)}** |")
    warnings = list(dict.fromkeys([*left.warnings, *right.warnings]))
    if warnings:
        lines.append("")
        lines += [f"> ⚠️ {_md(w)}" for w in warnings]
    return "\n".join(lines) + "\n"


def free_tier_line(view: dict[str, Any]) -> str:
    used = "; ".join(f"{a['allowance']} {money(a['monthly'])}" for a in view["applied"])
    return (f"Free tier ({view['scope']}): -{money(view['monthly_saving'])} → "
            f"{money(view['monthly_after'])}/month" + (f" ({used})" if used else ""))


# ---- JSON -----------------------------------------------------------------------------

def estimate_json(estimate: Estimate, compare: Estimate | None = None) -> dict[str, Any]:
    doc = estimate.to_json()
    if compare is not None:
        doc["compare"] = compare.to_json()
    return doc


# ---- the cost line under a plan ---------------------------------------------------------

def plan_cost_line(delta: dict[str, Any]) -> str:
    before, after = delta["before"], delta["after"]
    text = (f"Monthly cost: {money(before['monthly'])} → {money(after['monthly'])} "
            f"({signed(delta['delta'])}), prices as of {delta['prices_as_of']}")
    if not (before["complete"] and after["complete"]):
        text += "; usage unknown for some components (awsprov cost-estimate lists them)"
    return text


# ---- cost-estimate --diff: from an older version of the spec to this one ----------------

DIFF_SYMBOLS = {"added": "+", "removed": "-", "changed": "~"}


def diff_rows(before: Estimate, after: Estimate) -> list[dict[str, Any]]:
    """The resources whose monthly cost differs between two versions, in spec order."""
    rows = []
    for address, old, new in _pairs(before, after):
        delta = (new.monthly if new else 0) - (old.monthly if old else 0)
        if old is None or new is None:
            change = "added" if old is None else "removed"
        elif abs(delta) > 1e-9 or old.complete != new.complete:
            change = "changed"
        else:
            continue
        rows.append({"address": address, "change": change, "before": old, "after": new,
                     "delta": delta})
    return rows


def _unchanged_line(before: Estimate, after: Estimate, rows: list[dict[str, Any]]) -> str:
    same = len({r.address for r in after.resources} - {row["address"] for row in rows})
    return f"{same} resource{'s' if same != 1 else ''} unchanged in cost."


def render_diff_text(before: Estimate, after: Estimate, labels: tuple[str, str],
                     out: Console) -> None:
    _wide(out)
    rows = diff_rows(before, after)
    out.print(f"[bold]Stack {escape(after.stack)} · env {after.env or '-'} · region "
              f"{after.region} · monthly cost from {escape(labels[0])} to "
              f"{escape(labels[1])} · prices as of {after.prices_as_of}[/]")
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Resource")
    for column in ("Before", "After", "Change"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(f"{DIFF_SYMBOLS[row['change']]} {escape(row['address'])}",
                      _cell(row["before"]), _cell(row["after"]), signed(row["delta"]))
    table.add_row("[bold]Total[/]", _total_cell(before), _total_cell(after),
                  f"[bold]{signed(after.monthly - before.monthly)}[/]")
    out.print(table)
    out.print(_unchanged_line(before, after, rows))
    if not (before.complete and after.complete):
        out.print("[warn]incomplete:[/] some usage is unknown; totals sum what is known")
    for warning in dict.fromkeys([*before.warnings, *after.warnings]):
        out.print(f"[warn]warning:[/] {escape(warning)}")


def render_diff_markdown(before: Estimate, after: Estimate, labels: tuple[str, str]) -> str:
    rows = diff_rows(before, after)
    lines = [f"### Monthly cost change: {_md(after.stack)} "
             f"({signed(after.monthly - before.monthly)}/month)", "",
             f"From `{_md(labels[0])}` to `{_md(labels[1])}` · env {_md(after.env or '-')} · "
             f"region {after.region} · prices as of {after.prices_as_of}, USD, list price.", "",
             "| | Resource | Before | After | Change |", "|---|---|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {DIFF_SYMBOLS[row['change']]} | {_md(row['address'])} | "
                     f"{_cell(row['before'])} | {_cell(row['after'])} | "
                     f"{signed(row['delta'])} |")
    lines += [f"| | **Total** | **{_total_cell(before)}** | **{_total_cell(after)}** | "
              f"**{signed(after.monthly - before.monthly)}** |", "",
              _unchanged_line(before, after, rows)]
    warnings = list(dict.fromkeys([*before.warnings, *after.warnings]))
    if warnings:
        lines.append("")
        lines += [f"> ⚠️ {_md(w)}" for w in warnings]
    return "\n".join(lines) + "\n"


def diff_json(before: Estimate, after: Estimate, labels: tuple[str, str]) -> dict[str, Any]:
    return {
        "version": 1,
        "currency": "USD",
        "before": {"spec": labels[0], **before.to_json()},
        "after": {"spec": labels[1], **after.to_json()},
        "monthly_delta": round(after.monthly - before.monthly, 6),
        "resources": [{"address": row["address"], "change": row["change"],
                       "before": _monthly_or_none(row["before"]),
                       "after": _monthly_or_none(row["after"]),
                       "delta": round(row["delta"], 6)} for row in diff_rows(before, after)],
    }


def _monthly_or_none(resource: ResourceCost | None) -> float | None:
    return None if resource is None else round(resource.monthly, 6)
