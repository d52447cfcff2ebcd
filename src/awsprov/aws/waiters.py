"""Waiting for AWS to settle: botocore waiters where they exist, wait_until elsewhere.

While apply runs a resource, its worker thread carries a `Watch` (see `watching`): every
pause between polls then reports a heartbeat through the resource's progress callback
("still creating… [1m10s elapsed]") and stops waiting once Ctrl-C asked the apply to stop.
Types pass nothing for this: they only call the helpers below.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from awsprov.aws import errors
from awsprov.errors import AwsprovError

T = TypeVar("T")


@dataclass(frozen=True)
class WaitPolicy:
    """How often to poll and how long to wait at most; tests shrink the delay."""

    delay: float = 5.0
    timeout: float = 30 * 60
    heartbeat: float = 10.0  # how often a long wait says it is still going (Terraform's 10 s)

    def attempts(self, timeout: float | None = None) -> int:
        return max(1, int((timeout or self.timeout) / max(self.delay, 0.001)))


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


def _pause(policy: WaitPolicy, what: str) -> None:
    watch: Watch | None = getattr(_current, "watch", None)
    if watch is None:
        time.sleep(policy.delay)
    else:
        watch.pause(policy.delay, what)


THROTTLING = ("Throttling", "ThrottlingException", "RequestLimitExceeded",
              "TooManyRequestsException", "ProvisionedThroughputExceededException")


def wait_until(read: Callable[[], T], done: Callable[[T], bool], what: str, policy: WaitPolicy,
               timeout: float | None = None, consecutive: int = 1) -> T:
    """Poll `read` until `done` holds `consecutive` times in a row.

    Consecutive reads guard against AWS reporting the target state for a moment before a
    change starts (DynamoDB reports ACTIVE just after UpdateTable). Throttling inside a
    wait is a reason to poll again, never a success.
    """
    deadline = time.monotonic() + (timeout or policy.timeout)
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
        _pause(policy, what)


def retry_when(call: Callable[[], T], codes: tuple[str, ...], what: str, policy: WaitPolicy,
               timeout: float = 120, messages: tuple[str, ...] = ()) -> T:
    """Retry a call that fails with a named eventual-consistency error, for a bounded time."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except errors.ClientError as exc:
            matches = errors.is_code(exc, *codes) and (
                not messages or any(m in errors.message(exc) for m in messages))
            if not matches or time.monotonic() >= deadline:
                raise
        _pause(policy, what)


def botocore_wait(client: Any, name: str, policy: WaitPolicy, **params: Any) -> None:
    """A botocore waiter, one attempt at a time so that our pause (heartbeat, Ctrl-C) runs
    between attempts; as many attempts as our timeout allows at our delay."""
    from botocore.exceptions import WaiterError

    waiter = client.get_waiter(name)
    attempts = policy.attempts()
    for attempt in range(1, attempts + 1):
        try:
            waiter.wait(**params, WaiterConfig={"Delay": 1, "MaxAttempts": 1})
            return
        except WaiterError as exc:
            still_pending = str(exc.kwargs.get("reason", "")).startswith("Max attempts")
            if not still_pending or attempt == attempts:
                raise
        _pause(policy, f"{name.replace('_', ' ')}")


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
