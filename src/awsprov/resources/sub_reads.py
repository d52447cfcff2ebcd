"""Transitional: the sub-read pool is the run's (`aws.sub_reads`, aws/sub_reads.py).

This module pool serves only the callers not yet moved to `aws.sub_reads.start(...)`
(s3_bucket.py, secret.py: their files are being rewritten); it goes once they are.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from awsprov.aws.sub_reads import SubReadPool

_pool = SubReadPool()


def start(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
    """Run `call` beside the caller; `.result()` returns its value or raises its error."""
    return _pool.start(call, *args, **kwargs)
