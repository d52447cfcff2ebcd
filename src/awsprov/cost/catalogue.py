"""The price catalogue: src/awsprov/data/prices.yaml, one region at a time.

A region the catalogue lacks is an error, never another region's price. Prices fetched
with `--pricing api` (cost/price_list.py) are cached per region under $AWSPROV_HOME and
win over the shipped figures they replace."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from awsprov.errors import AwsprovError

UNIT_MULTIPLIERS = {"1M": 1_000_000, "100k": 100_000, "10k": 10_000, "1k": 1_000}


class PricingError(AwsprovError):
    """The catalogue cannot price what was asked (unknown region, missing figure)."""


@dataclass(frozen=True)
class Price:
    key: str
    unit: str
    usd: float
    status: str
    as_of: str
    source: tuple[str, ...]
    method: str = ""

    @property
    def per(self) -> int:
        """Billing units in one `unit`: "1M requests" → 1,000,000."""
        return UNIT_MULTIPLIERS.get(self.unit.split(" ", 1)[0], 1)


@lru_cache(maxsize=1)
def raw_catalogue() -> dict[str, Any]:
    from importlib import resources as package_files  # here: validate never reads prices

    import yaml

    text = package_files.files("awsprov").joinpath("data/prices.yaml").read_text("utf-8")
    # libyaml's parser where installed: the pure-Python one took 0.3 s of every plan. The
    # catalogue is ours and needs no positions, so the same safe constructor over C is all.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


class Prices:
    """The catalogue's figures for one region; records which unverified ones were used."""

    def __init__(self, region: str, overrides: dict[str, dict] | None = None,
                 source: str = "catalogue", as_of: str | None = None):
        data = raw_catalogue()
        if region not in data["regions"] and not overrides:
            raise PricingError(
                f"no prices for region {region} in the catalogue (it has "
                f"{', '.join(data['regions'])}); fetch them with `--pricing api`, "
                f"or estimate with --region set to one of those")
        self.region = region
        self.data = data
        self.overrides = overrides or {}
        self.source = source
        self.as_of = as_of or str(data["as_of"])
        self.used: dict[str, Price] = {}

    @property
    def glacier_overhead_kb(self) -> dict[str, int]:
        return self.data["glacier_overhead_kb"]

    def get(self, key: str) -> Price:
        entry = self.data["prices"].get(key)
        if entry is None:
            raise PricingError(f"the price catalogue has no component {key}")
        figure = self.overrides.get(key) or entry.get(self.region)
        if not figure or figure.get("usd") is None:
            raise PricingError(f"the price catalogue has no {self.region} price for {key}")
        source = figure.get("source", ())
        price = Price(key, entry["unit"], float(figure["usd"]), figure.get("status", "verified"),
                      str(figure.get("as_of", self.as_of)),
                      tuple([source] if isinstance(source, str) else source),
                      str(figure.get("method", "")))
        self.used[key] = price
        return price

    def warnings(self) -> list[str]:
        """One line per unverified figure that went into the estimate."""
        lines = []
        for key, price in sorted(self.used.items()):
            if price.status == "unverified":
                rule = self.data.get("methods", {}).get(price.method, price.method)
                lines.append(f"unverified price {key} = ${price.usd:g} per {price.unit} in "
                             f"{self.region} ({rule or 'no source'}); check before relying "
                             f"on it, or refresh with --pricing api")
        return lines


def load_prices(region: str, home: Path | None = None) -> Prices:
    """The shipped catalogue for `region`, with cached Price List figures over it."""
    from awsprov.cost import price_list

    cached = price_list.read_cache(region, home)
    if cached:
        return Prices(region, cached["prices"], "AWS Price List API (cached)", cached["as_of"])
    return Prices(region)

