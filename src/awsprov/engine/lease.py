"""One apply per stack at a time: a lease held in AWS itself.

The lease is one item per (stack, env, region) in a DynamoDB lock table of the account
(`awsprov-locks`, created on first use, PAY_PER_REQUEST, tagged awsprov:purpose=lock), as
Terraform's S3 backend locks with a DynamoDB table. It is taken with a conditional PutItem
(no item, or an expired one), renewed by a heartbeat thread with an UpdateItem conditional on
the holder's token, and deleted at the end under the same condition: no two holders ever
both believe they hold it, and a holder whose lease was broken never deletes its successor's.

A holder killed outright leaves its item behind; it expires TTL_S after its last renewal.
A holder on this very machine whose process is gone is recognised at once (same host id,
pid not alive), so a re-run after kill -9 on one machine need not wait for the expiry.

The lease is infrastructure, not a resource type: it talks to the one service it uses
directly, through the AwsContext's client factory.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from awsprov import errors as errors_base
from awsprov.aws import errors
from awsprov.errors import AwsprovError

if TYPE_CHECKING:
    from awsprov.aws.context import AwsContext

LOCK_TABLE = "awsprov-locks"
PURPOSE_TAG = {"Key": "awsprov:purpose", "Value": "lock"}
TTL_S = 120.0  # a killed holder's lease outlives it by at most this long
HEARTBEAT_S = 20.0  # renewals per TTL: six, so a few lost renewals never let it expire
# A holder killed moments ago may have just made resources that AWS's eventually consistent
# reads do not show yet: a new KMS key is invisible to DescribeKey, ListKeys and its tags
# for "usually less than a few seconds" (KMS developer guide, Eventual consistency), and
# the Tagging API lags too. Its successor, which would look at once and make them again,
# waits this long after taking over, before any read.
KILLED_HOLDER_SETTLE_S = 3.0
POLL_S = 1.0  # how often a waiting apply looks again
TABLE_ACTIVE_TIMEOUT_S = 120.0
# What apply/destroy need on the lock table (iam-policy prints them).
IAM_ACTIONS = ("dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:TagResource",
               "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
               "dynamodb:DeleteItem")

# cost-estimate prints it: the lease is shared by the account's stacks, not one of them.
COST_NOTE = ("apply and destroy hold a lease in the DynamoDB table awsprov-locks (on demand, "
             "shared by every stack of the account and region): about 3 write requests per "
             "apply (take, renew every 20 s, release), under $0.01 a month for 1,000 applies; "
             "not in the total")

Notify = Callable[[str], None]


class LeaseHeld(errors_base.LeaseHeld):
    """Another apply of this stack holds the lease (after --lock-timeout, if any)."""

    def __init__(self, message: str, holder: Holder):
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class LeaseKey:
    stack: str
    env: str | None
    region: str

    @property
    def id(self) -> str:
        return f"{self.stack}#{self.env or ''}#{self.region}"

    def describe(self) -> str:
        env = f"env {self.env}, " if self.env else ""
        return f'stack "{self.stack}" ({env}region {self.region})'

    def unlock_command(self) -> str:
        env = f" --env {self.env}" if self.env else ""
        return f"awsprov --region {self.region} unlock {self.stack}{env}"


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: enough to find them, and to judge whether they are gone."""

    token: str
    who: str
    host: str
    host_id: str
    pid: int
    command: str
    region: str
    endpoint: str
    since: float
    expires_at: float

    def describe(self) -> str:
        return (f"{self.who} on {self.host} (pid {self.pid}, awsprov {self.command}, "
                f"endpoint {self.endpoint}) since {utc(self.since)}")

    def expired(self, now: float) -> bool:
        return self.expires_at < now

    def gone_from_this_host(self) -> bool:
        """Its process is dead and it ran here: same host id (boot and pid namespace), so
        the pid means the same process table; a live or unknown pid is never gone."""
        if not self.host_id or self.host_id != host_id() or self.pid == os.getpid():
            return False
        return not _pid_alive(self.pid)

    def to_item(self, key: LeaseKey) -> dict[str, Any]:
        return {"lease_id": {"S": key.id}, "stack": {"S": key.stack},
                "env": {"S": key.env or ""}, "token": {"S": self.token},
                "who": {"S": self.who}, "host": {"S": self.host},
                "host_id": {"S": self.host_id}, "pid": {"N": str(self.pid)},
                "command": {"S": self.command}, "region": {"S": self.region},
                "endpoint": {"S": self.endpoint}, "since": {"N": repr(self.since)},
                "expires_at": {"N": repr(self.expires_at)}}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Holder:
        def text(name: str) -> str:
            return item.get(name, {}).get("S", "")

        def number(name: str) -> float:
            return float(item.get(name, {}).get("N", "0"))

        return cls(text("token"), text("who"), text("host"), text("host_id"),
                   int(number("pid")), text("command"), text("region"), text("endpoint"),
                   number("since"), number("expires_at"))

    def to_json(self) -> dict[str, Any]:
        return {"who": self.who, "host": self.host, "pid": self.pid,
                "command": self.command, "region": self.region, "endpoint": self.endpoint,
                "since": _utc_iso(self.since), "expires_at": _utc_iso(self.expires_at)}


class Lease:
    """Take, keep alive and give back one stack's lease."""

    def __init__(self, aws: AwsContext, key: LeaseKey, command: str,
                 notify: Notify = lambda _message: None, ttl: float | None = None,
                 heartbeat: float | None = None, poll: float | None = None,
                 clock: Callable[[], float] = time.time):
        self.aws, self.key, self.command, self.notify = aws, key, command, notify
        self.ttl = TTL_S if ttl is None else ttl
        self.heartbeat = HEARTBEAT_S if heartbeat is None else heartbeat
        self.poll = POLL_S if poll is None else poll
        self.clock = clock
        self.settle = KILLED_HOLDER_SETTLE_S
        self.holder: Holder | None = None
        self.lost = False
        self.renewals = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- taking ---------------------------------------------------------------------------

    def acquire(self, timeout: float = 0.0) -> Holder:
        """Hold the lease, waiting up to `timeout` s for another holder; LeaseHeld after."""
        ensure_table(self.aws)
        me = self._new_holder()
        deadline = self.clock() + timeout
        announced = False
        while True:
            taken, current = self._try_take(me)
            if taken is not None:
                self._start_heartbeat()
                if current is not None:  # taken over from a holder killed on this host
                    self._let_its_writes_show()
                return taken
            if current is None:  # released between our write and our read: at once again
                continue
            now = self.clock()
            if now >= deadline:
                raise LeaseHeld(self._held_message(current, timeout), current)
            if not announced:
                self.notify(f"waiting up to {_seconds(timeout)} for the lease of "
                            f"{self.key.describe()}, held by {current.describe()}")
                announced = True
            time.sleep(max(0.0, min(self.poll, deadline - now)))

    def _try_take(self, me: Holder) -> tuple[Holder | None, Holder | None]:
        """(our holder, None) once ours, (our holder, the killed holder) when taken over
        from one; else (None, the holder that kept us out, or None if it left between our
        write and our read)."""
        now = self.clock()
        me = replace(me, since=now, expires_at=now + self.ttl)
        if self._put(me, "attribute_not_exists(lease_id) OR expires_at < :now",
                     {":now": {"N": repr(now)}}):
            return me, None
        current = read(self.aws, self.key)
        if current is not None and current.gone_from_this_host():
            self.notify(f"the lease of {self.key.describe()} was held by pid {current.pid} "
                        f"on this host, which is gone: taking it over")
            if self._put(me, "#token = :old", {":old": {"S": current.token}}):
                return me, current
            return None, read(self.aws, self.key)
        return None, current

    def _let_its_writes_show(self) -> None:
        if self.settle <= 0:
            return
        self.notify(f"waiting {_seconds(self.settle)} for what the killed apply made to "
                    f"show (AWS's reads are eventually consistent), so that none of it is "
                    f"made twice")
        time.sleep(self.settle)

    def _put(self, me: Holder, condition: str, values: dict[str, Any]) -> bool:
        names = {"#token": "token"} if "#token" in condition else {}
        try:
            self._table_client().put_item(
                TableName=LOCK_TABLE, Item=me.to_item(self.key), ConditionExpression=condition,
                ExpressionAttributeValues=values, **({"ExpressionAttributeNames": names}
                                                     if names else {}))
        except Exception as exc:
            if errors.code(exc) == "ConditionalCheckFailedException":
                return False
            raise errors.describe(exc, "taking the apply lease") from None
        self.holder = me
        return True

    def _new_holder(self) -> Holder:
        now = self.clock()
        return Holder(token=uuid.uuid4().hex, who=_caller_arn(self.aws),
                      host=socket.gethostname(), host_id=host_id(), pid=os.getpid(),
                      command=self.command, region=self.aws.region,
                      endpoint=self._table_client().meta.endpoint_url, since=now,
                      expires_at=now + self.ttl)

    def _held_message(self, current: Holder, timeout: float) -> str:
        waited = f" after waiting {_seconds(timeout)}" if timeout > 0 else ""
        return (f"{self.key.describe()} is locked by another apply{waited}: "
                f"{current.describe()}, lease good until {utc(current.expires_at)}; "
                f"retry later, wait with --lock-timeout, or if that apply is gone: "
                f"{self.key.unlock_command()}")

    # ---- keeping --------------------------------------------------------------------------

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="awsprov-lease", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            if not self.renew():
                return

    def renew(self) -> bool:
        """Push the expiry out; False once the lease is no longer ours (it was broken)."""
        holder = self.holder
        if holder is None:
            return False
        renewed = _renewed(holder, self.clock(), self.ttl)
        try:
            self._table_client().update_item(
                TableName=LOCK_TABLE, Key={"lease_id": {"S": self.key.id}},
                UpdateExpression="SET expires_at = :expires",
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues={":expires": {"N": repr(renewed.expires_at)},
                                           ":token": {"S": holder.token}})
        except Exception as exc:
            if errors.code(exc) == "ConditionalCheckFailedException":
                self.lost = True
                self.notify(f"the lease of {self.key.describe()} was broken (awsprov "
                            f"unlock) while this apply held it: another apply may now run")
                return False
            return True  # a lost renewal: the next one, well before expiry, tries again
        self.holder = renewed
        self.renewals += 1
        return True

    # ---- giving back ----------------------------------------------------------------------

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        holder, self.holder = self.holder, None
        if holder is None or self.lost:
            return
        try:
            self._table_client().delete_item(
                TableName=LOCK_TABLE, Key={"lease_id": {"S": self.key.id}},
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues={":token": {"S": holder.token}})
        except Exception as exc:
            if errors.code(exc) == "ConditionalCheckFailedException":
                return  # broken and perhaps taken since: not ours to delete
            self.notify(f"could not release the lease of {self.key.describe()} "
                        f"({errors.describe(exc)}); it expires by {utc(holder.expires_at)}, "
                        f"or break it with: {self.key.unlock_command()}")

    def _table_client(self) -> Any:
        return self.aws.client("dynamodb")


@contextmanager
def hold(aws: AwsContext, key: LeaseKey, command: str, timeout: float = 0.0,
         notify: Notify = lambda _message: None) -> Iterator[Lease]:
    """The lease for the block: released at its end, on failure and on Ctrl-C too."""
    lease = Lease(aws, key, command, notify)
    lease.acquire(timeout)
    try:
        yield lease
    finally:
        lease.release()


# ---- the lock table and its items ---------------------------------------------------------

def ensure_table(aws: AwsContext) -> None:
    """The lock table, created on first use (two first uses at once: one creates, both wait
    for ACTIVE); right after CreateTable, DescribeTable may still answer not-found."""
    client = aws.client("dynamodb")
    status = _table_status(client)
    if status is None:
        try:
            client.create_table(
                TableName=LOCK_TABLE, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "lease_id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "lease_id", "KeyType": "HASH"}],
                Tags=[PURPOSE_TAG])
        except Exception as exc:
            if errors.code(exc) != "ResourceInUseException":
                raise errors.describe(exc, f"creating the lock table {LOCK_TABLE}") from None
    deadline = time.monotonic() + TABLE_ACTIVE_TIMEOUT_S
    while status != "ACTIVE":
        if time.monotonic() > deadline:
            raise AwsprovError(f"the lock table {LOCK_TABLE} is not ACTIVE after "
                               f"{_seconds(TABLE_ACTIVE_TIMEOUT_S)}")
        time.sleep(1.0 if status is not None else 0.2)
        status = _table_status(client)


def _table_status(client: Any) -> str | None:
    try:
        return client.describe_table(TableName=LOCK_TABLE)["Table"]["TableStatus"]
    except Exception as exc:
        if errors.code(exc) == "ResourceNotFoundException":
            return None
        raise errors.describe(exc, f"reading the lock table {LOCK_TABLE}") from None


def read(aws: AwsContext, key: LeaseKey) -> Holder | None:
    """The current holder (a strongly consistent read), or None: no lease, or no table."""
    try:
        item = aws.client("dynamodb").get_item(
            TableName=LOCK_TABLE, Key={"lease_id": {"S": key.id}},
            ConsistentRead=True).get("Item")
    except Exception as exc:
        if errors.code(exc) == "ResourceNotFoundException":
            return None
        raise errors.describe(exc, "reading the apply lease") from None
    return Holder.from_item(item) if item else None


def break_lease(aws: AwsContext, key: LeaseKey, holder: Holder) -> bool:
    """Delete this holder's lease (`awsprov unlock`); False if it is no longer the one held
    (released or taken by someone else since it was shown)."""
    try:
        aws.client("dynamodb").delete_item(
            TableName=LOCK_TABLE, Key={"lease_id": {"S": key.id}},
            ConditionExpression="#token = :token", ExpressionAttributeNames={"#token": "token"},
            ExpressionAttributeValues={":token": {"S": holder.token}})
    except Exception as exc:
        if errors.code(exc) in ("ConditionalCheckFailedException", "ResourceNotFoundException"):
            return False
        raise errors.describe(exc, "breaking the apply lease") from None
    return True


def iam_statement(region: str, account: str) -> dict[str, Any]:
    """What apply, destroy and unlock need on the lock table (iam-policy adds it)."""
    from awsprov.aws.arns import make_arn

    return {"Sid": "AwsprovApplyLease", "Effect": "Allow", "Action": sorted(IAM_ACTIONS),
            "Resource": make_arn("dynamodb", region, account, f"table/{LOCK_TABLE}")}


# ---- helpers ------------------------------------------------------------------------------

def host_id() -> str:
    """This machine's boot and pid namespace (Linux): two containers sharing a host name
    and a kernel still differ; '' where unknown, and then no pid is ever judged gone."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return ""
    return f"{boot}/{namespace}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _caller_arn(aws: AwsContext) -> str:
    try:
        return aws.client("sts").get_caller_identity()["Arn"]
    except Exception as exc:
        raise errors.describe(exc, "checking AWS credentials") from None


def _renewed(holder: Holder, now: float, ttl: float) -> Holder:
    return replace(holder, expires_at=now + ttl)


def utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _utc_iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _seconds(value: float) -> str:
    return f"{value:g}s"
