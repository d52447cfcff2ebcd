"""`local start --port N` while the emulator runs on another port says so, never reports
the other port as if it were N's."""

from __future__ import annotations

import pytest

from awsprov import local
from awsprov.errors import AwsprovError

RUNNING = local.LocalServer(pid=4242, port=5000)


@pytest.fixture
def running(monkeypatch):
    monkeypatch.setattr(local, "status", lambda: RUNNING)
    monkeypatch.setattr(local.subprocess, "Popen", None)  # nothing may be started


def test_another_port_is_refused_naming_the_running_one(running):
    with pytest.raises(AwsprovError) as caught:
        local.start(6000)
    message = str(caught.value)
    assert "already running at http://127.0.0.1:5000 (pid 4242)" in message
    assert "not on port 6000" in message and "awsprov local stop" in message


def test_the_same_port_or_none_asked_reports_the_running_one(running):
    assert local.start(5000) is RUNNING
    assert local.start() is RUNNING
