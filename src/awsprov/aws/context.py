"""What a resource type gets to talk to AWS: clients, region, account, waits."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from awsprov.aws import arns, errors
from awsprov.aws.session import ClientFactory
from awsprov.aws.sub_reads import SubReadPool
from awsprov.aws.waiters import WaitPolicy

if TYPE_CHECKING:
    from awsprov.aws.tag_index import TagIndex


@dataclass
class AwsContext:
    clients: ClientFactory
    region: str
    wait: WaitPolicy = field(default_factory=WaitPolicy)
    _account_id: str | None = None
    # Set by the planner while it reads: the stack's tags from one GetResources pagination.
    tag_index: TagIndex | None = None
    # The run's: sized from its --parallelism, shut down when it ends (`close`).
    sub_reads: SubReadPool = field(default_factory=SubReadPool)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> AwsContext:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """The run is over: its sub-read threads go."""
        self.sub_reads.shutdown()

    def client(self, service: str, region: str | None = None, *,
               single_attempt: bool = False) -> Any:
        if single_attempt:
            return self.clients.client(service, region or self.region, single_attempt=True)
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
            error = errors.describe(exc, "checking AWS credentials")
            raise type(error)(f"{error}{self._partial_endpoints_hint()}") from None
        return identity["Account"]

    def _partial_endpoints_hint(self) -> str:
        """Only some services pointed elsewhere (DynamoDB Local): STS and the Tagging API
        then go to AWS, as in the AWS CLI; say so, since that is why the check failed."""
        sts = self.clients.endpoint_of("sts")
        if not self.clients.service_endpoints_configured() or ".amazonaws.com" not in sts:
            return ""
        return (f" (STS goes to {sts}: only some services have "
                f"an endpoint of their own; give STS and the Tagging API one too "
                f"(AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_RESOURCE_GROUPS_TAGGING_API), or "
                f"send every call to one endpoint with --endpoint-url)")

    def indexed_tags(self, arn: str) -> dict[str, str] | None:
        """This resource's tags from the stack's tag index, or None (no index, or not in it:
        untagged, another stack's, or not yet visible to the Tagging API)."""
        index = self.tag_index
        return index.get(arn) if index is not None else None

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        return arns.make_arn(service, region if region is not None else self.region,
                              self.account_id, resource, partition_region=self.region)
