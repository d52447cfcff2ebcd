"""Telling which KMS key a value names: a key ARN, a key id, an alias or an alias ARN.

`${keys.x}` resolves to the key ARN, `${keys.x.id}` to its id and `${keys.x.alias}` to its
alias; AWS hands a resource's key back in yet another of these spellings (DynamoDB and
Secrets Manager return the key ARN, and moto returns whatever was sent). A type that
accepts a key reads the live key's names once (DescribeKey + ListAliases) and compares the
spec's value against all of them, so any spelling of the same key is no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from awsprov.aws import errors


@dataclass(frozen=True)
class KeyNames:
    """Every way to name one KMS key."""

    arn: str
    key_id: str
    aliases: frozenset[str]
    aws_managed: bool

    def names(self) -> frozenset[str]:
        prefix = self.arn.split(":key/", 1)[0]  # arn:aws:kms:REGION:ACCOUNT
        alias_arns = {f"{prefix}:{alias}" for alias in self.aliases}
        return frozenset({self.arn, self.key_id, *self.aliases, *alias_arns})

    def matches(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.names()


def describe_key(aws: Any, key: str) -> KeyNames | None:
    """The names of the key `key` (any spelling), or None when no such key is visible."""
    kms = aws.client("kms")
    try:
        meta = kms.describe_key(KeyId=key)["KeyMetadata"]
    except errors.ClientError as exc:
        if errors.is_code(exc, "NotFoundException", "AccessDeniedException"):
            return None
        raise
    return KeyNames(meta["Arn"], meta["KeyId"], frozenset(list_aliases(kms, meta["KeyId"])),
                    meta.get("KeyManager") == "AWS")


def list_aliases(kms: Any, key_id: str) -> list[str]:
    """Every alias that points at the key (ListAliases pages at 100)."""
    aliases: list[str] = []
    for page in kms.get_paginator("list_aliases").paginate(KeyId=key_id):
        aliases.extend(a["AliasName"] for a in page.get("Aliases", []))
    return sorted(aliases)
