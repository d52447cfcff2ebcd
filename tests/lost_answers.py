"""Lost answers: the write takes effect, its answer never comes back.

On AWS a connection reset or a read timeout after the service acted looks, to botocore,
exactly like one before it: botocore resends the call (standard retry mode retries
ConnectionClosedError and ReadTimeoutError). moto never loses an answer, so these hooks
make it lose one the way a network does:

- in process (`mock_aws`): `LoseAnswer` is registered FIRST on the client's `before-send`
  event, ahead of moto's own `botocore_stubber`; for the chosen call it runs the request
  through that stubber (the write happens in moto), throws the response away and raises
  ConnectionClosedError, so botocore's own retry resends the call as it would on AWS;
- behind ThreadedMotoServer (CLI end-to-end): `LosingServer` wraps the server's WSGI app:
  the request runs through moto, then the connection is dropped (the socket is shut down
  with no response).

A call is chosen by operation name and by occurrence (the nth call of that operation).
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LoseAnswer:
    """A before-send handler dropping the answer of the `nth` call of `operation` (1-based)
    once moto has acted on it. `lost` lists the operations whose answer was dropped."""

    operation: str
    nth: int = 1
    timeout: bool = False  # ReadTimeoutError instead of ConnectionClosedError
    # False: the connection fails before the request reaches the service (nothing written)
    reaches_service: bool = True
    seen: Counter = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event_name: str, request: Any, **_: Any) -> Any:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            if operation != self.operation:
                return None
            self.seen[operation] += 1
            if self.seen[operation] != self.nth:
                return None
        if self.reaches_service:
            from moto.core.models import botocore_stubber

            answer = botocore_stubber(event_name, request)  # moto acts on the request here
            if answer is None:
                return None  # not a mocked call: nothing was written, nothing to lose
        self.lost.append(operation)
        raise self._network_error(request.url)

    def _network_error(self, url: str) -> Exception:
        from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

        if self.timeout:
            return ReadTimeoutError(endpoint_url=url)
        return ConnectionClosedError(endpoint_url=url)

    def install(self, factory: Any) -> LoseAnswer:
        """On every client of this ClientFactory, present and future, before moto."""
        factory.on("before-send", self, first=True)
        return self


def index_changes_refused_as_on_aws(monkeypatch) -> None:
    """moto answering an UpdateTable that creates an index that exists (or deletes one that
    is gone) as AWS does, with an error, not a Python ValueError (KNOWN_EMULATOR_GAPS
    "tables: UpdateTable for an index that exists or is gone")."""
    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.models import DynamoDBBackend

    real = DynamoDBBackend.update_table_global_indexes

    def update(self, table, updates):
        try:
            return real(self, table, updates)
        except ValueError as exc:
            raise MockValidationException(str(exc)) from None

    monkeypatch.setattr(DynamoDBBackend, "update_table_global_indexes", update)


def no_retry_backoff(monkeypatch) -> None:
    """botocore's standard mode sleeps up to a second before a resend; tests need none."""
    from botocore.retries import standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0)


class LosingServer:
    """WSGI middleware for ThreadedMotoServer: runs each request through moto and, for the
    armed call (operation name as tests/cli/kill9.py reads it, and occurrence), drops the
    connection instead of answering: the write took effect, the client never hears."""

    def __init__(self, app):
        self.app = app
        self._lock = threading.Lock()
        self.arm(None)

    def arm(self, operation: str | None, nth: int = 1) -> None:
        with self._lock:
            self.operation, self.nth = operation, nth
            self.seen = 0
            self.lost: list[str] = []

    def __call__(self, environ, start_response):
        from tests.cli.kill9 import operation_of

        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.app(environ, start_response)
        if not self._chosen(operation_of(environ)):
            return self.app(environ, start_response)
        b"".join(self.app(environ, lambda *a, **k: (lambda data: None)))  # moto acts
        self.lost.append(self.operation)
        _drop_connection(environ)
        raise ConnectionAbortedError(f"answer of {self.operation} dropped")

    def _chosen(self, operation: str) -> bool:
        with self._lock:
            if self.operation is None or operation != self.operation or self.lost:
                return False
            self.seen += 1
            return self.seen == self.nth


def _drop_connection(environ) -> None:
    """Close the client's socket under werkzeug: botocore sees the connection reset."""
    import socket

    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
