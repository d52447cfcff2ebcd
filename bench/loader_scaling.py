"""`validate` (load, schema, semantic checks; no AWS) of specs of N resources.

The spec mixes every section so that each type's checks run: per resource, one of a
table, a queue, a topic, a log group, an alarm on the queue, and a key. The benchmark
reports the median wall time over REPEATS loads, in process, with the machine's load
average beside it (the machine is shared).

    .venv/bin/python bench/loader_scaling.py [--sizes 500,2000,5000] [--repeats 3]

Figures go to stdout as a Markdown table; docs/performance.md quotes them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REGION = "us-east-1"


def spec_text(n: int) -> str:
    """n resources, a sixth of each kind, alarms referring to queues."""
    lines = ["stack: bench", f"region: {REGION}", "tags: {Team: bench}"]
    per = max(1, n // 6)
    lines.append("tables:")
    lines += [f"  t{i}: {{name: bench-t{i}, hash_key: id, attributes: {{id: S}}}}"
              for i in range(per)]
    lines.append("queues:")
    lines += [f"  q{i}: {{name: bench-q{i}, visibility_timeout: 60}}" for i in range(per)]
    lines.append("topics:")
    lines += [f"  s{i}: {{name: bench-s{i}}}" for i in range(per)]
    lines.append("log_groups:")
    lines += [f"  l{i}: {{name: /bench/l{i}, retention_days: 30}}" for i in range(per)]
    lines.append("keys:")
    lines += [f"  k{i}: {{alias: alias/bench-k{i}}}" for i in range(per)]
    lines.append("alarms:")
    rest = n - 5 * per
    lines += [f"  a{i}: {{name: bench-a{i}, namespace: AWS/SQS, "
              f"metric: ApproximateNumberOfMessagesVisible, "
              f"dimensions: {{QueueName: '${{queues.q{i % per}.name}}'}}, threshold: 1, "
              f"actions: ['${{topics.s{i % per}}}']}}" for i in range(rest)]
    return "\n".join(lines) + "\n"


def time_load(n: int, repeats: int) -> list[float]:
    from awsprov.spec.loader import load_stack

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"bench-{n}.yaml"
        path.write_text(spec_text(n))
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            stack = load_stack(path)
            times.append(time.perf_counter() - start)
            assert len(stack.resources) == n, len(stack.resources)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="500,2000,5000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"load average before: {os.getloadavg()[0]:.2f} (python {sys.version.split()[0]})")
    print("| resources | median s | min s | max s | ms per resource |")
    print("|---:|---:|---:|---:|---:|")
    for n in sizes:
        times = time_load(n, args.repeats)
        median = statistics.median(times)
        print(f"| {n} | {median:.2f} | {min(times):.2f} | {max(times):.2f} | "
              f"{1000 * median / n:.2f} |", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
