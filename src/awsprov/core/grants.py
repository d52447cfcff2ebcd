"""What a grant names (`roles.*.grants`): the access levels, and the view of the granted
resource that its own type turns into IAM statements (ResourceType.grant).

A property whose Prop says `grant_targets` has its whole-value references resolved to a
GrantTarget's fields (engine/resolve.py) instead of to an ARN, so the type holding the
grant can ask the referenced resource's type for the exact actions and ARNs: a table's
indexes and stream, a bucket's objects, the customer KMS key that encrypts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Each level includes the levels before it except that write does not include read;
# read-write is read and write; full adds what changes or removes the resource's own
# configuration-independent data (purge, delete of items/objects/versions) and key use.
ACCESS_LEVELS = ("read", "write", "read-write", "full")
TARGET_KEYS = ("section", "name", "arn", "props", "region", "account")


@dataclass(frozen=True)
class GrantTarget:
    """The granted resource as the spec and the live account know it now.

    `arn` is the live ARN, or KNOWN_AFTER_APPLY for one not created yet (a type whose ARN
    follows from its name builds it from `name`, `region` and `account`). `props` are the
    resource's spec properties, references resolved as far as known (a key reference
    gives the key's ARN or KNOWN_AFTER_APPLY), sensitive properties left out."""

    section: str
    name: str
    arn: Any
    props: Mapping[str, Any]
    region: str
    account: str

    @classmethod
    def from_resolved(cls, value: Mapping[str, Any]) -> GrantTarget:
        return cls(**{key: value[key] for key in TARGET_KEYS})

    def includes(self, access: str, level: str) -> bool:
        """Whether `access` gives what `level` ("read" or "write") alone gives; "full"
        includes both."""
        return access in (level, "read-write", "full")


def is_resolved_target(value: Any) -> bool:
    return isinstance(value, Mapping) and all(key in value for key in TARGET_KEYS)
