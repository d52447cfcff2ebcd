"""A table's properties and their normalised state: what the spec says and what
DescribeTable answers, both brought to one shape so the diff compares like with like
(docs/tables.md, "Change classes")."""

from __future__ import annotations

from typing import Any

from awsprov.core.changes import FieldKind
from awsprov.core.references import REFERENCE

KEY_TYPES = ("S", "N", "B")
BILLING_MODES = ("PAY_PER_REQUEST", "PROVISIONED")
STREAM_VIEWS = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")
TABLE_CLASSES = ("STANDARD", "STANDARD_INFREQUENT_ACCESS")
NAME_CHARS = r"^(?:[a-zA-Z0-9_.-]|\$\{account_id\})+$"
PITR_DEFAULT_DAYS = 35

_CAPACITY = {
    "type": "object", "additionalProperties": False, "required": ["read", "write"],
    "description": "Provisioned read and write capacity units (billing_mode PROVISIONED)",
    "properties": {"read": {"type": "integer", "minimum": 1,
                            "description": "Read capacity units (4 KB strongly consistent "
                                           "reads per second)"},
                   "write": {"type": "integer", "minimum": 1,
                             "description": "Write capacity units (1 KB writes per second)"}},
}
_PROJECTION = {
    "description": "ALL, KEYS_ONLY, or the list of non-key attributes to include",
    "anyOf": [{"enum": ["ALL", "KEYS_ONLY"]},
              {"type": "array", "minItems": 1, "maxItems": 100, "uniqueItems": True,
               "items": {"type": "string", "minLength": 1}}],
}
_INDEX_NAME = {"pattern": r"^[a-zA-Z0-9_.-]{3,255}$"}
_GLOBAL_INDEX = {
    "type": "object", "additionalProperties": False, "required": ["hash_key"],
    "properties": {"hash_key": {"type": "string", "minLength": 1,
                                "description": "The index's partition key (an attribute of "
                                               "attributes:)"},
                   "range_key": {"type": "string", "minLength": 1,
                                 "description": "The index's sort key (an attribute of "
                                                "attributes:)"},
                   "projection": {**_PROJECTION, "default": "ALL"},
                   "capacity": {**_CAPACITY, "description": "The index's provisioned "
                                "capacity (PROVISIONED tables)"}},
}
_LOCAL_INDEX = {
    "type": "object", "additionalProperties": False, "required": ["range_key"],
    "properties": {"hash_key": {"type": "string", "minLength": 1,
                                "description": "Must be the table's hash_key (the default)"},
                   "range_key": {"type": "string", "minLength": 1,
                                 "description": "The index's sort key (an attribute of "
                                                "attributes:)"},
                   "projection": {**_PROJECTION, "default": "ALL"}},
}
_KEY_REF = {
    "type": "string",
    "description": "aws-owned, aws-managed, a KMS key ARN, or a ${keys.NAME} reference",
    "default": "aws-owned",
    "anyOf": [{"enum": ["aws-owned", "aws-managed"]},
              {"pattern": r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$"},
              {"pattern": REFERENCE}],
}
_MAX_UNITS = {"type": "integer", "anyOf": [{"minimum": 1}, {"const": -1}], "default": -1}

PROPERTIES = {
    "name": {"type": "string", "minLength": 3, "maxLength": 255, "pattern": NAME_CHARS,
             "description": "Table name: 3-255 of a-z A-Z 0-9 _ - ."},
    "hash_key": {"type": "string", "minLength": 1,
                 "description": "The partition key attribute (declared in attributes:); "
                                "fixed when the table is made"},
    "range_key": {"type": "string", "minLength": 1,
                  "description": "The sort key attribute (declared in attributes:); fixed "
                                 "when the table is made"},
    "attributes": {"type": "object", "minProperties": 1,
                   "description": "Type of every key attribute of the table and its "
                                  "indexes: S (string), N (number) or B (binary)",
                   "propertyNames": {"minLength": 1, "maxLength": 255},
                   "additionalProperties": {"enum": list(KEY_TYPES)}},
    "billing_mode": {"enum": list(BILLING_MODES), "default": "PAY_PER_REQUEST",
                     "description": "PAY_PER_REQUEST (on demand) or PROVISIONED "
                                    "(capacity:)"},
    "capacity": _CAPACITY,
    "global_indexes": {"type": "object", "maxProperties": 20, "propertyNames": _INDEX_NAME,
                       "description": "Global secondary indexes by name (at most 20)",
                       "additionalProperties": _GLOBAL_INDEX},
    "local_indexes": {"type": "object", "maxProperties": 5, "propertyNames": _INDEX_NAME,
                      "description": "Local secondary indexes by name (at most 5); fixed "
                                     "when the table is made",
                      "additionalProperties": _LOCAL_INDEX},
    "ttl": {"type": "string", "minLength": 1, "maxLength": 255,
            "description": "The attribute that holds each item's expiry (epoch seconds)"},
    "point_in_time_recovery": {
        "default": False,
        "description": "Continuous backups: true, or {enabled, recovery_period_days}",
        "anyOf": [
            {"type": "boolean"},
            {"type": "object", "additionalProperties": False,
             "properties": {"enabled": {"type": "boolean", "default": True,
                                        "description": "Point-in-time recovery on"},
                            "recovery_period_days": {
                                "type": "integer", "minimum": 1, "maximum": 35,
                                "default": PITR_DEFAULT_DAYS,
                                "description": "Days a restore can go back (1-35)"}}}]},
    "on_demand_throughput": {"type": "object", "additionalProperties": False,
                             "minProperties": 1,
                             "description": "Caps on an on-demand table's request rate "
                                            "(units per second; -1: no cap)",
                             "properties": {
                                 "max_reads": {**_MAX_UNITS, "description":
                                               "Read request units per second at most"},
                                 "max_writes": {**_MAX_UNITS, "description":
                                                "Write request units per second at most"}}},
    "encryption": _KEY_REF,
    "stream": {"enum": list(STREAM_VIEWS),
               "description": "DynamoDB Streams view type; leave out for no stream"},
    "deletion_protection": {"type": "boolean", "default": False,
                            "description": "AWS refuses DeleteTable while true"},
    "table_class": {"enum": list(TABLE_CLASSES), "default": "STANDARD",
                    "description": "STANDARD, or STANDARD_INFREQUENT_ACCESS (cheaper "
                                   "storage, dearer requests)"},
}
FIELDS = {
    "hash_key": FieldKind.REPLACE,
    "range_key": FieldKind.REPLACE,
    "local_indexes": FieldKind.REPLACE,
}


# ---- the spec's side ---------------------------------------------------------------------

def desired_state(props: dict[str, Any]) -> dict[str, Any]:
    attrs = props.get("attributes") or {}
    billing = props.get("billing_mode", "PAY_PER_REQUEST")
    pitr = props.get("point_in_time_recovery", False)
    if isinstance(pitr, bool):
        pitr = {"enabled": pitr}
    pitr_enabled = pitr.get("enabled", True)
    odt = props.get("on_demand_throughput") or {}
    return {
        "hash_key": key_of(props.get("hash_key"), attrs),
        "range_key": key_of(props.get("range_key"), attrs),
        "local_indexes": {
            name: {"range_key": key_of(ix["range_key"], attrs),
                   "projection": _projection_of(ix.get("projection"))}
            for name, ix in (props.get("local_indexes") or {}).items()},
        "billing_mode": billing,
        "capacity": _capacity_of(props.get("capacity")) if billing == "PROVISIONED" else None,
        "on_demand_throughput": None if billing == "PROVISIONED" else limits(
            odt.get("max_reads", -1), odt.get("max_writes", -1)),
        "global_indexes": {
            name: {"hash_key": key_of(ix["hash_key"], attrs),
                   "range_key": key_of(ix.get("range_key"), attrs),
                   "projection": _projection_of(ix.get("projection")),
                   "capacity": _capacity_of(ix.get("capacity"))
                   if billing == "PROVISIONED" else None}
            for name, ix in (props.get("global_indexes") or {}).items()},
        "stream": props.get("stream"),
        "deletion_protection": bool(props.get("deletion_protection", False)),
        "table_class": props.get("table_class", "STANDARD"),
        "encryption": props.get("encryption", "aws-owned"),
        "ttl": props.get("ttl"),
        "point_in_time_recovery": {
            "enabled": bool(pitr_enabled),
            "recovery_period_days": pitr.get("recovery_period_days", PITR_DEFAULT_DAYS)
            if pitr_enabled else None},
    }


def key_of(name: str | None, attributes: dict[str, str]) -> str | None:
    """A key as plan output shows it: `id (S)`."""
    return None if name is None else f"{name} ({attributes.get(name, '?')})"


def _projection_of(value: Any) -> Any:
    if value in (None, "ALL"):
        return "ALL"
    if value == "KEYS_ONLY":
        return "KEYS_ONLY"
    return sorted(value)


def _capacity_of(value: dict | None) -> dict | None:
    return None if not value else {"read": value["read"], "write": value["write"]}


def limits(max_reads: int, max_writes: int) -> dict | None:
    """On-demand limits, None for none: -1 is AWS's "no limit", the same as unset."""
    if max_reads == -1 and max_writes == -1:
        return None
    return {"max_reads": max_reads, "max_writes": max_writes}


# ---- AWS's side --------------------------------------------------------------------------

def live_state(table: dict, ttl: dict, pitr: dict, encryption: str) -> dict[str, Any]:
    """DescribeTable, DescribeTimeToLive and DescribeContinuousBackups in the shape of
    desired_state; AWS's absent answers read as its defaults (docs/tables.md, "Reading")."""
    attrs = attribute_types(table)
    keys = key_names(table["KeySchema"])
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    provisioned = billing == "PROVISIONED"
    ttl_status = ttl.get("TimeToLiveStatus", "DISABLED")
    stream = table.get("StreamSpecification") or {}
    odt = table.get("OnDemandThroughput") or {}
    pitr_on = pitr.get("PointInTimeRecoveryStatus") == "ENABLED"
    return {
        "hash_key": key_of(keys.get("HASH"), attrs),
        "range_key": key_of(keys.get("RANGE"), attrs),
        "local_indexes": {
            ix["IndexName"]: {"range_key": key_of(key_names(ix["KeySchema"]).get("RANGE"),
                                                  attrs),
                              "projection": live_projection(ix["Projection"])}
            for ix in table.get("LocalSecondaryIndexes") or []},
        "billing_mode": billing,
        "capacity": _live_capacity(table.get("ProvisionedThroughput")) if provisioned
        else None,
        "on_demand_throughput": None if provisioned else limits(
            odt.get("MaxReadRequestUnits", -1) or -1,
            odt.get("MaxWriteRequestUnits", -1) or -1),
        "global_indexes": {
            ix["IndexName"]: {
                "hash_key": key_of(key_names(ix["KeySchema"]).get("HASH"), attrs),
                "range_key": key_of(key_names(ix["KeySchema"]).get("RANGE"), attrs),
                "projection": live_projection(ix["Projection"]),
                "capacity": _live_capacity(ix.get("ProvisionedThroughput"))
                if provisioned else None}
            for ix in table.get("GlobalSecondaryIndexes") or []},
        "stream": stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        "deletion_protection": bool(table.get("DeletionProtectionEnabled", False)),
        "table_class": (table.get("TableClassSummary") or {}).get("TableClass", "STANDARD"),
        "encryption": encryption,
        "ttl": ttl.get("AttributeName") if ttl_status in ("ENABLED", "ENABLING") else None,
        "point_in_time_recovery": {
            "enabled": pitr_on,
            "recovery_period_days": pitr.get("RecoveryPeriodInDays", PITR_DEFAULT_DAYS)
            if pitr_on else None},
    }


def attribute_types(table: dict) -> dict[str, str]:
    return {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}


def key_names(schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in schema}


def live_projection(projection: dict) -> Any:
    kind = projection.get("ProjectionType", "ALL")
    return sorted(projection.get("NonKeyAttributes") or []) if kind == "INCLUDE" else kind


def _live_capacity(throughput: dict | None) -> dict | None:
    if not throughput:
        return None
    return {"read": throughput.get("ReadCapacityUnits", 0),
            "write": throughput.get("WriteCapacityUnits", 0)}


# ---- back to a spec (`awsprov export`) ---------------------------------------------------

def export_spec(name: str, table: dict, state: dict, tags: dict[str, str]) -> dict[str, Any]:
    """Spec properties that reproduce the table, AWS defaults left out."""
    keys = key_names(table["KeySchema"])
    props: dict[str, Any] = {"name": name, "hash_key": keys["HASH"]}
    if "RANGE" in keys:
        props["range_key"] = keys["RANGE"]
    props["attributes"] = attribute_types(table)
    if state["billing_mode"] == "PROVISIONED":
        props["billing_mode"] = "PROVISIONED"
        props["capacity"] = state["capacity"]
    props.update(_export_indexes(table, state))
    defaults = desired_state({"hash_key": keys["HASH"]})
    for key in ("ttl", "stream", "deletion_protection", "table_class", "encryption"):
        if state[key] != defaults[key]:
            props[key] = state[key]
    pitr = state["point_in_time_recovery"]
    if pitr["enabled"]:
        props["point_in_time_recovery"] = (
            True if pitr["recovery_period_days"] == PITR_DEFAULT_DAYS
            else {"enabled": True, "recovery_period_days": pitr["recovery_period_days"]})
    if state["on_demand_throughput"]:
        props["on_demand_throughput"] = state["on_demand_throughput"]
    user_tags = {k: v for k, v in tags.items() if not k.startswith("awsprov:")}
    if user_tags:
        props["tags"] = user_tags
    return props


def _export_indexes(table: dict, state: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    gsis = {}
    for ix in table.get("GlobalSecondaryIndexes") or []:
        keys = key_names(ix["KeySchema"])
        entry: dict[str, Any] = {"hash_key": keys["HASH"]}
        if "RANGE" in keys:
            entry["range_key"] = keys["RANGE"]
        projection = live_projection(ix["Projection"])
        if projection != "ALL":
            entry["projection"] = projection
        capacity = state["global_indexes"][ix["IndexName"]]["capacity"]
        if capacity:
            entry["capacity"] = capacity
        gsis[ix["IndexName"]] = entry
    if gsis:
        out["global_indexes"] = gsis
    lsis = {}
    for ix in table.get("LocalSecondaryIndexes") or []:
        entry = {"range_key": key_names(ix["KeySchema"])["RANGE"]}
        projection = live_projection(ix["Projection"])
        if projection != "ALL":
            entry["projection"] = projection
        lsis[ix["IndexName"]] = entry
    if lsis:
        out["local_indexes"] = lsis
    return out
