"""What an estimate is made of: components, per-resource costs, the stack's total."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from awsprov.cost.catalogue import Prices

HOURS_PER_MONTH = 730
DAYS_PER_MONTH = HOURS_PER_MONTH / 24  # 30.4167: lifecycle days → months


@dataclass
class CostComponent:
    """One line of a bill. `quantity` is in `unit`s (e.g. 2.5 for 2.5M requests) and None
    when the usage it depends on is unknown; then `monthly` is None too, and the line
    still shows its unit price."""

    name: str
    unit: str
    quantity: float | None
    unit_price: float
    usage_based: bool = True
    note: str = ""
    price_key: str = ""
    price_status: str = "verified"
    price_as_of: str = ""

    @property
    def monthly(self) -> float | None:
        return None if self.quantity is None else self.quantity * self.unit_price

    @property
    def known(self) -> bool:
        return self.quantity is not None

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name, "unit": self.unit, "quantity": _round(self.quantity),
            "unit_price": self.unit_price, "monthly": _round(self.monthly),
            "usage_based": self.usage_based, "price_status": self.price_status,
            "price_as_of": self.price_as_of,
        }
        if self.note:
            doc["note"] = self.note
        return doc


def priced(prices: Prices, key: str, name: str, raw: float | None, *,
           usage_based: bool = True, note: str = "") -> CostComponent:
    """A component of `raw` billing units (requests, GB, hours) at the catalogue's price;
    raw None = usage unknown."""
    price = prices.get(key)
    quantity = None if raw is None else raw / price.per
    return CostComponent(name, price.unit, quantity, price.usd, usage_based, note, key,
                         price.status, price.as_of)


def fixed(prices: Prices, key: str, name: str, quantity: float = 1,
          note: str = "") -> CostComponent:
    """A component the configuration alone decides (a key-month, capacity-hours)."""
    return priced(prices, key, name, quantity, usage_based=False, note=note)


@dataclass
class ResourceCost:
    address: str
    section: str
    name: str
    components: list[CostComponent] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(c.known for c in self.components)

    @property
    def any_known(self) -> bool:
        return not self.components or any(c.known for c in self.components)

    @property
    def monthly(self) -> float:
        """What is known; `complete` says whether that is everything."""
        return sum(c.monthly for c in self.components if c.monthly is not None)

    def part(self, usage_based: bool) -> float:
        return sum(c.monthly for c in self.components
                   if c.monthly is not None and c.usage_based is usage_based)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "address": self.address, "name": self.name,
            # what is known, as total.monthly; null when nothing is (all usage unknown)
            "monthly": _round(self.monthly) if self.any_known else None,
            "complete": self.complete,
            "components": [c.to_json() for c in self.components],
        }
        if self.notes:
            doc["notes"] = list(self.notes)
        return doc


@dataclass
class Estimate:
    stack: str
    env: str | None
    region: str
    prices_as_of: str
    resources: list[ResourceCost]
    warnings: list[str] = field(default_factory=list)
    pricing_source: str = "catalogue"
    free_tier: dict[str, Any] | None = None  # the optional --free-tier view, never the total
    notes: list[str] = field(default_factory=list)  # costs outside the stack, not in total

    @property
    def complete(self) -> bool:
        return all(r.complete for r in self.resources)

    @property
    def monthly(self) -> float:
        return sum(r.monthly for r in self.resources)

    def part(self, usage_based: bool) -> float:
        return sum(r.part(usage_based) for r in self.resources)

    @property
    def unknown_components(self) -> int:
        return sum(1 for r in self.resources for c in r.components if not c.known)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "currency": "USD",
            "prices_as_of": self.prices_as_of,
            "pricing_source": self.pricing_source,
            "stack": self.stack,
            "region": self.region,
            "env": self.env,
            "total": {"monthly": _round(self.monthly), "complete": self.complete,
                      "fixed": _round(self.part(False)),
                      "usage_based": _round(self.part(True)),
                      "unknown_components": self.unknown_components},
            "resources": [r.to_json() for r in self.resources],
            "warnings": list(self.warnings),
            **({"notes": list(self.notes)} if self.notes else {}),
            **({"free_tier": self.free_tier} if self.free_tier is not None else {}),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
