"""CreateTable, safe to repeat after a lost answer, then TTL and PITR (which CreateTable
does not take)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from awsprov.aws import errors
from awsprov.aws.waiters import botocore_wait, retry_when, retry_with_backoff
from awsprov.resources import tags as tagging
from awsprov.resources.base import Desired, Progress
from awsprov.resources.dynamodb_table import api, requests, update

# How long a table CreateTable calls in use may stay invisible to DescribeTable.
IN_USE_VISIBLE_SECONDS = 30
# Tables with secondary indexes in CREATING at once, from this process. The DynamoDB API
# reference (LimitExceededException) allows 250 such creates at a time, but "if the table
# or index specifications are complex, DynamoDB might temporarily reduce the number of
# concurrent operations" (older editions: 25, and before that one); CloudFormation asks
# for such tables to be chained with DependsOn. Ten keeps well inside every edition's
# bound while leaving other tables free; a LimitExceededException that still comes is
# retried with backoff for up to INDEXED_CREATE_RETRY_S.
INDEXED_CREATES_IN_FLIGHT = 10
INDEXED_CREATE_RETRY_S = 15 * 60


def create(aws, desired: Desired, slots: threading.BoundedSemaphore,
           progress: Progress) -> None:
    """The table as desired; `slots` bounds the tables with indexes CREATING at once."""
    state = desired.state
    request = create_request(desired)
    indexed = bool(state["global_indexes"] or state["local_indexes"])
    with _creating_slot(slots, indexed, progress):
        _create_table(aws, desired, request, indexed, progress)
        api.wait_active(aws, desired.name, progress, "table and indexes ACTIVE",
                        after="create")
    if state["ttl"]:
        update.set_ttl(aws, desired.name, state["ttl"], True, progress)
    if state["point_in_time_recovery"]["enabled"]:
        update.set_pitr(aws, desired.name, state["point_in_time_recovery"], progress)


def create_request(desired: Desired) -> dict[str, Any]:
    props, state = desired.props, desired.state
    request: dict[str, Any] = {
        "TableName": desired.name,
        "AttributeDefinitions": requests.attribute_definitions(props),
        "KeySchema": requests.key_schema(props.get("hash_key"), props.get("range_key")),
        "BillingMode": state["billing_mode"],
        "DeletionProtectionEnabled": state["deletion_protection"],
        "Tags": tagging.as_pairs(desired.tags),
    }
    if state["capacity"]:
        request["ProvisionedThroughput"] = requests.throughput(state["capacity"])
    if state["on_demand_throughput"] is not None:
        request["OnDemandThroughput"] = requests.on_demand(state["on_demand_throughput"])
    if state["global_indexes"]:
        request["GlobalSecondaryIndexes"] = [
            requests.global_index(name, props["global_indexes"][name], state)
            for name in state["global_indexes"]]
    if state["local_indexes"]:
        request["LocalSecondaryIndexes"] = [
            requests.local_index(name, ix, props["hash_key"])
            for name, ix in props["local_indexes"].items()]
    if state["stream"]:
        request["StreamSpecification"] = requests.stream(state["stream"])
    if state["encryption"] != "aws-owned":
        request["SSESpecification"] = requests.sse(state["encryption"])
    if state["table_class"] != "STANDARD":
        request["TableClass"] = state["table_class"]
    return request


@contextlib.contextmanager
def _creating_slot(slots: threading.BoundedSemaphore, indexed: bool,
                   progress: Progress) -> Iterator[None]:
    """Held from CreateTable until ACTIVE by tables with secondary indexes: at most
    INDEXED_CREATES_IN_FLIGHT of them CREATING at once (AWS's limit, above)."""
    if not indexed:
        yield
        return
    if not slots.acquire(blocking=False):
        progress(f"waiting: at most {INDEXED_CREATES_IN_FLIGHT} tables with indexes "
                 f"are created at once (DynamoDB's limit)")
        slots.acquire()
    try:
        yield
    finally:
        slots.release()


def _create_table(aws, desired: Desired, request: dict, indexed: bool,
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
        status = _in_use_status(aws, name)
        if status != "DELETING":
            if status is None or not _made_by(ddb, desired):
                raise
            # This create's first attempt made it; botocore resent it after a lost answer.
            progress("CreateTable answer lost: the table it made is this one")
            return
        # A replacement or an interrupted destroy left the old table DELETING.
        progress("waiting: the previous table of this name to finish deleting")
        botocore_wait(ddb, "table_not_exists", aws.wait, TableName=name)
        create()


def _in_use_status(aws, name: str) -> str | None:
    """The status of the table CreateTable says is in use; a table just made may be
    invisible to DescribeTable for a moment, so not-found is asked again, briefly."""
    ddb = aws.client("dynamodb")
    try:
        return retry_when(lambda: ddb.describe_table(TableName=name)["Table"]["TableStatus"],
                          ("ResourceNotFoundException",), f"{name} visible",
                          aws.wait, timeout=IN_USE_VISIBLE_SECONDS)
    except errors.ClientError:
        return None


def _made_by(ddb, desired: Desired) -> bool:
    """The table of this name carries the tags this CreateTable sent (its own)."""
    arn = ddb.describe_table(TableName=desired.name)["Table"]["TableArn"]
    return tagging.made_for(api.read_tags(ddb, arn), desired.tags)
