"""A table as AWS answers it (the three describes, its tags, its key's names) and the
waits every change needs (docs/tables.md, "Reading" and "Update order")."""

from __future__ import annotations

import threading
import time

from awsprov.aws import errors, waiters
from awsprov.aws.paging import token_pages
from awsprov.aws.waiters import botocore_wait, retry_when, visible, wait_until
from awsprov.resources import kms_refs
from awsprov.resources import tags as tagging
from awsprov.resources.base import Live, Progress
from awsprov.resources.dynamodb_table import checks, settings
from awsprov.resources.sizes import human_bytes, plural

AWS_MANAGED_ALIAS = "alias/aws/dynamodb"
DATA_COUNT_NOTE = "DynamoDB refreshes these counts about every six hours"
SETTLING_SSE = ("ENABLING", "UPDATING", "DISABLING")
DELETE_IN_USE_RETRY_S = 10 * 60  # Terraform's table delete timeout, likewise retried


# ---- read --------------------------------------------------------------------------------

def read(aws, name: str, keys: KeyNamer) -> Live | None:
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
    pitr = read_pitr(ddb, name)
    indexed = aws.indexed_tags(table["TableArn"])
    tags = indexed if indexed is not None else read_tags(ddb, table["TableArn"])
    encryption, encryption_names = keys.encryption(aws, table.get("SSEDescription"))
    state = settings.live_state(table, ttl, pitr, encryption)
    items, size = table.get("ItemCount", 0), table.get("TableSizeBytes", 0)
    return Live(
        name=table["TableName"], arn=table["TableArn"], state=state, tags=tags,
        attributes={"arn": table["TableArn"], "name": table["TableName"],
                    "stream_arn": table.get("LatestStreamArn") if state["stream"] else None},
        data_at_risk=f"{plural(items, 'item')}, {human_bytes(size)} ({DATA_COUNT_NOTE})",
        deletion_protected=state["deletion_protection"],
        tags_indexed=indexed is not None,
        details=settings.live_details(
            table, ttl, encryption_names, lambda attribute: count_expired(ddb, name, attribute)),
    )


def read_pitr(ddb, name: str) -> dict:
    try:
        description = ddb.describe_continuous_backups(TableName=name)
    except errors.ClientError as exc:
        if errors.is_code(exc, "TableNotFoundException"):
            return {}
        raise
    return description["ContinuousBackupsDescription"].get(
        "PointInTimeRecoveryDescription", {})


def read_tags(ddb, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in token_pages(ddb.list_tags_of_resource, {"ResourceArn": arn}):
        tags.update(tagging.as_dict(page.get("Tags")))
    return tags


def count_expired(ddb, name: str, attribute: str) -> int | None:
    """Items of one Scan page (TTL_SAMPLE_ITEMS read, at most) whose `attribute` is a
    number below now: TTL deletes those as soon as it is on. None when the caller may not
    Scan: `iam-policy` does not grant it (Scan reads items), so the risk stays unknown."""
    try:
        page = ddb.scan(TableName=name, Limit=checks.TTL_SAMPLE_ITEMS, Select="COUNT",
                        FilterExpression="#ttl < :now",
                        ExpressionAttributeNames={"#ttl": attribute},
                        ExpressionAttributeValues={":now": {"N": str(int(time.time()))}})
    except errors.ClientError as exc:
        if errors.is_code(exc, "AccessDeniedException", "AccessDenied"):
            return None
        raise
    return int(page.get("Count", 0))


class KeyNamer:
    """Tells which KMS key encrypts a table, and every name of it; one DescribeKey +
    ListAliases per key ARN, cached for the life of the type (key ARNs are unique; an
    alias is not, so a key the table names by alias is looked up every time)."""

    def __init__(self) -> None:
        self._cache: dict[str, kms_refs.KeyNames | None] = {}
        self._lock = threading.Lock()

    def encryption(self, aws, sse: dict | None) -> tuple[str, frozenset[str]]:
        """("aws-owned" | "aws-managed" | the key ARN, every name of that key): a spec may
        name the key by ARN, id or alias (`${keys.x.alias}`) and mean the same key."""
        if not sse or sse.get("Status") in ("DISABLED", "DISABLING"):
            return "aws-owned", frozenset()
        arn = sse.get("KMSMasterKeyArn", "")
        key = self._names(aws, arn) if arn else None
        if not arn or (key and (key.aws_managed or AWS_MANAGED_ALIAS in key.aliases)):
            return "aws-managed", frozenset()
        return arn, key.names() if key else frozenset({arn})

    def _names(self, aws, arn: str) -> kms_refs.KeyNames | None:
        cacheable = ":key/" in arn
        with self._lock:
            if cacheable and arn in self._cache:
                return self._cache[arn]
        key = kms_refs.describe_key(aws, arn)
        if cacheable:
            with self._lock:
                self._cache[arn] = key
        return key


# ---- status and waits --------------------------------------------------------------------

def status(ddb, name: str) -> str | None:
    """The table's status, None when it is gone."""
    try:
        return ddb.describe_table(TableName=name)["Table"]["TableStatus"]
    except errors.ClientError as exc:
        if errors.is_code(exc, "ResourceNotFoundException"):
            return None
        raise


def index_status(ddb, table: str, index: str) -> str | None:
    """The index's status, None when the table has no such index."""
    described = ddb.describe_table(TableName=table)["Table"]
    return next((ix.get("IndexStatus", "ACTIVE") for ix in
                 described.get("GlobalSecondaryIndexes") or [] if ix["IndexName"] == index), None)


def wait_active(aws, name: str, progress: Progress, what: str,
                after: str | None = "update") -> None:
    """Table and every index ACTIVE. Right after UpdateTable, AWS can report ACTIVE
    for a moment before the change starts: so after a change of ours (`after`, "update"
    or "create"), an ACTIVE first read is confirmed as waiters.CONFIRMATIONS says for it
    (after a create: not at all, no earlier state looks ACTIVE). Once a transitional state
    has been seen, the change has started and its first ACTIVE is the real one."""
    ddb = aws.client("dynamodb")

    def settled(table: dict) -> bool:
        return table["TableStatus"] == "ACTIVE" and all(
            ix.get("IndexStatus", "ACTIVE") == "ACTIVE"
            for ix in table.get("GlobalSecondaryIndexes") or [])

    def read() -> dict:  # right after CreateTable it may not be found yet
        return visible("dynamodb.table", lambda: ddb.describe_table(TableName=name)["Table"],
                       f"{name} visible to DescribeTable", aws.wait)

    if settled(read()):
        confirm = f"dynamodb.active_after_{after}" if after else None
        if confirm is None or waiters.CONFIRMATIONS[confirm].reads < 2:
            return
        waiters.confirm_pause(confirm, aws.wait, f"{name}: {what}")
        if settled(read()):
            return
    progress(f"waiting: {what}")
    wait_until(read, settled, f"{name}: {what}", aws.wait)


def wait_sse(aws, name: str, progress: Progress) -> None:
    ddb = aws.client("dynamodb")
    progress("waiting: encryption change to settle")
    wait_until(lambda: ddb.describe_table(TableName=name)["Table"].get("SSEDescription"),
               lambda sse: not sse or sse.get("Status") not in SETTLING_SSE,
               f"{name}: encryption settled", aws.wait, consecutive=2)


# ---- delete ------------------------------------------------------------------------------

def delete(aws, name: str, progress: Progress) -> None:
    ddb = aws.client("dynamodb")
    now = _wait_deletable(aws, name, progress)
    if now is None:
        return
    # DELETING: an interrupted destroy's, only the wait for its end is missing
    if now != "DELETING" and not _send_delete(aws, name, progress):
        return
    progress("waiting: table deleted")
    botocore_wait(ddb, "table_not_exists", aws.wait, TableName=name)


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


def _wait_deletable(aws, name: str, progress: Progress) -> str | None:
    """Wait out CREATING and UPDATING (DeleteTable refuses both): the status then
    (ACTIVE or DELETING), None when the table is gone."""
    ddb = aws.client("dynamodb")
    now = status(ddb, name)
    if now in ("CREATING", "UPDATING"):
        progress(f"waiting: table {now} (AWS refuses DeleteTable until it is ACTIVE)")
        now = wait_until(lambda: status(ddb, name), lambda s: s not in ("CREATING", "UPDATING"),
                         f"{name}: ACTIVE before DeleteTable", aws.wait)
    return now


def set_tags(aws, live: Live, tags: dict[str, str]) -> None:
    ddb = aws.client("dynamodb")
    tagging.write_tag_delta(
        live.tags, tags,
        untag=lambda keys: ddb.untag_resource(ResourceArn=live.arn, TagKeys=keys),
        tag=lambda new: ddb.tag_resource(ResourceArn=live.arn, Tags=tagging.as_pairs(new)))
