"""Waiting for AWS to settle: botocore waiters where they exist, wait_until elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from awsprov.aws import errors
from awsprov.errors import AwsprovError

T = TypeVar("T")


@dataclass(frozen=True)
class WaitPolicy:
    """How often to poll and how long to wait at most; tests shrink the delay."""

    delay: float = 5.0
    timeout: float = 30 * 60

    def attempts(self, timeout: float | None = None) -> int:
        return max(1, int((timeout or self.timeout) / max(self.delay, 0.001)))


class WaitTimeout(AwsprovError):
    pass


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
        time.sleep(policy.delay)


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
        time.sleep(policy.delay)


def botocore_wait(client: Any, name: str, policy: WaitPolicy, **params: Any) -> None:
    """A botocore waiter with our delay and a max-attempts derived from our timeout."""
    waiter = client.get_waiter(name)
    delay = max(1, round(policy.delay)) if policy.delay >= 1 else policy.delay
    waiter.config.delay = delay
    waiter.wait(**params, WaiterConfig={"Delay": delay, "MaxAttempts": policy.attempts()})
