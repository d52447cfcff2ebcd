"""JSON Schema pieces for `usage:` blocks (each type's `usage_properties` uses them)."""

from __future__ import annotations

COUNT = {"type": "number", "minimum": 0}
GB = {"type": "number", "minimum": 0}


def per_month(what: str) -> dict:
    return {**COUNT, "description": f"{what} per month"}


def gigabytes(what: str) -> dict:
    return {**GB, "description": f"{what}, in GB"}


def named_counts(what: str, names: dict | None = None) -> dict:
    """A map of counts: by index name, by storage class, by protocol."""
    schema: dict = {"type": "object", "description": what, "additionalProperties": COUNT}
    if names is not None:
        schema = {"type": "object", "description": what, "additionalProperties": False,
                  "properties": {n: {**COUNT, "description": f"{what}: {n}"} for n in names}}
    return schema


def number(usage: dict, key: str) -> float | None:
    value = usage.get(key)
    return None if value is None else float(value)
