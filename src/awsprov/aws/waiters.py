"""Waiting for AWS to settle: botocore waiters where they exist, wait_until elsewhere.

While apply runs a resource, its worker thread carries a `Watch` (see `watching`): every
pause between polls then reports a heartbeat through the resource's progress callback
("still creating… [1m10s elapsed]") and stops waiting once Ctrl-C asked the apply to stop.
Types pass nothing for this: they only call the helpers below.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from awsprov.aws import errors
from awsprov.errors import AwsprovError

T = TypeVar("T")


# ---- the numbers: every pause a wait takes comes from here --------------------------------

# The first pause of a wait; each pause after it doubles, up to the policy's delay. AWS's
# own guidance for calls that must be repeated is exponential backoff from tens of
# milliseconds ("up to 50 milliseconds before the first retry, up to 100 milliseconds
# before the second, up to 200 milliseconds before the third", DynamoDB developer guide,
# Error retries and exponential backoff). A state poll starts at 0.25 s: a change AWS
# finishes within a second costs three reads, a long one settles at one read per `delay`.
FIRST_POLL_S = 0.25
BACKOFF_FACTOR = 2.0


@dataclass(frozen=True)
class Confirmation:
    """Agreeing reads in a row that a wait needs before it believes a state, the pause
    before each confirming read, and AWS's reason for both."""

    reads: int
    interval: float  # seconds; capped by the policy's delay (tests shrink it)
    reason: str


# The one table of confirming reads. A wait needs a second read where an earlier state
# can be mistaken for done (a replica not yet told of the write answers with the old
# value); none where it cannot (DynamoDB after CreateTable: there is no earlier ACTIVE).
# A confirming read only has to reach another replica, so it comes soon after the first.
CONFIRMATIONS: dict[str, Confirmation] = {
    "s3.lifecycle": Confirmation(
        2, 1.0,
        "after PutBucketLifecycleConfiguration \"there is usually some lag before a new or "
        "updated Lifecycle configuration is fully propagated to all the Amazon S3 systems\" "
        "(S3 user guide, Setting lifecycle configuration): a GET can answer the old rules "
        "after one answered the new; Terraform waits for the same (lifecycle rules steady). "
        "AWS names no interval between reads: the second read comes 1 s after the first"),
    "sqs.attributes": Confirmation(
        2, 1.0,
        "a queue's attributes \"can take up to 60 seconds\" to propagate (SQS API "
        "reference, SetQueueAttributes), and \"you must wait at least one second after "
        "the queue is created to be able to use it\" (CreateQueue): the confirming read "
        "comes that one second after the first matching one"),
    "sqs.gone": Confirmation(
        3, 2.0,
        "after DeleteQueue the queue \"might continue to receive messages ... up to 60 "
        "seconds\" and GetQueueUrl keeps answering meanwhile (SQS API reference, "
        "DeleteQueue): a not-found is believed after three, 2 s apart"),
    "dynamodb.active_after_update": Confirmation(
        2, 1.0,
        "right after UpdateTable, DescribeTable can still answer ACTIVE before the change "
        "starts (the update is asynchronous: UpdateTable, DynamoDB API reference): an "
        "ACTIVE first read is confirmed by a second 1 s later; once UPDATING was seen, the "
        "first ACTIVE is the real one"),
    "dynamodb.active_after_create": Confirmation(
        1, 0.0,
        "a table just created has no earlier ACTIVE state: until CreateTable took effect "
        "DescribeTable answers ResourceNotFoundException or CREATING (DescribeTable, "
        "CreateTable, DynamoDB API reference), so its first ACTIVE is the real one"),
}


@dataclass(frozen=True)
class WaitPolicy:
    """How long to pause between polls at most (`delay`, the cap of the backoff from
    FIRST_POLL_S) and how long to wait at all; tests shrink the delay."""

    delay: float = 5.0
    timeout: float = 30 * 60
    heartbeat: float = 10.0  # how often a long wait says it is still going (Terraform's 10 s)
    first: float = FIRST_POLL_S

    def pauses(self) -> Iterator[float]:
        """Exponential backoff: `first`, doubled each time, never more than `delay`."""
        pause = min(self.first, self.delay)
        while True:
            yield pause
            pause = min(self.delay, pause * BACKOFF_FACTOR)

    def confirming(self, confirmation: Confirmation) -> float:
        return min(confirmation.interval, self.delay)


class WaitTimeout(AwsprovError):
    pass


class WaitAbandoned(AwsprovError):
    """Apply was asked to stop (Ctrl-C) while this wait was still pending."""


@dataclass
class Watch:
    """The resource a worker thread is applying: where heartbeats go, and the stop flag."""

    progress: Callable[[str], None]
    doing: str  # "creating", "deleting", ...
    stop: threading.Event = field(default_factory=threading.Event)
    interval: float = 10.0
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=-1.0)

    def __post_init__(self) -> None:
        if self.started < 0:
            self.started = self.clock()
        self._last_beat = self.started

    def check(self, what: str) -> None:
        if self.stop.is_set():
            raise WaitAbandoned(f"interrupted while waiting for {what}")

    def pause(self, seconds: float, what: str) -> None:
        self.check(what)
        if self.stop.wait(seconds):  # wakes at once on Ctrl-C
            self.check(what)
        self.beat(what)

    def beat(self, what: str) -> None:
        now = self.clock()
        if now - self._last_beat < self.interval:
            return
        self._last_beat = now
        self.progress(f"still {self.doing}… [{elapsed_text(now - self.started)} elapsed] "
                      f"(waiting for {what})")


def elapsed_text(seconds: float) -> str:
    """Terraform's form: 10s, 1m10s, 1h2m0s."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


_current = threading.local()


@contextmanager
def watching(watch: Watch) -> Iterator[Watch]:
    """Run the waits of this thread under `watch` (the executor sets it per resource)."""
    previous = getattr(_current, "watch", None)
    _current.watch = watch
    try:
        yield watch
    finally:
        _current.watch = previous


def _pause_for(policy: WaitPolicy, seconds: float, what: str) -> None:
    _pause(dataclasses.replace(policy, delay=seconds), what)


def _pause(policy: WaitPolicy, what: str) -> None:
    watch: Watch | None = getattr(_current, "watch", None)
    if watch is None:
        time.sleep(policy.delay)
    else:
        watch.pause(policy.delay, what)


THROTTLING = ("Throttling", "ThrottlingException", "RequestLimitExceeded",
              "TooManyRequestsException", "ProvisionedThroughputExceededException")


def wait_until(read: Callable[[], T], done: Callable[[T], bool], what: str, policy: WaitPolicy,
               timeout: float | None = None, consecutive: int = 1,
               confirm: str | None = None) -> T:
    """Poll `read`, backing off (WaitPolicy.pauses), until `done` holds `consecutive` times
    in a row, or as many as CONFIRMATIONS[confirm] says, at its interval.

    Consecutive reads guard against AWS reporting the target state for a moment before a
    change starts (DynamoDB reports ACTIVE just after UpdateTable). A confirming read
    without a named confirmation comes the policy's full delay after the one it confirms.
    Throttling inside a wait is a reason to poll again, never a success.
    """
    confirmation = CONFIRMATIONS[confirm] if confirm else None
    if confirmation is not None:
        consecutive = confirmation.reads
    confirm_pause = policy.confirming(confirmation) if confirmation else policy.delay
    deadline = time.monotonic() + (timeout or policy.timeout)
    pauses = policy.pauses()
    streak = 0
    while True:
        try:
            value = read()
        except errors.ClientError as exc:
            if not errors.is_code(exc, *THROTTLING):
                raise
            streak = 0
        else:
            streak = streak + 1 if done(value) else 0
            if streak >= consecutive:
                return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out waiting for {what}")
        _pause_for(policy, confirm_pause if streak else next(pauses), what)


def confirm_pause(confirm: str, policy: WaitPolicy, what: str) -> None:
    """The pause before a confirming read a type makes itself (CONFIRMATIONS[confirm])."""
    _pause_for(policy, policy.confirming(CONFIRMATIONS[confirm]), what)


def retry_when(call: Callable[[], T], codes: tuple[str, ...], what: str, policy: WaitPolicy,
               timeout: float = 120, messages: tuple[str, ...] = ()) -> T:
    """Retry a call that fails with a named eventual-consistency error, for a bounded time,
    backing off as a poll does (WaitPolicy.pauses)."""
    deadline = time.monotonic() + timeout
    pauses = policy.pauses()
    while True:
        try:
            return call()
        except errors.ClientError as exc:
            matches = errors.is_code(exc, *codes) and (
                not messages or any(m in errors.message(exc) for m in messages))
            if not matches or time.monotonic() >= deadline:
                raise
        _pause_for(policy, next(pauses), what)


def botocore_wait(client: Any, name: str, policy: WaitPolicy, **params: Any) -> None:
    """A botocore waiter, one attempt at a time so that our pause (heartbeat, Ctrl-C,
    backoff) runs between attempts; as many attempts as our timeout allows."""
    from botocore.exceptions import WaiterError

    waiter = client.get_waiter(name)
    deadline = time.monotonic() + policy.timeout
    pauses = policy.pauses()
    while True:
        try:
            waiter.wait(**params, WaiterConfig={"Delay": 1, "MaxAttempts": 1})
            return
        except WaiterError as exc:
            still_pending = str(exc.kwargs.get("reason", "")).startswith("Max attempts")
            if not still_pending or time.monotonic() >= deadline:
                raise
        _pause_for(policy, next(pauses), f"{name.replace('_', ' ')}")


def retry_with_backoff(call: Callable[[], T], codes: tuple[str, ...], what: str,
                       policy: WaitPolicy, timeout: float, cap: float = 60.0) -> T:
    """Retry a call AWS refuses for a limit that clears with time, waiting longer each
    time (the policy's delay doubled per attempt, up to `cap`, with jitter so that
    threads refused together do not come back together), for `timeout` seconds at most."""
    import random

    deadline = time.monotonic() + timeout
    pause = policy.delay
    while True:
        try:
            return call()
        except errors.ClientError as exc:
            if not errors.is_code(exc, *codes) or time.monotonic() >= deadline:
                raise
        _pause(WaitPolicy(delay=pause * random.uniform(0.5, 1.0), timeout=policy.timeout,
                          heartbeat=policy.heartbeat), what)
        pause = min(cap, pause * 2)


# ---- reads after writes ------------------------------------------------------------------

@dataclass(frozen=True)
class Visibility:
    """How long a just-written resource may answer not-found, and AWS's reason."""

    codes: tuple[str, ...]
    timeout: float  # seconds; past it the not-found is real
    reason: str


# The one table of read-after-write windows (docs/consistency.md explains each).
VISIBILITY: dict[str, Visibility] = {
    "dynamodb.table": Visibility(
        ("ResourceNotFoundException",), 60,
        "DescribeTable right after CreateTable might return ResourceNotFoundException: it "
        "is an eventually consistent query (DynamoDB API reference, DescribeTable)"),
    "sqs.queue": Visibility(
        ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"), 60,
        "you must wait at least one second after the queue is created to be able to use "
        "it (SQS API reference, CreateQueue)"),
    "kms.key": Visibility(
        ("NotFoundException",), 300,
        "KMS is eventually consistent: usually less than a few seconds, in some cases "
        "several minutes (KMS developer guide, Eventual consistency)"),
    "s3.bucket": Visibility(
        ("NoSuchBucket",), 120,
        "bucket configurations are eventually consistent (S3 user guide, data consistency "
        "model); Terraform retries bucket writes on NoSuchBucket for 2 minutes"),
    # A resource read back by the executor right after its create or update: the longest
    # window above, for types whose own read has none of its own.
    "any": Visibility((), 300, "the longest documented window (KMS: several minutes)"),
}


def visible(kind: str, call: Callable[[], T], what: str, policy: WaitPolicy) -> T:
    """`call`, retried while AWS still answers not-found for a resource just written,
    for at most that type's documented window (VISIBILITY)."""
    window = VISIBILITY[kind]
    return retry_when(call, window.codes, what, policy, timeout=window.timeout)
