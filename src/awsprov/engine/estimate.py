"""Spec (+ usage) → Estimate, and the before → after cost of a plan. Iterates the
registry; never names a resource type."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from awsprov.cost.catalogue import Prices
from awsprov.cost.model import Estimate, ResourceCost
from awsprov.errors import Location, SpecError
from awsprov.resources import registry

if TYPE_CHECKING:
    from awsprov.engine.planner import PlanResult
    from awsprov.spec.model import Stack

UsageByAddress = dict[str, dict[str, Any]]


def estimate(stack: Stack, prices: Prices, usage: UsageByAddress | None = None) -> Estimate:
    """The stack's monthly cost; `usage` (from --usage FILE) wins over `usage:` blocks."""
    usage = usage or {}
    resources = [
        resource_cost(address, spec.section, spec.props, _usage_of(spec.props, usage, address),
                      prices)
        for address, spec in _in_section_order(stack.resources)]
    from awsprov.engine.lease import COST_NOTE

    return Estimate(stack.name, stack.env, prices.region, prices.as_of, resources,
                    prices.warnings(), prices.source, notes=[COST_NOTE])


def resource_cost(address: str, section: str, props: dict[str, Any], usage: dict[str, Any],
                  prices: Prices) -> ResourceCost:
    rtype = registry.get(section)
    name = props.get("name") or rtype.physical_name(props)
    return ResourceCost(address, section, str(name), rtype.cost(props, usage, prices))


def _usage_of(props: dict, usage: UsageByAddress, address: str) -> dict[str, Any]:
    from awsprov.spec.loader import deep_merge

    return deep_merge(props.get("usage") or {}, usage.get(address) or {})


def _in_section_order(resources: dict) -> list[tuple[str, Any]]:
    order = {s: i for i, s in enumerate(registry.sections())}
    return sorted(resources.items(), key=lambda item: (order[item[1].section], item[0]))


# ---- --usage FILE ---------------------------------------------------------------------

def load_usage_file(path: Path, stack: Stack) -> UsageByAddress:
    """A YAML map `SECTION.LOGICAL: {usage}`, each checked against its type's usage schema."""
    import jsonschema

    from awsprov.spec.schema import usage_schema
    from awsprov.spec.yamlfile import load_yaml

    try:
        data, positions = load_yaml(path)
    except OSError as exc:
        raise SpecError(f"cannot read usage file: {exc}", Location(str(path), 1)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SpecError("a usage file maps addresses (tables.orders) to usage figures",
                        Location(str(path), 1))
    for address, figures in data.items():
        where = positions.get((address,), Location(str(path), 1))
        spec = stack.resources.get(address)
        if spec is None:
            raise SpecError(f"no resource {address} in stack {stack.name}", where, str(address))
        schema = usage_schema(registry.get(spec.section))
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(figures or {}),
                        key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            path_in = tuple(first.absolute_path)
            at = positions.get((address, *path_in), where)
            raise SpecError(first.message, at, ".".join(map(str, (address, *path_in))))
    return {address: figures or {} for address, figures in data.items()}


# ---- the cost of a plan -----------------------------------------------------------------

def plan_cost_delta(stack: Stack, result: PlanResult, prices: Prices,
                    usage: UsageByAddress | None = None) -> dict[str, Any]:
    """Monthly cost before (what is live, as the plan read it) and after (the spec) the
    change. Live resources are priced from their exported properties with the spec's
    usage; a type that cannot export a changed resource leaves its before unknown."""
    usage = usage or {}
    before: list[ResourceCost] = []
    after: list[ResourceCost] = []
    unpriced: list[str] = []
    changes = result.plan.by_key()
    for address, planned in result.resources.items():
        spec = planned.spec
        section = planned.rtype.section
        figures = _usage_of(spec.props, usage, address) if spec else {}
        change = changes[address]
        live_cost = None
        if planned.live is not None:
            props = _live_props(planned, change)
            if props is None:
                unpriced.append(address)
            else:
                live_cost = resource_cost(address, section, props, figures, prices)
                before.append(live_cost)
        if spec is not None:
            after.append(resource_cost(address, section, spec.props, figures, prices))
        elif live_cost is not None and not result.plan.prune:
            after.append(live_cost)  # an orphan stays until apply --prune
    old = Estimate(stack.name, stack.env, prices.region, prices.as_of, before)
    new = Estimate(stack.name, stack.env, prices.region, prices.as_of, after)
    was = {r.address: r.monthly for r in before}
    will = {r.address: r.monthly for r in after}
    moved = [{"address": a, "before": _round_or_none(was.get(a)),
              "after": _round_or_none(will.get(a))}
             for a in dict.fromkeys([*was, *will])
             if was.get(a) is None or will.get(a) is None or abs(was[a] - will[a]) > 1e-9]
    return {
        "currency": "USD",
        "prices_as_of": prices.as_of,
        "before": {"monthly": round(old.monthly, 6), "complete": old.complete and not unpriced},
        "after": {"monthly": round(new.monthly, 6), "complete": new.complete},
        "delta": round(new.monthly - old.monthly, 6),
        "resources": moved,  # those whose known monthly cost changes (or appears/goes)
        **({"before_unpriced": unpriced} if unpriced else {}),
        **({"warnings": prices.warnings()} if prices.warnings() else {}),
    }


def _round_or_none(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _live_props(planned, change) -> dict[str, Any] | None:
    from awsprov.core.changes import Action

    try:
        return planned.rtype.export(planned.live)
    except Exception:  # a cost line must never break the plan it follows
        if change.action is Action.NOOP and planned.spec is not None:
            return planned.spec.props  # live matches the spec
        return None
