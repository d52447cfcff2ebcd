"""The optional free-tier view: what the account-wide monthly free tiers would take off
this stack's known cost if it were the account's only use. Never part of the total."""

from __future__ import annotations

from typing import Any

from awsprov.cost.catalogue import raw_catalogue
from awsprov.cost.model import Estimate

SCOPE = ("account-wide and per month (KMS's across all regions): shown as if this stack "
         "were the account's only use")


def free_tier_view(estimate: Estimate) -> dict[str, Any]:
    components = [c for r in estimate.resources for c in r.components if c.known]
    applied: list[dict[str, Any]] = []
    saving = 0.0
    for rule in raw_catalogue()["free_tier"]["allowances"]:
        left = float(rule["allowance"])
        used_value = 0.0
        for key in rule["keys"]:
            for component in (c for c in components if c.price_key == key):
                take = min(left, component.quantity)
                left -= take
                used_value += take * component.unit_price
        if used_value > 0:
            applied.append({"allowance": rule["what"], "monthly": round(used_value, 6)})
            saving += used_value
    return {"scope": SCOPE, "monthly_saving": round(saving, 6),
            "monthly_after": round(estimate.monthly - saving, 6), "applied": applied}
