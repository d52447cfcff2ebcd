"""DynamoDB table pricing: on-demand request units or provisioned capacity-hours (the
table's and every global index's), storage by table class, PITR, stream reads."""

from __future__ import annotations

from typing import Any

from awsprov.cost.catalogue import Prices
from awsprov.cost.model import HOURS_PER_MONTH, CostComponent, fixed, priced
from awsprov.cost.usage import gigabytes, named_counts, number, per_month

USAGE_PROPERTIES = {
    "reads_per_month": per_month("Read request units (a strongly consistent read of up to "
                                 "4 KB = 1, eventually consistent = 0.5), table and indexes"),
    "writes_per_month": per_month("Write request units written to the table (1 KB = 1)"),
    "index_writes_per_month": named_counts(
        "Write request units each global index receives; default: every table write"),
    "storage_gb": gigabytes("Table size: items, index projections and about 100 bytes "
                            "of overhead per item"),
    "stream_reads_per_month": per_month("Stream read request units by consumers other than "
                                        "Lambda triggers"),
}


def _pitr_enabled(props: dict) -> bool:
    pitr = props.get("point_in_time_recovery", False)
    return pitr.get("enabled", True) if isinstance(pitr, dict) else bool(pitr)


def table_cost(props: dict[str, Any], usage: dict[str, Any],
               prices: Prices) -> list[CostComponent]:
    ia = props.get("table_class") == "STANDARD_INFREQUENT_ACCESS"
    prefix = "dynamodb.ia." if ia else "dynamodb."
    indexes = props.get("global_indexes") or {}
    if props.get("billing_mode") == "PROVISIONED":
        components = _capacity(props, indexes, prefix, usage, prices)
    else:
        components = _requests(indexes, prefix, usage, prices)
    storage = number(usage, "storage_gb")
    components.append(priced(
        prices, "dynamodb.storage.standard_ia" if ia else "dynamodb.storage.standard",
        "Storage (Standard-IA class)" if ia else "Storage", storage))
    if _pitr_enabled(props):
        components.append(priced(prices, "dynamodb.pitr", "Point-in-time recovery", storage,
                                 note="billed on the table's size, storage_gb"))
    if props.get("stream"):
        components.append(priced(prices, "dynamodb.streams.reads", "Stream reads",
                                 number(usage, "stream_reads_per_month"),
                                 note="reads by Lambda triggers are free"))
    return components


def _capacity(props: dict, indexes: dict, prefix: str, usage: dict,
              prices: Prices) -> list[CostComponent]:
    ignored = "; reads/writes usage is covered by it" if (
        "reads_per_month" in usage or "writes_per_month" in usage) else ""
    owners = [("table", props["capacity"])]
    owners += [(f"index {name}", ix["capacity"]) for name, ix in sorted(indexes.items())
               if ix.get("capacity")]
    components = []
    for owner, capacity in owners:
        note = f"{capacity['read']} RCU x {HOURS_PER_MONTH} h"
        components.append(fixed(prices, f"{prefix}provisioned.rcu", f"Read capacity ({owner})",
                                capacity["read"] * HOURS_PER_MONTH, note=note))
        note = f"{capacity['write']} WCU x {HOURS_PER_MONTH} h"
        if owner == "table":
            note += ignored
        components.append(fixed(prices, f"{prefix}provisioned.wcu", f"Write capacity ({owner})",
                                capacity["write"] * HOURS_PER_MONTH, note=note))
    return components


def _requests(indexes: dict, prefix: str, usage: dict, prices: Prices) -> list[CostComponent]:
    writes = number(usage, "writes_per_month")
    components = [
        priced(prices, f"{prefix}on_demand.reads", "Read request units",
               number(usage, "reads_per_month")),
        priced(prices, f"{prefix}on_demand.writes", "Write request units (table)", writes),
    ]
    given = usage.get("index_writes_per_month") or {}
    for name in sorted(indexes):
        if name in given:
            amount, note = float(given[name]), ""
        else:
            amount = writes
            note = ("assumes every table write updates this index; set "
                    f"usage.index_writes_per_month.{name} to refine")
        components.append(priced(prices, f"{prefix}on_demand.writes",
                                 f"Write request units (index {name})", amount, note=note))
    return components
