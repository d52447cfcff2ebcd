"""`--pricing api`: refresh the catalogue's figures for one region from the AWS Price List
(the `pricing` service, which answers in us-east-1 only) into a cache under
$AWSPROV_HOME/prices/. Only this path needs the network; the default path is offline."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

PRICING_REGION = "us-east-1"
CACHE_VERSION = 1


def cache_dir(home: Path | None = None) -> Path:
    root = home or Path(os.environ.get("AWSPROV_HOME") or Path.home() / ".awsprov")
    return root / "prices"


def cache_path(region: str, home: Path | None = None) -> Path:
    return cache_dir(home) / f"{region}.json"


def read_cache(region: str, home: Path | None = None) -> dict[str, Any] | None:
    path = cache_path(region, home)
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("version") != CACHE_VERSION or data.get("region") != region:
        return None
    return data


def refresh(pricing_client: Any, region: str, home: Path | None = None,
            today: dt.date | None = None) -> dict[str, Any]:
    """Ask the Price List for every catalogued component that names a usage type; keep
    what it answers, leave the rest to the shipped catalogue. Writes and returns the cache."""
    from awsprov.cost.catalogue import Price, raw_catalogue

    catalogue = raw_catalogue()
    as_of = (today or dt.date.today()).isoformat()
    found: dict[str, dict[str, Any]] = {}
    for key, entry in catalogue["prices"].items():
        if "usagetype" not in entry:
            continue
        for usagetype in _usage_types(entry["usagetype"], region, catalogue):
            per_unit = _first_paid_price(pricing_client, entry["service"], region, usagetype)
            if per_unit is not None:
                per = Price(key, entry["unit"], 0, "", "", ()).per
                found[key] = {"usd": per_unit * per, "status": "verified",
                              "source": ["AWS-PRICE-LIST"], "as_of": as_of,
                              "usagetype": usagetype}
                break
    data = {"version": CACHE_VERSION, "region": region, "as_of": as_of, "prices": found}
    path = cache_path(region, home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
    return data


def _usage_types(usagetype: str, region: str, catalogue: dict) -> list[str]:
    """Usage types carry a region prefix (EUW2-); us-east-1's often has none, and KMS
    spells the region out (eu-west-2-KMS-Requests)."""
    prefix = catalogue["prefixes"].get(region)
    candidates = [f"{prefix}{usagetype}"] if prefix is not None else []
    if region == "us-east-1":
        candidates.append(f"USE1-{usagetype}")
    candidates.append(f"{region}-{usagetype}")
    return list(dict.fromkeys(candidates))


def _first_paid_price(client: Any, service: str, region: str, usagetype: str) -> float | None:
    """The first tier's on-demand USD price per unit, skipping $0 free-tier rows."""
    response = client.get_products(
        ServiceCode=service, MaxResults=10,
        Filters=[{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
                 {"Type": "TERM_MATCH", "Field": "usagetype", "Value": usagetype}])
    tiers: list[tuple[float, float]] = []
    for item in response.get("PriceList", []):
        product = json.loads(item) if isinstance(item, str) else item
        for term in (product.get("terms", {}).get("OnDemand") or {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                usd = float(dimension.get("pricePerUnit", {}).get("USD", "0") or 0)
                if usd > 0:
                    tiers.append((float(dimension.get("beginRange", "0") or 0), usd))
    return min(tiers)[1] if tiers else None
