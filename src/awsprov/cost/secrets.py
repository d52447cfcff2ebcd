"""Secrets Manager pricing: the secret-month and API calls."""

from __future__ import annotations

from typing import Any

from awsprov.cost.catalogue import Prices
from awsprov.cost.model import CostComponent, fixed, priced
from awsprov.cost.usage import number, per_month

USAGE_PROPERTIES = {
    "api_calls_per_month": per_month("API calls (GetSecretValue, DescribeSecret, ...)"),
}


def secret_cost(props: dict[str, Any], usage: dict[str, Any],
                prices: Prices) -> list[CostComponent]:
    return [
        fixed(prices, "secretsmanager.secret", "Secret", 1,
              note="prorated by the hour; a secret pending deletion is not billed"),
        priced(prices, "secretsmanager.api", "API calls", number(usage, "api_calls_per_month")),
    ]
