"""The embedded local AWS: a moto server on 127.0.0.1 as a background process.

State lives in a small JSON file (pid, port) under $AWSPROV_HOME (default ~/.awsprov),
so `--local` in any later command finds the endpoint.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from awsprov.errors import AwsprovError

DEFAULT_PORT = 4566
HOST = "127.0.0.1"
START_TIMEOUT_S = 20
# The emulator accepts any credentials; these keep boto3 from looking for real ones.
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "awsprov-local", "AWS_SECRET_ACCESS_KEY": "awsprov-local"}


@dataclass
class LocalServer:
    pid: int
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"


def home() -> Path:
    return Path(os.environ.get("AWSPROV_HOME") or Path.home() / ".awsprov")


def _state_file() -> Path:
    return home() / "local.json"


def status() -> LocalServer | None:
    """The running emulator, or None (a stale state file is removed)."""
    try:
        state = json.loads(_state_file().read_text())
        server = LocalServer(int(state["pid"]), int(state["port"]))
    except (OSError, ValueError, KeyError):
        return None
    if _alive(server.pid) and _answers(server.port):
        return server
    _state_file().unlink(missing_ok=True)
    return None


def start(port: int | None = None) -> LocalServer:
    """Start the emulator, or report the one running; `port` None means "any port", so a
    running emulator on another port is only refused when a port was asked for."""
    running = status()
    if running and port is not None and running.port != port:
        raise AwsprovError(f"local AWS is already running at {running.endpoint} (pid "
                           f"{running.pid}), not on port {port}: use that one, or "
                           f"`awsprov local stop` first to start it on port {port}")
    if running:
        return running
    port = DEFAULT_PORT if port is None else port
    try:
        import moto.server  # noqa: F401
    except ImportError:
        raise AwsprovError("the local emulator needs moto: pip install 'awsprov[local]'") from None
    if _port_busy(port):
        raise AwsprovError(f"port {port} on {HOST} is in use; choose another with --port")
    home().mkdir(parents=True, exist_ok=True)
    log = (home() / "local.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = LocalServer(process.pid, port)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AwsprovError(f"the local emulator did not start; see {home() / 'local.log'}")
        time.sleep(0.1)
    _state_file().write_text(json.dumps({"pid": server.pid, "port": port}))
    return server


def stop() -> LocalServer | None:
    """Stop the emulator `start` made, and nothing else: the recorded pid may have been
    reused by another program (after a reboot, or the emulator killed by hand) while some
    other moto answers on the port, so the pid's command line must still be ours."""
    server = status()
    if server is None or not _is_emulator_process(server):
        _state_file().unlink(missing_ok=True)
        return None
    os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(server.pid):
        os.kill(server.pid, signal.SIGKILL)
    _state_file().unlink(missing_ok=True)
    return server


def _is_emulator_process(server: LocalServer) -> bool:
    """True when the pid runs what `start` runs: `python -m moto.server ... -p PORT`."""
    args = _command_line(server.pid)
    if args is None:
        return False
    ports = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "-p"]
    return "moto.server" in args and ports == [str(server.port)]


def _command_line(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        return [part.decode(errors="replace") for part in raw.split(b"\0") if part]
    except OSError:
        pass
    try:  # no /proc (macOS): ps prints the arguments joined by spaces
        shown = subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True,
                               text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return shown.split() or None


def endpoint_or_fail() -> str:
    server = status()
    if server is None:
        raise AwsprovError("the local emulator is not running: start it with "
                           "`awsprov local start`")
    return server.endpoint


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours is not alive
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        return True


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/moto-api/", timeout=1):
            return True
    except OSError:
        return False


def _port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((HOST, port)) == 0
