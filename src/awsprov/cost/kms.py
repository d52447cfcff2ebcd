"""KMS key pricing: the key-month and its requests; what rotation adds is a note."""

from __future__ import annotations

from typing import Any

from awsprov.cost.catalogue import Prices
from awsprov.cost.model import CostComponent, fixed, priced
from awsprov.cost.usage import number, per_month

DEFAULT_ROTATION_DAYS = 365
ASYMMETRIC_PREFIXES = ("RSA_3072", "RSA_4096", "ECC_")

USAGE_PROPERTIES = {
    "requests_per_month": per_month("Cryptographic requests (Encrypt, Decrypt, "
                                    "GenerateDataKey, ...)"),
}


def rotation_note(props: dict) -> str:
    if props.get("rotation", True) is False or not _symmetric(props):
        return "no rotation: the key stays at one key-month"
    days = props.get("rotation_period_days", DEFAULT_ROTATION_DAYS)
    first, second = days / 30.4167, 2 * days / 30.4167
    return (f"rotation every {days} days: each of the first two rotations adds one "
            f"key-month, so the key costs 2x from month {first:.0f} and 3x from month "
            f"{second:.0f} on")


def _symmetric(props: dict) -> bool:
    return props.get("key_spec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"


def key_cost(props: dict[str, Any], usage: dict[str, Any],
             prices: Prices) -> list[CostComponent]:
    spec = props.get("key_spec", "SYMMETRIC_DEFAULT")
    asymmetric = spec.startswith(ASYMMETRIC_PREFIXES)
    return [
        fixed(prices, "kms.key", "Customer managed key", 1, note=rotation_note(props)),
        priced(prices, "kms.requests.asymmetric" if asymmetric else "kms.requests.symmetric",
               "Requests", number(usage, "requests_per_month")),
    ]
