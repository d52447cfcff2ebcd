"""AWS's documented behaviours that moto lacks, as mechanisms the layer applies to calls.

Every behaviour has a name, the AWS page and sentence it reproduces (`Source`), and a
window in seconds at scale 1 (AWS's own windows are seconds to minutes; the layer's are
short enough for CI and long enough that code which does not wait for them fails). The
table of instances is `BEHAVIOURS` at the end; docs/testing.md lists it.

A behaviour sees each call twice: `before` may answer it instead of moto (an error, or a
success body), `after` sees moto's answer (and may rewrite it in place: a state shown,
a listing that lags).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.realism.calls import Answer, Call, arn_service, created_ids, error, reply, resource_id


@dataclass(frozen=True)
class Source:
    page: str
    sentence: str


class Clock:
    """Windows are measured on one clock, scaled by one factor."""

    def __init__(self, scale: float = 1.0, now: Callable[[], float] = time.monotonic):
        self.scale, self.now = scale, now

    def within(self, since: float | None, window: float) -> bool:
        return since is not None and self.now() - since < window * self.scale


@dataclass
class Behaviour:
    name: str
    source: Source
    window: float = 0.0  # seconds at scale 1

    def __post_init__(self) -> None:
        self.lock = threading.RLock()  # hit() runs inside locked sections too
        self.clock = Clock()
        self.fired = 0  # how many calls it changed: tests assert it really acted

    def reset(self, clock: Clock) -> None:
        self.clock, self.fired = clock, 0
        self.forget()

    def forget(self) -> None: ...

    def before(self, call: Call) -> Answer | None:
        return None

    def after(self, call: Call, response: dict[str, Any]) -> None: ...

    def throttle(self, call: Call) -> Answer | None:
        """An answer for one attempt, below botocore's retries (throttling only)."""
        return None

    def hit(self) -> None:
        with self.lock:
            self.fired += 1

    @property
    def summary(self) -> str:
        return f"{self.name}: {self.source.page}: \"{self.source.sentence}\""


@dataclass
class NotFoundAfterCreate(Behaviour):
    """For `window` seconds after a create, calls in `operations` that name the new
    resource get AWS's not-found error."""

    service: str = ""
    creates: frozenset[str] = frozenset()
    operations: frozenset[str] | Callable[[str], bool] = frozenset()
    code: str = "ResourceNotFoundException"
    message: str = "Requested resource not found"
    status: int = 400

    def forget(self) -> None:
        self.created: dict[str, float] = {}

    def affects(self, operation: str) -> bool:
        ops = self.operations
        return ops(operation) if callable(ops) else operation in ops

    def before(self, call: Call) -> Answer | None:
        if call.service != self.service or not self.affects(call.operation):
            return None
        with self.lock:
            young = any(self.clock.within(self.created.get(i), self.window) for i in call.ids())
        if not young:
            return None
        self.hit()
        return error(self.code, self.message, self.status)

    def after(self, call: Call, response: dict[str, Any]) -> None:
        if call.service == self.service and call.operation.startswith("Delete"):
            with self.lock:  # gone: whatever AWS says of it now is another behaviour's
                for name in call.ids():
                    self.created.pop(name, None)
        if call.service == self.service and call.operation in self.creates:
            now = self.clock.now()
            with self.lock:
                for name in created_ids(call, response):
                    self.created[name] = now


@dataclass
class ListingLag(Behaviour):
    """A listing leaves out resources created (or, for the Tagging API, tagged) less than
    `window` seconds ago. `key` picks an item's resource id; None keeps the item."""

    service: str = ""
    list_operation: str = ""
    items: str = ""
    key: Callable[[dict], str | None] = lambda item: None
    touches: Callable[[Call, dict], Iterable[str]] = lambda call, response: ()

    def forget(self) -> None:
        self.touched: dict[str, float] = {}

    def after(self, call: Call, response: dict[str, Any]) -> None:
        if call.service == self.service and call.operation == self.list_operation:
            self._hide_young(response)
            return
        now = self.clock.now()
        names = list(self.touches(call, response))
        with self.lock:
            for name in names:
                self.touched[name] = now

    def _hide_young(self, response: dict[str, Any]) -> None:
        items = response.get(self.items)
        if not isinstance(items, list):
            return
        with self.lock:
            kept = [i for i in items
                    if not self.clock.within(self.touched.get(self.key(i) or ""), self.window)]
        if len(kept) != len(items):
            self.hit()
            response[self.items] = kept


@dataclass
class TableStates(Behaviour):
    """DynamoDB's asynchronous table operations: CREATING after CreateTable, UPDATING after
    UpdateTable (an index it creates CREATING and backfilling for longer), DELETING after
    DeleteTable (the table still described and listed). While a table is not ACTIVE,
    UpdateTable, UpdateTimeToLive and DeleteTable get ResourceInUseException."""

    creating: float = 0.6
    updating: float = 0.4
    deleting: float = 0.5
    backfill: float = 0.8
    refused_while_busy: frozenset[str] = frozenset({"UpdateTable", "DeleteTable",
                                                    "UpdateTimeToLive"})

    def forget(self) -> None:
        self.since: dict[str, tuple[str, float, str | None]] = {}  # status, since, index
        self.gone: dict[str, dict] = {}  # table -> its description at DeleteTable

    def _status(self, name: str) -> tuple[str, str | None] | None:
        state = self.since.get(name)
        if state is None:
            return None
        status, since, index = state
        window = {"CREATING": self.creating, "DELETING": self.deleting}.get(
            status, self.backfill if index else self.updating)
        return (status, index) if self.clock.within(since, window) else None

    def before(self, call: Call) -> Answer | None:
        if call.service != "dynamodb":
            return None
        name = call.params.get("TableName")
        with self.lock:
            state = self._status(name) if isinstance(name, str) else None
            gone = self.gone.get(name) if state and state[0] == "DELETING" else None
        if state is None:
            return None
        if gone is not None and call.operation == "DescribeTable":
            self.hit()
            return reply({"Table": {**gone, "TableStatus": "DELETING"}})
        if call.operation in self.refused_while_busy or (
                gone is not None and call.operation == "CreateTable"):
            self.hit()
            return error("ResourceInUseException",
                         f"Attempt to change a resource which is still in use: Table {name} "
                         f"is being {state[0].lower()}")
        return None

    def after(self, call: Call, response: dict[str, Any]) -> None:
        if call.service != "dynamodb":
            return
        name = call.params.get("TableName")
        now = self.clock.now()
        with self.lock:
            if call.operation == "CreateTable":
                self.since[name] = ("CREATING", now, None)
                self.gone.pop(name, None)
            elif call.operation == "UpdateTable":
                self.since[name] = ("UPDATING", now, _created_index(call.params))
            elif call.operation == "DeleteTable":
                self.since[name] = ("DELETING", now, None)
                self.gone[name] = copy.deepcopy(response.get("TableDescription") or {})
            elif call.operation == "DescribeTable":
                self._show(name, response)
            elif call.operation == "ListTables":
                self._list_deleting(response)

    def _show(self, name: str, response: dict[str, Any]) -> None:
        state = self._status(name)
        table = response.get("Table")
        if state is None or not isinstance(table, dict):
            return
        status, index = state
        self.hit()
        table["TableStatus"] = status
        for ix in table.get("GlobalSecondaryIndexes") or []:
            if status == "CREATING" or ix.get("IndexName") == index:
                ix["IndexStatus"] = "CREATING"
                if index:
                    ix["Backfilling"] = True

    def _list_deleting(self, response: dict[str, Any]) -> None:
        names = response.get("TableNames")
        if not isinstance(names, list):
            return
        deleting = [n for n in self.gone if self._status(n) and n not in names]
        if deleting:
            self.hit()
            response["TableNames"] = sorted([*names, *deleting])


def _created_index(params: dict[str, Any]) -> str | None:
    for update in params.get("GlobalSecondaryIndexUpdates") or []:
        if "Create" in update:
            return update["Create"].get("IndexName")
    return None


@dataclass
class IndexedCreateLimit(Behaviour):
    """Only `limit` tables with secondary indexes may be CREATING at once (each counts for
    `window` seconds after its CreateTable); one more gets LimitExceededException."""

    limit: int = 2

    def forget(self) -> None:
        self.creating: dict[str, float] = {}

    def before(self, call: Call) -> Answer | None:
        if call.service != "dynamodb" or call.operation != "CreateTable" or \
                not _has_indexes(call.params):
            return None
        with self.lock:
            busy = [n for n, t in self.creating.items() if self.clock.within(t, self.window)]
        if len(busy) < self.limit:
            return None
        self.hit()
        return error("LimitExceededException",
                     f"Subscriber limit exceeded: Only {self.limit} tables with secondary "
                     f"indexes can be in the CREATING state at any time")

    def after(self, call: Call, response: dict[str, Any]) -> None:
        if call.service == "dynamodb" and call.operation == "CreateTable" and \
                _has_indexes(call.params):
            with self.lock:
                self.creating[call.params["TableName"]] = self.clock.now()


def _has_indexes(params: dict[str, Any]) -> bool:
    return bool(params.get("GlobalSecondaryIndexes") or params.get("LocalSecondaryIndexes"))


@dataclass
class QueueDeletionLag(Behaviour):
    """A deleted queue is still listed, its URL still found, and its attributes and tags
    still answered (as last read) for `window` seconds: "Requests you send involving that
    queue during the 60 seconds might succeed"."""

    def forget(self) -> None:
        self.deleted: dict[str, tuple[str, float]] = {}  # name -> (url, when)
        self.answers: dict[tuple[str, str], dict] = {}  # (name, operation) -> last answer

    def _lingering(self) -> dict[str, str]:
        return {n: u for n, (u, t) in self.deleted.items() if self.clock.within(t, self.window)}

    def before(self, call: Call) -> Answer | None:
        if call.service != "sqs" or call.operation not in _LINGERING_QUEUE_READS:
            return None
        name = call.params.get("QueueName") or resource_id(call.params.get("QueueUrl", ""))
        with self.lock:
            url = self._lingering().get(name)
            last = self.answers.get((name, call.operation))
        if url is None or (call.operation != "GetQueueUrl" and last is None):
            return None
        self.hit()
        if call.operation == "GetQueueUrl":
            return reply({"QueueUrl": url})
        if call.operation == "GetQueueAttributes":
            return reply({"Attributes": _named_attributes(last, call.params)})
        return reply(copy.deepcopy(last))

    def after(self, call: Call, response: dict[str, Any]) -> None:
        if call.service != "sqs":
            return
        with self.lock:
            if call.operation in _LINGERING_QUEUE_READS and call.operation != "GetQueueUrl":
                self._remember(call, response)
            if call.operation == "DeleteQueue":
                url = call.params.get("QueueUrl", "")
                self.deleted[resource_id(url)] = (url, self.clock.now())
            elif call.operation == "CreateQueue":
                name = call.params.get("QueueName", "")
                self.deleted.pop(name, None)
                for operation in _LINGERING_QUEUE_READS:
                    self.answers.pop((name, operation), None)
            elif call.operation == "ListQueues":
                self._list(call, response)

    def _remember(self, call: Call, response: dict[str, Any]) -> None:
        name = resource_id(call.params.get("QueueUrl", ""))
        if call.operation == "GetQueueAttributes":
            known = self.answers.setdefault((name, call.operation), {})
            known.update(copy.deepcopy(response.get("Attributes") or {}))
        else:
            self.answers[(name, call.operation)] = {"Tags": dict(response.get("Tags") or {})}

    def _list(self, call: Call, response: dict[str, Any]) -> None:
        prefix = call.params.get("QueueNamePrefix", "")
        urls = list(response.get("QueueUrls") or [])
        extra = [u for n, u in self._lingering().items() if n.startswith(prefix) and u not in urls]
        if extra:
            self.hit()
            response["QueueUrls"] = urls + extra


_LINGERING_QUEUE_READS = frozenset({"GetQueueUrl", "GetQueueAttributes", "ListQueueTags"})


def _named_attributes(known: dict[str, str], params: dict[str, Any]) -> dict[str, str]:
    names = params.get("AttributeNames") or []
    return dict(known) if "All" in names else {k: v for k, v in known.items() if k in names}


@dataclass
class BlockPublicPolicy(Behaviour):
    """PutBucketPolicy with a public policy gets 403 AccessDenied while the bucket's
    BlockPublicPolicy is on (on by default for every new bucket since April 2023)."""

    def forget(self) -> None:
        self.blocking: dict[str, bool] = {}

    def before(self, call: Call) -> Answer | None:
        if call.service != "s3" or call.operation != "PutBucketPolicy":
            return None
        with self.lock:
            on = self.blocking.get(call.params.get("Bucket", ""), False)
        if not on or not is_public_policy(call.params.get("Policy")):
            return None
        self.hit()
        return error("AccessDenied", "User is not authorized to perform: s3:PutBucketPolicy "
                     "because public policies are blocked by the BlockPublicPolicy block "
                     "public access setting.", 403)

    def after(self, call: Call, response: dict[str, Any]) -> None:
        if call.service != "s3":
            return
        bucket = call.params.get("Bucket", "")
        with self.lock:
            if call.operation == "CreateBucket":
                self.blocking[bucket] = True
            elif call.operation == "PutPublicAccessBlock":
                config = call.params.get("PublicAccessBlockConfiguration") or {}
                self.blocking[bucket] = bool(config.get("BlockPublicPolicy"))
            elif call.operation == "DeletePublicAccessBlock":
                self.blocking[bucket] = False


# Condition keys that, with fixed values, make a statement non-public (S3 user guide,
# "The meaning of public"); anything else (aws:Referer, aws:SecureTransport) does not.
NON_PUBLIC_KEYS = frozenset({
    "aws:sourceip", "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceowner",
    "aws:sourceaccount", "aws:userid", "aws:principalarn", "aws:principalaccount",
    "aws:principalorgid", "aws:principalorgpaths", "aws:sourceorgid", "aws:sourceorgpaths",
    "s3:datasourceaccount", "kms:calleraccount", "kms:viaservice", "sns:endpoint",
    "lambda:eventsourcetoken",
})
WILDCARD_TOLERANT = frozenset({"aws:sourceip"})  # CIDRs, not wildcards


def is_public_policy(policy: Any) -> bool:
    """AWS's rule: an Allow to everyone is public unless a condition fixes one of the
    listed keys to values without wildcards."""
    if isinstance(policy, (bytes, str)):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False
    statements = (policy or {}).get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return any(_public_statement(s) for s in statements if isinstance(s, dict))


def _public_statement(statement: dict) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    principal = statement.get("Principal")
    aws = principal.get("AWS") if isinstance(principal, dict) else principal
    everyone = aws == "*" or (isinstance(aws, list) and "*" in aws)
    return everyone and not _fixes_a_listed_key(statement.get("Condition") or {})


def _fixes_a_listed_key(condition: dict) -> bool:
    for operator, pairs in condition.items():
        if "IfExists" in operator or not isinstance(pairs, dict):
            continue
        for key, values in pairs.items():
            values = values if isinstance(values, list) else [values]
            fixed = all(isinstance(v, str) and (("*" not in v and "?" not in v) or
                                                key.lower() in WILDCARD_TOLERANT)
                        for v in values)
            if key.lower() in NON_PUBLIC_KEYS and fixed and not operator.startswith("StringNot"):
                return True
    return False


@dataclass
class ThrottlingBurst(Behaviour):
    """Of every `every` attempts at one of `services`, `burst` in a row are throttled (AWS's
    control planes throttle bursts of requests; botocore must retry them). Attempts, not
    calls: each retry is a new attempt, so a throttled call goes through on a retry."""

    services: frozenset[str] = frozenset()
    every: int = 20
    burst: int = 2
    code: str = "ThrottlingException"

    def forget(self) -> None:
        self.attempts = 0

    def throttle(self, call: Call) -> Answer | None:
        if call.service not in self.services:
            return None
        with self.lock:
            self.attempts += 1
            throttled = self.attempts > self.burst and self.attempts % self.every < self.burst
        if not throttled:
            return None
        self.hit()
        return Answer(400, self.code, "Rate exceeded", throttling=True)


@dataclass
class TtlTransition(Behaviour):
    """For `window` seconds after UpdateTimeToLive, DescribeTimeToLive answers ENABLING
    (DISABLING) instead of the settled status (AWS: up to one hour)."""

    def forget(self) -> None:
        self.changing: dict[str, tuple[bool, str, float]] = {}  # table -> (on, attribute, when)

    def after(self, call: Call, response: dict[str, Any]) -> None:
        if call.service != "dynamodb":
            return
        name = call.params.get("TableName", "")
        with self.lock:
            if call.operation == "UpdateTimeToLive":
                spec = call.params.get("TimeToLiveSpecification") or {}
                self.changing[name] = (bool(spec.get("Enabled")),
                                       spec.get("AttributeName", ""), self.clock.now())
            elif call.operation in ("CreateTable", "DeleteTable"):
                self.changing.pop(name, None)
            elif call.operation == "DescribeTimeToLive":
                self._show(name, response)

    def _show(self, name: str, response: dict[str, Any]) -> None:
        change = self.changing.get(name)
        if change is None or not self.clock.within(change[2], self.window):
            return
        enabled, attribute, _since = change
        self.hit()
        response["TimeToLiveDescription"] = {
            "TimeToLiveStatus": "ENABLING" if enabled else "DISABLING",
            "AttributeName": attribute}


@dataclass
class ThrottlingStorm(Behaviour):
    """For `window` seconds from the first attempt at one of `services`, the first
    `per_call` attempts of every call are throttled, whichever thread makes it: a burst
    that hits every worker at once, each call carried by botocore's retries alone. In
    process only (on the wire each attempt is a request of its own). Not in the default
    table: with botocore's real backoff each call waits seconds; a test adds it."""

    services: frozenset[str] = frozenset()
    per_call: int = 5
    code: str = "ThrottlingException"

    def forget(self) -> None:
        self.started: float | None = None
        self.attempts: dict[int, int] = {}  # id(call) -> attempts throttled
        self.calls: list[Call] = []  # kept alive, so no id is reused meanwhile

    def throttle(self, call: Call) -> Answer | None:
        if call.service not in self.services:
            return None
        with self.lock:
            if self.started is None:
                self.started = self.clock.now()
            if not self.clock.within(self.started, self.window):
                return None
            done = self.attempts.get(id(call), 0)
            if done >= self.per_call:
                return None
            if done == 0:
                self.calls.append(call)
            self.attempts[id(call)] = done + 1
        self.hit()
        return Answer(400, self.code, "Rate exceeded", throttling=True)


@dataclass
class KmsSlowToShow(Behaviour):
    """For `window` seconds after PutKeyPolicy, GetKeyPolicy still answers the policy it
    answered before; after EnableKey/DisableKey, DescribeKey still shows the old state."""

    def forget(self) -> None:
        self.policies: dict[str, str] = {}  # key -> the last policy read
        self.stale_policy: dict[str, tuple[str, float]] = {}
        self.stale_state: dict[str, tuple[bool, float]] = {}  # key -> (old Enabled, when)

    def after(self, call: Call, response: dict[str, Any]) -> None:
        if call.service != "kms":
            return
        key, now = resource_id(call.params.get("KeyId", "")), self.clock.now()
        with self.lock:
            if call.operation == "PutKeyPolicy" and key in self.policies:
                self.stale_policy[key] = (self.policies[key], now)
            elif call.operation in ("EnableKey", "DisableKey"):
                self.stale_state[key] = (call.operation == "DisableKey", now)
            elif call.operation == "GetKeyPolicy":
                self._policy(key, response)
            elif call.operation == "DescribeKey":
                self._state(response)

    def _policy(self, key: str, response: dict[str, Any]) -> None:
        old = self.stale_policy.get(key)
        if old and self.clock.within(old[1], self.window):
            self.hit()
            response["Policy"] = old[0]
        elif isinstance(response.get("Policy"), str):
            self.policies[key] = response["Policy"]

    def _state(self, response: dict[str, Any]) -> None:
        meta = response.get("KeyMetadata") or {}
        old = self.stale_state.get(meta.get("KeyId", ""))
        if old and self.clock.within(old[1], self.window):
            self.hit()
            meta["Enabled"], meta["KeyState"] = old[0], "Enabled" if old[0] else "Disabled"


class _TaggingTouches:
    """Resources made or tagged by a call, as (service-qualified) ids. PutMetricAlarm and
    PutDashboard create and update alike; only a create is new to the index ("If you are
    using this operation to update an existing alarm, any tags you specify in this
    parameter are ignored", CloudWatch API Reference, PutMetricAlarm), so the names already
    seen (described, read, listed or put before) are updates."""

    PUTS = {"PutMetricAlarm": "AlarmName", "PutDashboard": "DashboardName"}

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.known: set[str] = set()

    def __call__(self, call: Call, response: dict[str, Any]) -> list[str]:
        op = call.operation
        if call.service == "cloudwatch":
            self._learn(op, call, response)
        if op in self.PUTS:
            return self._put(call)
        tag_write = op in ("TagResource", "UntagResource", "TagQueue", "UntagQueue",
                           "PutBucketTagging", "TagLogGroup")
        if not (tag_write or op in _CREATES):
            return []
        ids = created_ids(call, response) if op in _CREATES else call.ids()
        return [f"{call.service}:{i}" for i in ids]

    def _learn(self, op: str, call: Call, response: dict[str, Any]) -> None:
        names = [a.get("AlarmName") for kind in ("MetricAlarms", "CompositeAlarms")
                 for a in response.get(kind) or []] if op == "DescribeAlarms" else []
        if op == "GetDashboard":
            names.append(response.get("DashboardName"))
        if op == "ListDashboards":
            names += [d.get("DashboardName") for d in response.get("DashboardEntries") or []]
        with self.lock:
            self.known.update(n for n in names if isinstance(n, str))

    def _put(self, call: Call) -> list[str]:
        name = call.params.get(self.PUTS[call.operation])
        if not isinstance(name, str):
            return []
        with self.lock:
            new = name not in self.known
            self.known.add(name)
        return [f"{call.service}:{name}"] if new else []


def _tagging_key(mapping: dict) -> str | None:
    arn = mapping.get("ResourceARN") or ""
    return f"{arn_service(arn)}:{resource_id(arn)}"


_CREATES = frozenset({"CreateTable", "CreateQueue", "CreateKey", "CreateBucket", "CreateSecret",
                      "CreateTopic", "CreateLogGroup"})
_KMS_KEY_OPS = frozenset({
    "DescribeKey", "GetKeyPolicy", "PutKeyPolicy", "GetKeyRotationStatus", "EnableKeyRotation",
    "DisableKeyRotation", "ListResourceTags", "TagResource", "UntagResource", "CreateAlias",
    "EnableKey", "DisableKey"})
_SQS_QUEUE_OPS = frozenset({"GetQueueAttributes", "SetQueueAttributes", "GetQueueUrl",
                            "TagQueue", "UntagQueue", "ListQueueTags"})
_S3_UNAFFECTED = frozenset({"CreateBucket", "HeadBucket", "ListBuckets", "DeleteBucket"})


def behaviours() -> list[Behaviour]:
    """A fresh table (each test gets its own state)."""
    return [
        NotFoundAfterCreate(
            "dynamodb.describe-after-create",
            Source("DynamoDB API Reference, DescribeTable",
                   "If you issue a DescribeTable request immediately after a CreateTable "
                   "request, DynamoDB might return a ResourceNotFoundException. This is "
                   "because DescribeTable uses an eventually consistent query, and the "
                   "metadata for your table might not be available at that moment."),
            window=0.5, service="dynamodb", creates=frozenset({"CreateTable"}),
            operations=frozenset({"DescribeTable"}),
            message="Requested resource not found: Table not found"),
        NotFoundAfterCreate(
            "sqs.queue-usable-after-a-second",
            Source("Amazon SQS API Reference, CreateQueue",
                   "After you create a queue, you must wait at least one second after the "
                   "queue is created to be able to use the queue."),
            window=1.0, service="sqs", creates=frozenset({"CreateQueue"}),
            operations=_SQS_QUEUE_OPS, code="AWS.SimpleQueueService.NonExistentQueue",
            message="The specified queue does not exist."),
        NotFoundAfterCreate(
            "kms.key-eventually-consistent",
            Source("AWS KMS Developer Guide, Eventual consistency",
                   "changes to AWS KMS resources ... are eventually consistent ... usually "
                   "less than a few seconds, in some cases several minutes"),
            window=0.6, service="kms", creates=frozenset({"CreateKey", "CreateAlias"}),
            operations=_KMS_KEY_OPS | {"UpdateAlias", "DeleteAlias"},
            code="NotFoundException", message="Key does not exist"),
        ListingLag(
            "kms.list-aliases-lag",
            Source("AWS KMS Developer Guide, Eventual consistency",
                   "a ListAliases request right after CreateAlias might not include the "
                   "new alias"),
            window=0.6, service="kms", list_operation="ListAliases", items="Aliases",
            key=lambda alias: alias.get("AliasName"),
            touches=lambda call, _r: ([call.params.get("AliasName", "")]
                                      if call.service == "kms" and
                                      call.operation in ("CreateAlias", "UpdateAlias") else [])),
        NotFoundAfterCreate(
            "s3.no-such-bucket-after-create",
            Source("Amazon S3 User Guide, Amazon S3 data consistency model",
                   "Bucket configurations have an eventual consistency model. (Terraform "
                   "retries PutBucketPolicy and the other bucket writes on NoSuchBucket "
                   "for 2 minutes after CreateBucket.)"),
            window=0.5, service="s3", creates=frozenset({"CreateBucket"}),
            operations=lambda op: op not in _S3_UNAFFECTED,
            code="NoSuchBucket", message="The specified bucket does not exist", status=404),
        ListingLag(
            "tagging.get-resources-lag",
            Source("Resource Groups Tagging API Reference, GetResources",
                   "(no freshness promise) a resource created or tagged moments ago may be "
                   "missing from GetResources; the services' own tag APIs are current"),
            window=1.0, service="resourcegroupstaggingapi", list_operation="GetResources",
            items="ResourceTagMappingList", key=_tagging_key, touches=_TaggingTouches()),
        TableStates(
            "dynamodb.table-states",
            Source("DynamoDB API Reference, CreateTable / UpdateTable / DeleteTable",
                   "CreateTable is an asynchronous operation ... DynamoDB immediately returns "
                   "a response with a TableStatus of CREATING ... If table is in the CREATING "
                   "or UPDATING states, then DynamoDB returns a ResourceInUseException "
                   "(DeleteTable)")),
        IndexedCreateLimit(
            "dynamodb.indexed-table-creating-limit",
            Source("DynamoDB API Reference, CreateTable (LimitExceededException)",
                   "When you are creating a table with one or more secondary indexes, you can "
                   "have up to 250 such requests running at a time ... DynamoDB might "
                   "temporarily reduce the number of concurrent operations."),
            window=0.6, limit=2),
        QueueDeletionLag(
            "sqs.deletion-lag",
            Source("Amazon SQS API Reference, DeleteQueue",
                   "When you delete a queue, the deletion process takes up to 60 seconds. "
                   "Requests you send involving that queue during the 60 seconds might "
                   "succeed."),
            window=1.0),
        BlockPublicPolicy(
            "s3.block-public-policy",
            Source("Amazon S3 API Reference, PublicAccessBlockConfiguration",
                   "BlockPublicPolicy: Setting this element to TRUE causes Amazon S3 to reject "
                   "calls to PUT Bucket policy if the specified bucket policy allows public "
                   "access.")),
        TtlTransition(
            "dynamodb.ttl-transition",
            Source("DynamoDB API Reference, UpdateTimeToLive",
                   "It can take up to one hour for the change to fully process. Any "
                   "additional UpdateTimeToLive calls for the same table during this one "
                   "hour duration result in a ValidationException."),
            window=0.5),
        KmsSlowToShow(
            "kms.slow-to-show-writes",
            Source("AWS KMS Developer Guide, Eventual consistency",
                   "a change to a key policy or to a key's enabled state ... might not be "
                   "visible to the next request that reads it"),
            window=0.6),
        ThrottlingBurst(
            "throttling.bursts",
            Source("AWS SDKs and Tools Reference Guide, Retry behavior",
                   "throttling errors ... are retried by the SDK's standard retry mode "
                   "(DynamoDB, KMS and CloudWatch Logs answer ThrottlingException when a "
                   "request rate quota is exceeded)"),
            services=frozenset({"dynamodb", "kms", "logs"}), every=25, burst=2),
    ]


def throttling_storm(window: float = 1.0, per_call: int = 5,
                     services: Iterable[str] = ("dynamodb",)) -> ThrottlingStorm:
    """A storm to add to a Realism's table (it is in no default table)."""
    return ThrottlingStorm(
        "throttling.storm",
        Source("AWS SDKs and Tools Reference Guide, Retry behavior",
               "(standard mode) a retry quota per client: each retry of a throttled call "
               "spends from it, and once it is spent calls are no longer retried; an "
               "account's request rate quota throttles every caller at once"),
        window=window, services=frozenset(services), per_call=per_call)


@dataclass
class Realism:
    """The behaviours in force for one test. `scale` multiplies every window; `off` names
    behaviours switched off (REALISM_PENDING in tests/helpers.py)."""

    scale: float = 1.0
    off: frozenset[str] = frozenset()
    table: list[Behaviour] = field(default_factory=behaviours)
    now: Callable[[], float] = time.monotonic  # a test's virtual clock, shared with awsprov

    def __post_init__(self) -> None:
        unknown = set(self.off) - {b.name for b in self.table}
        if unknown:
            raise KeyError(f"no such realism behaviour: {sorted(unknown)}")
        clock = Clock(self.scale, self.now)
        for behaviour in self.table:
            behaviour.reset(clock)
        self.active = [b for b in self.table if b.name not in self.off]

    def __getitem__(self, name: str) -> Behaviour:
        return next(b for b in self.table if b.name == name)

    def before(self, call: Call) -> Answer | None:
        for behaviour in self.active:
            answer = behaviour.before(call)
            if answer is not None:
                return answer
        return None

    def throttle(self, call: Call) -> Answer | None:
        for behaviour in self.active:
            answer = behaviour.throttle(call)
            if answer is not None:
                return answer
        return None

    def after(self, call: Call, response: dict[str, Any]) -> None:
        for behaviour in self.active:
            behaviour.after(call, response)

    def fired(self) -> dict[str, int]:
        return {b.name: b.fired for b in self.table if b.fired}
