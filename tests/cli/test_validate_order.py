"""`validate` of a folder stack without --env: the same first error on every run (it was
the first of a set's iteration order, which changes with Python's hash seed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _first_error(seed: int) -> str:
    env = {**os.environ, "PYTHONHASHSEED": str(seed), "NO_COLOR": "1",
           "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-m", "awsprov", "validate", "specs/vaultlink"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stderr.splitlines()[0]


def test_five_runs_give_the_same_first_error_the_first_in_the_files():
    firsts = {_first_error(seed) for seed in range(5)}
    assert firsts == {"error: specs/vaultlink/buckets.yaml:35: buckets.static_assets.name: "
                      "${env} is used but not set (choose one with --env)"}
