"""An update in Terraform's order (resourceTableUpdate), each phase awaited before the
next: index deletes one per UpdateTable → table class alone → stream view-type cycle →
one UpdateTable for billing/capacity/protection/stream/index capacity → index creates one
per UpdateTable → SSE → TTL → PITR → tags (docs/tables.md, "Update order")."""

from __future__ import annotations

from typing import Any

from awsprov.aws import errors
from awsprov.aws.waiters import retry_when, wait_until
from awsprov.core.changes import AttributeChange
from awsprov.resources.base import Desired, Live, Progress
from awsprov.resources.dynamodb_table import api, checks, requests

# What UpdateTable answers when an index change is sent again after a lost answer: the
# table is UPDATING with the first attempt's change, or the index already is / is gone.
INDEX_CHANGE_REFUSED = ("ResourceInUseException", "ValidationException")
# "It can take up to one hour for the change to fully process" (UpdateTimeToLive, API
# reference): the TTL wait allows that hour, more than the default wait's 30 minutes.
TTL_SETTLE_S = 60 * 60
PITR_AVAILABLE_S = 20 * 60  # new tables answer "Backups are being enabled" for ~10 minutes


def update(aws, desired: Desired, live: Live, changes: list[AttributeChange],
           progress: Progress) -> None:
    name, want, have = desired.name, desired.state, live.state
    changed = {c.prop for c in changes}
    indexes = checks.index_operations(want, have, changes)
    api.wait_active(aws, name, progress, "table ACTIVE before changing it", after=None)
    for index in indexes.deletes:
        _delete_index(aws, name, index, progress)
    if "table_class" in changed:
        _update_table(aws, name, progress, f"table class → {want['table_class']}",
                      TableClass=want["table_class"])
    if "stream" in changed and have["stream"] and want["stream"]:
        _update_table(aws, name, progress, "stream off (view type change)",
                      StreamSpecification=requests.stream(None))
    _update_settings(aws, desired, live, changed, indexes, progress)
    for index in indexes.creates:
        _create_index(aws, desired, index, progress)
    if "encryption" in changed:
        _update_table(aws, name, progress, "encryption",
                      SSESpecification=requests.sse(want["encryption"]))
        api.wait_sse(aws, name, progress)
    if "ttl" in changed:
        attribute = want["ttl"] or have["ttl"]
        set_ttl(aws, name, attribute, bool(want["ttl"]), progress)
    if "point_in_time_recovery" in changed:
        set_pitr(aws, name, want["point_in_time_recovery"], progress)
    if "tags" in changed:
        api.set_tags(aws, live, desired.tags)


def _update_settings(aws, desired: Desired, live: Live, changed: set[str],
                     indexes: checks.IndexOperations, progress: Progress) -> None:
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
        request["ProvisionedThroughput"] = requests.throughput(want["capacity"])
    if "on_demand_throughput" in changed and want["billing_mode"] == "PAY_PER_REQUEST":
        request["OnDemandThroughput"] = requests.on_demand(
            want["on_demand_throughput"] or requests.NO_LIMITS)
    if "deletion_protection" in changed:
        request["DeletionProtectionEnabled"] = want["deletion_protection"]
    if "stream" in changed:
        request["StreamSpecification"] = requests.stream(want["stream"])
    index_updates = []
    kept = set(want["global_indexes"]) & set(have["global_indexes"]) - set(indexes.deletes)
    for index in sorted(kept):
        capacity = want["global_indexes"][index]["capacity"]
        if capacity and ((switching and want["billing_mode"] == "PROVISIONED")
                         or index in indexes.resized):
            index_updates.append({"Update": {"IndexName": index,
                                             "ProvisionedThroughput": requests.throughput(
                                                 capacity)}})
    if index_updates:
        request["GlobalSecondaryIndexUpdates"] = index_updates
    if request:
        _update_table(aws, desired.name, progress, "table settings", **request)


def _update_table(aws, name: str, progress: Progress, what: str, **request) -> None:
    progress(f"UpdateTable ({what})")
    aws.client("dynamodb").update_table(TableName=name, **request)
    api.wait_active(aws, name, progress, f"table ACTIVE after {what}")


def _delete_index(aws, name: str, index: str, progress: Progress) -> None:
    progress(f"UpdateTable (delete index {index})")
    ddb = aws.client("dynamodb")
    try:
        ddb.update_table(
            TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index}}])
    except errors.ClientError as exc:
        # Resent after a lost answer: the first attempt already started the delete.
        if not (errors.is_code(exc, *INDEX_CHANGE_REFUSED)
                and api.index_status(ddb, name, index) in (None, "DELETING")):
            raise
    wait_until(lambda: ddb.describe_table(TableName=name)["Table"],
               lambda t: t["TableStatus"] == "ACTIVE" and index not in
               {ix["IndexName"] for ix in t.get("GlobalSecondaryIndexes") or []},
               f"index {index} of {name} deleted", aws.wait)


def _create_index(aws, desired: Desired, index: str, progress: Progress) -> None:
    props = desired.props
    progress(f"UpdateTable (create index {index}); it serves queries once backfilled")
    ddb = aws.client("dynamodb")
    try:
        ddb.update_table(
            TableName=desired.name,
            AttributeDefinitions=requests.attribute_definitions(props),
            GlobalSecondaryIndexUpdates=[{"Create": requests.global_index(
                index, props["global_indexes"][index], desired.state)}])
    except errors.ClientError as exc:
        # Resent after a lost answer: the first attempt already created the index.
        if not (errors.is_code(exc, *INDEX_CHANGE_REFUSED)
                and api.index_status(ddb, desired.name, index) in ("CREATING", "ACTIVE")):
            raise
    api.wait_active(aws, desired.name, progress, f"index {index} ACTIVE (backfill)")


def set_ttl(aws, name: str, attribute: str, enabled: bool, progress: Progress) -> None:
    ddb = aws.client("dynamodb")
    progress(f"UpdateTimeToLive ({'enable' if enabled else 'disable'} on {attribute})")
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
        "Enabled": enabled, "AttributeName": attribute})
    target = "ENABLED" if enabled else "DISABLED"
    wait_until(lambda: ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"],
               lambda d: d.get("TimeToLiveStatus") == target,
               f"{name}: TTL {target}", aws.wait,
               timeout=max(aws.wait.timeout, TTL_SETTLE_S))


def set_pitr(aws, name: str, pitr: dict, progress: Progress) -> None:
    ddb = aws.client("dynamodb")
    spec: dict[str, Any] = {"PointInTimeRecoveryEnabled": pitr["enabled"]}
    if pitr["enabled"]:
        spec["RecoveryPeriodInDays"] = pitr["recovery_period_days"]
    progress(f"UpdateContinuousBackups (PITR {'on' if pitr['enabled'] else 'off'})")
    retry_when(lambda: ddb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification=spec),
        ("ContinuousBackupsUnavailableException",), f"{name}: PITR available", aws.wait,
        timeout=PITR_AVAILABLE_S)
    target = "ENABLED" if pitr["enabled"] else "DISABLED"
    wait_until(lambda: api.read_pitr(ddb, name),
               lambda d: d.get("PointInTimeRecoveryStatus") == target,
               f"{name}: PITR {target}", aws.wait)
