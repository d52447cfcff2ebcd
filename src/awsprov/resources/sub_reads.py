"""Reads of one resource that need only its name or id run at once, not one after the
other (a no-op plan's wall time is its longest chain of round trips).

One pool for the process, shared by every type that uses it: its tasks are single API
calls that never wait on the pool themselves, so readers waiting on them cannot deadlock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

WORKERS = 16

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="sub-read")
        return _pool


def start(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """Run `call` beside the caller; `.result()` returns its value or raises its error."""
    return _shared_pool().submit(call, *args, **kwargs)
