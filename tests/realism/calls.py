"""What the realism layer sees of one AWS call, whichever way it travels.

In process (botocore hooks) and on the wire (WSGI in front of moto's server) a call is
reduced to the same `Call`: the service's botocore name, the operation, and its parameters
under the API's member names (botocore's keyword arguments are the JSON body's keys). An
injected answer is an `Answer`: an error (code, message, HTTP status) or a success body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    service: str  # botocore's name: dynamodb, sqs, kms, s3, sns, logs, secretsmanager, ...
    operation: str  # the API's name: CreateTable, GetQueueAttributes, PutBucketPolicy, ...
    params: dict[str, Any] = field(default_factory=dict)

    def ids(self) -> set[str]:
        """Every resource this call names, normalised (see `resource_id`)."""
        return {resource_id(v) for k, v in self.params.items()
                if k in ID_FIELDS and isinstance(v, str) and v}


@dataclass(frozen=True)
class Answer:
    """What the layer answers instead of moto: an error, or (code None) a success body."""

    status: int = 400
    code: str | None = None
    message: str = ""
    body: dict[str, Any] | None = None
    throttling: bool = False  # answered below botocore's retries, so they apply

    @property
    def is_error(self) -> bool:
        return self.code is not None


def error(code: str, message: str, status: int = 400) -> Answer:
    return Answer(status, code, message)


def reply(body: dict[str, Any]) -> Answer:
    return Answer(200, None, "", body)


# Parameters that name a resource, across the services awsprov uses.
ID_FIELDS = frozenset({
    "TableName", "QueueUrl", "QueueName", "KeyId", "TargetKeyId", "AliasName", "Bucket",
    "SecretId", "TopicArn", "logGroupName", "ResourceArn", "resourceArn", "ResourceARN",
    "AlarmName", "DashboardName",
})
# Create calls and the names the resource they make is known by afterwards.
CREATE_NAME_FIELDS = {
    "CreateTable": ("TableName",), "CreateQueue": ("QueueName",), "CreateAlias": ("AliasName",),
    "CreateBucket": ("Bucket",), "CreateSecret": ("Name",), "CreateTopic": ("Name",),
    "CreateLogGroup": ("logGroupName",), "CreateKey": (),
}
_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
_ARN_PREFIXES = ("key/", "table/", "secret:", "log-group:", "alarm:", "dashboard/")


def resource_id(value: str) -> str:
    """One spelling per resource: a queue URL, an ARN, a name and a key id all reduce to
    the name (or key id) the resource is known by; aliases keep their `alias/` prefix."""
    if value.startswith(("http://", "https://")):
        return value.rstrip("/").rsplit("/", 1)[-1]
    if not value.startswith("arn:"):
        return value
    parts = value.split(":", 5)
    if len(parts) < 6:
        return value
    service, resource = parts[2], parts[5]
    for prefix in _ARN_PREFIXES:
        if resource.startswith(prefix):
            resource = resource[len(prefix):]
            break
    if service == "dynamodb":
        resource = resource.split("/", 1)[0]
    elif service == "logs":
        resource = resource.removesuffix(":*")
    elif service == "secretsmanager":
        resource = _SECRET_SUFFIX.sub("", resource)
    elif service == "s3":
        resource = resource.lstrip(":")
    return resource


def arn_service(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[2] if len(parts) > 2 else ""


def created_ids(call: Call, response: dict[str, Any]) -> set[str]:
    """The names a just-created resource answers to: its name, and any id or ARN in the
    answer (CreateKey has no name; CreateQueue answers a URL)."""
    found = {resource_id(call.params[f]) for f in CREATE_NAME_FIELDS.get(call.operation, ())
             if isinstance(call.params.get(f), str)}
    for value in (response.get("QueueUrl"), response.get("TopicArn"), response.get("ARN"),
                  (response.get("KeyMetadata") or {}).get("KeyId"),
                  (response.get("TableDescription") or {}).get("TableName")):
        if isinstance(value, str) and value:
            found.add(resource_id(value))
    return found
