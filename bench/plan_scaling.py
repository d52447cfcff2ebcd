"""No-op plan of N tables against in-process moto with latency injected per call.

A botocore `before-send` hook sleeps LATENCY seconds before each request reaches moto, so
parallel reads overlap as they would against real AWS. For each N and parallelism the
benchmark reports the median wall time over REPEATS runs, API calls per table, and the
ratio to the lower bound (total calls x latency / parallelism). It also reports the
process CPU time per call (botocore, and moto in-process, both under the GIL): the lower
bound ignores it, so it is what separates a run from its bound.

    .venv/bin/python bench/plan_scaling.py [--sizes 10,100,300] [--repeats 3]
                                           [--parallelism 1,16]

Figures go to stdout as a Markdown table; docs/performance.md quotes them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from harness import REGION, apply_untimed, latency_context

from awsprov.core.run import DEFAULT_PARALLELISM

LATENCY = 0.020


def _spec(n: int) -> str:
    lines = ["stack: bench", f"region: {REGION}", "tables:"]
    for i in range(n):
        lines += [f"  t{i}:", f"    name: bench-table-{i:04d}", "    hash_key: id",
                  "    attributes: {id: S}"]
    return "\n".join(lines) + "\n"


def run(sizes: list[int], repeats: int,
        parallelisms: tuple[int, ...] = (1, DEFAULT_PARALLELISM)) -> list[dict]:
    from moto import mock_aws

    from awsprov.core.run import RunOptions
    from awsprov.engine.planner import make_plan
    from awsprov.spec.loader import load_stack

    rows = []
    for n in sizes:
        with mock_aws():
            stack = load_stack("bench.yaml", sources={"bench.yaml": _spec(n)})
            apply_untimed(stack, DEFAULT_PARALLELISM)
            for parallelism in parallelisms:
                times, cpus, per_table = [], [], 0.0
                total = 0
                for _ in range(repeats):
                    aws, calls = latency_context(LATENCY)
                    start, cpu = time.perf_counter(), time.process_time()
                    result = make_plan(stack, aws, RunOptions(parallelism=parallelism))
                    times.append(time.perf_counter() - start)
                    cpus.append(time.process_time() - cpu)
                    assert not result.plan.has_changes, "bench plan should be a no-op"
                    total = sum(calls.values())
                    per_table = (total - calls["GetCallerIdentity"] - calls["GetResources"]) / n
                median = statistics.median(times)
                bound = total * LATENCY / parallelism
                cpu_ms = statistics.median(cpus) / total * 1000
                rows.append({"n": n, "parallelism": parallelism, "median_s": median,
                             "calls": total, "calls_per_table": per_table,
                             "lower_bound_s": bound, "ratio": median / bound,
                             "cpu_ms_per_call": cpu_ms, "min_s": min(times)})
                print(f"N={n:4d} p={parallelism:2d}: {median:6.2f}s (min {min(times):.2f}), "
                      f"{total} calls ({per_table:.2f}/table), bound {bound:.2f}s, ratio "
                      f"{median / bound:.2f}, CPU {cpu_ms:.2f} ms/call", file=sys.stderr)
    return rows


def markdown(rows: list[dict]) -> str:
    out = ["| tables | parallelism | median wall | API calls | calls/table | lower bound | ratio "
           "| CPU/call |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['n']} | {r['parallelism']} | {r['median_s']:.2f} s | {r['calls']} | "
                   f"{r['calls_per_table']:.2f} | {r['lower_bound_s']:.2f} s | "
                   f"{r['ratio']:.2f} | {r['cpu_ms_per_call']:.2f} ms |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,300")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parallelism", default=f"1,{DEFAULT_PARALLELISM}")
    args = parser.parse_args()
    rows = run([int(s) for s in args.sizes.split(",")], args.repeats,
               tuple(int(p) for p in args.parallelism.split(",")))
    print(markdown(rows))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
