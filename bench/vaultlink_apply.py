"""Apply of the VaultLink example (specs/vaultlink --env dev) from nothing, on in-process
moto with no latency and the waits the CLI uses (AwsContext's default WaitPolicy), median
of REPEATS runs, each against a fresh emulator.

Besides the wall time, from each run's per-resource durations: the sum over dependency
layers of each layer's slowest resource (what an executor with a barrier per layer takes)
and the longest dependency chain (the floor for any schedule, at unbounded parallelism).
`--executor FILE` runs another executor module's `apply_plan` (the layered one of an older
commit, for the before figure).

    .venv/bin/python bench/vaultlink_apply.py [--repeats 3] [--executor old_executor.py]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

import harness  # noqa: F401 (fake credentials, no endpoint)

SPEC = Path(__file__).resolve().parent.parent / "specs" / "vaultlink"
SECRETS = {"VAULTLINK_STRIPE_SECRET_KEY": "sk_test_example",
           "VAULTLINK_STRIPE_WEBHOOK_SECRET": "whsec_example",
           "VAULTLINK_PRISM_API_KEY": "prism-example",
           "VAULTLINK_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/x"}


def _apply_plan(executor_file: str | None):
    if executor_file is None:
        from awsprov.engine.executor import apply_plan
        return apply_plan
    spec = importlib.util.spec_from_file_location("baseline_executor", executor_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.apply_plan


def longest_chain(deps: dict[str, set[str]], seconds: dict[str, float]) -> float:
    memo: dict[str, float] = {}

    def finish(key: str) -> float:
        if key not in memo:
            memo[key] = seconds.get(key, 0.0) + max(
                (finish(d) for d in deps.get(key, ()) if d in seconds), default=0.0)
        return memo[key]

    return max((finish(k) for k in seconds), default=0.0)


def one_run(apply_plan) -> dict[str, float]:
    from moto import mock_aws

    from awsprov.aws.context import AwsContext
    from awsprov.aws.session import ClientFactory, Target
    from awsprov.core.run import RunOptions
    from awsprov.engine.planner import make_plan
    from awsprov.spec.loader import load_stack

    with mock_aws():
        stack = load_stack(SPEC, env="dev")
        aws = AwsContext(ClientFactory(Target(stack.region)), stack.region)
        result = make_plan(stack, aws, RunOptions())
        start = time.perf_counter()
        report = apply_plan(stack, result, aws, RunOptions())
        wall = time.perf_counter() - start
    assert not report.failures, [(o.key, o.message) for o in report.failures]
    seconds = {o.key: o.seconds for o in report.outcomes}
    layers = sum(max((seconds.get(k, 0.0) for k in layer), default=0.0)
                 for layer in result.order)
    return {"wall": wall, "layers": layers, "chain": longest_chain(result.deps, seconds),
            "resources": len(seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--executor", default=None)
    args = parser.parse_args()
    os.environ.update(SECRETS)
    apply_plan = _apply_plan(args.executor)
    load = os.getloadavg()[0]
    runs = [one_run(apply_plan) for _ in range(args.repeats)]
    for run in runs:
        print(f"wall {run['wall']:.2f}s, layers {run['layers']:.2f}s, chain "
              f"{run['chain']:.2f}s", file=sys.stderr)
    med = {k: statistics.median(r[k] for r in runs) for k in ("wall", "layers", "chain")}
    print(f"| executor | resources | apply wall (median) | sum of layers | longest chain | "
          f"load |\n|---|---:|---:|---:|---:|---:|\n"
          f"| {args.executor or 'ready queue'} | {runs[0]['resources']} | {med['wall']:.2f} s "
          f"| {med['layers']:.2f} s | {med['chain']:.2f} s | {load:.1f} → "
          f"{os.getloadavg()[0]:.1f} |")


if __name__ == "__main__":
    main()
