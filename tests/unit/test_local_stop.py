"""`awsprov local stop` stops only the emulator `local start` made: a recorded pid now run
by another program is left alone even while some moto answers on the recorded port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

import pytest

from awsprov import local


@pytest.fixture
def some_moto():
    """A moto that awsprov did not start, answering on a port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield server._server.server_port
    server.stop()


@pytest.fixture
def bystander():
    """An unrelated process of the user's."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def _record(tmp_path, monkeypatch, pid: int, port: int) -> None:
    monkeypatch.setenv("AWSPROV_HOME", str(tmp_path))
    (tmp_path / "local.json").write_text(json.dumps({"pid": pid, "port": port}))


def test_stop_leaves_alone_a_reused_pid_while_another_moto_answers(
        tmp_path, monkeypatch, some_moto, bystander):
    _record(tmp_path, monkeypatch, bystander.pid, some_moto)
    assert local.stop() is None
    assert bystander.poll() is None, "local stop killed an unrelated process"
    assert not (tmp_path / "local.json").exists(), "the stale record stays behind"


def test_stop_leaves_alone_a_moto_on_another_port(tmp_path, monkeypatch, some_moto):
    """A moto server of ours, but not the one recorded (its port differs)."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                              "moto.server", "-p", str(some_moto + 1)])
    try:
        _record(tmp_path, monkeypatch, other.pid, some_moto)
        assert local.stop() is None
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_stop_stops_the_emulator_start_made(tmp_path, monkeypatch):
    monkeypatch.setenv("AWSPROV_HOME", str(tmp_path))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = local.start(port)
    try:
        assert local.status() == server
        assert local.stop() == server
        assert local.status() is None
        assert not local._alive(server.pid)
    finally:
        if local._alive(server.pid):
            os.kill(server.pid, signal.SIGKILL)
