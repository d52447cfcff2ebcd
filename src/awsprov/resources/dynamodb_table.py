"""DynamoDB tables (SPEC.md "tables"; reference/aws-behaviour.md §1.1 and §2).

AWS's ordering rules are the hard part. An update runs in Terraform's order
(resourceTableUpdate): index deletes one per UpdateTable → table class alone → stream
view-type cycle → one UpdateTable for billing/capacity/protection/stream/index capacity
→ index creates one per UpdateTable → SSE → TTL → PITR → tags, waiting between steps.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Iterator
from typing import Any

from awsprov.aws import errors
from awsprov.aws.arns import make_arn
from awsprov.aws.paging import token_pages
from awsprov.aws.waiters import (
    botocore_wait,
    retry_when,
    retry_with_backoff,
    visible,
    wait_until,
)
from awsprov.core.changes import (
    KNOWN_AFTER_APPLY,
    AttributeChange,
    BaselineFinding,
    FieldKind,
    Severity,
)
from awsprov.core.references import REFERENCE
from awsprov.cost import dynamodb as pricing
from awsprov.resources import kms_refs
from awsprov.resources import service_access as access
from awsprov.resources import tags as tagging
from awsprov.resources.base import (
    Deletion,
    Desired,
    Live,
    Problem,
    Progress,
    ResourceType,
    leaf_diff,
)
from awsprov.resources.sizes import human_bytes, plural

# What UpdateTable answers when an index change is sent again after a lost answer: the
# table is UPDATING with the first attempt's change, or the index already is / is gone.
INDEX_CHANGE_REFUSED = ("ResourceInUseException", "ValidationException")
# How long a table CreateTable calls in use may stay invisible to DescribeTable.
IN_USE_VISIBLE_SECONDS = 30
KEY_TYPES = ("S", "N", "B")
BILLING_MODES = ("PAY_PER_REQUEST", "PROVISIONED")
STREAM_VIEWS = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")
TABLE_CLASSES = ("STANDARD", "STANDARD_INFREQUENT_ACCESS")
NAME_CHARS = r"^(?:[a-zA-Z0-9_.-]|\$\{account_id\})+$"
SETTLING_SSE = ("ENABLING", "UPDATING", "DISABLING")
TTL_IN_PROGRESS = ("ENABLING", "DISABLING")
PITR_DEFAULT_DAYS = 35
NO_LIMITS = {"max_reads": -1, "max_writes": -1}  # how UpdateTable lifts on-demand limits
AWS_MANAGED_ALIAS = "alias/aws/dynamodb"
MAX_PROJECTED_ATTRIBUTES = 100  # non-key attributes, summed over all indexes of a table
SWITCHES_TO_ON_DEMAND_PER_DAY = 4
DATA_COUNT_NOTE = "DynamoDB refreshes these counts about every six hours"
# Adding TTL: one Scan page of at most this many items looks for expiry times already
# past (a few read units); a table-wide scan would cost as much as reading the table.
TTL_SAMPLE_ITEMS = 100
ACTIVE_CONFIRM_DELAY_S = 1.0  # between an ACTIVE read right after a change and its check
# Tables with secondary indexes in CREATING at once, from this process. The DynamoDB API
# reference (LimitExceededException) allows 250 such creates at a time, but "if the table
# or index specifications are complex, DynamoDB might temporarily reduce the number of
# concurrent operations" (older editions: 25, and before that one); CloudFormation asks
# for such tables to be chained with DependsOn. Ten keeps well inside every edition's
# bound while leaving other tables free; a LimitExceededException that still comes is
# retried with backoff for up to INDEXED_CREATE_RETRY_S.
INDEXED_CREATES_IN_FLIGHT = 10
# "It can take up to one hour for the change to fully process" (UpdateTimeToLive, API
# reference): the TTL wait allows that hour, more than the default wait's 30 minutes.
TTL_SETTLE_S = 60 * 60
DELETE_IN_USE_RETRY_S = 10 * 60  # Terraform's table delete timeout, likewise retried
INDEXED_CREATE_RETRY_S = 15 * 60

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


def _key(name: str | None, attributes: dict[str, str]) -> str | None:
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


class DynamoDBTable(ResourceType):
    section = "tables"
    kind = "DynamoDB table"
    service = "dynamodb"
    tagging_type = "dynamodb:table"
    holds_data = True
    required = ("name", "hash_key")
    reference_attributes = ("arn", "name", "stream_arn")
    properties = {
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
    permissions = {
        "read": ("dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive",
                 "dynamodb:DescribeContinuousBackups", "dynamodb:ListTagsOfResource"),
        "write": ("dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable",
                  "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups",
                  "dynamodb:TagResource", "dynamodb:UntagResource"),
        # telling the AWS-managed key from a customer key
        "lookup": ("kms:DescribeKey", "kms:ListAliases"),
    }
    usage_properties = pricing.USAGE_PROPERTIES
    fields = {
        "hash_key": FieldKind.REPLACE,
        "range_key": FieldKind.REPLACE,
        "local_indexes": FieldKind.REPLACE,
    }

    def __init__(self) -> None:
        self._key_cache: dict[str, kms_refs.KeyNames | None] = {}
        self._lock = threading.Lock()
        self._indexed_creates = threading.BoundedSemaphore(INDEXED_CREATES_IN_FLIGHT)

    # ---- validation (pure) -----------------------------------------------------------

    def check(self, props: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        declared: dict[str, str] = props.get("attributes") or {}
        used: dict[str, tuple] = {}

        def use(attr: str | None, path: tuple) -> None:
            if attr is None:
                return
            used.setdefault(attr, path)
            if attr not in declared:
                problems.append(Problem(path, f"key attribute '{attr}' is not declared in "
                                              f"`attributes` (declare it as S, N or B)"))

        use(props.get("hash_key"), ("hash_key",))
        use(props.get("range_key"), ("range_key",))
        gsis = props.get("global_indexes") or {}
        lsis = props.get("local_indexes") or {}
        for name, index in gsis.items():
            use(index.get("hash_key"), ("global_indexes", name, "hash_key"))
            use(index.get("range_key"), ("global_indexes", name, "range_key"))
        for name, index in lsis.items():
            path = ("local_indexes", name)
            if not props.get("range_key"):
                problems.append(Problem(path, "a local index needs a table with a range_key"))
            if index.get("hash_key", props.get("hash_key")) != props.get("hash_key"):
                problems.append(Problem((*path, "hash_key"),
                                        "a local index shares the table's hash_key"))
            use(index.get("range_key"), (*path, "range_key"))
        for name in set(gsis) & set(lsis):
            problems.append(Problem(("local_indexes", name),
                                    f"index name '{name}' is also a global index"))
        for attr in declared:
            if attr not in used:
                problems.append(Problem(("attributes", attr),
                                        f"attribute '{attr}' is declared but no key of the "
                                        f"table or an index uses it (DynamoDB rejects it)"))
        problems.extend(self._check_capacity(props, gsis))
        problems.extend(_check_projected_total(gsis, lsis))
        return problems

    def check_stack(self, address: str, props: dict[str, Any], stack) -> list[Problem]:
        wrong_region = access.key_region_problem(props.get("encryption"), stack.region, "table")
        return [Problem(("encryption",), wrong_region)] if wrong_region else []

    def _check_capacity(self, props: dict, gsis: dict) -> list[Problem]:
        provisioned = props.get("billing_mode") == "PROVISIONED"
        problems = []
        if provisioned and "capacity" not in props:
            problems.append(Problem(("billing_mode",),
                                    "billing_mode PROVISIONED needs `capacity: {read, write}`"))
        if not provisioned and "capacity" in props:
            problems.append(Problem(("capacity",), "capacity is only for billing_mode "
                                                   "PROVISIONED (this table is on-demand)"))
        if provisioned and "on_demand_throughput" in props:
            problems.append(Problem(("on_demand_throughput",), "on_demand_throughput is only "
                                    "for billing_mode PAY_PER_REQUEST"))
        for name, index in gsis.items():
            if provisioned and "capacity" not in index:
                problems.append(Problem(("global_indexes", name),
                                        "a PROVISIONED table's indexes need `capacity`"))
            if not provisioned and "capacity" in index:
                problems.append(Problem(("global_indexes", name, "capacity"),
                                        "index capacity is only for billing_mode PROVISIONED"))
        return problems

    def cost(self, props, usage, prices):
        return pricing.table_cost(props, usage, prices)

    def missing_attribute(self, attribute: str, props: dict[str, Any]) -> str | None:
        if attribute == "stream_arn" and not props.get("stream"):
            return "has no stream_arn: it sets no `stream`"
        return None

    # ---- normalization (pure) --------------------------------------------------------

    def desired_state(self, props: dict[str, Any]) -> dict[str, Any]:
        attrs = props.get("attributes") or {}
        billing = props.get("billing_mode", "PAY_PER_REQUEST")
        pitr = props.get("point_in_time_recovery", False)
        if isinstance(pitr, bool):
            pitr = {"enabled": pitr}
        pitr_enabled = pitr.get("enabled", True)
        odt = props.get("on_demand_throughput") or {}
        return {
            "hash_key": _key(props.get("hash_key"), attrs),
            "range_key": _key(props.get("range_key"), attrs),
            "local_indexes": {
                name: {"range_key": _key(ix["range_key"], attrs),
                       "projection": _projection_of(ix.get("projection"))}
                for name, ix in (props.get("local_indexes") or {}).items()},
            "billing_mode": billing,
            "capacity": _capacity_of(props.get("capacity")) if billing == "PROVISIONED" else None,
            "on_demand_throughput": None if billing == "PROVISIONED" else _limits(
                odt.get("max_reads", -1), odt.get("max_writes", -1)),
            "global_indexes": {
                name: {"hash_key": _key(ix["hash_key"], attrs),
                       "range_key": _key(ix.get("range_key"), attrs),
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

    def key_changes(self, key: str, before: Any, after: Any, desired: Desired,
                    live: Live) -> list[AttributeChange]:
        if key == "global_indexes":
            return _index_changes(before or {}, after, "capacity" in desired.ignore)
        if key == "encryption" and after in live.raw.get("encryption_names", ()):
            return []  # the same key, named by alias or id
        return self.field_changes(key, before, after)

    def refusal(self, desired: Desired, live: Live,
                changes: list[AttributeChange]) -> str | None:
        ttl_changes = [c for c in changes if c.path == "ttl"]
        if not ttl_changes:
            return None
        status = live.raw.get("ttl_status")
        if status in TTL_IN_PROGRESS:
            return (f"TTL changed less than an hour ago (status {status}); AWS allows one TTL "
                    f"change per table per hour")
        before, after = ttl_changes[0].before, ttl_changes[0].after
        if before and after:
            return (f"TTL attribute change {before} -> {after} needs TTL disabled, then enabled "
                    f"at least an hour later (one TTL change per table per hour): remove `ttl`, "
                    f"apply, and set the new attribute an hour later")
        return None

    def data_loss(self, desired: Desired, live: Live,
                  changes: list[AttributeChange]) -> list[str]:
        reasons = []
        pitr_before = live.state["point_in_time_recovery"]
        pitr_after = desired.state["point_in_time_recovery"]
        if any(c.path.startswith("point_in_time_recovery") for c in changes) \
                and pitr_before["enabled"]:
            kept = pitr_before["recovery_period_days"]
            if not pitr_after["enabled"]:
                reasons.append(f"point-in-time recovery turned off: the continuous backups "
                               f"of the last {plural(kept, 'day')} are lost")
            elif pitr_after["recovery_period_days"] < kept:
                days = plural(pitr_after["recovery_period_days"], "day")
                reasons.append(f"point-in-time recovery period {kept} → {days}: "
                               f"restore points older than {days} are lost")
        attribute = _ttl_added(changes)
        expired = _sampled_expired(live, attribute) if attribute else 0
        if expired:
            reasons.append(f"TTL on `{attribute}`: {plural(expired, 'item')} of a "
                           f"{TTL_SAMPLE_ITEMS}-item sample already hold a past expiry time; "
                           f"DynamoDB deletes them, and every other such item, within days")
        return reasons

    def change_notes(self, desired: Desired, live: Live,
                     changes: list[AttributeChange]) -> list[str]:
        notes = [c.note for c in changes if c.note]
        attribute = _ttl_added(changes)
        sampled = _sampled_expired(live, attribute) if attribute else None
        if attribute and not sampled:
            known = (f"a sample of {TTL_SAMPLE_ITEMS} items found none, the rest is unknown"
                     if sampled == 0 else "not sampled (no dynamodb:Scan permission)")
            notes.append(f"data at risk: items whose `{attribute}` holds a past time (epoch "
                         f"seconds) are deleted within days; {known}")
        index_ops = sum(1 for c in changes if c.path.startswith("global_indexes.")
                        and c.note and ("create" in c.note or "delete" in c.note
                                        or "rebuild" in c.note))
        if index_ops > 1:
            notes.append(f"{index_ops} index operations: one UpdateTable each, awaited in turn "
                         f"(AWS allows one index create or delete per UpdateTable)")
        stream = next((c for c in changes if c.path == "stream"), None)
        if stream and stream.before and stream.after:
            notes.append("stream view type change disables and re-enables the stream: it gets "
                         "a new ARN, and consumers (Lambda event sources) must be re-pointed")
        billing = next((c for c in changes if c.path == "billing_mode"), None)
        if billing and billing.after == "PAY_PER_REQUEST":
            last = live.raw.get("last_switch_to_on_demand")
            if last and _within_a_day(last):
                notes.append(f"last switched to on-demand at {last:%Y-%m-%d %H:%M} UTC: AWS "
                             f"allows {SWITCHES_TO_ON_DEMAND_PER_DAY} such switches per rolling "
                             f"24 hours")
        return notes

    def baseline(self, live: Live) -> list[BaselineFinding]:
        state = live.state
        findings = []
        if not state["point_in_time_recovery"]["enabled"]:
            findings.append(BaselineFinding("table-pitr", Severity.WARNING,
                "point-in-time recovery is off: a bad "
                             "write or delete cannot be rolled back"))
        if not state["deletion_protection"]:
            findings.append(BaselineFinding("table-deletion-protection", Severity.INFO,
                "deletion protection is off"))
        if state["encryption"] == "aws-owned":
            findings.append(BaselineFinding("table-kms", Severity.INFO,
                "encrypted with an AWS-owned key: no key "
                             "policy or CloudTrail record of its use"))
        return findings

    def name_from_arn(self, arn: str) -> str:
        return arn.split(":table/", 1)[-1].split("/", 1)[0]

    def arn_pattern(self, name: str, region: str, account: str) -> list[str]:
        table = make_arn("dynamodb", region, account, f"table/{name}")
        return [table, f"{table}/index/*"]

    def export(self, live: Live) -> dict[str, Any]:
        table, state = live.raw["table"], live.state
        attrs = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        keys = _key_names(table["KeySchema"])
        props: dict[str, Any] = {"name": live.name, "hash_key": keys["HASH"]}
        if "RANGE" in keys:
            props["range_key"] = keys["RANGE"]
        props["attributes"] = attrs
        if state["billing_mode"] == "PROVISIONED":
            props["billing_mode"] = "PROVISIONED"
            props["capacity"] = state["capacity"]
        props.update(_export_indexes(table, state))
        defaults = self.desired_state({"hash_key": keys["HASH"]})
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
        user_tags = {k: v for k, v in live.tags.items() if not k.startswith("awsprov:")}
        if user_tags:
            props["tags"] = user_tags
        return props

    # ---- read ------------------------------------------------------------------------

    def read(self, aws, name: str, owner=None) -> Live | None:
        ddb = aws.client("dynamodb")
        try:
            table = ddb.describe_table(TableName=name)["Table"]
        except errors.ClientError as exc:
            if errors.is_code(exc, "ResourceNotFoundException"):
                return None
            raise
        if table.get("TableStatus") == "DELETING":
            return None
        ttl = ddb.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
        pitr = _read_pitr(ddb, name)
        tags = aws.indexed_tags(table["TableArn"])
        live = self._live(aws, table, ttl, pitr,
                          tags if tags is not None else _read_tags(ddb, table["TableArn"]))
        live.tags_indexed = tags is not None
        live.raw["sample_expired"] = lambda attribute: _count_expired(ddb, name, attribute)
        return live

    def read_tags(self, aws, live: Live) -> dict[str, str]:
        return _read_tags(aws.client("dynamodb"), live.arn)

    def _live(self, aws, table: dict, ttl: dict, pitr: dict, tags: dict[str, str]) -> Live:
        attrs = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
        keys = _key_names(table["KeySchema"])
        billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
        provisioned = billing == "PROVISIONED"
        ttl_status = ttl.get("TimeToLiveStatus", "DISABLED")
        encryption, key_names = self._live_encryption(aws, table.get("SSEDescription"))
        stream = table.get("StreamSpecification") or {}
        odt = table.get("OnDemandThroughput") or {}
        pitr_on = pitr.get("PointInTimeRecoveryStatus") == "ENABLED"
        state = {
            "hash_key": _key(keys.get("HASH"), attrs),
            "range_key": _key(keys.get("RANGE"), attrs),
            "local_indexes": {
                ix["IndexName"]: {"range_key": _key(_key_names(ix["KeySchema"]).get("RANGE"),
                                                    attrs),
                                  "projection": _live_projection(ix["Projection"])}
                for ix in table.get("LocalSecondaryIndexes") or []},
            "billing_mode": billing,
            "capacity": _live_capacity(table.get("ProvisionedThroughput")) if provisioned
            else None,
            "on_demand_throughput": None if provisioned else _limits(
                odt.get("MaxReadRequestUnits", -1) or -1,
                odt.get("MaxWriteRequestUnits", -1) or -1),
            "global_indexes": {
                ix["IndexName"]: {
                    "hash_key": _key(_key_names(ix["KeySchema"]).get("HASH"), attrs),
                    "range_key": _key(_key_names(ix["KeySchema"]).get("RANGE"), attrs),
                    "projection": _live_projection(ix["Projection"]),
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
        items, size = table.get("ItemCount", 0), table.get("TableSizeBytes", 0)
        return Live(
            name=table["TableName"], arn=table["TableArn"], state=state, tags=tags,
            attributes={"arn": table["TableArn"], "name": table["TableName"],
                        "stream_arn": table.get("LatestStreamArn") if state["stream"] else None},
            data_at_risk=f"{plural(items, 'item')}, {human_bytes(size)} ({DATA_COUNT_NOTE})",
            deletion_protected=state["deletion_protection"],
            raw={"table": table, "ttl_status": ttl_status, "encryption_names": key_names,
                 "last_switch_to_on_demand": (table.get("BillingModeSummary") or {}).get(
                     "LastUpdateToPayPerRequestDateTime")},
        )

    def _live_encryption(self, aws, sse: dict | None) -> tuple[str, frozenset[str]]:
        """("aws-owned" | "aws-managed" | the key ARN, every name of that key): a spec may
        name the key by ARN, id or alias (`${keys.x.alias}`) and mean the same key."""
        if not sse or sse.get("Status") in ("DISABLED", "DISABLING"):
            return "aws-owned", frozenset()
        arn = sse.get("KMSMasterKeyArn", "")
        key = self._key_names(aws, arn) if arn else None
        if not arn or (key and (key.aws_managed or AWS_MANAGED_ALIAS in key.aliases)):
            return "aws-managed", frozenset()
        return arn, key.names() if key else frozenset({arn})

    def _key_names(self, aws, arn: str) -> kms_refs.KeyNames | None:
        """One DescribeKey + ListAliases per key ARN, cached (key ARNs are unique; an alias
        is not, so a key the table names by alias is looked up every time)."""
        cacheable = ":key/" in arn
        with self._lock:
            if cacheable and arn in self._key_cache:
                return self._key_cache[arn]
        key = kms_refs.describe_key(aws, arn)
        if cacheable:
            with self._lock:
                self._key_cache[arn] = key
        return key

    # ---- create ----------------------------------------------------------------------

    def create(self, aws, desired: Desired, progress: Progress) -> None:
        props, state = desired.props, desired.state
        request: dict[str, Any] = {
            "TableName": desired.name,
            "AttributeDefinitions": _attribute_definitions(props),
            "KeySchema": _key_schema(props.get("hash_key"), props.get("range_key")),
            "BillingMode": state["billing_mode"],
            "DeletionProtectionEnabled": state["deletion_protection"],
            "Tags": tagging.as_pairs(desired.tags),
        }
        if state["capacity"]:
            request["ProvisionedThroughput"] = _throughput(state["capacity"])
        if _has_on_demand_limits(state):
            request["OnDemandThroughput"] = _on_demand(state["on_demand_throughput"])
        if state["global_indexes"]:
            request["GlobalSecondaryIndexes"] = [
                _gsi_request(name, props["global_indexes"][name], state)
                for name in state["global_indexes"]]
        if state["local_indexes"]:
            request["LocalSecondaryIndexes"] = [
                {"IndexName": name, "KeySchema": _key_schema(props["hash_key"], ix["range_key"]),
                 "Projection": _projection_request(ix.get("projection"))}
                for name, ix in props["local_indexes"].items()]
        if state["stream"]:
            request["StreamSpecification"] = {"StreamEnabled": True,
                                              "StreamViewType": state["stream"]}
        if state["encryption"] != "aws-owned":
            request["SSESpecification"] = _sse_request(state["encryption"])
        if state["table_class"] != "STANDARD":
            request["TableClass"] = state["table_class"]
        indexed = bool(state["global_indexes"] or state["local_indexes"])
        with self._creating_slot(indexed, progress):
            self._create_table(aws, desired, request, indexed, progress)
            self._wait_active(aws, desired.name, progress, "table and indexes ACTIVE")
        if state["ttl"]:
            self._set_ttl(aws, desired.name, state["ttl"], True, progress)
        if state["point_in_time_recovery"]["enabled"]:
            self._set_pitr(aws, desired.name, state["point_in_time_recovery"], progress)

    @contextlib.contextmanager
    def _creating_slot(self, indexed: bool, progress: Progress) -> Iterator[None]:
        """Held from CreateTable until ACTIVE by tables with secondary indexes: at most
        INDEXED_CREATES_IN_FLIGHT of them CREATING at once (AWS's limit, above)."""
        if not indexed:
            yield
            return
        if not self._indexed_creates.acquire(blocking=False):
            progress(f"waiting: at most {INDEXED_CREATES_IN_FLIGHT} tables with indexes "
                     f"are created at once (DynamoDB's limit)")
            self._indexed_creates.acquire()
        try:
            yield
        finally:
            self._indexed_creates.release()

    def _create_table(self, aws, desired: Desired, request: dict, indexed: bool,
                      progress: Progress) -> None:
        ddb = aws.client("dynamodb")
        name = desired.name

        def create() -> None:
            if not indexed:
                ddb.create_table(**request)
                return
            # CreateTable: LimitExceededException while too many tables with secondary
            # indexes are CREATING (DynamoDB API reference); it clears as they go ACTIVE.
            retry_with_backoff(lambda: ddb.create_table(**request), ("LimitExceededException",),
                               f"{name}: DynamoDB's limit on tables with indexes being "
                               f"created", aws.wait, timeout=INDEXED_CREATE_RETRY_S)

        progress("CreateTable")
        try:
            create()
        except errors.ClientError as exc:
            if not errors.is_code(exc, "ResourceInUseException"):
                raise
            status = self._status(aws, name)
            if status != "DELETING":
                if status is None or not self._made_by(ddb, desired):
                    raise
                # This create's first attempt made it; botocore resent it after a lost answer.
                progress("CreateTable answer lost: the table it made is this one")
                return
            # A replacement or an interrupted destroy left the old table DELETING.
            progress("waiting: the previous table of this name to finish deleting")
            botocore_wait(ddb, "table_not_exists", aws.wait, TableName=name)
            create()

    @staticmethod
    def _status(aws, name: str) -> str | None:
        """The status of the table CreateTable says is in use; a table just made may be
        invisible to DescribeTable for a moment, so not-found is asked again, briefly."""
        ddb = aws.client("dynamodb")
        try:
            return retry_when(lambda: ddb.describe_table(TableName=name)["Table"]["TableStatus"],
                              ("ResourceNotFoundException",), f"{name} visible",
                              aws.wait, timeout=IN_USE_VISIBLE_SECONDS)
        except errors.ClientError:
            return None

    @staticmethod
    def _made_by(ddb, desired: Desired) -> bool:
        """The table of this name carries the tags this CreateTable sent (its own)."""
        arn = ddb.describe_table(TableName=desired.name)["Table"]["TableArn"]
        return tagging.made_for(_read_tags(ddb, arn), desired.tags)

    # ---- update ----------------------------------------------------------------------

    def update(self, aws, desired: Desired, live: Live, changes: list[AttributeChange],
               progress: Progress) -> None:
        if not changes:
            return
        name, want, have = desired.name, desired.state, live.state
        changed = {c.prop for c in changes}
        index_changes = {c.path.split(".")[1] for c in changes
                         if c.path.startswith("global_indexes.")}
        rebuilt = {n for n in index_changes
                   if n in have["global_indexes"] and n in want["global_indexes"]
                   and _index_identity(have["global_indexes"][n])
                   != _index_identity(want["global_indexes"][n])}
        deletes = sorted(n for n in index_changes if n not in want["global_indexes"]) \
            + sorted(rebuilt)
        creates = sorted(n for n in index_changes if n not in have["global_indexes"]) \
            + sorted(rebuilt)
        self._wait_active(aws, name, progress, "table ACTIVE before changing it",
                          after_change=False)
        for index in deletes:
            self._delete_index(aws, name, index, progress)
        if "table_class" in changed:
            self._update_table(aws, name, progress, f"table class → {want['table_class']}",
                               TableClass=want["table_class"])
        if "stream" in changed and have["stream"] and want["stream"]:
            self._update_table(aws, name, progress, "stream off (view type change)",
                               StreamSpecification={"StreamEnabled": False})
        self._update_table_settings(aws, desired, live, changed, index_changes - set(creates),
                                    set(deletes), progress)
        for index in creates:
            self._create_index(aws, desired, index, progress)
        if "encryption" in changed:
            self._update_table(aws, name, progress, "encryption",
                               SSESpecification=_sse_request(want["encryption"]))
            self._wait_sse(aws, name, progress)
        if "ttl" in changed:
            attribute = want["ttl"] or have["ttl"]
            self._set_ttl(aws, name, attribute, bool(want["ttl"]), progress)
        if "point_in_time_recovery" in changed:
            self._set_pitr(aws, name, want["point_in_time_recovery"], progress)
        if "tags" in changed:
            self.set_tags(aws, live, desired.tags)

    def _update_table_settings(self, aws, desired: Desired, live: Live, changed: set[str],
                               capacity_indexes: set[str], deleted: set[str],
                               progress: Progress) -> None:
        """Everything AWS accepts in one UpdateTable, sent as one call. A switch to
        PROVISIONED carries capacity for every index that exists at that moment: not for
        those just deleted (a rebuild's old half), which AWS would refuse as unknown, and
        not for those still to be created, which are created with their own capacity."""
        want, have = desired.state, live.state
        request: dict[str, Any] = {}
        switching = "billing_mode" in changed
        if switching:
            request["BillingMode"] = want["billing_mode"]
        if want["capacity"] and (switching or "capacity" in changed):
            request["ProvisionedThroughput"] = _throughput(want["capacity"])
        if "on_demand_throughput" in changed and want["billing_mode"] == "PAY_PER_REQUEST":
            request["OnDemandThroughput"] = _on_demand(want["on_demand_throughput"] or NO_LIMITS)
        if "deletion_protection" in changed:
            request["DeletionProtectionEnabled"] = want["deletion_protection"]
        if "stream" in changed:
            request["StreamSpecification"] = (
                {"StreamEnabled": True, "StreamViewType": want["stream"]} if want["stream"]
                else {"StreamEnabled": False})
        index_updates = []
        for index in sorted(set(want["global_indexes"]) & set(have["global_indexes"]) - deleted):
            capacity = want["global_indexes"][index]["capacity"]
            if capacity and ((switching and want["billing_mode"] == "PROVISIONED")
                             or index in capacity_indexes):
                index_updates.append({"Update": {"IndexName": index,
                                                 "ProvisionedThroughput": _throughput(capacity)}})
        if index_updates:
            request["GlobalSecondaryIndexUpdates"] = index_updates
        if request:
            self._update_table(aws, desired.name, progress, "table settings", **request)

    def _update_table(self, aws, name: str, progress: Progress, what: str, **request) -> None:
        progress(f"UpdateTable ({what})")
        aws.client("dynamodb").update_table(TableName=name, **request)
        self._wait_active(aws, name, progress, f"table ACTIVE after {what}")

    def _delete_index(self, aws, name: str, index: str, progress: Progress) -> None:
        progress(f"UpdateTable (delete index {index})")
        ddb = aws.client("dynamodb")
        try:
            ddb.update_table(
                TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index}}])
        except errors.ClientError as exc:
            # Resent after a lost answer: the first attempt already started the delete.
            if not (errors.is_code(exc, *INDEX_CHANGE_REFUSED)
                    and _index_status(ddb, name, index) in (None, "DELETING")):
                raise
        wait_until(lambda: ddb.describe_table(TableName=name)["Table"],
                   lambda t: t["TableStatus"] == "ACTIVE" and index not in
                   {ix["IndexName"] for ix in t.get("GlobalSecondaryIndexes") or []},
                   f"index {index} of {name} deleted", aws.wait)

    def _create_index(self, aws, desired: Desired, index: str, progress: Progress) -> None:
        props = desired.props
        progress(f"UpdateTable (create index {index}); it serves queries once backfilled")
        ddb = aws.client("dynamodb")
        try:
            ddb.update_table(
                TableName=desired.name,
                AttributeDefinitions=_attribute_definitions(props),
                GlobalSecondaryIndexUpdates=[{"Create": _gsi_request(
                    index, props["global_indexes"][index], desired.state)}])
        except errors.ClientError as exc:
            # Resent after a lost answer: the first attempt already created the index.
            if not (errors.is_code(exc, *INDEX_CHANGE_REFUSED)
                    and _index_status(ddb, desired.name, index) in ("CREATING", "ACTIVE")):
                raise
        self._wait_active(aws, desired.name, progress, f"index {index} ACTIVE (backfill)")

    # ---- waits and sub-settings ------------------------------------------------------

    def _wait_active(self, aws, name: str, progress: Progress, what: str,
                     after_change: bool = True) -> None:
        """Table and every index ACTIVE. Right after UpdateTable, AWS can report ACTIVE
        for a moment before the change starts: so after a change of ours, an ACTIVE first
        read is confirmed by a second one shortly after. Once a transitional state has
        been seen, the change has started and its first ACTIVE is the real one."""
        ddb = aws.client("dynamodb")

        def settled(table: dict) -> bool:
            return table["TableStatus"] == "ACTIVE" and all(
                ix.get("IndexStatus", "ACTIVE") == "ACTIVE"
                for ix in table.get("GlobalSecondaryIndexes") or [])

        def read() -> dict:  # right after CreateTable it may not be found yet
            return visible("dynamodb.table", lambda: ddb.describe_table(TableName=name)["Table"],
                           f"{name} visible to DescribeTable", aws.wait)

        if settled(read()):
            if not after_change:
                return
            time.sleep(min(aws.wait.delay, ACTIVE_CONFIRM_DELAY_S))
            if settled(read()):
                return
        progress(f"waiting: {what}")
        wait_until(read, settled, f"{name}: {what}", aws.wait)

    def _wait_sse(self, aws, name: str, progress: Progress) -> None:
        ddb = aws.client("dynamodb")
        progress("waiting: encryption change to settle")
        wait_until(lambda: ddb.describe_table(TableName=name)["Table"].get("SSEDescription"),
                   lambda sse: not sse or sse.get("Status") not in SETTLING_SSE,
                   f"{name}: encryption settled", aws.wait, consecutive=2)

    def _set_ttl(self, aws, name: str, attribute: str, enabled: bool,
                 progress: Progress) -> None:
        ddb = aws.client("dynamodb")
        progress(f"UpdateTimeToLive ({'enable' if enabled else 'disable'} on {attribute})")
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": enabled, "AttributeName": attribute})
        target = "ENABLED" if enabled else "DISABLED"
        wait_until(lambda: ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
                   lambda d: d.get("TimeToLiveStatus") == target,
                   f"{name}: TTL {target}", aws.wait,
                   timeout=max(aws.wait.timeout, TTL_SETTLE_S))

    def _set_pitr(self, aws, name: str, pitr: dict, progress: Progress) -> None:
        ddb = aws.client("dynamodb")
        spec: dict[str, Any] = {"PointInTimeRecoveryEnabled": pitr["enabled"]}
        if pitr["enabled"]:
            spec["RecoveryPeriodInDays"] = pitr["recovery_period_days"]
        progress(f"UpdateContinuousBackups (PITR {'on' if pitr['enabled'] else 'off'})")
        # New tables answer "Backups are being enabled" for up to ~10 minutes.
        retry_when(lambda: ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification=spec),
            ("ContinuousBackupsUnavailableException",), f"{name}: PITR available", aws.wait,
            timeout=20 * 60)
        target = "ENABLED" if pitr["enabled"] else "DISABLED"
        wait_until(lambda: _read_pitr(ddb, name),
                   lambda d: d.get("PointInTimeRecoveryStatus") == target,
                   f"{name}: PITR {target}", aws.wait)

    # ---- delete, tags ----------------------------------------------------------------

    def delete(self, aws, live: Live, how: Deletion, progress: Progress) -> None:
        ddb = aws.client("dynamodb")
        status = self._wait_deletable(aws, live.name, progress)
        if status is None:
            return
        # DELETING: an interrupted destroy's, only the wait for its end is missing
        if status != "DELETING" and not self._send_delete(aws, live.name, progress):
            return
        progress("waiting: table deleted")
        botocore_wait(ddb, "table_not_exists", aws.wait, TableName=live.name)

    @staticmethod
    def _send_delete(aws, name: str, progress: Progress) -> bool:
        """DeleteTable; False when the table was gone already."""
        ddb = aws.client("dynamodb")
        progress("DeleteTable")
        try:
            # "If the table is in the CREATING or UPDATING states, then DynamoDB returns a
            # ResourceInUseException" (DeleteTable, API reference): after the wait for
            # ACTIVE a change someone else started can still get in first: retried too.
            retry_when(lambda: ddb.delete_table(TableName=name), ("ResourceInUseException",),
                       f"{name}: table deletable", aws.wait, timeout=DELETE_IN_USE_RETRY_S)
        except errors.ClientError as exc:
            if not errors.is_code(exc, "ResourceNotFoundException"):
                raise
            return False
        return True

    def _wait_deletable(self, aws, name: str, progress: Progress) -> str | None:
        """Wait out CREATING and UPDATING (DeleteTable refuses both): the status then
        (ACTIVE or DELETING), None when the table is gone."""
        ddb = aws.client("dynamodb")

        def status() -> str | None:
            try:
                return ddb.describe_table(TableName=name)["Table"]["TableStatus"]
            except errors.ClientError as exc:
                if errors.is_code(exc, "ResourceNotFoundException"):
                    return None
                raise

        now = status()
        if now in ("CREATING", "UPDATING"):
            progress(f"waiting: table {now} (AWS refuses DeleteTable until it is ACTIVE)")
            now = wait_until(status, lambda s: s not in ("CREATING", "UPDATING"),
                             f"{name}: ACTIVE before DeleteTable", aws.wait)
        return now

    def set_tags(self, aws, live: Live, tags: dict[str, str]) -> None:
        ddb = aws.client("dynamodb")
        tagging.write_tag_delta(
            live.tags, tags,
            untag=lambda keys: ddb.untag_resource(ResourceArn=live.arn, TagKeys=keys),
            tag=lambda new: ddb.tag_resource(ResourceArn=live.arn, Tags=tagging.as_pairs(new)))



def _check_projected_total(gsis: dict, lsis: dict) -> list[Problem]:
    """CreateTable and UpdateTable refuse more than 100 non-key attributes projected, summed
    over every index (each index's own list is bounded by the schema)."""
    total, where = 0, None
    for section, indexes in (("global_indexes", gsis), ("local_indexes", lsis)):
        for name, index in indexes.items():
            projection = index.get("projection")
            if isinstance(projection, list):
                total += len(projection)
                if total > MAX_PROJECTED_ATTRIBUTES and where is None:
                    where = (section, name, "projection")
    if where is None:
        return []
    return [Problem(where, f"{total} non-key attributes projected across the indexes; "
                           f"DynamoDB allows at most {MAX_PROJECTED_ATTRIBUTES} in all")]

RESOURCE_TYPE = DynamoDBTable


# ---- helpers: requests -------------------------------------------------------------------

def _index_status(ddb, table: str, index: str) -> str | None:
    """The index's status, None when the table has no such index."""
    described = ddb.describe_table(TableName=table)["Table"]
    return next((ix.get("IndexStatus", "ACTIVE") for ix in
                 described.get("GlobalSecondaryIndexes") or [] if ix["IndexName"] == index), None)


def _attribute_definitions(props: dict) -> list[dict]:
    return [{"AttributeName": name, "AttributeType": kind}
            for name, kind in sorted((props.get("attributes") or {}).items())]


def _key_schema(hash_key: str, range_key: str | None) -> list[dict]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def _throughput(capacity: dict) -> dict:
    return {"ReadCapacityUnits": capacity["read"], "WriteCapacityUnits": capacity["write"]}


def _on_demand(limits: dict) -> dict:
    return {"MaxReadRequestUnits": limits["max_reads"],
            "MaxWriteRequestUnits": limits["max_writes"]}


def _has_on_demand_limits(state: dict) -> bool:
    return state["on_demand_throughput"] is not None


def _limits(max_reads: int, max_writes: int) -> dict | None:
    """On-demand limits, None for none: -1 is AWS's "no limit", the same as unset."""
    if max_reads == -1 and max_writes == -1:
        return None
    return {"max_reads": max_reads, "max_writes": max_writes}


def _projection_request(value: Any) -> dict:
    if value in (None, "ALL", "KEYS_ONLY"):
        return {"ProjectionType": value or "ALL"}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(value)}


def _gsi_request(name: str, index: dict, state: dict) -> dict:
    request = {"IndexName": name, "KeySchema": _key_schema(index["hash_key"],
                                                           index.get("range_key")),
               "Projection": _projection_request(index.get("projection"))}
    capacity = state["global_indexes"][name]["capacity"]
    if capacity:
        request["ProvisionedThroughput"] = _throughput(capacity)
    return request


def _sse_request(encryption: Any) -> dict:
    if encryption == "aws-owned":
        return {"Enabled": False}
    if encryption == "aws-managed":
        return {"Enabled": True, "SSEType": "KMS"}
    if encryption is KNOWN_AFTER_APPLY:
        raise ValueError("encryption key is not known yet")
    return {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": encryption}


# ---- helpers: reads ----------------------------------------------------------------------

def _read_pitr(ddb, name: str) -> dict:
    try:
        description = ddb.describe_continuous_backups(TableName=name)
    except errors.ClientError as exc:
        if errors.is_code(exc, "TableNotFoundException"):
            return {}
        raise
    return description["ContinuousBackupsDescription"].get(
        "PointInTimeRecoveryDescription", {})


def _count_expired(ddb, name: str, attribute: str) -> int | None:
    """Items of one Scan page (TTL_SAMPLE_ITEMS read, at most) whose `attribute` is a
    number below now: TTL deletes those as soon as it is on. None when the caller may not
    Scan: `iam-policy` does not grant it (Scan reads items), so the risk stays unknown."""
    try:
        page = ddb.scan(TableName=name, Limit=TTL_SAMPLE_ITEMS, Select="COUNT",
                        FilterExpression="#ttl < :now",
                        ExpressionAttributeNames={"#ttl": attribute},
                        ExpressionAttributeValues={":now": {"N": str(int(time.time()))}})
    except errors.ClientError as exc:
        if errors.is_code(exc, "AccessDeniedException", "AccessDenied"):
            return None
        raise
    return int(page.get("Count", 0))


def _ttl_added(changes: list[AttributeChange]) -> str | None:
    """The attribute TTL is being turned on for, where it was off."""
    ttl = next((c for c in changes if c.path == "ttl"), None)
    return ttl.after if ttl and ttl.after and not ttl.before else None


def _sampled_expired(live: Live, attribute: str) -> int | None:
    """How many sampled items TTL would delete at once, None when unknown; read once per
    plan (the sampler is the live read's; a live built by hand has none)."""
    cache = live.raw.setdefault("expired_sample_counts", {})
    if attribute not in cache:
        sampler = live.raw.get("sample_expired")
        cache[attribute] = sampler(attribute) if sampler else None
    return cache[attribute]


def _read_tags(ddb, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in token_pages(ddb.list_tags_of_resource, {"ResourceArn": arn}):
        tags.update(tagging.as_dict(page.get("Tags")))
    return tags


def _key_names(schema: list[dict]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in schema}


def _live_projection(projection: dict) -> Any:
    kind = projection.get("ProjectionType", "ALL")
    return sorted(projection.get("NonKeyAttributes") or []) if kind == "INCLUDE" else kind


def _live_capacity(throughput: dict | None) -> dict | None:
    if not throughput:
        return None
    return {"read": throughput.get("ReadCapacityUnits", 0),
            "write": throughput.get("WriteCapacityUnits", 0)}


def _export_indexes(table: dict, state: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    gsis = {}
    for ix in table.get("GlobalSecondaryIndexes") or []:
        keys = _key_names(ix["KeySchema"])
        entry: dict[str, Any] = {"hash_key": keys["HASH"]}
        if "RANGE" in keys:
            entry["range_key"] = keys["RANGE"]
        projection = _live_projection(ix["Projection"])
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
        entry = {"range_key": _key_names(ix["KeySchema"])["RANGE"]}
        projection = _live_projection(ix["Projection"])
        if projection != "ALL":
            entry["projection"] = projection
        lsis[ix["IndexName"]] = entry
    if lsis:
        out["local_indexes"] = lsis
    return out


def _index_identity(index: dict) -> tuple:
    """What cannot change in place: keys and projection (a change means a rebuild)."""
    return index["hash_key"], index["range_key"], str(index["projection"])


def _index_changes(before: dict, after: dict, ignore_capacity: bool) -> list[AttributeChange]:
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        path = f"global_indexes.{name}"
        if old is None:
            changes.append(AttributeChange(path, None, new, note=f"index {name} is created: "
                                           f"it serves queries only once its backfill ends"))
        elif new is None:
            changes.append(AttributeChange(path, old, None, note=f"index {name} is deleted"))
        elif _index_identity(old) != _index_identity(new):
            changes.append(AttributeChange(path, old, new, note=f"index rebuild: {name} is "
                                           f"deleted, then created; unavailable until backfilled"))
        elif old["capacity"] != new["capacity"] and not ignore_capacity:
            changes.extend(AttributeChange(p, b, a) for p, b, a in
                           leaf_diff(f"{path}.capacity", old["capacity"], new["capacity"]))
    return changes


def _within_a_day(when: Any) -> bool:
    if not isinstance(when, dt.datetime):
        return False
    now = dt.datetime.now(tz=when.tzinfo or dt.timezone.utc)
    return now - when < dt.timedelta(days=1)
