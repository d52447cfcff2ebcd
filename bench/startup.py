"""Start-up: `awsprov --help` against `awsprov validate` of a 9-resource spec, each a
fresh process, median of REPEATS runs, with the machine's load average beside it.

Run with the .pyc files a user's install has (PYTHONDONTWRITEBYTECODE is dropped from the
children's environment; the first run of each command writes them and is not counted).

    .venv/bin/python bench/startup.py [--repeats 7] [--src OTHER/src]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NINE = """\
stack: startup
region: us-east-1
tables:
  orders: {name: su-orders, hash_key: id, attributes: {id: S}}
  users: {name: su-users, hash_key: id, attributes: {id: S}, ttl: expires_at}
queues:
  failed: {name: su-failed}
  work: {name: su-work, dead_letter: {queue: "${queues.failed}", max_receive_count: 3}}
topics:
  events: {name: su-events}
log_groups:
  app: {name: /su/app, retention_days: 14}
keys:
  data: {alias: alias/su-data}
buckets:
  files: {name: "su-files-${account_id}", versioning: true}
alarms:
  backlog:
    name: su-backlog
    namespace: AWS/SQS
    metric: ApproximateNumberOfMessagesVisible
    dimensions: {QueueName: "${queues.failed.name}"}
    threshold: 0
    comparison: ">"
    actions: ["${topics.events}"]
"""


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--src", default=str(Path(__file__).resolve().parent.parent / "src"),
                        help="the awsprov source to run (another commit's, for a before)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    src = args.src
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "nine.yaml"
        spec.write_text(NINE)
        commands = {"--help": [sys.executable, "-m", "awsprov", "--help"],
                    "validate (9 resources)": [sys.executable, "-m", "awsprov", "validate",
                                               str(spec)]}
        for argv in commands.values():
            timed(argv, env)  # writes the .pyc files
        load = os.getloadavg()[0]
        medians = {}
        for name, argv in commands.items():
            runs = []
            for _ in range(args.repeats):  # interleaved would be fairer; both see the same load
                runs.append(timed(argv, env))
            medians[name] = statistics.median(runs)
    load_after = os.getloadavg()[0]
    print(f"load average (1 min): {load:.2f} before, {load_after:.2f} after")
    print("| command | median s |")
    print("|---|---|")
    for name, seconds in medians.items():
        print(f"| `{name}` | {seconds:.3f} |")
    ratio = medians["validate (9 resources)"] / medians["--help"]
    print(f"\nvalidate ÷ --help = {ratio:.2f}")


if __name__ == "__main__":
    main()
