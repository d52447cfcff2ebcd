"""What every benchmark shares: fake credentials and no endpoint (in-process moto only),
an AwsContext whose every request waits a fixed latency first, and a median timer.

A botocore `before-send` hook sleeps LATENCY seconds before each request reaches the
in-process emulator, so concurrent calls overlap as they would against real AWS.
Imported first by each bench script (it sets the environment botocore reads).
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from collections.abc import Callable

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
for _key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
    os.environ.pop(_key)

REGION = "us-east-1"


def latency_context(latency: float, region: str = REGION):
    """(AwsContext, calls): every request sleeps `latency` s before it is sent; `calls`
    counts the operations made, by name."""
    from awsprov.aws.context import AwsContext
    from awsprov.aws.session import ClientFactory, Target
    from awsprov.aws.waiters import WaitPolicy

    factory = ClientFactory(Target(region), max_pool_connections=64)
    calls: Counter = Counter()

    def count(model=None, **_):
        if model is not None:
            calls[model.name] += 1

    def sleep(**_):
        time.sleep(latency)

    factory.on("before-call", count)
    factory.on("before-send", sleep)
    return AwsContext(factory, region, wait=WaitPolicy(delay=0.01, timeout=60)), calls


def apply_untimed(stack, parallelism: int):
    """Create the stack to benchmark against, with no latency; returns the apply report."""
    from awsprov.core.run import RunOptions
    from awsprov.engine.executor import apply_plan
    from awsprov.engine.planner import make_plan

    setup, _ = latency_context(0.0)
    return apply_plan(stack, make_plan(stack, setup, RunOptions()), setup,
                      RunOptions(parallelism=parallelism))


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
