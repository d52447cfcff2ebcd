"""Reads of one resource that need only its name or id run at once, not one after the
other (a no-op plan's wall time is its longest chain of round trips).

One pool per run, reached through its AwsContext and shut down with it, sized from the
run's --parallelism: the run's reads, each waiting on its sub-reads, never outnumber it.
Its tasks are single API calls that never wait on the pool themselves, so readers waiting
on them cannot deadlock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from awsprov.core.run import DEFAULT_PARALLELISM


class SubReadPool:
    """Threads start with the first sub-read, so a run that makes none starts none."""

    def __init__(self, workers: int = DEFAULT_PARALLELISM):
        self.workers = max(1, workers)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def start(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Run `call` beside the caller; `.result()` returns its value or raises its error."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the run's sub-read pool is shut down")
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers,
                                                thread_name_prefix="sub-read")
            return self._pool.submit(call, *args, **kwargs)

    def shutdown(self) -> None:
        """At the end of the run. Never waits: after a Ctrl-C, reads still in flight must
        not hold the process (their results have no reader any more)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
