"""The bucket policy as compared and written: the spec's document plus the statement that
denies plain HTTP (`enforce_tls`), recognised whatever its Sid. Pure."""

from __future__ import annotations

import fnmatch
from typing import Any

from awsprov.aws.arns import partition_of
from awsprov.core.changes import KNOWN_AFTER_APPLY, is_unknown
from awsprov.resources import policy as policies

TLS_SID = "AwsprovDenyInsecureTransport"


def bucket_arn(name: str, region: str | None = None) -> str:
    return f"arn:{partition_of(region)}:s3:::{name}"


def desired_policy(name: str, document: Any, enforce_tls: bool) -> Any:
    if document is not None and is_unknown(document):
        return KNOWN_AFTER_APPLY
    if enforce_tls and not enforces_tls(document, name):
        document = policies.with_statements(document, [_tls_statement(name)])
    # Kept as written (not canonical): PutBucketPolicy stores what it is sent, and people
    # read it in the console; diff compares by meaning (policies.same).
    return policies.parse(document) if document is not None else None


def _tls_statement(name: str) -> dict[str, Any]:
    arn = bucket_arn(name)
    return {"Sid": TLS_SID, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def enforces_tls(document: Any, name: str) -> bool:
    """Whether some statement already does what AwsprovDenyInsecureTransport does, whatever
    its Sid (a hand-written policy adopted by export): another one would only duplicate it
    and rewrite a policy that needs no change."""
    return any(_denies_plain_http(s, name) for s in policies.statements_of(document))


def _denies_plain_http(statement: dict[str, Any], name: str) -> bool:
    """Deny, to everyone, of every S3 action, on the bucket and its objects, when
    aws:SecureTransport is false, and on no other condition (which would narrow it)."""
    if statement.get("Effect") != "Deny" or \
            {"NotPrincipal", "NotAction", "NotResource"} & set(statement):
        return False
    principal = statement.get("Principal")
    if not isinstance(principal, dict) or "*" not in principal.get("AWS", []):
        return False
    if not {"s3:*", "*"} & set(statement.get("Action", [])):
        return False
    arn = bucket_arn(name)
    patterns = statement.get("Resource", [])
    if not all(any(fnmatch.fnmatchcase(target, p) for p in patterns)
               for target in (arn, f"{arn}/*")):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or len(condition) != 1:
        return False
    [(operator, keys)] = condition.items()
    return operator.lower() == "bool" and isinstance(keys, dict) and \
        {k.lower(): v for k, v in keys.items()} == {"aws:securetransport": ["false"]}


def has_tls_statement(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    return any(s.get("Effect") == "Deny" and s.get("Condition", {}).get("Bool", {}).get(
        "aws:SecureTransport") == ["false"] for s in policies.statements_of(document))


def same_policy(live: Any, desired: Any) -> bool:
    if desired is KNOWN_AFTER_APPLY:
        return False
    return policies.same(live, desired)


def user_policy(document: Any) -> dict | None:
    """The live policy without the statement awsprov adds: what the spec wrote."""
    return policies.without_statements(document, {TLS_SID})
