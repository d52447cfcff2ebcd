"""Ctrl-C (SIGINT) to a real `awsprov apply` subprocess in the middle of its writes: it
starts no further resource, names what was done and what was not, exits 130; run again,
it converges (the harness of tests/cli/kill9.py, with SIGINT instead of SIGKILL)."""

from __future__ import annotations

import os
import re
import signal

import pytest

from tests.cli.kill9 import (
    V1,
    KillPoint,
    apply,
    assert_converges,
    endpoint,  # noqa: F401 (fixture)
    server,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.e2e


def _press_ctrl_c(switch):
    def interrupt() -> None:
        if not switch.fired.is_set():
            switch.fired.set()
            os.kill(switch.pid, signal.SIGINT)
    return interrupt


def _listed(stderr: str, heading: str, required: bool = True) -> list[str]:
    match = re.search(rf"^error: {re.escape(heading)}: (.*)$", stderr, re.MULTILINE)
    assert match or not required, stderr
    if not match or match.group(1) == "none":
        return []
    return [item.split(" (", 1)[0] for item in re.split(r", (?![^(]*\))", match.group(1))]


EVERY_ADDRESS = {"keys.x", "tables.orders", "buckets.data", "secrets.api", "topics.events",
                 "queues.work", "queues.failed", "log_groups.app", "alarms.backlog",
                 "alarms.throttles", "dashboards.ops"}


def test_ctrl_c_during_apply_says_what_was_done_and_not_then_exits_130(
        endpoint, tmp_path, monkeypatch):  # noqa: F811
    url, switch = endpoint
    # SIGINT once the table's create has been served: the key batch is done by then, the
    # table's batch is in flight, and the topic, alarms and dashboard are still to come.
    monkeypatch.setattr(switch, "_kill", _press_ctrl_c(switch))
    interrupted = apply(url, switch, tmp_path, V1, point=KillPoint("CreateTable", "unanswered"))
    assert switch.fired.is_set(), switch.writes()
    assert interrupted.returncode == 130, interrupted.stderr
    err = interrupted.stderr
    assert "error: interrupted: started no further resource" in err
    done, not_started = _listed(err, "done"), _listed(err, "not started")
    cut_short = _listed(err, "not done (failed or cut short)", required=False)
    assert "keys.x" in done
    assert "tables.orders" in done + cut_short  # it was in flight: reported, not dropped
    assert {"topics.events", "alarms.backlog", "alarms.throttles",
            "dashboards.ops"} <= set(not_started)
    assert sorted(done + cut_short + not_started) == sorted(EVERY_ADDRESS)  # each once
    assert "PutDashboard" not in switch.writes() and "PutMetricAlarm" not in switch.writes()
    assert err.rstrip().endswith("run apply again to converge")
    assert "Traceback" not in err
    assert_converges(url, switch, tmp_path, V1)
