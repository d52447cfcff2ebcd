"""One boto3 Session per process and one cached client per (service, region).

Building a client from a new Session costs ~110 ms (service models reload), so clients
are cached; boto3 clients are thread-safe once built, so building happens under a lock.
Throttling and transient errors are botocore's job. Retries, profile and endpoints are
resolved by botocore as the AWS CLI resolves them (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, the
profile's `max_attempts`/`retry_mode`, AWS_ENDPOINT_URL(_<SERVICE>), `[services]`);
awsprov only fills in a retry setting the user left unset, and passes an endpoint itself
only for --endpoint-url/--local.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

# Connect fast so an unreachable endpoint is reported within seconds, not minutes.
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 60
# awsprov's defaults where the user set none: every attempt, the first one included.
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_RETRY_MODE = "standard"
# botocore's standard and adaptive modes give each client one retry quota (500 units; a
# throttled retry costs 5, a success gives 1 back) and, once it is spent, retry nothing
# ("Retry behavior", AWS SDKs and Tools reference guide). The quota is sized for one
# caller; awsprov shares one client between up to max_pool_connections threads, so a
# throttling burst across 16-32 workers would spend it in a moment and fail calls that
# a retry would have carried. Each client's quota is therefore the default times the
# threads that share it: what each thread would have with a client of its own.
BOTOCORE_RETRY_QUOTA = 500
_quota_swap = threading.Lock()


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
        botocore_session = self._botocore_session = _botocore_session(target.profile)
        self._session = boto3.Session(botocore_session=botocore_session,
                                      region_name=target.region)
        self._config = Config(
            retries=retry_defaults(botocore_session),
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            max_pool_connections=max_pool_connections,
            user_agent_extra="awsprov",
        )
        self._clients: dict[tuple[str, str, bool], Any] = {}
        self._threads = max(1, max_pool_connections)
        self._hooks: list[tuple[str, Callable, bool]] = []
        self._lock = threading.Lock()

    def client(self, service: str, region: str | None = None, *,
               single_attempt: bool = False) -> Any:
        """The cached client of this service and region. `single_attempt`: one whose calls
        botocore never resends, for a call without an idempotency token (CreateKey), where
        a resend after a lost answer makes a second resource; its caller decides."""
        key = (service, region or self.target.region, single_attempt)
        client = self._clients.get(key)
        if client is not None:
            return client
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                config = self._config
                if single_attempt:
                    from botocore.config import Config

                    config = config.merge(Config(retries={"total_max_attempts": 1}))
                with _retry_quota(BOTOCORE_RETRY_QUOTA * self._threads):
                    client = self._session.client(
                        service, region_name=key[1], endpoint_url=self._endpoint_for(service),
                        config=config,
                    )
                for event, handler, first in self._hooks:
                    _register(client, event, handler, first)
                self._clients[key] = client
        return client

    def on(self, event: str, handler: Callable, *, first: bool = False) -> None:
        """Register a botocore event handler on every client, present and future; `first`
        puts it before every handler already there (a test's fault before moto's answer)."""
        with self._lock:
            self._hooks.append((event, handler, first))
            for client in self._clients.values():
                _register(client, event, handler, first)

    def endpoint_of(self, service: str) -> str:
        """Where botocore sends this service's calls (after AWS_ENDPOINT_URL* and
        `[services]`)."""
        return self.client(service).meta.endpoint_url

    def service_endpoints_configured(self) -> bool:
        """True when some service has an endpoint of its own (AWS_ENDPOINT_URL_<SERVICE> or
        a `[services]` section), so the others may still go to AWS."""
        if self.target.endpoint_url:
            return False
        return any(key.startswith("AWS_ENDPOINT_URL_") for key in os.environ) or \
            "services" in self._botocore_session.get_scoped_config()

    def _endpoint_for(self, service: str) -> str | None:
        # None lets botocore resolve AWS_ENDPOINT_URL(_<SERVICE>) and `[services]` itself;
        # an explicit endpoint (--endpoint-url, --local) overrides them all, as in the CLI.
        return self.target.endpoint_url


@contextmanager
def _retry_quota(capacity: int) -> Iterator[None]:
    """Clients built inside get a retry quota of `capacity` (botocore builds the quota of
    standard and adaptive modes with its module's RetryQuota at client creation; it
    offers no setting for its size)."""
    from functools import partial

    from botocore.retries import quota, standard

    with _quota_swap:
        standard.quota = SimpleNamespace(RetryQuota=partial(quota.RetryQuota, capacity))
        try:
            yield
        finally:
            standard.quota = quota


def _register(client: Any, event: str, handler: Callable, first: bool) -> None:
    if first:
        client.meta.events.register_first(event, handler)
    else:
        client.meta.events.register(event, handler)


def _botocore_session(profile: str | None) -> Any:
    import botocore.session

    from awsprov.aws import errors

    session = botocore.session.Session(profile=profile)
    try:
        session.get_scoped_config()  # a missing profile fails here, before any client
    except Exception as exc:
        raise errors.describe(exc) from None
    return session


def retry_defaults(session: Any) -> dict[str, Any]:
    """awsprov's retry settings for what the user did not set (env or the profile's config):
    a key present in botocore's client Config would override the user's own setting."""
    scoped = session.get_scoped_config()
    retries: dict[str, Any] = {}
    if session.get_config_variable("max_attempts") is None:
        retries["total_max_attempts"] = DEFAULT_MAX_ATTEMPTS
    if not (os.environ.get("AWS_RETRY_MODE") or scoped.get("retry_mode")):
        retries["mode"] = DEFAULT_RETRY_MODE
    return retries


def default_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
