"""What a resource type gets to talk to AWS: clients, region, account, waits."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from awsprov.aws import errors
from awsprov.aws.session import ClientFactory
from awsprov.aws.waiters import WaitPolicy


@dataclass
class AwsContext:
    clients: ClientFactory
    region: str
    wait: WaitPolicy = field(default_factory=WaitPolicy)
    _account_id: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.clients.client(service, region or self.region)

    @property
    def account_id(self) -> str:
        if self._account_id is None:
            with self._lock:
                if self._account_id is None:
                    self._account_id = self.check_access()
        return self._account_id

    def check_access(self) -> str:
        """One STS call: proves credentials and endpoint work before anything else runs."""
        try:
            identity = self.client("sts").get_caller_identity()
        except Exception as exc:  # botocore raises many unrelated classes here
            raise errors.describe(exc, "checking AWS credentials") from None
        return identity["Account"]

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        return f"arn:aws:{service}:{region if region is not None else self.region}:" \
               f"{self.account_id}:{resource}"
