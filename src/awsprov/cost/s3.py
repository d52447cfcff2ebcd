"""S3 bucket pricing: storage per class following the lifecycle, requests, lifecycle
transitions, and the per-object overhead of objects archived to Glacier.

How data spreads over classes: with `storage_gb` a single figure and one lifecycle rule
that transitions and expires, objects are taken to be written at a steady rate, so their
ages spread evenly over the rule's lifetime: a class holds the share of that lifetime it
covers, and each object makes each transition once (objects x 30.4 / lifetime_days a
month). Any other lifecycle needs `storage_gb` per class; absent figures stay unknown."""

from __future__ import annotations

from typing import Any

from awsprov.cost.catalogue import Prices
from awsprov.cost.model import DAYS_PER_MONTH, CostComponent, priced
from awsprov.cost.usage import COUNT, named_counts, number, per_month

STORAGE_CLASSES = ("STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA",
                   "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")
ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")
KB_PER_GB = 1024 * 1024

USAGE_PROPERTIES = {
    "storage_gb": {"description": "GB stored: one figure (spread over the lifecycle's "
                                  "classes), or GB per storage class",
                   "anyOf": [COUNT, named_counts("GB per storage class", STORAGE_CLASSES)]},
    "objects": {**COUNT, "description": "Objects stored (lifecycle transitions and the "
                                        "Glacier per-object overhead depend on it)"},
    "put_requests_per_month": per_month("PUT, COPY, POST and LIST requests"),
    "get_requests_per_month": per_month("GET and other requests"),
    "transitions_per_month": named_counts("Lifecycle transitions per month, by target class",
                                          STORAGE_CLASSES),
}


def bucket_cost(props: dict[str, Any], usage: dict[str, Any],
                prices: Prices) -> list[CostComponent]:
    rules = [r for r in props.get("lifecycle") or []
             if r.get("enabled", True) and r.get("transitions")]
    targets = sorted({t["storage_class"] for r in rules for t in r["transitions"]},
                     key=STORAGE_CLASSES.index)
    shares, lifetime, note = _class_shares(rules)
    stored = usage.get("storage_gb")
    objects = number(usage, "objects")
    by_class = _storage_by_class(stored, shares, targets)
    if isinstance(stored, dict):
        note = "storage as given per class"
    elif stored is None:
        note = ""
    components = [priced(prices, f"s3.storage.{cls}", f"Storage ({cls})", gb)
                  for cls, gb in by_class.items()]
    components += _requests(usage, prices)
    components += _transitions(targets, shares, lifetime, objects, usage, prices)
    components += _archive_overhead(by_class, shares, objects, prices)
    _annotate(components, props, note)
    return components


def _storage_by_class(stored: Any, shares: dict[str, float] | None,
                      targets: list[str]) -> dict[str, float | None]:
    """GB per class: as given, or one figure spread by the lifecycle's shares; a class
    whose figure cannot be known is None."""
    if isinstance(stored, dict):
        return {c: float(stored[c]) if c in stored else None
                for c in ["STANDARD", *targets, *stored] if c in STORAGE_CLASSES}
    if stored is None or shares is None:
        return dict.fromkeys(["STANDARD", *targets])
    return {c: float(stored) * share for c, share in shares.items()}


def _class_shares(rules: list[dict]) -> tuple[dict[str, float] | None, float | None, str]:
    """Each class's share of storage at steady state, from the one rule that moves data."""
    if not rules:
        return {"STANDARD": 1.0}, None, ""
    if len(rules) > 1:
        return None, None, "several lifecycle rules move data: give storage_gb per class"
    rule = rules[0]
    lifetime = rule.get("expiration_days")
    if not lifetime:
        return None, None, ("the lifecycle never expires data, so there is no steady "
                            "state: give storage_gb per class")
    steps = sorted((t["days"], t["storage_class"]) for t in rule["transitions"]
                   if t["days"] < lifetime)
    bounds = [(0, "STANDARD"), *steps]
    shares: dict[str, float] = {}
    for i, (start, cls) in enumerate(bounds):
        end = bounds[i + 1][0] if i + 1 < len(bounds) else lifetime
        shares[cls] = shares.get(cls, 0.0) + (end - start) / lifetime
    prefix = f" under prefix {rule['prefix']}" if rule.get("prefix") else ""
    note = (f"rule {rule['id']}: objects{prefix} age evenly over {lifetime} days; "
            "assumes all data falls under it")
    return shares, float(lifetime), note


def _requests(usage: dict, prices: Prices) -> list[CostComponent]:
    return [
        priced(prices, "s3.requests.tier1", "PUT/COPY/POST/LIST requests",
               number(usage, "put_requests_per_month")),
        priced(prices, "s3.requests.tier2", "GET and other requests",
               number(usage, "get_requests_per_month")),
    ]


def _transitions(targets: list[str], shares: dict | None, lifetime: float | None,
                 objects: float | None, usage: dict, prices: Prices) -> list[CostComponent]:
    given = usage.get("transitions_per_month") or {}
    components = []
    for cls in targets:
        if cls in given:
            count, note = float(given[cls]), ""
        elif shares is not None and lifetime and cls not in shares:
            count, note = 0.0, "objects expire before this transition"
        elif objects is not None and shares is not None and lifetime and cls in shares:
            count = objects * DAYS_PER_MONTH / lifetime
            note = f"{objects:g} objects x 30.4 / {lifetime:g} days: each moves once"
        else:
            count, note = None, "needs objects (or transitions_per_month)"
        components.append(priced(prices, f"s3.transition.{cls}",
                                 f"Lifecycle transitions to {cls}", count, note=note))
    return components


def _archive_overhead(by_class: dict, shares: dict | None, objects: float | None,
                      prices: Prices) -> list[CostComponent]:
    """Glacier Flexible Retrieval and Deep Archive add 40 KB per object: 32 KB at the
    archive rate and 8 KB at S3 Standard (small objects can cost more archived)."""
    kb = prices.glacier_overhead_kb
    components = []
    for cls in ARCHIVE_CLASSES:
        if cls not in by_class:
            continue
        count = objects * shares[cls] if objects is not None and shares and cls in shares \
            else None
        note = f"{kb['archive']} KB per object at the {cls} rate"
        components.append(priced(prices, f"s3.storage.{cls}", f"Archive overhead ({cls})",
                                 None if count is None else count * kb["archive"] / KB_PER_GB,
                                 note=note))
        components.append(priced(prices, "s3.storage.STANDARD",
                                 f"Archive index at Standard ({cls})",
                                 None if count is None else count * kb["standard"] / KB_PER_GB,
                                 note=f"{kb['standard']} KB per archived object"))
    return components


def _annotate(components: list[CostComponent], props: dict, storage_note: str) -> None:
    """Notes about the bucket as a whole go on its first line, once."""
    first = components[0]
    notes = [storage_note] if storage_note else []
    if props.get("versioning"):
        notes.append("noncurrent versions are stored too: include them in storage_gb")
    if (props.get("encryption") or {}).get("kms_key"):
        notes.append("SSE-KMS requests are billed on the key")
    first.note = "; ".join(notes)
