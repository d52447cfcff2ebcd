"""`awsprov` with LATENCY seconds slept before every request it sends (a botocore
`before-send` hook on each client the one factory builds), its calls counted by name and
written as JSON to $BENCH_CALLS_FILE at exit. For bench/plan_server.py: the awsprov process
pays the latency, the moto server process answers.

    BENCH_LATENCY=0.02 python bench/latency_cli.py plan SPEC
"""

from __future__ import annotations

import atexit
import json
import os
import time
from collections import Counter

from awsprov.aws import session

LATENCY = float(os.environ.get("BENCH_LATENCY", "0.02"))
CALLS: Counter = Counter()
_real_init = session.ClientFactory.__init__


def _init(self, *args, **kwargs) -> None:
    _real_init(self, *args, **kwargs)
    self.on("before-send", lambda **_: time.sleep(LATENCY))
    self.on("before-call", lambda model=None, **_: CALLS.update([model.name]) if model else None)


def _write_calls() -> None:
    path = os.environ.get("BENCH_CALLS_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(dict(CALLS), out)


session.ClientFactory.__init__ = _init
atexit.register(_write_calls)

if __name__ == "__main__":
    from awsprov.cli.app import main

    main()
