"""No-op plan of each seed stack (and two synthetic ones), with latency injected per call.

Latency is injected per request by bench/harness.py (20 ms by default), so concurrent
calls overlap as they would against real AWS. For each stack, at parallelism 1 and the
default 16, reported: resources, median wall time over REPEATS runs, API calls, calls per
resource by section, the lower bound (calls x latency / parallelism, and the critical
path: the longest chain of calls that must follow one another), and the ratio to it.

Calls are attributed to a section by the client's service (kms -> keys, s3 -> buckets,
...; cloudwatch by operation: *Dashboard* -> dashboards, the rest -> alarms); STS and the
Resource Groups Tagging API are per stack. Then one `apply` of vaultlink prod from empty
(wall time, write calls per type) and the second apply (must make zero writes).

    .venv/bin/python bench/stack_plan.py [--repeats 5] [--latency 0.02] [--only NAME,...]

Figures go to stdout as Markdown; docs/performance.md ("Whole stacks") quotes them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from harness import REGION, apply_untimed

from awsprov.core.run import DEFAULT_PARALLELISM

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.test_examples.EXAMPLE_ENV: the seeds' secret values

SECTION_OF_SERVICE = {"kms": "keys", "dynamodb": "tables", "s3": "buckets",
                      "secretsmanager": "secrets", "sns": "topics", "sqs": "queues",
                      "logs": "log_groups", "sts": "(stack)", "resourcegroupstaggingapi":
                      "(stack)"}
SEEDS = [("p2p-automation", "specs/p2p-automation.yaml", None),
         ("auditflow", "specs/auditflow.yaml", None),
         ("threat-engine", "specs/threat-engine.yaml", None),
         ("chatbot prod", "specs/chatbot", "prod"),
         ("vaultlink prod", "specs/vaultlink", "prod")]
WRITE_PREFIXES = ("Create", "Put", "Update", "Delete", "Tag", "Untag", "Set", "Enable",
                  "Disable", "Schedule", "Cancel", "Restore", "Subscribe", "Unsubscribe",
                  "Add", "Remove", "Modify", "Rotate", "Associate", "Disassociate",
                  "Change", "Start", "Stop", "Publish", "Send", "Replicate")


def section_of(service: str, operation: str) -> str:
    if service == "cloudwatch":
        return "dashboards" if "Dashboard" in operation else "alarms"
    return SECTION_OF_SERVICE.get(service, service)


def is_write(operation: str) -> bool:
    return operation.startswith(WRITE_PREFIXES)


def _alarms_spec(n: int) -> str:
    lines = ["stack: bench-alarms", f"region: {REGION}", "alarms:"]
    for i in range(n):
        lines += [f"  a{i}:", f"    name: bench-alarm-{i:04d}", "    namespace: AWS/SQS",
                  "    metric: ApproximateAgeOfOldestMessage",
                  f"    dimensions: {{QueueName: q{i}}}", "    statistic: Maximum",
                  "    period: 300", "    threshold: 3600", "    comparison: '>'"]
    return "\n".join(lines) + "\n"


def _secrets_spec(n: int) -> str:
    lines = ["stack: bench-secrets", f"region: {REGION}", "secrets:"]
    for i in range(n):
        lines += [f"  s{i}:", f"    name: bench/secret-{i:03d}",
                  f"    description: bench secret {i}"]
    return "\n".join(lines) + "\n"


def stacks(only: set[str] | None):
    from awsprov.spec.loader import load_stack

    for label, path, env in SEEDS:
        if not only or label.split()[0] in only:
            yield label, lambda p=path, e=env: load_stack(ROOT / p, env=e)
    if not only or "alarms" in only:
        yield "150 alarms", lambda: load_stack("a.yaml", sources={"a.yaml": _alarms_spec(150)})
    if not only or "secrets" in only:
        yield "50 secrets", lambda: load_stack("s.yaml",
                                               sources={"s.yaml": _secrets_spec(50)})


def measure_plan(stack, parallelism: int, repeats: int, latency: float) -> dict:
    from awsprov.core.run import RunOptions
    from awsprov.engine.planner import make_plan

    times, counted = [], Counter()
    for _ in range(repeats):
        aws, calls = traced_context(latency)
        start = time.perf_counter()
        result = make_plan(stack, aws, RunOptions(parallelism=parallelism))
        times.append(time.perf_counter() - start)
        assert not result.plan.has_changes, [c.address for c in result.plan.changes
                                             if c.is_change]
        counted = calls
    return {"median_s": statistics.median(times), "min_s": min(times), "calls": counted}


def traced_context(latency: float):
    """latency_context, counting calls by (service, operation) instead of by operation."""
    from awsprov.aws.context import AwsContext
    from awsprov.aws.session import ClientFactory, Target
    from awsprov.aws.waiters import WaitPolicy

    factory = ClientFactory(Target(REGION), max_pool_connections=64)
    calls: Counter = Counter()

    def count(model=None, **_):
        if model is not None:
            calls[(model.service_model.service_name, model.name)] += 1

    def sleep(**_):
        time.sleep(latency)

    factory.on("before-call", count)
    factory.on("before-send", sleep)
    return AwsContext(factory, REGION, wait=WaitPolicy(delay=0.01, timeout=60)), calls


def by_section(calls: Counter) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for (service, operation), n in calls.items():
        out.setdefault(section_of(service, operation), Counter())[operation] += n
    return out


def resource_counts(stack) -> Counter:
    return Counter(spec.section for spec in stack.resources.values())


def critical_path(stack) -> int:
    """Round trips that must follow one another: a plan at unlimited parallelism with a
    latency large against the CPU per call (0.2 s), its wall time less that of the same
    plan without latency, in whole latencies."""
    slow = 0.2
    cpu = measure_plan(stack, 10_000, 3, 0.0)["min_s"]  # the same plan, latency aside
    wall = measure_plan(stack, 10_000, 1, slow)["median_s"]
    return round((wall - cpu) / slow)


def fresh_process() -> None:
    """Types as a new `awsprov plan` process has them: what the untimed apply remembered
    (alarms re-read the tags they wrote themselves, for read-your-writes) is forgotten."""
    from awsprov.resources import registry

    types = registry.all_types()
    for section, rtype in list(types.items()):
        types[section] = type(rtype)()


def run_plans(only, repeats: int, latency: float) -> list[dict]:
    from moto import mock_aws

    rows = []
    for label, load in stacks(only):
        with mock_aws():
            stack = load()
            report = apply_untimed(stack, DEFAULT_PARALLELISM)
            assert not report.failures, report.failures
            fresh_process()
            rounds = critical_path(stack)
            for parallelism in (1, DEFAULT_PARALLELISM):
                m = measure_plan(stack, parallelism, repeats, latency)
                total = sum(m["calls"].values())
                bound = total * latency / parallelism
                if parallelism > 1:
                    bound = max(bound, rounds * latency)
                row = {"stack": label, "resources": len(stack.resources), "rounds": rounds,
                       "types": resource_counts(stack), "parallelism": parallelism,
                       "total": total, "bound_s": bound, "sections": by_section(m["calls"]),
                       **m}
                row["ratio"] = m["median_s"] / bound
                rows.append(row)
                print(f"{label:16s} p={parallelism:2d}: {m['median_s']:.2f}s "
                      f"(min {m['min_s']:.2f}), {total} calls, bound {bound:.2f}s, ratio "
                      f"{row['ratio']:.2f}", file=sys.stderr)
    return rows


def run_apply(latency: float) -> list[dict]:
    """vaultlink prod from empty, then again (zero writes expected)."""
    from moto import mock_aws

    from awsprov.core.run import RunOptions
    from awsprov.engine.executor import apply_plan
    from awsprov.engine.planner import make_plan
    from awsprov.spec.loader import load_stack

    rows = []
    with mock_aws():
        stack = load_stack(ROOT / "specs/vaultlink", env="prod")
        for attempt in ("first (from empty)", "second"):
            aws, calls = traced_context(latency)
            start = time.perf_counter()
            result = make_plan(stack, aws, RunOptions())
            report = apply_plan(stack, result, aws, RunOptions(parallelism=DEFAULT_PARALLELISM))
            wall = time.perf_counter() - start
            assert not report.failures, report.failures
            writes = Counter({k: n for k, n in calls.items() if is_write(k[1])})
            rows.append({"attempt": attempt, "wall_s": wall, "calls": sum(calls.values()),
                         "writes": writes})
            print(f"apply {attempt}: {wall:.2f}s, {sum(calls.values())} calls, "
                  f"{sum(writes.values())} writes", file=sys.stderr)
    return rows


def markdown_plans(rows: list[dict], latency: float) -> str:
    ms = latency * 1000
    out = [f"No-op `plan`, {ms:.0f} ms injected per call, median of the runs:", "",
           "| stack | resources | parallelism | median wall | API calls | critical path "
           "| lower bound | ratio |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['stack']} | {r['resources']} | {r['parallelism']} | "
                   f"{r['median_s']:.2f} s | {r['total']} | {r['rounds']} calls | "
                   f"{r['bound_s']:.2f} s | {r['ratio']:.2f} |")
    out += ["", "API calls per resource by section (no-op plan; the same at any parallelism):",
            "", "| stack | section | resources | calls | per resource | operations |",
            "|---|---|---:|---:|---:|---|"]
    for r in rows:
        if r["parallelism"] != 1:
            continue
        for section, ops in sorted(r["sections"].items()):
            n = r["types"].get(section, 0)
            total = sum(ops.values())
            per = f"{total / n:.2f}" if n else "per stack"
            detail = ", ".join(f"{op} {c}" for op, c in sorted(ops.items()))
            out.append(f"| {r['stack']} | {section} | {n} | {total} | {per} | {detail} |")
    return "\n".join(out)


def markdown_apply(rows: list[dict], latency: float) -> str:
    out = [f"`apply` of vaultlink prod (parallelism {DEFAULT_PARALLELISM}, "
           f"{latency * 1000:.0f} ms per call, plan included):", "",
           "| apply | wall | API calls | writes | writes by section |",
           "|---|---:|---:|---:|---|"]
    for r in rows:
        grouped: dict[str, Counter] = {}
        for (service, op), n in r["writes"].items():
            grouped.setdefault(section_of(service, op), Counter())[op] += n
        detail = "; ".join(f"{s}: " + ", ".join(f"{op} {n}" for op, n in sorted(ops.items()))
                           for s, ops in sorted(grouped.items())) or "none"
        out.append(f"| {r['attempt']} | {r['wall_s']:.2f} s | {r['calls']} | "
                   f"{sum(r['writes'].values())} | {detail} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.020)
    parser.add_argument("--only", default="",
                        help="comma-separated: p2p-automation,auditflow,threat-engine,"
                             "chatbot,vaultlink,alarms,secrets,apply")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(","))) or None
    from tests.test_examples import EXAMPLE_ENV

    os.environ.update(EXAMPLE_ENV)
    rows = run_plans(only, args.repeats, args.latency)
    print(markdown_plans(rows, args.latency))
    if not only or "apply" in only:
        print()
        print(markdown_apply(run_apply(args.latency), args.latency))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
