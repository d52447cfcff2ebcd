"""No-op plan of N tables against in-process moto with latency injected per call.

bench/harness.py sleeps LATENCY seconds before each request reaches moto, so parallel
reads overlap as they would against real AWS. For each N and parallelism the
benchmark reports the median wall time over REPEATS runs, API calls per table, and the
ratio to the lower bound (total calls x latency / parallelism).

    .venv/bin/python bench/plan_scaling.py [--sizes 10,100,300] [--repeats 3]

Figures go to stdout as a Markdown table; docs/performance.md quotes them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from harness import REGION, apply_untimed, latency_context

LATENCY = 0.020
DEFAULT_PARALLELISM = 16


def _spec(n: int) -> str:
    lines = ["stack: bench", f"region: {REGION}", "tables:"]
    for i in range(n):
        lines += [f"  t{i}:", f"    name: bench-table-{i:04d}", "    hash_key: id",
                  "    attributes: {id: S}"]
    return "\n".join(lines) + "\n"


def run(sizes: list[int], repeats: int) -> list[dict]:
    from moto import mock_aws

    from awsprov.engine.planner import PlanOptions, make_plan
    from awsprov.spec.loader import load_stack

    rows = []
    for n in sizes:
        with mock_aws():
            stack = load_stack("bench.yaml", sources={"bench.yaml": _spec(n)})
            apply_untimed(stack, DEFAULT_PARALLELISM)
            for parallelism in (1, DEFAULT_PARALLELISM):
                times, per_table = [], 0.0
                total = 0
                for _ in range(repeats):
                    aws, calls = latency_context(LATENCY)
                    start = time.perf_counter()
                    result = make_plan(stack, aws, PlanOptions(parallelism=parallelism))
                    times.append(time.perf_counter() - start)
                    assert not result.plan.has_changes, "bench plan should be a no-op"
                    total = sum(calls.values())
                    per_table = (total - calls["GetCallerIdentity"] - calls["GetResources"]) / n
                median = statistics.median(times)
                bound = total * LATENCY / parallelism
                rows.append({"n": n, "parallelism": parallelism, "median_s": median,
                             "calls": total, "calls_per_table": per_table,
                             "lower_bound_s": bound, "ratio": median / bound})
                print(f"N={n:4d} p={parallelism:2d}: {median:6.2f}s, {total} calls "
                      f"({per_table:.2f}/table), bound {bound:.2f}s, ratio {median / bound:.2f}",
                      file=sys.stderr)
    return rows


def markdown(rows: list[dict]) -> str:
    out = ["| tables | parallelism | median wall | API calls | calls/table | lower bound | ratio |",
           "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['n']} | {r['parallelism']} | {r['median_s']:.2f} s | {r['calls']} | "
                   f"{r['calls_per_table']:.2f} | {r['lower_bound_s']:.2f} s | "
                   f"{r['ratio']:.2f} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,300")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = run([int(s) for s in args.sizes.split(",")], args.repeats)
    print(markdown(rows))


if __name__ == "__main__":
    main()
