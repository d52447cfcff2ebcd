"""No-op `awsprov plan` of N tables, each run a fresh process (start-up counted), against a
moto server process, LATENCY per call slept in the awsprov process (bench/latency_cli.py).

For each N: the median wall time of `plan` over REPEATS runs, its API calls, the lower
bound (calls x latency / parallelism) and that bound plus start-up, where start-up is the
median wall time of `awsprov validate` of the same spec (the same process work without a
call). The machine's load average is printed beside the figures (the machine is shared).

    .venv/bin/python bench/plan_server.py [--sizes 10,100,300,1000] [--repeats 3]
                                         [--src OTHER/src]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import apply_untimed

from awsprov.core.run import DEFAULT_PARALLELISM

HERE = Path(__file__).resolve().parent
LATENCY = 0.020
PARALLELISM = DEFAULT_PARALLELISM


def _spec(n: int) -> str:
    lines = [f"stack: bench-n{n}", "region: us-east-1", "tables:"]
    for i in range(n):
        lines += [f"  t{i}:", f"    name: bench-n{n}-t{i:04d}", "    hash_key: id",
                  "    attributes: {id: S}"]
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server, url
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("moto server did not start")


def _timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-500:]}")
    return elapsed


def run(sizes: list[int], repeats: int, url: str, folder: Path,
        src: Path = HERE.parent / "src") -> list[dict]:
    from awsprov.spec.loader import load_stack

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(AWS_ENDPOINT_URL=url, BENCH_LATENCY=str(LATENCY),
               PYTHONPATH=os.pathsep.join([str(src), str(HERE)]))
    rows = []
    for n in sizes:
        spec = folder / f"bench-{n}.yaml"
        spec.write_text(_spec(n))
        os.environ["AWS_ENDPOINT_URL"] = url
        report = apply_untimed(load_stack(spec), PARALLELISM)
        assert not report.failures, report.failures[:3]
        calls_file = folder / "calls.json"
        plan = [sys.executable, str(HERE / "latency_cli.py"), "plan", str(spec),
                "--parallelism", str(PARALLELISM)]
        validate = [sys.executable, "-m", "awsprov", "validate", str(spec)]
        _timed(validate, env)  # .pyc files written, caches warm
        load = os.getloadavg()[0]
        starts = [_timed(validate, env) for _ in range(repeats)]
        plans = [_timed(plan, {**env, "BENCH_CALLS_FILE": str(calls_file)})
                 for _ in range(repeats)]
        calls = json.loads(calls_file.read_text())
        total = sum(calls.values())
        bound = total * LATENCY / PARALLELISM
        start_up = statistics.median(starts)
        median = statistics.median(plans)
        row = {"n": n, "median_s": median, "calls": total,
               "get_resources": calls.get("GetResources", 0), "bound_s": bound,
               "start_up_s": start_up, "ratio": median / (bound + start_up),
               "load": load}
        rows.append(row)
        print(f"N={n}: plan {median:.2f}s, {total} calls (GetResources "
              f"{row['get_resources']}), bound {bound:.2f}s + start-up {start_up:.2f}s, "
              f"ratio {row['ratio']:.2f}, load {load:.1f}", file=sys.stderr)
    return rows


def markdown(rows: list[dict]) -> str:
    out = ["| tables | plan (median) | API calls | GetResources | bound | start-up | "
           "÷ (bound + start-up) | load |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['n']} | {r['median_s']:.2f} s | {r['calls']} | "
                   f"{r['get_resources']} | {r['bound_s']:.2f} s | {r['start_up_s']:.2f} s | "
                   f"{r['ratio']:.2f} | {r['load']:.1f} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,300,1000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--src", default=str(HERE.parent / "src"),
                        help="the awsprov source to time (another commit's, for a before)")
    args = parser.parse_args()
    server, url = _start_server()
    try:
        with tempfile.TemporaryDirectory() as folder:
            rows = run([int(s) for s in args.sizes.split(",")], args.repeats, url,
                       Path(folder), Path(args.src))
    finally:
        server.terminate()
        server.wait(10)
    print(markdown(rows))
    print(f"\nparallelism {PARALLELISM}, latency {LATENCY * 1000:.0f} ms a call, "
          f"{os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
