"""A table's properties and their normalised state: what the spec says and what
DescribeTable answers, both brought to one shape so the diff compares like with like
(docs/tables.md, "Change classes")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from awsprov.core.changes import FieldKind
from awsprov.core.references import REFERENCE
from awsprov.resources.base import Live
from awsprov.resources.props import Prop, dig

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
    "anyOf": [{"enum": ["aws-owned", "aws-managed"]},
              {"pattern": r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$"},
              {"pattern": REFERENCE}],
}
_MAX_UNITS = {"type": "integer", "anyOf": [{"minimum": 1}, {"const": -1}], "default": -1}

# Each property once. `name` and `attributes` are not compared state of their own: the
# name is the table's identity, and each key carries its attribute's type ("id (S)").
PROPS = {
    "name": Prop({"type": "string", "minLength": 3, "maxLength": 255, "pattern": NAME_CHARS,
                  "description": "Table name: 3-255 of a-z A-Z 0-9 _ - ."}, state=False),
    "hash_key": Prop({"type": "string", "minLength": 1,
                      "description": "The partition key attribute (declared in attributes:); "
                                     "fixed when the table is made"}, FieldKind.REPLACE),
    "range_key": Prop({"type": "string", "minLength": 1,
                       "description": "The sort key attribute (declared in attributes:); "
                                      "fixed when the table is made"}, FieldKind.REPLACE),
    "attributes": Prop({"type": "object", "minProperties": 1,
                        "description": "Type of every key attribute of the table and its "
                                       "indexes: S (string), N (number) or B (binary)",
                        "propertyNames": {"minLength": 1, "maxLength": 255},
                        "additionalProperties": {"enum": list(KEY_TYPES)}}, state=False),
    "billing_mode": Prop({"enum": list(BILLING_MODES),
                          "description": "PAY_PER_REQUEST (on demand) or PROVISIONED "
                                         "(capacity:)"},
                         default="PAY_PER_REQUEST"),
    "capacity": Prop(_CAPACITY),
    "global_indexes": Prop({"type": "object", "maxProperties": 20,
                            "propertyNames": _INDEX_NAME,
                            "description": "Global secondary indexes by name (at most 20)",
                            "additionalProperties": _GLOBAL_INDEX}),
    "local_indexes": Prop({"type": "object", "maxProperties": 5, "propertyNames": _INDEX_NAME,
                           "description": "Local secondary indexes by name (at most 5); "
                                          "fixed when the table is made",
                           "additionalProperties": _LOCAL_INDEX}, FieldKind.REPLACE),
    "ttl": Prop({"type": "string", "minLength": 1, "maxLength": 255,
                 "description": "The attribute that holds each item's expiry (epoch "
                                "seconds)"}),
    "point_in_time_recovery": Prop({
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
        default=False),
    "on_demand_throughput": Prop({
        "type": "object", "additionalProperties": False, "minProperties": 1,
        "description": "Caps on an on-demand table's request rate (units per second; "
                       "-1: no cap)",
        "properties": {"max_reads": {**_MAX_UNITS, "description":
                                     "Read request units per second at most"},
                       "max_writes": {**_MAX_UNITS, "description":
                                      "Write request units per second at most"}}}),
    "encryption": Prop(_KEY_REF, default="aws-owned"),
    "stream": Prop({"enum": list(STREAM_VIEWS),
                    "description": "DynamoDB Streams view type; leave out for no stream"}),
    "deletion_protection": Prop({"type": "boolean",
                                 "description": "AWS refuses DeleteTable while true"},
                                default=False, describe="DeletionProtectionEnabled"),
    "table_class": Prop({"enum": list(TABLE_CLASSES),
                         "description": "STANDARD, or STANDARD_INFREQUENT_ACCESS (cheaper "
                                        "storage, dearer requests)"},
                        default="STANDARD", describe="TableClassSummary.TableClass"),
}


# ---- the typed live shape ----------------------------------------------------------------

@dataclass(frozen=True)
class Keys:
    """A key schema's attribute names."""

    hash_key: str | None = None
    range_key: str | None = None


@dataclass(frozen=True)
class TableDetails:
    """What the live read knows beyond the compared state, for this type's own hooks:
    the bare key names and attribute types (export), the TTL status (one change an
    hour), every name of the table's KMS key (the same key named by alias or id), the
    last switch to on-demand (four a day), and how to sample items TTL would expire."""

    attributes: dict[str, str] = field(default_factory=dict)
    table_keys: Keys = Keys()
    index_keys: dict[str, Keys] = field(default_factory=dict)  # every secondary index's
    ttl_status: str = "DISABLED"
    encryption_names: frozenset[str] = frozenset()
    last_switch_to_on_demand: dt.datetime | None = None
    expired_sampler: Callable[[str], int | None] | None = field(
        default=None, compare=False, repr=False)
    _expired: dict[str, int | None] = field(
        default_factory=dict, init=False, compare=False, repr=False)

    def expired_sample(self, attribute: str) -> int | None:
        """How many sampled items TTL on `attribute` would delete at once, None when
        unknown; sampled once per live read, however often a plan asks."""
        if attribute not in self._expired:
            sampler = self.expired_sampler
            self._expired[attribute] = sampler(attribute) if sampler else None
        return self._expired[attribute]


def details_of(live: Live) -> TableDetails:
    """live's details; none known for a live built by hand (a unit test's)."""
    return live.details if isinstance(live.details, TableDetails) else TableDetails()


# ---- the spec's side ---------------------------------------------------------------------

def given(props: dict[str, Any], name: str) -> Any:
    """The spec's value of a property, its AWS default when the spec leaves it out."""
    return props.get(name, PROPS[name].unset)


def desired_state(props: dict[str, Any]) -> dict[str, Any]:
    attrs = given(props, "attributes") or {}
    billing = given(props, "billing_mode")
    pitr = given(props, "point_in_time_recovery")
    if isinstance(pitr, bool):
        pitr = {"enabled": pitr}
    pitr_enabled = pitr.get("enabled", True)
    odt = given(props, "on_demand_throughput") or {}
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
        **{name: given(props, name) for name in SIMPLE_KEYS},
        "point_in_time_recovery": {
            "enabled": bool(pitr_enabled),
            "recovery_period_days": pitr.get("recovery_period_days", PITR_DEFAULT_DAYS)
            if pitr_enabled else None},
    }


# The properties whose state is the spec's value as written, in the diff's order.
SIMPLE_KEYS = ("stream", "deletion_protection", "table_class", "encryption", "ttl")


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
    desired_state; AWS's absent answers read as its defaults (docs/tables.md, "Reading":
    a table without BillingModeSummary is PROVISIONED)."""
    attrs = attribute_types(table)
    keys = key_names(table["KeySchema"])
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    provisioned = billing == "PROVISIONED"
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
        **{name: dig(table, PROPS[name].describe, PROPS[name].unset)
           for name in ("deletion_protection", "table_class")},
        "encryption": encryption,
        "ttl": ttl.get("AttributeName") if ttl_status(ttl) in ("ENABLED", "ENABLING") else None,
        "point_in_time_recovery": {
            "enabled": pitr_on,
            "recovery_period_days": pitr.get("RecoveryPeriodInDays", PITR_DEFAULT_DAYS)
            if pitr_on else None},
    }


def live_details(table: dict, ttl: dict, encryption_names: frozenset[str],
                 sampler: Callable[[str], int | None]) -> TableDetails:
    indexes = [*(table.get("GlobalSecondaryIndexes") or []),
               *(table.get("LocalSecondaryIndexes") or [])]
    return TableDetails(
        attributes=attribute_types(table),
        table_keys=_keys(table["KeySchema"]),
        index_keys={ix["IndexName"]: _keys(ix["KeySchema"]) for ix in indexes},
        ttl_status=ttl_status(ttl),
        encryption_names=encryption_names,
        last_switch_to_on_demand=(table.get("BillingModeSummary") or {}).get(
            "LastUpdateToPayPerRequestDateTime"),
        expired_sampler=sampler)


def ttl_status(ttl: dict) -> str:
    return ttl.get("TimeToLiveStatus", "DISABLED")


def attribute_types(table: dict) -> dict[str, str]:
    return {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}


def key_names(schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in schema}


def _keys(schema: list[dict]) -> Keys:
    names = key_names(schema)
    return Keys(names.get("HASH"), names.get("RANGE"))


def live_projection(projection: dict) -> Any:
    kind = projection.get("ProjectionType", "ALL")
    return sorted(projection.get("NonKeyAttributes") or []) if kind == "INCLUDE" else kind


def _live_capacity(throughput: dict | None) -> dict | None:
    if not throughput:
        return None
    return {"read": throughput.get("ReadCapacityUnits", 0),
            "write": throughput.get("WriteCapacityUnits", 0)}


# ---- back to a spec (`awsprov export`) ---------------------------------------------------

def export_spec(live: Live) -> dict[str, Any]:
    """Spec properties that reproduce the table, AWS defaults left out."""
    details, state = details_of(live), live.state
    props: dict[str, Any] = {"name": live.name, "hash_key": details.table_keys.hash_key}
    if details.table_keys.range_key:
        props["range_key"] = details.table_keys.range_key
    props["attributes"] = dict(details.attributes)
    if state["billing_mode"] != PROPS["billing_mode"].unset:
        props["billing_mode"] = state["billing_mode"]
        props["capacity"] = state["capacity"]
    props.update(_export_indexes(state, details))
    for key in ("ttl", "stream", "deletion_protection", "table_class", "encryption"):
        if state[key] != PROPS[key].unset:
            props[key] = state[key]
    pitr = state["point_in_time_recovery"]
    if pitr["enabled"]:
        props["point_in_time_recovery"] = (
            True if pitr["recovery_period_days"] == PITR_DEFAULT_DAYS
            else {"enabled": True, "recovery_period_days": pitr["recovery_period_days"]})
    if state["on_demand_throughput"]:
        props["on_demand_throughput"] = state["on_demand_throughput"]
    user_tags = {k: v for k, v in live.tags.items() if not k.startswith("awsprov:")}
    if user_tags:
        props["tags"] = user_tags
    return props


def _export_indexes(state: dict, details: TableDetails) -> dict[str, Any]:
    out: dict[str, Any] = {}
    gsis = {}
    for name, index in state["global_indexes"].items():
        keys = details.index_keys[name]
        entry: dict[str, Any] = {"hash_key": keys.hash_key}
        if keys.range_key:
            entry["range_key"] = keys.range_key
        if index["projection"] != "ALL":
            entry["projection"] = index["projection"]
        if index["capacity"]:
            entry["capacity"] = index["capacity"]
        gsis[name] = entry
    if gsis:
        out["global_indexes"] = gsis
    lsis = {}
    for name, index in state["local_indexes"].items():
        entry = {"range_key": details.index_keys[name].range_key}
        if index["projection"] != "ALL":
            entry["projection"] = index["projection"]
        lsis[name] = entry
    if lsis:
        out["local_indexes"] = lsis
    return out
