"""One boto3 Session per process and one cached client per (service, region).

Building a client from a new Session costs ~110 ms (service models reload), so clients
are cached; boto3 clients are thread-safe once built, so building happens under a lock.
Throttling and transient errors are botocore's job: retries are configured here, once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Connect fast so an unreachable endpoint is reported within seconds, not minutes.
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 60
MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class Target:
    """Where the calls go: profile, region, endpoint (None = real AWS)."""

    region: str
    profile: str | None = None
    endpoint_url: str | None = None


# Their DEBUG records carry request parameters, secret values included; nothing awsprov
# runs may print them, whatever the root logger's level.
QUIET_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


def quiet_library_loggers() -> None:
    import logging

    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


class ClientFactory:
    def __init__(self, target: Target, max_pool_connections: int = 32):
        import boto3
        from botocore.config import Config

        quiet_library_loggers()

        self.target = target
        self._session = boto3.Session(profile_name=target.profile, region_name=target.region)
        self._config = Config(
            retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            max_pool_connections=max_pool_connections,
            user_agent_extra="awsprov",
        )
        self._clients: dict[tuple[str, str], Any] = {}
        self._hooks: list[tuple[str, Callable]] = []
        self._lock = threading.Lock()

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.target.region)
        client = self._clients.get(key)
        if client is not None:
            return client
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.client(
                    service, region_name=key[1], endpoint_url=self._endpoint_for(service),
                    config=self._config,
                )
                for event, handler in self._hooks:
                    client.meta.events.register(event, handler)
                self._clients[key] = client
        return client

    def on(self, event: str, handler: Callable) -> None:
        """Register a botocore event handler on every client, present and future."""
        with self._lock:
            self._hooks.append((event, handler))
            for client in self._clients.values():
                client.meta.events.register(event, handler)

    def _endpoint_for(self, service: str) -> str | None:
        if self.target.endpoint_url:
            return self.target.endpoint_url
        # botocore honours AWS_ENDPOINT_URL(_<SERVICE>) itself; nothing to do.
        return None


def default_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
