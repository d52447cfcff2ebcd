"""No-op plan of fully configured buckets, with latency injected per call.

Latency is injected per request by bench/harness.py (as for bench/plan_scaling.py), so
concurrent calls overlap as they would against real S3. Reported:

1. one bucket's read (HeadBucket, then ten sub-reads) with the sub-reads concurrent, and
   with them forced serial (a one-thread pool), against the slowest single call and the
   sum of all calls;
2. a whole no-op `plan` of 1, 10 and 50 such buckets (planner parallelism 16), with
   API calls per bucket.

    .venv/bin/python bench/bucket_plan.py [--repeats 5] [--latency 0.05]

Figures go to stdout as Markdown; docs/performance.md ("Buckets") quotes them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from harness import REGION, apply_untimed, latency_context, median_time

from awsprov.core.run import DEFAULT_PARALLELISM

PARALLELISM = DEFAULT_PARALLELISM
SUB_READS = 10


def _bucket(i: int) -> list[str]:
    name = f"bench-bucket-{i:03d}"
    return [
        f"  b{i}:",
        f"    name: {name}",
        "    versioning: true",
        "    encryption: {sse: aws:kms, bucket_key: true}",
        "    ownership: BucketOwnerPreferred",
        "    policy:",
        "      Statement:",
        "        - {Sid: Read, Effect: Allow, Principal: {AWS: '123456789012'},",
        f"           Action: 's3:GetObject', Resource: 'arn:aws:s3:::{name}/*'}}",
        "    lifecycle:",
        "      - {id: tmp, prefix: tmp/, expiration_days: 7}",
        "      - {id: old, transitions: [{days: 90, storage_class: GLACIER}]}",
        "    cors:",
        "      - {allowed_origins: ['https://app.example.com'], allowed_methods: [GET]}",
        "    logging: {target_bucket: '${buckets.logs.name}', prefix: " + name + "/}",
        "    tags: {Team: bench}",
    ]


def _spec(n: int) -> str:
    lines = ["stack: bench", f"region: {REGION}", "buckets:",
             "  logs:", "    name: bench-logs-target", "    policy:", "      Statement:",
             "        - {Sid: Delivery, Effect: Allow, Principal: {Service: "
             "logging.s3.amazonaws.com},",
             "           Action: 's3:PutObject', Resource: 'arn:aws:s3:::bench-logs-target/*'}"]
    for i in range(n):
        lines += _bucket(i)
    return "\n".join(lines) + "\n"


def run(sizes: list[int], repeats: int, latency: float) -> tuple[list[dict], list[dict]]:
    from moto import mock_aws

    from awsprov.aws.sub_reads import SubReadPool
    from awsprov.core.run import RunOptions
    from awsprov.engine.planner import make_plan
    from awsprov.resources import registry
    from awsprov.spec.loader import load_stack

    buckets = registry.get("buckets")
    read_rows, plan_rows = [], []
    with mock_aws():
        stack = load_stack("bench.yaml", sources={"bench.yaml": _spec(max(sizes))})
        report = apply_untimed(stack, PARALLELISM)
        assert not report.failures, report.failures
        aws, calls = latency_context(latency)
        aws.account_id  # noqa: B018 - STS outside the timings
        for mode, workers in (("concurrent", DEFAULT_PARALLELISM), ("serial", 1)):
            aws.sub_reads = SubReadPool(workers)
            calls.clear()
            median = median_time(lambda: buckets.read(aws, "bench-bucket-000"), repeats)
            per_read = sum(calls.values()) / repeats
            read_rows.append({"mode": mode, "median_s": median, "calls": per_read,
                              "slowest_call_s": latency, "sum_s": per_read * latency})
            print(f"read {mode}: {median:.3f}s for {per_read:.0f} calls", file=sys.stderr)
        for n in sizes:
            subset = load_stack("bench.yaml", sources={"bench.yaml": _spec(n)})
            times, total, per_bucket = [], 0, 0.0
            for _ in range(repeats):
                ctx, counted = latency_context(latency)
                start = time.perf_counter()
                result = make_plan(subset, ctx, RunOptions(parallelism=PARALLELISM,
                                                            find_orphans=False))
                times.append(time.perf_counter() - start)
                assert not result.plan.has_changes, "bench plan should be a no-op"
                total = sum(counted.values())
                per_bucket = (total - counted["GetCallerIdentity"]) / (n + 1)
            median = statistics.median(times)
            plan_rows.append({"n": n + 1, "median_s": median, "calls": total,
                              "per_bucket": per_bucket, "serial_s": total * latency})
            print(f"plan {n + 1} buckets: {median:.2f}s, {total} calls", file=sys.stderr)
    return read_rows, plan_rows


def markdown(read_rows: list[dict], plan_rows: list[dict], latency: float) -> str:
    ms = latency * 1000
    out = [f"One fully configured bucket's read, {ms:.0f} ms injected per call:", "",
           "| sub-reads | median wall | API calls | slowest single call | sum of calls |",
           "|---|---:|---:|---:|---:|"]
    for r in read_rows:
        out.append(f"| {r['mode']} | {r['median_s'] * 1000:.0f} ms | {r['calls']:.0f} | "
                   f"{r['slowest_call_s'] * 1000:.0f} ms | {r['sum_s'] * 1000:.0f} ms |")
    out += ["", f"No-op `plan` (parallelism {PARALLELISM}, orphan search off), {ms:.0f} ms "
                f"per call:", "",
            "| buckets | median wall | API calls | calls/bucket | all calls one by one |",
            "|---:|---:|---:|---:|---:|"]
    for r in plan_rows:
        out.append(f"| {r['n']} | {r['median_s']:.2f} s | {r['calls']} | "
                   f"{r['per_bucket']:.1f} | {r['serial_s']:.2f} s |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,50",
                        help="fully configured buckets (each plan adds their log target)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    rows = run([int(s) for s in args.sizes.split(",")], args.repeats, args.latency)
    print(markdown(*rows, args.latency))


if __name__ == "__main__":
    main()
